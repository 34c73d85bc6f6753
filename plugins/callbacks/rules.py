"""Satisfaction callbacks 回访 (seeds 002 and 004) as pure functions over cases.

Every walk-in or self-service report gets a satisfaction callback; key categories
(frequent callers, vice, many people, youth, domestic violence) get a second one; a
dissatisfied callback, from any plugin, opens a follow-up task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from casebook import TaskSpec
from casebook.clock import format_datetime, parse_datetime
from casebook.i18n import gettext_for

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

KEY_FLAGS = ("frequent_caller", "vice", "mass", "youth", "domestic_violence")
SATISFACTION_LEVELS = ("satisfied", "basically_satisfied", "dissatisfied")
#: Case types whose own plugin calls the reporter back on a schedule that asks the same
#: satisfaction question (the missing-persons family callbacks): a satisfaction callback on
#: top would call the same family twice.
OWN_CALLBACK_TYPES = frozenset({"missing_person"})

CALLBACK_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reached": {"type": "boolean"},
        "handled": {"type": "boolean"},
        "satisfaction": {"enum": list(SATISFACTION_LEVELS)},
        "comment": {"type": "string"},
        "called_at": {"type": "string", "format": "date-time"},
    },
    "required": ["reached"],
    # A reached person always gives a level of satisfaction, or the call does not count.
    "if": {"properties": {"reached": {"const": True}}, "required": ["reached"]},
    "then": {"required": ["reached", "satisfaction"]},
}
#: The name under which this plugin registers the callback outcome schema for every plugin
#: that plans callbacks (missing persons, diversion): one schema, owned here.
CALLBACK_OUTCOME_SCHEMA_NAME = "callbacks.callback"
FOLLOW_UP_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resolved": {"type": "boolean"},
        "action": {"type": "string"},
        "comment": {"type": "string"},
    },
}


@dataclass
class CallbackSettings:
    """The station's satisfaction-callback settings (defaults from seeds 002 and 004)."""

    channels: list[str] = field(default_factory=lambda: ["walk_in", "self_service"])
    first_days: int = 3
    second_days: int = 7
    key_flags: list[str] = field(default_factory=lambda: list(KEY_FLAGS))
    follow_up_days: int = 1
    #: How many more times an unreached callback is tried, and how many hours apart.
    retry_attempts: int = 2
    retry_hours: int = 24


def field_time(case: Any, name: str) -> datetime | None:
    try:
        return parse_datetime(case.fields.get(name))
    except (TypeError, ValueError):
        return None


def entry_time(entry: Any) -> datetime | None:
    """When a callback was made: ``called_at`` in its data (for callbacks recorded later or
    imported), else when the entry was recorded."""
    try:
        return parse_datetime((entry.data or {}).get("called_at") or entry.created_at)
    except (TypeError, ValueError):
        return None


def callback_entries(case: Any) -> list[Any]:
    """The callbacks recorded on a case (kind ``callback``, not deleted)."""
    return [e for e in case.entries if e.kind == "callback" and not e.deleted]


def satisfaction_tasks(case: Any, settings: CallbackSettings) -> list[TaskSpec]:
    """The satisfaction callback(s) a report is owed.

    The first for reports made in person (walk-in, self-service terminal), the second for
    reports in a key category, whatever the channel.
    """
    if getattr(case, "deleted", False) or case.type in OWN_CALLBACK_TYPES:
        return []
    reported_at = field_time(case, "reported_at")
    if reported_at is None:
        return []
    name = case.fields.get("reporter_name") or case.title
    data = {
        "reporter_name": case.fields.get("reporter_name", ""),
        "reporter_phone": case.fields.get("reporter_phone", ""),
    }
    tasks = []
    if case.fields.get("channel") in settings.channels and settings.first_days > 0:
        tasks.append(
            TaskSpec(
                key="satisfaction-1",
                kind="callback",
                due_at=format_datetime(reported_at + timedelta(days=settings.first_days)),
                title=_("Satisfaction callback (回访) to {name}").format(name=name),
                data={**data, "round": 1},
                outcome_schema=CALLBACK_OUTCOME_SCHEMA_NAME,
            )
        )
    flags = [flag for flag in case.fields.get("key_flags") or [] if flag in settings.key_flags]
    if flags and settings.second_days > 0:
        tasks.append(
            TaskSpec(
                key="satisfaction-2",
                kind="callback",
                due_at=format_datetime(reported_at + timedelta(days=settings.second_days)),
                title=_("Second callback (key category) to {name}").format(name=name),
                data={**data, "round": 2, "key_flags": flags},
                outcome_schema=CALLBACK_OUTCOME_SCHEMA_NAME,
            )
        )
    return tasks


def follow_up_tasks(case: Any, settings: CallbackSettings) -> list[TaskSpec]:
    """A follow-up for each dissatisfied callback on the case (from any plugin)."""
    tasks = []
    for entry in callback_entries(case):
        if (entry.data or {}).get("satisfaction") != "dissatisfied":
            continue
        recorded = entry_time(entry)
        if recorded is None:
            continue
        comment = (entry.data or {}).get("comment") or entry.text or ""
        tasks.append(
            TaskSpec(
                key=f"follow-up-{entry.id}",
                kind="follow_up",
                due_at=format_datetime(recorded + timedelta(days=settings.follow_up_days)),
                title=_("Follow up a dissatisfied callback: {comment}").format(comment=comment),
                data={"entry_id": entry.id, "callback_task_id": entry.data.get("task_id", "")},
                outcome_schema=FOLLOW_UP_OUTCOME_SCHEMA,
            )
        )
    return tasks


def retry_tasks(
    case: Any, settings: CallbackSettings, task_data: Callable[[str], dict[str, Any]]
) -> list[TaskSpec]:
    """Another try for each callback that did not reach the person (from any plugin), up to
    ``retry_attempts`` tries after the first, ``retry_hours`` after the last one.

    A retry is a callback task itself, with the same outcome; its data names the first
    call (``retry_of``: its task id, or its entry id when it was recorded without a task)
    and the ``attempt`` (2 for the first retry).

    :param task_data: the data of a task by id (``{}`` when unknown), to follow a chain.
    """
    if settings.retry_attempts <= 0 or getattr(case, "deleted", False):
        return []
    attempts: dict[str, int] = {}
    last_unreached: dict[str, Any] = {}
    for entry in sorted(callback_entries(case), key=lambda e: e.created_at):
        data = entry.data or {}
        task_id = data.get("task_id")
        planned = task_data(task_id) if task_id else {}
        root = planned.get("retry_of") or task_id or entry.id
        attempt = int(planned.get("attempt") or 1)
        if data.get("reached") is not False:
            # Reached (or an outcome that does not say): the chain ends.
            last_unreached.pop(root, None)
            attempts[root] = settings.retry_attempts + 1
        else:
            attempts[root] = max(attempts.get(root, 0), attempt)
            last_unreached[root] = entry
    tasks = []
    for root, entry in last_unreached.items():
        attempt = attempts[root] + 1
        recorded = entry_time(entry)
        if attempt > settings.retry_attempts + 1 or recorded is None:
            continue
        tasks.append(
            TaskSpec(
                key=f"retry-{root}-{attempt}",
                kind="callback",
                due_at=format_datetime(recorded + timedelta(hours=settings.retry_hours)),
                title=_("Callback, try {attempt}: the person was not reached").format(
                    attempt=attempt
                ),
                data={
                    "retry_of": root,
                    "attempt": attempt,
                    "reporter_name": case.fields.get("reporter_name", ""),
                    "reporter_phone": case.fields.get("reporter_phone", ""),
                },
                outcome_schema=CALLBACK_OUTCOME_SCHEMA_NAME,
            )
        )
    return tasks


def schedule(
    case: Any,
    settings: CallbackSettings,
    task_data: Callable[[str], dict[str, Any]] = lambda task_id: {},
) -> list[TaskSpec]:
    """Every callback task the plugin wants for a case now.

    :param task_data: as for :func:`retry_tasks`.
    """
    return (
        satisfaction_tasks(case, settings)
        + follow_up_tasks(case, settings)
        + retry_tasks(case, settings, task_data)
    )


def satisfaction_counts(
    cases: Iterable[Any], start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    """Recorded callbacks in the period (by when recorded): done, valid (reached) and each
    level.

    A valid call reached the person and recorded a level of satisfaction, as the callback
    outcome schema requires. Outcomes recorded before every callback used that schema (the
    missing-persons and diversion callbacks had a weaker copy) may say ``reached`` with no
    level: they count as done and as ``reached_without_level``, never as valid calls, so
    the rates' denominator is always the sum of the three levels.
    """
    counts = {"callbacks_done": 0, "reached": 0, "handled": 0, "reached_without_level": 0}
    counts.update({level: 0 for level in SATISFACTION_LEVELS})
    for case in cases:
        for entry in callback_entries(case):
            recorded = entry_time(entry)
            if recorded is not None and (
                (start is not None and recorded < start) or (end is not None and recorded > end)
            ):
                continue
            data = entry.data or {}
            counts["callbacks_done"] += 1
            if not data.get("reached"):
                continue
            level = data.get("satisfaction")
            if is_valid_call(data):
                counts["reached"] += 1
                counts["handled"] += bool(data.get("handled"))
                counts[level] += 1
            else:
                counts["reached_without_level"] += 1
    return counts


def is_valid_call(data: dict[str, Any]) -> bool:
    """A callback that reached the person and recorded a level of satisfaction."""
    return bool(data.get("reached")) and data.get("satisfaction") in SATISFACTION_LEVELS
