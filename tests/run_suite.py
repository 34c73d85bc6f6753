"""Run the test suite as ``make test`` and CI do.

GUI tests need an X display. Without ``DISPLAY`` this starts one Xvfb for the whole run (and
fails, rather than silently skipping the GUI tests, when Xvfb is missing under CI). Extra
arguments go to pytest, e.g. ``-m slow`` for the long fuzz and soak runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    server = shutil.which("Xvfb")
    if server is None:
        if os.environ.get("CI"):
            sys.exit("Xvfb is missing: the GUI tests need it (Debian: apt-get install xvfb).")
        print("note: no DISPLAY and no Xvfb, GUI tests will be skipped", file=sys.stderr)
        return None
    for number in range(90, 200):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            break
    process = subprocess.Popen(
        [server, f":{number}", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    return process


def main() -> int:
    xvfb = start_xvfb()
    try:
        command = [sys.executable, "-m", "pytest", "-q", "-rs", *sys.argv[1:]]
        return subprocess.call(command, cwd=ROOT)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
