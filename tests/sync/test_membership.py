"""Station init, join, approve, revoke and key epochs on a real folder."""

from __future__ import annotations

import json

import pytest
from casebook.sync.keys import encode_document, sign_document
from casebook.sync.membership import MEMBER_PURPOSE, Station
from casebook.sync.share import ShareUnavailableError, StationShare

from casebook.errors import AuthenticationError, IntegrityError, InvalidInputError, NotFoundError

from .support import ADMIN_PASSPHRASE, complete_incident


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


def test_join_and_approve(station, notebooks):
    (notebook,) = notebooks(1)
    station.enrol(notebook, approve=False)
    fresh = Station(station.share)
    assert notebook.device_id not in fresh.members()
    request = fresh.join_request(notebook.device_id)
    assert request["officer"] == notebook.officer
    assert request["officer"]["officer_id"] == "o0"
    member = fresh.approve(notebook.device_id, station.admin, writer="setup")
    assert fresh.members()[notebook.device_id] == member
    assert fresh.epoch_keys(notebook.device_id, notebook.device_exchange_key()).keys() == {1}
    with pytest.raises(NotFoundError):
        fresh.approve("ee" * 16, station.admin, writer="setup")


def test_forged_member_file_is_not_a_member(station, notebooks):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    (notebook,) = notebooks(1)
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


def test_revoke_cuts_off_and_starts_a_new_epoch(station, notebooks):
    a, b, c = notebooks(3)
    engines = [station.enrol(n) for n in (a, b, c)]
    case = a.create_case("incident", complete_incident("c1"))
    a.add_entry(case.id, "note", "x")
    a.add_entry(case.id, "note", "y")
    engines[0].sync_once()
    written = a.known_seqs()[a.device_id]  # its officer profile, the case, two notes
    assert written == 4
    revocation = station.revoke(a.device_id)
    assert revocation.last_seq == written and revocation.new_epoch == 2
    fresh = Station(station.share)
    assert fresh.epoch_keys(b.device_id, b.device_exchange_key()).keys() == {1, 2}
    assert fresh.epoch_keys(a.device_id, a.device_exchange_key()).keys() == {1}
    assert fresh.revocations()[a.device_id] == revocation
    with pytest.raises(InvalidInputError, match="revoked"):
        fresh.approve(a.device_id, station.admin, writer="setup")
    # a member approved later receives every epoch
    (d,) = notebooks(1)
    station.enrol(d)
    assert fresh.epoch_keys(d.device_id, d.device_exchange_key()).keys() == {1, 2}


def test_marker_from_another_station_is_refused(station, tmp_path, notebooks):
    (notebook,) = notebooks(1)
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
