"""Errors never close the window: they become a message in the notice bar."""

from __future__ import annotations

import pytest
import ttkbootstrap as ttk

from casebook.errors import IntegrityError

pytestmark = pytest.mark.gui


def test_an_error_in_a_handler_is_a_message(app):
    def broken() -> None:
        raise ZeroDivisionError("a plugin's bug")

    button = ttk.Button(app.shell.content, text="x", command=broken)
    button.invoke()
    app.pump()
    assert app.root.winfo_exists()
    assert app.shell.notice.kind == "danger"
    assert "ZeroDivisionError" in app.notice()

    def refused() -> None:
        raise IntegrityError("审计链断裂")

    ttk.Button(app.shell.content, text="y", command=refused).invoke()
    app.pump()
    assert app.notice() == "审计链断裂", "a core error is shown as it is, already translated"
    app.shell.notice.close_button.invoke()
    assert app.notice() == ""


def test_guarded_calls_return_none_and_show_the_error(app):
    assert app.app.guarded(app.app.nb.get_case, "no-such-case") is None
    assert app.shell.notice.kind == "danger"
