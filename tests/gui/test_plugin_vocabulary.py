"""The GUI knows no plugin by name: a plugin it has never seen shows its report, task and
alert labelled in Chinese and English from its own vocabulary and catalog; reading the
Review page writes nothing; screens need only the narrow app context."""

from __future__ import annotations

import ast
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

import casebook.gui
from casebook import Finding, Report, ReportSpec, ReviewResult, TaskSpec, Vocabulary, hookimpl
from casebook.clock import format_datetime, now
from casebook.demo import load_demo
from casebook.i18n import N_, gettext_for
from casebook.models import Alert

pytestmark = pytest.mark.gui

GUI_DIR = Path(casebook.gui.__file__).parent
_ = gettext_for("lost-found", Path(__file__).parent / "fixtures" / "locale")


class LostAndFound:
    """A plugin the GUI has never heard of: a case type, a task, an alert, a report."""

    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def register_case_types(self):
        return [
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "x-casebook-type": "lost_item",
                "x-title": "item",
                "x-labels": {"zh_CN": {"item": "物品"}, "en": {"item": "Item"}},
                "x-enum-labels": {
                    "zh_CN": {"place": {"station": "所内", "street": "街面"}},
                    "en": {"place": {"station": "Station", "street": "Street"}},
                },
                "type": "object",
                "required": ["item"],
                "properties": {
                    "item": {"type": "string"},
                    "place": {"enum": ["station", "street"]},
                },
            }
        ]

    @hookimpl
    def schedule_tasks(self, case):
        if case.type != "lost_item":
            return []
        due = format_datetime(now() - timedelta(hours=2))
        return [
            TaskSpec(
                key="return",
                kind="return_item",
                due_at=due,
                title=_("Return {item} to its owner").format(item=case.fields["item"]),
            )
        ]

    @hookimpl
    def find_alerts(self, context):
        count = context.count_cases(case_type="lost_item")
        message = _("{count} items wait for their owner").format(count=count)
        return [Alert(kind="unclaimed", case_ids=[], message=message)] if count else []

    @hookimpl
    def register_reports(self):
        def build(context, start, end):
            cases = list(context.iter_cases(case_type="lost_item"))
            by_place: dict[str, int] = {}
            for case in cases:
                place = case.fields.get("place", "station")
                by_place[place] = by_place.get(place, 0) + 1
            return Report(
                name="lost_today",
                title=_("Lost and found: today"),
                summary={"lost_count": len(cases), "by_place": by_place},
            )

        return [ReportSpec(name="lost_today", title=_("Lost and found: today"), build=build)]

    @hookimpl
    def register_vocabulary(self):
        return [
            Vocabulary(
                report_keys={"lost_count": N_("Lost items"), "by_place": N_("By place")},
                task_kinds={"return_item": N_("Return the item")},
                alert_kinds={"unclaimed": N_("Unclaimed backlog")},
                enums={"place": {"station": N_("At the station"), "street": N_("In the street")}},
                key_enums={"by_place": "place"},
                roles={"daily_summary": "lost_today"},
                translate=_,
            )
        ]


@pytest.fixture
def lost_and_found(notebook):
    # The missing-persons plugin declares the daily summary too; the first one wins.
    notebook.disable_plugin("missing_persons")
    notebook.register_plugin("lost_and_found", LostAndFound())
    notebook.create_case("lost_item", {"item": "钱包", "place": "street"})
    notebook.create_case("lost_item", {"item": "雨伞", "place": "street"})
    notebook.create_case("lost_item", {"item": "钥匙", "place": "station"})
    return notebook


def label_texts(frame) -> list[str]:
    texts = []
    for child in frame.winfo_children():
        try:
            texts.append(str(child.cget("text")))
        except Exception:  # noqa: BLE001 - frames have no text
            pass
        texts += label_texts(child)
    return texts


@pytest.mark.parametrize(
    "lang, expected",
    [
        (
            "zh_CN",
            {
                "task": "归还失物",
                "alert": "积压未领",
                "count": "失物件数",
                "detail": ["按拾得地点", "街面拾得", "2", "所内拾得", "1"],
            },
        ),
        (
            "en",
            {
                "task": "Return the item",
                "alert": "Unclaimed backlog",
                "count": "Lost items",
                "detail": ["By place", "In the street", "2", "At the station", "1"],
            },
        ),
    ],
)
def test_a_new_plugin_is_labelled_in_the_officers_language(
    make_app, lost_and_found, language, lang, expected
):
    language(lang)
    driver = make_app(notebook=lost_and_found)
    today = driver.shell.show_page("today")
    driver.wait_for(lambda: today.loaded)
    kinds = [today.task_tree.item(i, "values")[2] for i in today.task_tree.get_children()]
    assert expected["task"] in kinds
    alerts = [today.alert_tree.item(i, "values")[1] for i in today.alert_tree.get_children()]
    assert alerts == [expected["alert"]]
    # The daily summary is the report that declares the role, shown with its labels.
    assert expected["count"] in label_texts(today.summary_frame)

    reports = driver.shell.show_page("reports")
    index = [spec.name for spec in reports.specs].index("lost_today")
    reports.report_box.current(index)
    reports.on_report_chosen()
    reports.on_build()
    driver.wait_for(lambda: reports.report is not None and reports.report.name == "lost_today")
    texts = reports.texts()
    assert expected["count"] in texts
    # A nested group is a small table of labelled codes, never a line of dictionary text.
    title, *cells = expected["detail"]
    assert title in texts and all(cell in texts for cell in cells), texts
    assert not [text for text in texts if "_" in text or "; " in text], texts  # no raw key


def gui_string_constants() -> set[str]:
    found = set()
    for path in GUI_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_the_gui_names_no_plugin_report_key_kind_or_code(notebook):
    """No report name, report key, task or alert kind, rule or role target of the built-in
    plugins is written in casebook/gui (the words the core itself defines excepted)."""
    from casebook.gui.screens.case_view import ENTRY_KINDS
    from casebook.gui.text import KIND_MSGIDS
    from casebook.vocabulary import core_vocabulary

    glossary = notebook.vocabulary().to_dict()
    plugin_codes = {spec.name for spec in notebook.reports()}
    for kind in ("report_key", "task_kind", "alert_kind", "rule"):
        plugin_codes |= set(glossary[kind])
    for codes in glossary["enums"].values():
        plugin_codes |= set(codes)
    core_words = (
        set(KIND_MSGIDS)
        | {code for codes in core_vocabulary().enums.values() for code in codes}
        | set(ENTRY_KINDS)
        | {"review", "today", "cases", "reports", "plugins", "settings"}  # page names
        | {"open", "new", "date", "rate", "pending"}  # generic words: tags, sync, task state
        # column keys of reports that are also the GUI's own column ids and model attributes
        | {"case", "name", "officer", "due_at"}
        # the core's review results (ReviewResult, Finding)
        | {f.name for f in dataclasses.fields(ReviewResult) + dataclasses.fields(Finding)}
    )
    named = sorted((plugin_codes - core_words) & gui_string_constants())
    assert named == []


def total_ops(notebook) -> int:
    return len(notebook.ops_from(notebook.device_id, 0))


def test_reading_the_review_page_writes_nothing(app):
    nb = app.app.nb
    load_demo(nb)
    before = total_ops(nb)
    page = app.shell.show_page("review")
    app.wait_for(lambda: not page.reviewing and page.findings, timeout=60)
    assert total_ops(nb) == before
    # Reviewing again reads again; only the officer's rectification writes.
    page.refresh()
    app.wait_for(lambda: not page.reviewing, timeout=60)
    assert total_ops(nb) == before


def test_screens_and_dialogs_never_import_the_application():
    offenders = []
    for path in [
        *GUI_DIR.glob("screens/*.py"),
        *GUI_DIR.glob("*dialog*.py"),
        GUI_DIR / "screen.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("app"):
                offenders.append(f"{path.name}: {node.module}")
            if isinstance(node, ast.Name) and node.id == "CasebookApp":
                offenders.append(f"{path.name}: CasebookApp")
    assert offenders == []


class MinimalContext:
    """Just the members of ``AppContext``, over a real notebook and a root window."""

    def __init__(self, root, notebook) -> None:
        from casebook.gui.worker import BackgroundJobs

        self.nb = notebook
        self.notebook_dir = Path(".")
        self.root = root
        self.jobs = BackgroundJobs(root)
        self.font_family = None
        self.messages: list[tuple[str, str]] = []
        self.opened: list[str | None] = []

    def vocabulary(self):
        return self.nb.vocabulary()

    def open_case(self, case_id=None, *, case_type=None):
        self.opened.append(case_id)

    def show_page(self, name):
        return None

    def refresh_page(self):
        pass

    def rebuild(self, page):
        pass

    def track_dialog(self, dialog):
        pass

    def on_unlocked(self, notebook):
        pass

    def notify(self, message, kind="info"):
        self.messages.append((kind, message))

    def show_error(self, error):
        self.notify(self.describe_error(error), "danger")

    def describe_error(self, error):
        return f"{type(error).__name__}: {error}"

    def guarded(self, action, *args, **kwargs):
        try:
            return action(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - as the app does
            self.show_error(error)
            return None

    def changed(self):
        pass

    def preference(self, key, default=None):
        return default

    def idle_lock_minutes(self):
        return 10.0

    def set_language(self, language):
        pass

    def apply_theme(self, name):
        pass


def protocol_members() -> set[str]:
    from casebook.gui.context import AppContext

    return {
        name
        for name in (*AppContext.__annotations__, *vars(AppContext))
        if not name.startswith("_")
    }


def test_the_application_and_a_minimal_context_both_offer_the_context():
    from casebook.gui.app import CasebookApp

    members = protocol_members()
    assert {"nb", "jobs", "vocabulary", "open_case", "notify"} <= members
    app_members = set(dir(CasebookApp)) | {"nb", "notebook_dir", "root", "jobs", "font_family"}
    assert members <= app_members
    assert members <= set(dir(MinimalContext)) | {
        "nb",
        "notebook_dir",
        "root",
        "jobs",
        "font_family",
    }


def test_screens_work_with_a_minimal_context(x_display, lost_and_found):
    import ttkbootstrap as ttk

    from casebook.gui.screens.reports import ReportsScreen
    from casebook.gui.screens.review import ReviewScreen
    from casebook.gui.screens.today import TodayScreen

    root = ttk.Window()
    try:
        context = MinimalContext(root, lost_and_found)
        today = TodayScreen(root, context)
        review = ReviewScreen(root, context)
        reports = ReportsScreen(root, context)
        for screen in (today, review, reports):
            screen.pack()
            screen.refresh()
        deadline = 200
        while (not today.loaded or review.reviewing) and deadline:
            context.jobs.drain()
            root.update()
            deadline -= 1
            if not today.loaded or review.reviewing:
                root.after(20)
        assert today.loaded and not review.reviewing
        assert "Return the item" in [
            today.task_tree.item(i, "values")[2] for i in today.task_tree.get_children()
        ]
        today.task_tree.selection_set(today.task_tree.get_children()[0])
        today.on_open_case()
        assert context.opened and context.messages == []
        assert [spec.name for spec in reports.specs if spec.name == "lost_today"]
    finally:
        context.jobs.stop()
        root.destroy()
