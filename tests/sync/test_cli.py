"""The station and sync commands, each run as a separate `casebook` process on real folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CASEBOOK = str(Path(sys.executable).with_name("casebook"))
PASSPHRASE = "cli notebook passphrase"
ADMIN = "cli admin passphrase"


def run(
    notebook: Path, *args: str, expect: int = 0, input: str | None = None, env: dict | None = None
):
    environment = dict(
        os.environ,
        CASEBOOK_NOTEBOOK=str(notebook),
        CASEBOOK_PASSPHRASE=PASSPHRASE,
        CASEBOOK_ADMIN_PASSPHRASE=ADMIN,
        CASEBOOK_LANG="en",
    )
    environment.update(env or {})
    result = subprocess.run(
        [CASEBOOK, *args], env=environment, capture_output=True, text=True, input=input, timeout=120
    )
    assert result.returncode == expect, (args, result.returncode, result.stdout, result.stderr)
    return result


def sync(notebook: Path, share: Path, expect: int = 0) -> dict:
    result = run(notebook, "sync", "--share", str(share), "--json", expect=expect)
    return json.loads(result.stdout) if expect == 0 else {"stderr": result.stderr}


@pytest.fixture
def laptops(tmp_path):
    paths = {}
    for name in ("a", "b", "c"):
        paths[name] = tmp_path / name
        run(
            paths[name],
            "init",
            "--officer-id",
            name,
            "--officer-name",
            f"Officer {name}",
            "--unit",
            "U",
        )
    return paths


def test_station_lifecycle_conflicts_and_revocation(laptops, tmp_path):
    a, b, c = laptops["a"], laptops["b"], laptops["c"]
    share = tmp_path / "share"
    created = json.loads(run(a, "station", "init", "--share", str(share), "--json").stdout)
    assert created["epoch"] == 1
    # not joined, then joined but not approved: exit 3 with a clear message
    assert "not a member" in sync(b, share, expect=3)["stderr"]
    device_b = run(b, "station", "join", "--share", str(share)).stdout.strip()
    assert len(device_b) == 32
    assert "not approved yet" in sync(b, share, expect=3)["stderr"]
    run(a, "station", "approve", device_b, "--share", str(share))
    run(
        a,
        "station",
        "approve",
        device_b,
        "--share",
        str(share),
        expect=3,
        env={"CASEBOOK_ADMIN_PASSPHRASE": "wrong"},
    )
    device_c = json.loads(run(c, "station", "join", "--share", str(share), "--json").stdout)[
        "device"
    ]
    # approve works from any notebook that reaches the share, given the admin passphrase
    run(b, "station", "approve", device_c, "--share", str(share))

    case_id = run(
        a, "case", "new", "--type", "incident", input=json.dumps({"title": "Lost wallet"})
    ).stdout.strip()
    assert sync(a, share)["sent"] >= 1
    assert sync(b, share)["received"] >= 1
    assert sync(c, share)["received"] >= 1
    # two laptops edit the same field offline
    run(a, "case", "update", case_id, input=json.dumps({"summary": "from a"}))
    run(b, "case", "update", case_id, input=json.dumps({"summary": "from b"}))
    sync(b, share)
    sync(a, share)
    sync(b, share)
    assert sync(c, share)["conflicts"] == 1
    views = []
    for laptop in (a, b, c):
        conflicts = json.loads(run(laptop, "conflicts", "--json").stdout)
        shown = json.loads(run(laptop, "case", "show", case_id, "--json").stdout)
        views.append(
            (
                shown["fields"]["summary"],
                [(x["field"], sorted(v["value"] for v in x["values"])) for x in conflicts],
            )
        )
    assert views[0] == views[1] == views[2]
    assert views[0][1] == [("summary", ["from a", "from b"])]
    run(c, "case", "resolve", case_id, "summary", "--value", json.dumps("settled"))
    sync(c, share)
    for laptop in (a, b):
        assert sync(laptop, share)["conflicts"] == 0
        assert (
            json.loads(run(laptop, "case", "show", case_id, "--json").stdout)["fields"]["summary"]
            == "settled"
        )

    # revocation: b is lost
    revoked = json.loads(
        run(a, "station", "revoke", device_b, "--share", str(share), "--json").stdout
    )
    assert revoked["new_epoch"] == 2
    assert "revoked" in sync(b, share, expect=3)["stderr"]
    run(a, "case", "note", case_id, "after revocation")
    sync(a, share)
    assert sync(c, share)["received"] >= 1
    assert not (share / "keys" / "2" / f"{device_b}.key").exists()


def test_missing_marker_or_unmounted_share_stops_and_deletes_nothing(laptops, tmp_path):
    a = laptops["a"]
    share = tmp_path / "share"
    run(a, "station", "init", "--share", str(share))
    run(a, "case", "new", "--type", "incident", input=json.dumps({"title": "kept"}))
    sync(a, share)
    before = sorted(p.relative_to(share) for p in share.rglob("*"))
    (share / "casebook-station.json").rename(tmp_path / "marker")
    result = run(a, "sync", "--share", str(share), expect=1)
    assert "marker" in result.stderr
    assert sorted(p.relative_to(share) for p in share.rglob("*")) == [
        p for p in before if p.name != "casebook-station.json"
    ]
    (tmp_path / "marker").rename(share / "casebook-station.json")
    shutil.move(share, tmp_path / "unmounted")
    share.mkdir()
    assert "empty" in run(a, "sync", "--share", str(share), expect=1).stderr
    assert len(json.loads(run(a, "case", "list", "--json").stdout)) == 1


def test_skewed_clocks_notes_arrive_and_bad_files_raise_alarms(laptops, tmp_path):
    """Three laptops a day apart (one jumping backwards) write notes; all arrive everywhere.
    Then a segment with flipped bytes is rejected and the alarm is kept and shown."""
    a, b, c = laptops["a"], laptops["b"], laptops["c"]
    share = tmp_path / "share"
    run(a, "station", "init", "--share", str(share))
    devices = {}
    for laptop in (b, c):
        devices[laptop] = run(laptop, "station", "join", "--share", str(share)).stdout.strip()
        run(a, "station", "approve", devices[laptop], "--share", str(share))
    case_id = run(
        a, "case", "new", "--type", "incident", input=json.dumps({"title": "Skewed"})
    ).stdout.strip()
    sync(a, share)
    skews = {a: "-86400", b: "86400", c: "0"}
    for laptop in (b, c):
        sync(laptop, share)
    # Up to four days apart: more than the 24 h a laptop accepts by default, so allowed here.
    for laptop in (a, b, c):
        run(laptop, "sync", "--share", str(share), "--max-clock-skew", "100")
    for round_number in range(2):
        for laptop, offset in skews.items():
            if laptop == c and round_number == 1:
                offset = "-172800"  # c's clock jumps two days backwards
            run(
                laptop,
                "case",
                "note",
                case_id,
                f"round {round_number} from {laptop.name}",
                env={"CASEBOOK_CLOCK_OFFSET": offset},
            )
            sync(laptop, share)
    for laptop in (a, b, c):
        sync(laptop, share)
    expected = sorted(f"round {r} from {name}" for r in range(2) for name in "abc")
    shown = []
    for laptop in (a, b, c):
        case = json.loads(run(laptop, "case", "show", case_id, "--json").stdout)
        shown.append(sorted(e["text"] for e in case["entries"] if e["kind"] == "note"))
    assert shown == [expected, expected, expected]

    # a segment damaged on the share: rejected, alarm kept in the notebook and listed
    run(b, "case", "note", case_id, "will be damaged")
    sync(b, share)
    segment = sorted((share / "log" / devices[b]).glob("*.seg"))[-1]
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x40
    segment.write_bytes(bytes(data))
    result = run(c, "sync", "--share", str(share), "--json")
    assert json.loads(result.stdout)["rejected"] == 1
    alarms = json.loads(run(c, "alarms", "--json").stdout)
    assert [a["detail"]["reason"] for a in alarms] == ["bad_signature"]


def test_sync_watch_picks_up_another_laptop_and_stops_on_ctrl_c(laptops, tmp_path):
    import signal
    import time

    a, b = laptops["a"], laptops["b"]
    share = tmp_path / "share"
    run(a, "station", "init", "--share", str(share))
    device = run(b, "station", "join", "--share", str(share)).stdout.strip()
    run(a, "station", "approve", device, "--share", str(share))
    case_id = run(
        a, "case", "new", "--type", "incident", input=json.dumps({"title": "Watched"})
    ).stdout.strip()
    environment = dict(
        os.environ, CASEBOOK_NOTEBOOK=str(b), CASEBOOK_PASSPHRASE=PASSPHRASE, CASEBOOK_LANG="en"
    )
    # a long rescan interval: only the polling observer can make it notice a's segment early
    watcher = subprocess.Popen(
        [CASEBOOK, "sync", "--share", str(share), "--watch", "--json", "--interval", "300"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.5)
        sync(a, share)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            shown = run(b, "case", "list", "--json").stdout
            if case_id in shown:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the watching laptop did not receive the new case")
    finally:
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    summaries = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert any(s["received"] >= 1 for s in summaries)


def status(notebook: Path) -> dict:
    return json.loads(run(notebook, "sync", "status", "--json").stdout)


def test_a_cli_sync_shows_in_the_status_that_other_processes_read(laptops, tmp_path):
    """The engine records each pass in the notebook: a later process (another command, the
    app) reads it through ``SyncService.status()``."""
    from casebook.sync.service import SyncService

    from casebook import Notebook

    a = laptops["a"]
    share = tmp_path / "share"
    before = status(a)
    assert before["last_sync"] is None
    assert before["share"] is None
    assert before["pending"] >= 1
    run(a, "station", "init", "--share", str(share))
    run(a, "case", "new", "--type", "incident", input=json.dumps({"title": "Status"}))
    summary = sync(a, share)

    after = status(a)
    assert after["last_sync"]["outcome"] == "ok"
    assert after["last_sync"]["summary"] == summary
    assert after["last_sync"]["succeeded_at"] == after["last_sync"]["at"]
    assert (after["pending"], after["waiting"], after["alarms"]) == (0, 0, 0)
    assert after["share"] == str(share.resolve())
    # what the app reads, in this process
    with Notebook.open(a, PASSPHRASE, load_plugins=False) as notebook:
        assert SyncService(notebook).status().to_dict() == after

    # the share is unplugged: the failed pass is recorded, the last success kept
    shutil.move(share, tmp_path / "unplugged")
    share.mkdir()
    assert "empty" in run(a, "sync", expect=1).stderr  # the remembered share
    failed = status(a)["last_sync"]
    assert failed["outcome"] == "failed"
    assert failed["error_kind"] == "ShareUnavailableError"
    assert "empty" in failed["error"]
    assert failed["succeeded_at"] == after["last_sync"]["at"]
    text = run(a, "sync", "status").stdout
    assert "failed" in text and "Last successful sync" in text
