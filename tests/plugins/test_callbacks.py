"""Satisfaction callbacks, follow-ups, overdue callbacks and the receipt (seeds 002, 004)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from casebook import InvalidInputError
from casebook.clock import parse_datetime
from tests.plugins.workflow_data import (
    PASSPHRASE,
    incident,
    missing_person,
    render_png,
    tasks_of,
)

REPORTED = parse_datetime("2025-03-01T10:00:00+08:00")


def callbacks_of(notebook, case_id, at="2025-03-01", upcoming=True):
    return [t for t in tasks_of(notebook, case_id, at, upcoming=upcoming) if t.kind == "callback"]


@pytest.mark.parametrize("channel", ["walk_in", "self_service"])
def test_in_person_reports_get_a_satisfaction_callback_after_3_days(nb, channel):
    case = nb.create_case("incident", incident(channel=channel))
    [callback] = callbacks_of(nb, case.id)
    assert parse_datetime(callback.due_at) == REPORTED + timedelta(days=3)
    assert callback.plugin == "callbacks"


def test_calls_without_key_category_get_none_and_key_categories_get_a_second(nb, cli):
    phoned = nb.create_case("incident", incident(channel="call_110"))
    assert callbacks_of(nb, phoned.id) == []
    violent = nb.create_case(
        "incident", incident(channel="walk_in", key_flags=["domestic_violence"], title="家暴求助")
    )
    dues = sorted(parse_datetime(t.due_at) for t in callbacks_of(nb, violent.id))
    assert dues == [REPORTED + timedelta(days=3), REPORTED + timedelta(days=7)]
    frequent = nb.create_case(
        "incident", incident(channel="call_110", key_flags=["frequent_caller"])
    )
    assert [parse_datetime(t.due_at) for t in callbacks_of(nb, frequent.id)] == [
        REPORTED + timedelta(days=7)
    ]
    nb.lock()
    listed = cli("tasks", "--at", "2025-03-09T12:00:00+08:00", "--json")
    callbacks = {(t["case_id"], t["status"]) for t in listed if t["kind"] == "callback"}
    assert callbacks == {(violent.id, "overdue"), (frequent.id, "overdue")}
    overdue = [t for t in listed if t["case_id"] == violent.id]
    # Due 2025-03-04 10:00, asked on 2025-03-09 12:00: five days and two hours late.
    assert max(t["overdue_seconds"] for t in overdue) == 5 * 86400 + 2 * 3600


def test_callback_schedule_is_configurable(nb):
    nb.set_setting(
        "callbacks.satisfaction",
        {"channels": ["walk_in", "call_110"], "first_days": 1, "second_days": 0, "key_flags": []},
    )
    case = nb.create_case("incident", incident(channel="call_110", key_flags=["vice"]))
    assert [parse_datetime(t.due_at) for t in callbacks_of(nb, case.id)] == [
        REPORTED + timedelta(days=1)
    ]


def test_outcome_is_recorded_and_validated(nb):
    case = nb.create_case("incident", incident())
    [callback] = callbacks_of(nb, case.id)
    with pytest.raises(InvalidInputError):
        nb.complete_task(callback.id, {"reached": True})  # reached but no satisfaction
    with pytest.raises(InvalidInputError):
        nb.complete_task(callback.id, {"reached": True, "satisfaction": "happy"})
    entry = nb.complete_task(
        callback.id,
        {"reached": True, "handled": True, "satisfaction": "satisfied", "comment": "民警很耐心"},
    )
    assert entry.kind == "callback"
    assert entry.data["satisfaction"] == "satisfied" and entry.data["task_id"] == callback.id
    assert nb.get_task(callback.id).status == "done"


def test_not_reached_is_a_valid_outcome(nb):
    case = nb.create_case("incident", incident())
    [callback] = callbacks_of(nb, case.id)
    entry = nb.complete_task(callback.id, {"reached": False, "comment": "无人接听"})
    assert entry.data["reached"] is False


def test_dissatisfied_callback_opens_a_follow_up_from_the_cli(nb, cli, tmp_path):
    case = nb.create_case("incident", incident())
    [callback] = callbacks_of(nb, case.id)
    nb.lock()
    outcome = tmp_path / "outcome.json"
    outcome.write_text(
        json.dumps({"reached": True, "satisfaction": "dissatisfied", "comment": "出警太慢"}),
        encoding="utf-8",
    )
    cli("task", "done", callback.id, "--file", str(outcome))
    nb.unlock(PASSPHRASE)
    follow_ups = [
        t for t in tasks_of(nb, case.id, "2030-01-01", upcoming=True) if t.kind == "follow_up"
    ]
    assert len(follow_ups) == 1
    assert "出警太慢" in follow_ups[0].title
    entry = next(e for e in nb.get_case(case.id).entries if e.kind == "callback")
    assert parse_datetime(follow_ups[0].due_at) == parse_datetime(entry.created_at) + timedelta(
        days=1
    )
    nb.lock()
    listed = cli("tasks", "--all", "--json")
    assert [t["kind"] for t in listed if t["case_id"] == case.id] == ["follow_up"]


def test_dissatisfied_family_callback_of_a_missing_person_also_gets_a_follow_up(nb):
    case = nb.create_case("missing_person", missing_person())
    first = min(callbacks_of(nb, case.id), key=lambda t: t.due_at)
    nb.complete_task(
        first.id, {"reached": True, "satisfaction": "dissatisfied", "comment": "没人管"}
    )
    assert [t for t in tasks_of(nb, case.id, "2030-01-01", upcoming=True) if t.kind == "follow_up"]


def test_receipt_pdf(nb, tmp_path, monkeypatch, cli):
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    case = nb.create_case(
        "incident", incident(category="criminal", summary="报警人称被刷单诈骗3000元")
    )
    assert "receipt" in {d.name for d in nb.documents(case.id)}
    pdf_path = tmp_path / "receipt.pdf"
    nb.render_document("receipt", case.id, pdf_path)
    render_png(pdf_path)
    nb.lock()
    cli_pdf = tmp_path / "cli-receipt.pdf"
    cli("document", "receipt", case.id, "--pdf", str(cli_pdf), parse=False)
    render_png(cli_pdf)


def test_one_callback_outcome_schema_for_every_plugin(nb):
    owned = nb.outcome_schemas()["callbacks.callback"]
    assert owned.plugin == "callbacks"
    case = nb.create_case("missing_person", missing_person())
    family = min(callbacks_of(nb, case.id), key=lambda t: t.due_at)
    assert family.plugin == "missing_persons" and family.outcome_schema == owned.schema
    with pytest.raises(InvalidInputError, match="satisfaction"):
        nb.complete_task(family.id, {"reached": True})  # the weaker copy allowed this
    nb.complete_task(family.id, {"reached": False})


def test_without_the_callbacks_plugin_other_plans_keep_their_tasks(nb):
    case = nb.create_case("missing_person", missing_person())
    before = {t.id for t in callbacks_of(nb, case.id)}
    nb.disable_plugin("callbacks")
    nb.update_case(case.id, {"description": "身高160厘米,蓝色外套"})
    assert {t.id for t in callbacks_of(nb, case.id)} == before  # not cancelled
    [info] = [p for p in nb.plugins() if p.name == "missing_persons"]
    assert any("callbacks.callback" in error for error in info.errors)


def test_old_outcomes_without_a_level_are_counted_consistently(nb):
    """Outcomes recorded under the missing-persons plugin's old, weaker copy of the schema
    (reached, no satisfaction) count as done, never as valid calls (docs/workflows.md)."""
    case = nb.create_case("missing_person", missing_person())
    nb.add_entry(case.id, "callback", "", {"reached": True, "handled": True})  # an old one
    [family, second, *_rest] = sorted(callbacks_of(nb, case.id), key=lambda t: t.due_at)
    nb.complete_task(family.id, {"reached": True, "satisfaction": "satisfied"})
    nb.complete_task(second.id, {"reached": True, "satisfaction": "dissatisfied"})
    summary = nb.build_report("satisfaction").summary
    assert summary["callbacks_done"] == 3
    assert summary["reached"] == 2 == summary["satisfied"] + summary["dissatisfied"]
    assert summary["reached_without_level"] == 1
    assert summary["rate"] == 0.5 and summary["handled_rate"] == 0.0
    [row] = nb.build_report("satisfaction").rows
    assert row[1:] == [3, 2, 1, 0.5]
