"""Settings: switch to English (and back), theme, idle lock, share path, station settings,
passphrase."""

from __future__ import annotations

import pytest

from casebook import Notebook, i18n

from .conftest import PASSPHRASE

pytestmark = pytest.mark.gui


def test_switch_to_english(app, language):
    language("zh_CN")
    app.app.show_shell("today")
    assert app.shell.nav_buttons["today"].cget("text") == "今日"
    page = app.shell.show_page("settings")
    page.language_box.current(list(i18n.LANGUAGES).index("en"))
    page.language_box.event_generate("<<ComboboxSelected>>")
    app.pump()
    assert i18n.language() == "en"
    assert app.app.nb.preference("language") == "en"
    assert app.shell.page_name == "settings", "the rebuilt window stays on the same page"
    assert app.shell.nav_buttons["today"].cget("text") == "Today"
    assert app.shell.status_bar.sync_button.cget("text").startswith("Sync now")
    today = app.shell.show_page("today")
    assert today.task_tree.heading("due", "text") == "Due"

    case = app.app.nb.create_case("incident", {"title": "语言切换"})
    app.shell.open_case(case.id)
    app.app.set_language("zh_CN")
    assert app.shell.nav_buttons["cases"].cget("text") == "案件"
    assert app.shell.case_view is not None and app.shell.case_view.case_id == case.id


def test_theme_idle_lock_and_share(app, tmp_path):
    nb = app.app.nb
    page = app.shell.show_page("settings")
    page.on_theme("dark")
    assert nb.preference("theme") == "dark"
    assert app.root.style.theme_use() in ("bootstrap-dark", "darkly")
    page.idle_minutes.set("abc")
    assert page.on_save_laptop() is False
    page.idle_minutes.set("5")
    page.share_path.set(str(tmp_path / "share"))
    assert page.on_save_laptop() is True
    assert nb.preference("idle_lock_minutes") == 5
    assert nb.preference("share_path") == str(tmp_path / "share")
    page.on_theme("light")


def test_station_setting_is_validated_and_saved(app):
    nb = app.app.nb
    page = app.shell.show_page("settings")
    key = "legal_review.acceptance_hours"
    assert key in page.setting_inputs
    page.setting_inputs[key].var.set('"soon"')
    assert page.on_save_setting(key) is False
    assert page.setting_errors[key].cget("text")
    page.setting_inputs[key].var.set("48")
    assert page.on_save_setting(key) is True
    assert nb.setting(key) == 48


def test_change_passphrase(app, notebook_dir):
    page = app.shell.show_page("settings")
    for name, value in (("old", "not it"), ("new", "新的口令"), ("confirm", "新的口令")):
        page.passphrases[name].set(value)
    assert page.on_change_passphrase() is False
    assert page.passphrase_message.cget("text")
    page.passphrases["old"].set(PASSPHRASE)
    page.passphrases["new"].set("新的口令")
    page.passphrases["confirm"].set("新的口令")
    assert page.on_change_passphrase() is True
    Notebook.open(notebook_dir, "新的口令").close()


def test_a_setting_that_is_a_preset_or_a_list(app):
    nb = app.app.nb
    page = app.shell.show_page("settings")
    key = "missing_persons.callback_schedule"
    if key not in page.setting_inputs:
        pytest.skip("the missing persons plugin has no callback schedule setting")
    assert page.setting_inputs[key].var.get() == nb.setting(key)
    page.setting_inputs[key].var.set('["3d", "7d", "30d"]')
    assert page.on_save_setting(key) is True
    assert nb.setting(key) == ["3d", "7d", "30d"]
    page.setting_inputs[key].var.set("pingxiang")
    assert page.on_save_setting(key) is True
    assert nb.setting(key) == "pingxiang"
