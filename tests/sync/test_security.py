"""A station that survives a malicious member, a careless admin and a broken disk.

Each test reproduces one finding of the security review of sync (revocations, identity,
clocks, received-op validation, self-healing) and checks the fix, on real folders with real
notebooks. A "modified client" is played by signing crafted ops with a member's own keys.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from casebook.sync import segments
from casebook.sync.engine import ReusedSequenceError, SyncEngine
from casebook.sync.service import SyncService
from casebook.sync.share import segment_name

from casebook import Notebook
from casebook.clock import COUNTER_BITS, wall_ms
from casebook.errors import AuthenticationError
from casebook.oplog import new_id, op_hash

from .support import ADMIN_PASSPHRASE, NOTEBOOK_PASSPHRASE, visible_state

TEN_YEARS = 10 * 365 * 24 * 3600


def own_case(notebook) -> str:
    officer = notebook.officer["officer_id"]
    (case,) = notebook.list_cases(officer_id=officer, sort="created_at", descending=False, limit=1)
    return case.id


def note(notebook, text: str):
    return notebook.add_entry(own_case(notebook), "note", text)


def reasons(notebook) -> list[str]:
    return [a.detail.get("reason") for a in notebook.alarms()]


def sync_all(engines, rounds: int = 2) -> None:
    for _ in range(rounds):
        for engine in engines:
            engine.sync_once()


def assert_converged(notebooks) -> None:
    first = visible_state(notebooks[0])
    for notebook in notebooks[1:]:
        assert visible_state(notebook) == first


def notes_of(notebook, case_id: str) -> list[str]:
    return sorted(e.text for e in notebook.get_case(case_id).entries if e.kind == "note")


@pytest.fixture
def trio(station, notebooks):
    laptops = notebooks(3)
    for laptop in laptops:
        laptop.create_case("incident", {"title": f"Notes of {laptop.officer['name']}"})
    engines = [station.enrol(n, segment_max_ops=3) for n in laptops]
    sync_all(engines)
    return laptops, engines


def craft(station, engine: SyncEngine, notebook, changes: list[dict]) -> list[dict]:
    """Publish ops that the member's own client never wrote, signed with its keys (a modified
    client). They follow the device's chain, as a real client's would."""
    device = notebook.device_id
    published = notebook.sync_state("sync.published")
    seq = published["seq"]
    previous = notebook.op_hash(device, seq)
    ops = []
    for change in changes:
        seq += 1
        op = {
            "op_id": new_id(),
            "device_id": device,
            "seq": seq,
            "hlc": wall_ms() << COUNTER_BITS,
            "case_id": None,
            "kind": "entry.add",
            "payload": {},
            "prev_hash": previous,
            "officer_id": notebook.officer["officer_id"],
            "deps": {},
        }
        op.update(change)
        previous = op_hash(op)
        ops.append(op)
    keys = engine.station().epoch_keys(device, notebook.device_exchange_key())
    data = segments.encode_segment(
        ops,
        station=engine.station().station_id,
        epoch=max(keys),
        epoch_key=keys[max(keys)],
        prev_segment_hash=published["sha256"],
        signing_key=notebook.device_signing_key(),
    )
    (station.root / "log" / device / segment_name(ops[0]["seq"])).write_bytes(data)
    return ops


def a_note(notebook, text: str) -> dict:
    """A well-formed note on the laptop's own case, as its client would write it."""
    return {
        "case_id": own_case(notebook),
        "kind": "entry.add",
        "payload": {"entry_id": new_id(), "kind": "note", "text": text, "data": {}},
    }


# --- revocations ----------------------------------------------------------------------------


def test_deleting_the_revocation_file_never_unrevokes(station, trio):
    (a, b, c), engines = trio
    note(a, "before revocation")
    sync_all(engines)
    cutoff = station.revoke(a.device_id).last_seq
    engines[1].sync_once()
    engines[2].sync_once()  # b and c have seen the revocation: pinned
    revocation_file = station.root / "revoked" / f"{a.device_id}.json"
    revocation_file.unlink()

    note(a, "after revocation, file gone")
    engines[0].sync_once()  # a never saw its revocation: it still publishes
    engines[2].sync_once()
    assert c.known_seqs()[a.device_id] == cutoff
    assert "after revocation, file gone" not in notes_of(c, own_case(a))
    assert revocation_file.exists()  # c remembered it and put it back
    assert "revocation_restored" in reasons(c)
    with pytest.raises(AuthenticationError, match="revoked"):
        engines[0].sync_once()


def test_the_admins_laptop_remembers_the_revocation_it_wrote(station, trio):
    """Deleted before any other laptop saw it, the revocation still comes back: the laptop
    the admin revoked from pinned it at once."""
    (a, b, c), engines = trio
    note(a, "before revocation")
    sync_all(engines)
    cutoff = SyncService(b, station.root).revoke_device(a.device_id, ADMIN_PASSPHRASE).last_seq
    revocation_file = station.root / "revoked" / f"{a.device_id}.json"
    revocation_file.unlink()

    note(a, "after revocation, file deleted at once")
    engines[0].sync_once()  # a never saw its revocation: it publishes
    engines[1].sync_once()  # the admin's laptop puts the revocation back
    assert revocation_file.exists()
    assert "revocation_restored" in reasons(b)
    engines[2].sync_once()
    for laptop in (b, c):
        assert laptop.known_seqs()[a.device_id] == cutoff
        assert "after revocation, file deleted at once" not in notes_of(laptop, own_case(a))
    with pytest.raises(AuthenticationError, match="revoked"):
        engines[0].sync_once()


def rsync(source: Path, target: Path) -> None:
    """Copy what ``target`` lacks or holds shorter (an rsync of the share, tmp/ left out)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts[0] == "tmp" or not path.is_file():
            continue
        copy = target / relative
        if not copy.exists() or copy.stat().st_size < path.stat().st_size:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)


def test_revocation_racing_a_replicator_ends_in_one_state(station, trio, tmp_path):
    """B writes past its cut-off on replica 2; C applies it there before the revocation,
    made on replica 1, arrives. A, on replica 1, refuses it. After the replicators run, every
    laptop holds the same state, without B's late ops."""
    (a, b, c), engines = trio
    replica = tmp_path / "replica"
    shutil.copytree(station.root, replica)
    on_replica = {
        b.device_id: SyncEngine(b, replica, segment_max_ops=3),
        c.device_id: SyncEngine(c, replica, segment_max_ops=3),
    }
    cutoff = station.revoke(b.device_id).last_seq
    late_case = b.create_case("incident", {"title": "written after the cut-off"})
    note(b, "late note")
    on_replica[b.device_id].sync_once()
    on_replica[c.device_id].sync_once()
    assert c.get_case(late_case.id).title == "written after the cut-off"  # C applied it
    engines[0].sync_once()  # A, on replica 1, does not see it
    for _ in range(2):
        rsync(replica, station.root)
        rsync(station.root, replica)
        engines[0].sync_once()
        on_replica[c.device_id].sync_once()
    assert c.known_seqs()[b.device_id] == cutoff
    assert "revoked_ops_removed" in reasons(c)
    assert_converged([a, c])
    assert all(case.id != late_case.id for case in c.list_cases(limit=1000))


# --- identity -------------------------------------------------------------------------------


def test_an_op_naming_another_officer_is_refused_and_later_ops_flow(station, trio):
    (a, b, c), engines = trio
    engines[1].sync_once()
    impostor = dict(a_note(b, "signed by B, claims A's officer"), officer_id="o0")
    profile = {
        "kind": "officer.profile",
        "payload": {"officer_id": "o0", "name": "Renamed by B", "unit": "U"},
    }
    craft(station, engines[1], b, [impostor, profile, a_note(b, "valid, after")])
    engines[2].sync_once()
    case_notes = notes_of(c, own_case(b))
    assert "valid, after" in case_notes
    assert "signed by B, claims A's officer" not in case_notes
    refused = [a for a in c.alarms() if a.detail.get("reason") == "refused_op"]
    assert len(refused) == 2
    assert all(b.device_id in alarm.message for alarm in refused)
    assert [r["seq"] for r in c.refused_ops()] == [
        b.known_seqs()[b.device_id] + 1,
        b.known_seqs()[b.device_id] + 2,
    ]
    assert c.verify_audit()["devices"] == 3


# --- clocks ---------------------------------------------------------------------------------


def test_an_hlc_out_of_range_is_refused_as_malformed(station, trio):
    (a, b, c), engines = trio
    craft(station, engines[1], b, [dict(a_note(b, "overflow"), hlc=2**64), a_note(b, "fine")])
    engines[2].sync_once()  # no OverflowError: the op alone is refused
    engines[2].sync_once()
    assert notes_of(c, own_case(b)).count("fine") == 1
    assert "overflow" not in notes_of(c, own_case(b))
    assert reasons(c).count("refused_op") == 1
    assert "hlc" in c.refused_ops()[0]["reason"]


def test_a_future_clock_is_held_back_and_never_spreads(station, trio, monkeypatch):
    (a, b, c), engines = trio
    monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", str(TEN_YEARS))
    note(a, "written by a laptop ten years ahead")
    engines[0].sync_once()
    monkeypatch.delenv("CASEBOOK_CLOCK_OFFSET")
    craft(station, engines[1], b, [dict(a_note(b, "stamped 2100"), hlc=4102444800000 << 16)])
    engines[2].sync_once()
    engines[2].sync_once()
    assert sorted(reasons(c)) == ["future_op", "future_op"]  # one each, not one per sync
    assert "written by a laptop ten years ahead" not in notes_of(c, own_case(a))
    assert "stamped 2100" not in notes_of(c, own_case(b))
    # C's own clock was not moved: what it writes now is stamped now.
    entry = note(c, "written on C")
    stamped = c.clock.last >> COUNTER_BITS
    assert stamped <= wall_ms() + 60_000, entry
    # When C's clock reaches those times (here: a laptop set ahead), the held ops apply.
    monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", str(TEN_YEARS + 3600))
    engines[2].sync_once()
    assert "written by a laptop ten years ahead" in notes_of(c, own_case(a))


def test_the_skew_allowed_is_a_setting(station, trio):
    (a, b, c), engines = trio
    c.set_preference("sync.max_clock_skew_hours", 0.5)
    craft(
        station,
        engines[1],
        b,
        [dict(a_note(b, "two hours ahead"), hlc=(wall_ms() + 7_200_000) << 16)],
    )
    engines[2].sync_once()
    assert "two hours ahead" not in notes_of(c, own_case(b))
    c.set_preference("sync.max_clock_skew_hours", 24)
    engines[2].sync_once()
    assert "two hours ahead" in notes_of(c, own_case(b))


# --- received ops are validated like local ones ------------------------------------------------


def test_received_ops_are_validated_like_local_ones(station, trio):
    (a, b, c), engines = trio
    case_id = own_case(b)
    bad = [
        {
            "kind": "case.create",
            "case_id": new_id(),
            "payload": {"type": "no_such_type", "fields": {"title": "x"}, "status": "received"},
        },
        {
            "kind": "case.create",
            "case_id": new_id(),
            "payload": {"type": "incident", "fields": {"title": "x"}, "status": "bogus"},
        },
        {
            "kind": "case.create",
            "case_id": new_id(),
            "payload": {
                "type": "incident",
                "fields": {"title": "x" * 2_000_000},
                "status": "received",
            },
        },
        {"kind": "case.set", "case_id": case_id, "payload": {"fields": {"no_such_field": 1}}},
        {"kind": "case.set", "case_id": case_id, "payload": {"fields": {"title": 42}}},
        {"kind": "case.status", "case_id": case_id, "payload": {"status": "bogus", "reason": ""}},
        {
            "kind": "config.set",
            "payload": {"key": "missing_persons.investigation_after_months", "value": "soon"},
        },
        dict(a_note(b, "x"), payload={"entry_id": new_id(), "kind": "note", "text": 5, "data": {}}),
        dict(a_note(b, "x"), unknown_field=1),
        {"kind": "case.assign", "case_id": case_id, "payload": {"officer_id": ["1001"]}},
        {
            "kind": "finding.raise",
            "case_id": case_id,
            "payload": {
                "findings": [
                    {
                        "id": "f1",
                        "plugin": "legal_review",
                        "rule": "legal_review.forged",
                        "severity": "bogus",
                        "points": 5,
                        "message": "forged",
                    }
                ]
            },
        },
        {"kind": "alert.acknowledge", "payload": {"alert_id": "", "note": "signed"}},
    ]
    craft(station, engines[1], b, [*bad, a_note(b, "valid after the refusals")])
    engines[2].sync_once()
    refused = c.refused_ops()
    assert len(refused) == len(bad), refused
    assert reasons(c).count("refused_op") == len(bad)
    assert all(b.device_id in a.message for a in c.alarms())
    assert "valid after the refusals" in notes_of(c, case_id)
    # The case is not polluted: it can still be edited on C.
    c.update_case(case_id, {"title": "edited on C"})
    assert c.get_case(case_id).title == "edited on C"
    assert c.verify_audit()["devices"] == 3


# --- self-healing ----------------------------------------------------------------------------


def own_segments(station, notebook) -> list[Path]:
    return sorted((station.root / "log" / notebook.device_id).glob("*.seg"))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_writer_repairs_its_damaged_segment(station, trio, notebooks, damage):
    (a, b, c), engines = trio
    for n in range(4):
        note(a, f"note {n}")
    sync_all(engines)
    target = own_segments(station, a)[1]
    good = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(good[: len(good) // 2])
    else:
        target.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    engines[1].sync_once()
    if damage == "truncate":
        assert "damaged_copy" in reasons(b)  # a reader that applied it notices
    engines[0].sync_once()
    assert target.read_bytes() == good
    assert "damaged_own_segment" in reasons(a)
    # a laptop that joins later does not wait forever
    (late,) = notebooks(1)
    late_engine = station.enrol(late, segment_max_ops=3)
    late_engine.sync_once()
    assert late.known_seqs()[a.device_id] == a.known_seqs()[a.device_id]


def test_a_missing_key_file_is_put_back(station, trio):
    (a, b, c), engines = trio
    key_file = station.root / "keys" / "1" / f"{a.device_id}.json"
    if not key_file.exists():
        (key_file,) = (station.root / "keys").rglob(f"{a.device_id}*")
    key_file.unlink()
    note(a, "must leave this laptop")
    result = engines[0].sync_once()
    assert result["sent"] == 1
    assert key_file.exists()
    assert "key_file_restored" in reasons(a)
    engines[1].sync_once()
    assert "must leave this laptop" in notes_of(b, own_case(a))


@pytest.mark.parametrize("damage", ["delete", "flip"])
def test_a_damaged_attachment_blob_is_republished(station, trio, tmp_path, damage):
    (a, b, c), engines = trio
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(5000))
    attachment = a.attach(own_case(a), photo)
    engines[0].sync_once()
    (blob,) = (station.root / "blobs").rglob(f"{attachment.id}*")
    good = blob.read_bytes()
    if damage == "delete":
        blob.unlink()
    else:
        blob.write_bytes(good[:50] + bytes([good[50] ^ 1]) + good[51:])
    engines[1].sync_once()
    assert b.attachment_blob_path(attachment.id) is None
    if damage == "flip":
        assert "damaged_blob" in reasons(b)
    engines[0].sync_once()
    assert blob.read_bytes() == good
    assert "blob_republished" in reasons(a)
    engines[1].sync_once()
    assert b.read_attachment(attachment.id) == photo.read_bytes()


def test_a_notebook_restored_from_a_backup_says_what_to_do(station, trio, tmp_path):
    (a, b, c), engines = trio
    a.close()
    backup = tmp_path / "backup"
    shutil.copytree(a.path, backup)
    a = Notebook.open(a.path, NOTEBOOK_PASSPHRASE, load_plugins=False)
    note(a, "written after the backup, sent")
    SyncEngine(a, station.root, segment_max_ops=3).sync_once()
    a.close()
    restored = Notebook.open(backup, NOTEBOOK_PASSPHRASE, load_plugins=False)
    try:
        note(restored, "written on the restored notebook")
        with pytest.raises(ReusedSequenceError, match="restored from a backup") as raised:
            SyncEngine(restored, station.root, segment_max_ops=3).sync_once()
        assert "station join" in str(raised.value)
        assert "reused_sequence" in reasons(restored)
        # nothing of the restored notebook's reused seqs reached the share
        engines[1].sync_once()
        assert "written on the restored notebook" not in notes_of(b, own_case(restored))
        assert "written after the backup, sent" in notes_of(b, own_case(restored))
    finally:
        restored.close()
