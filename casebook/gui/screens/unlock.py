"""The passphrase, with plain feedback when it is wrong."""

from __future__ import annotations

import tkinter as tk
from typing import TYPE_CHECKING

import ttkbootstrap as ttk

from casebook.errors import AuthenticationError

from ..text import _

if TYPE_CHECKING:
    from ..context import AppContext


class UnlockScreen(ttk.Frame):
    """Opens the notebook (or unlocks the one the idle lock closed)."""

    def __init__(self, master: tk.Misc, app: AppContext, *, message: str = "") -> None:
        super().__init__(master, padding=30)
        self.app = app
        self.failures = 0
        self.passphrase = tk.StringVar(self)
        self.create_widgets()
        if message:
            self.show_message(message, "info")

    def create_widgets(self) -> None:
        card = ttk.Frame(self, padding=24)
        card.place(relx=0.5, rely=0.4, anchor="center")
        ttk.Label(card, text=_("Casebook is locked"), font=("TkHeadingFont", 18, "bold")).pack(
            anchor="w"
        )
        # The folder's name is enough to tell notebooks apart; the full path is one hover away.
        folder = ttk.Label(card, text=self.app.notebook_dir.name, bootstyle="secondary")
        folder.pack(anchor="w", pady=(2, 16))
        ttk.ToolTip(folder, text=str(self.app.notebook_dir))
        ttk.Label(card, text=_("Passphrase")).pack(anchor="w")
        self.entry = ttk.Entry(card, textvariable=self.passphrase, show="•", width=40)
        self.entry.pack(anchor="w", fill="x", pady=(2, 8))
        self.entry.bind("<Return>", lambda _event: self.on_unlock())
        self.message = ttk.Label(card, text="", bootstyle="danger", wraplength=420)
        self.message.pack(anchor="w", pady=(0, 8))
        self.unlock_button = ttk.Button(
            card, text=_("Unlock"), bootstyle="primary", command=self.on_unlock
        )
        self.unlock_button.pack(anchor="e")
        self.after_idle(self.entry.focus_set)

    def show_message(self, text: str, kind: str = "danger") -> None:
        self.message.configure(text=text, bootstyle=kind)

    def on_unlock(self) -> bool:
        passphrase = self.passphrase.get()
        if not passphrase:
            self.show_message(_("Type your passphrase."))
            return False
        self.show_message(_("Unlocking…"), "info")
        self.unlock_button.configure(state="disabled")
        self.update_idletasks()
        try:
            notebook = self.app.nb
            if notebook is not None:
                notebook.unlock(passphrase)
            else:
                from casebook import Notebook

                notebook = Notebook.open(self.app.notebook_dir, passphrase)
        except AuthenticationError:
            self.failures += 1
            self.passphrase.set("")
            self.unlock_button.configure(state="normal")
            self.show_message(
                _(
                    "Wrong passphrase ({count} failed attempts). Check the "
                    "keyboard layout and Caps Lock."
                ).format(count=self.failures)
            )
            self.entry.focus_set()
            return False
        except Exception as error:  # noqa: BLE001
            self.unlock_button.configure(state="normal")
            self.show_message(self.app.describe_error(error))
            return False
        self.passphrase.set("")
        self.app.on_unlocked(notebook)
        return True
