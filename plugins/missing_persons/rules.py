"""The missing-person rules (seeds 000 and 001) as pure functions over cases.

Nothing here touches the store: the functions take a case (anything with ``id``, ``title``,
``status``, ``fields`` and ``entries``), the moment to evaluate and the station's settings,
and return what the host should record. That keeps every rule testable without a notebook.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from casebook import Alert, Finding, Problem, TaskSpec
from casebook.clock import format_datetime, parse_datetime
from casebook.i18n import gettext_for

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

CASE_TYPE = "missing_person"

# Seed 000 (Wuxi Wangzhuang station) and seed 001 (Pingxiang city).
CALLBACK_PRESETS: dict[str, list[str]] = {
    "wuxi": ["24h", "3d", "7d", "15d", "30d", "60d", "90d"],
    "pingxiang": ["3d", "7d", "30d", "60d", "90d"],
}
URGENT_CAUSES = frozenset({"suicide_risk", "abduction"})
VULNERABLE_GROUPS = ("minor", "student", "elderly", "disability", "mental_illness")

# How a missing-person case ends (docs/workflows.md, "Outcomes").
OUTCOMES = ("found_safe", "found_harmed", "deceased", "transferred", "closed_unfound")
#: The outcomes that count as found in the recovery rate.
FOUND_OUTCOMES = frozenset({"found_safe", "found_harmed"})
#: The outcomes that tell what became of the person: they end the alert of a cause unknown.
FATE_KNOWN_OUTCOMES = frozenset({"found_safe", "found_harmed", "deceased", "transferred"})
#: Case statuses that end the file, and therefore need an outcome.
CLOSING_STATUSES = ("closed", "transferred")
OFFSET_PATTERN = r"^[1-9][0-9]{0,3}[hd]$"

#: The callback outcome schema is owned by the callbacks plugin, which registers it under this
#: name (``register_outcome_schemas``); the host resolves the name for each task.
CALLBACK_OUTCOME_SCHEMA = "callbacks.callback"
NOTE_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"note": {"type": "string"}, "comment": {"type": "string"}},
}
LEDGER_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"measure": {"type": "string", "minLength": 1}, "note": {"type": "string"}},
}


@dataclass
class MissingPersonSettings:
    """The station's settings for missing persons (defaults from the articles)."""

    callback_schedule: list[str] = field(default_factory=lambda: list(CALLBACK_PRESETS["wuxi"]))
    supervision_days: int = 1
    report_days: int = 3
    analysis_days: int = 7
    review_days: int = 30
    dna_days: int = 30
    investigation_after_months: int = 3
    cluster_count: int = 3
    cluster_days: int = 30
    cluster_by: list[str] = field(default_factory=lambda: ["area", "school"])
    ledger_missing_points: int = 10
    elderly_age: int = 60
    #: Vulnerable groups that put a case on the urgent track (a station setting).
    urgent_groups: list[str] = field(default_factory=lambda: list(VULNERABLE_GROUPS))


# --- small helpers --------------------------------------------------------------------


def parse_offset(text: str) -> timedelta:
    """``"24h"`` or ``"3d"`` as a timedelta.

    :raises ValueError: for anything else.
    """
    match = re.fullmatch(r"([0-9]+)([hd])", text.strip())
    if not match:
        raise ValueError(f"not an offset like 24h or 3d: {text!r}")
    amount = int(match.group(1))
    return timedelta(hours=amount) if match.group(2) == "h" else timedelta(days=amount)


def describe_offset(text: str) -> str:
    """An offset for people: "24 hours", "3 days" (translated)."""
    amount, unit = text[:-1], text[-1]
    return (_("{n} hours") if unit == "h" else _("{n} days")).format(n=amount)


def resolve_schedule(value: str | list[str]) -> list[str]:
    """A callback schedule setting (a preset name or a list of offsets) as offsets."""
    if isinstance(value, str):
        return list(CALLBACK_PRESETS.get(value, CALLBACK_PRESETS["wuxi"]))
    return [str(item) for item in value]


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (clamped to the month's last day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def end_of_day(moment: datetime) -> datetime:
    """23:59:59 of the moment's own calendar day, in its own offset."""
    return datetime.combine(moment.date(), time(23, 59, 59), tzinfo=moment.tzinfo)


def field_time(case: Any, name: str) -> datetime | None:
    """A date-time field of the case, parsed, or None when absent or unreadable."""
    try:
        return parse_datetime(case.fields.get(name))
    except (TypeError, ValueError):
        return None


def live_entries(case: Any, kind: str) -> list[Any]:
    """The case's entries of one kind that are not deleted."""
    return [e for e in getattr(case, "entries", []) or [] if e.kind == kind and not e.deleted]


def effective_risk(fields: dict[str, Any], urgent_groups: Iterable[str] = ()) -> str:
    """``risk`` as recorded, raised to urgent by an urgent cause (suicide risk and abduction:
    the major-incident real-time dispatch track) or by a vulnerable group of
    ``urgent_groups``; else derived from the cause."""
    if fields.get("cause") in URGENT_CAUSES:
        return "urgent"
    if set(derived_vulnerable(fields)) & set(urgent_groups):
        return "urgent"
    if fields.get("risk") in ("urgent", "general"):
        return fields["risk"]
    return "general"


def derived_vulnerable(fields: dict[str, Any], elderly_age: int = 60) -> list[str]:
    """``vulnerable`` with the groups that follow from the other fields added: ``minor``
    under 18 and ``elderly`` from ``elderly_age`` (by ``age``), ``student`` when a
    ``school`` is recorded."""
    groups = list(fields.get("vulnerable") or [])
    age = fields.get("age")
    if isinstance(age, int):
        if age < 18 and "minor" not in groups:
            groups.append("minor")
        if age >= elderly_age and "elderly" not in groups:
            groups.append("elderly")
    if str(fields.get("school") or "").strip() and "student" not in groups:
        groups.append("student")
    return groups


def prepare(
    fields: dict[str, Any], elderly_age: int = 60, urgent_groups: Iterable[str] = ()
) -> None:
    """Fill the derived fields in place: the groups that follow from age and school, and
    ``risk``.

    A derived value never hides an escalation: an urgent cause, or a vulnerable group the
    station puts on the urgent track, makes the case urgent even if it was recorded as
    general before.
    """
    groups = derived_vulnerable(fields, elderly_age)
    if groups != list(fields.get("vulnerable") or []):
        fields["vulnerable"] = groups
    escalated = fields.get("cause") in URGENT_CAUSES or bool(set(groups) & set(urgent_groups))
    if escalated:
        fields["risk"] = "urgent"
    elif fields.get("cause") and not fields.get("risk"):
        fields["risk"] = "general"


def is_found(case: Any, at: datetime | None = None) -> bool:
    """Whether the person counts as found, as of ``at`` if given: an outcome of found safe
    or found harmed, or a ``found_at`` with no outcome yet. Deceased, transferred and closed
    unfound are outcomes, not recoveries.

    A ``found_at`` later than ``at`` does not count yet, so past days can be evaluated.
    """
    outcome = case.fields.get("outcome")
    if outcome and outcome not in FOUND_OUTCOMES:
        return False
    found_at = field_time(case, "found_at")
    if found_at is not None:
        return at is None or found_at <= at
    return bool(outcome)


def is_resolved(case: Any, at: datetime | None = None) -> bool:
    """Whether the search is over, as of ``at`` if given: found, any outcome recorded, or
    the file closed or transferred (a file closed before outcomes were required)."""
    if is_found(case, at):
        return True
    found_at = field_time(case, "found_at")
    if found_at is not None and at is not None and found_at > at:
        return False
    return bool(case.fields.get("outcome")) or case.status in CLOSING_STATUSES


def outcome_problems(case: Any, before: Any = None) -> list[Problem]:
    """A missing-person file is closed or transferred only with an outcome that says what
    became of the person.

    :param before: the case as stored, if it is; a file closed before outcomes were required
        stays editable as it is.
    """
    legacy = (
        before is not None
        and before.status in CLOSING_STATUSES
        and not before.fields.get("outcome")
        and case.status == before.status
    )
    if case.status in CLOSING_STATUSES and not case.fields.get("outcome") and not legacy:
        return [
            Problem(
                "outcome",
                _(
                    "outcome: closing a missing-person case needs an outcome (found safe, "
                    "found harmed, deceased, transferred or closed unfound); set it first"
                ),
                "required",
            )
        ]
    return []


def is_active(case: Any) -> bool:
    return case.type == CASE_TYPE and not getattr(case, "deleted", False)


# --- tasks ----------------------------------------------------------------------------


def callback_tasks(case: Any, settings: MissingPersonSettings) -> list[TaskSpec]:
    """Callbacks to the family at each offset of the schedule after ``reported_at``;
    none once the person is found (pending ones stop)."""
    reported_at = field_time(case, "reported_at")
    if reported_at is None or is_resolved(case):
        return []
    tasks = []
    for offset in settings.callback_schedule:
        due = reported_at + parse_offset(offset)
        tasks.append(
            TaskSpec(
                key=f"callback-{offset}",
                kind="callback",
                due_at=format_datetime(due),
                title=_("Callback to the family of {name} ({offset} after the report)").format(
                    name=case.title or case.fields.get("name", ""), offset=describe_offset(offset)
                ),
                data={
                    "offset": offset,
                    "reporter_name": case.fields.get("reporter_name", ""),
                    "reporter_phone": case.fields.get("reporter_phone", ""),
                },
                outcome_schema=CALLBACK_OUTCOME_SCHEMA,
            )
        )
    return tasks


def cadence_tasks(case: Any, settings: MissingPersonSettings) -> list[TaskSpec]:
    """The fixed cadence of an unresolved case: ledger on day one, daily supervision
    (一天一督), 3-day report (三日报告), 7-day analysis (七日研判), monthly review (每月调度).

    Repeating duties are chains: the next one appears when the previous is done (counted
    from the case's entries of that kind), so a missed day stays visible as overdue.
    """
    reported_at = field_time(case, "reported_at")
    if reported_at is None or is_resolved(case):
        return []
    name = case.title or case.fields.get("name", "")
    day_one = end_of_day(reported_at)
    tasks: list[TaskSpec] = []
    if not live_entries(case, "ledger"):
        tasks.append(
            TaskSpec(
                key="ledger-1",
                kind="ledger",
                due_at=format_datetime(day_one),
                title=_("Ledger (台账): record the search measures for {name}").format(name=name),
                outcome_schema=LEDGER_OUTCOME_SCHEMA,
            )
        )
    if settings.supervision_days > 0:
        done = len(live_entries(case, "supervision"))
        due = day_one + timedelta(days=(done + 1) * settings.supervision_days)
        tasks.append(
            TaskSpec(
                key=f"supervision-{done + 1}",
                kind="supervision",
                due_at=format_datetime(due),
                title=_("Daily supervision (一天一督) of the search for {name}").format(name=name),
                data={"round": done + 1},
                outcome_schema=NOTE_OUTCOME_SCHEMA,
            )
        )
    for days, kind, title in (
        (settings.report_days, "report", _("{days}-day report (三日报告) on {name}")),
        (settings.analysis_days, "analysis", _("{days}-day analysis (七日研判) of {name}")),
    ):
        if days > 0:
            # A chain: every ``days`` while the person is missing. The first keeps the key
            # it had when it happened once, so notebooks written then keep their task ids.
            done = len(live_entries(case, kind))
            key = f"{kind}-{days}d" if done == 0 else f"{kind}-{days}d-{done + 1}"
            tasks.append(
                TaskSpec(
                    key=key,
                    kind=kind,
                    due_at=format_datetime(reported_at + timedelta(days=(done + 1) * days)),
                    title=title.format(days=days, name=name),
                    data={"round": done + 1},
                    outcome_schema=NOTE_OUTCOME_SCHEMA,
                )
            )
    if settings.review_days > 0:
        done = len(live_entries(case, "monthly_review"))
        tasks.append(
            TaskSpec(
                key=f"monthly-review-{done + 1}",
                kind="monthly_review",
                due_at=format_datetime(
                    reported_at + timedelta(days=(done + 1) * settings.review_days)
                ),
                title=_("Monthly review (每月调度) of {name}").format(name=name),
                data={"round": done + 1},
                outcome_schema=NOTE_OUTCOME_SCHEMA,
            )
        )
    if settings.dna_days > 0 and not case.fields.get("dna_sampled"):
        # Long-running cases get DNA sampled from the family (seed 000: one case solved after
        # 35 years); the task stays done once done, even if the field is not ticked.
        tasks.append(
            TaskSpec(
                key="dna-sampling",
                kind="dna_sampling",
                due_at=format_datetime(reported_at + timedelta(days=settings.dna_days)),
                title=_("DNA sampling for the long-running search for {name}").format(name=name),
                outcome_schema=NOTE_OUTCOME_SCHEMA,
            )
        )
    return tasks


def schedule(case: Any, settings: MissingPersonSettings) -> list[TaskSpec]:
    """Every task the plugin wants for a missing-person case now."""
    if not is_active(case):
        return []
    return callback_tasks(case, settings) + cadence_tasks(case, settings)


# --- review ---------------------------------------------------------------------------


def ledger_finding(case: Any, at: datetime, settings: MissingPersonSettings) -> list[Finding]:
    """``ledger_missing``: unresolved at the end of its day and no ledger entry (台账)."""
    if not is_active(case):
        return []
    reported_at = field_time(case, "reported_at")
    if reported_at is None:
        return []
    day_end = end_of_day(reported_at)
    if at <= day_end or is_resolved(case, day_end) or live_entries(case, "ledger"):
        return []
    return [
        Finding(
            rule="ledger_missing",
            severity="warning",
            message=_(
                "Not resolved on the day it was reported, and no ledger entry (台账) records "
                "the search measures."
            ),
            points=settings.ledger_missing_points,
        )
    ]


# --- alerts ---------------------------------------------------------------------------


def investigation_alerts(
    cases: Iterable[Any], at: datetime, settings: MissingPersonSettings
) -> list[Alert]:
    """``investigation`` (立线调查): cause unknown and missing longer than the threshold,
    or signs of harm at any time."""
    alerts = []
    for case in cases:
        if not is_active(case):
            continue
        reported_at = field_time(case, "reported_at")
        last_seen = field_time(case, "last_seen_at") or reported_at
        if reported_at is None or reported_at > at:
            continue
        name = case.title or case.fields.get("name", "")
        outcome = case.fields.get("outcome")
        harmed = case.fields.get("signs_of_harm") or outcome in ("found_harmed", "deceased")
        if harmed:
            # Only handing the case to the investigators ends this alert.
            if outcome == "transferred" or case.status == "transferred":
                continue
            alerts.append(
                Alert(
                    kind="investigation",
                    case_ids=[case.id],
                    message=_(
                        "{name}: signs of harm. Open an investigation (立线调查) and alert the "
                        "leader."
                    ).format(name=name),
                    severity="critical",
                )
            )
            continue
        cause = case.fields.get("cause") or "unknown"
        deadline = add_months(last_seen, settings.investigation_after_months)
        # Closing the file unfound does not end it: only knowing the person's fate does.
        fate_known = is_found(case, at) or outcome in FATE_KNOWN_OUTCOMES
        if cause == "unknown" and not fate_known and at > deadline:
            alerts.append(
                Alert(
                    kind="investigation",
                    case_ids=[case.id],
                    message=_(
                        "{name}: cause unknown and missing for more than {months} months. "
                        "Open an investigation (立线调查) and alert the leader."
                    ).format(name=name, months=settings.investigation_after_months),
                    severity="critical",
                )
            )
    return alerts


def cluster_alerts(
    cases: Iterable[Any], at: datetime, settings: MissingPersonSettings
) -> list[Alert]:
    """``cluster``: at least ``cluster_count`` people reported missing from the same area or
    the same school within the ``cluster_days`` before ``at``; every case is listed."""
    window_start = at - timedelta(days=settings.cluster_days)
    groups: dict[tuple[str, str], list[tuple[datetime, Any]]] = defaultdict(list)
    for case in cases:
        if not is_active(case):
            continue
        reported_at = field_time(case, "reported_at")
        if reported_at is None or not (window_start < reported_at <= at):
            continue
        for key in settings.cluster_by:
            value = str(case.fields.get(key) or "").strip()
            if value:
                groups[(key, value)].append((reported_at, case))
    alerts = []
    for (key, value), members in sorted(groups.items(), key=lambda item: item[0]):
        if len(members) < settings.cluster_count:
            continue
        members.sort(key=lambda member: member[0])
        names = "、".join(case.title or case.fields.get("name", "") for _at, case in members)
        where = _("school") if key == "school" else _("area")
        alerts.append(
            Alert(
                kind="cluster",
                case_ids=[case.id for _at, case in members],
                message=_(
                    "{count} people reported missing from the same {where} \u201c{value}\u201d "
                    "within {days} days: {names}. Consider an investigation (立线调查)."
                ).format(
                    count=len(members),
                    where=where,
                    value=value,
                    days=settings.cluster_days,
                    names=names,
                ),
                severity="critical",
            )
        )
    return alerts


def urgent_alerts(
    cases: Iterable[Any], at: datetime, settings: MissingPersonSettings
) -> list[Alert]:
    """``urgent``: urgent cases (suicide risk, abduction) not yet found."""
    alerts = []
    for case in cases:
        if not is_active(case):
            continue
        reported_at = field_time(case, "reported_at")
        if reported_at is None or reported_at > at or is_resolved(case, at):
            continue
        if effective_risk(case.fields, settings.urgent_groups) != "urgent":
            continue
        alerts.append(
            Alert(
                kind="urgent",
                case_ids=[case.id],
                message=_(
                    "{name}: urgent missing-person case (major-incident real-time dispatch), "
                    "not found yet."
                ).format(name=case.title or case.fields.get("name", "")),
                severity="critical",
            )
        )
    return alerts


def find_alerts(cases: list[Any], at: datetime, settings: MissingPersonSettings) -> list[Alert]:
    """All missing-person alerts as of ``at``."""
    return (
        urgent_alerts(cases, at, settings)
        + investigation_alerts(cases, at, settings)
        + cluster_alerts(cases, at, settings)
    )
