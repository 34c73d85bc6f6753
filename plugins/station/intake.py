"""Intake checks every case type gets, declared by the case types' schemas.

- a field marked ``"x-id-number": "resident"`` holds a resident ID number: 18 characters
  with a valid birth date and the check digit of GB 11643-1999;
- a date-time field with ``"x-not-before": ["other", ...]`` may not be earlier than those
  fields (last seen <= reported <= accepted; found >= last seen).

Only what a save changes is checked, so a case recorded before these checks (with an old
15-digit number, say) can still be edited.
"""

from __future__ import annotations

import weakref
from datetime import date
from pathlib import Path
from typing import Any

from casebook import NotFoundError, Problem
from casebook.clock import parse_datetime
from casebook.i18n import gettext_for, language

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def resident_id_error(value: str) -> str | None:
    """Why ``value`` is not an 18-digit resident ID number (GB 11643), or None."""
    text = value.strip().upper()
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return _("must be 18 characters: 17 digits and a check digit (0-9 or X)")
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return _("the birth date in it (characters 7 to 14) is not a date")
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK_CHARACTERS[total % 11] != text[17]:
        return _("the check digit does not match (GB 11643)")
    return None


class Declared:
    """What a case type's schema declares for the intake checks."""

    def __init__(self, schema: dict[str, Any]) -> None:
        properties = schema.get("properties") or {}
        self.id_fields = [
            name
            for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("x-id-number") == "resident"
        ]
        self.not_before = {
            name: [str(other) for other in spec["x-not-before"]]
            for name, spec in properties.items()
            if isinstance(spec, dict) and isinstance(spec.get("x-not-before"), list)
        }
        self.labels = schema.get("x-labels") or {}

    def named(self, field: str) -> str:
        label = (self.labels.get(language()) or {}).get(field)
        return f"{field} ({label})" if label and label != field else field


#: Per plugin context (one per notebook), the declarations of each case type.
_declared: weakref.WeakKeyDictionary[Any, dict[str, Declared]] = weakref.WeakKeyDictionary()


def declared(context: Any, case_type: str) -> Declared:
    types = _declared.setdefault(context, {})
    if case_type not in types:
        schema = context.case_types().get(case_type) or {}
        types[case_type] = Declared(schema)
    return types[case_type]


def stored_fields(context: Any, case: Any) -> dict[str, Any]:
    """The case's fields before this save ({} for a new case)."""
    if not case.id:
        return {}
    try:
        return dict(context.get_case(case.id).fields)
    except NotFoundError:
        return {}


def problems(context: Any, case: Any) -> list[Problem]:
    """Intake problems with what this save changes, each naming its field."""
    marks = declared(context, case.type)
    if not marks.id_fields and not marks.not_before:
        return []
    fields = case.fields
    before = None
    found: list[Problem] = []

    def changed(*names: str) -> bool:
        nonlocal before
        if before is None:
            before = stored_fields(context, case)
        return any(fields.get(name) != before.get(name) for name in names)

    for name in marks.id_fields:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            # Checked first, so a bulk import of valid numbers never reads the store.
            error = resident_id_error(value)
            if error and changed(name):
                found.append(
                    Problem(
                        name,
                        _("{field}: not a valid resident ID number: {reason}").format(
                            field=marks.named(name), reason=error
                        ),
                        "format",
                    )
                )
    for name, earlier_names in marks.not_before.items():
        moment = moment_of(fields.get(name))
        if moment is None:
            continue
        for earlier_name in earlier_names:
            earlier = moment_of(fields.get(earlier_name))
            if earlier is not None and moment < earlier and changed(name, earlier_name):
                found.append(
                    Problem(
                        name,
                        _("{field}: must not be earlier than {other}").format(
                            field=marks.named(name), other=marks.named(earlier_name)
                        ),
                        "order",
                    )
                )
                break
    return found


def moment_of(value: Any) -> Any:
    try:
        return parse_datetime(value)
    except (TypeError, ValueError):
        return None
