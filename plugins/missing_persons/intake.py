"""One file per person (一人一档): a new file that may be a second one for the same person
is refused until the officer confirms it, and the confirmation links the two files.

A possible duplicate has the same ID number as another file, or the same name and age in
the same area, reported within ``missing_persons.duplicate_window_days`` of it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from casebook import NotFoundError, Problem
from casebook.i18n import gettext_for

from .rules import CASE_TYPE, field_time

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

LINK_FIELD = "duplicate_of"
IDENTITY_FIELDS = ("id_number", "name", "age", "area", "reported_at")
#: How many search hits to look at for each key (an ID number or a name).
CANDIDATES = 200


def stored(context: Any, case: Any) -> Any:
    if not case.id:
        return None
    try:
        return context.get_case(case.id)
    except NotFoundError:
        return None


def same_person(case: Any, other: Any, window_days: int) -> bool:
    """Whether ``other`` may be a file for the same person as ``case``."""
    mine, theirs = case.fields, other.fields
    id_number = str(mine.get("id_number") or "").strip().upper()
    if id_number and id_number == str(theirs.get("id_number") or "").strip().upper():
        return True
    if window_days <= 0:
        return False
    area = str(mine.get("area") or "").strip()
    if not area or area != str(theirs.get("area") or "").strip():
        return False
    if mine.get("name") != theirs.get("name") or mine.get("age") != theirs.get("age"):
        return False
    if not isinstance(mine.get("age"), int):
        return False
    reported, other_reported = field_time(case, "reported_at"), field_time(other, "reported_at")
    if reported is None or other_reported is None:
        return False
    return abs(reported - other_reported) <= timedelta(days=window_days)


def possible_duplicates(context: Any, case: Any, window_days: int) -> list[Any]:
    """Other live missing-person files that may be for the same person, oldest first."""
    keys = [str(case.fields.get("id_number") or "").strip(), str(case.fields.get("name") or "")]
    seen: set[str] = {case.id} if case.id else set()
    found = []
    for key in filter(None, keys):
        for summary in context.search(key, limit=CANDIDATES):
            if summary.type != CASE_TYPE or summary.id in seen:
                continue
            seen.add(summary.id)
            other = context.get_case(summary.id)
            if not other.deleted and same_person(case, other, window_days):
                found.append(other)
    found.sort(key=lambda other: other.created_at)
    return found


def duplicate_problems(
    context: Any, case: Any, window_days: int, before: Any = None
) -> list[Problem]:
    """A possible second file for the same person not yet confirmed (listed in
    ``duplicate_of``): refused, with the confirmation that links the files.

    :param before: the case as stored (None for a new one).
    """
    if before is not None and all(
        case.fields.get(name) == before.fields.get(name) for name in IDENTITY_FIELDS
    ):
        return []
    linked = set(case.fields.get(LINK_FIELD) or [])
    others = [
        other for other in possible_duplicates(context, case, window_days) if other.id not in linked
    ]
    if not others:
        return []
    described = "、".join(
        _("{title} (case {id}, reported {reported})").format(
            title=other.title,
            id=other.id,
            reported=str(other.fields.get("reported_at", ""))[:10],
        )
        for other in others
    )
    return [
        Problem(
            LINK_FIELD,
            _(
                "{field}: this may be the same person as {others} (一人一档). Confirm to keep "
                "a second file linked to it (--confirm-duplicate)."
            ).format(field=_("duplicate_of (other files of the same person)"), others=described),
            "duplicate",
            confirm={LINK_FIELD: [other.id for other in others]},
        )
    ]
