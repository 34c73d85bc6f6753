"""The printed file of one missing person, 一人一档 (seed 001), kept by the case manager.

It gathers the whole file: the case's fields, every search duty (ledger, supervision,
3-day report, 7-day analysis, monthly review, DNA sampling) with its due time, who did it
and the outcome, every callback to the family, the other timeline records, and the legal
officer's findings with their rectification (整改/销号).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from casebook.clock import now, parse_datetime
from casebook.i18n import gettext_for
from casebook.pdf import ledger_pdf, ledger_section, long_date, mask_id_number, text

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")


#: Outcome keys that describe the task itself, not what was done.
TASK_KEYS = frozenset({"task_id", "task_title", "task_key", "due_at", "called_at"})
#: Fields that must not be printed in full on a paper that leaves the office.
ID_FIELDS = frozenset({"id_number", "reporter_id_number"})


def moment_text(value: Any) -> str:
    try:
        moment = parse_datetime(value)
    except (TypeError, ValueError):
        return str(value or "")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


class Labels:
    """Labels of the case's fields and of every code the file shows, in the user's language,
    from the one vocabulary (``context.vocabulary()``: the case type's ``x-labels`` and
    ``x-enum-labels``, the core's statuses, task states and severities, the plugins' kinds
    and outcome keys)."""

    def __init__(self, context: Any, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.glossary = context.vocabulary()
        self._officer_name = context.officer_name

    def field(self, name: str) -> str:
        return self.glossary.label("field", name)

    def value(self, name: str, value: Any) -> str:
        prop = (self.schema.get("properties") or {}).get(name) or {}
        if isinstance(value, list):
            return "、".join(self.value(name, item) for item in value)
        if isinstance(value, str) and prop.get("format") == "date-time":
            return moment_text(value)
        enum = prop.get("enum") or (prop.get("items") or {}).get("enum")
        if isinstance(value, str) and enum and value in enum:
            return self.glossary.enum_label(name, value)
        return text(value)

    def code(self, enum: str, code: Any) -> str:
        """The label of a code of an enum: ``status``, ``task_status``, ``severity``,
        ``satisfaction``..."""
        return self.glossary.enum_label(enum, code) if code not in (None, "") else ""

    def kind(self, kind: str) -> str:
        return self.glossary.label("entry_kind", kind)

    def officer(self, officer_id: str) -> str:
        """The officer's name from the station roster, with the officer id (警号), which
        identifies the officer on a station's paper; the id alone while the name is unknown."""
        if not officer_id:
            return ""
        name = self._officer_name(officer_id)
        return f"{name}({officer_id})" if name and name != officer_id else officer_id


def outcome_text(entry: Any, labels: Labels) -> str:
    """What was done, from a completed task's outcome: the measure, notes and comment."""
    data = entry.data or {}
    parts = []
    for key, value in data.items():
        if key in TASK_KEYS or key in ("reached", "satisfaction") or value in (None, "", []):
            continue
        parts.append(f"{labels.field(key)}:{text(value)}")
    if entry.text and entry.text not in (data.get("comment"), data.get("note")):
        parts.append(entry.text)
    return "\n".join(parts)


def live(entries: Iterable[Any]) -> list[Any]:
    return sorted((e for e in entries if not e.deleted), key=lambda e: e.created_at)


def field_rows(case: Any, labels: Labels) -> list[tuple[str, Any]]:
    rows = [
        (_("Case number"), case.id[-12:].upper()),
        (_("Status"), labels.code("status", case.status)),
    ]
    for name in labels.schema.get("properties") or {}:
        value = case.fields.get(name)
        if value in (None, "", []):
            continue
        shown = mask_id_number(value) if name in ID_FIELDS else labels.value(name, value)
        rows.append((labels.field(name), shown))
    return rows


def duty_rows(case: Any, pending: list[Any], labels: Labels) -> list[list[Any]]:
    """Every search duty: done ones from the timeline, open ones from the task list."""
    rows = []
    for entry in live(case.entries):
        if entry.kind == "callback" or not (entry.data or {}).get("task_id"):
            continue
        rows.append(
            [
                entry.data.get("task_title", entry.kind),
                moment_text(entry.data.get("due_at")),
                moment_text(entry.created_at),
                labels.officer(entry.author),
                outcome_text(entry, labels),
            ]
        )
    for task in pending:
        if task.kind != "callback":
            rows.append(
                [task.title, moment_text(task.due_at), labels.code("task_status", task.status)]
                + ["", ""]
            )
    return rows


def callback_rows(case: Any, pending: list[Any], labels: Labels) -> list[list[Any]]:
    rows = []
    for entry in live(case.entries):
        if entry.kind != "callback":
            continue
        data = entry.data or {}
        reached = data.get("reached")
        rows.append(
            [
                data.get("task_title", _("Callback")),
                moment_text(data.get("due_at")),
                moment_text(data.get("called_at") or entry.created_at),
                labels.officer(entry.author),
                _("yes") if reached else (_("no") if reached is False else ""),
                labels.code("satisfaction", data.get("satisfaction")),
                data.get("comment") or entry.text or "",
            ]
        )
    for task in pending:
        if task.kind == "callback":
            rows.append(
                [task.title, moment_text(task.due_at), labels.code("task_status", task.status)]
                + ["", "", "", ""]
            )
    return rows


def record_rows(case: Any, labels: Labels) -> list[list[Any]]:
    """The timeline's other records: notes, actions, status changes."""
    rows = []
    for entry in live(case.entries):
        if entry.kind == "callback" or (entry.data or {}).get("task_id"):
            continue
        rows.append(
            [
                moment_text(entry.created_at),
                labels.kind(entry.kind),
                labels.officer(entry.author),
                entry.text,
            ]
        )
    return rows


def finding_rows(context: Any, case: Any, labels: Labels) -> tuple[list[list[Any]], Any]:
    """The findings of the case's last recorded legal review, and its score."""
    review = next((r for r in context.recorded_reviews() if r.case_id == case.id), None)
    if review is None:
        return [], None
    rows = [
        [
            finding.message,
            labels.code("severity", finding.severity),
            finding.points,
            (_("Rectified: {note}").format(note=finding.rectified_note))
            if finding.rectified
            else _("Not rectified"),
        ]
        for finding in review.findings
    ]
    return rows, review.score


def render_ledger(context: Any, case: Any, path: str | Path, at: datetime | None = None) -> Path:
    """Write the person's whole file for ``case`` to ``path``.

    :param at: the moment the open duties are judged against (default: now).
    :raises casebook.errors.InvalidInputError: when no CJK font is installed.
    """
    moment = at or now()
    labels = Labels(context, context.case_types().get(case.type) or {})
    pending = context.tasks(moment, include_upcoming=True, case_id=case.id)
    findings, score = finding_rows(context, case, labels)
    unit = case.unit or (getattr(context, "officer", None) or {}).get("unit", "")
    name = case.fields.get("name", case.title)
    sections = [
        ledger_section(
            _("Search duties (ledger, supervision, reports, analysis, reviews)"),
            [_("Duty"), _("Due"), _("Done at"), _("Done by"), _("Outcome")],
            [30, 15, 15, 15, 35],
            duty_rows(case, pending, labels),
            empty_text=_("No duties scheduled."),
        ),
        ledger_section(
            _("Callbacks to the family"),
            [
                _("Callback"),
                _("Due"),
                _("Called at"),
                _("Called by"),
                _("Reached"),
                _("Satisfaction"),
                _("Comment"),
            ],
            [22, 13, 13, 16, 8, 10, 18],
            callback_rows(case, pending, labels),
            empty_text=_("No callbacks scheduled."),
        ),
        ledger_section(
            _("Other records"),
            [_("Time"), _("Kind"), _("Recorded by"), _("Content")],
            [15, 12, 15, 58],
            record_rows(case, labels),
            empty_text=_("No other records."),
        ),
        ledger_section(
            _("Legal review findings and rectification")
            + (_(" (score {score})").format(score=score) if score is not None else ""),
            [_("Finding"), _("Severity"), _("Points deducted"), _("Rectification")],
            [45, 10, 8, 37],
            findings,
            empty_text=_("Not reviewed yet.") if score is None else _("No findings."),
        ),
    ]
    return ledger_pdf(
        path,
        title=_("Missing person file (一人一档): {name}").format(name=name),
        subtitle=_("Case {number}").format(number=case.id[-12:].upper()),
        fields=field_rows(case, labels),
        fields_heading=_("The case"),
        sections=sections,
        unit=unit,
        printed=_("Printed by {unit} on {date}").format(unit=unit, date=long_date(moment)),
    )
