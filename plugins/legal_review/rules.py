"""Legal review 法制审核 rules (seed 004) as pure functions over one case.

Each rule looks at a case as of a moment and returns at most one :class:`Finding`. The host
gives findings stable ids, scores the case (100 minus the points of the open findings) and
records the result; a legal officer rectifies findings (整改/销号) through the host.
Stations add their own rules as plugins implementing ``review_case``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from casebook import Finding
from casebook.clock import parse_datetime
from casebook.i18n import gettext_for

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

# Default deductions and severities. Timeliness rules feed the "efficiency" of points.
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "missing_elements": {"enabled": True, "points": 10},
    "no_receipt": {"enabled": True, "points": 10},
    "acceptance_overdue": {"enabled": True, "points": 15},
    "filing_overdue": {"enabled": True, "points": 20},
    "callback_missed": {"enabled": True, "points": 5},
    "not_accepted_without_reason": {"enabled": True, "points": 20},
    "not_filed_without_reason": {"enabled": True, "points": 20},
    "not_truthfully_registered": {"enabled": True, "points": 15},
    "evidence_missing": {"enabled": True, "points": 10},
    "footage_missing": {"enabled": False, "points": 5},
}
SEVERITY = {
    "missing_elements": "warning",
    "no_receipt": "warning",
    "acceptance_overdue": "error",
    "filing_overdue": "error",
    "callback_missed": "warning",
    "not_accepted_without_reason": "error",
    "not_filed_without_reason": "error",
    "not_truthfully_registered": "error",
    "evidence_missing": "warning",
    "footage_missing": "warning",
}
TIMELINESS_RULES = frozenset(
    {
        "acceptance_overdue",
        "filing_overdue",
        "callback_missed",
        "ledger_missing",
        "diversion_overdue",
    }
)
DEFAULT_REQUIRED_ELEMENTS: dict[str, list[str]] = {
    "incident": ["reported_at", "channel", "category", "location", "summary", "reporter_name"],
    "missing_person": [
        "name",
        "gender",
        "age",
        "description",
        "last_seen_at",
        "last_seen_place",
        "cause",
        "reporter_name",
        "reporter_phone",
        "reporter_relationship",
        "how_known",
    ],
}
IN_PERSON_CHANNELS = ("walk_in", "self_service")
DECIDED_STATUSES = frozenset(
    {
        "accepted",
        "not_accepted",
        "filed",
        "not_filed",
        "handled",
        "diverted",
        "transferred",
        "closed",
    }
)
ACCEPTED_STATUSES = frozenset({"accepted", "filed", "not_filed"})
FILING_DEADLINES = (3, 7, 30)


@dataclass
class ReviewSettings:
    """The station's review settings (defaults from seed 004 and the issue)."""

    rules: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {name: dict(rule) for name, rule in DEFAULT_RULES.items()}
    )
    acceptance_hours: int = 24
    filing_deadline_days: int = 3
    callback_grace_hours: int = 24
    required_elements: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_REQUIRED_ELEMENTS.items()}
    )

    def enabled(self, rule: str) -> bool:
        return bool(self.rules.get(rule, DEFAULT_RULES.get(rule, {})).get("enabled", True))

    def points(self, rule: str) -> int:
        return int(self.rules.get(rule, DEFAULT_RULES.get(rule, {})).get("points", 0))


def field_time(case: Any, name: str) -> datetime | None:
    try:
        return parse_datetime(case.fields.get(name))
    except (TypeError, ValueError):
        return None


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def finding(
    rule: str, message: str, settings: ReviewSettings, since: datetime | None = None
) -> Finding:
    """A finding of ``rule``; a timeliness rule's is ``overdue`` (a missed deadline stays
    missed whatever the data later says), raised ``since`` its deadline."""
    return Finding(
        rule=rule,
        severity=SEVERITY.get(rule, "warning"),
        message=message,
        points=settings.points(rule),
        overdue=rule in TIMELINESS_RULES,
        since=since.isoformat() if since is not None else "",
    )


def hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


# --- the rules ------------------------------------------------------------------------


def missing_elements(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """全要素记录: every required intake element of the case type is present."""
    required = settings.required_elements.get(case.type, [])
    absent = [name for name in required if is_blank(case.fields.get(name))]
    if not absent:
        return []
    return [
        finding(
            "missing_elements",
            _("Intake elements missing: {fields}.").format(fields=", ".join(absent)),
            settings,
        )
    ]


def no_receipt(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """A report made in person (walk-in, self-service) must get a receipt 回执单."""
    if case.fields.get("channel") not in IN_PERSON_CHANNELS or case.fields.get("receipt_issued"):
        return []
    return [
        finding(
            "no_receipt",
            _("Reported in person but no receipt (案(事)件接报回执单) was issued."),
            settings,
        )
    ]


def acceptance_decided(case: Any) -> bool:
    fields = case.fields
    return bool(
        fields.get("accepted_at")
        or fields.get("acceptance_decision")
        or fields.get("disposition")
        or case.status in DECIDED_STATUSES
    )


def acceptance_overdue(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """A criminal or administrative report needs an acceptance decision (受案 or 不予受案)
    within ``acceptance_hours``; a late decision is a finding too."""
    if case.fields.get("category") not in ("criminal", "administrative"):
        return []
    reported_at = field_time(case, "reported_at")
    if reported_at is None:
        return []
    limit = timedelta(hours=settings.acceptance_hours)
    accepted_at = field_time(case, "accepted_at")
    if accepted_at is not None:
        late = accepted_at - reported_at - limit
        if late <= timedelta(0):
            return []
        message = _("Acceptance decided {hours} hours after the {limit}-hour limit.")
        return [
            finding(
                "acceptance_overdue",
                message.format(hours=hours(late), limit=settings.acceptance_hours),
                settings,
                since=reported_at + limit,
            )
        ]
    if acceptance_decided(case) or at <= reported_at + limit:
        return []
    message = _("No acceptance decision {limit} hours after the report (overdue by {hours} hours).")
    return [
        finding(
            "acceptance_overdue",
            message.format(limit=settings.acceptance_hours, hours=hours(at - reported_at - limit)),
            settings,
            since=reported_at + limit,
        )
    ]


def is_accepted(case: Any) -> bool:
    fields = case.fields
    if fields.get("acceptance_decision") == "not_accepted" or case.status == "not_accepted":
        return False
    return bool(
        fields.get("accepted_at")
        or fields.get("acceptance_decision") == "accepted"
        or fields.get("disposition") == "accepted"
        or fields.get("filing_decision")
        or case.status in ACCEPTED_STATUSES
    )


def filing_overdue(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """An accepted criminal case needs a filing decision (立案 or 不予立案) within
    ``filing_deadline_days`` (3 by default; 7 or 30 where the law allows)."""
    if case.fields.get("category") != "criminal" or not is_accepted(case):
        return []
    start = field_time(case, "accepted_at") or field_time(case, "reported_at")
    if start is None:
        return []
    deadline = start + timedelta(days=settings.filing_deadline_days)
    decided_at = field_time(case, "filing_decided_at")
    decided = case.fields.get("filing_decision") or case.status in ("filed", "not_filed")
    if decided_at is not None:
        if decided_at <= deadline:
            return []
        message = _("Filing decided {days} days after acceptance; the limit is {limit} days.")
        days = round((decided_at - start).total_seconds() / 86400, 1)
        return [
            finding(
                "filing_overdue",
                message.format(days=days, limit=settings.filing_deadline_days),
                settings,
                since=deadline,
            )
        ]
    if decided or at <= deadline:
        return []
    message = _("Accepted criminal case with no filing decision after {limit} days.")
    return [
        finding(
            "filing_overdue",
            message.format(limit=settings.filing_deadline_days),
            settings,
            since=deadline,
        )
    ]


def callback_missed(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """A callback overdue by more than ``callback_grace_hours``.

    :param tasks: the case's pending tasks as of ``at`` (``context.tasks(at, case_id=...)``).
    """
    grace = settings.callback_grace_hours * 3600
    missed = [
        task
        for task in tasks
        if task.kind == "callback" and task.status == "overdue" and task.overdue_seconds > grace
    ]
    if not missed:
        return []
    worst = max(missed, key=lambda task: task.overdue_seconds)
    first_due = parse_datetime(worst.due_at)
    message = _("{count} callback(s) overdue by more than {grace} hours (longest {hours} hours).")
    return [
        finding(
            "callback_missed",
            message.format(
                count=len(missed),
                grace=settings.callback_grace_hours,
                hours=round(worst.overdue_seconds / 3600, 1),
            ),
            settings,
            since=first_due + timedelta(seconds=grace) if first_due else None,
        )
    ]


def not_accepted_without_reason(
    case: Any, at: datetime, settings: ReviewSettings, tasks: list
) -> list:
    """应受不受: a refusal to accept must give its reason, so the legal officer can check it."""
    refused = (
        case.fields.get("acceptance_decision") == "not_accepted" or case.status == "not_accepted"
    )
    if not refused or not is_blank(case.fields.get("not_accepted_reason")):
        return []
    return [
        finding(
            "not_accepted_without_reason",
            _(
                "Not accepted (不予受案) without a recorded reason: check for should-accept-but-did-not (应受不受)."
            ),
            settings,
        )
    ]


def not_filed_without_reason(
    case: Any, at: datetime, settings: ReviewSettings, tasks: list
) -> list:
    """应立不立: a decision not to file must give its reason."""
    refused = case.fields.get("filing_decision") == "not_filed" or case.status == "not_filed"
    if not refused or not is_blank(case.fields.get("not_filed_reason")):
        return []
    return [
        finding(
            "not_filed_without_reason",
            _(
                "Not filed (不予立案) without a recorded reason: check for should-file-but-did-not (应立不立)."
            ),
            settings,
        )
    ]


def not_truthfully_registered(
    case: Any, at: datetime, settings: ReviewSettings, tasks: list
) -> list:
    """未如实登记: a criminal report closed on site or diverted suggests the record
    understates the matter."""
    if case.fields.get("category") != "criminal":
        return []
    if case.fields.get("disposition") not in ("closed_on_site", "diverted"):
        return []
    return [
        finding(
            "not_truthfully_registered",
            _(
                "A criminal matter recorded as closed on site or diverted: check that it was registered truthfully (未如实登记)."
            ),
            settings,
        )
    ]


def evidence_missing(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """A filed case (立案) with no attachment (statement scan, photo, footage)."""
    filed = case.fields.get("filing_decision") == "filed" or case.status == "filed"
    if not filed or case.attachments:
        return []
    return [
        finding(
            "evidence_missing",
            _("Filed case without any evidence attached (statements, photos, footage)."),
            settings,
        )
    ]


def footage_missing(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list:
    """Seed 003: an incident handled by street patrol carries its body-camera footage.
    Off by default: not every station's patrol wears cameras."""
    if case.fields.get("handled_by") != "patrol" or case.attachments:
        return []
    return [
        finding(
            "footage_missing",
            _("Handled by street patrol but no body-camera footage is attached."),
            settings,
        )
    ]


RULES: dict[str, Callable[[Any, datetime, ReviewSettings, list], list[Finding]]] = {
    "missing_elements": missing_elements,
    "no_receipt": no_receipt,
    "acceptance_overdue": acceptance_overdue,
    "filing_overdue": filing_overdue,
    "callback_missed": callback_missed,
    "not_accepted_without_reason": not_accepted_without_reason,
    "not_filed_without_reason": not_filed_without_reason,
    "not_truthfully_registered": not_truthfully_registered,
    "evidence_missing": evidence_missing,
    "footage_missing": footage_missing,
}


def review(case: Any, at: datetime, settings: ReviewSettings, tasks: list) -> list[Finding]:
    """Every enabled rule's findings for one case as of ``at``."""
    if getattr(case, "deleted", False):
        return []
    findings: list[Finding] = []
    for name, rule in RULES.items():
        if settings.enabled(name):
            findings.extend(rule(case, at, settings, tasks))
    return findings
