"""The engine's rules on real folders, with real notebooks, in one process.

Every laptop of the ``trio`` starts with two ops of its own (``BASE``): its officer profile,
written when the notebook was made, and the case it writes its notes in.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest
from casebook.sync import segments
from casebook.sync.engine import APPLIED, INCOMPLETE, REJECTED, SyncEngine
from casebook.sync.keys import canonical_bytes
from casebook.sync.membership import Station
from casebook.sync.share import ShareUnavailableError, segment_name

from casebook.errors import AuthenticationError

from .support import complete_incident, visible_state

BASE = 2  # ops every laptop of the trio holds before a test writes: profile and own case


def own_case(notebook) -> str:
    """The first case this laptop's officer opened (the ``trio`` fixture opens one each)."""
    officer = notebook.officer["officer_id"]
    (case,) = notebook.list_cases(officer_id=officer, sort="created_at", descending=False, limit=1)
    return case.id


def note(notebook, text: str):
    return notebook.add_entry(own_case(notebook), "note", text)


def forget_published(notebook) -> None:
    """As if the laptop had crashed between publishing its segments and recording them
    (``sync.published`` is where the engine records them)."""
    notebook.set_sync_state("sync.published", None)


def sync_all(engines, rounds=2):
    results = []
    for _ in range(rounds):
        for engine in engines:
            results.append(engine.sync_once())
    return results


def assert_converged(notebooks):
    first = visible_state(notebooks[0])
    for notebook in notebooks[1:]:
        assert visible_state(notebook) == first
    assert all(n.waiting_count() == 0 for n in notebooks)


def alarm_reasons(notebook):
    return [a.detail.get("reason") for a in notebook.alarms()]


def seg_files(root: Path, device: str) -> list[Path]:
    return sorted((root / "log" / device).glob("*.seg"))


@pytest.fixture
def trio(station, notebooks):
    laptops = notebooks(3)
    for laptop in laptops:
        laptop.create_case("incident", complete_incident(f"Notes of {laptop.officer['name']}"))
    engines = [station.enrol(n, segment_max_ops=3) for n in laptops]
    return laptops, engines


def test_ops_reach_every_member(trio):
    notebooks, engines = trio
    for index, notebook in enumerate(notebooks):
        for n in range(4):
            note(notebook, f"note {index}-{n}")
    results = sync_all(engines)
    assert_converged(notebooks)
    assert results[0]["sent"] == BASE + 4
    assert sum(r["received"] for r in results) == 2 * (BASE + 4) * 3
    assert set(results[0]) >= {"sent", "received", "conflicts", "rejected", "pending_keys"}


def test_no_change_sync_reads_no_segment(trio, monkeypatch):
    notebooks, engines = trio
    for notebook in notebooks:
        note(notebook, "x")
    sync_all(engines)
    reads = []
    original = engines[0].share.read_bytes

    def counting(path):
        reads.append(Path(path))
        return original(path)

    monkeypatch.setattr(engines[0].share, "read_bytes", counting)
    result = engines[0].sync_once()
    assert result == dict(result, sent=0, received=0, rejected=0, pending_keys=0)
    assert [p for p in reads if p.suffix == ".seg"] == []


def test_any_arrival_order_and_duplicates(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    for n in range(7):
        note(a, f"a{n}")
    engines[0].sync_once()
    files = seg_files(station.root, a.device_id)
    assert len(files) == 3  # 3 + 3 + 3 ops (BASE + 7)
    hidden = station.root.parent / "hidden"
    hidden.mkdir()
    for path in files[:2]:
        shutil.move(path, hidden / path.name)
    result = engines[1].sync_once()  # only the last segment: a gap, it waits
    assert result["received"] == 0 and b.known_seqs().get(a.device_id, 0) == 0
    shutil.move(hidden / files[1].name, files[1])
    engines[1].sync_once()
    assert b.known_seqs().get(a.device_id, 0) == 0
    shutil.move(hidden / files[0].name, files[0])
    engines[1].sync_once()
    assert b.known_seqs()[a.device_id] == BASE + 7
    # duplicates are harmless: hand the same ops again
    assert b.apply_remote_ops(a.ops_from(a.device_id, 0))["applied"] == 0
    sync_all(engines)
    assert_converged(notebooks)
    assert alarm_reasons(b) == []


def test_causal_dependencies_across_devices(trio):
    notebooks, engines = trio
    a, b, c = notebooks
    note(a, "first")
    engines[0].sync_once()
    engines[1].sync_once()
    b.add_entry(own_case(a), "note", "reply")  # on a's case: depends on a's ops
    assert b.ops_from(b.device_id, BASE)[0]["deps"] == {a.device_id: BASE + 1}
    engines[1].sync_once()
    # c sees b's op, then a's: b's waits in the notebook until a's arrives
    engines[2].sync_once()
    assert c.known_seqs()[a.device_id] == BASE + 1 and c.known_seqs()[b.device_id] == BASE + 1
    sync_all(engines)
    assert_converged(notebooks)


@pytest.mark.parametrize("fault", ["zero", "truncated", "preallocated", "still_copying"])
def test_incomplete_files_are_ignored_then_picked_up(station, trio, fault):
    notebooks, engines = trio
    a, b, _ = notebooks
    note(a, "one")
    engines[0].sync_once()
    (path,) = seg_files(station.root, a.device_id)
    complete = path.read_bytes()
    path.unlink()
    damaged = {
        "zero": b"",
        "truncated": complete[: len(complete) // 3],
        "preallocated": complete[:100] + b"\0" * (len(complete) - 100),
        "still_copying": complete[:-1],
    }[fault]
    path.write_bytes(damaged)
    result = engines[1].sync_once()
    assert result["received"] == 0 and result["rejected"] == 0
    assert [s.state for s in engines[1].scan()] == [INCOMPLETE]
    assert b.alarms() == []
    path.write_bytes(complete)
    assert engines[1].sync_once()["received"] == BASE + 1
    assert b.alarms() == []


def test_incomplete_file_alarms_when_stale(station, trio, monkeypatch):
    notebooks, engines = trio
    a, b, _ = notebooks
    note(a, "one")
    engines[0].sync_once()
    (path,) = seg_files(station.root, a.device_id)
    path.write_bytes(path.read_bytes()[:-64])  # an unsigned stub looks like a copy in progress
    engines[1].sync_once()
    assert b.alarms() == []
    monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", str(16 * 60))
    engines[1].sync_once()
    engines[1].sync_once()
    assert alarm_reasons(b) == ["stale_incomplete"]


def _publish_one(station, trio, count=1):
    notebooks, engines = trio
    for n in range(count):
        note(notebooks[0], f"note {n}")
    engines[0].sync_once()
    return seg_files(station.root, notebooks[0].device_id)


def test_flipped_bytes_are_rejected_with_an_alarm(station, trio):
    notebooks, engines = trio
    (path,) = _publish_one(station, trio)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # in the encrypted body
    path.write_bytes(bytes(data))
    result = engines[1].sync_once()
    assert result["rejected"] == 1 and result["received"] == 0
    assert alarm_reasons(notebooks[1]) == ["bad_signature"]
    engines[1].sync_once()
    assert len(notebooks[1].alarms()) == 1  # one alarm per bad file, not one per sync


def test_header_swapped_between_devices_is_rejected(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    note(a, "from a")
    note(b, "from b")
    engines[0].sync_once()
    engines[1].sync_once()
    (path_a,) = seg_files(station.root, a.device_id)
    (path_b,) = seg_files(station.root, b.device_id)
    seg_a = segments.parse_segment(path_a.read_bytes())
    seg_b = segments.parse_segment(path_b.read_bytes())
    assert len(seg_a.body) == len(seg_b.body)  # same sizes: only the signature can tell
    swapped = (
        segments.MAGIC
        + struct.pack(">I", len(seg_a.header_bytes))
        + seg_a.header_bytes
        + seg_b.body
        + seg_b.signature
    )
    path_a.write_bytes(swapped)
    result = engines[2].sync_once()
    assert result["rejected"] == 1
    assert alarm_reasons(c) == ["bad_signature"]
    assert c.known_seqs().get(a.device_id, 0) == 0 and c.known_seqs()[b.device_id] == BASE + 1


def test_whole_segment_moved_to_another_device_is_rejected(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    note(a, "from a")
    engines[0].sync_once()
    (path_a,) = seg_files(station.root, a.device_id)
    (station.root / "log" / b.device_id).mkdir(parents=True, exist_ok=True)
    shutil.copy(path_a, station.root / "log" / b.device_id / path_a.name)
    engines[2].sync_once()
    assert alarm_reasons(c) == ["misplaced"]
    assert c.known_seqs().get(b.device_id, 0) == 0 and c.known_seqs()[a.device_id] == BASE + 1


def test_replayed_segment_is_rejected(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    files = _publish_one(station, trio, count=4)  # segments at seq 1 and 4
    engines[2].sync_once()
    # an old segment copied under the next name
    shutil.copy(files[0], files[0].parent / segment_name(BASE + 4 + 1))
    engines[2].sync_once()
    assert alarm_reasons(c) == ["misplaced"]
    assert c.known_seqs()[a.device_id] == BASE + 4


def test_forked_chain_is_rejected(station, trio):
    """A validly signed segment that does not chain to the previous one (a replay of a fork)."""
    notebooks, engines = trio
    a, b, c = notebooks
    note(a, "one")
    engines[0].sync_once()
    note(a, "two")
    ops = a.ops_from(a.device_id, BASE + 1)
    keys = engines[0].station().epoch_keys(a.device_id, a.device_exchange_key())
    data = segments.encode_segment(
        ops,
        station=engines[0].station().station_id,
        epoch=1,
        epoch_key=keys[1],
        prev_segment_hash="ab" * 32,
        signing_key=a.device_signing_key(),
    )
    (station.root / "log" / a.device_id / segment_name(BASE + 2)).write_bytes(data)
    engines[2].sync_once()
    assert alarm_reasons(c) == ["replayed"]
    assert c.known_seqs()[a.device_id] == BASE + 1


def test_unknown_signer_is_rejected(station, trio, notebooks):
    laptops, engines = trio
    c = laptops[2]
    (stranger,) = notebooks(1)
    case = stranger.create_case("incident", complete_incident("not a member"))
    stranger.add_entry(case.id, "note", "sneaky")
    data = segments.encode_segment(
        stranger.ops_from(stranger.device_id, 0),
        station=engines[0].station().station_id,
        epoch=1,
        epoch_key=os.urandom(32),
        prev_segment_hash=segments.NO_PREVIOUS,
        signing_key=stranger.device_signing_key(),
    )
    folder = station.root / "log" / stranger.device_id
    folder.mkdir(parents=True)
    (folder / segment_name(1)).write_bytes(data)
    result = engines[2].sync_once()
    assert result["rejected"] == 1
    assert alarm_reasons(c) == ["unknown_signer"]
    assert stranger.device_id not in c.known_seqs()


def test_unsigned_segment_is_rejected(station, trio):
    notebooks, engines = trio
    (path,) = _publish_one(station, trio)
    segment = segments.parse_segment(path.read_bytes())
    header = {k: v for k, v in segment.header.items() if k != "signature"}
    header_bytes = canonical_bytes(header)
    path.write_bytes(
        segments.MAGIC
        + struct.pack(">I", len(header_bytes))
        + header_bytes
        + segment.body
        + b"\1" * 64
    )
    engines[1].sync_once()
    assert alarm_reasons(notebooks[1]) == ["unsigned"]


def test_deleted_tail_is_noticed_and_republished(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    files = _publish_one(station, trio, count=4)
    engines[1].sync_once()
    files[-1].unlink()
    engines[1].sync_once()
    assert alarm_reasons(b) == ["deleted_tail"]
    engines[0].sync_once()  # the writer notices and publishes its ops again
    assert alarm_reasons(a) == ["deleted_tail"]
    assert files[-1].exists()
    note(a, "after")
    sync_all(engines)
    assert_converged(notebooks)
    assert b.known_seqs()[a.device_id] == BASE + 5


def test_missing_marker_or_empty_share_deletes_nothing(station, trio, tmp_path):
    notebooks, engines = trio
    for notebook in notebooks:
        note(notebook, "kept")
    sync_all(engines)
    before = sorted(p.relative_to(station.root) for p in station.root.rglob("*"))
    held = visible_state(notebooks[0])
    marker = station.root / "casebook-station.json"
    saved = marker.read_bytes()
    marker.unlink()
    with pytest.raises(ShareUnavailableError, match="marker"):
        engines[0].sync_once()
    marker.write_bytes(saved)
    assert sorted(p.relative_to(station.root) for p in station.root.rglob("*")) == before
    assert visible_state(notebooks[0]) == held
    # an unmounted share: an empty mount point, or no folder at all
    moved = tmp_path / "away"
    station.root.rename(moved)
    with pytest.raises(ShareUnavailableError, match="not reachable"):
        engines[0].sync_once()
    station.root.mkdir()
    with pytest.raises(ShareUnavailableError, match="empty"):
        engines[0].sync_once()
    station.root.rmdir()
    moved.rename(station.root)
    assert visible_state(notebooks[0]) == held
    assert engines[0].sync_once()["rejected"] == 0


def test_a_share_unmounted_mid_pass_is_unreachable_not_a_refusal(
    station, trio, tmp_path, monkeypatch
):
    """The folder goes away after the pass found it and before it read this laptop's member
    file: that is an unreachable share (the watcher retries), never "not a member"."""
    notebooks, engines = trio
    moved = tmp_path / "away"
    looked_up = Station.member

    def member_after_unmount(self, device):
        if station.root.exists():
            station.root.rename(moved)  # the real folder really goes away here
        return looked_up(self, device)

    monkeypatch.setattr(Station, "member", member_after_unmount)
    with pytest.raises(ShareUnavailableError, match="not reachable"):
        engines[0].sync_once()
    monkeypatch.undo()
    moved.rename(station.root)
    assert engines[0].sync_once()["rejected"] == 0


def test_log_folder_vanishing_deletes_nothing(station, trio):
    notebooks, engines = trio
    for notebook in notebooks:
        note(notebook, "kept")
    sync_all(engines)
    held = visible_state(notebooks[1])
    shutil.rmtree(station.root / "log")
    engines[1].sync_once()
    assert visible_state(notebooks[1]) == held


def test_late_files_and_wrong_times_change_nothing(station, trio):
    notebooks, engines = trio
    a, b, c = notebooks
    for n in range(5):
        note(a, f"n{n}")
    engines[0].sync_once()
    for path in (station.root / "log").rglob("*.seg"):
        os.utime(path, (0, 0))  # times from 1970: coarse or wrong, they must not matter
    engines[2].sync_once()
    later = seg_files(station.root, a.device_id)
    for path in later:
        os.utime(path, (4_000_000_000, 4_000_000_000))
    engines[2].sync_once()
    sync_all(engines)
    assert_converged(notebooks)
    assert alarm_reasons(c) == []


def test_not_approved_is_an_authentication_error(station, notebooks):
    (notebook,) = notebooks(1)
    engine = station.enrol(notebook, approve=False)
    with pytest.raises(AuthenticationError, match="not approved yet"):
        engine.sync_once()
    (stranger,) = notebooks(1)
    with pytest.raises(AuthenticationError, match="not a member"):
        SyncEngine(stranger, station.root).sync_once()
    assert AuthenticationError.exit_code == 3


def test_revoked_laptop(station, trio, tmp_path):
    notebooks, engines = trio
    a, b, c = notebooks
    note(a, "before revocation")
    engines[0].sync_once()
    # a keeps working offline against its own copy of the share (a replica that is late)
    replica = tmp_path / "replica"
    shutil.copytree(station.root, replica)
    late_engine = SyncEngine(a, replica, segment_max_ops=3)
    station.revoke(a.device_id)
    note(a, "after revocation")
    late_engine.sync_once()
    late = replica / "log" / a.device_id / segment_name(BASE + 2)
    assert late.exists()
    with pytest.raises(AuthenticationError, match="revoked"):
        engines[0].sync_once()
    shutil.copy(late, station.root / "log" / a.device_id / late.name)  # arrives late
    note(b, "new epoch")
    engines[1].sync_once()
    result = engines[2].sync_once()
    assert result["rejected"] == 1
    assert alarm_reasons(c) == ["revoked_signer"]
    assert c.known_seqs()[a.device_id] == BASE + 1
    assert c.known_seqs()[b.device_id] == BASE + 1
    header = segments.parse_segment(seg_files(station.root, b.device_id)[0].read_bytes()).header
    assert header["epoch"] == 2
    assert 2 not in engines[0].station().epoch_keys(a.device_id, a.device_exchange_key())


def test_nothing_readable_on_the_share(station, trio):
    notebooks, engines = trio
    secrets_written = [
        "张三 DISTINCTIVE-7f3a",
        "witness Wang Xiaoming 13800138000",
        "李四-ledger-9b2c",
    ]
    for notebook, text in zip(notebooks, secrets_written, strict=False):
        note(notebook, text)
        notebook.update_case(own_case(notebook), {"summary": text + " field"})
    sync_all(engines)
    assert_converged(notebooks)
    for path in station.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text in secrets_written:
                for needle in (text, text.split()[0], text.split()[-1]):
                    assert needle.encode() not in data, path
    assert list((station.root / "tmp").rglob("*.tmp")) == []


def test_crash_leftovers_of_publishing_are_recovered(station, trio):
    notebooks, engines = trio
    a, b, _ = notebooks
    note(a, "one")
    # a crash after the write to tmp, before the rename: a stray file in a's staging
    staging = station.share.tmp_dir(a.device_id)
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "dead.tmp").write_bytes(b"half a segment")
    # a crash after the rename, before the ops were marked sent
    engines[0].sync_once()
    forget_published(a)
    note(a, "two")
    result = engines[0].sync_once()
    assert result["sent"] == 1  # only the new op: the first segment was adopted, not sent again
    assert list(staging.iterdir()) == []
    assert len(seg_files(station.root, a.device_id)) == 2
    engines[1].sync_once()
    assert b.known_seqs()[a.device_id] == BASE + 2


def test_attachments_travel_as_blobs(station, trio, tmp_path):
    notebooks, engines = trio
    a, b, _ = notebooks
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"JPEG" + os.urandom(5000))
    attachment_id = a.attach(own_case(a), photo).id
    engines[0].sync_once()
    blob = station.share.blob_path(attachment_id)
    assert blob.exists()
    full = blob.read_bytes()
    blob.write_bytes(full[:100])  # still being copied
    engines[1].sync_once()
    assert b.attachment_blob_path(attachment_id) is None
    blob.write_bytes(full)
    engines[1].sync_once()
    assert b.attachment_blob_path(attachment_id).read_bytes() == full


def test_progress_is_reported(trio):
    notebooks, engines = trio
    engines[1].sync_once()  # b's own BASE ops are out: its next sync only reads
    for n in range(7):
        note(notebooks[0], f"n{n}")
    engines[0].sync_once()
    calls = []
    engines[1].sync_once(progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_scan_classifies_without_applying(station, trio):
    notebooks, engines = trio
    _publish_one(station, trio, count=4)
    statuses = engines[1].scan()
    assert [s.state for s in statuses] == ["ready", "ready"]
    assert notebooks[0].device_id not in notebooks[1].known_seqs()
    engines[1].sync_once()
    assert {s.state for s in engines[1].scan()} == {APPLIED}
    assert REJECTED not in {s.state for s in engines[1].scan()}


def test_segment_under_an_epoch_not_held_yet_is_pending(station, trio, tmp_path):
    notebooks, engines = trio
    a, b, c = notebooks
    station.revoke(a.device_id)
    key_file = station.share.key_path(2, c.device_id)
    held_back = tmp_path / "late.key"
    key_file.rename(held_back)  # the replicator has not brought c's new key yet
    note(b, "under epoch 2")
    engines[1].sync_once()
    result = engines[2].sync_once()
    assert result["pending_keys"] == 1 and result["received"] == 0
    assert c.alarms() == []
    held_back.rename(key_file)
    result = engines[2].sync_once()
    assert result["pending_keys"] == 0 and result["received"] == BASE + 1


def test_segment_cut_again_after_crash_and_loss_is_read_again(station, trio):
    """The writer crashed before recording a segment, the file was then lost from the share,
    and the writer cut it again with more ops under the same name: readers notice."""
    notebooks, engines = trio
    a, b, _ = notebooks
    engines[0].sync_once()  # a's first segment holds its BASE ops, room for one more
    engines[1].sync_once()
    assert b.known_seqs()[a.device_id] == BASE
    forget_published(a)  # the crash: published, never recorded
    (path,) = seg_files(station.root, a.device_id)
    path.unlink()  # ... and lost from the share
    note(a, "one")
    engines[0].sync_once()
    assert segments.parse_segment(path.read_bytes()).last_seq == BASE + 1  # same name, more ops
    engines[1].sync_once()
    assert b.known_seqs()[a.device_id] == BASE + 1
    note(a, "two")
    sync_all(engines)
    assert_converged(notebooks)
