"""One test per hook (``test_hook_<name>``), and the checks that keep hooks, docs and tests
from drifting apart."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest

from casebook import (
    Alert,
    CaseField,
    DocumentSpec,
    EntrySpec,
    Finding,
    InvalidInputError,
    OutcomeSchema,
    PanelSpec,
    Problem,
    Report,
    ReportSpec,
    SettingSpec,
    TaskSpec,
    hookimpl,
    hookspecs,
)
from casebook.plugin_host import PluginHost

ROOT = Path(__file__).parent.parent.parent


def hook_names() -> list[str]:
    return sorted(
        name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "casebook_spec")
    )


class Recorder:
    """A test plugin: each hook records its call and returns something."""

    casebook_plugin = {"version": "1.2.3", "publisher": "Tests", "api": [2]}

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def register_case_types(self, context):
        return [
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "x-casebook-type": "lost_item",
                "x-title": "item",
                "type": "object",
                "additionalProperties": False,
                "required": ["item"],
                "properties": {
                    "item": {"type": "string"},
                    "value": {"type": "integer", "minimum": 0},
                },
            }
        ]

    @hookimpl
    def register_settings(self, context):
        return [
            SettingSpec(
                key="recorder.days",
                title="Days",
                default=3,
                schema={"type": "integer", "minimum": 1, "maximum": 30},
            )
        ]

    @hookimpl
    def register_reports(self, context):
        def build(nb, start, end):
            return Report(
                name="lost_items",
                title="Lost items",
                summary={"count": nb.count_cases(case_type="lost_item")},
            )

        return [ReportSpec(name="lost_items", title="Lost items", build=build)]

    @hookimpl
    def register_documents(self, context):
        def render(nb, case, path):
            path.write_bytes(b"%PDF-1.4 " + case.title.encode("utf-8"))

        return [DocumentSpec(name="label", title="Label", case_types=["lost_item"], render=render)]

    @hookimpl
    def register_gui_panels(self, context):
        return [
            PanelSpec(
                name="lost", title="Lost", factory="example.gui:LostPanel", case_types=["lost_item"]
            )
        ]

    @hookimpl
    def prepare_fields(self, context, case_type, fields):
        if case_type == "lost_item":
            fields["item"] = fields["item"].strip()

    @hookimpl
    def validate_case(self, context, case):
        if case.type == "lost_item" and case.fields.get("value", 0) > 1000:
            return [Problem("value", "value: over 1000 needs a receipt", "too_valuable")]
        return []

    @hookimpl
    def case_saved(self, context, case):
        self.calls.append(("case_saved", {"id": case.id, "title": case.title}))

    @hookimpl
    def schedule_tasks(self, context, case):
        if case.type != "lost_item" or case.status == "closed":
            return []
        due = datetime.fromisoformat(case.created_at) + timedelta(
            days=context.setting("recorder.days")
        )
        return [
            TaskSpec(
                key="return-item",
                kind="callback",
                due_at=due.isoformat(),
                title="Return the item",
                outcome_schema="recorder.return",
            )
        ]

    @hookimpl
    def register_outcome_schemas(self, context):
        return [
            OutcomeSchema(
                name="recorder.return",
                schema={
                    "type": "object",
                    "required": ["returned"],
                    "properties": {"returned": {"type": "boolean"}},
                },
            )
        ]

    @hookimpl
    def task_completed(self, context, task, outcome):
        self.calls.append(("task_completed", {"task": task.id, "outcome": outcome}))
        if not outcome["returned"]:
            return [EntrySpec(kind="note", text="not returned yet", data={"task": task.key})]
        return []

    @hookimpl
    def find_alerts(self, context, at):
        count = context.count_cases(case_type="lost_item", status="received")
        return [Alert(kind="backlog", case_ids=[], message=f"{count} open")] if count >= 2 else []

    @hookimpl
    def review_case(self, context, case, at):
        if case.type == "lost_item" and "value" not in case.fields:
            return [
                Finding(
                    rule="recorder.value_missing", severity="warning", message="no value", points=15
                )
            ]
        return []

    @hookimpl
    def register_commands(self, cli):
        @cli.command("lost-hello")
        def hello():
            click.echo("hello")


@pytest.fixture
def recorder(notebook):
    plugin = Recorder()
    notebook.register_plugin("recorder", plugin)
    return plugin


def test_hook_register_case_types(notebook, recorder):
    assert "lost_item" in notebook.case_types()
    assert notebook.create_case("lost_item", {"item": "钱包"}).title == "钱包"


class ValueField:
    """Adds ``stolen_value`` to the built-in ``incident`` type."""

    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def register_case_fields(self, context):
        return [
            CaseField(
                case_type="incident",
                name="stolen_value",
                schema={"type": "integer", "minimum": 0},
                labels={"zh_CN": "被盗金额", "en": "Stolen value"},
            )
        ]


def test_hook_register_case_fields(notebook):
    notebook.register_plugin("theft", ValueField())
    schema = notebook.case_types()["incident"]
    assert schema["properties"]["stolen_value"] == {"type": "integer", "minimum": 0}
    assert schema["x-labels"]["zh_CN"]["stolen_value"] == "被盗金额"
    assert "reporter_name" in schema["properties"]  # the type's own fields stay
    case = notebook.create_case("incident", {"title": "电动车被盗", "stolen_value": 8200})
    assert notebook.get_case(case.id).fields["stolen_value"] == 8200
    with pytest.raises(InvalidInputError, match="stolen_value"):
        notebook.create_case("incident", {"title": "手机被盗", "stolen_value": "很多"})
    assert [found.id for found in notebook.search("8200")] == [case.id]


def test_two_plugins_adding_one_field_are_both_refused_naming_each_other(notebook):
    notebook.register_plugin("theft", ValueField())
    notebook.register_plugin("burglary", ValueField())
    assert "stolen_value" not in notebook.case_types()["incident"]["properties"]
    refusals = {p.name: p.refusals for p in notebook.plugins()}
    for name in ("theft", "burglary"):
        assert any("burglary, theft" in refusal for refusal in refusals[name]), refusals[name]

    class Shadow:
        casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

        @hookimpl
        def register_case_fields(self):
            return [CaseField(case_type="incident", name="location", schema={"type": "integer"})]

    notebook.register_plugin("shadow", Shadow())
    assert notebook.case_types()["incident"]["properties"]["location"]["type"] == "string"
    shadow = {p.name: p for p in notebook.plugins()}["shadow"]
    assert any("already has a field location" in refusal for refusal in shadow.refusals)


def test_hook_register_settings(notebook, recorder):
    assert notebook.setting("recorder.days") == 3
    notebook.set_setting("recorder.days", 5)
    assert notebook.setting("recorder.days") == 5
    with pytest.raises(InvalidInputError):
        notebook.set_setting("recorder.days", 99)
    assert any(op["kind"] == "config.set" for op in notebook.ops_from(notebook.device_id, 0))


def test_hook_register_reports(notebook, recorder):
    notebook.create_case("lost_item", {"item": "伞"})
    assert notebook.build_report("lost_items").summary == {"count": 1}


def test_hook_register_documents(notebook, recorder, tmp_path):
    case = notebook.create_case("lost_item", {"item": "身份证"})
    assert [d.name for d in notebook.documents(case.id)] == ["label"]
    out = notebook.render_document("label", case.id, tmp_path / "label.pdf")
    assert "身份证".encode() in out.read_bytes()


def test_hook_register_gui_panels(notebook, recorder):
    panels = notebook.gui_panels()
    assert [(p.name, p.plugin) for p in panels] == [("lost", "recorder")]


def test_hook_register_commands():
    host = PluginHost()
    host.register_module("recorder", Recorder())
    group = click.Group()
    host.call("register_commands", cli=group)
    assert "lost-hello" in group.commands


def test_hook_prepare_fields(notebook, recorder):
    assert notebook.create_case("lost_item", {"item": "  手机  "}).fields["item"] == "手机"


def test_hook_validate_case(notebook, recorder):
    with pytest.raises(InvalidInputError) as refused:
        notebook.create_case("lost_item", {"item": "金条", "value": 5000})
    assert refused.value.problems[0].field == "value"
    assert notebook.count_cases() == 0


def test_hook_case_saved(notebook, recorder):
    case = notebook.create_case("lost_item", {"item": "钥匙"})
    notebook.add_entry(case.id, "note", "已联系失主")
    assert [c for c in recorder.calls if c[0] == "case_saved"] == [
        ("case_saved", {"id": case.id, "title": "钥匙"})
    ] * 2


def test_hook_schedule_tasks(notebook, recorder):
    case = notebook.create_case("lost_item", {"item": "包"})
    due_day = datetime.fromisoformat(case.created_at) + timedelta(days=3)
    assert notebook.tasks(datetime.fromisoformat(case.created_at)) == []
    due = notebook.tasks(due_day)
    assert [(t.kind, t.case_id, t.status) for t in due] == [("callback", case.id, "due")]
    assert notebook.tasks(due_day + timedelta(days=2))[0].status == "overdue"
    assert notebook.task_counts(due_day + timedelta(days=2)) == {"overdue": 1, "due": 0}
    assert notebook.tasks(due_day, limit=0) == []
    notebook.set_status(case.id, "closed")
    assert notebook.tasks(due_day) == []  # no longer returned: cancelled


def test_hook_task_completed(notebook, recorder):
    case = notebook.create_case("lost_item", {"item": "包"})
    task = notebook.tasks(include_upcoming=True)[0]
    with pytest.raises(InvalidInputError):
        notebook.complete_task(task.id, {"returned": "yes"})
    entry = notebook.complete_task(task.id, {"returned": True, "comment": "已归还"})
    assert entry.kind == "callback" and entry.text == "已归还" and entry.data["task_id"] == task.id
    # task_completed runs in the transaction that records the outcome, before case_saved.
    assert [call for call in recorder.calls if call[0] != "case_saved"] == [
        ("task_completed", {"task": task.id, "outcome": {"returned": True, "comment": "已归还"}})
    ]
    assert recorder.calls[-1][0] == "case_saved"
    assert notebook.tasks(include_upcoming=True) == []
    assert notebook.get_case(case.id).entries[-1].id == entry.id


def test_hook_task_completed_returns_entries_the_host_records(notebook, recorder):
    case = notebook.create_case("lost_item", {"item": "包"})
    task = notebook.tasks(include_upcoming=True)[0]
    notebook.complete_task(task.id, {"returned": False})
    added = [op for op in notebook.history(case.id) if op["kind"] == "entry.add"]
    assert [op["payload"]["text"] for op in added] == ["not returned yet"]
    payload = added[0]["payload"]
    assert (payload["plugin"], payload["plugin_version"]) == ("recorder", "1.2.3")
    assert added[0]["officer_id"] == notebook.officer["officer_id"]
    entries = notebook.get_case(case.id).entries
    assert [(e.kind, e.plugin, e.data) for e in entries if e.kind == "note"] == [
        ("note", "recorder", {"task": "return-item"})
    ]


def test_hook_register_outcome_schemas(notebook, recorder):
    assert notebook.outcome_schemas()["recorder.return"].plugin == "recorder"
    notebook.create_case("lost_item", {"item": "包"})
    task = notebook.tasks(include_upcoming=True)[0]
    assert task.outcome_schema["required"] == ["returned"]  # the name, resolved by the host
    with pytest.raises(InvalidInputError):
        notebook.complete_task(task.id, {"returned": "yes"})


def test_hook_find_alerts(notebook, recorder):
    notebook.create_case("lost_item", {"item": "a"})
    assert notebook.alerts() == []
    notebook.create_case("lost_item", {"item": "b"})
    alerts = notebook.alerts()
    assert [(a.kind, a.message, a.plugin) for a in alerts] == [("backlog", "2 open", "recorder")]


def test_hook_review_case(notebook, recorder):
    case = notebook.create_case("lost_item", {"item": "a"})
    [result] = notebook.review(case.id)
    assert result.score == 85 and [f.rule for f in result.findings] == ["recorder.value_missing"]
    # Recorded by the write that created the case, under the plugin's name and version.
    [raised] = [op for op in notebook.history(case.id) if op["kind"] == "finding.raise"]
    [record] = raised["payload"]["findings"]
    assert (record["plugin"], record["plugin_version"]) == ("recorder", "1.2.3")
    assert result.findings[0].recorded and result.findings[0].plugin_version == "1.2.3"
    ops = len(notebook.history(case.id))
    notebook.review(case.id)
    assert len(notebook.history(case.id)) == ops  # a read writes nothing
    notebook.rectify_finding(result.findings[0].id, "已补录价值")
    [again] = notebook.review(case.id)
    assert again.score == 100 and again.findings[0].rectified


def test_hook_register_vocabulary(notebook, monkeypatch):
    from casebook import Vocabulary, i18n

    class Lexicon:
        casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

        @hookimpl
        def register_vocabulary(self):
            catalog = {"zh_CN": {"Lost items": "失物数", "Item returned": "归还失物"}}
            return [
                Vocabulary(
                    report_keys={"lost_count": "Lost items"},
                    task_kinds={"return_item": "Item returned"},
                    roles={"daily_summary": "lost_daily"},
                    translate=lambda message: catalog.get(i18n.language(), {}).get(
                        message, message
                    ),
                )
            ]

    notebook.register_plugin("lexicon", Lexicon())
    glossary = notebook.vocabulary()
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    assert glossary.label("report_key", "lost_count") == "失物数"
    assert glossary.label("entry_kind", "return_item") == "归还失物"  # a completed task's entry
    monkeypatch.setenv("CASEBOOK_LANG", "en")
    assert glossary.label("report_key", "lost_count") == "Lost items"
    assert glossary.role("daily_summary").report == "lost_daily"
    assert glossary.role("daily_summary").plugin == "lexicon"


# -- the checks that keep specs, docs and tests together --------------------------------


def test_every_hook_has_a_test():
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [name for name in hook_names() if f"def test_hook_{name}(" not in source]
    assert missing == []


def test_every_hook_is_documented_with_an_example():
    doc = (ROOT / "docs" / "plugin_hooks.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `?(\w+)`?\n(.*?)(?=^## |\Z)", doc, flags=re.S | re.M))
    for name in hook_names():
        assert name in sections, f"{name} is not documented"
        assert "```python" in sections[name] and "@hookimpl" in sections[name], (
            f"{name} has no example"
        )
    assert set(sections) <= set(hook_names()) | {"Declaring a plugin", "Installing and signing"}


def test_every_hook_spec_is_typed_and_documented():
    import inspect

    for name in hook_names():
        spec = getattr(hookspecs, name)
        doc = spec.__doc__ or ""
        assert ":param" in doc, f"{name} documents no parameter (or says ':param: none.')"
        if (
            name.startswith("register_")
            and name != "register_commands"
            or name in ("validate_case", "schedule_tasks", "find_alerts", "review_case")
        ):
            assert ":returns:" in doc, f"{name} does not say what it returns"
        signature = inspect.signature(spec)
        assert all(
            p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()
        ), name
