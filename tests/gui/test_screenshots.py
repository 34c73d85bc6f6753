"""Screenshots of every screen in both languages, for the docs (docs/screenshots/gui-*.png).

They double as a smoke test: each screen is built on a demo notebook and must come up
without an error in the notice bar.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebook import Notebook
from casebook.clock import now
from casebook.demo import load_demo
from casebook.gui.conflict_dialog import ConflictDialog

from .conftest import PASSPHRASE
from .test_conflicts import make_conflict

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_screenshots_of_every_screen(make_app, notebook, tmp_path, language, lang):
    language(lang)
    load_demo(notebook)
    other = Notebook.create(
        tmp_path / "laptop-b",
        PASSPHRASE,
        officer_id="B2002",
        officer_name="李明",
        unit="中山路派出所",
    )
    make_conflict(notebook, other)
    other.close()
    driver = make_app(notebook=notebook)
    driver.wait_for(lambda: driver.shell.pages["today"].loaded, timeout=60)
    driver.refresh_status()

    def clean() -> None:
        assert driver.shell.notice.kind != "danger", driver.notice()

    driver.doc_screenshot("today")
    clean()
    today = driver.shell.pages["today"]
    task = next(t for t in today.tasks.values() if t.kind == "callback")
    today.task_tree.selection_set(task.id)
    dialog = today.on_record_outcome()
    driver.doc_screenshot("outcome-dialog", dialog)
    dialog.destroy()

    cases = driver.wait_list(driver.shell.show_page("cases"))
    driver.doc_screenshot("cases")
    cases.query.set("张三")
    driver.wait_list(cases)
    driver.doc_screenshot("search")
    clean()

    view = driver.shell.open_case(cases.rows[0].id)
    driver.doc_screenshot("case")
    view.tabs.select(1)
    driver.doc_screenshot("case-timeline")
    conflicted = next(c for c in notebook.conflicts())
    driver.shell.open_case(conflicted.case_id)
    dialog = ConflictDialog.open(driver.app, conflicted.case_id)
    driver.doc_screenshot("conflict-dialog", dialog)
    dialog.destroy()

    view = driver.shell.open_case(None, case_type="missing_person")
    view.form.inputs["name"].set("张三")
    view.form.inputs["age"].set("三十四")
    view.form.inputs["reported_at"].set((now() - timedelta(hours=1)).isoformat())
    view.on_save()
    driver.doc_screenshot("case-new-errors")
    driver.shell.notice.hide()  # that error was on purpose

    review = driver.shell.show_page("review")
    driver.wait_for(lambda: not review.reviewing, timeout=60)
    driver.doc_screenshot("review")
    clean()

    reports = driver.shell.show_page("reports")
    names = [spec.name for spec in reports.specs]
    reports.report_box.current(names.index("recovery") if "recovery" in names else 0)
    reports.on_build()
    driver.wait_for(lambda: reports.report is not None, timeout=60)
    driver.settle(0.2)
    driver.doc_screenshot("reports")
    clean()

    driver.shell.show_page("plugins")
    driver.doc_screenshot("plugins")
    settings = driver.shell.show_page("settings")
    driver.doc_screenshot("settings")
    clean()
    settings.on_theme("dark")
    driver.wait_list(driver.shell.show_page("cases"))
    driver.doc_screenshot("cases-dark")
    settings.on_theme("light")

    driver.app.lock()
    driver.pump()
    driver.doc_screenshot("unlock")

    driver.app.on_close()  # one root window per process: close it before the next app
    wizard = make_app(directory=tmp_path / "new-notebook")
    wizard.doc_screenshot("wizard")
