"""The catalog: the case types a notebook knows, built-in and declared by plugins.

It gives the views a case's title and searchable text, and the writers the type that
validates a case's fields.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from casebook.casetypes import CaseType
from casebook.errors import NotFoundError, PluginError
from casebook.i18n import _
from casebook.models import CaseField
from casebook.views import body_text

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: The schema key listing the fields plugins added to a type: ``{name: plugin}``. Printed
#: documents read it to print those fields too.
ADDED_FIELDS = "x-added-fields"


class Catalog:
    """The registered case types, by name."""

    def __init__(self, notebook: Any) -> None:
        """:param notebook: the notebook (its host; the hook gets its ``plugin_context``)."""
        self._notebook = notebook
        self._case_types: dict[str, CaseType] = {}

    @property
    def host(self) -> Any:
        return self._notebook.host

    def _load_builtin_types(self) -> None:
        for item in resources.files("casebook.schemas").iterdir():
            if (
                item.name.endswith(".schema.json")
                and item.name != "op.schema.json"
                and item.name != "segment.schema.json"
            ):
                schema = json.loads(item.read_text("utf-8"))
                if "x-casebook-type" in schema:
                    case_type = CaseType(schema, "casebook")
                    self._case_types[case_type.name] = case_type

    def load(self) -> None:
        """(Re)read the built-in types and those the loaded plugins declare."""
        self._case_types = {}
        self._load_builtin_types()
        for plugin, schema in self.host.collect(
            "register_case_types", dict, context=self._notebook.plugin_context
        ):
            try:
                case_type = CaseType(schema, plugin)
            except PluginError as error:
                self.host.report_error(plugin, "register_case_types", error)
                continue
            self._case_types[case_type.name] = case_type
        self._add_plugin_fields()

    def _add_plugin_fields(self) -> None:
        """Merge the fields plugins add to existing types (``register_case_fields``)."""
        by_name: dict[tuple[str, str], dict[str, CaseField]] = {}
        for plugin, spec in self.host.collect(
            "register_case_fields", CaseField, context=self._notebook.plugin_context
        ):
            spec.plugin = plugin
            by_name.setdefault((spec.case_type, spec.name), {}).setdefault(plugin, spec)
        added: dict[str, list[CaseField]] = {}
        for (type_name, name), specs in sorted(by_name.items()):
            subject = f"field {type_name}.{name}"
            if len(specs) > 1:
                plugins = ", ".join(sorted(specs))
                for plugin in specs:
                    self.host.refuse_result(
                        plugin,
                        subject,
                        _(
                            "plugins {plugins} both add the field {field} to {type}: neither"
                            " is added; one of them must rename it"
                        ).format(plugins=plugins, field=name, type=type_name),
                    )
                continue
            (spec,) = specs.values()
            reason = self._field_refusal(spec)
            if reason:
                self.host.refuse_result(spec.plugin, subject, reason)
                continue
            added.setdefault(type_name, []).append(spec)
        for type_name, specs in added.items():
            base = self._case_types[type_name]
            schema = copy.deepcopy(base.schema)
            properties = schema.setdefault("properties", {})
            labels = schema.setdefault("x-labels", {})
            required = list(schema.get("required", []))
            for spec in specs:
                properties[spec.name] = copy.deepcopy(spec.schema)
                for lang, label in spec.labels.items():
                    labels.setdefault(lang, {})[spec.name] = label
                if spec.required:
                    required.append(spec.name)
                schema.setdefault(ADDED_FIELDS, {})[spec.name] = spec.plugin
            if required:
                schema["required"] = required
            self._case_types[type_name] = CaseType(schema, base.plugin)

    def _field_refusal(self, spec: CaseField) -> str:
        """Why a field a plugin adds cannot be added ("" when it can)."""
        base = self._case_types.get(spec.case_type)
        if base is None:
            return _("{type}: no such case type").format(type=spec.case_type)
        if not isinstance(spec.name, str) or not FIELD_NAME.match(spec.name):
            return _("{field}: a field name uses lowercase letters, digits and '_'").format(
                field=spec.name
            )
        if spec.name in base.schema.get("properties", {}):
            return _("{type} already has a field {field} (from {owner})").format(
                type=spec.case_type, field=spec.name, owner=base.plugin
            )
        if not isinstance(spec.schema, dict):
            return _("{field}: the field's schema must be a JSON object").format(field=spec.name)
        try:
            Draft202012Validator.check_schema(spec.schema)
        except SchemaError as error:
            return _("{field}: not a valid JSON Schema: {error}").format(
                field=spec.name, error=error.message
            )
        return ""

    def case_types(self) -> dict[str, dict[str, Any]]:
        """``{type name: JSON Schema}`` of every registered case type."""
        return {name: ct.schema for name, ct in self._case_types.items()}

    def case_type(self, name: str) -> CaseType:
        """:raises NotFoundError: naming the known types."""
        case_type = self._case_types.get(name)
        if case_type is None:
            raise NotFoundError(
                _("Unknown case type: {type}. Known types: {types}").format(
                    type=name, types=", ".join(sorted(self._case_types))
                )
            )
        return case_type

    def title_of(self, type_name: str, fields: dict[str, Any]) -> str:
        case_type = self._case_types.get(type_name)
        return (
            case_type.title_of(fields)
            if case_type
            else str(fields.get("title") or fields.get("name") or "")
        )

    def searchable_text(
        self, type_name: str, fields: dict[str, Any], entry_texts: list[str]
    ) -> str:
        case_type = self._case_types.get(type_name)
        text = body_text(fields, entry_texts, case_type.unsearchable if case_type else frozenset())
        added = case_type.schema.get(ADDED_FIELDS) if case_type else None
        # A number a plugin adds (a stolen value) is searched as its digits: the built-in
        # types keep their numbers (ages, counts) out of the index.
        numbers = [
            str(fields[name])
            for name in added or ()
            if isinstance(fields.get(name), int | float) and not isinstance(fields[name], bool)
        ]
        return "\n".join([text, *numbers]) if numbers else text
