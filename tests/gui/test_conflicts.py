"""A conflict made by two laptops editing the same field, resolved in the side-by-side dialog."""

from __future__ import annotations

import pytest

from casebook import Notebook
from casebook.gui.conflict_dialog import ConflictDialog

from .conftest import PASSPHRASE

pytestmark = pytest.mark.gui


def make_conflict(notebook: Notebook, other: Notebook) -> str:
    """Both laptops change ``location`` of one case without seeing each other's change."""
    case = other.create_case("incident", {"title": "邻里纠纷", "location": "梁溪区南长街"})
    notebook.apply_remote_ops(other.ops_from(other.device_id, 0))
    notebook.update_case(case.id, {"location": "梁溪区南长街 12 号"})
    other.update_case(case.id, {"location": "梁溪区南长街 21 号"})
    notebook.apply_remote_ops(other.ops_from(other.device_id, 0))
    return case.id


@pytest.fixture
def other_laptop(tmp_path):
    nb = Notebook.create(
        tmp_path / "laptop-b",
        PASSPHRASE,
        officer_id="B2002",
        officer_name="李明",
        unit="中山路派出所",
    )
    yield nb
    nb.close()


def test_resolve_a_conflict_side_by_side(app, other_laptop):
    nb = app.app.nb
    case_id = make_conflict(nb, other_laptop)
    assert [c.field for c in nb.conflicts()] == ["location"]

    assert app.refresh_status().conflict_count == 1
    view = app.shell.open_case(case_id)
    app.pump()
    dialog = ConflictDialog.open(app.app, case_id)
    app.pump()
    cards = dialog.values_frame.winfo_children()
    assert len(cards) == 2, "both values are shown side by side"
    shown = " ".join(
        str(child.cget("text"))
        for card in cards
        for child in card.winfo_children()
        if "text" in child.keys()
    )
    assert "12 号" in shown and "21 号" in shown

    assert view is app.shell.case_view
    dialog.on_keep(dialog.selected(), "梁溪区南长街 21 号")
    app.pump()
    assert nb.conflicts() == []
    assert nb.get_case(case_id).fields["location"] == "梁溪区南长街 21 号"
    assert "No open conflicts" in " ".join(
        str(w.cget("text")) for w in dialog.values_frame.winfo_children()
    )
    assert app.refresh_status().conflict_count == 0
    assert any(op["kind"] == "case.resolve" for op in nb.history(case_id))
