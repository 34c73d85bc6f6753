"""Fixtures for the station-workflow plugins: an in-process notebook and a CLI runner.

Dates are fixed in each test (China Standard Time, +08:00) and passed as ``at``; the
notebook's own clock is never relied on for a rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from casebook import Notebook
from casebook.clock import parse_datetime
from tests.plugins.workflow_data import PASSPHRASE, run_cli


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English, so assertions read like the source strings."""
    monkeypatch.setenv("CASEBOOK_LANG", "en")


@pytest.fixture(autouse=True)
def china_standard_time(monkeypatch: pytest.MonkeyPatch):
    """Local time is the stations' (UTC+8), whatever the machine's zone: a bare date such
    as ``--at 2025-03-01`` then means the same day as the +08:00 data (CLI runs inherit)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def station_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    """Set this laptop's clock (``CASEBOOK_CLOCK_OFFSET``, which CLI runs inherit) so that
    now is a moment of the test's data: what officers write is then written on time, as
    it would be at the station. ``None`` puts the clock back."""

    def set_now(moment: str | None) -> None:
        if moment is None:
            monkeypatch.delenv("CASEBOOK_CLOCK_OFFSET", raising=False)
            return
        target = parse_datetime(moment)
        assert target is not None
        monkeypatch.setenv("CASEBOOK_CLOCK_OFFSET", str(target.timestamp() - time.time()))

    return set_now


@pytest.fixture
def notebook_path(tmp_path: Path) -> Path:
    return tmp_path / "notebook"


@pytest.fixture
def nb(notebook_path: Path):
    notebook = Notebook.create(
        notebook_path, PASSPHRASE, officer_id="0417", officer_name="王民警", unit="旺庄派出所"
    )
    yield notebook
    notebook.close()


@pytest.fixture
def cli(notebook_path: Path) -> Callable[..., Any]:
    """Run ``casebook ARGS`` in a subprocess on the test's notebook; JSON is parsed.

    The in-process notebook must be locked meanwhile (``nb.lock()``), since both append to
    the same log; ``nb.unlock(PASSPHRASE)`` picks up what the CLI wrote.
    """
    pytest.importorskip("casebook.cli", reason="the core's CLI (casebook.cli) is not written yet")

    def run(*args: str, expect: int = 0, parse: bool = True, lang: str = "en") -> Any:
        return run_cli(notebook_path, *args, expect=expect, parse=parse, lang=lang)

    return run
