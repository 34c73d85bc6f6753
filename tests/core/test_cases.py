"""Case and entry writes and their validation (casebook.cases), bulk import included."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import InvalidInputError, Notebook
from tests.conftest import PASSPHRASE


def test_status_and_entries_are_recorded_in_the_history(notebook: Notebook):
    case = notebook.create_case("incident", {"title": "流程"})
    notebook.set_status(case.id, "accepted", "符合受案条件")
    entry = notebook.add_entry(case.id, "note", "初稿")
    notebook.edit_entry(case.id, entry.id, "修改稿")
    with pytest.raises(InvalidInputError):
        notebook.set_status(case.id, "flying")
    shown = notebook.get_case(case.id)
    assert shown.status == "accepted"
    assert [(e.kind, e.text, e.version) for e in shown.entries] == [
        ("status", "符合受案条件", 1),
        ("note", "修改稿", 2),
    ]
    assert [
        op["kind"] for op in notebook.history(case.id) if not op["kind"].startswith("finding.")
    ] == [
        "case.create",
        "case.status",
        "entry.add",
        "entry.edit",
    ]


def test_import_validates_everything_before_writing(notebook: Notebook):
    with pytest.raises(InvalidInputError, match="Record 3"):
        notebook.import_cases(
            [("incident", {"title": "一"}), ("incident", {"title": "二"}), ("incident", {"x": 1})]
        )
    assert notebook.count_cases() == 0
    progress = []
    ids = notebook.import_cases(
        [("incident", {"title": f"第{i}件"}) for i in range(5)],
        progress=lambda done, total: progress.append((done, total)),
    )
    assert len(ids) == 5 and progress == [(5, 5)] and notebook.count_cases() == 5


def _content(nb: Notebook) -> tuple[list, list]:
    """What a person sees, without ids and clocks: cases and their planned tasks."""
    cases = sorted((c.type, c.title, sorted(c.fields.items()), c.status) for c in nb.iter_cases())
    tasks = sorted(
        (t.case_title, t.plugin, t.kind, t.title, t.due_at)
        for t in nb.tasks("2030-01-01", include_upcoming=True)
    )
    return cases, tasks


def test_bulk_import_gives_what_saving_one_by_one_gives(tmp_path: Path):
    from tests.plugins.workflow_data import missing_person

    records = [
        ("incident", {"title": f"张三{i} 电动车被盗", "location": "滨湖区", "summary": f"编号{i}"})
        for i in range(40)
    ]
    records += [("missing_person", missing_person(name=f"李小梅{i}")) for i in range(4)]
    bulk = Notebook.create(
        tmp_path / "bulk", PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    single = Notebook.create(
        tmp_path / "single", PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    try:
        ids = bulk.import_cases(records)
        for case_type, fields in records:
            single.create_case(case_type, fields)
        assert len(set(ids)) == len(records)
        assert _content(bulk) == _content(single)
        assert _content(bulk)[1], "the missing-person cases have their tasks planned"
        assert [hit.id for hit in bulk.search("张三3")][:1] == [ids[3]]
        digest = bulk.state_digest()
        bulk.rebuild()
        assert bulk.state_digest() == digest
        assert bulk.verify_audit()["ops"] == single.verify_audit()["ops"]
    finally:
        bulk.close()
        single.close()


def test_a_large_import_is_written_in_batches_with_progress(notebook: Notebook):
    from casebook.cases import IMPORT_BATCH

    total = 2 * IMPORT_BATCH + 1
    ops_before = notebook.verify_audit()["ops"]
    progress: list[tuple[int, int]] = []
    ids = notebook.import_cases(
        (("incident", {"title": f"第{i}号 批量", "summary": "电动车被盗"}) for i in range(total)),
        progress=lambda done, of: progress.append((done, of)),
    )
    assert progress == [(IMPORT_BATCH, total), (2 * IMPORT_BATCH, total), (total, total)]
    assert len(set(ids)) == total == notebook.count_cases()
    # One op per case, and one more per case the legal review finds a problem in.
    raised = sum(1 for r in notebook.recorded_reviews() if r.findings)
    assert notebook.verify_audit()["ops"] == ops_before + total + raised
    assert [hit.id for hit in notebook.search(f"第{total - 1}号")] == [ids[-1]]
    assert notebook.get_case(ids[IMPORT_BATCH]).title == f"第{IMPORT_BATCH}号 批量"


def test_import_refuses_values_that_are_not_json_and_writes_nothing(notebook: Notebook):
    from datetime import datetime

    for bad in (
        {"title": "一", "summary": float("nan")},
        {"title": "一", "extra": {1: "x"}},
        {"title": datetime(2025, 1, 1)},
    ):
        with pytest.raises(InvalidInputError, match="Record 2"):
            notebook.import_cases([("incident", {"title": "好的"}), ("incident", bad)])
    assert notebook.count_cases() == 0
    # A tuple is a JSON array.
    created = notebook.create_case("incident", {"title": "元组", "key_flags": ("vice", "youth")})
    assert created.fields["key_flags"] == ["vice", "youth"]
