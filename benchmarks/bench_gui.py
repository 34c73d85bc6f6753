"""GUI benchmark: a 100k-case notebook, the first window after unlock, and a list search.

Run ``python benchmarks/bench_gui.py`` (an X display is needed: ``DISPLAY``, or Xvfb is
started on a free display). The notebook is built once with ``nb.import_cases`` and kept in
the temp folder for later runs (``--rebuild`` makes a new one).

Figures printed:
- import: building the 100k notebook (once);
- unlock: ``Notebook.open`` (the passphrase KDF is most of it, by design);
- first window: after the unlock, until the main window is drawn (Today's frame on screen);
- today filled: first window -> Today's tasks, alerts and summary shown;
- case list during Today's load: the page drawn, and its rows (they wait for the notebook);
- case list: first page of the list (count + page of 100 rows);
- search: typing a query -> rows shown, median and worst over several queries.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

CASES = 100_000
MISSING_PERSONS = 2_000
PASSPHRASE = "bench passphrase 口令"
QUERIES = ["张三", "张", "电动车", "中山路", "梁溪区实验中学", "没有这个词"]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
]
SUMMARIES = [
    "电动车在小区楼下被盗",
    "手机在地铁上被扒窃",
    "邻里因装修噪音发生争执",
    "广场舞音响声音过大",
    "两车轻微刮擦",
    "网购被骗转账后对方失联",
    "老人在公园走失",
    "酒后在饭店滋事",
    "商家拒不退还预付卡余额",
    "小区停水三天无人处理",
]
PLACES = ["梁溪区中山路", "滨湖区蠡湖大道", "惠山区洛社镇", "锡山区东亭街道", "新吴区旺庄路"]
CHANNELS = ["call_110", "walk_in", "self_service", "patrol", "transfer"]
CATEGORIES = ["criminal", "administrative", "help", "dispute", "noise", "traffic", "non_police"]


def records(count: int, seed: int = 100):
    """``(case_type, fields)`` pairs spread over three years, Chinese text, some 张三."""
    from casebook.clock import format_datetime, now

    rng = random.Random(seed)
    start = now()
    for number in range(count):
        reported = start - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
        name = "张三" if number % 997 == 0 else rng.choice(SURNAMES) + rng.choice(GIVEN)
        place = rng.choice(PLACES)
        if number < MISSING_PERSONS:
            yield (
                "missing_person",
                {
                    "name": name,
                    "last_seen_at": format_datetime(reported - timedelta(hours=3)),
                    "last_seen_place": place,
                    "reported_at": format_datetime(reported),
                    "cause": rng.choice(["lost", "left_home", "debt", "family_conflict"]),
                    "found_at": format_datetime(reported + timedelta(hours=rng.randint(2, 72))),
                    "outcome": "found_safe",
                },
            )
        else:
            summary = rng.choice(SUMMARIES)
            yield (
                "incident",
                {
                    "title": summary,
                    "summary": f"{summary}，报警人{name}，地点{place}{rng.randint(1, 999)}号。",
                    "reported_at": format_datetime(reported),
                    "channel": rng.choice(CHANNELS),
                    "category": rng.choice(CATEGORIES),
                    "reporter_name": name,
                    "location": place,
                },
            )


def build_notebook(folder: Path) -> float:
    from casebook import Notebook

    shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    notebook = Notebook.create(
        folder, PASSPHRASE, officer_id="B0001", officer_name="基准测试", unit="中山路派出所"
    )

    def progress(done: int, total: int | None) -> None:
        if done % 20_000 == 0:
            print(f"  imported {done:,}", flush=True)

    notebook.import_cases(records(CASES), progress=progress)
    notebook.close()
    return time.perf_counter() - began


def ensure_display() -> subprocess.Popen | None:
    """``DISPLAY`` if set, else an Xvfb on a display number it picks (``-displayfd``)."""
    if os.environ.get("DISPLAY"):
        return None
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        number = pipe.readline().strip()
    if not number.isdigit():
        server.kill()
        sys.exit("no X display and Xvfb did not start")
    os.environ["DISPLAY"] = f":{number.decode()}"
    return server


def pump_until(app, condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        app.jobs.drain()
        app.root.update()
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        time.sleep(0.001)


def measure(folder: Path) -> dict[str, float | list[float]]:
    from casebook import Notebook
    from casebook.gui.app import CasebookApp

    figures: dict[str, float | list[float]] = {}
    began = time.perf_counter()
    notebook = Notebook.open(folder, PASSPHRASE)
    figures["unlock"] = time.perf_counter() - began
    app = CasebookApp(folder, notebook=notebook)
    app.root.update()
    figures["first_window"] = time.perf_counter() - began
    today = app.shell.pages["today"]
    # The officer goes to the case list while Today is still loading: the page must appear
    # at once (its rows come when the notebook is free).
    clicked = time.perf_counter()
    page = app.shell.show_page("cases")
    app.root.update()
    figures["list_during_load"] = time.perf_counter() - clicked
    pump_until(app, lambda: not page.loading)
    figures["list_rows_during_load"] = time.perf_counter() - clicked
    pump_until(app, lambda: today.loaded)
    figures["today_filled"] = time.perf_counter() - began - figures["first_window"]
    figures["today_tasks"] = float(today.task_total)
    app.shell.show_page("today")
    pump_until(app, lambda: today.loaded)

    began = time.perf_counter()
    page = app.shell.show_page("cases")
    pump_until(app, lambda: not page.loading)
    figures["case_list"] = time.perf_counter() - began
    figures["cases"] = float(page.total)

    timings = []
    for query in QUERIES * 3:
        began = time.perf_counter()
        page.query.set(query)
        page.run_query()  # what the debounce timer calls
        pump_until(app, lambda: not page.loading)
        timings.append(time.perf_counter() - began)
    figures["search"] = timings
    app.on_close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook", type=Path, default=Path(tempfile.gettempdir()) / "casebook-bench-gui-100k"
    )
    parser.add_argument("--rebuild", action="store_true")
    arguments = parser.parse_args()
    from casebook import Notebook

    if arguments.rebuild or not Notebook.exists(arguments.notebook):
        print(f"building a {CASES:,}-case notebook in {arguments.notebook} ...", flush=True)
        print(f"import: {build_notebook(arguments.notebook):.1f} s")
    server = ensure_display()
    try:
        figures = measure(arguments.notebook)
    finally:
        if server is not None:
            server.terminate()
    search = figures.pop("search")
    print(f"cases in the notebook:        {int(figures['cases']):,}")
    print(f"unlock (Notebook.open):       {figures['unlock'] * 1000:.0f} ms")
    print(
        f"first window after unlock:    {(figures['first_window'] - figures['unlock']) * 1000:.0f} ms"
        f" (unlock + window: {figures['first_window'] * 1000:.0f} ms)"
    )
    print(
        f"Today filled after that:      {figures['today_filled'] * 1000:.0f} ms "
        f"({int(figures['today_tasks']):,} tasks due or overdue)"
    )
    print(
        f"case list opened during that: drawn in {figures['list_during_load'] * 1000:.0f} ms, "
        f"rows after {figures['list_rows_during_load'] * 1000:.0f} ms"
    )
    print(f"case list, first page:        {figures['case_list'] * 1000:.0f} ms")
    print(
        f"search on the list:           median {statistics.median(search) * 1000:.0f} ms, "
        f"worst {max(search) * 1000:.0f} ms over {len(search)} queries {QUERIES}"
    )


if __name__ == "__main__":
    main()
