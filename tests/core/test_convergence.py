"""Random ops on several devices, delivered in random orders: every device converges,
no op is lost, and a rebuild equals incremental application."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook import InvalidInputError, Notebook
from casebook.keys import KeyFile
from tests.conftest import PASSPHRASE

DEVICES = 4
SKEWS = [0, -86400, 3600, -5]  # seconds: a day behind, an hour ahead, a few seconds off


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Notebooks created once (scrypt is slow); each example works on fresh copies."""
    root = tmp_path_factory.mktemp("templates")
    made = []
    for index in range(DEVICES):
        folder = root / f"device{index}"
        nb = Notebook.create(
            folder,
            PASSPHRASE,
            officer_id=f"000{index}",
            officer_name=f"民警{index}",
            unit="滨湖派出所",
            load_plugins=False,
        )
        nb.close()
        made.append((folder, KeyFile.load(folder).unwrap(PASSPHRASE)))
    return made


def fresh_devices(templates, where: Path) -> list[Notebook]:
    if where.exists():
        shutil.rmtree(where)
    devices = []
    for index, (folder, data_key) in enumerate(templates):
        copy = where / f"device{index}"
        shutil.copytree(folder, copy)
        devices.append(Notebook(copy, KeyFile.load(copy), data_key, load_plugins=False))
    return devices


def deliver(source: Notebook, target: Notebook, rng: random.Random, partial: bool) -> None:
    """Send what source holds, shuffled; a partial delivery sends a random prefix of each
    device's ops (like a share whose newest segments have not arrived yet)."""
    ops = []
    for device_id in source.known_seqs():
        device_ops = source.ops_from(device_id, 0)
        ops.extend(device_ops[: rng.randint(0, len(device_ops))] if partial else device_ops)
    rng.shuffle(ops)
    for start in range(0, len(ops), 7):
        target.apply_remote_ops(ops[start : start + 7])


ACTION = st.tuples(
    st.integers(0, DEVICES - 1),
    st.sampled_from(
        [
            "create",
            "set",
            "set",
            "set",
            "note",
            "edit",
            "delete_entry",
            "status",
            "delete_case",
            "resolve",
            "assign",
            "sync",
            "sync",
            "sync",
        ]
    ),
    st.integers(0, 10_000),
)
ACTIONS = st.lists(ACTION, min_size=15, max_size=50)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=ACTIONS, seed=st.integers(0, 2**32))
def test_devices_converge(templates, tmp_path, actions, seed):
    run(templates, tmp_path, actions, seed)


@pytest.mark.slow
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(ACTION, min_size=20, max_size=120), seed=st.integers(0, 2**32))
def test_devices_converge_long(templates, tmp_path, actions, seed):
    run(templates, tmp_path, actions, seed)


def run(templates, tmp_path, actions, seed) -> None:
    rng = random.Random(seed)
    devices = fresh_devices(templates, tmp_path / "run")
    try:
        for device_index, action, pick in actions:
            os.environ["CASEBOOK_CLOCK_OFFSET"] = str(SKEWS[device_index])
            act(devices, device_index, action, pick, rng)
        os.environ["CASEBOOK_CLOCK_OFFSET"] = "0"
        written = {nb.device_id: nb.known_seqs()[nb.device_id] for nb in devices}
        # Full exchange, each device from every other, in a random order.
        pairs = [(a, b) for a in devices for b in devices if a is not b]
        rng.shuffle(pairs)
        for source, target in pairs:
            deliver(source, target, rng, partial=False)
        for source, target in pairs:
            deliver(source, target, rng, partial=False)
        digests = {nb.state_digest() for nb in devices}
        assert len(digests) == 1, "devices did not converge"
        for nb in devices:
            assert nb.waiting_count() == 0
            assert {d: s for d, s in nb.known_seqs().items() if d in written} == written, (
                "an op was lost"
            )
            nb.verify_audit()
        devices[0].rebuild()
        assert devices[0].state_digest() in digests, "rebuild differs from incremental application"
        cases = {
            c.id: (
                c.fields,
                c.status,
                c.responsible_officer_id,
                [c2.field for c2 in c.conflicts],
            )
            for c in devices[0].iter_cases()
        }
        for nb in devices[1:]:
            assert {
                c.id: (
                    c.fields,
                    c.status,
                    c.responsible_officer_id,
                    [c2.field for c2 in c.conflicts],
                )
                for c in nb.iter_cases()
            } == cases
    finally:
        os.environ.pop("CASEBOOK_CLOCK_OFFSET", None)
        for nb in devices:
            nb.close()


def act(devices: list[Notebook], index: int, action: str, pick: int, rng: random.Random) -> None:
    nb = devices[index]
    cases = nb.list_cases(limit=1000, sort="created_at", descending=False)
    if action == "create" or (not cases and action != "sync"):
        nb.create_case(
            "incident", {"title": f"案件{pick}", "location": rng.choice(["滨湖区", "梁溪区"])}
        )
        return
    if action == "sync":
        other = devices[pick % len(devices)]
        if other is not nb:
            deliver(other, nb, rng, partial=True)
        return
    # Few cases and fields, so that concurrent writes to the same field are common.
    case = nb.get_case(cases[pick % min(len(cases), 2)].id)
    try:
        if action == "set":
            field = rng.choice(["location", "summary"])
            nb.update_case(case.id, {field: f"{field}-{pick}"})
        elif action == "note":
            nb.add_entry(case.id, "note", f"记录{pick}")
        elif action == "edit" and case.entries:
            entry = rng.choice([e for e in case.entries if e.kind != "status"] or [None])
            if entry is not None:
                nb.edit_entry(case.id, entry.id, f"修改{pick}")
        elif action == "delete_entry" and case.entries:
            entry = rng.choice(
                [e for e in case.entries if e.kind != "status" and not e.deleted] or [None]
            )
            if entry is not None:
                nb.delete_entry(case.id, entry.id)
        elif action == "status":
            nb.set_status(case.id, rng.choice(["accepted", "handled", "closed"]), f"原因{pick}")
        elif action == "delete_case":
            nb.delete_case(case.id)
        elif action == "assign":
            # Refused (and skipped) while that officer's profile has not arrived here.
            nb.assign_case(case.id, f"000{pick % len(devices)}", f"移交{pick}")
        elif action == "resolve" and case.conflicts:
            conflict = case.conflicts[0]
            nb.resolve_conflict(case.id, conflict.field, conflict.values[-1].value)
    except InvalidInputError:
        pass  # e.g. editing a case this device already saw deleted


def test_concurrent_writes_keep_a_conflict_with_the_same_winner(templates, tmp_path):
    a, b, c, _ = fresh_devices(templates, tmp_path / "conflict")
    case = a.create_case("incident", {"title": "原标题", "location": "滨湖区"})
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    a.update_case(case.id, {"location": "梁溪区"})
    b.update_case(case.id, {"location": "新吴区"})
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    a.apply_remote_ops(b.ops_from(b.device_id, 0))
    c.apply_remote_ops(b.ops_from(b.device_id, 0) + a.ops_from(a.device_id, 0))
    shown = [nb.get_case(case.id) for nb in (a, b, c)]
    assert len({s.fields["location"] for s in shown}) == 1
    for s in shown:
        assert [x.field for x in s.conflicts] == ["location"]
        assert sorted(v.value for v in s.conflicts[0].values) == ["新吴区", "梁溪区"]
    assert len(a.conflicts()) == 1
    a.resolve_conflict(case.id, "location", "梁溪区")
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    assert (
        b.get_case(case.id).conflicts == [] and b.get_case(case.id).fields["location"] == "梁溪区"
    )


def test_edit_racing_a_tombstone_survives_and_is_flagged(templates, tmp_path):
    a, b, *_ = fresh_devices(templates, tmp_path / "race")
    case = a.create_case("incident", {"title": "原标题"})
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    a.delete_case(case.id)
    b.add_entry(case.id, "note", "同时追加的记录")
    a.apply_remote_ops(b.ops_from(b.device_id, 0))
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    for nb in (a, b):
        shown = nb.get_case(case.id)
        assert not shown.deleted
        assert any(flag.startswith("raced_delete:") for flag in shown.flags)
    assert a.state_digest() == b.state_digest()


def test_a_delete_that_saw_everything_deletes(templates, tmp_path):
    a, b, *_ = fresh_devices(templates, tmp_path / "delete")
    case = a.create_case("incident", {"title": "要删除的"})
    a.add_entry(case.id, "note", "记录")
    b.apply_remote_ops(a.ops_from(a.device_id, 0))
    b.delete_case(case.id)
    a.apply_remote_ops(b.ops_from(b.device_id, 0))
    assert a.get_case(case.id).deleted and a.search("要删除") == []
    assert len(a.history(case.id)) == 3  # nothing physically removed
