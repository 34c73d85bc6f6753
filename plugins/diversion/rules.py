"""Non-police diversion 非警务警情分流 (seed 002) and on-site handling (seed 003), as pure
functions over incident cases.

A diverted call is tracked until the agency reports completion (办结反馈), then the
reporter gets a callback (回访): "事事有着落", nothing diverted may be lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from casebook import Problem, TaskSpec
from casebook.clock import format_datetime, parse_datetime
from casebook.i18n import gettext_for

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

CASE_TYPE = "incident"
FEEDBACK_KIND = "diversion_feedback"

FEEDBACK_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "completed": {"type": "boolean"},
        "feedback": {"type": "string"},
        "completed_at": {"type": "string"},
    },
    "required": ["completed"],
}
#: The callback outcome schema is owned by the callbacks plugin, which registers it under this
#: name (``register_outcome_schemas``); the host resolves the name for each task.
CALLBACK_OUTCOME_SCHEMA = "callbacks.callback"


@dataclass
class DiversionSettings:
    feedback_days: int = 3
    callback_days: int = 2
    agencies: dict[str, list[str]] = field(default_factory=dict)


def field_time(case: Any, name: str) -> datetime | None:
    try:
        return parse_datetime(case.fields.get(name))
    except (TypeError, ValueError):
        return None


def is_diverted(case: Any) -> bool:
    return case.type == CASE_TYPE and (
        case.fields.get("disposition") == "diverted" or case.status == "diverted"
    )


def feedback_entries(case: Any) -> list[Any]:
    return [e for e in case.entries if e.kind == FEEDBACK_KIND and not e.deleted]


def completion(case: Any) -> Any | None:
    """The feedback entry that reports the agency's completion, if any."""
    for entry in feedback_entries(case):
        if (entry.data or {}).get("completed"):
            return entry
    return None


def schedule(case: Any, settings: DiversionSettings) -> list[TaskSpec]:
    """The feedback task (a new one each time the agency reports "not yet") and, once the
    agency completed, the callback to the reporter."""
    if getattr(case, "deleted", False) or not is_diverted(case):
        return []
    diverted_at = field_time(case, "diverted_at") or field_time(case, "reported_at")
    if diverted_at is None:
        return []
    agency = case.fields.get("diverted_to") or _("the agency")
    done = completion(case)
    not_yet = [e for e in feedback_entries(case) if not (e.data or {}).get("completed")]
    # Each "not yet" answer completed one round; the open (or completing) round is next.
    round_number = len(not_yet) + 1
    tasks = [
        TaskSpec(
            key=f"feedback-{round_number}",
            kind=FEEDBACK_KIND,
            due_at=format_datetime(
                diverted_at + timedelta(days=settings.feedback_days * round_number)
            ),
            title=_("Get the completion feedback of {agency} (办结反馈)").format(agency=agency),
            data={"agency": case.fields.get("diverted_to", ""), "round": round_number},
            outcome_schema=FEEDBACK_OUTCOME_SCHEMA,
        )
    ]
    if done is not None and settings.callback_days > 0:
        completed_at = (
            parse_datetime((done.data or {}).get("completed_at") or done.created_at) or diverted_at
        )
        tasks.append(
            TaskSpec(
                key="diversion-callback",
                kind="callback",
                due_at=format_datetime(completed_at + timedelta(days=settings.callback_days)),
                title=_("Callback to {name} after {agency} completed").format(
                    name=case.fields.get("reporter_name") or case.title, agency=agency
                ),
                data={"agency": case.fields.get("diverted_to", "")},
                outcome_schema=CALLBACK_OUTCOME_SCHEMA,
            )
        )
    return tasks


def validate(case: Any, settings: DiversionSettings) -> list[Problem]:
    """A diverted incident names its agency, one of the station's list when there is one."""
    if not is_diverted(case):
        return []
    agency = (case.fields.get("diverted_to") or "").strip()
    if not agency:
        return [Problem("diverted_to", _("A diverted incident must name the agency."), "required")]
    if settings.agencies and agency not in settings.agencies:
        return [
            Problem(
                "diverted_to",
                _("{agency} is not on the station's list of linkage agencies.").format(
                    agency=agency
                ),
                "unknown_agency",
            )
        ]
    return []
