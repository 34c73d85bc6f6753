"""Figures that survive real use, through the CLI (issue 10): outcomes of missing-person
cases, receipts recorded when printed, callback retries and both satisfaction
denominators, the repeating cadence, the risk track of vulnerable groups and the intake
checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.workflow_data import incident, missing_person

#: Valid 18-digit resident ID numbers (the examples of GB 11643-1999).
ID_A = "11010519491231002X"
ID_B = "440524188001010014"
#: An adult outside every vulnerable group: the cause alone decides the track.
ADULT = {"age": 35, "school": None}


def write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return str(path)


def new_case(cli, tmp_path: Path, case_type: str, fields: dict, *extra: str) -> str:
    file = write(tmp_path, "new.json", fields)
    return cli("case", "new", "--type", case_type, "--file", file, *extra).stdout.strip()


def update(cli, tmp_path: Path, case_id: str, fields: dict, *extra: str, expect: int = 0) -> Any:
    file = write(tmp_path, "set.json", fields)
    return cli("case", "update", case_id, "--file", file, *extra, expect=expect)


def show(cli, case_id: str) -> dict:
    return cli("case", "show", case_id, "--json")


def tasks_of(cli, case_id: str, at: str) -> list[dict]:
    return [t for t in cli("tasks", "--at", at, "--all", "--json") if t["case_id"] == case_id]


def alert_kinds(cli, case_id: str, at: str) -> list[str]:
    return [a["kind"] for a in cli("alerts", "--at", at, "--json") if case_id in a["case_ids"]]


@pytest.fixture
def station(nb):
    """The notebook created (officer, unit), then left to the CLI."""
    nb.lock()
    return nb


# --- outcomes ------------------------------------------------------------------------------


def test_closing_a_missing_person_case_needs_an_outcome(station, cli, tmp_path):
    case_id = new_case(cli, tmp_path, "missing_person", missing_person(cause="unknown"))
    refused = cli("case", "status", case_id, "closed", expect=1)
    assert "outcome" in refused.stderr
    update(cli, tmp_path, case_id, {"outcome": "closed_unfound"})
    cli("case", "status", case_id, "closed", "--reason", "移交刑侦前结案")
    summary = cli("report", "recovery", "--json")["summary"]
    # Closing unfound is not a recovery: 0 of 1, shown beside the rate.
    assert (summary["reported"], summary["found"], summary["rate"]) == (1, 0, 0.0)
    assert summary["closed_unfound"] == 1 and summary["unresolved"] == 0
    assert summary["by_outcome"]["closed_unfound"] == 1
    assert sum(summary["by_outcome"].values()) == 1


def test_recovery_counts_only_found_outcomes(station, cli, tmp_path):
    outcomes = ["found_safe", "found_harmed", "deceased", "transferred", "closed_unfound"]
    for index, outcome in enumerate(outcomes):
        fields = missing_person(name=f"人员{index}", outcome=outcome, **ADULT)
        new_case(cli, tmp_path, "missing_person", fields)
    new_case(cli, tmp_path, "missing_person", missing_person(name="仍在找", **ADULT))
    summary = cli("report", "recovery", "--json")["summary"]
    assert summary["reported"] == 6
    assert summary["found"] == 2 and summary["rate"] == round(2 / 6, 4)
    assert (summary["deceased"], summary["transferred"], summary["closed_unfound"]) == (1, 1, 1)
    assert summary["unresolved"] == 1
    assert summary["by_outcome"] == {outcome: 1 for outcome in outcomes}


def test_the_investigation_alert_ends_only_with_an_outcome_that_warrants_it(station, cli, tmp_path):
    months_later = "2025-07-01T12:00:00+08:00"
    unknown = new_case(cli, tmp_path, "missing_person", missing_person(cause="unknown", **ADULT))
    assert "investigation" in alert_kinds(cli, unknown, months_later)
    update(cli, tmp_path, unknown, {"outcome": "closed_unfound"})
    cli("case", "status", unknown, "closed")
    assert "investigation" in alert_kinds(cli, unknown, months_later)  # closing hides nothing
    update(cli, tmp_path, unknown, {"outcome": "transferred"})
    assert "investigation" not in alert_kinds(cli, unknown, months_later)

    harmed = new_case(
        cli, tmp_path, "missing_person", missing_person(name="周某", signs_of_harm=True, **ADULT)
    )
    update(cli, tmp_path, harmed, {"outcome": "found_harmed"})
    assert "investigation" in alert_kinds(cli, harmed, months_later)  # found, yet harmed
    cli("case", "status", harmed, "transferred", "--reason", "移交刑侦")
    assert "investigation" not in alert_kinds(cli, harmed, months_later)


# --- receipts ------------------------------------------------------------------------------


def test_printing_a_receipt_records_it_and_its_number_is_searchable(station, cli, tmp_path):
    case_id = new_case(cli, tmp_path, "incident", incident(receipt_issued=None))
    at = "2025-03-02T12:00:00+08:00"

    def open_rules() -> set[str]:
        result = cli("review", case_id, "--at", at, "--json")
        return {f["rule"] for f in result["findings"] if not f.get("rectified")}

    assert "no_receipt" in open_rules()
    cli("document", "receipt", case_id, "--pdf", str(tmp_path / "receipt.pdf"), parse=False)
    shown = show(cli, case_id)
    number = shown["fields"]["receipt_number"]
    assert shown["fields"]["receipt_issued"] is True
    assert number.startswith("JB-") and len(number) == 15
    [issued] = [e for e in shown["entries"] if e["kind"] == "receipt_issued"]
    assert issued["data"] == {"receipt_number": number}
    assert issued["plugin"] == "callbacks" and number in issued["text"]
    assert "no_receipt" not in open_rules()
    for query in (number, number[3:9], number[-4:].lower()):
        assert case_id in [row["id"] for row in cli("search", query, "--json")], query
    # A reprint keeps the number and leaves another trace.
    cli("document", "receipt", case_id, "--pdf", str(tmp_path / "again.pdf"), parse=False)
    again = show(cli, case_id)
    assert again["fields"]["receipt_number"] == number
    assert len([e for e in again["entries"] if e["kind"] == "receipt_issued"]) == 2


# --- callbacks -----------------------------------------------------------------------------


def test_an_unreached_callback_is_retried_by_the_settings(station, cli, tmp_path):
    case_id = new_case(cli, tmp_path, "incident", incident())
    at = "2025-03-04T12:00:00+08:00"
    [first] = [t for t in tasks_of(cli, case_id, at) if t["kind"] == "callback"]
    unreached = write(tmp_path, "unreached.json", {"reached": False})
    cli("task", "done", first["id"], "--file", unreached)
    retries = [t for t in tasks_of(cli, case_id, at) if t["kind"] == "callback"]
    [retry] = retries
    assert retry["data"]["attempt"] == 2 and retry["data"]["retry_of"] == first["id"]
    cli("task", "done", retry["id"], "--file", unreached)
    [third] = [t for t in tasks_of(cli, case_id, at) if t["kind"] == "callback"]
    assert third["data"]["attempt"] == 3
    cli("task", "done", third["id"], "--file", unreached)
    # Two retries by default: after the third try nothing more is planned.
    assert not [t for t in tasks_of(cli, case_id, at) if t["kind"] == "callback"]

    cli("settings", "set", "callbacks.retry", "--value", '{"attempts": 1, "hours": 2}')
    other = new_case(cli, tmp_path, "incident", incident(title="又一起"))
    [call] = [t for t in tasks_of(cli, other, at) if t["kind"] == "callback"]
    called_at = "2025-03-04T09:00:00+08:00"
    cli(
        "task",
        "done",
        call["id"],
        "--file",
        write(tmp_path, "late.json", {"reached": False, "called_at": called_at}),
    )
    [retry] = [t for t in tasks_of(cli, other, at) if t["kind"] == "callback"]
    assert retry["due_at"].startswith("2025-03-04T11:00:00")
    reached = write(tmp_path, "ok.json", {"reached": True, "satisfaction": "satisfied"})
    cli("task", "done", retry["id"], "--file", reached)
    assert not [t for t in tasks_of(cli, other, at) if t["kind"] == "callback"]


def test_satisfaction_shows_both_denominators(station, cli, tmp_path):
    outcomes = [
        {"reached": True, "satisfaction": "satisfied"},
        {"reached": True, "satisfaction": "dissatisfied"},
        {"reached": False},
    ]
    for index, outcome in enumerate(outcomes):
        case_id = new_case(cli, tmp_path, "incident", incident(title=f"警情{index}"))
        [call] = [
            t
            for t in tasks_of(cli, case_id, "2025-03-04T12:00:00+08:00")
            if t["kind"] == "callback"
        ]
        cli("task", "done", call["id"], "--file", write(tmp_path, "o.json", outcome))
    summary = cli("report", "satisfaction", "--json")["summary"]
    assert summary["callbacks_done"] == 3 and summary["unreached"] == 1
    assert summary["reached"] == 2 and summary["rate"] == 0.5
    assert summary["valid_incidents"] == 3 and summary["incidents_satisfied"] == 1
    assert summary["incident_rate"] == 0.333


# --- cadence -------------------------------------------------------------------------------


def test_reports_and_analyses_repeat_while_the_person_is_missing(station, cli, tmp_path):
    case_id = new_case(cli, tmp_path, "missing_person", missing_person(**ADULT))
    at = "2025-04-30T12:00:00+08:00"
    note = write(tmp_path, "note.json", {"note": "继续查找"})
    dues = {"report": [], "analysis": []}
    for _round in range(3):
        for kind in dues:
            [task] = [t for t in tasks_of(cli, case_id, at) if t["kind"] == kind]
            dues[kind].append(task["due_at"][:10])
            cli("task", "done", task["id"], "--file", note)
    assert dues["report"] == ["2025-03-04", "2025-03-07", "2025-03-10"]
    assert dues["analysis"] == ["2025-03-08", "2025-03-15", "2025-03-22"]
    cli("settings", "set", "missing_persons.cadence", "--value", '{"report_days": 5}')
    [task] = [t for t in tasks_of(cli, case_id, at) if t["kind"] == "report"]
    assert task["due_at"][:10] == "2025-03-21"  # the fourth, 5 days apart
    update(cli, tmp_path, case_id, {"found_at": "2025-03-20T09:00:00+08:00"})
    assert not [t for t in tasks_of(cli, case_id, at) if t["kind"] in dues]


# --- risk track ----------------------------------------------------------------------------


def test_vulnerable_groups_raise_the_track_by_a_station_setting(station, cli, tmp_path):
    old_man = missing_person(
        name="聋哑老人", age=87, vulnerable=["disability"], cause="lost", school=None
    )
    case_id = new_case(cli, tmp_path, "missing_person", old_man)
    fields = show(cli, case_id)["fields"]
    assert fields["risk"] == "urgent"
    assert set(fields["vulnerable"]) == {"elderly", "disability"}
    pupil = new_case(cli, tmp_path, "missing_person", missing_person(name="学生", age=19))
    assert "student" in show(cli, pupil)["fields"]["vulnerable"]  # the school says so
    cli("settings", "set", "missing_persons.urgent_groups", "--value", '["minor"]')
    adult = new_case(
        cli, tmp_path, "missing_person", missing_person(name="王大爷", age=70, school=None)
    )
    assert show(cli, adult)["fields"]["risk"] == "general"
    assert "urgent" in alert_kinds(cli, case_id, "2025-03-01T12:00:00+08:00")


# --- intake checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_type", "field", "value"),
    [
        ("missing_person", "id_number", "abc"),
        ("missing_person", "id_number", "110105194912310021"),  # wrong check digit
        ("missing_person", "reporter_id_number", "11010519491331002X"),  # month 13
        ("incident", "reporter_id_number", "12345"),
    ],
)
def test_id_numbers_are_checked(station, cli, tmp_path, case_type, field, value):
    maker = missing_person if case_type == "missing_person" else incident
    refused = cli(
        "case",
        "new",
        "--type",
        case_type,
        "--file",
        write(tmp_path, "bad.json", maker(**{field: value})),
        expect=1,
    )
    assert field in refused.stderr and "resident ID" in refused.stderr
    assert cli("case", "list", "--json") == []


def test_the_reporter_id_number_is_allowed_on_missing_person_cases(station, cli, tmp_path):
    case_id = new_case(
        cli, tmp_path, "missing_person", missing_person(id_number=ID_B, reporter_id_number=ID_A)
    )
    assert show(cli, case_id)["fields"]["reporter_id_number"] == ID_A


@pytest.mark.parametrize(
    ("case_type", "overrides", "field"),
    [
        ("missing_person", {"reported_at": "2025-03-01T07:00:00+08:00"}, "reported_at"),
        ("missing_person", {"found_at": "2025-03-01T07:00:00+08:00"}, "found_at"),
        ("incident", {"accepted_at": "2025-03-01T09:00:00+08:00"}, "accepted_at"),
    ],
)
def test_dates_must_be_in_order(station, cli, tmp_path, case_type, overrides, field):
    maker = missing_person if case_type == "missing_person" else incident
    refused = cli(
        "case",
        "new",
        "--type",
        case_type,
        "--file",
        write(tmp_path, "bad.json", maker(**overrides)),
        expect=1,
    )
    assert field in refused.stderr and "earlier" in refused.stderr


def test_a_date_out_of_order_is_refused_on_update_too(station, cli, tmp_path):
    case_id = new_case(cli, tmp_path, "missing_person", missing_person())
    refused = update(cli, tmp_path, case_id, {"found_at": "2025-02-28T09:00:00+08:00"}, expect=1)
    assert "found_at" in refused.stderr and "last_seen_at" in refused.stderr


def test_a_second_file_for_the_same_person_needs_confirmation_and_is_linked(station, cli, tmp_path):
    first = new_case(cli, tmp_path, "missing_person", missing_person(id_number=ID_A))
    again = missing_person(id_number=ID_A, reported_at="2026-01-05T10:00:00+08:00")
    again["last_seen_at"] = "2026-01-05T08:00:00+08:00"
    refused = cli(
        "case",
        "new",
        "--type",
        "missing_person",
        "--file",
        write(tmp_path, "a.json", again),
        expect=1,
    )
    assert "duplicate_of" in refused.stderr and first in refused.stderr
    assert len(cli("case", "list", "--json")) == 1
    second = new_case(cli, tmp_path, "missing_person", again, "--confirm-duplicate")
    assert show(cli, second)["fields"]["duplicate_of"] == [first]
    # Editing the linked file does not ask again.
    update(cli, tmp_path, second, {"description": "穿红色外套"})


def test_the_same_name_and_age_in_the_same_area_within_the_window(station, cli, tmp_path):
    first = new_case(cli, tmp_path, "missing_person", missing_person())
    near = missing_person(reported_at="2025-03-20T10:00:00+08:00")
    near["last_seen_at"] = "2025-03-20T08:00:00+08:00"
    file = write(tmp_path, "near.json", near)
    cli("case", "new", "--type", "missing_person", "--file", file, expect=1)
    cli("settings", "set", "missing_persons.duplicate_window_days", "--value", "10")
    second = cli("case", "new", "--type", "missing_person", "--file", file).stdout.strip()
    assert "duplicate_of" not in show(cli, second)["fields"]
    other_area = missing_person(area="梅村街道", reported_at="2025-03-02T10:00:00+08:00")
    new_case(cli, tmp_path, "missing_person", other_area)  # another area: no question
    by_update = new_case(
        cli, tmp_path, "missing_person", missing_person(name="李小兰", area="硕放街道")
    )
    refused = update(cli, tmp_path, by_update, {"name": "李小梅", "area": "旺庄街道"}, expect=1)
    assert first in refused.stderr
    update(cli, tmp_path, by_update, {"name": "李小梅", "area": "旺庄街道"}, "--confirm-duplicate")
    assert show(cli, by_update)["fields"]["duplicate_of"] == [first]


def test_a_case_cannot_be_created_closed_without_an_outcome(station, cli, tmp_path):
    file = write(tmp_path, "closed.json", missing_person())
    refused = cli(
        "case", "new", "--type", "missing_person", "--file", file, "--status", "closed", expect=1
    )
    assert "outcome" in refused.stderr


def test_a_file_closed_before_outcomes_were_required_stays_editable():
    from types import SimpleNamespace

    from casebook.plugins.missing_persons.rules import outcome_problems

    legacy = SimpleNamespace(status="closed", fields={"name": "张三"})
    edited = SimpleNamespace(status="closed", fields={"name": "张三", "dna_sampled": True})
    assert outcome_problems(edited, legacy) == []
    assert outcome_problems(edited, None) != []  # a new file is never closed without one
    with_outcome = SimpleNamespace(status="closed", fields={"outcome": "found_safe"})
    assert outcome_problems(edited, with_outcome) != []  # the outcome is not cleared
