"""Plugins get a capability, not the notebook: a read-only context, a guard that refuses
writes and keys while a plugin runs, a contract on what they return, and a time budget."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casebook import (
    Alert,
    DocumentSpec,
    Finding,
    Notebook,
    PluginContext,
    PluginPermissionError,
    Report,
    ReportSpec,
    SettingSpec,
    TaskSpec,
    hookimpl,
    plugin_host,
)
from casebook.publishing import public_key_of
from tests.conftest import PASSPHRASE

NOT_ON_THE_CONTEXT = (
    "conn",
    "device_signing_key",
    "device_exchange_key",
    "keyfile",
    "create_case",
    "update_case",
    "add_entry",
    "set_setting",
    "complete_task",
)


def write_attempts(nb: Notebook, case_id: str, entry_id: str, task_id: str, tmp_path) -> dict:
    """Every way to change the notebook or read its keys, with arguments that would work."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    return {
        "create_case": lambda: nb.create_case("incident", {"title": "PLUGIN"}),
        "import_cases": lambda: nb.import_cases([("incident", {"title": "PLUGIN"})]),
        "update_case": lambda: nb.update_case(case_id, {"summary": "PLUGIN-TAMPERED"}),
        "set_status": lambda: nb.set_status(case_id, "closed"),
        "delete_case": lambda: nb.delete_case(case_id),
        "add_entry": lambda: nb.add_entry(case_id, "note", "PLUGIN"),
        "edit_entry": lambda: nb.edit_entry(case_id, entry_id, "PLUGIN"),
        "delete_entry": lambda: nb.delete_entry(case_id, entry_id),
        "attach": lambda: nb.attach(case_id, photo),
        "complete_task": lambda: nb.complete_task(task_id, {}),
        "review": lambda: nb.review(case_id),
        "set_setting": lambda: nb.set_setting("legal_review.acceptance_hours", 240),
        "set_preference": lambda: nb.set_preference("language", "en"),
        "disable_plugin": lambda: nb.disable_plugin("legal_review"),
        "trust_publisher": lambda: nb.trust_publisher(
            "x", public_key_of(Ed25519PrivateKey.generate())
        ),
        "raise_alarm": lambda: nb.raise_alarm("plugin", "PLUGIN"),
        "set_sync_state": lambda: nb.set_sync_state("last_sync_at", "PLUGIN"),
        "rebuild": lambda: nb.rebuild(),
        "lock": lambda: nb.lock(),
        "append an op": lambda: nb.journal.append("case.set", case_id, {"fields": {"x": 1}}),
        "receive ops": lambda: nb.apply_remote_ops([]),
        "session transaction": lambda: nb.session.transaction().__enter__(),
        "session secret": lambda: nb.session.secret("ed25519"),
        "conn": lambda: nb.conn,
        "device_signing_key": lambda: nb.device_signing_key(),
        "device_exchange_key": lambda: nb.device_exchange_key(),
    }


class Intruder:
    """A plugin that tries every write, the connection and the keys, from every hook."""

    casebook_plugin = {"version": "6.6.6", "publisher": "Tests", "api": [2]}

    def __init__(self, tmp_path) -> None:
        self.tmp_path = tmp_path
        self.notebook: Notebook | None = None  # found "by other means"
        self.target: tuple[str, str, str] | None = None
        self.outcomes: dict[str, dict[str, str]] = {}
        self._trying: set[str] = set()

    def attempt(self, where: str, context) -> None:
        if where in self._trying or where in self.outcomes or self.notebook is None:
            return
        self._trying.add(where)  # the attempts call hooks again: try once per hook
        try:
            outcomes = {}
            for name in NOT_ON_THE_CONTEXT:
                outcomes[f"context.{name}"] = "absent" if not hasattr(context, name) else "PRESENT"
            if self.target is not None:
                for name, attempt in write_attempts(
                    self.notebook, *self.target, self.tmp_path
                ).items():
                    try:
                        attempt()
                    except PluginPermissionError:
                        outcomes[name] = "refused"
                    except Exception as error:  # noqa: BLE001 - recorded for the assertion
                        outcomes[name] = f"raised {type(error).__name__}: {error}"
                    else:
                        outcomes[name] = "ALLOWED"
            self.outcomes[where] = outcomes
        finally:
            self._trying.discard(where)

    @hookimpl
    def register_case_types(self, context):
        self.attempt("register_case_types", context)
        return []

    @hookimpl
    def register_case_fields(self, context):
        self.attempt("register_case_fields", context)
        return []

    @hookimpl
    def register_settings(self, context):
        self.attempt("register_settings", context)
        return [SettingSpec(key="intruder.days", title="Days", default=1, schema={})]

    @hookimpl
    def register_outcome_schemas(self, context):
        self.attempt("register_outcome_schemas", context)
        return []

    @hookimpl
    def register_reports(self, context):
        self.attempt("register_reports", context)

        def build(context, start, end):
            self.attempt("report build", context)
            return Report(name="intruder", title="Intruder", summary={})

        return [ReportSpec(name="intruder", title="Intruder", build=build)]

    @hookimpl
    def register_documents(self, context):
        self.attempt("register_documents", context)

        def render(context, case, path):
            self.attempt("document render", context)
            path.write_bytes(b"%PDF-1.4")

        return [DocumentSpec(name="intruder", title="Intruder", case_types=[], render=render)]

    @hookimpl
    def register_gui_panels(self, context):
        self.attempt("register_gui_panels", context)
        return []

    @hookimpl
    def prepare_fields(self, context, case_type, fields):
        self.attempt("prepare_fields", context)

    @hookimpl
    def validate_case(self, context, case):
        self.attempt("validate_case", context)
        return []

    @hookimpl
    def case_saved(self, context, case):
        self.attempt("case_saved", context)

    @hookimpl
    def schedule_tasks(self, context, case):
        self.attempt("schedule_tasks", context)
        due = datetime.fromisoformat(case.created_at) + timedelta(days=1)
        return [TaskSpec(key="check", kind="check", due_at=due.isoformat(), title="Check")]

    @hookimpl
    def task_completed(self, context, task, outcome):
        self.attempt("task_completed", context)
        return []

    @hookimpl
    def find_alerts(self, context, at):
        self.attempt("find_alerts", context)
        return []

    @hookimpl
    def review_case(self, context, case, at):
        self.attempt("review_case", context)
        return []

    @hookimpl
    def register_vocabulary(self):
        # No context at all: the notebook it found "by other means" is all it could use.
        self.attempt("register_vocabulary", None)
        return []


def test_every_write_connection_and_key_is_refused_from_every_hook(notebook, tmp_path):
    case = notebook.create_case("incident", {"title": "张三 纠纷", "summary": "原始摘要"})
    entry = notebook.add_entry(case.id, "note", "记录")
    ops_before = len(notebook.ops_from(notebook.device_id, 0))
    digest_before = notebook.state_digest()
    settings_before = notebook.setting("legal_review.acceptance_hours")
    preference_before = notebook.preference("language")
    intruder = Intruder(tmp_path)
    intruder.notebook = notebook
    # Any task id: the attempt is refused before the task is looked up.
    intruder.target = (case.id, entry.id, "0" * 32)

    # Every hook, the report's build and the document's render, through the notebook.
    notebook.register_plugin("intruder", intruder)  # register_case_types
    notebook.setting_specs()
    notebook.outcome_schemas()
    notebook.validate_fields("incident", {"title": "x"})
    notebook.alerts()
    notebook.plugin_context.review(case.id)
    notebook.build_report("intruder")
    notebook.render_document("intruder", case.id, tmp_path / "doc.pdf")
    notebook.gui_panels()
    notebook.vocabulary()
    assert len(notebook.ops_from(notebook.device_id, 0)) == ops_before
    assert notebook.state_digest() == digest_before
    # The hooks of a save: the officer's own write goes through, the plugin's do not.
    notebook.update_case(case.id, {"location": "广场"})  # schedule_tasks plans the check
    ops_before = len(notebook.ops_from(notebook.device_id, 0))
    task = next(t for t in notebook.tasks(include_upcoming=True) if t.plugin == "intruder")
    notebook.complete_task(task.id, {})

    hooks = set(plugin_host.hookspecs.HOOK_NAMES) - {"register_commands"}
    assert hooks | {"report build", "document render"} <= set(intruder.outcomes)
    for where, outcomes in intruder.outcomes.items():
        for name, outcome in outcomes.items():
            expected = "absent" if name.startswith("context.") else "refused"
            assert outcome == expected, (where, name, outcome)

    # Nothing the plugin tried was written; only the officer's completion of the task.
    written = notebook.ops_from(notebook.device_id, 0)[ops_before:]
    assert {op["kind"] for op in written} <= {"task.done", "task.plan"}
    assert all(op["payload"].get("task_id", task.id) == task.id for op in written)
    shown = notebook.get_case(case.id)
    assert shown.fields["summary"] == "原始摘要" and shown.status == "received"
    assert shown.fields["location"] == "广场" and len(shown.attachments) == 0
    assert "PLUGIN" not in repr(shown.entries)
    assert notebook.setting("legal_review.acceptance_hours") == settings_before
    assert notebook.preference("language") == preference_before and notebook.alarms() == []
    assert notebook.count_cases() == 1

    # The laptop keeps working: the officer writes and the keys are there for sync.
    intruder.notebook = None
    notebook.update_case(case.id, {"summary": "民警修改"})
    assert notebook.get_case(case.id).fields["summary"] == "民警修改"
    assert notebook.device_signing_key() is not None
    assert not notebook.is_locked


def test_the_context_reads_what_a_plugin_needs(notebook, tmp_path):
    case = notebook.create_case("incident", {"title": "张三 纠纷"})
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo")
    attachment = notebook.attach(case.id, photo)
    seen = {}

    class Reader:
        casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

        @hookimpl
        def find_alerts(self, context, at):
            seen["type"] = type(context)
            seen["case"] = context.get_case(case.id).title
            seen["iter"] = [c.id for c in context.iter_cases()]
            seen["count"] = context.count_cases()
            seen["search"] = [s.id for s in context.search("张三")]
            seen["photo"] = context.read_attachment(attachment.id)
            seen["setting"] = context.setting("legal_review.acceptance_hours")
            seen["review"] = [r.case_id for r in context.review(case.id, at)]
            seen["officer"] = context.officer["officer_id"]
            seen["types"] = "incident" in context.case_types()
            seen["now"] = context.now().tzinfo is not None
            return []

    notebook.register_plugin("reader", Reader())
    ops_before = len(notebook.ops_from(notebook.device_id, 0))
    notebook.alerts()
    assert seen == {
        "type": PluginContext,
        "case": "张三 纠纷",
        "iter": [case.id],
        "count": 1,
        "search": [case.id],
        "photo": photo.read_bytes(),
        "setting": 24,
        "review": [case.id],
        "officer": "0001",
        "types": True,
        "now": True,
    }
    # The context's review is computed, not recorded.
    assert len(notebook.ops_from(notebook.device_id, 0)) == ops_before


class Overreaching:
    """Results outside the contract, next to one that keeps it."""

    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def register_settings(self, context):
        return [
            SettingSpec(key="acceptance_hours", title="x", default=1, schema={}),
            SettingSpec(key="overreaching.days", title="x", default=1, schema={}),
        ]

    @hookimpl
    def review_case(self, context, case, at):
        return [
            Finding(rule="filing_overdue", severity="error", message="another's rule", points=5),
            Finding(rule="legal_review.x", severity="error", message="another's prefix"),
            Finding(rule="overreaching.a", severity="bogus", message="unknown severity"),
            Finding(rule="overreaching.b", severity="warning", message="too many", points=500),
            Finding(rule="overreaching.c", severity="warning", message="kept", points=3),
        ]

    @hookimpl
    def find_alerts(self, context, at):
        return [Alert(kind="x", case_ids=[], message="m", severity="apocalyptic")]


def test_the_host_refuses_results_outside_the_contract(notebook, notebook_dir, caplog):
    case = notebook.create_case("incident", {"title": "案件"})
    notebook.register_plugin("overreaching", Overreaching())
    keys = {spec.key for spec in notebook.setting_specs()}
    assert "overreaching.days" in keys and "acceptance_hours" not in keys
    with caplog.at_level(logging.WARNING, logger="casebook.plugins"):
        [result] = notebook.review(case.id)
        assert [a for a in notebook.alerts() if a.plugin == "overreaching"] == []
    mine = [f for f in result.findings if f.plugin == "overreaching"]
    assert [(f.rule, f.points) for f in mine] == [("overreaching.c", 3)]
    # The legal review plugin's own findings keep their bare rule ids.
    assert all(f.plugin == "legal_review" for f in result.findings if "." not in f.rule)

    [info] = [p for p in notebook.plugins() if p.name == "overreaching"]
    refused = "\n".join(info.refusals)
    for subject in (
        "setting acceptance_hours",
        "rule filing_overdue",
        "rule legal_review.x",
        "severity bogus",
        "points of overreaching.b",
        "severity apocalyptic",
    ):
        assert subject in refused
        assert any(subject in record.getMessage() for record in caplog.records)
    assert not info.errors
    # Kept in the notebook: another process (the CLI) lists them too.
    notebook.close()
    again = Notebook.open(notebook_dir, PASSPHRASE)
    try:
        [kept] = [p for p in again.plugins() if p.name == "legal_review"]
        assert kept.refusals == []
        stored = again.session.query(
            "SELECT subject FROM plugin_notices WHERE plugin = 'overreaching'"
        )
        assert {"rule filing_overdue", "severity bogus"} <= {row[0] for row in stored}
    finally:
        again.close()


def test_two_plugins_cannot_declare_the_same_bare_rule(notebook):
    class Claimant:
        casebook_plugin = {"version": "1", "publisher": "T", "api": [2], "rules": ["no_receipt"]}

        @hookimpl
        def review_case(self, context, case, at):
            return [Finding(rule="no_receipt", severity="warning", message="claimed")]

    case = notebook.create_case("incident", {"title": "案件"})
    notebook.register_plugin("claimant", Claimant())
    [result] = notebook.review(case.id)
    assert [f for f in result.findings if f.plugin == "claimant"] == []
    [info] = [p for p in notebook.plugins() if p.name == "claimant"]
    assert any("legal_review" in refusal for refusal in info.refusals)


def test_a_slow_hook_is_named_with_its_time(notebook, notebook_dir, monkeypatch, caplog):
    class Slow:
        casebook_plugin = {"version": "1", "publisher": "T", "api": [2]}

        @hookimpl
        def review_case(self, context, case, at):
            return []

    # A budget of 0 ms: every call is over it, without making the test wait.
    monkeypatch.setitem(plugin_host.HOOK_BUDGET_MS, "review_case", 0)
    case = notebook.create_case("incident", {"title": "案件"})
    notebook.register_plugin("slow", Slow())
    with caplog.at_level(logging.WARNING, logger="casebook.plugins"):
        notebook.review(case.id)
    [info] = [p for p in notebook.plugins() if p.name == "slow"]
    [slow] = info.slow_hooks
    assert slow["hook"] == "review_case" and slow["budget_ms"] == 0 and slow["ms"] >= 0
    assert any("slow" in r.getMessage() and "review_case" in r.getMessage() for r in caplog.records)
    assert not info.errors


def test_a_plugin_asking_for_the_notebook_is_refused_with_a_clear_message(notebook):
    class OldStyle:
        casebook_plugin = {"version": "1", "publisher": "T", "api": [2]}

        @hookimpl
        def review_case(self, notebook, case, at):
            return []

    notebook.register_plugin("old_style", OldStyle())
    [info] = [p for p in notebook.plugins() if p.name == "old_style"]
    assert "review_case" in info.refused and "'notebook'" in info.refused
    assert "'context'" in info.refused


@pytest.mark.parametrize("api", [[1], [1, 2]])
def test_the_host_api_version_is_2(notebook, api):
    class Plugin:
        casebook_plugin = {"version": "1", "publisher": "T", "api": api}

        @hookimpl
        def find_alerts(self, context, at):
            return []

    notebook.register_plugin("versioned", Plugin())
    [info] = [p for p in notebook.plugins() if p.name == "versioned"]
    assert bool(info.refused) == (2 not in api)


def test_a_generator_hook_runs_under_the_guard(notebook):
    attempts = []

    class Lazy:
        casebook_plugin = {"version": "1", "publisher": "T", "api": [2]}

        def __init__(self, nb):
            self.nb = nb

        @hookimpl
        def schedule_tasks(self, context, case):
            try:  # runs only when the host reads the generator
                self.nb.add_entry(case.id, "note", "PLUGIN")
            except PluginPermissionError:
                attempts.append("refused")
            yield TaskSpec(key="k", kind="check", due_at=case.created_at)

    notebook.register_plugin("lazy", Lazy(notebook))
    case = notebook.create_case("incident", {"title": "x"})
    assert attempts == ["refused"]
    assert [e for e in notebook.get_case(case.id).entries if e.text == "PLUGIN"] == []
    assert [t.plugin for t in notebook.tasks(include_upcoming=True)].count("lazy") == 1
