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
    assert bar.status.pending >= 1  # creating the notebook wrote the officer's profile op
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
    bar = app.refresh_status()
    assert bar.status.pending == 0
    assert "never" not in bar.last_sync_label.cget("text")


ADMIN = "admin passphrase"


def station_with_another_laptop(app, tmp_path, monkeypatch):
    """A station on a real folder, created by the app's laptop, with a second real notebook
    approved as a member; returns ``(share, other_notebook, other_service)``."""
    from casebook.sync import keys
    from casebook.sync.service import SyncService

    from casebook import Notebook

    from .conftest import PASSPHRASE

    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)  # a cheap admin key for the test
    share = tmp_path / "share"
    mine = SyncService(app.app.nb, share)
    mine.init_station(ADMIN)
    other = Notebook.create(
        tmp_path / "laptop-b",
        PASSPHRASE,
        officer_id="B2002",
        officer_name="李明",
        unit="中山路派出所",
    )
    other_service = SyncService(other, share)
    other_service.join_station()
    mine.approve_device(other.device_id, ADMIN)
    return share, other, other_service


def test_a_sync_run_on_the_command_line_shows_in_the_bar(app, run_cli, tmp_path, monkeypatch):
    nb = app.app.nb
    nb.set_preference("auto_sync", False)  # only the command line syncs in this test
    _share, other, other_service = station_with_another_laptop(app, tmp_path, monkeypatch)
    other.create_case("incident", {"title": "命令行同步收到的警情"})
    other_service.sync_once()
    other.close()
    bar = app.refresh_status()
    assert "never" in bar.last_sync_label.cget("text")
    assert bar.status.pending >= 1

    # another process, while the app is open on the same notebook (share remembered by init)
    result = run_cli("sync", "--json")
    assert result.code == 0, result
    summary = result.json()
    assert summary["received"] >= 1

    bar = app.refresh_status()
    assert bar.status.last_sync.summary == summary
    assert bar.status.pending == 0
    assert "never" not in bar.last_sync_label.cget("text")
    assert bar.watcher is None  # the app itself did not sync


def test_the_watcher_syncs_without_sync_now(app, tmp_path, monkeypatch):
    """Automatic sync is a SyncWatcher: its polling observer notices another laptop's segment
    (the rescan interval is far longer than the test), and its results reach the widgets on
    the UI thread only."""
    import threading

    from casebook.gui import sync_panel

    monkeypatch.setattr(sync_panel, "WATCH_POLL_SECONDS", 0.3)
    nb = app.app.nb
    nb.set_preference("auto_sync", False)
    _share, other, other_service = station_with_another_laptop(app, tmp_path, monkeypatch)
    page = app.shell.show_page("cases")
    bar = app.shell.status_bar
    handled_on: list[threading.Thread] = []
    original = bar.on_auto_result
    monkeypatch.setattr(
        bar,
        "on_auto_result",
        lambda r: (handled_on.append(threading.current_thread()), original(r)),
    )
    nb.set_preference("auto_sync", True)
    app.app.changed()  # what saving the settings does
    assert bar.watcher is not None
    assert bar.watch_plan.interval == 600  # auto_sync_minutes: 10 by default
    app.wait_for(lambda: handled_on, timeout=30)  # the first pass, at start
    assert app.refresh_status().status.pending == 0

    other.create_case("incident", {"title": "自动同步收到的警情"})
    other_service.sync_once()
    other.close()
    app.wait_for(lambda: "自动同步收到的警情" in app.wait_list(page).row_titles(), timeout=30)
    assert len(handled_on) >= 2
    assert all(thread is threading.main_thread() for thread in handled_on)
    assert not app.shell.notice.text.startswith("Sync failed")

    thread = bar.watch_thread
    nb.set_preference("auto_sync", False)
    app.app.changed()
    app.wait_for(lambda: bar.watcher is None)
    app.wait_for(lambda: not thread.is_alive())


def test_a_laptop_that_is_not_a_member_stops_the_watcher_once(app, tmp_path, monkeypatch):
    from casebook.sync import keys
    from casebook.sync.membership import Station
    from casebook.sync.share import StationShare

    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)
    share = tmp_path / "share"
    Station.create(StationShare(share), ADMIN, writer="setup")
    app.app.nb.set_preference("share_path", str(share))
    app.app.changed()
    bar = app.shell.status_bar
    app.wait_for(lambda: "Automatic sync stopped" in app.notice(), timeout=30)
    assert app.shell.notice.kind == "danger"
    assert "not a member" in app.notice()
    app.wait_for(lambda: bar.watcher is None)
    bar = app.refresh_status()
    assert bar.watcher is None  # not started again and again
    assert "failed" in bar.last_sync_label.cget("text")
    assert bar.status.last_sync.error_kind == "AuthenticationError"
