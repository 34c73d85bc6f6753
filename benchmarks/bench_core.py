"""Core benchmark: bulk import and search at 100k cases, against plain SQLite.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_core.py [--cases N]``.

Both sides get the same synthetic Chinese documents, in the same session:
- baseline: plain (unencrypted) SQLite through sqlite-utils, ``insert_all`` of the documents,
  then ``enable_fts`` with the trigram tokenizer;
- Casebook: ``Notebook.import_cases`` through the public API: validation, op log with hash
  chain, merge views, n-gram search index, SQLCipher encryption, plugins' task planning.
Each side runs in its own child process so its peak memory (max RSS) is its own. Search
latency is the median over queries of 1, 2 and 3+ characters, each run several times.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import PLACES, SURNAMES, records  # noqa: E402

QUERIES = {
    "1 char": ["张", "王", "区", "盗", "三", "园"],
    "2 chars": ["张伟", "公园", "纠纷", "监控", "李娜", "江阴"],
    "3+ chars": ["滨湖区", "电动车被盗", "走访周边群众", "菜市场", "噪音扰民", "编号12345"],
}


def baseline(folder: Path, count: int) -> dict:
    import sqlite_utils

    docs = [dict(doc, id=i) for i, doc in enumerate(records(count))]
    start = time.perf_counter()
    db = sqlite_utils.Database(folder / "plain.db")
    db["cases"].insert_all(docs, pk="id", batch_size=2000)
    db["cases"].enable_fts(["title", "location", "summary"], tokenize="trigram")
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def casebook_import(folder: Path, count: int) -> dict:
    from casebook import Notebook

    docs = records(count)
    notebook = Notebook.create(
        folder / "notebook",
        "benchmark passphrase",
        officer_id="0001",
        officer_name="李明",
        unit="滨湖派出所",
    )
    start = time.perf_counter()
    notebook.import_cases(("incident", doc) for doc in docs)
    elapsed = time.perf_counter() - start
    latencies: dict[str, float] = {}
    for label, queries in QUERIES.items():
        times = []
        for query in queries:
            for _ in range(5):
                t0 = time.perf_counter()
                notebook.search(query, limit=50)
                times.append(time.perf_counter() - t0)
        latencies[label] = statistics.median(times) * 1000
    hits = {q: len(notebook.search(q, limit=50)) for qs in QUERIES.values() for q in qs[:2]}
    like_start = time.perf_counter()
    notebook.conn.execute("SELECT count(*) FROM cases WHERE title LIKE '%张%'").fetchone()
    like_ms = (time.perf_counter() - like_start) * 1000
    notebook.close()
    return {
        "seconds": elapsed,
        "search_median_ms": latencies,
        "hits": hits,
        "like_scan_ms": like_ms,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "db_mb": (folder / "notebook" / "notebook.db").stat().st_size / 1e6,
    }


def storage_floor(folder: Path, count: int) -> dict:
    """Only the writing: the rows an import stores, written again with no logic at all.

    The cases are imported (untimed); their op log rows, view rows and search index rows
    are read back; then a fresh encrypted store of the same schema is timed while it takes
    them with one ``executemany`` per table and batch. No validation, JSON, hashing or
    plugins remain: this is what the stored data costs by itself.
    """
    import os

    from casebook import Notebook, search, store

    notebook = Notebook.create(
        folder / "notebook",
        "benchmark passphrase",
        officer_id="0001",
        officer_name="李明",
        unit="滨湖派出所",
    )
    notebook.import_cases(("incident", doc) for doc in records(count))
    op_rows = notebook.conn.execute("SELECT * FROM ops ORDER BY device_id, seq").fetchall()
    ops = [json.loads(row[6]) for row in op_rows]
    case_rows, index_rows = notebook.views.creation_rows(
        [op for op in ops if op["kind"] == "case.create"], 1
    )
    notebook.close()
    db = store.connect(folder / "floor.db", os.urandom(32))
    batch = 10_000
    start = time.perf_counter()
    for first in range(0, len(case_rows), batch):
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.executemany(
            f"INSERT INTO ops VALUES ({', '.join('?' * len(op_rows[0]))})",
            op_rows[first : first + batch],
        )
        db.conn.executemany(
            "INSERT INTO cases (rid, case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc,"
            " registers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows[first : first + batch],
        )
        search.add_rows(db.conn, index_rows[first : first + batch])
        db.conn.execute("COMMIT")
    return {"seconds": time.perf_counter() - start}


def child(kind: str, count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_core; "
            f"print(json.dumps(bench_core.{kind}(__import__('pathlib').Path({tmp!r}), {count})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    random.seed(0)
    print(f"Bulk import of {args.cases:,} synthetic Chinese cases", flush=True)
    plain = child("baseline", args.cases)
    print(
        f"  plain SQLite (sqlite-utils insert_all + trigram FTS): {plain['seconds']:.1f} s, "
        f"peak RSS {plain['max_rss_mb']:.0f} MB",
        flush=True,
    )
    ours = child("casebook_import", args.cases)
    print(
        f"  Casebook (encrypted, op log, views, n-gram index):   {ours['seconds']:.1f} s, "
        f"peak RSS {ours['max_rss_mb']:.0f} MB, database {ours['db_mb']:.0f} MB"
    )
    print(
        f"  ratio Casebook / plain: {ours['seconds'] / plain['seconds']:.2f}x  (goal: at most 2x)"
    )
    floor = child("storage_floor", args.cases)
    print(
        f"  of which the writing alone (the same rows, no logic):  {floor['seconds']:.1f} s, "
        f"{floor['seconds'] / plain['seconds']:.2f}x plain",
        flush=True,
    )
    print(
        f"Search at {args.cases:,} cases, median of {sum(len(q) for q in QUERIES.values()) * 5 // 3} runs each:"
    )
    for label, ms in ours["search_median_ms"].items():
        print(f"  {label:<9} {ms:6.2f} ms  (goal: under 50 ms)")
    print(f"  for comparison, one LIKE '%张%' scan of the titles: {ours['like_scan_ms']:.0f} ms")
    print(f"  results (top 50) for a few queries: {ours['hits']}")
    _ = (PLACES, SURNAMES)


if __name__ == "__main__":
    main()
