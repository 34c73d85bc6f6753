"""The form generated from a case type's JSON Schema: widgets, inline validation, saving."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebook.clock import now
from casebook.gui import schema_form
from casebook.models import Problem

pytestmark = pytest.mark.gui


def test_each_schema_kind_gets_its_widget(app):
    schema = {
        "type": "object",
        "required": ["name"],
        "x-labels": {"en": {"name": "Full name"}, "zh_CN": {"name": "姓名"}},
        "properties": {
            "name": {"type": "string"},
            "story": {"type": "string", "format": "textarea"},
            "long": {"type": "string", "maxLength": 500},
            "gender": {"enum": ["male", "female"]},
            "born": {"type": "string", "format": "date"},
            "seen": {"type": "string", "format": "date-time"},
            "minor": {"type": "boolean"},
            "age": {"type": "integer"},
            "groups": {"type": "array", "items": {"enum": ["minor", "student"]}},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    form = schema_form.SchemaForm(app.shell.content, schema)
    kinds = {name: type(field).__name__ for name, field in form.inputs.items()}
    assert kinds == {
        "name": "FieldInput",
        "story": "LongTextInput",
        "long": "LongTextInput",
        "gender": "EnumInput",
        "born": "DateInput",
        "seen": "DateTimeInput",
        "minor": "BooleanInput",
        "age": "NumberInput",
        "groups": "EnumListInput",
        "tags": "ListInput",
    }
    values = {
        "name": "张三",
        "story": "第一行\n第二行",
        "gender": "female",
        "born": "2001-02-03",
        "seen": "2025-03-01T08:30:00+08:00",
        "minor": False,
        "age": 15,
        "groups": ["student"],
        "tags": ["a", "b"],
    }
    form.set_values(values)
    got = form.get_values()
    assert (
        got["seen"][:16]
        == now().fromisoformat("2025-03-01T08:30:00+08:00").astimezone().isoformat()[:16]
    )
    assert {k: v for k, v in got.items() if k != "seen"} == {
        k: v for k, v in values.items() if k != "seen"
    }
    form.inputs["age"].set("abc")
    assert form.get_values()["age"] == "abc"  # handed to the core's validator as typed
    form.show_problems([Problem("age", "age: must be an integer"), Problem("", "whole case")])
    assert form.problem_text("age") == "age: must be an integer"
    assert "whole case" in form.form_error.cget("text")


def test_create_a_missing_person_with_a_validation_error_first(app, language):
    nb = app.app.nb
    assert "missing_person" in nb.case_types()
    app.root.event_generate("<Control-n>")  # the new-case shortcut
    app.pump()
    view = app.shell.case_view
    assert view is not None and view.case is None
    view.type_box.current(view.type_names.index("missing_person"))
    view.type_box.event_generate("<<ComboboxSelected>>")
    app.pump()
    assert view.case_type == "missing_person"
    form = view.form
    form.inputs["name"].set("张三")
    form.inputs["age"].set("三十四")  # not a number: the core says so
    assert view.on_save() is False
    app.pump()
    assert form.problem_text("age"), "the age gets an inline message"
    for required in ("last_seen_at", "last_seen_place", "reported_at"):
        assert form.problem_text(required), f"{required} gets an inline message"
    assert nb.count_cases() == 0, "nothing is written"
    assert app.shell.notice.kind == "danger"

    seen = now() - timedelta(hours=5)
    form.inputs["age"].set(34)
    form.inputs["gender"].set("male")
    form.inputs["cause"].set("family_conflict")
    form.inputs["last_seen_at"].set(seen.isoformat())
    form.inputs["reported_at"].set(now().isoformat())
    form.inputs["last_seen_place"].set("梁溪区中山路地铁站")
    form.inputs["vulnerable"].set(["elderly"])
    form.inputs["description"].set("身高约175厘米，穿深蓝色夹克。")
    assert app.shell.case_view is view
    app.root.event_generate("<Control-s>")  # the save shortcut
    app.pump()
    assert nb.count_cases() == 1
    case = nb.list_cases()[0]
    saved = nb.get_case(case.id)
    assert saved.fields["name"] == "张三"
    assert saved.fields["age"] == 34
    assert saved.fields["vulnerable"] == ["elderly"]
    assert saved.fields["last_seen_at"][:16] == seen.astimezone().isoformat()[:16]
    assert app.shell.case_view.case is not None and app.shell.case_view.case.id == case.id


def test_edit_add_a_ledger_line_and_change_status(app):
    nb = app.app.nb
    case = nb.create_case("incident", {"title": "电动车被盗", "category": "criminal"})
    view = app.shell.open_case(case.id)
    view.form.inputs["location"].set("滨湖区蠡湖大道")
    view.form.inputs["category"].set(None)  # cleared
    assert view.on_save()
    saved = nb.get_case(case.id)
    assert saved.fields["location"] == "滨湖区蠡湖大道"
    assert "category" not in saved.fields

    view = app.shell.case_view
    view.entry_kind.current(2)  # ledger
    view.entry_text.insert("1.0", "调取小区监控")
    view.on_add_entry()
    view = app.shell.case_view
    assert [(e.kind, e.text) for e in nb.get_case(case.id).entries][-1] == (
        "ledger",
        "调取小区监控",
    )
    assert "调取小区监控" in str(view.timeline.item(view.timeline.get_children()[-1], "values"))

    view.status_box.current(1)  # accepted
    view.on_set_status()
    assert nb.get_case(case.id).status == "accepted"


def test_a_possible_second_file_for_the_same_person_asks_before_saving(app):
    """一人一档: the same ID number as another file opens a dialog; saving anyway links the
    two files."""
    nb = app.app.nb
    id_number = "11010519491231002X"  # GB 11643's own example: a valid check digit
    seen = now() - timedelta(hours=5)
    fields = {
        "name": "张三",
        "id_number": id_number,
        "last_seen_at": seen.isoformat(),
        "last_seen_place": "梁溪区中山路地铁站",
        "reported_at": now().isoformat(),
    }
    first = nb.create_case("missing_person", fields)
    app.root.event_generate("<Control-n>")
    app.pump()
    view = app.shell.case_view
    view.type_box.current(view.type_names.index("missing_person"))
    view.type_box.event_generate("<<ComboboxSelected>>")
    app.pump()
    for name, value in fields.items():
        view.form.inputs[name].set(value)
    view.form.inputs["name"].set("张三丰")  # another name: the ID number alone matches
    assert view.on_save() is False
    app.pump()
    dialog = view.confirm_dialog
    assert dialog is not None and dialog.winfo_exists()
    assert nb.count_cases() == 1, "nothing is written before the officer confirms"
    dialog.confirm_button.invoke()
    app.pump()
    assert nb.count_cases() == 2
    [second] = [c for c in nb.list_cases() if c.id != first.id]
    assert nb.get_case(second.id).fields["duplicate_of"] == [first.id]
