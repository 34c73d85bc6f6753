"""Model-based fuzz: five real notebooks, one share, random edits, notes, syncs, crashes,
clock skew, and files dropped, duplicated and delivered out of order.

Crashes here are in-process: an exception thrown at a publish or apply step stands for a
power cut (the notebook keeps what it committed, the engine object is thrown away). Real
``kill -9`` is in ``test_crash.py``. The bounded run is in the default suite; the long run is
marked ``slow`` (``make test-slow``) and sized by ``CASEBOOK_FUZZ_EXAMPLES``.

Each example starts from copies of the session's template notebooks (see
``support.NotebookTemplates``), so an example costs no scrypt.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from casebook.sync import keys
from casebook.sync import share as share_module
from casebook.sync.engine import SyncEngine
from casebook.sync.membership import Station
from casebook.sync.share import StationShare
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from .support import NotebookTemplates, visible_state

DEVICES = 5
EXPECTED_ALARMS = {"deleted_tail"}  # the writer's own head was dropped: it publishes again


class Crash(BaseException):
    """Stands for the process dying at this point."""


class Laptop:
    """A real casebook.Notebook in this process, and the skew of this laptop's clock.

    The skew applies to what the officer writes (the ops' timestamps), through the one place
    that reads the clock (``CASEBOOK_CLOCK_OFFSET``).
    """

    def __init__(self, templates: NotebookTemplates, index: int, root: Path) -> None:
        self.notebook = templates.copy(index, root / f"laptop{index}")
        self.case_id: str | None = None
        self.offset = 0

    def _with_clock(self, action) -> None:
        saved = os.environ.get("CASEBOOK_CLOCK_OFFSET")
        os.environ["CASEBOOK_CLOCK_OFFSET"] = str(self.offset)
        try:
            action()
        finally:
            if saved is None:
                os.environ.pop("CASEBOOK_CLOCK_OFFSET", None)
            else:
                os.environ["CASEBOOK_CLOCK_OFFSET"] = saved

    def note(self, text: str) -> None:
        self._with_clock(lambda: self.notebook.add_entry(self.case_id, "note", text))

    def edit(self, value: str) -> None:
        self._with_clock(lambda: self.notebook.update_case(self.case_id, {"summary": value}))

    def skew(self, seconds: int) -> None:
        self.offset = seconds

    def digest(self):
        return visible_state(self.notebook)

    def close(self) -> None:
        self.notebook.close()


class ShareFuzz(RuleBasedStateMachine):
    templates: NotebookTemplates  # set by the test, from the session's fixture

    def __init__(self) -> None:
        super().__init__()
        self.saved_scrypt = keys.SCRYPT_N
        keys.SCRYPT_N = 2**10
        self.root = Path(tempfile.mkdtemp(prefix="casebook-fuzz-"))
        self.share = StationShare(self.root / "share")
        self.limbo = self.root / "limbo"
        self.limbo.mkdir()
        station, self.admin = Station.create(self.share, "admin", writer="setup")
        self.laptops = [Laptop(self.templates, i, self.root) for i in range(DEVICES)]
        self.engines = []
        for laptop in self.laptops:
            engine = SyncEngine(laptop.notebook, self.share.root, segment_max_ops=3)
            member_station = engine.station()
            engine.pin_station(member_station)
            nb = laptop.notebook
            member_station.request_join(
                nb.device_id, nb.device_signing_key(), nb.device_exchange_key(), nb.officer
            )
            member_station.approve(nb.device_id, self.admin, writer="setup")
            self.engines.append(engine)
        # one case that every laptop holds before the rules write notes and edits in it
        case = self.laptops[0].notebook.create_case("incident", {"title": "fuzz"})
        for laptop in self.laptops:
            laptop.case_id = case.id
        for engine in self.engines + self.engines[:1]:
            engine.sync_once()
        self.written = {i: 0 for i in range(DEVICES)}
        self.counter = 0

    def close(self) -> None:
        try:
            for laptop in self.laptops:
                laptop.close()
        finally:
            keys.SCRYPT_N = self.saved_scrypt
            shutil.rmtree(self.root, ignore_errors=True)

    def own_seq(self, index: int) -> int:
        notebook = self.laptops[index].notebook
        return notebook.known_seqs().get(notebook.device_id, 0)

    # --- rules ------------------------------------------------------------------------------

    @rule(device=st.integers(0, DEVICES - 1))
    def write_note(self, device: int) -> None:
        self.counter += 1
        self.laptops[device].note(f"note {self.counter}")

    @rule(device=st.integers(0, DEVICES - 1), value=st.sampled_from(["red", "green", "blue"]))
    def edit_field(self, device: int, value: str) -> None:
        self.laptops[device].edit(value)

    @rule(device=st.integers(0, DEVICES - 1))
    def sync(self, device: int) -> None:
        self.engines[device].sync_once()

    @rule(
        device=st.integers(0, DEVICES - 1), seconds=st.sampled_from([-86400, -3600, 0, 7200, 86400])
    )
    def skew_clock(self, device: int, seconds: int) -> None:
        self.laptops[device].skew(seconds)

    @rule(
        device=st.integers(0, DEVICES - 1),
        step=st.sampled_from(
            ["before_link", "after_link", "mark_sent", "before_apply", "after_apply"]
        ),
        hit=st.integers(1, 3),
    )
    def crash_during_sync(self, device: int, step: str, hit: int) -> None:
        engine = self.engines[device]
        notebook = self.laptops[device].notebook
        count = {"n": 0}

        def reached() -> bool:
            count["n"] += 1
            return count["n"] == hit

        real_link = share_module.os.link
        real_set = notebook.set_sync_state
        real_apply = notebook.apply_remote_ops

        def link(a, b):
            if step == "before_link" and reached():
                raise Crash
            real_link(a, b)
            if step == "after_link" and reached():
                raise Crash

        def set_state(key, value):
            if step == "mark_sent" and key == "sync.published" and reached():
                raise Crash
            real_set(key, value)

        def apply(ops, **options):
            if step == "before_apply" and reached():
                raise Crash
            outcome = real_apply(ops, **options)
            if step == "after_apply" and reached():
                raise Crash
            return outcome

        share_module.os.link = link
        notebook.set_sync_state = set_state
        notebook.apply_remote_ops = apply
        try:
            engine.sync_once()
        except Crash:
            pass
        finally:
            share_module.os.link = real_link
            del notebook.set_sync_state
            del notebook.apply_remote_ops
        # the restarted laptop starts with a fresh engine
        self.engines[device] = SyncEngine(notebook, self.share.root, segment_max_ops=3)

    def _ordered(self, paths) -> list[Path]:
        """Files in an order that does not depend on the random device ids, so that
        hypothesis replays pick the same logical file."""
        rank = {laptop.notebook.device_id: index for index, laptop in enumerate(self.laptops)}
        return sorted(paths, key=lambda p: (rank.get(p.parent.name, -1), p.name))

    def segment_files(self) -> list[Path]:
        return self._ordered((self.share.root / "log").rglob("*.seg"))

    @precondition(lambda self: any((self.share.root / "log").rglob("*.seg")))
    @rule(pick=st.integers(0, 10**6))
    def drop_file(self, pick: int) -> None:
        """A replicator has not delivered this file yet: it shows up later."""
        files = self.segment_files()
        path = files[pick % len(files)]
        target = self.limbo / path.relative_to(self.share.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.move(path, target)

    @precondition(lambda self: any(self.limbo.rglob("*.seg")))
    @rule(pick=st.integers(0, 10**6))
    def deliver_late(self, pick: int) -> None:
        files = self._ordered(self.limbo.rglob("*.seg"))
        self._deliver(files[pick % len(files)])

    @precondition(lambda self: any((self.share.root / "log").rglob("*.seg")))
    @rule(pick=st.integers(0, 10**6), how=st.sampled_from(["again", "conflict_copy"]))
    def duplicate_file(self, pick: int, how: str) -> None:
        files = self.segment_files()
        path = files[pick % len(files)]
        if how == "again":
            shutil.copy(path, self.limbo.parent / "again")
            (self.limbo.parent / "again").replace(path)  # delivered twice, same bytes
        else:
            shutil.copy(path, path.with_name(path.stem + ".sync-conflict-1.seg.tmp"))

    def _deliver(self, path: Path) -> None:
        target = self.share.root / path.relative_to(self.limbo)
        if target.exists():
            path.unlink()  # the writer published it again meanwhile
        else:
            shutil.move(path, target)

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def own_ops_never_lost(self) -> None:
        for index in range(DEVICES):
            assert self.own_seq(index) >= self.written[index]
            self.written[index] = self.own_seq(index)

    @invariant()
    def only_expected_alarms(self) -> None:
        for laptop in self.laptops:
            reasons = {a.detail.get("reason") for a in laptop.notebook.alarms()}
            assert reasons <= EXPECTED_ALARMS, reasons

    def check_convergence(self) -> None:
        for path in sorted(self.limbo.rglob("*.seg"), reverse=True):  # late and out of order
            self._deliver(path)
        for _ in range(3):
            for engine in self.engines:
                engine.sync_once()
        digests = [laptop.digest() for laptop in self.laptops]
        assert all(d == digests[0] for d in digests)
        for laptop in self.laptops:
            known = laptop.notebook.known_seqs()
            for other_index, other in enumerate(self.laptops):
                assert known.get(other.notebook.device_id, 0) == self.own_seq(other_index)
            assert laptop.notebook.waiting_count() == 0

    def teardown(self) -> None:
        try:
            self.check_convergence()
        finally:
            self.close()


FAST = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)


def run_fuzz(templates: NotebookTemplates, examples: int, steps: int) -> None:
    ShareFuzz.templates = templates
    ShareFuzz.TestCase.settings = settings(max_examples=examples, stateful_step_count=steps, **FAST)
    ShareFuzz.TestCase().runTest()


def test_fuzz_bounded(notebook_templates):
    run_fuzz(notebook_templates, examples=20, steps=40)


@pytest.mark.slow
def test_fuzz_long(notebook_templates):
    run_fuzz(
        notebook_templates,
        examples=int(os.environ.get("CASEBOOK_FUZZ_EXAMPLES", "100")),
        steps=60,
    )
