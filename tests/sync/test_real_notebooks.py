"""Sync between real notebooks (casebook.Notebook) on a real share folder, in one process.

The merge rules belong to the core; these tests check that sync delivers every op so that
the rules give the same state everywhere, whatever order segments arrive in.
"""

from __future__ import annotations

import shutil

import pytest

from .support import visible_state


def converge(engines, rounds: int = 2):
    for _ in range(rounds):
        for engine in engines:
            engine.sync_once()


def assert_same_state(notebooks):
    states = [visible_state(notebook) for notebook in notebooks]
    assert all(state == states[0] for state in states)


def conflict_view(notebook, case_id):
    case = notebook.get_case(case_id)
    return case.fields.get("summary"), sorted(
        (c.field, sorted(str(v.value) for v in c.values)) for c in case.conflicts
    )


@pytest.mark.parametrize("order", ["a_first", "b_first", "observer_reversed"])
def test_concurrent_edits_keep_one_winner_and_the_conflict(station, notebooks, order, tmp_path):
    a, b, c = notebooks(3)
    engines = [station.enrol(n) for n in (a, b, c)]
    case = a.create_case("incident", {"title": "Theft at the market", "summary": "first"})
    converge(engines[:2], rounds=1)
    engines[0].sync_once()
    a.update_case(case.id, {"summary": "written on laptop A"})
    b.update_case(case.id, {"summary": "written on laptop B"})
    if order == "a_first":
        sequence = [engines[0], engines[1], engines[0], engines[2]]
    elif order == "b_first":
        sequence = [engines[1], engines[0], engines[1], engines[2]]
    else:
        # the observer receives b's segment before a's (a's held back on the way)
        engines[0].sync_once()
        engines[1].sync_once()
        hidden = tmp_path / "held-back"
        shutil.copytree(station.root / "log" / a.device_id, hidden)
        for path in (station.root / "log" / a.device_id).glob("*.seg"):
            if path.name != "0000000000000001.seg":
                path.unlink()
        engines[2].sync_once()
        for path in hidden.glob("*.seg"):
            target = station.root / "log" / a.device_id / path.name
            if not target.exists():
                shutil.copy(path, target)
        sequence = [engines[2], engines[0], engines[1]]
    for engine in sequence:
        engine.sync_once()
    converge(engines)
    views = [conflict_view(n, case.id) for n in (a, b, c)]
    assert views[0] == views[1] == views[2]
    winner, conflicts = views[0]
    assert winner in ("written on laptop A", "written on laptop B")
    assert conflicts == [("summary", ["written on laptop A", "written on laptop B"])]
    assert_same_state([a, b, c])
    assert len(a.conflicts()) == 1
    # settling it is a new op that reaches everyone
    c.resolve_conflict(case.id, "summary", "agreed text")
    converge(engines)
    for notebook in (a, b, c):
        assert notebook.get_case(case.id).fields["summary"] == "agreed text"
        assert notebook.conflicts() == []
    assert_same_state([a, b, c])


def test_notes_from_skewed_clocks_all_arrive(station, notebooks, monkeypatch):
    a, b, c = notebooks(3)
    engines = [station.enrol(n) for n in (a, b, c)]
    case = a.create_case("incident", {"title": "Missing bicycle"})
    converge(engines)
    offsets = {a.device_id: -86400, b.device_id: 86400, c.device_id: 0}
    for round_number in range(3):
        for notebook in (a, b, c):
            offset = offsets[notebook.device_id]
            if notebook is c and round_number == 2:
                offset = -3 * 86400  # c's clock jumps backwards
            monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", str(offset))
            notebook.add_entry(
                case.id, "note", f"note {round_number} from {notebook.officer['officer_id']}"
            )
        monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", "0")
        engines[round_number].sync_once()
    converge(engines)
    for notebook in (a, b, c):
        texts = sorted(e.text for e in notebook.get_case(case.id).entries if e.kind == "note")
        assert texts == sorted(f"note {r} from o{i}" for r in range(3) for i in range(3))
    assert_same_state([a, b, c])


def test_attachments_are_fetched_as_encrypted_blobs(station, notebooks, tmp_path):
    a, b = notebooks(2)
    engines = [station.enrol(n) for n in (a, b)]
    photo = tmp_path / "scene.jpg"
    content = b"\xff\xd8\xff" + b"DISTINCTIVE-PHOTO-BYTES" * 2000
    photo.write_bytes(content)
    case = a.create_case("incident", {"title": "Damaged car"})
    attachment = a.attach(case.id, photo)
    converge(engines)
    assert b.read_attachment(attachment.id) == content
    blob = station.share.blob_path(attachment.id)
    assert blob.exists() and b"DISTINCTIVE-PHOTO-BYTES" not in blob.read_bytes()


def test_nothing_readable_on_the_share_with_real_notebooks(station, notebooks):
    a, b = notebooks(2)
    engines = [station.enrol(n) for n in (a, b)]
    distinctive = ["张三", "DISTINCTIVE-VICTIM-4471", "13912345678", "Xinjiekou-Road-88"]
    case = a.create_case(
        "incident",
        {
            "title": "张三 DISTINCTIVE-VICTIM-4471",
            "reporter_phone": "13912345678",
            "location": "Xinjiekou-Road-88",
        },
    )
    b_case = b.create_case("incident", {"title": "other 张三"})
    a.add_entry(case.id, "note", "witness DISTINCTIVE-VICTIM-4471 says")
    converge(engines)
    assert b.get_case(case.id).title == "张三 DISTINCTIVE-VICTIM-4471"
    assert a.get_case(b_case.id).title == "other 张三"
    for path in station.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text in distinctive:
                assert text.encode() not in data, path


def test_attachment_fetched_only_when_a_case_needs_it(station, notebooks, tmp_path):
    from casebook.sync.engine import SyncEngine

    a, b = notebooks(2)
    engine_a = station.enrol(a)
    station.enrol(b)
    lazy_b = SyncEngine(b, station.root, fetch_attachments=False)
    photo = tmp_path / "statement.pdf"
    photo.write_bytes(b"%PDF-1.4 statement " * 500)
    case = a.create_case("incident", {"title": "Statement"})
    attachment = a.attach(case.id, photo)
    engine_a.sync_once()
    lazy_b.sync_once()
    assert b.attachment_blob_path(attachment.id) is None
    assert lazy_b.fetch_attachment(attachment.id) is True
    assert b.read_attachment(attachment.id) == photo.read_bytes()
