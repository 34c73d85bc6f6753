"""First run: who the officer is, the passphrase, and whether to load demo cases."""

from __future__ import annotations

import tkinter as tk
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from ..text import _

if TYPE_CHECKING:
    from ..context import AppContext

#: The station setting the wizard fills in: the unit's contact phone printed on receipts and
#: notices (declared by the built-in station plugin, shown again in Settings).
UNIT_PHONE = "station.phone"


class WizardScreen(ttk.Frame):
    """Creates the notebook with ``Notebook.create`` and opens it."""

    def __init__(self, master: tk.Misc, app: AppContext, *, load_demo: bool = False) -> None:
        super().__init__(master, padding=30)
        self.app = app
        self.vars: dict[str, tk.StringVar] = {}
        self.load_demo = tk.BooleanVar(self, value=load_demo)
        self.create_widgets()

    def create_widgets(self) -> None:
        card = ttk.Frame(self, padding=24)
        card.place(relx=0.5, rely=0.42, anchor="center")
        ttk.Label(card, text=_("Welcome to Casebook"), font=("TkHeadingFont", 18, "bold")).grid(
            row=0, column=0, columnspan=2, sticky="w"
        )
        ttk.Label(
            card,
            text=_(
                "Your cases stay encrypted on this laptop. Set up who you are "
                "and the passphrase that unlocks them."
            ),
            wraplength=520,
            bootstyle="secondary",
        ).grid(row=1, column=0, columnspan=2, sticky="w", pady=(4, 16))
        rows = [
            ("officer_id", _("Officer ID (警号)"), {}),
            ("officer_name", _("Officer name"), {}),
            ("unit", _("Unit"), {}),
            ("unit_phone", _("Unit contact phone (optional)"), {}),
            ("passphrase", _("Passphrase"), {"show": "•"}),
            ("confirm", _("Repeat passphrase"), {"show": "•"}),
        ]
        self.entries: dict[str, ttk.Entry] = {}
        for index, (key, label, options) in enumerate(rows, start=2):
            ttk.Label(card, text=label).grid(row=index, column=0, sticky="w", pady=4, padx=(0, 12))
            var = tk.StringVar(self)
            entry = ttk.Entry(card, textvariable=var, width=36, **options)
            entry.grid(row=index, column=1, sticky="we", pady=4)
            self.vars[key] = var
            self.entries[key] = entry
        ttk.Checkbutton(
            card,
            text=_("Load demo cases to try Casebook (you can delete them later)"),
            variable=self.load_demo,
        ).grid(row=8, column=0, columnspan=2, sticky="w", pady=(12, 4))
        self.message = ttk.Label(card, text="", bootstyle="danger", wraplength=520)
        self.message.grid(row=9, column=0, columnspan=2, sticky="w", pady=4)
        self.progress = ttk.Progressbar(card, mode="determinate", maximum=100)
        self.create_button = ttk.Button(
            card, text=_("Create notebook"), bootstyle="success", command=self.on_create
        )
        self.create_button.grid(row=11, column=1, sticky="e", pady=(8, 0))
        self.entries["officer_id"].focus_set()
        self.entries["confirm"].bind("<Return>", lambda _event: self.on_create())

    def show_message(self, text: str, kind: str = "danger") -> None:
        self.message.configure(text=text, bootstyle=kind)

    def values(self) -> dict[str, str]:
        return {key: var.get().strip() for key, var in self.vars.items()}

    def on_create(self) -> None:
        values = self.values()
        missing = [k for k in ("officer_id", "officer_name", "unit", "passphrase") if not values[k]]
        if missing:
            self.show_message(_("Please fill in every field."))
            self.entries[missing[0]].focus_set()
            return
        if self.vars["passphrase"].get() != self.vars["confirm"].get():
            self.show_message(_("The two passphrases differ."))
            self.entries["confirm"].focus_set()
            return
        from casebook import Notebook

        self.show_message(_("Creating the notebook…"), "info")
        self.create_button.configure(state="disabled")
        self.update_idletasks()
        try:
            notebook = Notebook.create(
                self.app.notebook_dir,
                self.vars["passphrase"].get(),
                officer_id=values["officer_id"],
                officer_name=values["officer_name"],
                unit=values["unit"],
            )
        except Exception as error:  # noqa: BLE001 - shown, the officer can correct it
            self.create_button.configure(state="normal")
            self.show_message(self.app.describe_error(error))
            return
        phone_error = self.save_unit_phone(notebook, values["unit_phone"])
        if self.load_demo.get():
            self.start_demo(notebook)
        else:
            self.app.on_unlocked(notebook)
        if phone_error:
            self.app.notify(phone_error, "warning")

    def save_unit_phone(self, notebook: Any, phone: str) -> str:
        """Record the unit's phone (printed on receipts and notices) as a station setting;
        returns why it could not be, to show once the notebook is open."""
        if not phone:
            return ""
        try:
            notebook.set_setting(UNIT_PHONE, phone)
        except Exception as error:  # noqa: BLE001 - the notebook exists; Settings can fix it
            return _("The unit's phone was not saved ({error}); set it in Settings.").format(
                error=self.app.describe_error(error)
            )
        return ""

    def start_demo(self, notebook: Any) -> None:
        from casebook.demo import load_demo

        self.show_message(_("Loading demo cases…"), "info")
        self.progress.grid(row=10, column=0, columnspan=2, sticky="we", pady=4)

        def on_progress(done: int, total: int | None = None) -> None:
            if total:
                self.progress.configure(value=100 * done / total)

        def on_error(error: BaseException) -> None:
            self.app.on_unlocked(notebook)
            self.app.notify(
                _("The demo cases could not all be loaded: {error}").format(
                    error=self.app.describe_error(error)
                ),
                "danger",
            )

        # The store belongs to the UI thread, so the demo runs there, drawing its progress.
        self.app.jobs.start(
            lambda progress: load_demo(notebook, progress=progress),
            on_progress=on_progress,
            on_error=on_error,
            thread=False,
            on_done=lambda _ids: self.app.on_unlocked(notebook),
        )
