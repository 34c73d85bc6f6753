"""Sync benchmarks, on real notebooks and a real share folder.

1. Apply: 10,000 ops written on laptop A are applied on laptop B by ``sync_once``. Compared,
   in the same run, with the time A took to write the same ops locally. Goal: at most 2x.
2. No-change sync: a share with 50 member devices and 1,000 segments, all applied already;
   the time of one more ``sync_once`` with nothing new. Goal: under 200 ms.

Usage::

    python benchmarks/bench_sync.py [--ops 10000] [--devices 50] [--segments 1000] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from casebook.sync.engine import SyncEngine
from casebook.sync.membership import Station
from casebook.sync.share import StationShare

from casebook import Notebook

PASSPHRASE = "benchmark"
OPS_PER_CASE = 20


def enrol(share_root: Path, station: Station, admin, notebook: Notebook, **options) -> SyncEngine:
    engine = SyncEngine(notebook, share_root, **options)
    member_station = engine.station()
    engine.pin_station(member_station)
    member_station.request_join(
        notebook.device_id,
        notebook.device_signing_key(),
        notebook.device_exchange_key(),
        notebook.officer,
    )
    member_station.approve(notebook.device_id, admin, writer=notebook.device_id)
    return engine


def new_notebook(folder: Path, name: str) -> Notebook:
    return (
        Notebook.create(
            folder / name,
            PASSPHRASE,
            officer_id=name,
            officer_name=name,
            unit="bench",
            load_plugins=False,
        )
        if _accepts_load_plugins()
        else Notebook.create(
            folder / name, PASSPHRASE, officer_id=name, officer_name=name, unit="bench"
        )
    )


def _accepts_load_plugins() -> bool:
    import inspect

    return "load_plugins" in inspect.signature(Notebook.create).parameters


def bench_apply(folder: Path, ops: int) -> dict:
    share_root = folder / "share-apply"
    station, admin = Station.create(StationShare(share_root), PASSPHRASE, writer="bench")
    writer, reader = new_notebook(folder, "writer"), new_notebook(folder, "reader")
    try:
        engine_writer = enrol(share_root, station, admin, writer)
        engine_reader = enrol(share_root, station, admin, reader)
        # A realistic mix: cases of about 20 ops each (creation, field edits, notes).
        started = time.perf_counter()
        case_id = None
        for number in range(ops - writer.known_seqs()[writer.device_id]):
            if number % OPS_PER_CASE == 0:
                case_id = writer.create_case("incident", {"title": f"benchmark case {number}"}).id
            elif number % 5 == 0:
                writer.update_case(case_id, {"summary": f"summary {number} 张三"})
            else:
                writer.add_entry(case_id, "note", f"benchmark note {number} 张三")
        local_write = time.perf_counter() - started
        total_ops = writer.known_seqs()[writer.device_id]
        started = time.perf_counter()
        sent = engine_writer.sync_once()["sent"]
        publish = time.perf_counter() - started
        started = time.perf_counter()
        received = engine_reader.sync_once()["received"]
        apply = time.perf_counter() - started
        assert reader.known_seqs()[writer.device_id] == total_ops
        return {
            "ops": total_ops,
            "local_write_s": round(local_write, 3),
            "publish_s": round(publish, 3),
            "sync_apply_s": round(apply, 3),
            "apply_vs_local_ratio": round(apply / local_write, 2),
            "sent": sent,
            "received": received,
        }
    finally:
        writer.close()
        reader.close()


def bench_no_change(folder: Path, devices: int, segments: int) -> dict:
    share_root = folder / "share-idle"
    station, admin = Station.create(StationShare(share_root), PASSPHRASE, writer="bench")
    per_device = max(1, segments // devices)
    reader = new_notebook(folder, "idle-reader")
    try:
        reader_engine = enrol(share_root, station, admin, reader)
        started = time.perf_counter()
        for index in range(devices):
            notebook = new_notebook(folder, f"device{index}")
            try:
                engine = enrol(share_root, station, admin, notebook, segment_max_ops=1)
                case = notebook.create_case("incident", {"title": f"case of device {index}"})
                # one op per segment: officer profile + create + notes = per_device segments
                for number in range(max(0, per_device - 2)):
                    notebook.add_entry(case.id, "note", f"note {number}")
                engine.sync_once()
            finally:
                notebook.close()
        setup = time.perf_counter() - started
        on_share = len(list((share_root / "log").rglob("*.seg")))
        first = reader_engine.sync_once()
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            result = reader_engine.sync_once()
            timings.append((time.perf_counter() - started) * 1000)
            assert result["received"] == 0 and result["sent"] == 0
        return {
            "devices": devices + 1,
            "segments_on_share": on_share,
            "first_sync_received": first["received"],
            "no_change_sync_ms_median": round(statistics.median(timings), 1),
            "no_change_sync_ms_max": round(max(timings), 1),
            "setup_s": round(setup, 1),
        }
    finally:
        reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=["apply", "idle"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casebook-bench-sync-") as temp:
        folder = Path(temp)
        results = {}
        if args.only in (None, "apply"):
            results["apply"] = bench_apply(folder, args.ops)
        if args.only in (None, "idle"):
            results["no_change"] = bench_no_change(folder, args.devices, args.segments)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    if "apply" in results:
        a = results["apply"]
        print(
            f"apply {a['ops']} remote ops by sync: {a['sync_apply_s']} s; local write of the same: "
            f"{a['local_write_s']} s; ratio {a['apply_vs_local_ratio']} (goal <= 2); publish {a['publish_s']} s"
        )
    if "no_change" in results:
        n = results["no_change"]
        print(
            f"no-change sync, {n['devices']} devices, {n['segments_on_share']} segments: "
            f"median {n['no_change_sync_ms_median']} ms, max {n['no_change_sync_ms_max']} ms (goal < 200)"
        )


if __name__ == "__main__":
    main()
