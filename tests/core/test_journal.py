"""The journal (casebook.journal): the one writer of ops, for local and received ops."""

from __future__ import annotations

from pathlib import Path

from casebook import Notebook
from tests.conftest import PASSPHRASE


def test_a_received_second_create_of_a_known_case_is_refused_alone(tmp_path: Path):
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
        outcome = receiver.apply_remote_ops([again])
        # Refused alone: nothing of it reaches the views, and the sender's chain moves on.
        assert [r[:2] for r in outcome["refused"]] == [[sender.device_id, again["seq"]]]
        assert receiver.state_digest() == digest
        assert receiver.get_case(case.id).title == "第一次创建"
        assert receiver.known_seqs()[sender.device_id] == again["seq"]
        assert receiver.verify_audit()["ops"] >= len(ops)
    finally:
        sender.close()
        receiver.close()


ROOT = Path(__file__).parent.parent.parent


def _all_ops(nb: Notebook) -> list[dict]:
    """Every op a notebook holds, each device's in order (what another laptop may receive)."""
    return [op for device in sorted(nb.known_seqs()) for op in nb.ops_from(device, 0)]


def _write_one_of_each(nb: Notebook, tmp_path: Path) -> str:
    """Local writes of every kind: cases (imported and one by one), entries, status, an
    attachment, a setting, a completed task, a review and a rectification."""
    ids = nb.import_cases([("incident", {"title": f"批量导入 {n}"}) for n in range(3)])
    case = nb.create_case(
        "incident",
        {
            "title": "电动车被盗",
            "summary": "小区车棚",
            "channel": "walk_in",
            "reported_at": "2025-06-01T09:00:00+08:00",
        },
    )
    nb.update_case(case.id, {"summary": "小区车棚，监控已调取"})
    entry = nb.add_entry(case.id, "note", "走访邻居")
    nb.edit_entry(case.id, entry.id, "走访邻居两户")
    nb.add_entry(ids[0], "note", "将删除的记录")
    nb.delete_entry(ids[0], nb.get_case(ids[0]).entries[0].id)
    nb.set_status(case.id, "accepted")
    (tmp_path / "照片.txt").write_text("现场照片说明", encoding="utf-8")
    nb.attach(case.id, tmp_path / "照片.txt")
    spec = next(s for s in nb.setting_specs() if isinstance(s.default, int))
    nb.set_setting(spec.key, spec.default + 1)
    (task,) = [t for t in nb.tasks(include_upcoming=True) if t.kind == "callback"]
    nb.complete_task(task.id, {"reached": False, "comment": "无人接听"})
    findings = [f for r in nb.review(case.id) for f in r.findings]
    nb.rectify_finding(findings[0].id, "已补充材料")
    nb.delete_case(ids[2])
    return case.id


def test_local_received_synced_and_rebuilt_ops_give_the_same_state(tmp_path: Path, monkeypatch):
    """The same ops written locally, received by import, received by sync and replayed by a
    rebuild give the same state: there is one way into the log and the views."""
    from casebook.sync import keys

    from tests.sync.support import StationFixture

    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)
    writer, synced, imported = (
        Notebook.create(
            tmp_path / name, PASSPHRASE, officer_id=officer, officer_name=name, unit="滨湖派出所"
        )
        for name, officer in (("writer", "0001"), ("synced", "0002"), ("imported", "0003"))
    )
    try:
        station = StationFixture(tmp_path / "share")
        engines = [station.enrol(writer), station.enrol(synced)]
        case_id = _write_one_of_each(writer, tmp_path)
        # Two laptops change the same field concurrently: a conflict, then its resolution.
        for engine in engines:
            engine.sync_once()
        synced.update_case(case_id, {"summary": "另一台电脑的摘要"})
        writer.update_case(case_id, {"summary": "这台电脑的摘要"})
        for _ in range(2):
            for engine in engines:
                engine.sync_once()
        assert [c.field for c in writer.get_case(case_id).conflicts] == ["summary"]
        writer.resolve_conflict(case_id, "summary", "合并后的摘要")
        for _ in range(2):
            for engine in engines:
                engine.sync_once()
        assert synced.state_digest() == writer.state_digest()
        # An import of every op, both ways.
        imported.apply_remote_ops(_all_ops(writer))
        mine = imported.ops_from(imported.device_id, 0)
        writer.apply_remote_ops(mine)
        synced.apply_remote_ops(mine)
        digest = writer.state_digest()
        assert imported.state_digest() == digest
        assert synced.state_digest() == digest
        for nb in (writer, synced, imported):
            nb.rebuild()
            assert nb.state_digest() == digest
            assert nb.waiting_count() == 0
            nb.verify_audit()
    finally:
        for nb in (writer, synced, imported):
            nb.close()


def _sources() -> list[Path]:
    return sorted(
        path for folder in ("casebook", "sync", "plugins") for path in (ROOT / folder).rglob("*.py")
    )


def test_only_the_journal_writes_the_log_and_moves_heads():
    import re

    writes = re.compile(
        r"(INSERT|REPLACE|UPDATE|DELETE)\b[^\"']*?\b(INTO|FROM)?\s*(ops|heads|waiting_ops)\b",
        re.IGNORECASE,
    )
    applies = re.compile(r"\.(apply|apply_many)\(")
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        if writes.search(text):
            found.append(f"{name}: writes ops or heads")
        if path.name != "views.py" and re.search(r"\bviews\b", text) and applies.search(text):
            found.append(f"{name}: applies ops to the views")
    assert found == [
        "casebook/journal.py: writes ops or heads",
        "casebook/journal.py: applies ops to the views",
    ]


def test_one_hash_one_clock_one_key_derivation():
    import re

    rules = {
        # Hashing an op (its canonical JSON) is oplog.op_hash.
        r"sha256\([^)]*(body|canonical)": {"casebook/oplog.py"},
        # The wall clock is read in casebook/clock.py (time.monotonic measures durations).
        r"\btime\.time(_ns)?\(|datetime\.(now|utcnow|today)\(|\bdate\.today\(": {
            "casebook/clock.py"
        },
        # Keys are derived in casebook/keys.py.
        r"\b(Scrypt|HKDF|PBKDF2HMAC)\(": {"casebook/keys.py"},
    }
    for pattern, allowed in rules.items():
        where = {
            path.relative_to(ROOT).as_posix()
            for path in _sources()
            if re.search(pattern, path.read_text(encoding="utf-8"))
        }
        assert where <= allowed, pattern
