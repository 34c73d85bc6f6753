"""A plugin that raises in every hook leaves every command working and is reported."""

from __future__ import annotations

import json
from pathlib import Path

from casebook import hookspecs

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_exploding_plugin_is_reported_and_everything_works(run_cli, tmp_path):
    assert (
        run_cli(
            "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
        ).code
        == 0
    )
    install = run_cli(
        "plugins", "install", str(FIXTURES / "exploding_plugin.py"), "--allow-unsigned"
    )
    assert install.code == 0, install

    # By default a failing validate_case refuses the save (fail closed), naming the plugin.
    refused = run_cli("case", "new", "--type", "incident", input='{"title": "张三 纠纷"}')
    assert refused.code == 1 and "exploding_plugin" in refused.err, refused
    assert "Traceback" not in refused.err
    assert run_cli("case", "list", "--json").json() == []
    # The station may let saves through when a check fails; everything else keeps working.
    assert run_cli("settings", "set", "casebook.failed_check", "--value", '"allow"').code == 0
    case_id = run_cli(
        "case", "new", "--type", "incident", input='{"title": "张三 纠纷"}'
    ).out.strip()
    assert len(case_id) == 32
    # The plugin's error list keeps the latest errors: check the save's own hooks now.
    listed = {p["name"]: p for p in run_cli("plugins", "list", "--json").json()}
    saved_hooks = {error.split(":")[0] for error in listed["exploding_plugin"]["errors"]}
    assert {"prepare_fields", "validate_case", "case_saved"} <= saved_hooks
    outcome = tmp_path / "fields.json"
    outcome.write_text(json.dumps({"location": "广场"}), encoding="utf-8")
    commands = [
        ("case", "show", case_id, "--json"),
        ("case", "update", case_id, "--file", str(outcome)),
        ("case", "note", case_id, "记录"),
        ("case", "status", case_id, "accepted"),
        ("case", "list", "--json"),
        ("search", "张三", "--json"),
        ("tasks", "--json"),
        ("alerts", "--json"),
        ("review", "--json"),
        ("review", case_id, "--json"),
        ("report", "--json"),
        ("settings", "list", "--json"),
        ("conflicts", "--json"),
        ("audit", "verify"),
        ("rebuild",),
        ("alarms", "--json"),
    ]
    for command in commands:
        result = run_cli(*command)
        assert result.code == 0, (command, result)
        assert "Traceback" not in result.err

    listed = {p["name"]: p for p in run_cli("plugins", "list", "--json").json()}
    exploding = listed["exploding_plugin"]
    assert exploding["trust"] == "unsigned"
    failed_hooks = {error.split(":")[0] for error in exploding["errors"]}
    assert {
        "register_case_types",
        "register_case_fields",
        "validate_case",
        "case_saved",
        "schedule_tasks",
        "find_alerts",
        "review_case",
    } <= failed_hooks
    assert all(not p["errors"] for name, p in listed.items() if name != "exploding_plugin")
    shown = run_cli("case", "show", case_id, "--json").json()
    assert shown["fields"]["location"] == "广场" and shown["status"] == "accepted"


def test_every_hook_of_the_fixture_raises():
    """The fixture covers every hook, so the test above exercises every guard."""
    source = (FIXTURES / "exploding_plugin.py").read_text()
    for name in hook_names():
        assert f"def {name}(" in source, name


def test_incompatible_plugin_is_refused_with_a_clear_message(run_cli):
    assert (
        run_cli(
            "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
        ).code
        == 0
    )
    result = run_cli(
        "plugins", "install", str(FIXTURES / "wrong_api_plugin.py"), "--allow-unsigned"
    )
    assert result.code == 1
    assert "99" in result.err and "API" in result.err
    names = [p["name"] for p in run_cli("plugins", "list", "--json").json()]
    assert "wrong_api_plugin" not in names


def hook_names() -> list[str]:
    return sorted(
        name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "casebook_spec")
    )


def test_refused_results_are_listed_by_plugins_list(run_cli):
    assert (
        run_cli(
            "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
        ).code
        == 0
    )
    install = run_cli(
        "plugins", "install", str(FIXTURES / "overreaching_plugin.py"), "--allow-unsigned"
    )
    assert install.code == 0, install
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "纠纷"}').out.strip()
    review = run_cli("review", case_id, "--json").json()
    mine = [f for f in review["findings"] if f["plugin"] == "overreaching_plugin"]
    assert [f["rule"] for f in mine] == ["overreaching_plugin.c"]
    settings = run_cli("settings", "list", "--json").json()
    assert "legal_review.acceptance_hours" in {s["key"] for s in settings}
    assert "acceptance_hours" not in {s["key"] for s in settings}

    listed = {p["name"]: p for p in run_cli("plugins", "list", "--json").json()}
    refusals = "\n".join(listed["overreaching_plugin"]["refusals"])
    for subject in (
        "setting acceptance_hours",
        "rule filing_overdue",
        "severity bogus",
        "points of overreaching_plugin.b",
    ):
        assert subject in refusals
    assert listed["overreaching_plugin"]["errors"] == []
    assert all(not p["refusals"] for name, p in listed.items() if name != "overreaching_plugin")
    text = run_cli("plugins", "list").out
    assert "refused result: rule filing_overdue" in text
