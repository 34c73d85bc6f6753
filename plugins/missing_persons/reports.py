"""Missing-person reports: recovery (找回率) and the case manager's daily summary (专管员)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from casebook import Report
from casebook.clock import now
from casebook.i18n import gettext_for

from .rules import (
    CASE_TYPE,
    OUTCOMES,
    derived_vulnerable,
    effective_risk,
    end_of_day,
    field_time,
    is_found,
    is_resolved,
)

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

VULNERABLE_GROUPS = ("minor", "student", "elderly", "disability", "mental_illness")
RISK_LABELS = {"urgent": "Urgent", "general": "General"}
GROUP_LABELS = {
    "minor": "Minor",
    "student": "Student",
    "elderly": "Elderly",
    "disability": "Disability",
    "mental_illness": "Mental illness",
}


def rate(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places (0.998 is 99.8%), 0.0 for an empty whole."""
    return round(part / whole, 4) if whole else 0.0


def in_period(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment <= end)


def recovery(cases: list[Any], start: datetime | None, end: datetime | None) -> Report:
    """Reported, found, rate, found within 24 h, by vulnerable group and by month.

    A person counts as found with an outcome of found safe or found harmed (or a
    ``found_at`` before any outcome is recorded); deceased, transferred and closed unfound
    are counted beside it, never in the rate. The period selects cases by ``reported_at``.
    """
    reported = found = within_day = missing = 0
    outcomes: Counter = Counter()
    groups: dict[str, Counter] = {group: Counter() for group in VULNERABLE_GROUPS}
    months: dict[str, Counter] = defaultdict(Counter)
    years: Counter = Counter()
    causes: Counter = Counter()
    for case in cases:
        if case.type != CASE_TYPE or getattr(case, "deleted", False):
            continue
        reported_at = field_time(case, "reported_at")
        if not in_period(reported_at, start, end):
            continue
        years[reported_at.strftime("%Y")] += 1
        causes[case.fields.get("cause") or "unknown"] += 1
        is_back = is_found(case)
        found_at = field_time(case, "found_at")
        reported += 1
        found += is_back
        missing += not is_resolved(case)
        outcome = case.fields.get("outcome")
        if outcome:
            outcomes[outcome] += 1
        elif is_resolved(case):
            outcomes["none"] += 1  # closed before outcomes were required
        quick = is_back and bool(
            found_at and reported_at and found_at - reported_at <= timedelta(hours=24)
        )
        within_day += quick
        month = reported_at.strftime("%Y-%m")
        months[month]["reported"] += 1
        months[month]["found"] += is_back
        for group in derived_vulnerable(case.fields):
            if group in groups:
                groups[group]["reported"] += 1
                groups[group]["found"] += is_back
    by_group = {
        group: {
            "reported": counts["reported"],
            "found": counts["found"],
            "rate": rate(counts["found"], counts["reported"]),
        }
        for group, counts in groups.items()
        if counts["reported"]
    }
    summary: dict[str, Any] = {
        "reported": reported,
        "found": found,
        "rate": rate(found, reported),
        "found_within_24h": within_day,
        "share_within_24h": rate(within_day, reported),
        # Still missing: no outcome yet (found, deceased, transferred, closed unfound).
        "unresolved": missing,
        "deceased": outcomes["deceased"],
        "transferred": outcomes["transferred"],
        "closed_unfound": outcomes["closed_unfound"],
        # Closed before an outcome was required: neither found nor missing.
        "closed_without_outcome": outcomes["none"],
        "by_outcome": {outcome: outcomes[outcome] for outcome in OUTCOMES},
        "by_group": by_group,
        # Seed 000 counts alerts per year (60 in 2016, 93 in 2017) and their causes.
        "by_year": dict(sorted(years.items())),
        "by_cause": dict(sorted(causes.items())),
    }
    rows = [
        [month, counts["reported"], counts["found"], rate(counts["found"], counts["reported"])]
        for month, counts in sorted(months.items())
    ]
    return Report(
        name="recovery",
        title=_("Missing persons: recovery rate"),
        summary=summary,
        columns=[_("Month"), _("Reported"), _("Found"), _("Rate")],
        rows=rows,
        charts=[{"title": _("Reported and found by month"), "x": 0, "y": [1, 2]}],
    )


def daily(
    cases: list[Any],
    tasks: list[Any],
    alerts: list[Any],
    at: datetime,
    officer_names: dict[str, str] | None = None,
) -> Report:
    """The case manager's daily summary (专管员每日汇总) of missing-person cases as of ``at``.

    :param tasks: pending tasks as of ``at`` (``context.tasks(at)``).
    :param alerts: alerts as of ``at`` (``context.alerts(at)``).
    :param officer_names: the station roster (``context.officer_names()``), to show each
        case's responsible officer by name.
    """
    names = officer_names or {}
    day_start = at.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = end_of_day(at)
    ours = [
        case
        for case in cases
        if case.type == CASE_TYPE
        and not getattr(case, "deleted", False)
        and (field_time(case, "reported_at") or day_end) <= day_end
    ]
    ids = {case.id for case in ours}
    new = [case for case in ours if in_period(field_time(case, "reported_at"), day_start, day_end)]
    unresolved = [case for case in ours if not is_resolved(case, day_end)]
    our_tasks = [task for task in tasks if task.case_id in ids]
    due_today = [task for task in our_tasks if task.status == "due"]
    overdue = [task for task in our_tasks if task.status == "overdue"]
    our_alerts = [alert for alert in alerts if set(alert.case_ids) & ids]
    by_case = defaultdict(lambda: Counter())
    for task in our_tasks:
        by_case[task.case_id][task.status] += 1

    def priority(case: Any) -> tuple:
        # Urgent first, then vulnerable groups, then the longest missing.
        return (
            effective_risk(case.fields) != "urgent",
            not derived_vulnerable(case.fields),
            field_time(case, "reported_at") or day_end,
        )

    rows = []
    for case in sorted(unresolved, key=priority):
        reported_at = field_time(case, "reported_at") or day_end
        groups = derived_vulnerable(case.fields)
        rows.append(
            [
                case.title or case.fields.get("name", ""),
                reported_at.strftime("%Y-%m-%d %H:%M"),
                _(RISK_LABELS[effective_risk(case.fields)]),
                "、".join(_(GROUP_LABELS.get(group, group)) for group in groups),
                (day_end - reported_at).days,
                by_case[case.id]["due"],
                by_case[case.id]["overdue"],
                len([e for e in case.entries if e.kind == "ledger" and not e.deleted]),
                responsible_officer(case, names),
            ]
        )
    summary = {
        "date": at.date().isoformat(),
        "new": len(new),
        "unresolved": len(unresolved),
        "due_today": len(due_today),
        "overdue": len(overdue),
        "alerts": len(our_alerts),
        "alert_messages": [alert.message for alert in our_alerts],
    }
    return Report(
        name="daily",
        title=_("Missing persons: daily summary for the case manager"),
        summary=summary,
        columns=[
            _("Name"),
            _("Reported at"),
            _("Risk"),
            _("Vulnerable groups"),
            _("Days missing"),
            _("Tasks due today"),
            _("Tasks overdue"),
            _("Ledger entries"),
            _("Responsible officer"),
        ],
        rows=rows,
    )


def responsible_officer(case: Any, names: dict[str, str]) -> str:
    """The officer responsible for a case (its creator until a handover), by roster name."""
    officer_id = getattr(case, "responsible_officer_id", "") or case.officer_id
    name = names.get(officer_id)
    return f"{name}（{officer_id}）" if name and name != officer_id else officer_id


def daily_moment(start: datetime | None, end: datetime | None) -> datetime:
    """The day a daily summary is about: ``end`` if given, else ``start``, else now."""
    return end or start or now()
