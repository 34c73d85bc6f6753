"""The GUI's words: its gettext domain and the labels of values that come from the core.

Source strings are English; ``casebook/locale/zh_CN/LC_MESSAGES/casebook-gui.po`` holds the
Chinese. Everything here is looked up at call time, so a language switch followed by a
rebuild of the widgets shows the new language everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casebook.cases import STATUSES as CORE_STATUSES
from casebook.clock import parse_datetime
from casebook.i18n import gettext_for, language
from casebook.vocabulary import Glossary, core_vocabulary, humanize

_ = gettext_for("casebook-gui")


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet (it is a msgid)."""
    return message


#: the entry kinds the core itself writes or offers; every other kind (a task's, an alert's)
#: is labelled by the plugins' vocabulary (``notebook.vocabulary()``).
KIND_MSGIDS = {
    "note": N_("Note"),
    "action": N_("Action"),
    "ledger": N_("Ledger"),
    "finding": N_("Review finding"),
    "review": N_("Review"),
    "status": N_("Status change"),
    "rectification": N_("Rectification"),
    "attachment": N_("Attachment"),
    "handover": N_("Handover"),
}

#: data the core stores with every task outcome
DATA_MSGIDS = {
    "task_title": N_("Task"),
    "due_at": N_("Due"),
}

#: for combo boxes: the statuses in the order of the case lifecycle
STATUSES = list(CORE_STATUSES)

#: the labels of the codes the core itself produces (statuses, task states, severities),
#: declared once by the core and looked up in the current language at call time
CORE_LABELS = Glossary([core_vocabulary()])


def status_label(status: str) -> str:
    """The display name of a case status (接报, 受案...)."""
    return CORE_LABELS.enum_label("status", status)


def kind_label(kind: str, glossary: Glossary | None = None) -> str:
    """The display name of an entry, task or alert kind: the core's own kinds here, every
    other from the plugins' vocabulary."""
    msgid = KIND_MSGIDS.get(kind)
    if msgid:
        return _(msgid)
    return glossary.label("entry_kind", kind) if glossary is not None else humanize(kind)


def alert_kind_label(kind: str, glossary: Glossary | None = None) -> str:
    """The display name of an alert kind, from the plugins' vocabulary."""
    return glossary.label("alert_kind", kind) if glossary is not None else humanize(kind)


def task_status_label(status: str) -> str:
    return CORE_LABELS.enum_label("task_status", status)


def severity_label(severity: str) -> str:
    return CORE_LABELS.enum_label("severity", severity)


def localized(labels: Any) -> str | None:
    """Pick the current language out of a ``{"zh_CN": ..., "en": ...}`` mapping."""
    if isinstance(labels, dict):
        lang = language()
        for key in (lang, lang.split("_")[0], "en", "zh_CN"):
            value = labels.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def officer_label(names: dict[str, str], officer_id: str) -> str:
    """An officer as the GUI shows them: the roster's name with the officer id (警号), or
    the id alone while the officer's profile has not arrived (``names``:
    ``notebook.officer_names()``)."""
    if not officer_id:
        return ""
    name = names.get(officer_id)
    return f"{name}（{officer_id}）" if name and name != officer_id else officer_id


def finding_state(finding: Any, names: dict[str, str]) -> str:
    """Where a review finding stands, as the Review page and the findings spreadsheet show
    it: open, rectified by a change of the data, or rectified and closed (整改销号), with who
    and when (``names``: ``notebook.officer_names()``)."""
    if not finding.rectified:
        return _("Open")
    if finding.ended_by == "data":
        msgid = _("Rectified by a data change ({officer}, {at})")
    else:
        msgid = _("Rectified and closed ({officer}, {at})")
    return msgid.format(
        officer=officer_label(names, finding.rectified_by), at=format_when(finding.rectified_at)
    )


def type_label(case_type: str, schema: dict[str, Any] | None) -> str:
    """The display name of a case type: the schema's ``x-type-labels``
    (``{"zh_CN": "失踪人员", "en": "Missing person"}``), else its ``title`` (or the
    humanized type name)."""
    schema = schema or {}
    label = localized(schema.get("x-type-labels"))
    if label:
        return label
    return str(schema.get("title") or humanize(case_type))


def field_label(schema: dict[str, Any] | None, name: str, glossary: Glossary | None = None) -> str:
    """The label of a field: the property's own ``x-labels``, then the schema-wide
    ``x-labels`` (``{"zh_CN": {field: label}}``), then its ``title``, then the plugins'
    vocabulary (a task outcome's ``satisfaction``), then its name."""
    schema = schema or {}
    prop = (schema.get("properties") or {}).get(name) or {}
    label = localized(prop.get("x-labels"))
    if label:
        return label
    table = schema.get("x-labels") or {}
    lang = language()
    for key in (lang, "en", "zh_CN"):
        mapping = table.get(key) if isinstance(table, dict) else None
        if isinstance(mapping, dict) and isinstance(mapping.get(name), str):
            return mapping[name]
    if prop.get("title"):
        return str(prop["title"])
    return glossary.label("field", name) if glossary is not None else humanize(name)


def enum_label(
    prop: dict[str, Any],
    value: Any,
    *,
    schema: dict[str, Any] | None = None,
    name: str = "",
    glossary: Glossary | None = None,
) -> str:
    """The label of one enum value, from ``x-enum-labels`` when the schema has them.

    Accepted shapes: ``{"zh_CN": {value: label}, "en": {...}}`` on the property, or the same
    keyed by field name on the schema. Without one, the plugins' vocabulary is asked (the
    enum named like the field, then any code of that name).
    """
    sources = [prop.get("x-enum-labels")]
    if isinstance(prop.get("items"), dict):
        sources.append(prop["items"].get("x-enum-labels"))
    if schema and name:
        whole = schema.get("x-enum-labels") or {}
        for lang_key, per_field in whole.items() if isinstance(whole, dict) else []:
            if isinstance(per_field, dict) and isinstance(per_field.get(name), dict):
                sources.append({lang_key: per_field[name]})
    lang = language()
    for source in sources:
        if not isinstance(source, dict):
            continue
        for key in (lang, "en", "zh_CN"):
            mapping = source.get(key)
            if isinstance(mapping, dict) and str(value) in mapping:
                return str(mapping[str(value)])
    if value is None or value == "":
        return ""
    if glossary is not None:
        return glossary.enum_label(name, value)
    return humanize(value)


def format_when(value: str | datetime | None) -> str:
    """An ISO 8601 time as the officer reads it: local, to the minute."""
    if not value:
        return ""
    try:
        moment = parse_datetime(value)
    except (TypeError, ValueError):
        return str(value)
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def format_duration(seconds: int) -> str:
    """``93784`` -> ``1天2小时`` / ``1d 2h``: how long a task is overdue."""
    seconds = max(0, int(seconds or 0))
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        return _("{days}d {hours}h").format(days=days, hours=hours)
    minutes = (rest % 3600) // 60
    return _("{hours}h {minutes}m").format(hours=hours, minutes=minutes)


def format_value(value: Any) -> str:
    """Any JSON value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return (
            "、".join(format_value(v) for v in value)
            if language() == "zh_CN"
            else ", ".join(format_value(v) for v in value)
        )
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    return str(value)


def format_data(data: dict[str, Any], glossary: Glossary | None = None) -> str:
    """An entry's structured data (a callback outcome...) as one translated line: keys and
    enum codes labelled by the plugins' vocabulary."""
    parts = []
    for key, value in data.items():
        if isinstance(value, str) and value.isascii() and value.replace("_", "").isalpha():
            # an enum code such as "basically_satisfied"
            shown = glossary.enum_label(key, value) if glossary is not None else humanize(value)
        elif isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
            shown = format_when(value)  # an ISO 8601 time
        else:
            shown = format_value(value)
        msgid = DATA_MSGIDS.get(key)
        if msgid:
            name = _(msgid)
        else:
            name = glossary.label("field", key) if glossary is not None else humanize(key)
        parts.append(f"{name}: {shown}")
    return "; ".join(parts)
