"""Fixtures for sync tests: a station share on a real folder, and real notebooks enrolled in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from casebook.sync import keys

from casebook import Notebook

from .support import NotebookTemplates, StationFixture


@pytest.fixture
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests seal the admin key with a cheap scrypt; one test checks the real cost."""
    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)


@pytest.fixture
def station(tmp_path: Path, fast_scrypt: None) -> StationFixture:
    return StationFixture(tmp_path / "share")


@pytest.fixture(scope="session")
def notebook_templates(tmp_path_factory: pytest.TempPathFactory) -> NotebookTemplates:
    return NotebookTemplates(tmp_path_factory.mktemp("notebook-templates"))


@pytest.fixture
def notebooks(notebook_templates: NotebookTemplates, tmp_path: Path):
    """Real notebooks (casebook.Notebook), each call in a test handing out other laptops:
    ``a, b = notebooks(2)``, then ``(stranger,) = notebooks(1)``. Closed at the end."""
    made: list[Notebook] = []

    def make(count: int) -> list[Notebook]:
        start = len(made)
        for index in range(start, start + count):
            made.append(notebook_templates.copy(index, tmp_path / f"laptop{index}"))
        return made[start:]

    yield make
    for notebook in made:
        notebook.close()
