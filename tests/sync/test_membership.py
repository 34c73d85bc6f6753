"""Station init, join, approve, revoke and key epochs on a real folder."""

from __future__ import annotations

import json

import pytest
from casebook.sync.keys import encode_document, sign_document
from casebook.sync.membership import MEMBER_PURPOSE, Station
from casebook.sync.share import ShareUnavailableError, StationShare

from casebook.errors import AuthenticationError, IntegrityError, InvalidInputError, NotFoundError

from .support import ADMIN_PASSPHRASE


def test_init_lays_out_the_share(station):
    names = sorted(p.name for p in station.root.iterdir())
    assert names == sorted(
        [
            "casebook-station.json",
            "casebook-admin.key",
            "members",
            "requests",
            "keys",
            "revoked",
            "log",
            "blobs",
            "tmp",
        ]
    )
    marker = json.loads((station.root / "casebook-station.json").read_text())
    assert marker["body"]["format"] == "casebook-station/1"
    assert station.share.list_epochs() == [1]
    with pytest.raises(InvalidInputError, match="already exists"):
        Station.create(station.share, ADMIN_PASSPHRASE, writer="setup")


def test_admin_key_needs_the_admin_passphrase(station):
    fresh = Station(station.share)
    assert fresh.unlock_admin(ADMIN_PASSPHRASE).signing is not None
    with pytest.raises(AuthenticationError):
        fresh.unlock_admin("wrong")


def test_join_and_approve(station, fake_notebooks):
    (notebook,) = fake_notebooks(1)
    station.enrol(notebook, approve=False)
    fresh = Station(station.share)
    assert notebook.device_id not in fresh.members()
    request = fresh.join_request(notebook.device_id)
    assert request["officer"]["officer_id"] == "officer0"
    member = fresh.approve(notebook.device_id, station.admin, writer="setup")
    assert fresh.members()[notebook.device_id] == member
    assert fresh.epoch_keys(notebook.device_id, notebook.device_exchange_key()).keys() == {1}
    with pytest.raises(NotFoundError):
        fresh.approve("ee" * 16, station.admin, writer="setup")


def test_forged_member_file_is_not_a_member(station, fake_notebooks):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    (notebook,) = fake_notebooks(1)
    body = {
        "station": station.station.station_id,
        "device": notebook.device_id,
        "signing_key": "00" * 32,
        "exchange_key": "00" * 32,
        "officer": {},
    }
    forged = sign_document(MEMBER_PURPOSE, body, Ed25519PrivateKey.generate())
    station.share.member_path(notebook.device_id).write_bytes(encode_document(forged))
    fresh = Station(station.share)
    assert fresh.members() == {}
    assert [p.reason for p in fresh.problems] == ["forged_member"]


def test_revoke_cuts_off_and_starts_a_new_epoch(station, fake_notebooks):
    a, b, c = fake_notebooks(3)
    engines = [station.enrol(n) for n in (a, b, c)]
    a.add_note("c1", "x")
    a.add_note("c1", "y")
    engines[0].sync_once()
    revocation = station.revoke(a.device_id)
    assert revocation.last_seq == 2 and revocation.new_epoch == 2
    fresh = Station(station.share)
    assert fresh.epoch_keys(b.device_id, b.device_exchange_key()).keys() == {1, 2}
    assert fresh.epoch_keys(a.device_id, a.device_exchange_key()).keys() == {1}
    assert fresh.revocations()[a.device_id] == revocation
    with pytest.raises(InvalidInputError, match="revoked"):
        fresh.approve(a.device_id, station.admin, writer="setup")
    # a member approved later receives every epoch
    (d,) = fake_notebooks(1)
    station.enrol(d)
    assert fresh.epoch_keys(d.device_id, d.device_exchange_key()).keys() == {1, 2}


def test_marker_from_another_station_is_refused(station, tmp_path, fake_notebooks):
    (notebook,) = fake_notebooks(1)
    engine = station.enrol(notebook)
    other = Station.create(StationShare(tmp_path / "other"), ADMIN_PASSPHRASE, writer="setup")[0]
    (station.root / "casebook-station.json").unlink()
    (station.root / "casebook-station.json").write_bytes(other.share.marker_path.read_bytes())
    with pytest.raises(IntegrityError, match="another station"):
        engine.sync_once()


def test_missing_marker_stops(station):
    (station.root / "casebook-station.json").unlink()
    with pytest.raises(ShareUnavailableError):
        Station(station.share).marker()
