"""The sync status bar: counts, "Sync now", and shares that are missing or not a station."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_no_share_set_is_a_message(app):
    assert app.shell.status_bar.on_sync_now() is False
    assert "Settings" in app.notice()


def test_vanished_share_is_a_message_and_nothing_changes(app, tmp_path):
    nb = app.app.nb
    nb.create_case("incident", {"title": "测试"})
    nb.set_preference("share_path", str(tmp_path / "unplugged"))
    app.root.event_generate("<F5>")  # the sync shortcut
    app.pump()
    assert "not reachable" in app.notice()
    assert nb.count_cases() == 1
    assert not app.shell.status_bar.running


def test_share_without_station_fails_cleanly_in_the_background(app, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    app.app.nb.set_preference("share_path", str(share))
    bar = app.shell.status_bar
    assert bar.on_sync_now() is True
    assert str(bar.sync_button.cget("state")) == "disabled"
    app.wait_for(lambda: not bar.running)
    assert app.shell.notice.kind == "danger"
    assert app.notice().startswith("Sync failed")
    assert str(bar.sync_button.cget("state")) == "normal"
    assert app.app.nb.count_cases() == 0


def test_counts(app):
    bar = app.refresh_status()
    assert "never" in bar.last_sync_label.cget("text")
    assert bar.pending_ops() >= 1  # creating the notebook wrote the officer's profile op
    app.app.nb.raise_alarm("segment_rejected", "A corrupt segment was rejected.")
    assert app.refresh_status().alarm_count == 1
    from casebook.gui.alarm_dialog import AlarmDialog

    dialog = AlarmDialog.open(app.app)
    dialog.tree.selection_set(dialog.tree.get_children()[0])
    dialog.on_acknowledge()
    assert app.refresh_status().alarm_count == 0


def test_sync_now_receives_another_laptops_cases(app, tmp_path, monkeypatch):
    from casebook.sync import keys
    from casebook.sync.engine import SyncEngine
    from casebook.sync.membership import Station
    from casebook.sync.share import StationShare

    from casebook import Notebook

    from .conftest import PASSPHRASE

    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)  # a cheap admin key for the test
    share = tmp_path / "share"
    _station, admin = Station.create(StationShare(share), "admin passphrase", writer="setup")
    other = Notebook.create(
        tmp_path / "laptop-b",
        PASSPHRASE,
        officer_id="B2002",
        officer_name="李明",
        unit="中山路派出所",
    )
    engines = []
    for notebook in (app.app.nb, other):
        engine = SyncEngine(notebook, share)
        station = engine.station()
        engine.pin_station(station)
        station.request_join(
            notebook.device_id,
            notebook.device_signing_key(),
            notebook.device_exchange_key(),
            notebook.officer,
        )
        station.approve(notebook.device_id, admin, writer="setup")
        engines.append(engine)
    other.create_case("incident", {"title": "另一台电脑的警情"})
    engines[1].sync_once()
    other.close()

    app.app.nb.set_preference("share_path", str(share))
    page = app.shell.show_page("cases")
    bar = app.shell.status_bar
    progress: list[tuple] = []
    original = bar.on_progress
    monkeypatch.setattr(bar, "on_progress", lambda *a: (progress.append(a), original(*a)))
    assert bar.on_sync_now()
    app.wait_for(lambda: not bar.running, timeout=30)
    assert app.notice().startswith("Sync done"), app.notice()
    assert bar.last_result["received"] >= 1
    assert progress, "the progress bar moved"
    app.wait_for(lambda: "另一台电脑的警情" in app.wait_list(page).row_titles())
    assert bar.pending_ops() == 0
    assert "never" not in app.refresh_status().last_sync_label.cget("text")
