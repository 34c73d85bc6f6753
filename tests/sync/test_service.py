"""The sync service: station membership through its API, and ``status()`` before and after
passes, on a real folder with real notebooks."""

from __future__ import annotations

import pytest
from casebook.sync.service import SHARE_PREFERENCE, SyncService
from casebook.sync.share import ShareUnavailableError

from casebook import AuthenticationError, InvalidInputError

from .support import ADMIN_PASSPHRASE


def own_seq(notebook) -> int:
    return notebook.known_seqs()[notebook.device_id]


def test_status_before_and_after_passes(station, notebooks, tmp_path):
    (a,) = notebooks(1)
    station.enrol(a)
    service = SyncService(a, station.root)
    before = service.status()
    assert before.last_sync is None
    assert before.pending == own_seq(a) >= 1  # the officer's profile op
    assert (before.waiting, before.alarms) == (0, 0)

    case = a.create_case("incident", {"title": "status"})
    a.add_entry(case.id, "note", "not sent yet")
    assert service.status().pending == own_seq(a)

    result = service.sync_once()
    after = service.status()
    assert after.pending == 0
    assert after.last_sync is not None and after.last_sync.ok
    assert after.last_sync.summary == result
    assert result["sent"] == own_seq(a)
    assert after.last_sync.succeeded_at == after.last_sync.at
    assert after.share == str(station.root)
    # the share is remembered for the next pass and for the GUI
    assert a.preference(SHARE_PREFERENCE) == str(station.root.resolve())

    # the share goes away: the failed pass is recorded, the last success is kept
    a.add_entry(case.id, "note", "written while the share is away")
    station.root.rename(tmp_path / "unplugged")
    with pytest.raises(ShareUnavailableError) as raised:
        service.sync_once()
    failed = service.status()
    assert failed.last_sync is not None and not failed.last_sync.ok
    assert failed.last_sync.error_kind == "ShareUnavailableError"
    assert failed.last_sync.error == str(raised.value)
    assert failed.last_sync.summary == {}
    assert failed.last_sync.succeeded_at == after.last_sync.at
    assert failed.pending == 1

    (tmp_path / "unplugged").rename(station.root)
    service.sync_once()
    assert service.status().pending == 0
    assert service.status().last_sync.ok


def test_status_counts_ops_waiting_for_a_gap_and_alarms(station, notebooks, tmp_path):
    a, b, c = notebooks(3)
    engine_a, engine_b, engine_c = (station.enrol(n) for n in (a, b, c))
    case = c.create_case("incident", {"title": "from c"})
    engine_c.sync_once()
    engine_b.sync_once()
    b.add_entry(case.id, "note", "b's note depends on c's case")
    engine_b.sync_once()

    # c's segments are not on a's share yet (a replicator still copying them)
    hidden = tmp_path / "c-log"
    (station.root / "log" / c.device_id).rename(hidden)
    engine_a.sync_once()
    status = SyncService(a, station.root).status()
    assert status.waiting >= 1
    assert status.last_sync.summary["waiting"] == status.waiting

    hidden.rename(station.root / "log" / c.device_id)
    engine_a.sync_once()
    assert SyncService(a, station.root).status().waiting == 0
    assert "b's note depends on c's case" in [e.text for e in a.get_case(case.id).entries]

    a.raise_alarm("sync", "a test alarm")
    assert SyncService(a).status().alarms == 1
    a.acknowledge_alarm(a.alarms()[0].id)
    assert SyncService(a).status().alarms == 0


def test_station_init_join_approve_revoke_through_the_service(tmp_path, notebooks, fast_scrypt):
    a, b = notebooks(2)
    share = tmp_path / "share"
    admin = SyncService(a, share)
    created = admin.init_station(ADMIN_PASSPHRASE)
    assert (created.device, created.epoch) == (a.device_id, 1)

    joining = SyncService(b, share)
    with pytest.raises(AuthenticationError, match="not a member"):
        joining.sync_once()
    request = joining.join_station()
    assert (request.device, request.station, request.approved) == (
        b.device_id,
        created.station,
        False,
    )
    with pytest.raises(AuthenticationError):
        admin.approve_device(b.device_id, "not the admin passphrase")
    approval = admin.approve_device(b.device_id, ADMIN_PASSPHRASE)
    assert approval.epochs == [1]
    assert joining.join_station().approved

    case = a.create_case("incident", {"title": "shared"})
    admin.sync_once()
    assert joining.sync_once()["received"] >= 1
    assert b.get_case(case.id).title == "shared"

    revoked = admin.revoke_device(b.device_id, ADMIN_PASSPHRASE)
    assert revoked.new_epoch == 2
    with pytest.raises(AuthenticationError, match="revoked"):
        joining.sync_once()
    assert joining.status().last_sync.error_kind == "AuthenticationError"


def test_no_share_given_or_remembered_is_a_clear_refusal(notebooks):
    (a,) = notebooks(1)
    service = SyncService(a)
    with pytest.raises(InvalidInputError, match="No station share"):
        service.sync_once()
    status = service.status()
    assert status.share is None and status.last_sync is None


def test_a_notebook_synced_by_the_old_gui_shows_its_last_sync(notebooks):
    """Before the engine recorded its passes, the GUI kept the time in a preference."""
    (a,) = notebooks(1)
    a.set_preference("last_sync_at", "2026-11-30T09:15:00+08:00")
    last = SyncService(a).status().last_sync
    assert last is not None and last.ok
    assert last.succeeded_at == "2026-11-30T09:15:00+08:00"
