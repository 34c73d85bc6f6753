"""One input convention: every command that takes JSON reads ``--file FILE``, or stdin when
``--file`` is absent or ``-`` (``task done`` used to ignore stdin and record ``{}``)."""

from __future__ import annotations

import json

import click
import pytest

from tests.conftest import cli_env
from tests.plugins.workflow_data import PASSPHRASE, incident, tasks_of


@pytest.fixture
def run_cli(run_cli, notebook_path):
    """The core's CLI runner (it takes stdin), with this folder's passphrase."""

    def run(*args: str, input: str | None = None):
        return run_cli(
            *args, input=input, env=cli_env(notebook_path, CASEBOOK_PASSPHRASE=PASSPHRASE)
        )

    return run


def test_task_done_reads_its_outcome_from_stdin(nb, run_cli):
    case = nb.create_case("incident", incident(channel="walk_in"))
    callbacks = [
        t for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True) if t.kind == "callback"
    ]
    assert len(callbacks) == 1
    nb.lock()
    outcome = {"reached": True, "satisfaction": "satisfied", "comment": "满意"}
    done = run_cli("task", "done", callbacks[0].id, input=json.dumps(outcome, ensure_ascii=False))
    assert done.code == 0, done
    nb.unlock(PASSPHRASE)
    entry = next(e for e in nb.get_case(case.id).entries if e.kind == "callback")
    assert entry.data["satisfaction"] == "satisfied" and entry.data["comment"] == "满意"


def test_file_dash_and_no_file_both_mean_stdin(nb, run_cli, tmp_path):
    case = nb.create_case("incident", incident(channel="call_110"))
    nb.lock()
    assert run_cli("case", "update", case.id, "--file", "-", input='{"location": "甲"}').code == 0
    shown = run_cli("case", "show", case.id, "--json").json()
    assert shown["fields"]["location"] == "甲"
    assert run_cli("case", "update", case.id, input='{"location": "乙"}').code == 0
    entry = run_cli("case", "entry", case.id, "ledger", "调取监控", input='{"camera": 3}')
    assert entry.code == 0, entry
    file = tmp_path / "fields.json"
    file.write_text('{"location": "丙"}', encoding="utf-8")
    assert run_cli("case", "update", case.id, "--file", str(file)).code == 0
    nb.unlock(PASSPHRASE)
    case = nb.get_case(case.id)
    assert case.fields["location"] == "丙"
    assert next(e for e in case.entries if e.kind == "ledger").data == {"camera": 3}


def test_an_entry_without_json_has_no_data(nb, run_cli):
    case = nb.create_case("incident", incident(channel="call_110"))
    nb.lock()
    assert run_cli("case", "entry", case.id, "action", "出警", input="").code == 0
    nb.unlock(PASSPHRASE)
    assert next(e for e in nb.get_case(case.id).entries if e.kind == "action").data in ({}, None)


def test_every_json_file_option_is_the_same_option():
    from casebook.cli import _register_extensions, cli

    _register_extensions()
    found = []

    def walk(command: click.Command, path: str) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and "--file" in param.opts:
                found.append(path)
                assert param.type.allow_dash, path
                assert "stdin" in (param.help or ""), path
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(cli, "casebook")
    assert {
        "casebook case new",
        "casebook case update",
        "casebook case entry",
        "casebook task done",
        "casebook case resolve",
        "casebook settings set",
    } <= set(found)


def test_settings_take_their_value_inline_or_by_the_convention(nb, run_cli):
    nb.lock()
    assert run_cli("settings", "set", "station.phone", input='"0510-85212110"').code == 0
    assert run_cli("settings", "set", "station.phone", "--value", '"110"').code == 0
    both = run_cli("settings", "set", "station.phone", "--value", '"1"', "--file", "-")
    assert both.code == 2 and "not both" in both.err
    nb.unlock(PASSPHRASE)
    assert nb.setting("station.phone") == "110"
