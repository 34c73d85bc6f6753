"""Reports: on-site closure by street patrol (seed 003) and diversion closure (seed 002)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import Report
from casebook.i18n import gettext_for

from .rules import CASE_TYPE, FEEDBACK_KIND, completion, field_time, is_diverted

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")


def rate(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places (0.8611 is 86.11%), 0.0 for an empty whole."""
    return round(part / whole, 4) if whole else 0.0


def in_period(case: Any, start: datetime | None, end: datetime | None) -> bool:
    moment = field_time(case, "reported_at")
    if moment is None:
        return start is None and end is None
    return (start is None or moment >= start) and (end is None or moment <= end)


def onsite(cases: list[Any], start: datetime | None, end: datetime | None) -> Report:
    """Incidents needing on-site handling (``handled_by`` set), the share handled by street
    patrol, and how many of those patrol closed on site (seed 003: 6,041 handled = 44.83%,
    5,202 closed on site = 86.11%)."""
    total = patrol = closed = closed_all = 0
    by_category: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        if case.type != CASE_TYPE or getattr(case, "deleted", False):
            continue
        if not case.fields.get("handled_by") or not in_period(case, start, end):
            continue
        total += 1
        on_site = case.fields.get("disposition") == "closed_on_site"
        closed_all += on_site
        category = case.fields.get("category") or "-"
        by_category[category]["total"] += 1
        by_category[category]["closed"] += on_site
        if case.fields["handled_by"] == "patrol":
            patrol += 1
            closed += on_site
    summary = {
        "needing_onsite": total,
        "handled_by_patrol": patrol,
        "patrol_share": rate(patrol, total),
        "closed_on_site": closed,
        "rate": rate(closed, patrol),
        "closed_on_site_all": closed_all,
        "rate_all": rate(closed_all, total),
    }
    rows = [
        [category, counts["total"], counts["closed"], rate(counts["closed"], counts["total"])]
        for category, counts in sorted(by_category.items())
    ]
    return Report(
        name="onsite",
        title=_("On-site handling: closed on site"),
        summary=summary,
        columns=[_("Category"), _("Handled on site"), _("Closed on site"), _("Rate")],
        rows=rows,
        rates={
            "patrol_share": ["handled_by_patrol", "needing_onsite"],
            "rate": ["closed_on_site", "handled_by_patrol"],
            "rate_all": ["closed_on_site_all", "needing_onsite"],
        },
        column_keys=["category", "handled_on_site", "closed_on_site", "rate"],
    )


def diversion(
    cases: list[Any], tasks: list[Any], start: datetime | None, end: datetime | None
) -> Report:
    """Diverted incidents, the agencies' completions, the closure rate and overdue feedback.

    :param tasks: pending tasks as of the report's day (``context.tasks(at)``).
    """
    diverted = completed = 0
    agencies: dict[str, Counter] = defaultdict(Counter)
    ids = set()
    for case in cases:
        if (
            getattr(case, "deleted", False)
            or not is_diverted(case)
            or not in_period(case, start, end)
        ):
            continue
        ids.add(case.id)
        done = completion(case) is not None
        diverted += 1
        completed += done
        agency = case.fields.get("diverted_to") or "-"
        agencies[agency]["diverted"] += 1
        agencies[agency]["completed"] += done
    overdue = [
        t for t in tasks if t.kind == FEEDBACK_KIND and t.status == "overdue" and t.case_id in ids
    ]
    for task in overdue:
        agencies[task.data.get("agency") or "-"]["overdue"] += 1
    summary = {
        "diverted": diverted,
        "completed": completed,
        "rate": rate(completed, diverted),
        "pending": diverted - completed,
        "feedback_overdue": len(overdue),
    }
    rows = [
        [
            agency,
            counts["diverted"],
            counts["completed"],
            rate(counts["completed"], counts["diverted"]),
            counts["overdue"],
        ]
        for agency, counts in sorted(agencies.items())
    ]
    return Report(
        name="diversion",
        title=_("Non-police diversion: closure"),
        summary=summary,
        columns=[_("Agency"), _("Diverted"), _("Completed"), _("Rate"), _("Feedback overdue")],
        rows=rows,
        rates={"rate": ["completed", "diverted"]},
        column_keys=["agency", "diverted", "completed", "rate", "feedback_overdue"],
    )
