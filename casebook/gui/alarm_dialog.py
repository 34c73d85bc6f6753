"""Alarms kept in the notebook (a rejected segment, a tampered file...), to acknowledge."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ttkbootstrap as ttk

from .dialog import Dialog
from .screen import clear_tree, make_tree
from .text import _, format_when

if TYPE_CHECKING:
    from .context import AppContext


class AlarmDialog(Dialog):
    def __init__(self, app: AppContext) -> None:
        super().__init__(app, _("Alarms"), size=(820, 420))
        frame, self.tree = make_tree(
            self.body,
            [
                ("at", _("Time"), 140),
                ("kind", _("Kind"), 120),
                ("message", _("Message"), 480),
                ("state", _("State"), 80),
            ],
            height=10,
        )
        frame.pack(fill="both", expand=True)
        buttons = ttk.Frame(self.body)
        buttons.pack(fill="x", pady=(8, 0))
        ttk.Button(buttons, text=_("Acknowledge"), command=self.on_acknowledge).pack(side="left")
        ttk.Button(buttons, text=_("Close"), bootstyle="secondary", command=self.destroy).pack(
            side="right"
        )
        self.refresh()

    @classmethod
    def open(cls, app: AppContext) -> AlarmDialog:
        return cls(app)

    def refresh(self) -> None:
        clear_tree(self.tree)
        for alarm in self.app.guarded(self.app.nb.alarms) or []:
            state = _("Acknowledged") if alarm.acknowledged else _("Open")
            self.tree.insert(
                "",
                "end",
                iid=str(alarm.id),
                values=(format_when(alarm.at), alarm.kind, alarm.message, state),
            )

    def on_acknowledge(self) -> None:
        for iid in self.tree.selection():
            self.app.guarded(self.app.nb.acknowledge_alarm, int(iid))
        self.refresh()
        self.app.changed()
