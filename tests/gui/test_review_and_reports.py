"""Review (findings, rectification) and reports (table, charts, PDF)."""

from __future__ import annotations

import pytest

from casebook.demo import load_demo

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_app(app):
    load_demo(app.app.nb)
    return app


def test_review_and_rectify(demo_app):
    page = demo_app.shell.show_page("review")
    demo_app.wait_for(lambda: not page.reviewing and page.findings, timeout=60)
    iid, (result, finding) = next(iter(page.findings.items()))
    page.case_tree.selection_set(iid)
    assert page.on_rectify() is False  # a note is needed
    page.note.set("已补开回执并告知报警人")
    assert page.on_rectify() is True
    demo_app.wait_for(lambda: not page.reviewing)
    after = {f.id: f for r in demo_app.app.nb.review() for f in r.findings}
    assert after[finding.id].rectified
    # The row says who closed it, when, and the note; the officer by the roster's name.
    state = page.case_tree.item(iid, "values")[-1]
    officer = demo_app.app.nb.officer
    assert f"{officer['name']}（{officer['officer_id']}）" in state, state
    assert state.endswith(": 已补开回执并告知报警人"), state
    rows = [page.officer_tree.item(i, "values") for i in page.officer_tree.get_children()]
    assert rows, "findings by officer"
    assert all(row[-1] != "" for row in rows), "points by officer from the review report"


def test_build_a_report_with_charts_and_export_pdf(demo_app, tmp_path):
    page = demo_app.shell.show_page("reports")
    names = [spec.name for spec in page.specs]
    assert "recovery" in names
    charted = None
    for name in names:
        page.report_box.current(names.index(name))
        page.on_build()
        demo_app.wait_for(lambda: str(page.build_button.cget("state")) == "normal", timeout=60)
        assert page.report is not None and page.report.name == name
        if page.report.charts:
            charted = name
            assert len(page.canvases) == len(page.report.charts)
            break
    assert page.table.get_children() or page.report.summary
    target = tmp_path / "report.pdf"
    page.on_export_pdf(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    if charted is None:
        pytest.skip("no installed report declares charts yet")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_reports_page_shows_every_report_in_the_officers_language(
    make_app, notebook, language, lang
):
    """No raw dictionary text on the Reports page: every label, heading, cell and chart text
    of every report is scanned for keys and codes."""
    from tests.report_language import report_codes, untranslated

    language(lang)
    load_demo(notebook)
    driver = make_app(notebook=notebook)
    page = driver.shell.show_page("reports")
    glossary = notebook.vocabulary()
    for index, spec in enumerate(page.specs):
        page.report_box.current(index)
        page.report = None
        page.on_build()
        driver.wait_for(lambda: page.report is not None, timeout=60)
        texts = page.texts()
        assert any(part in text for part in page.view.header_parts() for text in texts)
        assert untranslated(texts, report_codes(page.report, glossary), lang) == [], spec.name
        assert not any("{" in text or "': " in text for text in texts), spec.name
