"""kill -9 in the middle of bulk imports, many times: nothing committed is ever lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from casebook import Notebook
from tests.conftest import PASSPHRASE

WRITER = r"""
import sys
from casebook import Notebook
nb = Notebook.open(sys.argv[1], sys.argv[2])
print("open", flush=True)
round_ = 0
while True:
    round_ += 1
    records = [("incident", {"title": f"批量导入 {round_}-{i}", "summary": "现场处置 " * 20}) for i in range(150)]
    nb.import_cases(records, progress=lambda done, total: None)
    case = nb.create_case("incident", {"title": f"单条 {round_}"})
    nb.add_entry(case.id, "note", "走访记录 " * 10)
    # Reported only after the commits above returned: these ops must survive any kill.
    print(nb.known_seqs()[nb.device_id], flush=True)
"""


def crash_rounds(notebook_dir: Path, rounds: int, seed: int, rounds_per_notebook: int = 6) -> None:
    """``rounds`` kills, a fresh notebook every ``rounds_per_notebook`` (each round checks the
    whole notebook, so an ever-growing one would make the long run quadratic)."""
    rng = random.Random(seed)
    for first in range(0, rounds, rounds_per_notebook):
        folder = notebook_dir.with_name(f"{notebook_dir.name}-{first}")
        kill_and_check(folder, min(rounds_per_notebook, rounds - first), rng)


def kill_and_check(notebook_dir: Path, rounds: int, rng: random.Random) -> None:
    Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    ).close()
    committed = 0
    for _ in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(notebook_dir), PASSPHRASE],
            stdout=subprocess.PIPE,
            text=True,
        )
        # Evidence first: the writer has opened the notebook and is importing. Only then a
        # random moment, so a busy machine cannot turn the round into a kill at start-up.
        assert writer.stdout is not None and writer.stdout.readline() == "open\n"
        time.sleep(rng.uniform(0.0, 1.5))
        os.kill(writer.pid, signal.SIGKILL)
        out, _ = writer.communicate()
        reported = [int(line) for line in out.split()]
        committed = max([committed, *reported])
        with Notebook.open(notebook_dir, PASSPHRASE) as nb:
            assert nb.integrity_check() == "ok"
            audit = nb.verify_audit()
            seq = nb.known_seqs()[nb.device_id]
            assert seq >= committed, "a committed op was lost"
            assert audit["ops"] == seq
            committed = seq
            digest = nb.state_digest()
            nb.rebuild()
            assert nb.state_digest() == digest


def test_kill_during_bulk_import(notebook_dir: Path):
    crash_rounds(notebook_dir, rounds=8, seed=2)


@pytest.mark.slow
def test_kill_during_bulk_import_long(notebook_dir: Path):
    crash_rounds(notebook_dir, rounds=60, seed=7)
