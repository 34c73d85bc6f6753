"""The base of the app's dialogs: a Toplevel of the one root, never a second root.

Dialogs do not block in ``wait_window``: they call back when done, so the idle lock, sync
and the tests keep running while one is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from .text import _

if TYPE_CHECKING:
    from .context import AppContext


class Dialog(ttk.Toplevel):
    """A window over the main one, closed by the lock and by a language switch."""

    def __init__(
        self, app: AppContext, title: str, size: tuple[int, int] = (640, 420), **kwargs: Any
    ) -> None:
        super().__init__(title=title, size=size, transient=app.root, master=app.root, **kwargs)
        self.app = app
        root = app.root
        x = root.winfo_rootx() + max(0, (root.winfo_width() - size[0]) // 2)
        y = root.winfo_rooty() + max(0, (root.winfo_height() - size[1]) // 3)
        self.geometry(f"{size[0]}x{size[1]}+{x}+{y}")
        self.body = ttk.Frame(self, padding=12)
        self.body.pack(fill="both", expand=True)
        self.message = ttk.Label(self.body, text="", bootstyle="danger", wraplength=size[0] - 40)
        self.bind("<Escape>", lambda _event: self.destroy())
        app.track_dialog(self)

    def action_buttons(
        self, text: str, command: Callable[[], Any], bootstyle: str = "primary"
    ) -> ttk.Button:
        """The dialog's button row at the bottom: the action (returned) and "Cancel"."""
        buttons = ttk.Frame(self.body)
        buttons.pack(fill="x", side="bottom", pady=(10, 0))
        action = ttk.Button(buttons, text=text, bootstyle=bootstyle, command=command)
        action.pack(side="right")
        ttk.Button(buttons, text=_("Cancel"), bootstyle="secondary", command=self.destroy).pack(
            side="right", padx=8
        )
        return action

    def show_message(self, text: str, kind: str = "danger") -> None:
        self.message.configure(text=text, bootstyle=kind)
        if text:
            self.message.pack(side="bottom", fill="x", pady=(8, 0))
        else:
            self.message.pack_forget()
