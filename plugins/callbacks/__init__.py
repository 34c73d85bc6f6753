"""Callbacks 回访 and receipts (seeds 002 and 004): the satisfaction callback owed to every
report made in person, a second one for key categories, a follow-up for every dissatisfied
callback, the satisfaction figures and the printed report receipt 案(事)件接报回执单.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from casebook import (
    DocumentSpec,
    NotFoundError,
    OutcomeSchema,
    Report,
    ReportSpec,
    SettingSpec,
    TaskSpec,
    Vocabulary,
    hookimpl,
)
from casebook.clock import now
from casebook.i18n import N_, gettext_for

from . import reports, rules
from .receipt import receipt_issued, render_receipt

casebook_plugin = {"version": "1.0.0", "publisher": "Casebook", "api": [2]}

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

PREFIX = "callbacks."
DEFAULT_SATISFACTION = {
    "channels": ["walk_in", "self_service"],
    "first_days": 3,
    "second_days": 7,
    "key_flags": list(rules.KEY_FLAGS),
}
DEFAULT_RETRY = {"attempts": 2, "hours": 24}
RECEIPT_CASE_TYPES = ["incident", "missing_person"]


def setting_specs() -> list[SettingSpec]:
    days = {"type": "integer", "minimum": 0, "maximum": 90}
    return [
        SettingSpec(
            key=PREFIX + "satisfaction",
            title=_("Callbacks: satisfaction callbacks"),
            default={**DEFAULT_SATISFACTION, "key_flags": list(rules.KEY_FLAGS)},
            schema={
                "type": "object",
                "properties": {
                    "channels": {
                        "type": "array",
                        "items": {
                            "enum": ["call_110", "walk_in", "self_service", "patrol", "transfer"]
                        },
                        "uniqueItems": True,
                    },
                    "first_days": days,
                    "second_days": days,
                    "key_flags": {
                        "type": "array",
                        "items": {"enum": list(rules.KEY_FLAGS)},
                        "uniqueItems": True,
                    },
                },
                "additionalProperties": False,
            },
            description=_(
                "Which channels get a satisfaction callback and after how many days; which key "
                "categories get a second one and after how many days (0 turns one off)."
            ),
        ),
        SettingSpec(
            key=PREFIX + "follow_up_days",
            title=_("Callbacks: days to follow up a dissatisfied callback"),
            default=1,
            schema={"type": "integer", "minimum": 0, "maximum": 30},
        ),
        SettingSpec(
            key=PREFIX + "retry",
            title=_("Callbacks: retries of a callback that did not reach the person"),
            default=dict(DEFAULT_RETRY),
            schema={
                "type": "object",
                "properties": {
                    "attempts": {"type": "integer", "minimum": 0, "maximum": 10},
                    "hours": {"type": "integer", "minimum": 1, "maximum": 720},
                },
                "additionalProperties": False,
            },
            description=_(
                "How many more times to call a person who was not reached (0: never), and "
                "how many hours after the last try."
            ),
        ),
    ]


def load_settings(context: Any) -> rules.CallbackSettings:
    satisfaction = {**DEFAULT_SATISFACTION, **context.setting(PREFIX + "satisfaction")}
    retry = {**DEFAULT_RETRY, **context.setting(PREFIX + "retry")}
    return rules.CallbackSettings(
        channels=list(satisfaction["channels"]),
        first_days=satisfaction["first_days"],
        second_days=satisfaction["second_days"],
        key_flags=list(satisfaction["key_flags"]),
        follow_up_days=context.setting(PREFIX + "follow_up_days"),
        retry_attempts=retry["attempts"],
        retry_hours=retry["hours"],
    )


@hookimpl
def register_settings(context: Any) -> list[SettingSpec]:
    return setting_specs()


@hookimpl
def register_outcome_schemas(context: Any) -> list[OutcomeSchema]:
    return [
        OutcomeSchema(
            name=rules.CALLBACK_OUTCOME_SCHEMA_NAME,
            schema=rules.CALLBACK_OUTCOME_SCHEMA,
            title=_("Callback outcome"),
        )
    ]


@hookimpl
def schedule_tasks(context: Any, case: Any) -> list[TaskSpec]:
    def task_data(task_id: str) -> dict[str, Any]:
        try:
            return dict(context.get_task(task_id).data)
        except NotFoundError:
            return {}

    return rules.schedule(case, load_settings(context), task_data)


def build_satisfaction(context: Any, start: datetime | None, end: datetime | None) -> Report:
    return reports.satisfaction(list(context.iter_cases()), start, end)


def build_callbacks(context: Any, start: datetime | None, end: datetime | None) -> Report:
    at = end or now()
    return reports.callbacks(list(context.iter_cases()), context.tasks(at), start, end)


@hookimpl
def register_reports(context: Any) -> list[ReportSpec]:
    return [
        ReportSpec(
            name="satisfaction",
            title=_("Callbacks: satisfaction rate"),
            build=build_satisfaction,
            description=_(
                "Callbacks done, reached, satisfied and the satisfaction rate, over the calls "
                "reached and over the valid incidents."
            ),
        ),
        ReportSpec(
            name="callbacks",
            title=_("Callbacks: due, done and overdue"),
            build=build_callbacks,
            description=_("Callbacks due today, done in the period and overdue (as of --to)."),
        ),
    ]


@hookimpl
def register_documents(context: Any) -> list[DocumentSpec]:
    return [
        DocumentSpec(
            name="receipt",
            title=_("Case/event report receipt"),
            case_types=list(RECEIPT_CASE_TYPES),
            render=render_receipt,
            issued=receipt_issued,
        )
    ]


# ---------------------------------------------------------------------------------------
# Vocabulary: what the GUI and the PDFs call this plugin's codes
# ---------------------------------------------------------------------------------------

SATISFACTION_LABELS = {
    "satisfied": N_("Satisfied"),
    "basically_satisfied": N_("Basically satisfied"),
    "dissatisfied": N_("Dissatisfied"),
}


@hookimpl
def register_vocabulary() -> list[Vocabulary]:
    return [
        Vocabulary(
            task_kinds={"callback": N_("Callback"), "follow_up": N_("Follow-up")},
            entry_kinds={"receipt_issued": N_("Receipt issued")},
            report_keys={
                "callbacks_done": N_("Callbacks done"),
                "reached": N_("Reached"),
                "reached_without_level": N_("Reached without level"),
                "satisfied": N_("Satisfied"),
                "basically_satisfied": N_("Basically satisfied"),
                "dissatisfied": N_("Dissatisfied"),
                "rate": N_("Rate"),
                "satisfied_or_basically_rate": N_("Satisfied or basically satisfied rate"),
                "dissatisfied_rate": N_("Dissatisfied rate"),
                "handled_rate": N_("Handled rate"),
                "unreached": N_("Not reached"),
                "valid_incidents": N_("Valid incidents (called back)"),
                "incidents_satisfied": N_("Incidents satisfied"),
                "incident_rate": N_("Satisfaction rate over valid incidents"),
                "due": N_("Due today"),
                "done": N_("Done"),
                "overdue": N_("Overdue"),
                "overdue_more_than_a_day": N_("Overdue more than a day"),
                "on_time_rate": N_("On-time rate"),
            },
            fields={
                "reached": N_("Person reached"),
                "handled": N_("Matter handled"),
                "satisfaction": N_("Satisfaction"),
                "comment": N_("Comment"),
                "called_at": N_("Called at"),
                "resolved": N_("Resolved"),
                "action": N_("Action taken"),
                "receipt_number": N_("Receipt number"),
                "retry_of": N_("First call"),
                "attempt": N_("Try"),
            },
            enums={"satisfaction": dict(SATISFACTION_LABELS)},
            translate=_,
        )
    ]
