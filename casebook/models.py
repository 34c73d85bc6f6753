"""The plain values that the Notebook facade returns and that plugins return to it.

Everything here is a dataclass of JSON-friendly values, so the CLI can print ``to_dict()``
with ``--json`` and the GUI can display it without knowing the store.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


# --- validation -----------------------------------------------------------------------


@dataclass
class Problem(_Plain):
    """One reason an input is refused. ``field`` is the dotted path ("" for the whole).

    :param confirm: set for a problem the officer may override by confirming it (a possible
        second file for the same person): the fields that record the confirmation. Saving
        with ``confirm=True`` adds them (lists are merged) and validates again.
    """

    field: str
    message: str
    code: str = "invalid"
    confirm: dict[str, Any] | None = None


# --- cases ----------------------------------------------------------------------------


@dataclass
class Officer(_Plain):
    """An officer of the station roster, from the officer's ``officer.profile`` op."""

    officer_id: str
    name: str
    unit: str


@dataclass
class Entry(_Plain):
    """A note, action, ledger line, callback outcome, finding... on a case's timeline.

    Entries are add-only: ``version`` counts edits, ``deleted`` marks a tombstone and
    ``flagged`` an edit that raced a deletion (it survives and is shown).
    """

    id: str
    case_id: str
    kind: str
    text: str
    data: dict[str, Any]
    author: str
    created_at: str
    updated_at: str
    version: int = 1
    deleted: bool = False
    flagged: bool = False
    plugin: str | None = None


@dataclass
class ConflictValue(_Plain):
    value: Any
    author: str
    device_id: str
    at: str
    op_id: str


@dataclass
class Conflict(_Plain):
    """A field with concurrent values. ``winner`` is the value displayed meanwhile."""

    case_id: str
    field: str
    winner: Any
    values: list[ConflictValue]
    title: str = ""


@dataclass
class Attachment(_Plain):
    id: str
    case_id: str
    name: str
    size: int
    media_type: str
    sha256: str
    added_at: str
    author: str
    available: bool = True


@dataclass
class Case(_Plain):
    """A case as the merge rules show it now.

    ``officer_id`` is the officer who created it (接报), ``responsible_officer_id`` the one
    responsible now (the creator until a handover). ``fields`` holds the displayed winner of each field; ``conflicts`` the fields that still
    hold concurrent values; ``flags`` notes such as an edit that raced a closing status.
    """

    id: str
    type: str
    status: str
    title: str
    fields: dict[str, Any]
    officer_id: str
    unit: str
    created_at: str
    updated_at: str
    entries: list[Entry] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    deleted: bool = False
    #: the officer responsible now: ``officer_id`` (who created it) until a handover.
    responsible_officer_id: str = ""


@dataclass
class CaseSummary(_Plain):
    """A row of the case list or of search results."""

    id: str
    type: str
    status: str
    title: str
    officer_id: str
    created_at: str
    updated_at: str
    conflicts: int = 0
    responsible_officer_id: str = ""


# --- tasks, alerts, review -------------------------------------------------------------

#: The severities of findings and alerts, mildest first. Anything else is refused.
SEVERITIES = ("info", "warning", "error", "critical")
#: The most points one finding may deduct from a case's score of 100.
MAX_FINDING_POINTS = 100


@dataclass
class TaskSpec(_Plain):
    """A task a plugin schedules for a case (returned by ``schedule_tasks``).

    :param key: stable within the plugin and case ("callback-3d"); the host derives the task
        id from (case, plugin, key), so rescheduling and other laptops give the same id.
    :param outcome_schema: optional JSON Schema that ``complete_task`` validates against,
        or the name of a schema a plugin registered (``register_outcome_schemas``), such as
        ``"callbacks.callback"``; the host records the schema it names.
    """

    key: str
    kind: str
    due_at: str
    title: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    outcome_schema: dict[str, Any] | str | None = None


@dataclass
class OutcomeSchema:
    """A named outcome schema a plugin shares (returned by ``register_outcome_schemas``).

    :param name: ``<plugin>.<name>``, e.g. ``"callbacks.callback"``.
    :param schema: a JSON Schema (draft 2020-12) for the outcome object.
    """

    name: str
    schema: dict[str, Any]
    title: str = ""
    plugin: str = ""


@dataclass
class EntrySpec:
    """An entry a plugin asks the host to record on the task's case (``task_completed``).

    :param kind: the entry kind (lowercase letters, digits, ``_``).
    """

    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Task(_Plain):
    """A scheduled task. ``state`` is relative to the time asked about:
    upcoming, due (today), overdue, done, cancelled."""

    id: str
    case_id: str
    kind: str
    title: str
    due_at: str
    status: str
    plugin: str
    data: dict[str, Any] = field(default_factory=dict)
    overdue_seconds: int = 0
    case_title: str = ""
    outcome_schema: dict[str, Any] | None = None
    key: str = ""
    #: the officer responsible for the task's case.
    responsible_officer_id: str = ""


@dataclass
class Alert(_Plain):
    """An escalation (returned by ``find_alerts``): kind, the cases, a message."""

    kind: str
    case_ids: list[str]
    message: str
    severity: str = "warning"
    plugin: str = ""


@dataclass
class Finding(_Plain):
    """A problem a review rule found in a case (returned by ``review_case``).

    :param points: points deducted from the case's score of 100.
    :param id: set by the host: stable per (case, rule), so rectification follows it.
    """

    rule: str
    severity: str
    message: str
    points: int = 0
    id: str = ""
    plugin: str = ""
    rectified: bool = False
    rectified_note: str = ""


@dataclass
class ReviewResult(_Plain):
    """A case's review. ``officer_id`` is the officer responsible for the case (who gets the
    points), ``unit`` the case's unit."""

    case_id: str
    score: int
    findings: list[Finding]
    officer_id: str = ""
    unit: str = ""


# --- reports, documents, settings, plugins ----------------------------------------------


@dataclass
class Report(_Plain):
    """A built report: a summary of named figures plus a table.

    ``summary`` maps figure names to numbers; ``columns``/``rows`` form the table;
    ``charts`` optionally names (title, x column, y column) series the GUI can draw.
    """

    name: str
    title: str
    summary: dict[str, Any]
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    #: display names of the summary keys in the user's language (PDF, GUI).
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class ReportSpec:
    """A report a plugin offers (returned by ``register_reports``).

    ``build(context, start, end)`` returns a :class:`Report`; ``context`` is the read-only
    plugin context, start/end are aware datetimes or None.
    """

    name: str
    title: str
    build: Any
    description: str = ""
    plugin: str = ""


@dataclass
class DocumentSpec:
    """A printable document for a case (returned by ``register_documents``).

    ``render(context, case, path)`` writes a PDF to ``path``; ``context`` is the read-only
    plugin context.
    """

    name: str
    title: str
    case_types: list[str]
    render: Any
    plugin: str = ""
    #: Optional ``issued(context, case) -> IssuedDocument | None``: what printing the document
    #: records on the case (a receipt handed to the reporter), called after ``render``.
    issued: Any = None


@dataclass
class IssuedDocument:
    """What printing a document records on its case (a ``DocumentSpec``'s ``issued``).

    The host records both in one transaction, naming the plugin: the fields are set like any
    edit (validated first), the entry goes on the case's timeline.

    :param fields: fields to set on the case, e.g. ``{"receipt_issued": True}``.
    :param entry: an entry recording the issue, e.g. of kind ``receipt_issued``.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    entry: EntrySpec | None = None


@dataclass
class SettingSpec:
    """A setting a plugin reads through ``context.setting(key)`` (``register_settings``).

    ``key`` is in the plugin's namespace: ``<plugin name>.<key>``.

    ``schema`` is a JSON Schema for the value, used to validate changes and build the form.
    """

    key: str
    title: str
    default: Any
    schema: dict[str, Any]
    description: str = ""
    plugin: str = ""


@dataclass
class PanelSpec:
    """A GUI panel a plugin adds (``register_gui_panels``). ``factory`` is an import path
    ``"package.module:ClassName"`` so the plugin's core never imports tkinter. ``where`` is
    "case" (a tab in the case view) or "main" (a page of the main window)."""

    name: str
    title: str
    factory: str
    where: str = "case"
    case_types: list[str] = field(default_factory=list)
    plugin: str = ""


@dataclass
class PluginInfo(_Plain):
    name: str
    version: str
    publisher: str
    source: str
    signed: bool
    enabled: bool
    api_versions: list[int]
    errors: list[str] = field(default_factory=list)
    refused: str = ""
    #: "built-in", "package" (installed with pip), "signed" (verified publisher) or "unsigned".
    trust: str = ""
    #: results the host refused (rule outside the namespace, unknown severity...), newest kept.
    refusals: list[str] = field(default_factory=list)
    #: hooks over their time budget: ``{"hook", "ms" (the longest call), "budget_ms"}``.
    slow_hooks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Alarm(_Plain):
    """Something that needs a person's attention, kept in the notebook (e.g. a bad segment)."""

    id: int
    kind: str
    message: str
    at: str
    detail: dict[str, Any] = field(default_factory=dict)
    acknowledged: bool = False


# --- vocabulary -----------------------------------------------------------------------


def _same(message: str) -> str:
    return message


@dataclass
class Vocabulary:
    """What a plugin's codes are called (returned by ``register_vocabulary``).

    Labels are source strings (English msgids) that ``translate`` turns into the current
    language when they are shown, so a language switch needs no new declaration. A plugin
    passes its catalog's ``_`` (``casebook.i18n.gettext_for``); without one, labels are
    shown as written.

    :param report_keys: summary keys of the plugin's reports (``"points_by_officer"``).
    :param task_kinds: kinds of the tasks it schedules (``"callback"``).
    :param alert_kinds: kinds of the alerts it raises (``"cluster"``).
    :param entry_kinds: kinds of timeline entries other than completed tasks (which take
        the task kind's label).
    :param rules: rule ids of its review findings (``"filing_overdue"``).
    :param fields: keys of structured data it records, such as a task outcome
        (``"satisfaction"``).
    :param enums: enum name -> code -> label, for codes it reports (``{"cause":
        {"left_home": "Left home"}}``). A case type's ``x-enum-labels`` need not be repeated:
        they are read under the field's name.
    :param key_enums: report key -> the enum whose codes it holds as keys
        (``{"by_cause": "cause"}``).
    :param roles: what a report is for -> ``"report"`` or ``"report:summary_key"`` (see
        :data:`casebook.vocabulary.ROLES`), so a screen finds it without knowing its name.
    """

    report_keys: dict[str, str] = field(default_factory=dict)
    task_kinds: dict[str, str] = field(default_factory=dict)
    alert_kinds: dict[str, str] = field(default_factory=dict)
    entry_kinds: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    key_enums: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    translate: Any = _same
    plugin: str = ""
