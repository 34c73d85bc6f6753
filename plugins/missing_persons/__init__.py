"""Missing persons 失踪人员 (seeds 000 and 001): one file per person, callbacks to the family,
the fixed cadence of supervision, ledger, escalation alerts and the recovery figures.

Rules live in :mod:`.rules` as pure functions; this module only wires them to the hooks
and reads the station's settings.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import (
    Alert,
    DocumentSpec,
    Finding,
    Problem,
    Report,
    ReportSpec,
    SettingSpec,
    TaskSpec,
    Vocabulary,
    hookimpl,
)
from casebook.clock import format_datetime, now, parse_datetime
from casebook.i18n import N_, gettext_for

from . import intake, reports, rules
from .ledger import render_ledger
from .notice import render_notice

casebook_plugin = {
    "version": "1.0.0",
    "publisher": "Casebook",
    "api": [2],
    # A bare rule id from before rule ids were namespaced: stored findings keep their ids.
    "rules": ["ledger_missing"],
}

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

SCHEMA_PATH = Path(__file__).with_name("missing_person.schema.json")
PREFIX = "missing_persons."
DEFAULT_CADENCE = {
    "supervision_days": 1,
    "report_days": 3,
    "analysis_days": 7,
    "review_days": 30,
    "dna_days": 30,
}
DEFAULT_CLUSTER = {"count": 3, "days": 30, "by": ["area", "school"]}


def setting_specs() -> list[SettingSpec]:
    """The station settings of this plugin, with the articles' values as defaults."""
    day_count = {"type": "integer", "minimum": 0, "maximum": 366}
    return [
        SettingSpec(
            key=PREFIX + "callback_schedule",
            title=_("Missing persons: callback schedule"),
            default="wuxi",
            schema={
                "oneOf": [
                    {"enum": sorted(rules.CALLBACK_PRESETS)},
                    {
                        "type": "array",
                        "items": {"type": "string", "pattern": rules.OFFSET_PATTERN},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                ]
            },
            description=_(
                "A preset (wuxi: 24h, 3d, 7d, 15d, 30d, 60d, 90d; pingxiang: 3d, 7d, 30d, 60d, "
                '90d) or a list of offsets after the report such as ["24h", "3d"].'
            ),
        ),
        SettingSpec(
            key=PREFIX + "cadence",
            title=_("Missing persons: supervision cadence"),
            default=dict(DEFAULT_CADENCE),
            schema={
                "type": "object",
                "properties": {name: day_count for name in DEFAULT_CADENCE},
                "additionalProperties": False,
            },
            description=_(
                "Days between supervisions (一天一督), until the report (三日报告), until the "
                "analysis (七日研判), between reviews (每月调度) and until DNA sampling of a "
                "long-running case; 0 turns one off."
            ),
        ),
        SettingSpec(
            key=PREFIX + "investigation_after_months",
            title=_("Missing persons: investigation after (months)"),
            default=3,
            schema={"type": "integer", "minimum": 1, "maximum": 60},
            description=_("Cause unknown and missing longer than this: investigation alert."),
        ),
        SettingSpec(
            key=PREFIX + "cluster",
            title=_("Missing persons: cluster threshold"),
            default=dict(DEFAULT_CLUSTER),
            schema={
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "minimum": 2, "maximum": 100},
                    "days": {"type": "integer", "minimum": 1, "maximum": 366},
                    "by": {
                        "type": "array",
                        "items": {"enum": ["area", "school", "last_seen_place"]},
                        "uniqueItems": True,
                    },
                },
                "additionalProperties": False,
            },
            description=_(
                "How many people missing from the same area or school, within how many days, raise a cluster alert."
            ),
        ),
        SettingSpec(
            key=PREFIX + "ledger_missing_points",
            title=_("Missing persons: points deducted for a missing ledger"),
            default=10,
            schema={"type": "integer", "minimum": 0, "maximum": 100},
        ),
        SettingSpec(
            key=PREFIX + "elderly_age",
            title=_("Missing persons: age from which a person counts as elderly"),
            default=60,
            schema={"type": "integer", "minimum": 40, "maximum": 100},
        ),
        SettingSpec(
            key=PREFIX + "urgent_groups",
            title=_("Missing persons: vulnerable groups on the urgent track"),
            default=list(rules.VULNERABLE_GROUPS),
            schema={
                "type": "array",
                "items": {"enum": list(rules.VULNERABLE_GROUPS)},
                "uniqueItems": True,
            },
            description=_(
                "A missing minor, student, elderly person, person with a disability or a "
                "mental illness in one of these groups is an urgent case (major-incident "
                "real-time dispatch); [] keeps the track to the cause alone."
            ),
        ),
        SettingSpec(
            key=PREFIX + "duplicate_window_days",
            title=_(
                "Missing persons: days within which the same name and age is a possible duplicate"
            ),
            default=365,
            schema={"type": "integer", "minimum": 0, "maximum": 3660},
            description=_(
                "A new file with the same ID number as another, or the same name and age in "
                "the same area reported within this many days, is a possible second file for "
                "the same person (一人一档): saving it needs a confirmation and links the two. "
                "0 checks the ID number only."
            ),
        ),
        SettingSpec(
            key=PREFIX + "notice_contact",
            title=_("Missing persons: contact line printed on the notice"),
            default="",
            schema={"type": "string", "maxLength": 200},
        ),
    ]


def load_settings(context: Any) -> rules.MissingPersonSettings:
    """The station's current settings as one value for the rule functions."""
    cadence = {**DEFAULT_CADENCE, **context.setting(PREFIX + "cadence")}
    cluster = {**DEFAULT_CLUSTER, **context.setting(PREFIX + "cluster")}
    return rules.MissingPersonSettings(
        callback_schedule=rules.resolve_schedule(context.setting(PREFIX + "callback_schedule")),
        supervision_days=cadence["supervision_days"],
        report_days=cadence["report_days"],
        analysis_days=cadence["analysis_days"],
        review_days=cadence["review_days"],
        dna_days=cadence["dna_days"],
        investigation_after_months=context.setting(PREFIX + "investigation_after_months"),
        cluster_count=cluster["count"],
        cluster_days=cluster["days"],
        cluster_by=list(cluster["by"]),
        ledger_missing_points=context.setting(PREFIX + "ledger_missing_points"),
        elderly_age=context.setting(PREFIX + "elderly_age"),
        urgent_groups=list(context.setting(PREFIX + "urgent_groups")),
    )


def missing_person_cases(context: Any) -> list[Any]:
    return list(context.iter_cases(case_type=rules.CASE_TYPE))


# --- hooks ----------------------------------------------------------------------------


@hookimpl
def register_case_types(context: Any) -> list[dict[str, Any]]:
    return [json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))]


@hookimpl
def register_settings(context: Any) -> list[SettingSpec]:
    return setting_specs()


@hookimpl
def prepare_fields(context: Any, case_type: str, fields: dict[str, Any]) -> None:
    if case_type == rules.CASE_TYPE:
        rules.prepare(
            fields,
            context.setting(PREFIX + "elderly_age"),
            context.setting(PREFIX + "urgent_groups"),
        )


@hookimpl
def validate_case(context: Any, case: Any) -> list[Problem]:
    if case.type != rules.CASE_TYPE:
        return []
    before = intake.stored(context, case)
    return rules.outcome_problems(case, before) + intake.duplicate_problems(
        context, case, context.setting(PREFIX + "duplicate_window_days"), before
    )


@hookimpl
def schedule_tasks(context: Any, case: Any) -> list[TaskSpec]:
    if case.type != rules.CASE_TYPE:
        return []
    return rules.schedule(case, load_settings(context))


@hookimpl
def find_alerts(context: Any, at: datetime) -> list[Alert]:
    return rules.find_alerts(missing_person_cases(context), at, load_settings(context))


@hookimpl
def review_case(context: Any, case: Any, at: datetime) -> list[Finding]:
    if case.type != rules.CASE_TYPE:
        return []
    return rules.ledger_finding(case, at, load_settings(context))


def build_recovery(context: Any, start: datetime | None, end: datetime | None) -> Report:
    return reports.recovery(missing_person_cases(context), start, end)


def build_daily(context: Any, start: datetime | None, end: datetime | None) -> Report:
    at = reports.daily_moment(start, end)
    # The morning view of the day: overdue means due before the day began, due today means
    # due within it; alerts are taken at the day's end so the day's reports count.
    morning = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return reports.daily(
        missing_person_cases(context),
        context.tasks(morning, case_type=rules.CASE_TYPE),
        context.alerts(rules.end_of_day(at)),
        at,
        context.officer_names(),
    )


@hookimpl
def register_reports(context: Any) -> list[ReportSpec]:
    return [
        ReportSpec(
            name="recovery",
            title=_("Missing persons: recovery rate"),
            build=build_recovery,
            description=_("Reported, found, rate, found within 24 hours, by vulnerable group."),
        ),
        ReportSpec(
            name="daily",
            title=_("Missing persons: daily summary for the case manager"),
            build=build_daily,
            description=_(
                "New, unresolved, due today, overdue and alerts; the day is --to (or --from)."
            ),
        ),
    ]


@hookimpl
def register_documents(context: Any) -> list[DocumentSpec]:
    def render(context: Any, case: Any, path: str | Path) -> Path:
        return render_notice(context, case, path, context.setting(PREFIX + "notice_contact"))

    return [
        DocumentSpec(
            name="notice",
            title=_("Missing-person notice"),
            case_types=[rules.CASE_TYPE],
            render=render,
        ),
        DocumentSpec(
            name="ledger",
            title=_("Missing person file (一人一档)"),
            case_types=[rules.CASE_TYPE],
            render=render_ledger,
        ),
    ]


@hookimpl
def register_commands(cli: Any) -> None:
    import click

    @cli.command("daily")
    @click.option("--at", "at_text", default=None, help="The day (ISO date or date-time).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def daily_command(ctx: click.Context, at_text: str | None, as_json: bool) -> None:
        """The case manager's daily summary of missing persons (专管员每日汇总)."""
        # The documented helpers for a plugin's command (hookspecs.register_commands).
        from casebook.commands import emit_json, open_notebook

        notebook = open_notebook(ctx)
        at = parse_datetime(at_text, end_of_day=True) if at_text else now()
        report = notebook.build_report("daily", None, at)
        if as_json:
            emit_json(report)
            return
        click.echo(report.title + " " + format_datetime(at)[:10])
        for key, value in report.summary.items():
            if key != "alert_messages":
                click.echo(f"  {key}: {value}")
        for message in report.summary["alert_messages"]:
            click.echo("  ! " + message)
        for row in report.rows:
            click.echo("  " + " | ".join(str(cell) for cell in row))


# ---------------------------------------------------------------------------------------
# Vocabulary: what the GUI and the PDFs call this plugin's codes
# ---------------------------------------------------------------------------------------


@hookimpl
def register_vocabulary() -> list[Vocabulary]:
    # Causes, vulnerable groups, risk... are labelled by the case type's x-enum-labels.
    return [
        Vocabulary(
            task_kinds={
                "callback": N_("Callback"),
                "ledger": N_("Ledger"),
                "supervision": N_("Daily supervision"),
                "report": N_("3-day report"),
                "analysis": N_("7-day analysis"),
                "monthly_review": N_("Monthly review"),
                "dna_sampling": N_("DNA sampling"),
            },
            rules={"ledger_missing": N_("Ledger missing")},
            alert_kinds={
                "investigation": N_("Investigation"),
                "cluster": N_("Cluster"),
                "urgent": N_("Urgent case"),
            },
            report_keys={
                "reported": N_("Reported"),
                "found": N_("Found"),
                "rate": N_("Rate"),
                "found_within_24h": N_("Found within 24h"),
                "share_within_24h": N_("Share within 24h"),
                "unresolved": N_("Unresolved"),
                "deceased": N_("Deceased"),
                "transferred": N_("Transferred"),
                "closed_unfound": N_("Closed unfound"),
                "closed_without_outcome": N_("Closed without outcome"),
                "by_outcome": N_("By outcome"),
                "by_group": N_("By vulnerable group"),
                "by_year": N_("By year"),
                "by_cause": N_("By cause"),
                "date": N_("Date"),
                "new": N_("New"),
                "due_today": N_("Due today"),
                "overdue": N_("Overdue"),
                "alerts": N_("Alerts"),
                "alert_messages": N_("Alert messages"),
            },
            fields={
                "note": N_("Note"),
                "measure": N_("Measure"),
                "round": N_("Round"),
                "reached": N_("Person reached"),
                "handled": N_("Matter handled"),
                "satisfaction": N_("Satisfaction"),
                "comment": N_("Comment"),
            },
            key_enums={"by_group": "vulnerable", "by_cause": "cause", "by_outcome": "outcome"},
            roles={"daily_summary": "daily"},
            translate=_,
        )
    ]
