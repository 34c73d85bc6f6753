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
        self.confirm_button = self.action_buttons(
            _("Save anyway, linked"), self.on_yes, bootstyle="warning"
        )

    def on_yes(self) -> None:
        self.destroy()
        self.on_confirm()
