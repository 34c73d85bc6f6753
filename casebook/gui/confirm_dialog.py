"""Ask the officer to confirm problems that may be confirmed (a possible second file for the
same person, 一人一档) before saving anyway; the save then records the confirmation (the
link between the two files)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ttkbootstrap as ttk

from casebook.models import Problem

from .dialog import Dialog
from .text import _

if TYPE_CHECKING:
    from .context import AppContext


class ConfirmDialog(Dialog):
    """The problems' messages, "Save anyway" (runs ``on_confirm``) and "Cancel"."""

    def __init__(
        self, app: AppContext, problems: list[Problem], on_confirm: Callable[[], None]
    ) -> None:
        super().__init__(app, _("Confirm before saving"), size=(600, 320))
        self.on_confirm = on_confirm
        ttk.Label(
            self.body,
            text="\n\n".join(problem.message for problem in problems),
            wraplength=560,
            justify="left",
        ).pack(anchor="w", fill="x")
        buttons = ttk.Frame(self.body)
        buttons.pack(fill="x", side="bottom", pady=(10, 0))
        self.confirm_button = ttk.Button(
            buttons, text=_("Save anyway, linked"), bootstyle="warning", command=self.on_yes
        )
        self.confirm_button.pack(side="right")
        ttk.Button(buttons, text=_("Cancel"), bootstyle="secondary", command=self.destroy).pack(
            side="right", padx=8
        )

    def on_yes(self) -> None:
        self.destroy()
        self.on_confirm()
