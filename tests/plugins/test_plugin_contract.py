"""The built-in plugins keep the house rules: public imports only, declared metadata,
headless, valid schemas and settings, every message translated."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import casebook
from casebook.i18n import parse_po
from tests.plugins.workflow_data import REPO, missing_person

PLUGINS = REPO / "plugins"
PACKAGES = ["missing_persons", "callbacks", "legal_review", "diversion", "station"]
HELPER_MODULES = {"casebook.clock", "casebook.i18n", "casebook.pdf"}
CATALOG = PLUGINS / "locale" / "zh_CN" / "LC_MESSAGES" / "casebook-plugins.po"
REPORTS = {"recovery", "satisfaction", "callbacks", "review", "onsite", "daily", "diversion"}


def plugin_sources() -> list[Path]:
    return sorted(path for name in PACKAGES for path in (PLUGINS / name).rglob("*.py"))


@pytest.mark.parametrize("path", plugin_sources(), ids=lambda p: str(p.relative_to(PLUGINS)))
def test_plugins_import_only_public_names(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "casebook":
                names = {alias.name for alias in node.names}
                assert names <= set(casebook.__all__), f"{path}: {names - set(casebook.__all__)}"
            elif node.module.startswith("casebook"):
                # casebook.commands is what hookspecs.register_commands prescribes.
                allowed = HELPER_MODULES | {"casebook.commands"}
                assert node.module in allowed, f"{path} imports {node.module}"
            else:
                assert node.module.split(".")[0] not in {"tkinter", "ttkbootstrap"}
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith("casebook") or alias.name in HELPER_MODULES
                assert alias.name.split(".")[0] not in {"tkinter", "ttkbootstrap"}


@pytest.mark.parametrize("name", PACKAGES)
def test_plugins_declare_themselves(name):
    module = importlib.import_module(f"casebook.plugins.{name}")
    meta = dict(module.casebook_plugin)
    rules = meta.pop("rules", [])
    title = meta.pop("title")
    assert meta == {"version": "1.0.0", "publisher": "Casebook", "api": [casebook.API_VERSION]}
    # Listed by its title in the officer's language (CLI and GUI plugin pages).
    assert set(title) == {"zh_CN", "en"} and all(title.values())
    # Bare rule ids are declared (kept from before namespaces); new ones use "<plugin>.<rule>".
    assert all(isinstance(rule, str) and "." not in rule for rule in rules)


def test_plugins_and_pdf_are_headless():
    code = (
        "import sys, casebook.pdf\n"
        + "".join(f"import casebook.plugins.{name}\n" for name in PACKAGES)
        + "assert 'tkinter' not in sys.modules, 'tkinter imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_builtin_plugins_load_through_entry_points(nb):
    infos = {info.name: info for info in nb.plugins()}
    for name in PACKAGES:
        assert infos[name].enabled and not infos[name].errors and not infos[name].refused
    assert REPORTS <= {spec.name for spec in nb.reports()}
    assert {"receipt", "notice"} <= {spec.name for spec in nb.documents()}


SCHEMAS = [
    REPO / "schemas" / "incident.schema.json",
    PLUGINS / "missing_persons" / "missing_person.schema.json",
]


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_case_type_schemas(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["x-casebook-type"] in path.name
    assert schema["x-title"] in schema["properties"]
    for lang in ("zh_CN", "en"):
        assert set(schema["x-labels"][lang]) == set(schema["properties"]), lang
        for field, labels in schema["x-enum-labels"][lang].items():
            spec = schema["properties"][field]
            values = spec.get("enum") or spec["items"]["enum"]
            assert set(labels) == set(values), (lang, field)


def test_issue_fields_are_present(nb):
    types = nb.case_types()
    assert {"name", "last_seen_at", "last_seen_place", "reported_at"} <= set(
        types["missing_person"]["required"]
    )
    for field in (
        "gender",
        "age",
        "id_number",
        "description",
        "area",
        "school",
        "cause",
        "risk",
        "vulnerable",
        "reporter_name",
        "reporter_phone",
        "reporter_relationship",
        "how_known",
        "found_at",
        "outcome",
    ):
        assert field in types["missing_person"]["properties"]
    for field in (
        "reported_at",
        "channel",
        "reporter_name",
        "reporter_phone",
        "location",
        "category",
        "summary",
        "disposition",
        "diverted_to",
        "key_flags",
        "receipt_issued",
        "accepted_at",
        "filing_decision",
        "filing_decided_at",
    ):
        assert field in types["incident"]["properties"]


def test_settings_defaults_are_valid_and_namespaced(nb):
    specs = [spec for spec in nb.setting_specs() if spec.plugin in PACKAGES]
    assert len(specs) >= 15
    for spec in specs:
        assert spec.key.startswith(spec.plugin + "."), spec.key
        jsonschema.Draft202012Validator(spec.schema).validate(spec.default)
        assert nb.setting(spec.key) == spec.default


def message_ids() -> set[str]:
    ids = set()
    for path in plugin_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                ids.add(node.args[0].value)
    from casebook.plugins.missing_persons.notice import GENDER

    labels = [GENDER]
    return ids.union(*(set(table.values()) for table in labels))


def test_every_message_has_a_chinese_translation():
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    missing = sorted(message_ids() - set(catalog))
    assert not missing, missing
    for msgid, msgstr in catalog.items():
        # Placeholders survive translation.
        assert set(_placeholders(msgid)) == set(_placeholders(msgstr)), msgid


def _placeholders(text: str) -> list[str]:
    import string

    return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]


def test_messages_are_chinese_by_default(nb, monkeypatch):
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    case = nb.create_case("missing_person", missing_person(cause="suicide_risk"))
    [alert] = [a for a in nb.alerts("2025-03-01T12:00:00+08:00") if a.kind == "urgent"]
    assert "紧急失踪警情" in alert.message
    titles = {
        t.kind: t.title
        for t in nb.tasks("2025-03-01", include_upcoming=True)
        if t.case_id == case.id
    }
    assert titles["ledger"].startswith("建立台账")
    assert "找回率" in nb.build_report("recovery").title
