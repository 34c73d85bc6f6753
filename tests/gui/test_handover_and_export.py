"""The duty leader's handover in the case view, officers by name, and every page's table
saved as a spreadsheet."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from casebook import Notebook
from casebook.demo import load_demo
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.gui


@pytest.fixture
def station_app(app, tmp_path):
    """The app with the demo cases and a colleague (B2002, 李警官) in the roster."""
    colleague = Notebook.create(
        tmp_path / "colleague",
        PASSPHRASE,
        officer_id="B2002",
        officer_name="李警官",
        unit="中山路派出所",
    )
    app.app.nb.apply_remote_ops(colleague.ops_from(colleague.device_id, 0))
    colleague.close()
    load_demo(app.app.nb)
    return app


def rows_of(path) -> list[tuple]:
    return list(load_workbook(path).active.iter_rows(values_only=True))


def test_hand_a_case_over_in_the_case_view(station_app):
    nb = station_app.app.nb
    case = nb.list_cases(case_type="incident")[0]
    view = station_app.shell.open_case(case.id)
    station_app.pump()
    assert view.handover_ids == ["B2002"]
    assert view.on_hand_over() is False  # nobody chosen yet
    view.handover_box.current(0)
    view.handover_note.set("值班领导改派")
    assert view.on_hand_over() is True
    assert nb.responsible_officer(case.id) == "B2002"
    view = station_app.shell.open_case(case.id)
    station_app.pump()
    timeline = [view.timeline.item(i, "values") for i in view.timeline.get_children()]
    handovers = [row for row in timeline if row[1] == "Handover"]
    assert (
        handovers and "李警官（B2002）" in handovers[-1][3] and "值班领导改派" in handovers[-1][3]
    )
    assert handovers[-1][2] == "王警官（A1001）"

    page = station_app.wait_list(station_app.shell.show_page("cases"))
    page.officer_box.current(page.officer_ids.index("B2002") + 1)
    page.on_filter_changed()
    station_app.wait_list(page)
    assert [row.id for row in page.rows] == [case.id]
    assert page.tree.item(case.id, "values")[3] == "李警官（B2002）"


def test_every_page_saves_its_table_as_a_spreadsheet(station_app, tmp_path):
    nb = station_app.app.nb
    page = station_app.wait_list(station_app.shell.show_page("cases"))
    written = page.on_export(str(tmp_path / "cases.xlsx"))
    rows = rows_of(written)
    assert rows[0][4] == "Responsible officer"
    assert len(rows) - 1 == nb.count_cases()

    today = station_app.shell.show_page("today")
    station_app.wait_for(lambda: today.loaded, timeout=60)
    written = today.on_export(str(tmp_path / "tasks.csv"))
    assert written.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Case number,")
    officers = {today.task_tree.item(i, "values")[6] for i in today.task_tree.get_children()}
    assert officers == {"王警官（A1001）"}

    review = station_app.shell.show_page("review")
    station_app.wait_for(lambda: not review.reviewing and review.findings, timeout=60)
    written = review.on_export(str(tmp_path / "findings.xlsx"))
    findings = sum(len(r.findings) for r in review.results)
    assert len(rows_of(written)) - 1 == findings
    officer_rows = [
        review.officer_tree.item(i, "values") for i in review.officer_tree.get_children()
    ]
    assert officer_rows and officer_rows[0][0] == "王警官（A1001）"

    reports = station_app.shell.show_page("reports")
    reports.report_box.current(0)
    reports.on_build()
    station_app.wait_for(lambda: str(reports.build_button.cget("state")) == "normal", timeout=60)
    written = reports.on_export_spreadsheet(str(tmp_path / "report.xlsx"))
    sheets = load_workbook(written).sheetnames
    assert sheets and len(sheets) >= 1
    # A refusal is shown, and nothing is written into a folder that does not exist.
    assert page.on_export(str(tmp_path / "missing" / "cases.xlsx")) is None
    assert not (tmp_path / "missing").exists()
