"""The CLI fed malformed JSON, encodings and arguments: every failure is one line on stderr
with an exit code of the contract, never a traceback or "unexpected error", and writes
nothing (the notebook's files, the working folder and the target folders are unchanged).

The inputs of the issue come first, then random ones from a fixed seed: a few in the
default suite, many under ``-m slow`` (``CASEBOOK_CLI_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CASEBOOK, cli_env

#: The exit codes of the contract for a refusal: input, usage, authentication, integrity,
#: storage.
REFUSED = {1, 2, 3, 4, 5}
DEEP = b"[" * 200_000 + b"]" * 200_000
#: An argument holds at most 128 KiB on Linux.
DEEP_ARGUMENT = b"[" * 60_000 + b"]" * 60_000
BAD_UTF8 = b"\xff\xfe\xc0\xaf"


class Workspace:
    """One notebook with a case and an attachment; runs the CLI with bytes in and out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notebook = root / "notebook"
        self.cwd = root / "cwd"
        self.cwd.mkdir()
        self.env = {os.fsencode(k): os.fsencode(v) for k, v in cli_env(self.notebook).items()}
        init = self.run(
            ["init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"]
        )
        assert init[0] == 0, init
        self.case_id = self.run(
            ["case", "new", "--type", "incident"], b'{"title": "\xe5\xbc\xa0\xe4\xb8\x89"}'
        )[1].strip()
        photo = root / "photo.jpg"
        photo.write_bytes(b"\xff\xd8 evidence")
        self.attachment_id = self.run(["case", "attach", self.case_id, str(photo)])[1].strip()
        assert len(self.attachment_id) == 32

    def run(
        self, args: list[str | bytes], stdin: bytes = b"", env: dict | None = None
    ) -> tuple[int, str, str]:
        completed = subprocess.run(
            [*(os.fsencode(a) for a in CASEBOOK), *(os.fsencode(a) for a in args)],
            input=stdin,
            capture_output=True,
            env=env or self.env,
            cwd=self.cwd,
            timeout=300,
        )
        return (
            completed.returncode,
            completed.stdout.decode("utf-8", "replace"),
            completed.stderr.decode("utf-8", "replace"),
        )

    def snapshot(self) -> dict[str, str]:
        """Every file of the notebook (but its log) and of the working folder, by content."""
        state = {}
        for folder in (self.notebook, self.cwd, self.root / "exports"):
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                if path.is_file() and "logs" not in path.relative_to(folder).parts:
                    state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(folder)] = str(folder.exists())
        return state


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("fuzz"))


def check_refused(workspace: Workspace, args, stdin: bytes = b"", env=None, codes=REFUSED):
    before = workspace.snapshot()
    code, out, err = workspace.run(args, stdin, env)
    shown = f"{args!r} -> {code}: {err!r}"
    assert code in codes, shown
    assert err.startswith("Error: ") and err.count("\n") == 1, shown
    assert "Traceback" not in err and "Unexpected error" not in err, shown
    assert workspace.snapshot() == before, f"wrote something: {shown}"
    return err


def test_the_inputs_of_the_issue(workspace, tmp_path):
    ws = workspace
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"title": "电动车被盗"}\n'.encode("gbk"))
    missing = ws.root / "exports" / "x.jpg"
    bad_env = dict(ws.env)
    bad_env[b"CASEBOOK_PASSPHRASE"] = BAD_UTF8
    cases = [
        # JSON nested 200k deep, on stdin, in a file, as a value
        (["case", "new", "--type", "incident"], DEEP, "nested", {1}),
        (["settings", "set", "station.phone", "--value", DEEP_ARGUMENT], b"", "nested", {1}),
        (["case", "update", ws.case_id], b'{"title": ' + b"[" * 100 + b"]" * 100 + b"}", "", {1}),
        # encodings: GBK import line, invalid UTF-8 on stdin, in argv, in the environment
        (["case", "import", str(gbk), "--type", "incident"], b"", "Line 1 is not UTF-8", {1}),
        (["case", "new", "--type", "incident"], b'{"title": "' + BAD_UTF8 + b'"}', "UTF-8", {1}),
        (["init", "--officer-id", "2", "--officer-name", BAD_UTF8, "--unit", "u"], b"", "", {1}),
        (["case", "note", ws.case_id, BAD_UTF8], b"", "not valid UTF-8", {1}),
        (["search", BAD_UTF8], b"", "not valid UTF-8", {1}),
        (["case", "list"], b"", "CASEBOOK_PASSPHRASE", {1}, bad_env),
        # lone surrogates escaped in JSON
        (["case", "new", "--type", "incident"], b'{"title": "\\ud800"}', "UTF-8", {1}),
        (["case", "resolve", ws.case_id, "title", "--value", '"\\udfff"'], b"", "UTF-8", {1}),
        (["case", "entry", ws.case_id, "ledger", "x"], b'{"\\ud800": 1}', "UTF-8", {1}),
        # numbers JSON cannot hold
        (["case", "new", "--type", "incident"], b'{"title": NaN}', "NaN", {1}),
        (["case", "new", "--type", "incident"], b'{"title": "x", "n": 1e999}', "", {1}),
        (["case", "new", "--type", "incident"], b'{"n": 1' + b"0" * 5000 + b"}", "", {1}),
        # arguments out of range
        (["case", "list", "--limit", "1e20"], b"", "--limit", {2}),
        (["case", "list", "--limit", "100000000000000000000"], b"", "--limit", {2}),
        (["search", "x", "--limit", "-5"], b"", "--limit", {2}),
        (["case", "list", "--offset", "99999999999999999999999"], b"", "--offset", {2}),
        (["tasks", "--at", "9999-99-99"], b"", "", {1}),
        (["review", "--at", "not a date"], b"", "", {1}),
        (["report", "satisfaction", "--from", "2025-13-45"], b"", "", {1}),
        # exports and files
        (["case", "export", ws.attachment_id, str(missing)], b"", "does not exist", {1}),
        (["document", "receipt", ws.case_id, "--pdf", str(missing)], b"", "does not exist", {1}),
        (["case", "new", "--type", "incident", "--file", str(ws.root / "nope.json")], b"", "", {1}),
        (["case", "attach", ws.case_id, str(ws.root / "nope.jpg")], b"", "", {1}),
        (["case", "new", "--type", "incident"], b"", "No JSON", {1}),
        (["case", "new", "--type", "incident"], b"[1, 2]", "", {1}),
        # an import refused mid-way: the progress bar is for terminals, the error is alone
        (["case", "import", "-", "--type", "incident"], b'{"title": []}', "Record 1", {1}),
        (["case", "show", "../../etc/passwd"], b"", "", {1}),
        (["case", "export", "../../notebook", str(ws.cwd / "x")], b"", "", {1}),
    ]
    for args, stdin, says, codes, *env in cases:
        err = check_refused(ws, args, stdin, env[0] if env else None, codes)
        assert says in err, (args, err)


# -- random inputs ---------------------------------------------------------------------------

COMMANDS = [
    ["case", "new", "--type", "incident"],
    ["case", "new", "--type", "missing_person"],
    ["case", "update", "{case}"],
    ["case", "entry", "{case}", "ledger", "text"],
    ["task", "done", "0" * 32],
    ["case", "import", "-", "--type", "incident"],
    ["settings", "set", "callbacks.enabled", "--value", "{json}"],
    ["case", "resolve", "{case}", "title", "--value", "{json}"],
    ["case", "list", "--limit", "{word}"],
    ["search", "{word}", "--limit", "{word}"],
    ["tasks", "--at", "{word}"],
    ["report", "{word}", "--from", "{word}"],
    ["case", "status", "{case}", "{word}"],
    ["case", "show", "{word}"],
    ["document", "{word}", "{case}", "--pdf", "{path}"],
    ["case", "export", "{attachment}", "{path}"],
]
WORDS = [
    "1e20",
    "-1",
    "NaN",
    "９９",
    "2025-02-30",
    "../..",
    "",
    "张三",
    "x" * 5000,
    "--",
    "-",
    "\U0001f600",
]


def random_json(rng: random.Random) -> bytes:
    depth = rng.choice([1, 2, 70, 5000])
    pieces = [
        b'{"title": ' + b"[" * depth + b"]" * depth + b"}",
        b'{"title": "' + bytes(rng.randrange(256) for _ in range(8)) + b'"}',
        b'{"title": "\\ud8' + rng.choice([b"00", b"ff"]) + b'"}',
        b'{"title": ' + rng.choice([b"Infinity", b"-Infinity", b"1e400", b"true"]) + b"}",
        b'{"title": "x"' + rng.choice([b"", b",", b"]", b"}}"]),
        json.dumps({"title": "x", "extra": {"deep": [1, 2, {}]}}).encode(),
        "\n".join(['{"title": "一"}', "{", "[]"]).encode(rng.choice(["utf-8", "gbk", "utf-16"])),
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))),
    ]
    return rng.choice(pieces)


def random_invocation(rng: random.Random, ws: Workspace) -> tuple[list, bytes]:
    words = [*WORDS, BAD_UTF8, "\udcff"]
    args: list = []
    for part in rng.choice(COMMANDS):
        if part == "{case}":
            args.append(rng.choice([ws.case_id, ws.case_id[:-1], rng.choice(words)]))
        elif part == "{attachment}":
            args.append(rng.choice([ws.attachment_id, rng.choice(words)]))
        elif part == "{word}":
            args.append(rng.choice(words))
        elif part == "{json}":
            args.append(random_json(rng))
        elif part == "{path}":
            args.append(str(ws.root / "exports" / rng.choice(["a", "b"]) / "out.pdf"))
        else:
            args.append(part)
    if rng.random() < 0.2:
        args.append(rng.choice(["--json", "--force", "--nope", BAD_UTF8]))
    return args, random_json(rng)


def fuzz(ws: Workspace, examples: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(examples):
        args, stdin = random_invocation(rng, ws)
        before = ws.snapshot()
        code, _out, err = ws.run(args, stdin)
        shown = f"{args!r} <- {stdin[:80]!r} -> {code}: {err[-500:]!r}"
        assert "Traceback" not in err and "Unexpected error" not in err, shown
        if code != 0:
            assert code in REFUSED, shown
            assert err.startswith("Error: ") and err.count("\n") == 1, shown
            assert ws.snapshot() == before, f"wrote something: {shown}"


def test_random_malformed_input(workspace):
    fuzz(workspace, examples=4, seed=20260412)


@pytest.mark.slow
def test_random_malformed_input_long(workspace):
    fuzz(workspace, int(os.environ.get("CASEBOOK_CLI_FUZZ_EXAMPLES", "300")), seed=7)
