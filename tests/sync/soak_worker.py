"""One laptop's burst in the soak (``test_soak.py``): write ops, sync now and then, report.

Run as ``python soak_worker.py NOTEBOOK SHARE COUNT SEED SHARED_CASE SCRATCH``, with the
notebook's data key (hex) on the first line of stdin. Prints ``op <seq>`` after each write
has committed (the parent kills the process with SIGKILL at a random one of these lines, and
later checks that every reported op survived), ``sync <sent> <received>`` after each pass,
``refused <message>`` when the station refuses this laptop, and ``done`` at the end.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from casebook.sync.engine import SyncEngine

from casebook import Notebook
from casebook.errors import AuthenticationError, CasebookError, NotFoundError
from casebook.keys import KeyFile

SEGMENT_MAX_OPS = 50


def has_case(notebook: Notebook, case_id: str) -> bool:
    try:
        notebook.get_case(case_id)
    except NotFoundError:
        return False
    return True


def main() -> None:
    folder, share, count, seed, shared_case, scratch = sys.argv[1:7]
    data_key = bytes.fromhex(sys.stdin.readline().strip())
    notebook = Notebook(Path(folder), KeyFile.load(Path(folder)), data_key, load_plugins=False)
    rng = random.Random(int(seed))
    engine = SyncEngine(notebook, share, segment_max_ops=SEGMENT_MAX_OPS)
    officer = notebook.officer["officer_id"]
    # The laptop's latest case takes its notes; now and then the officer opens a new one, as
    # on duty (cases stay the size real ones have, so the soak measures sync, not one huge case).
    (own,) = notebook.list_cases(officer_id=officer, sort="created_at", descending=True, limit=1)
    device = notebook.device_id

    def sync() -> None:
        try:
            result = engine.sync_once()
        except AuthenticationError as error:
            print(f"refused {error}", flush=True)
        except CasebookError as error:
            print(f"error {type(error).__name__}", flush=True)
        else:
            print(f"sync {result['sent']} {result['received']}", flush=True)

    for n in range(int(count)):
        roll = rng.random()
        if roll < 0.08 and has_case(notebook, shared_case):
            notebook.update_case(shared_case, {"summary": f"{device[:6]} {seed} {n}"})
        elif roll < 0.1:
            own = notebook.create_case("incident", {"title": f"{device[:6]} {seed} {n}"})
        elif roll < 0.11:
            photo = Path(scratch) / f"{device}-{seed}-{n}.bin"
            photo.write_bytes(os.urandom(rng.randint(100, 4000)))
            notebook.attach(own.id, photo)
            photo.unlink()
        else:
            notebook.add_entry(own.id, "note", f"{device[:6]} {seed} {n}")
        print(f"op {notebook.known_seqs()[device]}", flush=True)
        if rng.random() < 0.03:
            sync()
    sync()
    notebook.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
