"""The station roster (officers' names from their profiles) and each case's responsible officer."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import Notebook, NotFoundError, Officer
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
