"""Handing a file the officer saved (a receipt, a notice, a report) to the desktop to open
or print it. Only files the officer chose to write are opened; the notebook itself never
writes plaintext elsewhere."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def open_with_system(path: str | os.PathLike[str]) -> bool:
    """Open ``path`` with the desktop's default application; False when that is not possible."""
    target = str(Path(path))
    try:
        if sys.platform.startswith("win"):
            os.startfile(target)  # type: ignore[attr-defined]  # noqa: S606
        elif sys.platform == "darwin":
            subprocess.Popen(["open", target])
        else:
            subprocess.Popen(
                ["xdg-open", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
    except OSError as error:
        log.info("cannot open %s: %s", target, error)
        return False
    return True
