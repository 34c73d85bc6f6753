"""Casebook: an offline-first, encrypted case notebook for police stations.

The public API is what this module exports: the :class:`Notebook` facade, the values it
returns (:mod:`casebook.models`), the errors, and :data:`hookimpl` for plugins.
"""

from casebook.errors import (
    AuthenticationError,
    CasebookError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    PluginError,
    PluginPermissionError,
    StorageError,
)
from casebook.hookspecs import hookimpl
from casebook.models import (
    MAX_FINDING_POINTS,
    SEVERITIES,
    Alarm,
    Alert,
    Attachment,
    Case,
    CaseField,
    CaseSummary,
    Conflict,
    ConflictValue,
    DocumentSpec,
    Entry,
    EntrySpec,
    Finding,
    IssuedDocument,
    Officer,
    OutcomeSchema,
    PanelSpec,
    PluginInfo,
    Problem,
    Report,
    ReportSpec,
    ReviewResult,
    SettingSpec,
    Task,
    TaskSpec,
    Vocabulary,
)
from casebook.notebook import STATUSES, Notebook
from casebook.plugin_context import PluginContext
from casebook.plugin_host import API_VERSION
from casebook.vocabulary import OFFICERS, Glossary, ReportRole

__version__ = "0.1.0"

__all__ = [
    "API_VERSION",
    "MAX_FINDING_POINTS",
    "OFFICERS",
    "SEVERITIES",
    "STATUSES",
    "Alarm",
    "Alert",
    "Attachment",
    "AuthenticationError",
    "Case",
    "CaseField",
    "CaseSummary",
    "CasebookError",
    "Conflict",
    "ConflictValue",
    "DocumentSpec",
    "Entry",
    "EntrySpec",
    "IssuedDocument",
    "Finding",
    "Glossary",
    "IntegrityError",
    "InvalidInputError",
    "NotFoundError",
    "Notebook",
    "Officer",
    "OutcomeSchema",
    "PanelSpec",
    "PluginContext",
    "PluginError",
    "PluginInfo",
    "PluginPermissionError",
    "Problem",
    "Report",
    "ReportRole",
    "ReportSpec",
    "ReviewResult",
    "SettingSpec",
    "StorageError",
    "Task",
    "TaskSpec",
    "Vocabulary",
    "hookimpl",
]
