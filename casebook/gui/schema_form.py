"""A form generated from a case type's JSON Schema.

The form only turns widgets into JSON values and back. It holds no rule: a value that does
not parse (``"abc"`` in an integer field) is handed to the core as typed, and the core's
validator (:meth:`Notebook.validate_fields`) says what is wrong, in the same words as the CLI.
"""

from __future__ import annotations

import json
import tkinter as tk
from datetime import datetime
from typing import Any

import ttkbootstrap as ttk

from casebook.clock import parse_datetime
from casebook.models import Problem
from casebook.vocabulary import Glossary

from .text import _, enum_label, field_label

MISSING: Any = object()
"""What an empty input returns: the field is left out (or cleared on update)."""

LONG_TEXT_LENGTH = 200
DATE_FORMAT = "%Y-%m-%d"


def primary_type(prop: dict[str, Any]) -> str:
    """The JSON type of a property, ignoring ``"null"`` in a type list."""
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def enum_values(prop: dict[str, Any]) -> list[Any] | None:
    """The allowed values of an enum property (``enum`` or ``oneOf``/``anyOf`` of ``const``)."""
    if isinstance(prop.get("enum"), list):
        return [v for v in prop["enum"] if v is not None]
    for key in ("oneOf", "anyOf"):
        options = prop.get(key)
        if isinstance(options, list) and options and all("const" in o for o in options):
            return [o["const"] for o in options if o["const"] is not None]
    return None


def is_long_text(prop: dict[str, Any]) -> bool:
    return prop.get("format") == "textarea" or int(prop.get("maxLength") or 0) > LONG_TEXT_LENGTH


class FieldInput:
    """One input of the form. ``get`` returns a JSON value or :data:`MISSING`."""

    def __init__(
        self,
        master: tk.Misc,
        name: str,
        prop: dict[str, Any],
        schema: dict,
        *,
        required: bool = False,
        glossary: Glossary | None = None,
    ) -> None:
        self.name = name
        self.prop = prop
        self.schema = schema
        self.required = required
        self.glossary = glossary
        self.widget = self.create_widget(master)

    def create_widget(self, master: tk.Misc) -> tk.Widget:
        self.var = tk.StringVar(master)
        return ttk.Entry(master, textvariable=self.var, width=40)

    def get(self) -> Any:
        text = self.var.get().strip()
        return text if text else MISSING

    def set(self, value: Any) -> None:
        self.var.set("" if value is None else str(value))

    def focus(self) -> None:
        self.widget.focus_set()

    def set_enabled(self, enabled: bool) -> None:
        for child in [self.widget, *self.widget.winfo_children()]:
            try:
                child.configure(state="normal" if enabled else "disabled")
            except tk.TclError:
                pass


class LongTextInput(FieldInput):
    def create_widget(self, master: tk.Misc) -> tk.Widget:
        self.text = ttk.Text(master, height=4, width=50, wrap="word")
        return self.text

    def get(self) -> Any:
        text = self.text.get("1.0", "end-1c").strip()
        return text if text else MISSING

    def set(self, value: Any) -> None:
        self.text.delete("1.0", "end")
        if value is not None:
            self.text.insert("1.0", str(value))


class NumberInput(FieldInput):
    def get(self) -> Any:
        text = self.var.get().strip()
        if not text:
            return MISSING
        try:
            number = float(text)
        except ValueError:
            return text  # the core's validator names the problem
        if primary_type(self.prop) == "integer" and number.is_integer():
            return int(number)
        return number


class EnumInput(FieldInput):
    def create_widget(self, master: tk.Misc) -> tk.Widget:
        self.values = enum_values(self.prop) or []
        self.labels = [
            enum_label(self.prop, v, schema=self.schema, name=self.name, glossary=self.glossary)
            for v in self.values
        ]
        self.var = tk.StringVar(master)
        return ttk.Combobox(
            master, textvariable=self.var, values=["", *self.labels], state="readonly", width=38
        )

    def get(self) -> Any:
        label = self.var.get()
        if label in self.labels:
            return self.values[self.labels.index(label)]
        return MISSING

    def set(self, value: Any) -> None:
        if value in self.values:
            self.var.set(self.labels[self.values.index(value)])
        else:
            self.var.set("" if value is None else str(value))

    def set_enabled(self, enabled: bool) -> None:
        self.widget.configure(state="readonly" if enabled else "disabled")


class BooleanInput(FieldInput):
    def create_widget(self, master: tk.Misc) -> tk.Widget:
        self.bool_var = tk.BooleanVar(master, value=False)
        self.was_set = False
        return ttk.Checkbutton(master, variable=self.bool_var, bootstyle="round-toggle")

    def get(self) -> Any:
        # An untouched, unset box stays absent, so "unknown" is not saved as "no"; a
        # required one always answers (an unticked "reached" means not reached).
        if self.bool_var.get() or self.was_set or self.required:
            return bool(self.bool_var.get())
        return MISSING

    def set(self, value: Any) -> None:
        self.was_set = value is not None
        self.bool_var.set(bool(value))


class DateInput(FieldInput):
    def create_widget(self, master: tk.Misc) -> tk.Widget:
        self.date_entry = ttk.DateEntry(master, value=None, date_format=DATE_FORMAT, width=14)
        return self.date_entry

    def date_text(self) -> str:
        return self.date_entry.entry.get().strip()

    def get(self) -> Any:
        text = self.date_text()
        if not text:
            return MISSING
        try:
            return datetime.strptime(text, DATE_FORMAT).date().isoformat()
        except ValueError:
            return text

    def set(self, value: Any) -> None:
        self.date_entry.entry.delete(0, "end")
        if value:
            self.date_entry.entry.insert(0, str(value)[:10])


class DateTimeInput(DateInput):
    def create_widget(self, master: tk.Misc) -> tk.Widget:
        frame = ttk.Frame(master)
        self.date_entry = ttk.DateEntry(frame, value=None, date_format=DATE_FORMAT, width=14)
        self.date_entry.pack(side="left")
        self.time_var = tk.StringVar(frame)
        self.time_entry = ttk.Entry(frame, textvariable=self.time_var, width=7)
        self.time_entry.pack(side="left", padx=(6, 0))
        ttk.Label(frame, text=_("HH:MM"), bootstyle="secondary").pack(side="left", padx=4)
        return frame

    def get(self) -> Any:
        day = self.date_text()
        clock = self.time_var.get().strip() or "00:00"
        if not day:
            return MISSING
        try:
            moment = datetime.strptime(f"{day} {clock}", f"{DATE_FORMAT} %H:%M")
        except ValueError:
            return f"{day}T{clock}"
        return moment.astimezone().isoformat(timespec="seconds")

    def set(self, value: Any) -> None:
        super().set(None)
        self.time_var.set("")
        if not value:
            return
        try:
            moment = parse_datetime(value)
        except ValueError:
            self.date_entry.entry.insert(0, str(value))
            return
        if moment is not None:
            local = moment.astimezone()
            self.date_entry.entry.insert(0, local.strftime(DATE_FORMAT))
            self.time_var.set(local.strftime("%H:%M"))

    def focus(self) -> None:
        self.date_entry.entry.focus_set()


class EnumListInput(FieldInput):
    """An array of enum values: one checkbutton per value."""

    def create_widget(self, master: tk.Misc) -> tk.Widget:
        items = self.prop.get("items") or {}
        self.values = enum_values(items) or []
        frame = ttk.Frame(master)
        self.vars: list[tk.BooleanVar] = []
        for index, value in enumerate(self.values):
            var = tk.BooleanVar(frame, value=False)
            self.vars.append(var)
            label = enum_label(
                self.prop, value, schema=self.schema, name=self.name, glossary=self.glossary
            )
            ttk.Checkbutton(frame, text=label, variable=var).grid(
                row=index // 4, column=index % 4, sticky="w", padx=(0, 10)
            )
        return frame

    def get(self) -> Any:
        chosen = [v for v, var in zip(self.values, self.vars, strict=True) if var.get()]
        return chosen if chosen else MISSING

    def set(self, value: Any) -> None:
        chosen = value if isinstance(value, list) else []
        for v, var in zip(self.values, self.vars, strict=True):
            var.set(v in chosen)


class ListInput(FieldInput):
    """An array of free values, typed as a comma-separated line."""

    def get(self) -> Any:
        text = self.var.get().replace("、", ",").replace("，", ",")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        item_type = primary_type(self.prop.get("items") or {})
        if item_type in ("integer", "number"):
            parsed: list[Any] = []
            for part in parts:
                try:
                    parsed.append(int(part) if item_type == "integer" else float(part))
                except ValueError:
                    parsed.append(part)
            parts = parsed
        return parts if parts else MISSING

    def set(self, value: Any) -> None:
        self.var.set(", ".join(str(v) for v in value) if isinstance(value, list) else "")


class JsonInput(FieldInput):
    """Anything else (objects): JSON text, so nothing is beyond reach."""

    def get(self) -> Any:
        text = self.var.get().strip()
        if not text:
            return MISSING
        try:
            return json.loads(text)
        except ValueError:
            return text

    def set(self, value: Any) -> None:
        self.var.set("" if value is None else json.dumps(value, ensure_ascii=False))


def input_class(prop: dict[str, Any]) -> type[FieldInput]:
    """Which input a property gets."""
    kind = primary_type(prop)
    if enum_values(prop) is not None:
        return EnumInput
    if kind == "array":
        items = prop.get("items") or {}
        return EnumListInput if enum_values(items) is not None else ListInput
    if kind == "boolean":
        return BooleanInput
    if kind in ("integer", "number"):
        return NumberInput
    if kind == "object":
        return JsonInput
    if prop.get("format") == "date":
        return DateInput
    if prop.get("format") == "date-time":
        return DateTimeInput
    if is_long_text(prop):
        return LongTextInput
    return FieldInput


class SchemaForm(ttk.Frame):
    """Labels, inputs and inline messages for every property of a JSON Schema.

    :param schema: the case type's schema (``properties``, ``required``, ``x-labels``).
    :param values: the current field values, if any.
    :param glossary: the plugins' vocabulary, for fields and codes the schema does not label.
    """

    def __init__(
        self,
        master: tk.Misc,
        schema: dict[str, Any],
        values: dict[str, Any] | None = None,
        *,
        glossary: Glossary | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(master, **kwargs)
        self.schema = schema or {}
        self.glossary = glossary
        self.inputs: dict[str, FieldInput] = {}
        self.error_labels: dict[str, ttk.Label] = {}
        self.original: dict[str, Any] = dict(values or {})
        self.create_fields()
        self.set_values(self.original)

    def field_names(self) -> list[str]:
        properties = self.schema.get("properties") or {}
        order = self.schema.get("x-order")
        if isinstance(order, list):
            return [n for n in order if n in properties] + [n for n in properties if n not in order]
        return list(properties)

    def create_fields(self) -> None:
        self.columnconfigure(1, weight=1)
        self.form_error = ttk.Label(self, text="", bootstyle="danger", wraplength=600)
        self.form_error.grid(row=0, column=0, columnspan=2, sticky="w")
        self.form_error.grid_remove()
        required = set(self.schema.get("required") or [])
        properties = self.schema.get("properties") or {}
        row = 1
        for name in self.field_names():
            prop = properties[name] if isinstance(properties[name], dict) else {}
            label = field_label(self.schema, name, self.glossary) + (
                " *" if name in required else ""
            )
            ttk.Label(self, text=label).grid(
                row=row, column=0, sticky="nw", padx=(0, 12), pady=(6, 0)
            )
            field_input = input_class(prop)(
                self, name, prop, self.schema, required=name in required, glossary=self.glossary
            )
            field_input.widget.grid(row=row, column=1, sticky="we", pady=(4, 0))
            if prop.get("readOnly"):
                field_input.set_enabled(False)
            error = ttk.Label(self, text="", bootstyle="danger")
            error.grid(row=row + 1, column=1, sticky="w")
            error.grid_remove()
            self.inputs[name] = field_input
            self.error_labels[name] = error
            row += 2

    # -- values ---------------------------------------------------------------------

    def get_values(self) -> dict[str, Any]:
        """The filled fields, as JSON values."""
        values = {}
        for name, field_input in self.inputs.items():
            value = field_input.get()
            if value is not MISSING:
                values[name] = value
        return values

    def changed_values(self) -> dict[str, Any]:
        """What differs from the values the form was opened with; a cleared field is None."""
        current = self.get_values()
        changed = {k: v for k, v in current.items() if self.original.get(k) != v}
        for name in self.inputs:
            if name not in current and self.original.get(name) not in (None, "", []):
                changed[name] = None
        return changed

    def merged_values(self) -> dict[str, Any]:
        """The full set of fields the case would have after saving (unknown fields kept)."""
        merged = {k: v for k, v in self.original.items() if k not in self.inputs}
        merged.update(self.get_values())
        return merged

    def set_values(self, values: dict[str, Any]) -> None:
        for name, field_input in self.inputs.items():
            field_input.set(values.get(name))

    def reset_original(self, values: dict[str, Any]) -> None:
        self.original = dict(values)
        self.set_values(self.original)

    # -- problems ---------------------------------------------------------------------

    def clear_problems(self) -> None:
        self.form_error.configure(text="")
        self.form_error.grid_remove()
        for label in self.error_labels.values():
            label.configure(text="")
            label.grid_remove()

    def show_problems(self, problems: list[Problem]) -> None:
        """Put each message under its field; the others (whole-case ones) on top."""
        self.clear_problems()
        general: list[str] = []
        per_field: dict[str, list[str]] = {}
        for problem in problems:
            head = str(problem.field or "").split(".")[0].split("[")[0].lstrip("/")
            bucket = per_field.setdefault(head, []) if head in self.error_labels else general
            if problem.message not in bucket:
                bucket.append(problem.message)
        for name, messages in per_field.items():
            self.error_labels[name].configure(text="；".join(messages))
            self.error_labels[name].grid()
        if general:
            self.form_error.configure(text="\n".join(general))
            self.form_error.grid()
        first = next(iter(per_field), None)
        if first:
            self.inputs[first].focus()

    def problem_text(self, name: str) -> str:
        """The message shown under a field ("" when none)."""
        label = self.error_labels.get(name)
        return str(label.cget("text")) if label is not None else ""
