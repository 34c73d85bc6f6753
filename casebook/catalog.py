"""The catalog: the case types a notebook knows, built-in and declared by plugins.

It gives the views a case's title and searchable text, and the writers the type that
validates a case's fields.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from casebook.casetypes import CaseType
from casebook.errors import NotFoundError, PluginError
from casebook.i18n import _
from casebook.views import body_text


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
        return body_text(fields, entry_texts, case_type.unsearchable if case_type else frozenset())
