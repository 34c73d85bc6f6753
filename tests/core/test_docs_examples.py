"""Every Python example of docs/plugin_hooks.md and docs/api.md runs, as a plugin installed
into a real notebook: the examples are read from the Markdown, so the docs cannot drift.

A block whose first line is ``# <name>.py`` starts a plugin file; the blocks after it, up to
the next such line, are appended to it (each block carries its own imports)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from casebook import InvalidInputError, Notebook
from casebook.plugin_host import PluginHost, load_module_from_file
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).parent.parent.parent
DOCS = ("plugin_hooks.md", "api.md")
BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)
FILE_LINE = re.compile(r"^# (\w+)\.py\n")


def doc_plugins(doc: str) -> dict[str, str]:
    """``{file name: source}`` of the plugins a document's examples make up."""
    plugins: dict[str, list[str]] = {}
    current = None
    for block in BLOCK.findall((ROOT / "docs" / doc).read_text(encoding="utf-8")):
        named = FILE_LINE.match(block)
        if named:
            current = named.group(1)
        assert current is not None, f"{doc}: an example before the first '# <name>.py' block"
        plugins.setdefault(current, []).append(block)
    return {name: "\n\n".join(blocks) for name, blocks in plugins.items()}


def install(notebook: Notebook, folder: Path, name: str, source: str):
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    info = notebook.install_plugin(path, allow_unsigned=True)
    assert not info.refused and not info.errors, info
    return path


def no_plugin_trouble(notebook: Notebook, name: str) -> None:
    info = {p.name: p for p in notebook.plugins()}[name]
    assert (info.errors, info.refusals, info.refused) == ([], [], ""), info


def test_every_example_block_belongs_to_a_plugin():
    blocks = sum(
        len(BLOCK.findall((ROOT / "docs" / doc).read_text(encoding="utf-8"))) for doc in DOCS
    )
    joined = sum(source.count("@hookimpl") for doc in DOCS for source in doc_plugins(doc).values())
    assert blocks >= 18 and joined >= blocks - 1  # every block but none defines a hook


def test_the_plugin_hooks_examples_run_as_one_plugin(notebook: Notebook, tmp_path: Path):
    plugins = doc_plugins("plugin_hooks.md")
    assert list(plugins) == ["lost_items"]
    install(notebook, tmp_path, "lost_items", plugins["lost_items"])
    nb = notebook
    info = {p.name: p for p in nb.plugins()}["lost_items"]
    assert info.title == "Lost and found"

    # register_case_types, register_case_fields, prepare_fields
    assert "lost_item" in nb.case_types()
    assert "lost_value" in nb.case_types()["incident"]["properties"]
    wallet = nb.create_case("lost_item", {"item": "  钱包  "})
    assert wallet.fields["item"] == "钱包"
    assert nb.create_case("incident", {"title": "遗失", "lost_value": 300}).fields["lost_value"]
    # validate_case
    with pytest.raises(InvalidInputError, match="1000"):
        nb.create_case("lost_item", {"item": "金条", "value": 5000})
    # register_settings, schedule_tasks, register_outcome_schemas, task_completed
    assert nb.setting("lost_items.return_days") == 3
    due = datetime.fromisoformat(wallet.created_at) + timedelta(days=3)
    [task] = nb.tasks(due, case_id=wallet.id)
    assert task.kind == "callback" and "lost_items.return" in nb.outcome_schemas()
    nb.complete_task(task.id, {"returned": False})
    assert "失主未取回，另行通知" in [e.text for e in nb.get_case(wallet.id).entries]
    # review_case
    [result] = nb.review(wallet.id)
    assert [f.rule for f in result.findings if f.plugin == "lost_items"] == [
        "lost_items.value_missing"
    ]
    assert result.warnings == []
    # register_reports, register_documents, register_gui_panels
    assert nb.build_report("lost_items").summary == {"count": 1}
    pdf = nb.render_document("label", wallet.id, tmp_path / "label.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert [p.name for p in nb.gui_panels() if p.plugin == "lost_items"] == ["lost"]
    # find_alerts
    assert [a for a in nb.alerts() if a.plugin == "lost_items"] == []
    nb.import_cases(("lost_item", {"item": f"伞{i}"}) for i in range(49))
    assert [a.kind for a in nb.alerts() if a.plugin == "lost_items"] == ["backlog"]
    # register_vocabulary
    assert nb.vocabulary().label("report_key", "by_place") == "By place"
    assert nb.vocabulary().role("daily_summary").report == "lost_items"
    no_plugin_trouble(nb, "lost_items")


def test_the_register_commands_example_adds_a_working_command(
    notebook_dir: Path, notebook: Notebook, tmp_path: Path, monkeypatch
):
    """Commands need a package: here the module is registered as one would be."""
    path = tmp_path / "lost_items.py"
    path.write_text(doc_plugins("plugin_hooks.md")["lost_items"], encoding="utf-8")
    notebook.close()
    host = PluginHost()
    host.register_module("lost_items", load_module_from_file("lost_items", path, "docs_example"))

    @click.group()
    @click.option("--notebook")
    def cli(notebook):
        pass

    host.call("register_commands", cli=cli)
    monkeypatch.setenv("CASEBOOK_PASSPHRASE", PASSPHRASE)
    with Notebook.open(notebook_dir, PASSPHRASE, load_plugins=False) as nb:
        nb.import_cases([("incident", {"title": "x"})])
    result = CliRunner().invoke(cli, ["--notebook", str(notebook_dir), "lost-count"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0"  # no lost_item cases: the type is the plugin's


def test_the_api_examples_run_as_plugins(notebook: Notebook, tmp_path: Path):
    plugins = doc_plugins("api.md")
    assert list(plugins) == ["case_facts"]
    install(notebook, tmp_path, "case_facts", plugins["case_facts"])
    case = notebook.create_case("incident", {"title": "无记录"})
    later = datetime.fromisoformat(case.created_at) + timedelta(days=8)
    [result] = notebook.review(case.id, later.isoformat())
    [finding] = [f for f in result.findings if f.plugin == "case_facts"]
    assert finding.rule == "case_facts.no_note" and "无记录（0001，滨湖派出所）" in finding.message
    notebook.add_entry(case.id, "note", "已电话联系")
    [result] = notebook.review(case.id, later.isoformat())
    assert [f for f in result.findings if f.plugin == "case_facts"] == []
    no_plugin_trouble(notebook, "case_facts")
