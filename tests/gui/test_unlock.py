"""First run, unlock with a wrong then the right passphrase, lock (by hand and when idle)."""

from __future__ import annotations

import pytest

from casebook import Notebook

from .conftest import PASSPHRASE

pytestmark = pytest.mark.gui


def test_wizard_creates_the_notebook_and_opens_today(make_app, notebook_dir, language):
    language("zh_CN")
    driver = make_app()
    wizard = driver.app.current
    assert type(wizard).__name__ == "WizardScreen"
    for key, value in {
        "officer_id": "A2002",
        "officer_name": "李明",
        "unit": "滨湖派出所",
        "unit_phone": "0510-85212110",
        "passphrase": "新口令 123",
        "confirm": "不一样",
    }.items():
        wizard.vars[key].set(value)
    wizard.on_create()
    assert "不一致" in wizard.message.cget("text")  # the two passphrases differ
    assert not Notebook.exists(notebook_dir)

    wizard.vars["confirm"].set("新口令 123")
    wizard.on_create()
    driver.pump()
    assert Notebook.exists(notebook_dir)
    assert driver.shell is not None and driver.shell.page_name == "today"
    assert driver.app.nb.officer["name"] == "李明"
    # The unit's phone, printed on receipts and notices, is a station setting.
    assert driver.app.nb.setting("station.phone") == "0510-85212110"


def test_wizard_loads_the_demo_when_asked(make_app, notebook_dir):
    driver = make_app(demo_if_new=True)
    wizard = driver.app.current
    assert wizard.load_demo.get() is True
    for key, value in {
        "officer_id": "A3003",
        "officer_name": "周敏",
        "unit": "惠山派出所",
        "passphrase": PASSPHRASE,
        "confirm": PASSPHRASE,
    }.items():
        wizard.vars[key].set(value)
    wizard.on_create()
    driver.wait_for(lambda: driver.shell is not None, timeout=60)
    nb = driver.app.nb
    assert any(row.title == "张三" for row in nb.search("张三"))
    incidents = [case.fields for case in nb.iter_cases(case_type="incident")]
    channels = nb.case_types()["incident"]["properties"]["channel"]["enum"]
    categories = nb.case_types()["incident"]["properties"]["category"]["enum"]
    pairs = {(f.get("channel"), f.get("category")) for f in incidents}
    assert pairs == {(c, k) for c in channels for k in categories}, "every channel and category"
    assert nb.count_cases(case_type="missing_person") >= 8
    kinds = {e.kind for case in nb.iter_cases() for e in case.entries}
    assert {"note", "ledger", "callback"} <= kinds


def test_wrong_passphrase_then_right_one(make_app, notebook, notebook_dir, language):
    notebook.close()
    language("zh_CN")
    driver = make_app()
    unlock = driver.app.current
    assert type(unlock).__name__ == "UnlockScreen"
    unlock.passphrase.set("wrong passphrase")
    assert unlock.on_unlock() is False
    message = unlock.message.cget("text")
    assert "口令错误" in message and "1" in message
    assert unlock.passphrase.get() == ""  # cleared for the next try
    assert driver.shell is None

    unlock.passphrase.set(PASSPHRASE)
    assert unlock.on_unlock() is True
    driver.pump()
    assert driver.shell is not None and driver.shell.page_name == "today"
    assert not driver.app.nb.is_locked


def test_lock_button_and_idle_lock(app):
    nb = app.app.nb
    app.shell.on_lock()
    app.pump()
    assert nb.is_locked
    assert type(app.app.current).__name__ == "UnlockScreen"

    unlock = app.app.current
    unlock.passphrase.set(PASSPHRASE)
    assert unlock.on_unlock()
    app.pump()
    assert not nb.is_locked

    nb.set_preference("idle_lock_minutes", 0.0001)  # 6 ms without activity
    # Work started by the unlock (the page's refresh, a sync) still needs the key and holds
    # the lock back: wait until it is done, however slow the machine.
    assert app.wait_for(lambda: not app.app.jobs.busy and not app.shell.status_bar.busy, timeout=60)
    app.app.last_activity -= 1
    app.app.on_idle_check()
    app.pump()
    assert nb.is_locked
    assert "Locked after" in app.app.current.message.cget("text")
