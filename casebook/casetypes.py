"""Case types: JSON Schemas (draft 2020-12) and the one validator used by CLI, GUI and sync.

A schema names its type in ``x-casebook-type`` and may give ``x-title`` (the field, or list of
fields, shown as the case title) and ``x-labels`` ({"zh_CN": {...}, "en": {...}}).
Validation messages name the field and are in the user's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from casebook.errors import PluginError
from casebook.i18n import _, language
from casebook.models import Problem

TYPE_NAMES = {
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "true/false",
    "array": "list",
    "object": "object",
    "null": "empty",
}


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value or " " in value


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS = FormatChecker(formats=())
FORMATS.checks("date-time")(_is_datetime)
FORMATS.checks("date")(_is_date)

#: Keywords whose meaning differs between draft-07 and 2020-12, or that the fast path leaves
#: to jsonschema. A schema using any of them is always validated by jsonschema alone.
SLOW_KEYWORDS = {
    "$ref",
    "$defs",
    "$dynamicRef",
    "$anchor",
    "definitions",
    "prefixItems",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
    "patternProperties",
    "dependencies",
}


def _keywords(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            found |= _keywords(value)
            if key == "items" and isinstance(value, list):
                found.add("prefixItems")
    elif isinstance(node, list):
        for value in node:
            found |= _keywords(value)
    return found


def _formats(node: object) -> set[str]:
    if isinstance(node, dict):
        own = {node["format"]} if isinstance(node.get("format"), str) else set()
        return own.union(*(_formats(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_formats(v) for v in node))
    return set()


def fast_path(schema: dict[str, Any]):
    """A compiled validator that returns True for valid data, or None when the schema uses a
    keyword it cannot judge exactly as draft 2020-12 does.

    jsonschema stays the authority: it runs whenever the fast path does not say "valid", and
    it produces every message. The fast path only spares valid data (bulk imports) its cost.
    """
    if _keywords(schema) & SLOW_KEYWORDS:
        return None
    formats: dict[str, Any] = {name: (lambda value: True) for name in _formats(schema)}
    formats.update({"date-time": _is_datetime, "date": _is_date})
    try:
        compiled = fastjsonschema.compile(
            {k: v for k, v in schema.items() if k != "$schema"}, formats=formats
        )
    except Exception:  # any schema it cannot compile is simply validated by jsonschema
        return None

    def is_valid(data: object) -> bool:
        try:
            compiled(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return is_valid


#: the schema keywords that judge each field on its own (see ``CaseType.change_problems``)
_PER_FIELD_KEYWORDS = frozenset(
    {
        "$schema",
        "$defs",
        "definitions",
        "type",
        "properties",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
    }
)


class CaseType:
    """One registered case type."""

    def __init__(self, schema: dict[str, Any], plugin: str) -> None:
        name = schema.get("x-casebook-type")
        if not isinstance(name, str) or not name:
            raise PluginError(
                _("A case type schema from {plugin} has no x-casebook-type.").format(plugin=plugin)
            )
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise PluginError(
                _("Case type {name} from {plugin} is not a valid JSON Schema: {error}").format(
                    name=name, plugin=plugin, error=error.message
                )
            ) from error
        self.name = name
        self.schema = schema
        self.plugin = plugin
        self.validator = Draft202012Validator(schema, format_checker=FORMATS)
        # Each field on its own (no required fields, no rules across fields): what a change
        # received from another laptop can be judged by whatever else changed concurrently.
        self.field_validator = Draft202012Validator(
            {k: v for k, v in schema.items() if k in _PER_FIELD_KEYWORDS},
            format_checker=FORMATS,
        )
        self.is_valid_fast = fast_path(schema)
        title = (
            schema.get("x-title")
            or [f for f in ("title", "name", "summary") if f in schema.get("properties", {})][:1]
        )
        self.title_fields = [title] if isinstance(title, str) else list(title)
        # Dates and times are searched with filters, not as text: indexed character by
        # character, "12" would find every case reported on the 12th or at 12 o'clock.
        properties = schema.get("properties", {})
        self.unsearchable = frozenset(
            name
            for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("format") in ("date", "date-time", "time")
        )

    def title_of(self, fields: dict[str, Any]) -> str:
        parts = [str(fields[f]) for f in self.title_fields if fields.get(f) not in (None, "")]
        return " ".join(parts)[:200]

    def label(self, field: str) -> str:
        labels = self.schema.get("x-labels", {})
        return labels.get(language(), {}).get(field) or field

    def problems(self, fields: dict[str, Any]) -> list[Problem]:
        """Schema problems, each naming the field in the user's language."""
        if self.is_valid_fast is not None and self.is_valid_fast(fields):
            return []
        problems: list[Problem] = []
        reported: set[str] = set()
        for error in self.validator.iter_errors(fields):
            problem = self._problem(error, reported)
            reported.add(problem.field)
            problems.append(problem)
        return problems

    def change_problems(self, changes: dict[str, Any]) -> list[Problem]:
        """Problems with a change of some fields (``None`` clears one), each field judged on
        its own against the schema: its type, format and limits, an unknown field, a
        required field cleared."""
        required = set(self.schema.get("required", []))
        problems = [
            Problem(
                name,
                _("{field}: this field is required").format(field=self._named(name)),
                "required",
            )
            for name, value in changes.items()
            if value is None and name in required
        ]
        present = {name: value for name, value in changes.items() if value is not None}
        reported: set[str] = set()
        for error in self.field_validator.iter_errors(present):
            problem = self._problem(error, reported)
            reported.add(problem.field)
            problems.append(problem)
        return problems

    def _problem(self, error, reported: set[str]) -> Problem:
        path = ".".join(str(p) for p in error.absolute_path)
        keyword = error.validator
        value = error.validator_value
        if keyword == "required":
            # jsonschema yields one error per missing property, all with the same list.
            missing = [
                ".".join(filter(None, [path, name]))
                for name in value
                if name not in (error.instance or {})
            ]
            path = next(
                (name for name in missing if name not in reported), missing[0] if missing else path
            )
            return Problem(
                path,
                _("{field}: this field is required").format(field=self._named(path)),
                "required",
            )
        if keyword == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            extra = sorted(k for k in (error.instance or {}) if k not in allowed)
            path = ".".join(filter(None, [path, extra[0] if extra else ""]))
            return Problem(path, _("{field}: unknown field").format(field=path), "unknown")
        field = self._named(path)
        if keyword == "type":
            expected = value if isinstance(value, list) else [value]
            names = "/".join(_(TYPE_NAMES.get(t, t)) for t in expected)
            message = _("{field}: must be {type}").format(field=field, type=names)
        elif keyword == "enum":
            message = _("{field}: must be one of {choices}").format(
                field=field, choices=self.choices(path.split(".")[0], value)
            )
            return Problem(path, message, keyword, allowed=list(value))
        elif keyword in ("minimum", "exclusiveMinimum"):
            message = _("{field}: must be at least {limit}").format(field=field, limit=value)
        elif keyword in ("maximum", "exclusiveMaximum"):
            message = _("{field}: must be at most {limit}").format(field=field, limit=value)
        elif keyword == "minLength":
            message = _("{field}: too short (at least {limit} characters)").format(
                field=field, limit=value
            )
        elif keyword == "maxLength":
            message = _("{field}: too long (at most {limit} characters)").format(
                field=field, limit=value
            )
        elif keyword == "format":
            message = _("{field}: not a valid {format}").format(field=field, format=_(value))
        elif keyword == "pattern":
            message = _("{field}: wrong format").format(field=field)
        elif keyword == "uniqueItems":
            message = _("{field}: repeated values").format(field=field)
        else:
            message = _("{field}: invalid value").format(field=field)
        return Problem(path, message, keyword)

    def enum_label(self, field: str, code: Any) -> str:
        """The label of one code of a field, from the schema's ``x-enum-labels`` (the code
        itself when it has none)."""
        table = self.schema.get("x-enum-labels") or {}
        for lang in (language(), "en"):
            label = ((table.get(lang) or {}).get(field) or {}).get(str(code))
            if isinstance(label, str) and label:
                return label
        return str(code)

    def choices(self, field: str, codes: list[Any]) -> str:
        """The allowed values of a field as the officer knows them: their labels
        (报警电话110、来所报案…); the codes go in the problem's ``allowed``."""
        separator = "、" if language().startswith("zh") else ", "
        return separator.join(self.enum_label(field, code) for code in codes)

    def _named(self, path: str) -> str:
        """The field's path, with its label when it has one: "age (年龄)"."""
        top = path.split(".")[0]
        label = self.label(top) if top else ""
        return f"{path} ({label})" if label and label != top else path


def describe(problems: list[Problem]) -> str:
    """One line for a list of problems."""
    return "; ".join(p.message for p in problems)
