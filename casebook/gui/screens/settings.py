"""Settings: language, theme, idle lock, share; the plugins' station settings; passphrase.

Language, theme, idle lock and share are this laptop's preferences (not synced). Station
settings are validated and recorded by the core (``nb.set_setting``), so they sync.
"""

from __future__ import annotations

import json
import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook import i18n
from casebook.models import SettingSpec
from casebook.vocabulary import Glossary

from ..schema_form import enum_values, primary_type
from ..screen import Screen
from ..text import N_, _, enum_label

THEME_CHOICES = [("light", N_("Light")), ("dark", N_("Dark"))]


class SettingInput:
    """One station setting: combobox for enums, a switch for booleans, JSON text otherwise."""

    def __init__(
        self, master: tk.Misc, spec: SettingSpec, value: Any, glossary: Glossary | None = None
    ) -> None:
        self.spec = spec
        self.choices = enum_values(spec.schema)
        # Without a plain "type" (e.g. a oneOf of a preset name or a list) the value is JSON.
        self.kind = primary_type(spec.schema) if "type" in spec.schema else "json"
        if self.choices is not None:
            labels = [enum_label(spec.schema, c, glossary=glossary) for c in self.choices]
            self.labels = labels
            self.widget = ttk.Combobox(master, values=labels, state="readonly", width=30)
            if value in self.choices:
                self.widget.current(self.choices.index(value))
        elif self.kind == "boolean":
            self.var = tk.BooleanVar(master, value=bool(value))
            self.widget = ttk.Checkbutton(master, variable=self.var, bootstyle="round-toggle")
        else:
            self.var = tk.StringVar(master, value=self.to_text(value))
            self.widget = ttk.Entry(master, textvariable=self.var, width=40)

    def to_text(self, value: Any) -> str:
        if isinstance(value, str) and self.kind in ("string", "json"):
            return value  # a bare word such as a preset name reads better unquoted
        return json.dumps(value, ensure_ascii=False)

    def get(self) -> Any:
        if self.choices is not None:
            index = self.widget.current()
            return self.choices[index] if index >= 0 else None
        if self.kind == "boolean":
            return bool(self.var.get())
        text = self.var.get().strip()
        if self.kind == "string":
            return text
        try:
            return json.loads(text)
        except ValueError:
            return text  # the core's validator explains what is expected


class SettingsScreen(Screen):
    title = N_("Settings")

    def create_widgets(self) -> None:
        ttk.Label(self, text=_("Settings"), font=("TkHeadingFont", 16, "bold")).pack(anchor="w")
        scroller = ttk.ScrolledFrame(self, auto_hide=True)
        scroller.pack(fill="both", expand=True, pady=(8, 0))
        self.create_laptop_box(scroller)
        self.create_passphrase_box(scroller)
        self.station_box = ttk.Labelframe(
            scroller, text=_("Station settings (synced, audited)"), padding=10
        )
        self.station_box.pack(fill="x", pady=(0, 10), padx=(0, 16))
        self.setting_inputs: dict[str, SettingInput] = {}
        self.setting_errors: dict[str, ttk.Label] = {}

    def create_laptop_box(self, master: tk.Misc) -> None:
        box = ttk.Labelframe(master, text=_("This laptop"), padding=10)
        box.pack(fill="x", pady=(0, 10), padx=(0, 16))
        box.columnconfigure(1, weight=1)
        languages = list(i18n.LANGUAGES)
        ttk.Label(box, text=_("Language")).grid(row=0, column=0, sticky="w", pady=4)
        self.language_box = ttk.Combobox(
            box, state="readonly", width=20, values=[i18n.LANGUAGES[k] for k in languages]
        )
        self.language_box.current(languages.index(i18n.language()))
        self.language_box.grid(row=0, column=1, sticky="w")
        self.language_box.bind(
            "<<ComboboxSelected>>",
            lambda _event: self.on_language(languages[self.language_box.current()]),
        )

        ttk.Label(box, text=_("Theme")).grid(row=1, column=0, sticky="w", pady=4)
        self.theme_box = ttk.Combobox(
            box, state="readonly", width=20, values=[_(label) for _name, label in THEME_CHOICES]
        )
        names = [name for name, _label in THEME_CHOICES]
        current = self.app.preference("theme", "light")
        self.theme_box.current(names.index(current) if current in names else 0)
        self.theme_box.grid(row=1, column=1, sticky="w")
        self.theme_box.bind(
            "<<ComboboxSelected>>", lambda _event: self.on_theme(names[self.theme_box.current()])
        )

        ttk.Label(box, text=_("Lock after idle (minutes, 0 = never)")).grid(
            row=2, column=0, sticky="w", pady=4, padx=(0, 12)
        )
        self.idle_minutes = tk.StringVar(
            self, value=str(self.app.idle_lock_minutes()).rstrip("0").rstrip(".")
        )
        ttk.Spinbox(box, from_=0, to=240, textvariable=self.idle_minutes, width=8).grid(
            row=2, column=1, sticky="w"
        )

        ttk.Label(box, text=_("Station share folder")).grid(row=3, column=0, sticky="w", pady=4)
        share_row = ttk.Frame(box)
        share_row.grid(row=3, column=1, sticky="we")
        self.share_path = tk.StringVar(self, value=self.app.preference("share_path", "") or "")
        ttk.Entry(share_row, textvariable=self.share_path, width=50).pack(side="left")
        ttk.Button(
            share_row, text=_("Browse…"), bootstyle="secondary", command=self.on_browse_share
        ).pack(side="left", padx=6)
        self.auto_sync = tk.BooleanVar(self, value=bool(self.app.preference("auto_sync", True)))
        ttk.Checkbutton(
            box, text=_("Sync automatically when the share is reachable"), variable=self.auto_sync
        ).grid(row=4, column=1, sticky="w", pady=4)
        ttk.Button(
            box, text=_("Save these settings"), bootstyle="primary", command=self.on_save_laptop
        ).grid(row=5, column=1, sticky="w", pady=(8, 0))

    def create_passphrase_box(self, master: tk.Misc) -> None:
        box = ttk.Labelframe(master, text=_("Change passphrase"), padding=10)
        box.pack(fill="x", pady=(0, 10), padx=(0, 16))
        self.passphrases = {key: tk.StringVar(self) for key in ("old", "new", "confirm")}
        labels = {
            "old": _("Current passphrase"),
            "new": _("New passphrase"),
            "confirm": _("Repeat the new passphrase"),
        }
        for row, key in enumerate(("old", "new", "confirm")):
            ttk.Label(box, text=labels[key]).grid(
                row=row, column=0, sticky="w", pady=3, padx=(0, 12)
            )
            ttk.Entry(box, textvariable=self.passphrases[key], show="•", width=30).grid(
                row=row, column=1, sticky="w"
            )
        ttk.Button(
            box, text=_("Change passphrase"), bootstyle="warning", command=self.on_change_passphrase
        ).grid(row=3, column=1, sticky="w", pady=(8, 0))
        self.passphrase_message = ttk.Label(box, text="", bootstyle="danger")
        self.passphrase_message.grid(row=4, column=0, columnspan=2, sticky="w")

    def refresh(self) -> None:
        self.fill_station_settings()

    def fill_station_settings(self) -> None:
        for child in self.station_box.winfo_children():
            child.destroy()
        self.setting_inputs = {}
        self.setting_errors = {}
        specs = self.guarded(self.nb.setting_specs) or []
        if not specs:
            ttk.Label(
                self.station_box, text=_("No plugin declares settings."), bootstyle="secondary"
            ).grid(row=0, column=0, sticky="w")
            return
        glossary = self.app.vocabulary()
        for row, spec in enumerate(specs):
            value = self.guarded(self.nb.setting, spec.key)
            ttk.Label(self.station_box, text=spec.title or spec.key).grid(
                row=row * 2, column=0, sticky="nw", pady=(6, 0), padx=(0, 12)
            )
            setting_input = SettingInput(self.station_box, spec, value, glossary)
            setting_input.widget.grid(row=row * 2, column=1, sticky="w", pady=(6, 0))
            ttk.Button(
                self.station_box,
                text=_("Save"),
                bootstyle="secondary-outline",
                command=lambda key=spec.key: self.on_save_setting(key),
            ).grid(row=row * 2, column=2, padx=6, pady=(6, 0))
            note = spec.description or ""
            error = ttk.Label(self.station_box, text=note, bootstyle="secondary", wraplength=600)
            error.grid(row=row * 2 + 1, column=1, columnspan=2, sticky="w")
            self.setting_inputs[spec.key] = setting_input
            self.setting_errors[spec.key] = error

    # -- handlers -------------------------------------------------------------------------

    def on_language(self, language: str) -> None:
        self.app.set_language(language)

    def on_theme(self, theme: str) -> None:
        self.app.guarded(self.nb.set_preference, "theme", theme)
        self.app.apply_theme(theme)

    def on_browse_share(self) -> None:
        path = ttk.filedialog.askdirectory(parent=self, title=_("Station share folder"))
        if path:
            self.share_path.set(path)

    def on_save_laptop(self) -> bool:
        try:
            minutes = float(self.idle_minutes.get().strip() or 0)
            if minutes < 0:
                raise ValueError
        except ValueError:
            self.app.notify(_("The idle lock must be a number of minutes."), "danger")
            return False
        try:
            self.nb.set_preference("idle_lock_minutes", minutes)
            self.nb.set_preference("share_path", self.share_path.get().strip())
            self.nb.set_preference("auto_sync", bool(self.auto_sync.get()))
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return False
        self.app.notify(_("Settings saved."), "success")
        self.app.changed()
        return True

    def on_save_setting(self, key: str) -> bool:
        value = self.setting_inputs[key].get()
        try:
            self.nb.set_setting(key, value)
        except Exception as error:  # noqa: BLE001 - shown under the setting
            self.setting_errors[key].configure(
                text=self.app.describe_error(error), bootstyle="danger"
            )
            return False
        self.setting_errors[key].configure(text=_("Saved."), bootstyle="success")
        self.app.changed()
        return True

    def on_change_passphrase(self) -> bool:
        old, new, confirm = (self.passphrases[k].get() for k in ("old", "new", "confirm"))
        if not new or new != confirm:
            self.passphrase_message.configure(
                text=_("The two new passphrases differ."), bootstyle="danger"
            )
            return False
        try:
            self.nb.change_passphrase(old, new)
        except Exception as error:  # noqa: BLE001
            self.passphrase_message.configure(
                text=self.app.describe_error(error), bootstyle="danger"
            )
            return False
        for var in self.passphrases.values():
            var.set("")
        self.passphrase_message.configure(text=_("Passphrase changed."), bootstyle="success")
        return True
