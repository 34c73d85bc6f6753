"""The station roster (officers' names from their profiles) and each case's responsible officer."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import InvalidInputError, Notebook, NotFoundError, Officer
from tests.conftest import PASSPHRASE


@pytest.fixture
def colleague(tmp_path: Path):
    nb = Notebook.create(
        tmp_path / "colleague",
        PASSPHRASE,
        officer_id="0002",
        officer_name="王芳",
        unit="滨湖派出所",
    )
    yield nb
    nb.close()


def test_the_roster_names_officers_whose_profiles_arrived(notebook: Notebook, colleague):
    assert notebook.officer_name("0002") == "0002"  # not heard of yet: the id itself
    notebook.apply_remote_ops(colleague.ops_from(colleague.device_id, 0))
    assert notebook.officers() == [
        Officer(officer_id="0001", name="李明", unit="滨湖派出所"),
        Officer(officer_id="0002", name="王芳", unit="滨湖派出所"),
    ]
    assert notebook.officer_name("0002") == "王芳"
    assert notebook.officer_names() == {"0001": "李明", "0002": "王芳"}
    assert notebook.officer_name("") == ""
    context = notebook.plugin_context
    assert context.officer_name("0002") == "王芳"
    assert context.officer_name("9999") == "9999"
    assert [o.name for o in context.officers()] == ["李明", "王芳"]


def test_a_case_never_handed_over_is_its_creators(notebook: Notebook):
    case = notebook.create_case("incident", {"title": "电动车被盗"})
    assert notebook.responsible_officer(case.id) == "0001"
    assert notebook.plugin_context.responsible_officer(case.id) == "0001"
    with pytest.raises(NotFoundError):
        notebook.responsible_officer("no-such-case")


@pytest.fixture
def station(notebook: Notebook, colleague):
    """Two laptops that know each other's officers."""
    notebook.apply_remote_ops(colleague.ops_from(colleague.device_id, 0))
    colleague.apply_remote_ops(notebook.ops_from(notebook.device_id, 0))
    return notebook, colleague


def test_a_handover_is_an_op_and_moves_lists_tasks_and_points(station):
    here, there = station
    case = here.create_case("incident", {"title": "纠纷调解"})
    handed = here.assign_case(case.id, "0002", "值班领导改派")
    assert (handed.officer_id, handed.responsible_officer_id) == ("0001", "0002")
    assert here.responsible_officer(case.id) == "0002"
    ops = [o for o in here.history(case.id) if o["kind"] == "case.assign"]
    assert [o["payload"] for o in ops] == [
        {"officer_id": "0002", "previous_officer_id": "0001", "note": "值班领导改派"}
    ]
    entry = handed.entries[-1]
    assert (entry.kind, entry.text, entry.data) == (
        "handover",
        "值班领导改派",
        {"from": "0001", "to": "0002"},
    )
    assert [c.id for c in here.list_cases(responsible_officer_id="0002")] == [case.id]
    assert here.list_cases(responsible_officer_id="0001") == []
    assert [c.id for c in here.list_cases(officer_id="0001")] == [case.id]  # the creator
    assert here.count_cases(responsible_officer_id="0002") == 1
    assert here.list_cases()[0].responsible_officer_id == "0002"
    assert {r.case_id: r.officer_id for r in here.review(record=False)}[case.id] == "0002"
    for task in here.tasks(include_upcoming=True):
        assert task.responsible_officer_id == here.responsible_officer(task.case_id)
    # The handover reaches the other laptop.
    there.apply_remote_ops(here.ops_from(here.device_id, 0))
    assert there.responsible_officer(case.id) == "0002"
    assert there.state_digest() == here.state_digest()


def test_handovers_are_refused_when_they_make_no_sense(station):
    here, _there = station
    case = here.create_case("incident", {"title": "纠纷调解"})
    with pytest.raises(InvalidInputError, match="not in the station roster"):
        here.assign_case(case.id, "9999")
    with pytest.raises(InvalidInputError, match="already responsible"):
        here.assign_case(case.id, "0001")
    with pytest.raises(NotFoundError):
        here.assign_case("0" * 32, "0002")
    with pytest.raises(InvalidInputError, match="kind"):
        here.add_entry(case.id, "handover", "假的移交记录")  # only the core writes handovers
    here.delete_case(case.id)
    with pytest.raises(InvalidInputError, match="deleted"):
        here.assign_case(case.id, "0002")
    assert [o["kind"] for o in here.history(case.id)].count("case.assign") == 0


def test_concurrent_handovers_converge_on_the_latest(station):
    here, there = station
    case = here.create_case("incident", {"title": "纠纷调解"})
    there.apply_remote_ops(here.ops_from(here.device_id, 0))
    here.assign_case(case.id, "0002", "交王芳")
    there.assign_case(case.id, "0002", "也交王芳")
    assert here.get_case(case.id).responsible_officer_id == "0002"
    there.assign_case(case.id, "0001", "退回李明")
    here.apply_remote_ops(there.ops_from(there.device_id, 0))
    there.apply_remote_ops(here.ops_from(here.device_id, 0))
    assert here.responsible_officer(case.id) == there.responsible_officer(case.id)
    assert here.state_digest() == there.state_digest()
    digest = here.state_digest()
    here.rebuild()
    assert here.state_digest() == digest


def test_cases_of_a_notebook_saved_before_handovers_belong_to_their_creators(tmp_path: Path):
    import zipfile

    fixtures = Path(__file__).parent.parent / "fixtures"
    with zipfile.ZipFile(fixtures / "saved_notebook.zip") as archive:
        archive.extractall(tmp_path / "saved")
    with Notebook.open(tmp_path / "saved", PASSPHRASE) as nb:
        cases = list(nb.iter_cases())
        assert cases
        for case in cases:
            assert case.responsible_officer_id == case.officer_id
            assert nb.responsible_officer(case.id) == case.officer_id
        creator = cases[0].officer_id
        assert nb.count_cases(responsible_officer_id=creator) == nb.count_cases(officer_id=creator)
