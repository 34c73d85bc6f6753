"""Plugins: install a signed plugin (verified), refuse an unsigned one, panels, failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casebook import Finding, hookimpl, plugin_host
from casebook.publishing import public_key_of, write_signature

pytestmark = pytest.mark.gui

FIXTURE = Path(__file__).parent / "fixtures" / "station_panel.py"


@pytest.fixture
def signed_plugin(tmp_path, notebook):
    key = Ed25519PrivateKey.generate()
    notebook.trust_publisher("中山路派出所", public_key_of(key))
    plugin = tmp_path / "signed" / "station_panel.py"
    plugin.parent.mkdir()
    shutil.copyfile(FIXTURE, plugin)
    write_signature(plugin, key, "中山路派出所")
    return plugin


def test_install_a_signed_plugin(app, signed_plugin, tmp_path):
    nb = app.app.nb
    page = app.shell.show_page("plugins")
    unsigned = tmp_path / "unsigned" / "station_panel.py"
    unsigned.parent.mkdir()
    shutil.copyfile(FIXTURE, unsigned)
    assert page.on_install(str(unsigned)) is False
    assert app.shell.notice.kind == "danger" and "not signed" in app.notice()
    assert "station_panel" not in {p.name for p in nb.plugins()}

    assert page.on_install(str(signed_plugin)) is True
    app.pump()
    info = {p.name: p for p in nb.plugins()}["station_panel"]
    assert info.signed and info.publisher == "中山路派出所"
    page = app.shell.pages["plugins"]
    row = page.tree.item("station_panel", "values")
    assert "Verified" in row and "1.2.0" in row
    assert "signature was verified" in app.notice()

    # Its main page is in the sidebar; the raising hook leaves Today working.
    assert "plugin:count" in app.shell.nav_buttons
    panel = app.shell.show_page("plugin:count")
    assert "本所案件" in panel.winfo_children()[0].cget("text")
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    assert today.winfo_exists() and app.shell.notice.kind != "danger"
    errors = {p.name: p for p in nb.plugins()}["station_panel"].errors
    assert errors, "the failure is reported on the plugin"

    # Its broken case tab becomes a message inside the tab, and the window stays.
    case = nb.create_case("incident", {"title": "测试"})
    view = app.shell.open_case(case.id)
    titles = [view.tabs.tab(t, "text") for t in view.tabs.tabs()]
    assert "坏面板" in titles
    holder = app.root.nametowidget(view.tabs.tabs()[titles.index("坏面板")])
    message = holder.winfo_children()[0].winfo_children()[0].cget("text")
    assert "could not be shown" in message and "ModuleNotFoundError" in message

    page = app.shell.show_page("plugins")
    page.tree.selection_set("station_panel")
    page.on_enable(False)
    assert not {p.name: p for p in nb.plugins()}["station_panel"].enabled
    assert "plugin:count" not in app.shell.nav_buttons


class Slowpoke:
    """A plugin whose review rule is over its time budget and breaks the severity enum."""

    casebook_plugin = {"version": "0.1.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def review_case(self, context, case, at):
        return [Finding(rule="slowpoke.x", severity="bogus", message="m")]


def test_the_plugin_page_names_slow_hooks_and_refused_results(app, monkeypatch):
    nb = app.app.nb
    # A budget of 0 ms: every call is over it, without making the test wait.
    monkeypatch.setitem(plugin_host.HOOK_BUDGET_MS, "review_case", 0)
    nb.register_plugin("slowpoke", Slowpoke())
    nb.create_case("incident", {"title": "测试"})
    nb.review()
    page = app.shell.show_page("plugins")
    page.refresh()
    problems = page.tree.set("slowpoke", "problems")
    assert "Slow: review_case took" in problems and "(budget 0 ms)" in problems
    assert "Refused result: severity bogus" in problems
    page.tree.selection_set("slowpoke")
    page.on_select()
    assert "Slow: review_case" in page.details.cget("text")
