"""Crash safety with real processes and real kill -9.

Each laptop is a separate process (``crash_driver.py``). First a SIGKILL lands at each
publish and apply step in turn; then two laptops sync in a loop while the test kills them
at random moments, many times. After restarts, every op is applied exactly once, every
laptop holds the same state, and the share holds one unbroken chain per device.
"""

from __future__ import annotations

import collections
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from casebook.sync import segments
from casebook.sync.engine import SyncEngine

from casebook import Notebook

from .support import NOTEBOOK_PASSPHRASE, visible_state

DRIVER = Path(__file__).with_name("crash_driver.py")
ENV = dict(os.environ, CASEBOOK_PASSPHRASE=NOTEBOOK_PASSPHRASE, CASEBOOK_LANG="en")

PUBLISH_STEPS = [
    ("fsync", 1),
    ("fsync", 2),
    ("before_link", 1),
    ("after_link", 1),
    ("after_link", 2),
    ("mark_sent", 1),
    ("mark_sent", 2),
]
APPLY_STEPS = [
    ("index", 1),
    ("apply_in_transaction", 1),
    ("apply_after_commit", 1),
    ("apply_in_transaction", 2),
    ("apply_after_commit", 2),
]


def drive(path: Path, share: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(DRIVER), str(path), str(share), *args],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def laptops(station, tmp_path):
    paths = []
    for name in ("a", "b"):
        notebook = Notebook.create(
            tmp_path / name, NOTEBOOK_PASSPHRASE, officer_id=name, officer_name=name, unit="U"
        )
        station.enrol(notebook)
        paths.append(tmp_path / name)
        if name == "a":
            notebook.create_case("incident", {"title": "crash drill"})
            SyncEngine(notebook, station.root).sync_once()
        else:
            SyncEngine(notebook, station.root).sync_once()
        notebook.close()
    return paths


def check_exactly_once(paths: list[Path], share: Path) -> int:
    """Converge cleanly, check every invariant, return how many notes were written."""
    notebooks = [Notebook.open(path, NOTEBOOK_PASSPHRASE) for path in paths]
    try:
        engines = [SyncEngine(n, share) for n in notebooks]
        for _ in range(2):
            for engine in engines:
                engine.sync_once()
        written = set()
        for notebook in notebooks:
            for op in notebook.ops_from(notebook.device_id, 0):
                if op["kind"] == "entry.add":
                    written.add(op["payload"]["text"])
        for notebook in notebooks:
            notebook.verify_audit()
            (case,) = notebook.list_cases()
            texts = collections.Counter(
                e.text for e in notebook.get_case(case.id).entries if e.kind == "note"
            )
            assert set(texts) == written
            assert max(texts.values()) == 1
            assert [a for a in notebook.alarms() if a.kind == "sync"] == []
            assert notebook.waiting_count() == 0
        states = [visible_state(n) for n in notebooks]
        assert states[0] == states[1]
        assert len({tuple(sorted(n.known_seqs().items())) for n in notebooks}) == 1
        for notebook in notebooks:
            assert_unbroken_chain(
                share, notebook.device_id, notebook.known_seqs()[notebook.device_id]
            )
        assert list((share / "tmp").rglob("*.tmp")) == []
        return len(written)
    finally:
        for notebook in notebooks:
            notebook.close()


def assert_unbroken_chain(share: Path, device: str, last_seq: int) -> None:
    expected_first, previous = 1, segments.NO_PREVIOUS
    for path in sorted((share / "log" / device).glob("*.seg")):
        segment = segments.parse_segment(path.read_bytes())
        assert segment.first_seq == expected_first, path
        assert segment.header["prev_segment_hash"] == previous, path
        expected_first, previous = segment.last_seq + 1, segment.sha256
    assert expected_first - 1 == last_seq


def test_kill_at_each_publish_and_apply_step(laptops, station):
    a, b = laptops
    share = station.root
    for step, hit in PUBLISH_STEPS:
        result = drive(a, share, "step", step, str(hit), "5")
        assert result.returncode == -signal.SIGKILL, (step, hit, result.stderr)
        assert drive(a, share, "sync").returncode == 0
    for step, hit in APPLY_STEPS:
        assert drive(a, share, "step", "mark_sent", "99", "5").returncode == 0  # publish 5 more
        result = drive(b, share, "step", step, str(hit), "1")
        assert result.returncode == -signal.SIGKILL, (step, hit, result.stderr)
        assert drive(b, share, "sync").returncode == 0
    check_exactly_once(laptops, share)


def wait_for_progress(process: subprocess.Popen, lines: int, deadline: float) -> None:
    """Block until the loop printed ``lines`` more lines (each one is a note written and a
    sync done), so a kill always lands on a laptop that is really working, however busy the
    machine is."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    try:
        for _ in range(lines):
            while not selector.select(timeout=1.0):
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "the sync loop made no progress"
            assert process.stdout.readline(), process.stderr.read().decode()
    finally:
        selector.close()


def test_random_kill_9_while_syncing_in_a_loop(laptops, station):
    share = station.root
    rng = random.Random(4)
    kills = 0
    for _ in range(int(os.environ.get("CASEBOOK_CRASH_ROUNDS", "8"))):
        processes = [
            subprocess.Popen(
                [sys.executable, str(DRIVER), str(path), str(share), "loop"],
                env=ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for path in laptops
        ]
        deadline = time.monotonic() + 300
        for process in processes:
            # Kill somewhere inside a later round: after 1-3 rounds seen, plus a random moment.
            wait_for_progress(process, rng.randint(1, 3), deadline)
            time.sleep(rng.uniform(0, 0.3))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
            kills += 1
    assert kills >= 16
    assert check_exactly_once(laptops, share) >= 16  # every loop wrote and synced before dying
