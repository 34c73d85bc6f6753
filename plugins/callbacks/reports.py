"""Callback reports: satisfaction (满意率) and the callbacks due, done and overdue."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import Report
from casebook.i18n import gettext_for

from .rules import callback_entries, entry_time, is_valid_call, satisfaction_counts

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")


def rate(part: int, whole: int, places: int = 4) -> float:
    """``part / whole`` rounded to ``places`` (0.8611 is 86.11%), 0.0 for an empty whole."""
    return round(part / whole, places) if whole else 0.0


def satisfaction(cases: list[Any], start: datetime | None, end: datetime | None) -> Report:
    """Callbacks done, satisfied and the rate, over the callbacks that reached the person
    (seed 002 counts "valid calls": 7,031 satisfied of 8,520 valid calls is 82.5%), and
    beside it the rate over the incidents called back, with both denominators shown."""
    counts = satisfaction_counts(cases, start, end)
    reached = counts["reached"]
    months: dict[str, Counter] = defaultdict(Counter)
    called: set[str] = set()
    satisfied_incidents: set[str] = set()
    for case in cases:
        for entry in callback_entries(case):
            recorded = entry_time(entry)
            if recorded is None or (start and recorded < start) or (end and recorded > end):
                continue
            data = entry.data or {}
            called.add(case.id)
            if is_valid_call(data) and data.get("satisfaction") == "satisfied":
                satisfied_incidents.add(case.id)
            month = recorded.strftime("%Y-%m")
            months[month]["done"] += 1
            if is_valid_call(data):  # the same rule as the summary (satisfaction_counts)
                months[month]["reached"] += 1
                months[month]["satisfied"] += data.get("satisfaction") == "satisfied"
    summary = {
        "callbacks_done": counts["callbacks_done"],
        "reached": reached,
        "satisfied": counts["satisfied"],
        "basically_satisfied": counts["basically_satisfied"],
        "dissatisfied": counts["dissatisfied"],
        # Old outcomes that say reached without a level: shown, not counted in the rates.
        "reached_without_level": counts["reached_without_level"],
        # Satisfaction is published to a tenth of a percent (82.5%), as in seed 002.
        "rate": rate(counts["satisfied"], reached, 3),
        "satisfied_or_basically_rate": rate(
            counts["satisfied"] + counts["basically_satisfied"], reached
        ),
        "dissatisfied_rate": rate(counts["dissatisfied"], reached),
        "handled_rate": rate(counts["handled"], reached),
        # The second denominator: the incidents called back, reached or not (each once),
        # so calls that never reached anyone cannot raise the rate.
        "unreached": counts["callbacks_done"] - reached - counts["reached_without_level"],
        "valid_incidents": len(called),
        "incidents_satisfied": len(satisfied_incidents),
        "incident_rate": rate(len(satisfied_incidents), len(called), 3),
    }
    rows = [
        [month, c["done"], c["reached"], c["satisfied"], rate(c["satisfied"], c["reached"])]
        for month, c in sorted(months.items())
    ]
    return Report(
        name="satisfaction",
        title=_("Callbacks: satisfaction rate"),
        summary=summary,
        columns=[_("Month"), _("Callbacks done"), _("Reached"), _("Satisfied"), _("Rate")],
        rows=rows,
        charts=[{"title": _("Satisfaction by month"), "x": 0, "y": [4]}],
    )


def callbacks(
    cases: list[Any],
    tasks: list[Any],
    start: datetime | None,
    end: datetime | None,
) -> Report:
    """Callbacks due (today), done (recorded in the period) and overdue, with the overdue
    ones listed longest first.

    :param tasks: pending tasks as of the report's day (``context.tasks(at)``).
    """
    pending = [task for task in tasks if task.kind == "callback"]
    due = [task for task in pending if task.status == "due"]
    overdue = sorted(
        (task for task in pending if task.status == "overdue"),
        key=lambda task: -task.overdue_seconds,
    )
    done = satisfaction_counts(cases, start, end)["callbacks_done"]
    over_a_day = [task for task in overdue if task.overdue_seconds > 86400]
    summary = {
        "due": len(due),
        "done": done,
        "overdue": len(overdue),
        "overdue_more_than_a_day": len(over_a_day),
        "on_time_rate": rate(done, done + len(overdue)),
    }
    rows = [
        [
            task.case_title,
            task.title,
            task.due_at,
            round(task.overdue_seconds / 3600, 1),
        ]
        for task in overdue
    ]
    return Report(
        name="callbacks",
        title=_("Callbacks: due, done and overdue"),
        summary=summary,
        columns=[_("Case"), _("Task"), _("Due at"), _("Hours overdue")],
        rows=rows,
    )
