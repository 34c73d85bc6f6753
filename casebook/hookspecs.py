"""Every hook a Casebook plugin can implement.

Families: ``register_*`` return lists; ``prepare_*`` may change their argument in place;
past-tense names notify (``task_completed`` may return entries to record). Every hook
except ``register_commands`` receives ``context``, a read-only
:class:`~casebook.plugin_context.PluginContext`: queries, settings, the clock and
translations, never the notebook. What a plugin changes, it returns, and the host records it
under the plugin's name and version. Arguments may be added later, never renamed or removed:
an implementation may accept any subset of them. The host calls each implementation in its
own guard, so one plugin that raises is reported and the others go on.

A plugin module declares what it is with a ``casebook_plugin`` dict::

    casebook_plugin = {"version": "1.0.0", "publisher": "Example station", "api": [2]}

``api`` lists the host API versions it supports (:data:`casebook.API_VERSION`); an optional
``rules`` list names bare rule ids the plugin owns (new rules use ``<plugin>.<rule>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from casebook.models import (
        Alert,
        Case,
        CaseField,
        DocumentSpec,
        EntrySpec,
        Finding,
        OutcomeSchema,
        PanelSpec,
        Problem,
        ReportSpec,
        SettingSpec,
        Task,
        TaskSpec,
    )
    from casebook.plugin_context import PluginContext

PROJECT = "casebook"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------


@hookspec
def register_case_types(context: PluginContext) -> list[dict[str, Any]]:
    """Case types this plugin adds, as JSON Schemas (draft 2020-12).

    Each schema carries ``x-casebook-type`` (the type name) and may carry ``x-title``
    (the field used as the case title) and ``x-labels`` (``{"zh_CN": {...}, "en": {...}}``
    field labels).

    :param context: the read-only plugin context.
    :returns: a list of schemas; all results are collected.
    """


@hookspec
def register_case_fields(context: PluginContext) -> list[CaseField]:
    """Fields this plugin adds to existing case types (another plugin's or the built-in
    ``incident``), without copying their schemas.

    The host merges each field into the type's schema: it is validated, searched, shown in
    the generated form and on printed documents. A field whose name the type already has, or
    that two plugins add, is refused (both plugins are named).

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.CaseField`; all results are collected.
    """


@hookspec
def register_settings(context: PluginContext) -> list[SettingSpec]:
    """Settings this plugin reads with ``context.setting(key)``, with defaults and schemas.

    Keys are in the plugin's namespace: ``<plugin name>.<key>``; others are refused.

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.SettingSpec`; all results are collected.
    """


@hookspec
def register_reports(context: PluginContext) -> list[ReportSpec]:
    """Reports this plugin offers (``casebook report NAME``).

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.ReportSpec`; all results are collected.
    """


@hookspec
def register_documents(context: PluginContext) -> list[DocumentSpec]:
    """Printable documents for a case, such as a receipt (``casebook document NAME ID``).

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.DocumentSpec`; all results are collected.
    """


@hookspec
def register_gui_panels(context: PluginContext) -> list[PanelSpec]:
    """GUI panels: tabs in the case view or pages of the main window.

    The plugin names the panel class by import path, so its core module stays headless.

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.PanelSpec`; all results are collected.
    """


@hookspec
def register_outcome_schemas(context: PluginContext) -> list[OutcomeSchema]:
    """Named outcome schemas other plugins may use: a ``TaskSpec`` whose ``outcome_schema``
    is a name gets the registered schema, resolved by the host. Plugins never import each
    other; this is how one plugin shares a schema it owns.

    Names are in the plugin's namespace: ``<plugin name>.<name>``; others are refused.

    :param context: the read-only plugin context.
    :returns: a list of :class:`~casebook.models.OutcomeSchema`; all results are collected.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the ``casebook`` command group.

    Called before a notebook is open, so it receives only the group. A command opens the
    notebook with ``casebook.commands.open_notebook(ctx)`` and prints ``--json`` output with
    ``casebook.commands.emit_json`` (never import ``casebook.cli``).

    :param cli: the top-level click group.
    """


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------


@hookspec
def prepare_fields(context: PluginContext, case_type: str, fields: dict[str, Any]) -> None:
    """Change the fields of a case about to be saved, in place (e.g. derive a value).

    Called before validation, with the complete set of fields the case will have.

    :param context: the read-only plugin context.
    :param case_type: the case type name.
    :param fields: the fields; change them in place.
    """


@hookspec
def validate_case(context: PluginContext, case: Case) -> list[Problem]:
    """Problems with a case about to be saved, beyond its JSON Schema.

    Any problem refuses the save and nothing is written.

    :param context: the read-only plugin context.
    :param case: the case as it would be after the save.
    :returns: a list of :class:`~casebook.models.Problem`; all results are collected.
    """


@hookspec
def case_saved(context: PluginContext, case: Case) -> None:
    """A case was created or changed (fields, status, entries) on this laptop.

    :param context: the read-only plugin context.
    :param case: the case as saved.
    """


@hookspec
def schedule_tasks(context: PluginContext, case: Case) -> list[TaskSpec]:
    """The tasks this plugin wants for a case in its current state.

    Called after every save. Return the complete set: a pending task that is no longer
    returned is cancelled; a returned task keeps its id (derived from its ``key``).
    Return ``[]`` for cases the plugin does not handle.

    :param context: the read-only plugin context.
    :param case: the case as saved.
    :returns: a list of :class:`~casebook.models.TaskSpec`; all results are collected.
    """


@hookspec
def task_completed(
    context: PluginContext, task: Task, outcome: dict[str, Any]
) -> list[EntrySpec] | None:
    """A task was marked done with an outcome (already validated).

    The host records the returned entries on the task's case, in the same transaction as the
    outcome, naming the plugin and its version. Follow-up tasks come from
    ``schedule_tasks``, which the host calls again once the outcome and entries are recorded.

    :param context: the read-only plugin context.
    :param task: the task, now done.
    :param outcome: the outcome as recorded.
    :returns: a list of :class:`~casebook.models.EntrySpec` (or nothing); all are recorded.
    """


@hookspec
def find_alerts(context: PluginContext, at: datetime) -> list[Alert]:
    """Escalations as of ``at``: investigation, cluster, urgent...

    An alert whose severity is not one of :data:`~casebook.models.SEVERITIES` is refused.

    :param context: the read-only plugin context.
    :param at: the moment to evaluate (aware datetime).
    :returns: a list of :class:`~casebook.models.Alert`; all results are collected.
    """


@hookspec
def review_case(context: PluginContext, case: Case, at: datetime) -> list[Finding]:
    """Legal review findings for a case as of ``at``.

    The host gives each finding a stable id, computes the score (100 minus the points of
    the open findings, at least 0) and records the result in the op log. It refuses (and
    reports in ``plugins list``) a finding whose rule is outside the plugin's namespace
    (``<plugin>.<rule>`` or a bare rule declared in ``casebook_plugin["rules"]``), whose
    severity is not one of :data:`~casebook.models.SEVERITIES`, or whose points are not an
    integer from 0 to :data:`~casebook.models.MAX_FINDING_POINTS`.

    :param context: the read-only plugin context.
    :param case: the case to review.
    :param at: the moment to evaluate (aware datetime).
    :returns: a list of :class:`~casebook.models.Finding`; all results are collected.
    """


# ---------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------

if TYPE_CHECKING:
    from casebook.models import Vocabulary


@hookspec
def register_vocabulary() -> list[Vocabulary]:
    """What this plugin's codes are called: report keys, task and alert kinds, review rules,
    data fields, enum codes, and the roles of its reports (e.g. the daily summary).

    Unlike the other hooks it takes no argument: a vocabulary is static, declared once and
    translated when shown. The GUI and the PDFs read the merged result
    (``notebook.vocabulary()``, a :class:`~casebook.vocabulary.Glossary`) instead of knowing
    any plugin's report, key, kind or code by name.

    :param: none.
    :returns: a list of :class:`~casebook.models.Vocabulary`; all results are collected.
    """


#: Every hook's name.
HOOK_NAMES = tuple(
    name for name, value in list(globals().items()) if hasattr(value, PROJECT + "_spec")
)
