"""Non-police diversion 非警务警情分流 (seed 002) and street-patrol on-site handling (seed 003):
diverted calls are tracked until the agency reports completion, then called back; the
on-site closure and diversion closure figures.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import Problem, Report, ReportSpec, SettingSpec, TaskSpec, Vocabulary, hookimpl
from casebook.clock import now
from casebook.i18n import N_, gettext_for

from . import reports, rules

casebook_plugin = {
    "version": "1.0.0",
    "publisher": "Casebook",
    "api": [2],
    "title": {"zh_CN": "警情分流", "en": "Incident diversion"},
}

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

PREFIX = "diversion."


def setting_specs() -> list[SettingSpec]:
    return [
        SettingSpec(
            key=PREFIX + "feedback_days",
            title=_("Diversion: days for the agency's completion feedback"),
            default=3,
            schema={"type": "integer", "minimum": 1, "maximum": 90},
        ),
        SettingSpec(
            key=PREFIX + "callback_days",
            title=_("Diversion: days after completion to call the reporter back"),
            default=2,
            schema={"type": "integer", "minimum": 0, "maximum": 30},
            description=_("0 turns the callback off."),
        ),
        SettingSpec(
            key=PREFIX + "agencies",
            title=_("Diversion: linkage agencies and their responsibility lists"),
            default={},
            schema={
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            description=_(
                "Agency name to its responsibilities (e.g. 12345, the 45 linkage agencies, "
                "the 30 townships). When set, a diversion must name one of them."
            ),
        ),
    ]


def load_settings(context: Any) -> rules.DiversionSettings:
    return rules.DiversionSettings(
        feedback_days=context.setting(PREFIX + "feedback_days"),
        callback_days=context.setting(PREFIX + "callback_days"),
        agencies=dict(context.setting(PREFIX + "agencies")),
    )


@hookimpl
def register_settings(context: Any) -> list[SettingSpec]:
    return setting_specs()


# Both hooks see every case saved; the settings are read only for the diverted ones.


@hookimpl
def validate_case(context: Any, case: Any) -> list[Problem]:
    return rules.validate(case, load_settings(context)) if rules.is_diverted(case) else []


@hookimpl
def schedule_tasks(context: Any, case: Any) -> list[TaskSpec]:
    return rules.schedule(case, load_settings(context)) if rules.is_diverted(case) else []


def build_onsite(context: Any, start: datetime | None, end: datetime | None) -> Report:
    return reports.onsite(list(context.iter_cases(case_type=rules.CASE_TYPE)), start, end)


def build_diversion(context: Any, start: datetime | None, end: datetime | None) -> Report:
    cases = list(context.iter_cases(case_type=rules.CASE_TYPE))
    return reports.diversion(
        cases, context.tasks(end or now(), case_type=rules.CASE_TYPE), start, end
    )


@hookimpl
def register_reports(context: Any) -> list[ReportSpec]:
    return [
        ReportSpec(
            name="onsite",
            title=_("On-site handling: closed on site"),
            build=build_onsite,
            description=_("Incidents handled on site, the patrol's share, closed on site."),
        ),
        ReportSpec(
            name="diversion",
            title=_("Non-police diversion: closure"),
            build=build_diversion,
            description=_("Diverted, completed by the agency, closure rate, feedback overdue."),
        ),
    ]


# ---------------------------------------------------------------------------------------
# Vocabulary: what the GUI and the PDFs call this plugin's codes
# ---------------------------------------------------------------------------------------


@hookimpl
def register_vocabulary() -> list[Vocabulary]:
    return [
        Vocabulary(
            task_kinds={rules.FEEDBACK_KIND: N_("Diversion feedback"), "callback": N_("Callback")},
            report_keys={
                "needing_onsite": N_("Needing on-site handling"),
                "handled_by_patrol": N_("Handled by patrol"),
                "patrol_share": N_("Patrol share"),
                "closed_on_site": N_("Closed on site by patrol"),
                "rate": N_("Rate"),
                "closed_on_site_all": N_("Closed on site (all)"),
                "rate_all": N_("Rate (all)"),
                "diverted": N_("Diverted"),
                "completed": N_("Completed"),
                "pending": N_("Pending"),
                "feedback_overdue": N_("Feedback overdue"),
                "category": N_("Category"),
                "handled_on_site": N_("Handled on site"),
                "agency": N_("Agency"),
            },
            key_enums={"category": "category"},
            fields={
                "completed": N_("Completed"),
                "feedback": N_("Feedback"),
                "completed_at": N_("Completed at"),
                "agency": N_("Agency"),
                "reached": N_("Person reached"),
                "handled": N_("Matter handled"),
                "satisfaction": N_("Satisfaction"),
                "comment": N_("Comment"),
            },
            translate=_,
        )
    ]
