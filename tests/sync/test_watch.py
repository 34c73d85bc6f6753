"""The watcher: a polling observer wakes the engine; a periodic rescan is the real check."""

from __future__ import annotations

import threading
import time

from casebook.sync.share import ShareUnavailableError
from casebook.sync.watch import SyncWatcher


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def start(watcher: SyncWatcher) -> threading.Thread:
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    return thread


def test_a_change_on_the_share_wakes_the_sync(station, notebooks):
    a, b = notebooks(2)
    engine_a, engine_b = station.enrol(a), station.enrol(b)
    results = []
    # the rescan interval is far longer than the test: only the observer can wake it
    watcher = SyncWatcher(
        engine_b, interval=600, poll_interval=0.2, settle=0.1, on_result=results.append
    )
    thread = start(watcher)
    try:
        assert wait_for(lambda: len(results) >= 1)
        case = a.create_case("incident", {"title": "hello"})
        a.add_entry(case.id, "note", "hello")
        engine_a.sync_once()
        written = a.known_seqs()[a.device_id]
        assert wait_for(lambda: b.known_seqs().get(a.device_id) == written)
    finally:
        watcher.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert any(r["received"] == written for r in results)


def test_sync_resumes_when_the_share_comes_back(station, notebooks, tmp_path):
    a, b = notebooks(2)
    engine_a, engine_b = station.enrol(a), station.enrol(b)
    errors = []
    watcher = SyncWatcher(
        engine_b, interval=0.2, poll_interval=0.2, settle=0.05, on_error=errors.append
    )
    thread = start(watcher)
    away = tmp_path / "unmounted"
    try:
        station.root.rename(away)  # the network folder goes away
        assert wait_for(lambda: any(isinstance(e, ShareUnavailableError) for e in errors))
        away.rename(station.root)
        case = a.create_case("incident", {"title": "away"})
        a.add_entry(case.id, "note", "written while the share was away")
        engine_a.sync_once()
        written = a.known_seqs()[a.device_id]
        assert wait_for(lambda: b.known_seqs().get(a.device_id) == written)
    finally:
        watcher.stop()
        thread.join(10)
    assert not thread.is_alive()
    # the chain hash of a's last op covers every op before it
    assert b.op_hash(a.device_id, written) == a.op_hash(a.device_id, written)


def test_max_passes_for_a_bounded_run(station, notebooks):
    (a,) = notebooks(1)
    results = []
    SyncWatcher(station.enrol(a), interval=0.01, on_result=results.append).run(max_passes=3)
    assert len(results) == 3
