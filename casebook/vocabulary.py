"""The merged vocabulary of the plugins: display labels of the codes they produce.

Plugins declare a :class:`~casebook.models.Vocabulary` each (``register_vocabulary``); the
core adds its own codes (:func:`core_vocabulary`: statuses, task states, severities); the
case types add the ``x-labels`` and ``x-enum-labels`` of their fields. :meth:`casebook.Notebook.vocabulary`
merges them into a :class:`Glossary`, which the GUI and the PDFs both read, so neither
knows a plugin's report, key, kind or code by name.

Labels are translated when they are looked up, in the current language
(:func:`casebook.i18n.language`). A code nobody labels is shown humanized
(``left_home`` -> ``Left home``), never as a raw key when a label exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from casebook.i18n import N_, _, language
from casebook.models import Vocabulary

#: the kinds of code :meth:`Glossary.label` looks up, with the Vocabulary field of each.
KINDS = {
    "report_key": "report_keys",
    "task_kind": "task_kinds",
    "alert_kind": "alert_kinds",
    "entry_kind": "entry_kinds",
    "rule": "rules",
    "field": "fields",
}

#: where a kind's code is looked up next when the kind itself has no label: an entry
#: written by a completed task has the task's kind, an alert's kind may be a task's...
RELATED_KINDS = {
    "entry_kind": ("task_kind", "alert_kind"),
    "task_kind": ("entry_kind", "alert_kind"),
    "alert_kind": ("task_kind", "entry_kind"),
    "report_key": ("field",),
    "field": ("report_key",),
    "rule": (),
}

#: the report roles the GUI knows. A role names a report (``"daily"``) or one summary key
#: of a report (``"review:points_by_officer"``).
ROLES = {
    "daily_summary": "the report whose summary figures the Today page shows (for today)",
    "review": "the report of the legal review (findings, rectification, points)",
    "officer_points": "a summary key mapping officer ids to points, shown on the Review page",
}

#: the enum name a plugin gives in ``key_enums`` for report keys and columns that hold officer
#: ids (``{"points_by_officer": OFFICERS}``): they are shown by the officer's name from the
#: station roster, not by a label of the vocabulary.
OFFICERS = "officer"

Label = Callable[[], str]


def core_vocabulary() -> Vocabulary:
    """The labels of the codes the core itself produces: case statuses (enum ``status``),
    task states (``task_status``), severities (``severity``) and the core's entry kinds.
    :meth:`casebook.Notebook.vocabulary` merges it after the plugins' vocabularies."""
    return Vocabulary(
        enums={
            "status": {
                "received": N_("Received"),
                "accepted": N_("Accepted"),
                "not_accepted": N_("Not accepted"),
                "filed": N_("Filed"),
                "not_filed": N_("Not filed"),
                "handled": N_("Handled"),
                "diverted": N_("Diverted"),
                "transferred": N_("Transferred"),
                "closed": N_("Closed"),
            },
            "task_status": {
                "due": N_("Due today"),
                "overdue": N_("Overdue"),
                "upcoming": N_("Upcoming"),
                "done": N_("Done"),
                "cancelled": N_("Cancelled"),
            },
            "severity": {
                "info": N_("Info"),
                "warning": N_("Warning"),
                "error": N_("Error"),
                "critical": N_("Critical"),
            },
        },
        entry_kinds={
            "note": N_("Note"),
            "action": N_("Action"),
            "status": N_("Status change"),
            "attachment": N_("Attachment"),
            "finding": N_("Review finding"),
            "rectification": N_("Rectification"),
        },
        translate=_,
        plugin="casebook",
    )


def humanize(code: Any) -> str:
    """``left_home`` -> ``Left home``: the fallback when nothing names a code."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ReportRole:
    """The report that plays a role, and the summary key when the role is one figure."""

    report: str
    key: str = ""
    plugin: str = ""


def _translated(message: str, translate: Callable[[str], str]) -> Label:
    def label() -> str:
        try:
            return str(translate(message)) or message
        except Exception:  # noqa: BLE001 - a broken catalog must not hide the label
            return message

    return label


def _per_language(labels: dict[str, str]) -> Label:
    """A label given per language (``{"zh_CN": "离家出走", "en": "Left home"}``)."""

    def label() -> str:
        lang = language()
        for key in (lang, lang.split("_")[0], "en", "zh_CN"):
            if labels.get(key):
                return labels[key]
        return next(iter(labels.values()))

    return label


class Glossary:
    """Display labels of every declared code, in the current language.

    >>> glossary = notebook.vocabulary()
    >>> glossary.label("report_key", "points_by_officer")
    '民警积分'
    >>> glossary.role("daily_summary").report
    'daily'

    When two sources label the same code, the first one (plugins in load order, then the
    case types' ``x-enum-labels``) is kept.
    """

    def __init__(
        self,
        vocabularies: Iterable[Vocabulary] = (),
        case_types: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._labels: dict[str, dict[str, Label]] = {kind: {} for kind in KINDS}
        self._enums: dict[str, dict[str, Label]] = {}
        self._key_enums: dict[str, str] = {}
        self._roles: dict[str, ReportRole] = {}
        for vocabulary in vocabularies:
            self._add(vocabulary)
        for schema in (case_types or {}).values():
            self._add_schema(schema)

    # -- building -------------------------------------------------------------------------

    def _add_schema(self, schema: dict[str, Any]) -> None:
        field_labels: dict[str, dict[str, str]] = {}  # field -> lang -> label
        for lang, names in (schema.get("x-labels") or {}).items():
            for name, text in names.items() if isinstance(names, dict) else []:
                if isinstance(text, str) and text:
                    field_labels.setdefault(str(name), {})[lang] = text
        for name, labels in field_labels.items():
            self._labels["field"].setdefault(name, _per_language(labels))
        table = schema.get("x-enum-labels")
        if not isinstance(table, dict):
            return
        merged: dict[str, dict[str, dict[str, str]]] = {}  # enum -> code -> lang -> label
        for lang, per_field in table.items():
            for name, codes in per_field.items() if isinstance(per_field, dict) else []:
                for code, text in codes.items() if isinstance(codes, dict) else []:
                    if isinstance(text, str) and text:
                        merged.setdefault(name, {}).setdefault(str(code), {})[lang] = text
        for name, codes in merged.items():
            target = self._enums.setdefault(name, {})
            for code, labels in codes.items():
                target.setdefault(code, _per_language(labels))

    def _add(self, vocabulary: Vocabulary) -> None:
        translate = vocabulary.translate or (lambda message: message)
        for kind, attribute in KINDS.items():
            for code, message in (getattr(vocabulary, attribute) or {}).items():
                self._labels[kind].setdefault(str(code), _translated(str(message), translate))
        for name, codes in (vocabulary.enums or {}).items():
            target = self._enums.setdefault(str(name), {})
            for code, message in codes.items():
                target.setdefault(str(code), _translated(str(message), translate))
        for key, enum in (vocabulary.key_enums or {}).items():
            self._key_enums.setdefault(str(key), str(enum))
        for role, target in (vocabulary.roles or {}).items():
            report, _, key = str(target).partition(":")
            if report:
                self._roles.setdefault(str(role), ReportRole(report, key, vocabulary.plugin))

    # -- lookups --------------------------------------------------------------------------

    def has(self, kind: str, code: Any) -> bool:
        """Whether ``code`` has a label of its own kind."""
        return str(code) in self._table(kind)

    def label(self, kind: str, code: Any) -> str:
        """The label of a code of ``kind`` (one of :data:`KINDS`).

        Falls back to the related kinds, then to any kind and enum that labels the code,
        then to the humanized code.
        """
        code = str(code)
        for candidate in (kind, *RELATED_KINDS.get(kind, ())):
            found = self._table(candidate).get(code)
            if found is not None:
                return found()
        return self._anywhere(code)

    def enum_label(self, enum: str, code: Any) -> str:
        """The label of one code of an enum (a case field's name, or a declared enum)."""
        found = self._enums.get(str(enum), {}).get(str(code))
        return found() if found is not None else self._anywhere(str(code))

    def enum_labels(self, enum: str) -> dict[str, str]:
        """``{code: label}`` of an enum, in declaration order (empty when unknown)."""
        return {code: label() for code, label in self._enums.get(str(enum), {}).items()}

    def key_label(self, report_key: Any, code: Any) -> str:
        """The label of a code found under a report key: under ``by_cause`` a cause's
        label (``key_enums``), else the code as a report key."""
        enum = self._key_enums.get(str(report_key))
        if enum is not None and str(code) in self._enums.get(enum, {}):
            return self.enum_label(enum, code)
        return self.label("report_key", code)

    def key_enum(self, report_key: Any) -> str | None:
        """The enum whose codes a report key (or a report column) holds, as declared in
        ``key_enums`` (:data:`OFFICERS` for officer ids), or None."""
        return self._key_enums.get(str(report_key))

    def labels(self, kind: str) -> dict[str, str]:
        """``{code: label}`` of one kind."""
        return {code: label() for code, label in self._table(kind).items()}

    def role(self, role: str) -> ReportRole | None:
        """The report that plays ``role`` (see :data:`ROLES`), or None when no plugin
        declares one."""
        return self._roles.get(role)

    def to_dict(self) -> dict[str, Any]:
        """Every label in the current language, JSON-friendly."""
        return {
            **{kind: self.labels(kind) for kind in KINDS},
            "enums": {name: self.enum_labels(name) for name in self._enums},
            "key_enums": dict(self._key_enums),
            "roles": {
                role: f"{found.report}:{found.key}" if found.key else found.report
                for role, found in self._roles.items()
            },
        }

    def _table(self, kind: str) -> dict[str, Label]:
        if kind not in self._labels:
            raise ValueError(f"unknown vocabulary kind: {kind} (known: {', '.join(KINDS)})")
        return self._labels[kind]

    def _anywhere(self, code: str) -> str:
        for table in (*self._labels.values(), *self._enums.values()):
            found = table.get(code)
            if found is not None:
                return found()
        return humanize(code)
