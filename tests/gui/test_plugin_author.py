"""What a plugin author's work looks like in the GUI: the plugin's title, the field it adds
in the generated form, and a failed rule as a warning on the Review page."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import hookimpl
from casebook.gui import schema_form
from casebook.plugin_host import load_module_from_file

pytestmark = pytest.mark.gui

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "theft_value" / "theft_value.py"


class FailingRules:
    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def review_case(self, context, case, at):
        raise RuntimeError("rule bug")


def test_titles_added_fields_and_review_warnings(app, language):
    language("zh_CN")
    nb = app.app.nb
    nb.register_plugin("theft_value", load_module_from_file("theft_value", EXAMPLE, "gui_example"))
    nb.register_plugin("failing", FailingRules())
    nb.create_case("incident", {"title": "电动车被盗", "stolen_value": 8200})

    page = app.shell.show_page("plugins")
    page.refresh()
    assert page.tree.item("theft_value", "values")[0] == "盗窃价值审核"
    assert page.tree.item("callbacks", "values")[0] == "回访"
    assert not any("entry point" in str(v) for v in page.tree.item("callbacks", "values"))

    form = schema_form.SchemaForm(app.shell.content, nb.case_types()["incident"])
    assert type(form.inputs["stolen_value"]).__name__ == "NumberInput"
    labels = [w.cget("text") for w in form.winfo_children() if w.winfo_class() == "TLabel"]
    assert any("被盗财物价值（元）" in label for label in labels), labels

    review = app.shell.show_page("review")
    app.wait_for(lambda: not review.reviewing and review.results, timeout=60)
    assert "failing" in review.warnings.cget("text")
