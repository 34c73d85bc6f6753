"""Concurrent values of a field, side by side; the officer picks one and it is recorded
(``nb.resolve_conflict`` writes a ``case.resolve`` op, so the choice syncs and is audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook.models import Conflict

from .dialog import Dialog
from .screen import clear_tree, make_tree
from .text import _, field_label, format_value, format_when

if TYPE_CHECKING:
    from .context import AppContext


class ConflictDialog(Dialog):
    """The open conflicts (of one case, or all), and the values of the selected one."""

    def __init__(self, app: AppContext, case_id: str | None = None) -> None:
        super().__init__(app, _("Conflicts"), size=(900, 520))
        self.case_id = case_id
        self.conflicts: list[Conflict] = []
        self.schemas: dict[str, dict[str, Any]] = app.guarded(app.nb.case_types) or {}
        self.create_widgets()
        self.refresh()

    @classmethod
    def open(cls, app: AppContext, case_id: str | None = None) -> ConflictDialog:
        return cls(app, case_id)

    def create_widgets(self) -> None:
        ttk.Label(
            self.body,
            text=_(
                "Two laptops changed the same field. Both values are kept "
                "until you choose one; your choice is recorded."
            ),
            wraplength=860,
        ).pack(anchor="w", pady=(0, 8))
        frame, self.tree = make_tree(
            self.body,
            [
                ("case", _("Case"), 280),
                ("field", _("Field"), 160),
                ("shown", _("Shown now"), 300),
            ],
            height=6,
        )
        frame.pack(fill="x")
        self.tree.bind("<<TreeviewSelect>>", lambda _event: self.on_select())
        self.values_frame = ttk.Frame(self.body, padding=(0, 10))
        self.values_frame.pack(fill="both", expand=True)
        ttk.Button(self.body, text=_("Close"), bootstyle="secondary", command=self.destroy).pack(
            side="right"
        )

    def refresh(self) -> None:
        conflicts = self.app.guarded(self.app.nb.conflicts) or []
        self.conflicts = [c for c in conflicts if not self.case_id or c.case_id == self.case_id]
        clear_tree(self.tree)
        for index, conflict in enumerate(self.conflicts):
            self.tree.insert(
                "",
                "end",
                iid=str(index),
                values=(
                    conflict.title or conflict.case_id,
                    self.label_of(conflict),
                    format_value(conflict.winner),
                ),
            )
        for child in self.values_frame.winfo_children():
            child.destroy()
        if self.conflicts:
            self.tree.selection_set("0")
            self.on_select()
        else:
            ttk.Label(self.values_frame, text=_("No open conflicts.")).pack(anchor="w")

    def label_of(self, conflict: Conflict) -> str:
        for schema in self.schemas.values():
            if conflict.field in (schema.get("properties") or {}):
                return field_label(schema, conflict.field)
        return conflict.field

    def selected(self) -> Conflict | None:
        selection = self.tree.selection()
        return self.conflicts[int(selection[0])] if selection else None

    def on_select(self) -> None:
        conflict = self.selected()
        if conflict is None:
            return  # also the echo of a cleared list: keep what the refresh showed
        for child in self.values_frame.winfo_children():
            child.destroy()
        for column, candidate in enumerate(conflict.values):
            card = ttk.Labelframe(
                self.values_frame, text=_("Value {n}").format(n=column + 1), padding=10
            )
            card.grid(row=0, column=column, sticky="nsew", padx=(0, 10))
            self.values_frame.columnconfigure(column, weight=1)
            ttk.Label(
                card,
                text=format_value(candidate.value),
                font=("TkDefaultFont", 12, "bold"),
                wraplength=380,
            ).pack(anchor="w", pady=(0, 6))
            meta = _("By {author} on device {device}, {when}").format(
                author=candidate.author,
                device=str(candidate.device_id)[:12],
                when=format_when(candidate.at),
            )
            ttk.Label(card, text=meta, bootstyle="secondary", wraplength=380).pack(anchor="w")
            if candidate.value == conflict.winner:
                ttk.Label(card, text=_("(shown now)"), bootstyle="info").pack(anchor="w")
            ttk.Button(
                card,
                text=_("Keep this value"),
                bootstyle="success",
                command=lambda c=conflict, v=candidate.value: self.on_keep(c, v),
            ).pack(anchor="w", pady=(8, 0))

    def on_keep(self, conflict: Conflict, value: Any) -> None:
        try:
            self.app.nb.resolve_conflict(conflict.case_id, conflict.field, value)
        except Exception as error:  # noqa: BLE001
            self.show_message(self.app.describe_error(error))
            return
        self.app.notify(
            _("Conflict resolved: {field} = {value}").format(
                field=self.label_of(conflict), value=format_value(value)
            ),
            "success",
        )
        self.app.changed()
        self.app.refresh_page()
        if self.winfo_exists():
            self.refresh()
