"""Non-police diversion tracked until the agency's completion, then a callback (seed 002)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebook import InvalidInputError
from casebook.clock import parse_datetime
from tests.plugins.workflow_data import incident, tasks_of

DIVERTED = parse_datetime("2025-03-01T10:30:00+08:00")


def diverted(**overrides):
    fields = incident(
        channel="call_110",
        category="non_police",
        title="小区停水",
        summary="报警人称小区停水两天",
        disposition="diverted",
        diverted_to="12345",
        diverted_at="2025-03-01T10:30:00+08:00",
    )
    fields.update(overrides)
    return fields


def feedback_tasks(nb, case_id):
    return [
        t
        for t in tasks_of(nb, case_id, "2025-03-01", upcoming=True)
        if t.kind == "diversion_feedback"
    ]


def test_diversion_waits_for_the_agency_and_is_overdue_without_feedback(nb, cli):
    case = nb.create_case("incident", diverted())
    [task] = feedback_tasks(nb, case.id)
    assert parse_datetime(task.due_at) == DIVERTED + timedelta(days=3)
    assert task.data["agency"] == "12345"
    nb.lock()
    listed = cli("tasks", "--at", "2025-03-06T10:30:00+08:00", "--json")
    [overdue] = [t for t in listed if t["case_id"] == case.id and t["kind"] == "diversion_feedback"]
    assert overdue["status"] == "overdue"
    assert overdue["overdue_seconds"] == 2 * 86400
    report = cli("report", "diversion", "--to", "2025-03-06", "--json")
    assert report["summary"]["diverted"] == 1
    assert report["summary"]["completed"] == 0
    assert report["summary"]["feedback_overdue"] == 1


def test_not_yet_opens_the_next_round_and_completion_brings_the_callback(nb):
    case = nb.create_case("incident", diverted())
    [first] = feedback_tasks(nb, case.id)
    nb.complete_task(first.id, {"completed": False, "feedback": "已派维修人员"})
    [second] = feedback_tasks(nb, case.id)
    assert second.id != first.id and second.data["round"] == 2
    assert parse_datetime(second.due_at) == DIVERTED + timedelta(days=6)
    nb.complete_task(
        second.id,
        {"completed": True, "feedback": "已恢复供水", "completed_at": "2025-03-05T09:00:00+08:00"},
    )
    pending = tasks_of(nb, case.id, "2025-03-01", upcoming=True)
    assert [t.kind for t in pending] == ["callback"]
    assert parse_datetime(pending[0].due_at) == parse_datetime("2025-03-07T09:00:00+08:00")
    report = nb.build_report("diversion")
    assert report.summary["completed"] == 1 and report.summary["rate"] == 1.0


def test_feedback_days_are_configurable(nb):
    nb.set_setting("diversion.feedback_days", 1)
    case = nb.create_case("incident", diverted())
    [task] = feedback_tasks(nb, case.id)
    assert parse_datetime(task.due_at) == DIVERTED + timedelta(days=1)


def test_a_diversion_names_a_listed_agency(nb):
    with pytest.raises(InvalidInputError):
        nb.create_case("incident", diverted(diverted_to=None))
    nb.set_setting("diversion.agencies", {"12345": ["水电气"], "旺庄街道办": ["环境卫生"]})
    nb.create_case("incident", diverted(diverted_to="旺庄街道办"))
    with pytest.raises(InvalidInputError):
        nb.create_case("incident", diverted(diverted_to="不存在的单位"))


def test_onsite_report_small(nb, cli):
    nb.import_cases(
        [
            (
                "incident",
                incident(
                    channel="patrol",
                    handled_by="patrol",
                    disposition="closed_on_site",
                    category="noise",
                ),
            )
        ]
        * 3
        + [
            (
                "incident",
                incident(
                    channel="patrol",
                    handled_by="patrol",
                    disposition="transferred",
                    category="dispute",
                ),
            )
        ]
        + [
            (
                "incident",
                incident(
                    channel="call_110",
                    handled_by="station",
                    disposition="accepted",
                    category="dispute",
                ),
            )
        ]
        * 4
    )
    summary = nb.build_report("onsite").summary
    assert summary == {
        "needing_onsite": 8,
        "handled_by_patrol": 4,
        "patrol_share": 0.5,
        "closed_on_site": 3,
        "rate": 0.75,
        "closed_on_site_all": 3,
        "rate_all": 0.375,
    }


def test_the_diversion_callback_uses_the_callbacks_plugins_outcome_schema(nb):
    case = nb.create_case("incident", diverted())
    [first] = feedback_tasks(nb, case.id)
    nb.complete_task(first.id, {"completed": True, "completed_at": "2025-03-02T09:00:00+08:00"})
    [callback] = [t for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)]
    assert callback.outcome_schema == nb.outcome_schemas()["callbacks.callback"].schema
    with pytest.raises(InvalidInputError, match="satisfaction"):
        nb.complete_task(callback.id, {"reached": True})
