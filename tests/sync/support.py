"""Helpers shared by the sync tests (constants, real notebooks made quickly, a station on a
real folder, state views)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from casebook.sync.engine import SyncEngine
from casebook.sync.membership import Station
from casebook.sync.share import StationShare

from casebook import Notebook
from casebook.keys import KeyFile

ADMIN_PASSPHRASE = "admin passphrase for tests"
NOTEBOOK_PASSPHRASE = "notebook passphrase for tests"
LAPTOPS_PER_TEST = 8


def complete_incident(title: str) -> dict:
    """The fields of an incident with every required element, recorded now: the review rules
    find nothing in it, so its creation writes one op (no ``finding.raise``) and a test can
    count exactly the ops it writes."""
    from casebook import clock

    return {
        "title": title,
        "reported_at": clock.format_datetime(clock.now()),
        "channel": "patrol",
        "category": "help",
        "location": "所内",
        "summary": "记事",
        "reporter_name": "值班民警",
    }


class NotebookTemplates:
    """Fresh notebooks made once per test session and copied for each test.

    Making a notebook costs a scrypt of its passphrase (a third of a second); opening a copy
    with the data key kept from the template costs milliseconds. Each template is another
    laptop (device id, device keys, officer ``o<index>``); copies of one template are the same
    laptop, so a test takes each template at most once. Templates are made when first asked
    for, so a test run that needs three laptops pays for three.
    """

    def __init__(self, root: Path, size: int = LAPTOPS_PER_TEST) -> None:
        self.root = root
        self.size = size
        self._made: list[tuple[Path, bytes]] = []

    def _template(self, index: int) -> tuple[Path, bytes]:
        if not 0 <= index < self.size:
            raise ValueError(f"a test has at most {self.size} distinct laptops")
        while len(self._made) <= index:
            number = len(self._made)
            folder = self.root / f"laptop{number}"
            Notebook.create(
                folder,
                NOTEBOOK_PASSPHRASE,
                officer_id=f"o{number}",
                officer_name=f"Officer {number}",
                unit="Unit",
                load_plugins=False,
            ).close()
            self._made.append((folder, KeyFile.load(folder).unwrap(NOTEBOOK_PASSPHRASE)))
        return self._made[index]

    def copy(self, index: int, target: Path) -> Notebook:
        """A real, open notebook in ``target``: laptop ``index`` as it was just created."""
        folder, data_key = self._template(index)
        shutil.copytree(folder, target)
        return Notebook(target, KeyFile.load(target), data_key)


class StationFixture:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.share = StationShare(root)
        self.station, self.admin = Station.create(self.share, ADMIN_PASSPHRASE, writer="setup")

    def enrol(self, notebook, *, approve: bool = True, segment_max_ops: int = 1000) -> SyncEngine:
        engine = SyncEngine(notebook, self.root, segment_max_ops=segment_max_ops)
        station = engine.station()
        engine.pin_station(station)
        station.request_join(
            notebook.device_id,
            notebook.device_signing_key(),
            notebook.device_exchange_key(),
            notebook.officer,
        )
        if approve:
            station.approve(notebook.device_id, self.admin, writer="setup")
        return engine

    def fresh_station(self) -> Station:
        return Station(self.share)

    def revoke(self, device_id: str):
        return Station(self.share).revoke(device_id, self.admin, writer="setup")


def visible_state(notebook) -> tuple:
    """What a person sees on a laptop, normalised, plus the head of every device's chain and
    the notebook's own fingerprint of its merged state (``Notebook.state_digest()``).

    The readable part makes a failure easy to read; the digest also covers what a person does
    not see directly (register metadata, task plans, reviews, settings).
    """
    cases = []
    for summary in notebook.list_cases(limit=100000):
        case = notebook.get_case(summary.id)
        cases.append(
            (
                case.id,
                case.status,
                case.title,
                json.dumps(case.fields, sort_keys=True, ensure_ascii=False),
                sorted(
                    (
                        c.field,
                        json.dumps(c.winner),
                        sorted(f"{v.op_id}:{json.dumps(v.value)}" for v in c.values),
                    )
                    for c in case.conflicts
                ),
                sorted(
                    (e.id, e.kind, e.text, e.version, e.deleted, e.flagged) for e in case.entries
                ),
                sorted(case.flags),
                sorted(a.id for a in case.attachments),
            )
        )
    heads = sorted(
        (device, seq, notebook.op_hash(device, seq))
        for device, seq in notebook.known_seqs().items()
    )
    return sorted(cases), heads, notebook.state_digest()
