"""Legal review and scoring 法制审核 / 执法办案积分 (seed 004): review rules that find problems
the legal officer has rectified (整改/销号), case scores, and points per officer and unit.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import OFFICERS, Finding, Report, ReportSpec, SettingSpec, Vocabulary, hookimpl
from casebook.clock import now, parse_datetime
from casebook.i18n import N_, gettext_for

from . import points, rules

casebook_plugin = {
    "version": "1.0.0",
    "title": {"zh_CN": "执法监督与积分", "en": "Legal review and points"},
    "publisher": "Casebook",
    "api": [2],
    # Bare rule ids from before rule ids were namespaced: stored findings keep their ids.
    "rules": sorted(rules.RULES),
}

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

PREFIX = "legal_review."


def setting_specs() -> list[SettingSpec]:
    rule_schema = {
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "points": {"type": "integer", "minimum": 0, "maximum": 100},
        },
        "additionalProperties": False,
    }
    weight = {"type": "number", "minimum": 0, "maximum": 10}
    return [
        SettingSpec(
            key=PREFIX + "rules",
            title=_("Legal review: rules and points deducted"),
            default={name: dict(rule) for name, rule in rules.DEFAULT_RULES.items()},
            schema={
                "type": "object",
                "propertyNames": {"enum": sorted(rules.DEFAULT_RULES)},
                "additionalProperties": rule_schema,
            },
            description=_("Turn each rule on or off and set the points it deducts from 100."),
        ),
        SettingSpec(
            key=PREFIX + "acceptance_hours",
            title=_("Legal review: hours to decide acceptance"),
            default=24,
            schema={"type": "integer", "minimum": 1, "maximum": 720},
        ),
        SettingSpec(
            key=PREFIX + "filing_deadline_days",
            title=_("Legal review: days to decide filing"),
            default=3,
            schema={"enum": list(rules.FILING_DEADLINES)},
            description=_("3 days; 7 or 30 days where the law allows an extension."),
        ),
        SettingSpec(
            key=PREFIX + "callback_grace_hours",
            title=_("Legal review: hours a callback may be late"),
            default=24,
            schema={"type": "integer", "minimum": 0, "maximum": 720},
        ),
        SettingSpec(
            key=PREFIX + "required_elements",
            title=_("Legal review: required intake elements per case type"),
            default={k: list(v) for k, v in rules.DEFAULT_REQUIRED_ELEMENTS.items()},
            schema={
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "uniqueItems": True,
                },
            },
        ),
        SettingSpec(
            key=PREFIX + "points_weights",
            title=_("Legal review: weights of quality, quantity and efficiency"),
            default=dict(points.DEFAULT_WEIGHTS),
            schema={
                "type": "object",
                "properties": {"quality": weight, "quantity": weight, "efficiency": weight},
                "additionalProperties": False,
            },
            description=_("Quality first, quantity second, efficiency considered."),
        ),
    ]


def load_settings(context: Any) -> rules.ReviewSettings:
    configured = context.setting(PREFIX + "rules")
    merged = {
        name: {**rule, **configured.get(name, {})} for name, rule in rules.DEFAULT_RULES.items()
    }
    return rules.ReviewSettings(
        rules=merged,
        acceptance_hours=context.setting(PREFIX + "acceptance_hours"),
        filing_deadline_days=context.setting(PREFIX + "filing_deadline_days"),
        callback_grace_hours=context.setting(PREFIX + "callback_grace_hours"),
        required_elements={
            **rules.DEFAULT_REQUIRED_ELEMENTS,
            **context.setting(PREFIX + "required_elements"),
        },
    )


@hookimpl
def register_settings(context: Any) -> list[SettingSpec]:
    return setting_specs()


class _SettingsPerReview:
    """The settings of one review run: the host passes the same ``at`` object for every case
    of a run, so they are read once per run instead of once per case. Holding ``at`` keeps
    its identity from being reused by a later run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, Any] | None = None
        self._settings: rules.ReviewSettings | None = None

    def get(self, context: Any, at: datetime) -> rules.ReviewSettings:
        with self._lock:
            if self._key is None or self._key[0]() is not context or self._key[1] is not at:
                # A weak reference: the cache must not keep a closed notebook's context alive.
                self._key, self._settings = (weakref.ref(context), at), load_settings(context)
            return self._settings  # type: ignore[return-value]


_settings_per_review = _SettingsPerReview()


@hookimpl
def review_case(context: Any, case: Any, at: datetime) -> list[Finding]:
    settings = _settings_per_review.get(context, at)
    tasks = context.tasks(at, case_id=case.id) if settings.enabled("callback_missed") else []
    return rules.review(case, at, settings, tasks)


def build_review(context: Any, start: datetime | None, end: datetime | None) -> Report:
    """Findings, rectified, rate, and points by officer and by unit.

    The period selects cases by ``reported_at`` (or creation when absent).
    """
    at = end or now()
    selected: set[str] = set()
    filing = Counter()
    for case in context.iter_cases():
        moment = parse_datetime(case.fields.get("reported_at") or case.created_at)
        if (start is None or moment >= start) and (end is None or moment <= end):
            selected.add(case.id)
            decision = case.fields.get("filing_decision")
            if decision in ("filed", "not_filed"):
                filing["filings_reviewed"] += 1
                filing[decision] += 1
    results = [result for result in context.review(at=at) if result.case_id in selected]
    report = review_report(results, context.setting(PREFIX + "points_weights"))
    # Seed 004 counts the filing decisions reviewed (75) and those not filed (14).
    report.summary["filings_reviewed"] = filing["filings_reviewed"]
    report.summary["not_filed"] = filing["not_filed"]
    return report


def review_report(results: list[Any], weights: dict[str, float]) -> Report:
    """The review report from review results (pure, so it is testable without a store)."""
    all_findings = [finding for result in results for finding in result.findings]
    rectified = [finding for finding in all_findings if finding.rectified]
    by_rule = Counter(finding.rule for finding in all_findings)
    officers = points.standings(results, "officer_id", weights)
    units = points.standings(results, "unit", weights)
    summary = {
        "cases_reviewed": len(results),
        "cases_with_findings": sum(1 for result in results if result.findings),
        "findings": len(all_findings),
        "rectified": len(rectified),
        "open": len(all_findings) - len(rectified),
        "rectification_rate": round(len(rectified) / len(all_findings), 4) if all_findings else 1.0,
        "average_score": round(sum(r.score for r in results) / len(results), 1) if results else 100,
        "by_rule": dict(sorted(by_rule.items())),
        "points_by_officer": {standing.who: standing.points for standing in officers},
        "points_by_unit": {standing.who: standing.points for standing in units},
    }
    return Report(
        name="review",
        title=_("Legal review: findings, rectification and points"),
        summary=summary,
        columns=[
            _("Officer"),
            _("Cases"),
            _("Quality"),
            _("Quantity"),
            _("Efficiency"),
            _("Points"),
        ],
        rows=[standing.row() for standing in officers],
        charts=[{"title": _("Points by officer"), "x": "officer", "y": ["points"]}],
        rates={"rectification_rate": ["rectified", "findings"]},
        column_keys=["officer", "cases", "quality", "quantity", "efficiency", "points"],
        # A rule that failed or was refused leaves the figures incomplete: say so.
        warnings=list(
            dict.fromkeys(w for result in results for w in getattr(result, "warnings", ()))
        ),
    )


@hookimpl
def register_reports(context: Any) -> list[ReportSpec]:
    return [
        ReportSpec(
            name="review",
            title=_("Legal review: findings, rectification and points"),
            build=build_review,
            description=_("Findings, rectified, rectification rate, points by officer and unit."),
        )
    ]


# ---------------------------------------------------------------------------------------
# Vocabulary: what the GUI and the PDFs call this plugin's codes
# ---------------------------------------------------------------------------------------

RULE_LABELS = {
    "missing_elements": N_("Missing elements"),
    "no_receipt": N_("No receipt"),
    "acceptance_overdue": N_("Acceptance overdue"),
    "filing_overdue": N_("Filing overdue"),
    "callback_missed": N_("Callback missed"),
    "not_accepted_without_reason": N_("Not accepted without reason"),
    "not_filed_without_reason": N_("Not filed without reason"),
    "not_truthfully_registered": N_("Not truthfully registered"),
    "evidence_missing": N_("Evidence missing"),
    "footage_missing": N_("Footage missing"),
}


@hookimpl
def register_vocabulary() -> list[Vocabulary]:
    return [
        Vocabulary(
            rules=dict(RULE_LABELS),
            report_keys={
                "cases_reviewed": N_("Cases reviewed"),
                "cases_with_findings": N_("Cases with findings"),
                "findings": N_("Findings"),
                "rectified": N_("Rectified"),
                "open": N_("Open"),
                "rectification_rate": N_("Rectification rate"),
                "average_score": N_("Average score"),
                "by_rule": N_("Findings by rule"),
                "points_by_officer": N_("Points by officer"),
                "points_by_unit": N_("Points by unit"),
                "filings_reviewed": N_("Filing decisions reviewed"),
                "not_filed": N_("Not filed"),
                "officer": N_("Officer"),
                "cases": N_("Cases"),
                "quality": N_("Quality"),
                "quantity": N_("Quantity"),
                "efficiency": N_("Efficiency"),
                "points": N_("Points"),
            },
            # by_rule holds rule ids: labelled as rules (those of every plugin).
            key_enums={"points_by_officer": OFFICERS, "officer": OFFICERS},
            roles={"review": "review", "officer_points": "review:points_by_officer"},
            translate=_,
        )
    ]
