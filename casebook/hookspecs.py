"""Every hook a Casebook plugin can implement.

Families: ``register_*`` return lists; ``prepare_*`` may change their argument in place;
past-tense names notify. Every hook except ``register_commands`` receives the notebook.
Arguments may be added later, never renamed or removed: an implementation may accept any
subset of them. The host calls each implementation in its own guard, so one plugin that
raises is reported and the others go on.

A plugin module declares what it is with a ``casebook_plugin`` dict::

    casebook_plugin = {"version": "1.0.0", "publisher": "Example station", "api": [1]}

``api`` lists the host API versions it supports (:data:`casebook.API_VERSION`).
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
        DocumentSpec,
        Finding,
        PanelSpec,
        Problem,
        ReportSpec,
        SettingSpec,
        Task,
        TaskSpec,
    )
    from casebook.notebook import Notebook

PROJECT = "casebook"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------


@hookspec
def register_case_types(notebook: Notebook) -> list[dict[str, Any]]:
    """Case types this plugin adds, as JSON Schemas (draft 2020-12).

    Each schema carries ``x-casebook-type`` (the type name) and may carry ``x-title``
    (the field used as the case title) and ``x-labels`` (``{"zh_CN": {...}, "en": {...}}``
    field labels).

    :param notebook: the open notebook.
    :returns: a list of schemas; all results are collected.
    """


@hookspec
def register_settings(notebook: Notebook) -> list[SettingSpec]:
    """Settings this plugin reads with ``notebook.setting(key)``, with defaults and schemas.

    :param notebook: the open notebook.
    :returns: a list of :class:`~casebook.models.SettingSpec`; all results are collected.
    """


@hookspec
def register_reports(notebook: Notebook) -> list[ReportSpec]:
    """Reports this plugin offers (``casebook report NAME``).

    :param notebook: the open notebook.
    :returns: a list of :class:`~casebook.models.ReportSpec`; all results are collected.
    """


@hookspec
def register_documents(notebook: Notebook) -> list[DocumentSpec]:
    """Printable documents for a case, such as a receipt (``casebook document NAME ID``).

    :param notebook: the open notebook.
    :returns: a list of :class:`~casebook.models.DocumentSpec`; all results are collected.
    """


@hookspec
def register_gui_panels(notebook: Notebook) -> list[PanelSpec]:
    """GUI panels: tabs in the case view or pages of the main window.

    The plugin names the panel class by import path, so its core module stays headless.

    :param notebook: the open notebook.
    :returns: a list of :class:`~casebook.models.PanelSpec`; all results are collected.
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
def prepare_fields(notebook: Notebook, case_type: str, fields: dict[str, Any]) -> None:
    """Change the fields of a case about to be saved, in place (e.g. derive a value).

    Called before validation, with the complete set of fields the case will have.

    :param notebook: the open notebook.
    :param case_type: the case type name.
    :param fields: the fields; change them in place.
    """


@hookspec
def validate_case(notebook: Notebook, case: Case) -> list[Problem]:
    """Problems with a case about to be saved, beyond its JSON Schema.

    Any problem refuses the save and nothing is written.

    :param notebook: the open notebook.
    :param case: the case as it would be after the save.
    :returns: a list of :class:`~casebook.models.Problem`; all results are collected.
    """


@hookspec
def case_saved(notebook: Notebook, case: Case) -> None:
    """A case was created or changed (fields, status, entries) on this laptop.

    :param notebook: the open notebook.
    :param case: the case as saved.
    """


@hookspec
def schedule_tasks(notebook: Notebook, case: Case) -> list[TaskSpec]:
    """The tasks this plugin wants for a case in its current state.

    Called after every save. Return the complete set: a pending task that is no longer
    returned is cancelled; a returned task keeps its id (derived from its ``key``).
    Return ``[]`` for cases the plugin does not handle.

    :param notebook: the open notebook.
    :param case: the case as saved.
    :returns: a list of :class:`~casebook.models.TaskSpec`; all results are collected.
    """


@hookspec
def task_completed(notebook: Notebook, task: Task, outcome: dict[str, Any]) -> None:
    """A task was marked done with an outcome (already validated and recorded).

    :param notebook: the open notebook.
    :param task: the task, now done.
    :param outcome: the outcome as recorded.
    """


@hookspec
def find_alerts(notebook: Notebook, at: datetime) -> list[Alert]:
    """Escalations as of ``at``: investigation, cluster, urgent...

    :param notebook: the open notebook.
    :param at: the moment to evaluate (aware datetime).
    :returns: a list of :class:`~casebook.models.Alert`; all results are collected.
    """


@hookspec
def review_case(notebook: Notebook, case: Case, at: datetime) -> list[Finding]:
    """Legal review findings for a case as of ``at``.

    The host gives each finding a stable id, computes the score (100 minus the points of
    the open findings, at least 0) and records the result in the op log.

    :param notebook: the open notebook.
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
