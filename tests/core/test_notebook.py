"""The facade's own behaviour: keys, locking, search, attachments, history."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import AuthenticationError, IntegrityError, InvalidInputError, Notebook, NotFoundError
from tests.conftest import PASSPHRASE


def test_change_passphrase_rewraps_without_reencrypting(notebook_dir: Path, notebook: Notebook):
    from casebook.keys import KeyFile

    notebook.create_case("incident", {"title": "保留"})
    notebook.close()
    salt = (notebook_dir / "notebook.db").read_bytes()[:16]
    data_key = KeyFile.load(notebook_dir).unwrap(PASSPHRASE)
    with Notebook.open(notebook_dir, PASSPHRASE) as nb:
        with pytest.raises(AuthenticationError):
            nb.change_passphrase("wrong", "new one")
        nb.change_passphrase(PASSPHRASE, "new one")
    # Same data key and same SQLCipher salt: the data was not re-encrypted.
    assert KeyFile.load(notebook_dir).unwrap("new one") == data_key
    assert (notebook_dir / "notebook.db").read_bytes()[:16] == salt
    with pytest.raises(AuthenticationError):
        Notebook.open(notebook_dir, PASSPHRASE)
    with Notebook.open(notebook_dir, "new one") as nb:
        assert [c.title for c in nb.list_cases()] == ["保留"]


def test_lock_drops_access_until_unlocked(notebook: Notebook):
    notebook.create_case("incident", {"title": "锁定前"})
    notebook.lock()
    assert notebook.is_locked
    with pytest.raises(AuthenticationError):
        notebook.list_cases()
    with pytest.raises(AuthenticationError):
        notebook.unlock("wrong")
    notebook.unlock(PASSPHRASE)
    assert [c.title for c in notebook.list_cases()] == ["锁定前"]


def test_search_finds_any_substring_and_ranks_titles_first(notebook: Notebook):
    body_hit = notebook.create_case("incident", {"title": "邻里纠纷", "summary": "涉及张三"})
    title_hit = notebook.create_case("incident", {"title": "张三 电动车被盗"})
    noted = notebook.create_case("incident", {"title": "其他"})
    notebook.add_entry(noted.id, "note", "Visited Mr. ZHANG San at home")
    gone = notebook.create_case("incident", {"title": "张三 已删除"})
    notebook.delete_case(gone.id)

    assert [c.id for c in notebook.search("张三")] == [title_hit.id, body_hit.id]
    assert {c.id for c in notebook.search("三")} == {title_hit.id, body_hit.id}
    assert [c.id for c in notebook.search("zhang san")] == [noted.id]
    assert [c.id for c in notebook.search("SAN AT")] == [noted.id]
    assert [c.id for c in notebook.search("张三 被盗")] == [title_hit.id]
    assert notebook.search("   ") == [] and notebook.search("!!") == []
    entry = notebook.get_case(noted.id).entries[0]
    notebook.delete_entry(noted.id, entry.id)
    assert notebook.search("zhang") == []


def test_attachments_detect_tampering(notebook: Notebook, tmp_path: Path):
    case = notebook.create_case("incident", {"title": "附件"})
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 9000)
    attachment = notebook.attach(case.id, source)
    assert notebook.read_attachment(attachment.id) == source.read_bytes()
    blob = notebook.attachment_blob_path(attachment.id)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        notebook.read_attachment(attachment.id)
    blob.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(IntegrityError):
        notebook.read_attachment(attachment.id)
    with pytest.raises(NotFoundError):
        notebook.read_attachment("0" * 32)


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
    assert [op["kind"] for op in notebook.history(case.id)] == [
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


def test_ids_grow_with_time_and_stay_unique():
    from casebook.oplog import new_id

    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 and i[12] == "7" for i in ids)
    assert ids[0][:12] <= ids[-1][:12]  # the leading 48 bits are the time in milliseconds


def test_views_written_in_an_older_layout_are_recomputed_when_opened(
    notebook_dir: Path, notebook: Notebook
):
    import json

    case = notebook.create_case("incident", {"title": "旧版本的案件", "summary": "王五 手机遗失"})
    # The first layout stored every value with its writer: {field: [[device, seq, hlc, value, officer]]}.
    registers = {
        name: [[notebook.device_id, 1, 0, value, "0001"]] for name, value in case.fields.items()
    }
    with notebook._transaction():
        notebook.conn.execute(
            "UPDATE cases SET registers = ?", (json.dumps(registers, ensure_ascii=False),)
        )
        notebook.conn.execute("DELETE FROM meta WHERE key = 'views_version'")
    notebook.close()
    reopened = Notebook.open(notebook_dir, PASSPHRASE)
    try:
        assert reopened.get_case(case.id).fields == case.fields
        assert [hit.id for hit in reopened.search("王五")] == [case.id]
    finally:
        reopened.close()


def test_settings_are_shared_read_only_values(notebook: Notebook):
    import copy
    import json

    key = "callbacks.satisfaction"
    value = notebook.setting(key)
    assert notebook.setting(key) is value  # cached: no copy per read
    with pytest.raises(TypeError, match="read-only"):
        value["channels"] = []
    with pytest.raises(TypeError, match="read-only"):
        value["channels"].append("phone")
    plain = copy.deepcopy(value)
    plain["channels"].append("phone")
    assert type(plain) is dict and type(plain["channels"]) is list
    assert json.loads(json.dumps(value)) == notebook.setting(key)
    changed = {**value, "first_days": 5}
    notebook.set_setting(key, changed)
    assert notebook.setting(key)["first_days"] == 5


def test_search_leaves_dates_and_times_out(notebook: Notebook):
    dated = notebook.create_case(
        "incident", {"title": "手机遗失", "reported_at": "2025-03-12T12:30:00+08:00"}
    )
    numbered = notebook.create_case(
        "incident", {"title": "编号12号 纠纷", "reported_at": "2025-03-01T09:00:00+08:00"}
    )
    assert [hit.id for hit in notebook.search("12")] == [numbered.id]
    notebook.update_case(dated.id, {"summary": "第12次报警"})
    assert {hit.id for hit in notebook.search("12")} == {dated.id, numbered.id}


def test_tasks_of_one_case_type(notebook: Notebook):
    from tests.plugins.workflow_data import missing_person

    person = notebook.create_case("missing_person", missing_person())
    incident = notebook.create_case(
        "incident",
        {"title": "手机遗失", "channel": "walk_in", "reported_at": "2025-03-01T09:00:00+08:00"},
    )
    every = notebook.tasks("2030-01-01")
    assert {t.case_id for t in every} == {person.id, incident.id}
    only = notebook.tasks("2030-01-01", case_type="missing_person")
    assert only and {t.case_id for t in only} == {person.id}
    assert len(only) == sum(1 for t in every if t.case_id == person.id)


def test_a_large_import_is_written_in_batches_with_progress(notebook: Notebook):
    from casebook.notebook import IMPORT_BATCH

    total = 2 * IMPORT_BATCH + 1
    ops_before = notebook.verify_audit()["ops"]
    progress: list[tuple[int, int]] = []
    ids = notebook.import_cases(
        (("incident", {"title": f"第{i}号 批量", "summary": "电动车被盗"}) for i in range(total)),
        progress=lambda done, of: progress.append((done, of)),
    )
    assert progress == [(IMPORT_BATCH, total), (2 * IMPORT_BATCH, total), (total, total)]
    assert len(set(ids)) == total == notebook.count_cases()
    assert notebook.verify_audit()["ops"] == ops_before + total
    assert [hit.id for hit in notebook.search(f"第{total - 1}号")] == [ids[-1]]
    assert notebook.get_case(ids[IMPORT_BATCH]).title == f"第{IMPORT_BATCH}号 批量"


def test_a_received_second_create_of_a_known_case_is_refused(tmp_path: Path):
    from casebook.oplog import op_hash

    sender = Notebook.create(
        tmp_path / "a", PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    receiver = Notebook.create(
        tmp_path / "b", PASSPHRASE, officer_id="0002", officer_name="王芳", unit="滨湖派出所"
    )
    try:
        case = sender.create_case("incident", {"title": "第一次创建"})
        ops = sender.ops_from(sender.device_id, 0)
        receiver.apply_remote_ops(ops)
        create = next(op for op in ops if op["kind"] == "case.create")
        again = dict(
            create,
            seq=ops[-1]["seq"] + 1,
            op_id="0" * 32,
            hlc=ops[-1]["hlc"] + 1,
            prev_hash=op_hash(ops[-1]),
            payload=dict(create["payload"], fields={"title": "冒名的第二次"}),
        )
        digest = receiver.state_digest()
        with pytest.raises(IntegrityError, match="Malformed op"):
            receiver.apply_remote_ops([again])
        assert receiver.state_digest() == digest
        assert receiver.get_case(case.id).title == "第一次创建"
    finally:
        sender.close()
        receiver.close()


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
