"""Fixtures shared by every test: real notebooks on disk and a CLI runner in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from casebook import Notebook

PASSPHRASE = "correct horse 电池 staple"
CASEBOOK = [sys.executable, "-m", "casebook"]


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """Tests read messages in English unless a test switches language itself."""
    monkeypatch.setenv("CASEBOOK_LANG", "en")
    from casebook import i18n

    i18n._language = None
    yield
    i18n._language = None


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    return tmp_path / "notebook"


@pytest.fixture
def notebook(notebook_dir: Path):
    nb = Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    )
    yield nb
    nb.close()


class CliResult:
    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"


def cli_env(notebook_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CASEBOOK_NOTEBOOK": str(notebook_dir),
            "CASEBOOK_PASSPHRASE": PASSPHRASE,
            "CASEBOOK_LANG": "en",
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def run_cli(notebook_dir: Path):
    """Run ``casebook ARGS`` as a real process against the test's notebook."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> CliResult:
        completed = subprocess.run(
            [*CASEBOOK, *args],
            input=input,
            capture_output=True,
            text=True,
            env=env or cli_env(notebook_dir),
            timeout=timeout,
        )
        return CliResult(completed)

    return run
