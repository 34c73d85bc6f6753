"""Faults of the disk, the folder and the command line get true messages and leave nothing
behind (issue: a full disk or a read-only folder was reported as a wrong passphrase).

The full disk and the read-only folder are real: a small tmpfs mounted in a private mount
namespace (``unshare``), skipped where the system allows none. The file-size limit
(``RLIMIT_FSIZE``) gives a failing write on any POSIX system.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from casebook import Notebook
from tests.conftest import CASEBOOK, PASSPHRASE, cli_env

WRONG_KEY_MESSAGES = ("Wrong passphrase", "could not be opened with this key")
ZH_WRONG_KEY = "无法用此密钥打开案件本"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX faults")


def init_args() -> list[str]:
    return ["init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"]


def assert_one_line_error(result, *, code: int, says: str) -> None:
    assert result.code == code, result
    assert says in result.err, result
    assert result.err.count("\n") == 1 and result.err.startswith("Error: "), result
    assert "Traceback" not in result.err and "Unexpected error" not in result.err
    assert not any(message in result.err for message in WRONG_KEY_MESSAGES), result


def leftovers(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith((".part", ".tmp"))
    )


# -- a real full disk and a real read-only folder ------------------------------------------

DRIVER = textwrap.dedent(
    """
    import json, os, subprocess, sys
    mount_point, notebook, env_json = sys.argv[1], sys.argv[2], sys.argv[3]
    env = json.loads(env_json)
    casebook = [sys.executable, "-m", "casebook"]
    results = {}

    def run(name, *args, input=None):
        done = subprocess.run(casebook + list(args), input=input, capture_output=True,
                              text=True, env=env, timeout=300)
        results[name] = {"code": done.returncode, "out": done.stdout, "err": done.stderr}
        return done

    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount_point], check=True)
    run("init", "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所")
    case_id = run("case", "case", "new", "--type", "incident", input='{"title": "盗窃"}').stdout.strip()
    photo = os.path.join(mount_point, "..", "photo.bin")
    with open(photo, "wb") as handle:
        handle.write(os.urandom(1 << 20))
    filler = os.path.join(mount_point, "filler")
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"x" * 65536)
                handle.flush()
        except OSError:
            pass
    try:
        handle.close()
    except OSError:
        pass
    run("attach_full", "case", "attach", case_id, photo)
    results["parts_after_attach"] = sorted(
        name for name in os.listdir(os.path.join(notebook, "attachments")) if "part" in name)
    run("new_full", "case", "new", "--type", "incident", input='{"title": "满"}')
    run("list_full", "case", "list", "--json")
    os.unlink(filler)
    run("list_after", "case", "list", "--json")
    run("attach_after", "case", "attach", case_id, photo)
    run("verify_after", "audit", "verify")
    subprocess.run(["mount", "-o", "remount,ro", mount_point], check=True)
    run("list_read_only", "case", "list", "--json")
    run("new_read_only", "case", "new", "--type", "incident", input='{"title": "只读"}')
    env["CASEBOOK_LANG"] = "zh_CN"
    run("list_read_only_zh", "case", "list", "--json")
    print(json.dumps(results))
    """
)


def run_in_private_mount(tmp_path: Path) -> dict:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    notebook = mount_point / "notebook"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = cli_env(notebook)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path.cwd()), env.get("PYTHONPATH")]))
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not installed")
    arguments = [sys.executable, str(driver), str(mount_point), str(notebook), json.dumps(env)]
    for namespace in (["-m"], ["-r", "-m"]):  # as root, else as a mapped user
        probe = subprocess.run(
            [unshare, *namespace, "mount", "-t", "tmpfs", "tmpfs", str(mount_point)],
            capture_output=True,
        )
        if probe.returncode == 0:
            done = subprocess.run(
                [unshare, *namespace, *arguments], capture_output=True, text=True, timeout=900
            )
            assert done.returncode == 0, done.stderr[-3000:]
            return json.loads(done.stdout.strip().splitlines()[-1])
    pytest.skip("this system allows no private tmpfs mount")


class Result:
    def __init__(self, raw: dict) -> None:
        self.code, self.out, self.err = raw["code"], raw["out"], raw["err"]

    def __repr__(self) -> str:
        return f"Result(code={self.code}, err={self.err[:400]!r})"


def test_full_disk_and_read_only_folder_are_reported_as_such(tmp_path):
    results = run_in_private_mount(tmp_path)
    step = {name: Result(raw) for name, raw in results.items() if isinstance(raw, dict)}
    assert step["init"].code == 0 and step["case"].code == 0, step

    # The full disk: the attach fails as "disk full", exit 5, and leaves no part behind.
    assert_one_line_error(step["attach_full"], code=5, says="disk is full")
    assert results["parts_after_attach"] == []
    assert step["new_full"].code == 5 and "disk is full" in step["new_full"].err
    assert step["list_full"].code in (0, 5), step["list_full"]
    assert not any(m in step["list_full"].err for m in WRONG_KEY_MESSAGES)

    # Space freed: every later command works, the earlier failures wrote nothing.
    assert step["list_after"].code == 0, step["list_after"]
    assert [c["title"] for c in json.loads(step["list_after"].out)] == ["盗窃"]
    assert step["attach_after"].code == 0, step["attach_after"]
    assert step["verify_after"].code == 0, step["verify_after"]

    # The read-only folder: said so, in both languages, never "wrong key".
    for name in ("list_read_only", "new_read_only"):
        assert_one_line_error(step[name], code=5, says="read-only")
    zh = step["list_read_only_zh"]
    assert zh.code == 5 and "只读" in zh.err and ZH_WRONG_KEY not in zh.err, zh


# -- a failing write on any POSIX system: the file-size limit ------------------------------


def run_limited(notebook_dir: Path, *args: str, limit: int, input: str | None = None):
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    from tests.conftest import CliResult

    completed = subprocess.run(
        [*CASEBOOK, *args],
        input=input,
        capture_output=True,
        text=True,
        env=cli_env(notebook_dir),
        preexec_fn=limit_file_size,
        timeout=300,
    )
    return CliResult(completed)


def test_failed_attach_leaves_nothing_and_later_commands_work(run_cli, notebook_dir, tmp_path):
    assert run_cli(*init_args()).code == 0
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out.strip()
    big = tmp_path / "video.bin"
    big.write_bytes(os.urandom(3 << 20))

    failed = run_limited(notebook_dir, "case", "attach", case_id, str(big), limit=1 << 20)
    assert_one_line_error(failed, code=5, says="larger than this system allows")
    assert leftovers(notebook_dir) == []
    assert list((notebook_dir / "attachments").iterdir()) == []

    assert run_cli("case", "list", "--json").code == 0
    attached = run_cli("case", "attach", case_id, str(big))
    assert attached.code == 0, attached
    assert run_cli("case", "show", case_id, "--json").json()["attachments"][0]["size"] == 3 << 20


def test_init_is_all_or_nothing(run_cli, notebook_dir):
    # The store cannot grow past 8 KiB: init fails half-way, as on a full disk.
    failed = run_limited(notebook_dir, *init_args(), limit=8192)
    assert_one_line_error(failed, code=5, says="The disk reported an error")
    assert not notebook_dir.exists()

    created = run_cli(*init_args())
    assert created.code == 0, created
    assert run_cli("case", "list").code == 0


def test_init_in_an_existing_folder_keeps_the_folder(run_cli, notebook_dir):
    notebook_dir.mkdir()
    (notebook_dir / "keep.txt").write_text("mine", encoding="utf-8")
    failed = run_limited(notebook_dir, *init_args(), limit=8192)
    assert failed.code == 5, failed
    assert sorted(p.name for p in notebook_dir.iterdir()) == ["keep.txt"]


def test_remains_of_an_old_failed_init_get_a_clear_message(run_cli, notebook_dir):
    notebook_dir.mkdir()
    (notebook_dir / "notebook.db").write_bytes(os.urandom(4096))
    refused = run_cli(*init_args())
    assert_one_line_error(refused, code=1, says="without its key file")


def test_init_under_a_file_path_is_a_clear_message(run_cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_cli(*init_args(), env=cli_env(blocker / "notebook"))
    assert_one_line_error(result, code=1, says="is a file")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_init_with_an_invalid_utf8_officer_name_writes_nothing(notebook_dir):
    completed = subprocess.run(
        [*(os.fsencode(a) for a in CASEBOOK), b"init", b"--officer-id", b"0001"]
        + [b"--officer-name", b"\xff\xfe\xc0", b"--unit", "滨湖派出所".encode()],
        capture_output=True,
        env=cli_env(notebook_dir),
        timeout=120,
    )
    err = completed.stderr.decode("utf-8")
    assert completed.returncode == 1, err
    assert "not valid UTF-8" in err and "Traceback" not in err and err.count("\n") == 1
    assert not notebook_dir.exists()


def test_core_refuses_invalid_text_in_officer_fields(notebook_dir):
    from casebook import InvalidInputError

    with pytest.raises(InvalidInputError, match="officer_name"):
        Notebook.create(
            notebook_dir, PASSPHRASE, officer_id="1", officer_name="李\udcff", unit="所"
        )
    assert not notebook_dir.exists()


# -- exports ---------------------------------------------------------------------------------


def test_exports_refuse_to_overwrite_without_force(run_cli, notebook_dir, tmp_path):
    assert run_cli(*init_args()).code == 0
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out.strip()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"new contents")
    attachment_id = run_cli("case", "attach", case_id, str(photo)).out.strip()
    existing = tmp_path / "out.jpg"
    existing.write_bytes(b"the officer's own file")

    refused = run_cli("case", "export", attachment_id, str(existing))
    assert_one_line_error(refused, code=1, says="already exists")
    assert existing.read_bytes() == b"the officer's own file"
    into_folder = run_cli("case", "export", attachment_id, str(tmp_path))  # photo.jpg is there
    assert_one_line_error(into_folder, code=1, says="already exists")

    forced = run_cli("case", "export", attachment_id, str(existing), "--force")
    assert forced.code == 0, forced
    assert existing.read_bytes() == b"new contents"
    assert leftovers(tmp_path) == []


def test_nothing_is_written_into_folders_that_do_not_exist(run_cli, notebook_dir, tmp_path):
    assert run_cli(*init_args()).code == 0
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out.strip()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"contents")
    attachment_id = run_cli("case", "attach", case_id, str(photo)).out.strip()
    missing = tmp_path / "no-such-folder"

    commands = [
        ("case", "export", attachment_id, str(missing / "photo.jpg")),
        ("report", "satisfaction", "--pdf", str(missing / "report.pdf")),
        ("document", "receipt", case_id, "--pdf", str(missing / "receipt.pdf")),
    ]
    for command in commands:
        result = run_cli(*command)
        assert_one_line_error(result, code=1, says="does not exist")
        assert not missing.exists(), command


def test_pdfs_refuse_to_overwrite_without_force(run_cli, tmp_path):
    assert run_cli(*init_args()).code == 0
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out.strip()
    existing = tmp_path / "receipt.pdf"
    existing.write_bytes(b"an earlier print")
    for command in (
        ("document", "receipt", case_id, "--pdf", str(existing)),
        ("report", "satisfaction", "--pdf", str(existing)),
    ):
        assert_one_line_error(run_cli(*command), code=1, says="already exists")
    assert existing.read_bytes() == b"an earlier print"


def test_pdf_builder_creates_no_folder_and_leaves_no_part(tmp_path):
    from casebook import InvalidInputError, pdf

    with pytest.raises(InvalidInputError, match="does not exist"):
        pdf.build_pdf(tmp_path / "missing" / "x.pdf", [], title="t")
    assert not (tmp_path / "missing").exists()


def test_the_core_refuses_lone_surrogates_with_a_message(notebook):
    from casebook import InvalidInputError

    case = notebook.create_case("incident", {"title": "x"})
    before = notebook.verify_audit()["ops"]
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        notebook.add_entry(case.id, "note", "bad \udcff text")
    with pytest.raises(InvalidInputError):
        notebook.create_case("incident", {"title": "\ud800"})
    assert notebook.verify_audit()["ops"] == before
