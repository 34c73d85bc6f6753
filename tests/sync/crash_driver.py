"""A laptop that syncs and gets killed: run as a separate process by test_crash.py.

    python crash_driver.py NOTEBOOK SHARE MODE [STEP HIT NOTES]

MODE ``step``: write NOTES notes, then sync, and SIGKILL this very process at the HIT-th time
it reaches STEP (a real kill -9: no cleanup, no finally blocks). The hooks are installed here,
in the test's driver, around the production functions; production code has no crash switch.
MODE ``loop``: forever write a note and sync (the test kills it from outside at random).
MODE ``sync``: one clean sync, printing its summary as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from casebook.sync import share as share_module
from casebook.sync.engine import SyncEngine

from casebook import Notebook
from casebook.journal import Journal

PASSPHRASE = os.environ.get("CASEBOOK_PASSPHRASE", "")
SEGMENT_OPS = 2


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(step: str, hit: int, notebook: Notebook) -> None:
    count = {"n": 0}

    def reached() -> bool:
        count["n"] += 1
        return count["n"] == hit

    real_fsync, real_link = os.fsync, os.link
    if step == "fsync":  # 1st: tmp written, not yet durable; 2nd: linked, before read-back
        share_module.os.fsync = lambda fd: die() if reached() else real_fsync(fd)  # type: ignore[attr-defined]
    elif step == "before_link":
        share_module.os.link = lambda a, b: die() if reached() else real_link(a, b)  # type: ignore[attr-defined]
    elif step == "after_link":

        def link_then_die(a, b):
            real_link(a, b)
            if reached():
                die()

        share_module.os.link = link_then_die  # type: ignore[attr-defined]
    elif step in ("mark_sent", "index"):
        real_set = notebook.set_sync_state
        prefix = "sync.published" if step == "mark_sent" else "sync.index."

        def set_then_maybe_die(key, value):
            if key.startswith(prefix) and reached():
                die()
            real_set(key, value)

        notebook.set_sync_state = set_then_maybe_die  # type: ignore[method-assign]
    elif step == "apply_in_transaction":
        real_drain = Journal._drain_waiting

        def drain_then_die(self, *args):
            applied = real_drain(self, *args)
            if reached():
                die()  # inside the transaction, before its commit
            return applied

        Journal._drain_waiting = drain_then_die  # type: ignore[method-assign]
    elif step == "apply_after_commit":
        real_apply = notebook.apply_remote_ops

        def apply_then_die(ops, **options):
            outcome = real_apply(ops, **options)
            if reached():
                die()
            return outcome

        notebook.apply_remote_ops = apply_then_die  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown step {step}")


def main() -> None:
    path, share, mode = sys.argv[1:4]
    notebook = Notebook.open(path, PASSPHRASE)
    engine = SyncEngine(notebook, share, segment_max_ops=SEGMENT_OPS)
    case_id = notebook.list_cases(limit=1)[0].id
    me = notebook.officer["officer_id"]
    if mode == "sync":
        print(json.dumps(engine.sync_once()), flush=True)
        return
    if mode == "step":
        step, hit, notes = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        for _ in range(notes):
            notebook.add_entry(
                case_id, "note", f"{me} note {notebook.known_seqs()[notebook.device_id] + 1}"
            )
        install(step, hit, notebook)
        print(json.dumps(engine.sync_once()), flush=True)
        return
    while True:
        notebook.add_entry(
            case_id, "note", f"{me} note {notebook.known_seqs()[notebook.device_id] + 1}"
        )
        engine.sync_once()
        print(notebook.known_seqs()[notebook.device_id], flush=True)


if __name__ == "__main__":
    main()
