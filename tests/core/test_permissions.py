"""The notebook's files are this user's only: notebook.json (the wrapped key and the scrypt
parameters), the database, attachments and logs 0600, its folders 0700."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from casebook import Notebook
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def init(run_cli) -> None:
    result = run_cli(
        "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
    )
    assert result.code == 0, result


def test_files_are_private_and_folders_closed(run_cli, notebook_dir, tmp_path):
    old_umask = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        init(run_cli)
        case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(b"evidence")
        assert run_cli("case", "attach", case_id.strip(), str(photo)).code == 0
    finally:
        os.umask(old_umask)

    files = [
        notebook_dir / "notebook.json",
        notebook_dir / "notebook.db",
        notebook_dir / "logs" / "casebook.log",
        *(notebook_dir / "attachments").iterdir(),
    ]
    assert len(files) == 4
    for path in files:
        assert mode(path) == 0o600, path
    for path in [notebook_dir, *(p for p in notebook_dir.iterdir() if p.is_dir())]:
        assert mode(path) == 0o700, path
    wal = [p for p in notebook_dir.iterdir() if p.name.startswith("notebook.db-")]
    assert all(mode(p) == 0o600 for p in wal)


def test_an_older_notebook_is_tightened_when_opened(notebook_dir):
    Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="1", officer_name="李明", unit="所", load_plugins=False
    ).close()
    for path in (notebook_dir / "notebook.json", notebook_dir / "notebook.db"):
        path.chmod(0o644)
    notebook_dir.chmod(0o755)

    Notebook.open(notebook_dir, PASSPHRASE, load_plugins=False).close()

    assert mode(notebook_dir / "notebook.json") == 0o600
    assert mode(notebook_dir / "notebook.db") == 0o600
    assert mode(notebook_dir) == 0o700


def test_a_new_passphrase_keeps_the_key_file_private(notebook):
    notebook.change_passphrase(PASSPHRASE, "another passphrase")
    assert mode(notebook.path / "notebook.json") == 0o600
