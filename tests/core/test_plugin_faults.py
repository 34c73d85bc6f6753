"""Plugins that exit, are interrupted, re-enter a save or kill the process on import: the
write commits whole or not at all, and ``plugins disable`` still works."""

from __future__ import annotations

import sys
import textwrap

from casebook import TaskSpec, hookimpl
from tests.conftest import cli_env


class Exiting:
    """``sys.exit`` and an interrupt from hooks, after and inside the save's transaction."""

    casebook_plugin = {"version": "1", "api": [2]}

    @hookimpl
    def case_saved(self, context, case):
        sys.exit(9)

    @hookimpl
    def schedule_tasks(self, context, case):
        raise KeyboardInterrupt


class Planner:
    casebook_plugin = {"version": "1", "api": [2]}

    @hookimpl
    def schedule_tasks(self, context, case):
        return [TaskSpec(key="call", kind="callback", title="回访", due_at="2030-01-01T09:00")]


def test_exit_and_interrupt_inside_hooks_are_contained(notebook):
    notebook.register_plugin("exiting", Exiting())
    notebook.register_plugin("planner", Planner())

    created = notebook.create_case("incident", {"title": "张三 纠纷"})

    # The case, with the other plugin's plan, was committed whole; the command went on.
    assert notebook.get_case(created.id).title == "张三 纠纷"
    assert [t.title for t in notebook.tasks(include_upcoming=True, case_id=created.id)] == ["回访"]
    errors = next(p for p in notebook.plugins() if p.name == "exiting").errors
    assert any("case_saved: SystemExit" in e for e in errors), errors
    assert any("schedule_tasks: KeyboardInterrupt" in e for e in errors), errors
    assert notebook.verify_audit()["ops"] >= 2


class Reentrant:
    """Tries to save again from ``case_saved``, with a notebook it got hold of."""

    casebook_plugin = {"version": "1", "api": [2]}

    def __init__(self) -> None:
        self.notebook = None

    @hookimpl
    def case_saved(self, context, case):
        self.notebook.add_entry(case.id, "note", "again")


def test_a_reentrant_save_is_refused_and_reported(notebook):
    plugin = Reentrant()
    plugin.notebook = notebook
    notebook.register_plugin("reentrant", plugin)

    created = notebook.create_case("incident", {"title": "一次"})

    assert notebook.get_case(created.id).entries == []
    errors = next(p for p in notebook.plugins() if p.name == "reentrant").errors
    assert any("PluginPermissionError" in e for e in errors), errors


KILLER = textwrap.dedent(
    """
    import os

    from casebook import hookimpl

    if os.environ.get("KILL_ON_IMPORT"):
        os._exit(42)

    casebook_plugin = {"version": "1", "api": [2]}


    @hookimpl
    def case_saved(context, case):
        pass
    """
)


def test_plugins_disable_works_when_an_import_kills_the_process(run_cli, notebook_dir, tmp_path):
    assert (
        run_cli(
            "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
        ).code
        == 0
    )
    plugin = tmp_path / "killer.py"
    plugin.write_text(KILLER, encoding="utf-8")
    assert run_cli("plugins", "install", str(plugin), "--allow-unsigned").code == 0
    killing = cli_env(notebook_dir, KILL_ON_IMPORT="1")
    assert run_cli("case", "list", env=killing).code == 42  # what officers met

    disabled = run_cli("plugins", "disable", "killer", env=killing)
    assert disabled.code == 0, disabled

    assert run_cli("case", "list", env=killing).code == 0
    created = run_cli("case", "new", "--type", "incident", input='{"title": "x"}', env=killing)
    assert created.code == 0, created
    listed = {p["name"]: p for p in run_cli("plugins", "list", "--json", env=killing).json()}
    assert listed["killer"]["enabled"] is False
    assert run_cli("plugins", "enable", "killer").code == 0
    assert run_cli("case", "list").code == 0
    assert run_cli("plugins", "disable", "no_such_plugin", env=killing).code == 1
