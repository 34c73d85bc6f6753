"""Handover and spreadsheets through the CLI, as officers and a duty leader use them.

Every case has a responsible officer (the creator until ``case assign``); lists, tasks and
the review's points go by that officer and show the roster's names. Case lists, tasks,
findings and every report export to CSV and XLSX, labelled in the user's language, while
``--json`` keeps the codes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casebook import Notebook
from casebook.demo import load_demo
from tests.conftest import PASSPHRASE, cli_env


@pytest.fixture
def station(notebook_dir: Path, tmp_path: Path):
    """This laptop (李明, 0001) with the demo cases, and 王芳 (0002) in its roster, closed."""
    here = Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    colleague = Notebook.create(
        tmp_path / "colleague",
        PASSPHRASE,
        officer_id="0002",
        officer_name="王芳",
        unit="滨湖派出所",
    )
    here.apply_remote_ops(colleague.ops_from(colleague.device_id, 0))
    load_demo(here)
    colleague.close()
    here.close()
    return notebook_dir


def case_ids(run_cli, *options: str) -> list[str]:
    result = run_cli("case", "list", "--limit", "1000", "--json", *options)
    assert result.code == 0, result
    return [row["id"] for row in result.json()]


def op_count(notebook_dir: Path) -> int:
    with Notebook.open(notebook_dir, PASSPHRASE, load_plugins=False) as nb:
        return nb.verify_audit()["ops"]


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8 right
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


# -- handover ------------------------------------------------------------------------------


def test_a_duty_leader_hands_a_case_over_and_lists_follow(run_cli, station):
    mine = case_ids(run_cli, "--officer", "0001")
    assert mine and case_ids(run_cli, "--officer", "0002") == []
    case_id = mine[0]
    shown = run_cli("officers")
    assert shown.code == 0 and "王芳" in shown.out and "李明" in shown.out, shown

    handed = run_cli("case", "assign", case_id, "0002", "--note", "值班领导改派")
    assert handed.code == 0, handed
    assert "王芳" in handed.out

    assert case_ids(run_cli, "--officer", "0002") == [case_id]
    assert case_id not in case_ids(run_cli, "--officer", "0001")
    assert case_id in case_ids(run_cli, "--received-by", "0001")  # still its creator's
    shown = run_cli("case", "show", case_id, "--json")
    assert shown.json()["officer_id"] == "0001"
    assert shown.json()["responsible_officer_id"] == "0002"
    listed = run_cli("case", "list", "--officer", "0002")
    assert "王芳" in listed.out and "0002" not in listed.out.split(case_id, 1)[1], listed
    history = run_cli("case", "history", case_id, "--json").json()
    assigned = [op for op in history if op["kind"] == "case.assign"]
    assert [op["payload"] for op in assigned] == [
        {"officer_id": "0002", "previous_officer_id": "0001", "note": "值班领导改派"}
    ]

    # Tasks and the review's officer go with the case.
    tasks = run_cli("tasks", "--all", "--json").json()
    of_case = [t for t in tasks if t["case_id"] == case_id]
    assert all(t["responsible_officer_id"] == "0002" for t in of_case)
    theirs = run_cli("tasks", "--all", "--officer", "0002", "--json").json()
    assert {t["case_id"] for t in theirs} <= {case_id}
    assert len(theirs) == len(of_case)
    review = run_cli("review", case_id, "--json")
    assert review.json()["officer_id"] == "0002", review


def test_handovers_that_make_no_sense_are_refused_and_write_nothing(run_cli, station):
    case_id = case_ids(run_cli)[0]
    before = op_count(station)
    unknown = run_cli("case", "assign", case_id, "9999")
    assert unknown.code == 1 and "9999" in unknown.err and "roster" in unknown.err, unknown
    same = run_cli("case", "assign", case_id, "0001")
    assert same.code == 1 and "already responsible" in same.err, same
    missing = run_cli("case", "assign", "0" * 32, "0002")
    assert missing.code == 1, missing
    assert op_count(station) == before
    chinese = run_cli(
        "case", "assign", case_id, "9999", env=cli_env(station, CASEBOOK_LANG="zh_CN")
    )
    assert chinese.code == 1 and "名册" in chinese.err, chinese


# -- spreadsheets --------------------------------------------------------------------------


def test_the_case_list_exports_with_labels_and_names(run_cli, station, tmp_path):
    case_id = case_ids(run_cli)[0]
    assert run_cli("case", "assign", case_id, "0002").code == 0
    zh = cli_env(station, CASEBOOK_LANG="zh_CN")
    target = tmp_path / "cases.csv"
    result = run_cli("case", "list", "--limit", "1000", "--csv", str(target), env=zh)
    assert result.code == 0 and result.out.strip() == str(target), result
    rows = read_csv(target)
    assert rows[0] == [
        "案件编号",
        "类型",
        "状态",
        "标题",
        "责任民警",
        "接报民警",
        "创建时间",
        "最后修改",
    ]
    assert len(rows) - 1 == len(case_ids(run_cli, "--limit", "1000"))
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[case_id][4] == "王芳（0002）" and by_id[case_id][5] == "李明（0001）"
    codes = {"received", "accepted", "incident", "missing_person", "closed"}
    assert not codes & {cell for row in rows[1:] for cell in row[1:3]}  # labels, not codes

    book = tmp_path / "cases.xlsx"
    assert run_cli("case", "list", "--limit", "1000", "--xlsx", str(book)).code == 0
    sheets = read_xlsx(book)
    (rows,) = sheets.values()
    assert rows[0][:5] == ("Case number", "Type", "Status", "Title", "Responsible officer")
    assert {row[0]: row[4] for row in rows[1:]}[case_id] == "王芳（0002）"
    found = tmp_path / "found.csv"
    assert run_cli("search", "张三", "--csv", str(found)).code == 0
    with Notebook.open(station, PASSPHRASE, load_plugins=False) as nb:
        hits = [hit.id for hit in nb.search("张三")]
    assert hits and [row[0] for row in read_csv(found)[1:]] == hits
    # --json stays codes.
    listed = run_cli("case", "list", "--json").json()
    assert {row["status"] for row in listed} <= {
        "received",
        "accepted",
        "not_accepted",
        "filed",
        "not_filed",
        "handled",
        "diverted",
        "transferred",
        "closed",
    }


def test_tasks_findings_and_the_roster_export(run_cli, station, tmp_path):
    tasks = run_cli("tasks", "--all", "--json").json()
    target = tmp_path / "tasks.xlsx"
    assert run_cli("tasks", "--all", "--xlsx", str(target)).code == 0
    (rows,) = read_xlsx(target).values()
    assert rows[0] == (
        "Case number",
        "Case",
        "Task",
        "Kind",
        "Due",
        "State",
        "Overdue by",
        "Responsible officer",
    )
    assert len(rows) - 1 == len(tasks) > 0
    assert {row[7] for row in rows[1:]} == {"李明（0001）"}
    assert {row[5] for row in rows[1:]} <= {"Due today", "Overdue", "Upcoming"}

    review = run_cli("review", "--json").json()
    findings = [f for result in review for f in result["findings"]]
    target = tmp_path / "findings.csv"
    assert run_cli("review", "--csv", str(target)).code == 0
    rows = read_csv(target)
    assert rows[0][:5] == ["Case number", "Score", "Responsible officer", "Finding", "Rule"]
    assert len(rows) - 1 == len(findings) > 0
    assert {row[3] for row in rows[1:]} == {f["id"] for f in findings}
    assert not {f["rule"] for f in findings} & {row[4] for row in rows[1:]}  # labelled
    # The finding's history: raised when and on whom, and how it ended.
    rectified = findings[0]["id"]
    assert run_cli("finding", "rectify", rectified, "--note", "补录回执").code == 0
    target = tmp_path / "findings-after.csv"
    assert run_cli("review", "--csv", str(target)).code == 0
    rows = read_csv(target)
    assert rows[0][8:] == [
        "Raised",
        "Officer responsible when raised",
        "State",
        "Rectification note",
    ]
    by_id = {row[3]: row for row in rows[1:]}
    assert all(len(row[8]) == 16 and row[9] == "李明（0001）" for row in rows[1:])
    assert by_id[rectified][10].startswith("Rectified and closed (李明（0001）, 20")
    assert by_id[rectified][11] == "补录回执"
    assert {row[10] for row in rows[1:] if row[3] != rectified} == {"Open"}

    target = tmp_path / "officers.csv"
    assert run_cli("officers", "--csv", str(target)).code == 0
    assert read_csv(target)[1:] == [["0001", "李明", "滨湖派出所"], ["0002", "王芳", "滨湖派出所"]]


def test_every_report_exports_to_csv_and_xlsx(run_cli, station, tmp_path):
    with Notebook.open(station, PASSPHRASE) as nb:
        reports = {spec.name: nb.build_report(spec.name).to_dict() for spec in nb.reports()}
    assert reports
    for name, built in reports.items():
        book = tmp_path / f"{name}.xlsx"
        result = run_cli(
            "report", name, "--xlsx", str(book), "--csv", str(tmp_path / f"{name}.csv")
        )
        assert result.code == 0, (name, result)
        sheets = read_xlsx(book)
        titles = list(sheets)
        summary = sheets[titles[0]]
        assert summary[0] == ("Figure", "Value")
        flat = [key for key, value in built["summary"].items() if not isinstance(value, dict)]
        assert len(summary) - 1 >= len(flat)
        # Summary keys are labelled, not printed as codes.
        assert not {key for key in flat if "_" in key} & {row[0] for row in summary[1:]}
        if built["columns"]:
            table = sheets[titles[-1]]
            assert len(table[0]) == len(built["columns"])
            assert len(table) - 1 == len(built["rows"])
        rows = read_csv(tmp_path / f"{name}.csv")
        assert rows[0] == [built["title"]]


def test_exports_never_overwrite_without_force_nor_create_folders(run_cli, station, tmp_path):
    target = tmp_path / "cases.csv"
    target.write_text("kept", encoding="utf-8")
    refused = run_cli("case", "list", "--csv", str(target))
    assert refused.code == 1 and "--force" in refused.err, refused
    assert target.read_text(encoding="utf-8") == "kept"
    # Two files asked, the second refused: neither is written.
    fresh = tmp_path / "fresh.xlsx"
    refused = run_cli("case", "list", "--xlsx", str(fresh), "--csv", str(target))
    assert refused.code == 1 and not fresh.exists(), refused
    replaced = run_cli("case", "list", "--csv", str(target), "--force")
    assert replaced.code == 0 and read_csv(target)[0][0] == "Case number", replaced

    missing = tmp_path / "no" / "such" / "cases.xlsx"
    refused = run_cli("case", "list", "--xlsx", str(missing))
    assert refused.code == 1 and "does not exist" in refused.err, refused
    assert not (tmp_path / "no").exists()

    both = run_cli("case", "list", "--json", "--csv", str(tmp_path / "x.csv"))
    assert both.code == 2 and not (tmp_path / "x.csv").exists(), both


def test_a_cell_that_looks_like_a_formula_stays_text(run_cli, station, tmp_path):
    created = run_cli(
        "case",
        "new",
        "--type",
        "incident",
        input=json.dumps({"title": '=HYPERLINK("http://example.invalid","点我")'}),
    )
    assert created.code == 0, created
    case_id = created.out.strip()
    assert run_cli("case", "list", "--csv", str(tmp_path / "c.csv")).code == 0
    by_id = {row[0]: row for row in read_csv(tmp_path / "c.csv")[1:]}
    assert by_id[case_id][3] == "'" + '=HYPERLINK("http://example.invalid","点我")'
    assert run_cli("case", "list", "--xlsx", str(tmp_path / "c.xlsx")).code == 0
    sheet = load_workbook(tmp_path / "c.xlsx").active
    cells = [row[3] for row in sheet.iter_rows(min_row=2) if row[0].value == case_id]
    assert cells[0].data_type == "s" and cells[0].value.startswith("=HYPERLINK")
