"""Fixtures for sync tests: a station share on a real folder, and notebooks enrolled in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from casebook.sync import keys

from .fake_notebook import FakeNotebook
from .support import NOTEBOOK_PASSPHRASE, StationFixture


@pytest.fixture
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests seal the admin key with a cheap scrypt; one test checks the real cost."""
    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)


@pytest.fixture
def station(tmp_path: Path, fast_scrypt: None) -> StationFixture:
    return StationFixture(tmp_path / "share")


@pytest.fixture
def fake_notebooks(tmp_path: Path):
    def make(count: int) -> list[FakeNotebook]:
        return [FakeNotebook(tmp_path / f"nb{i}", officer_id=f"officer{i}") for i in range(count)]

    return make


@pytest.fixture
def real_notebooks(tmp_path: Path):
    """Real notebooks (casebook.Notebook) in this process, closed at the end."""
    from casebook import Notebook

    made = []

    def make(count: int) -> list:
        start = len(made)
        for index in range(start, start + count):
            made.append(
                Notebook.create(
                    tmp_path / f"real{index}",
                    NOTEBOOK_PASSPHRASE,
                    officer_id=f"o{index}",
                    officer_name=f"Officer {index}",
                    unit="Unit",
                )
            )
        return made[start:]

    yield make
    for notebook in made:
        notebook.close()
