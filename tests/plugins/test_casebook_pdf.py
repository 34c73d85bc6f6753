"""casebook.pdf: the building blocks and the finished documents (fonts: test_pdf_fonts.py)."""

from __future__ import annotations

import pytest

from casebook import InvalidInputError, Report
from casebook import pdf as casebook_pdf
from casebook.report_view import report_view
from casebook.vocabulary import Glossary
from tests.plugins.workflow_data import incident, missing_person, render_png


def test_latin_runs_switch_font():
    markup = casebook_pdf.markup("110报警 <b>")
    assert "&lt;b&gt;" in markup
    assert "案" in casebook_pdf.markup("案") and "<font" not in casebook_pdf.markup("案")


def test_report_pdf_with_nested_summary_and_long_table(tmp_path):
    report = Report(
        name="recovery",
        title="失踪人员:找回率",
        summary={
            "reported": 2443,
            "rate": 0.998,
            "by_group": {"student": {"reported": 300, "rate": 1.0}},
        },
        columns=["月份", "接报", "找回"],
        rows=[[f"2025-{m:02d}", 200 + m, 199 + m] for m in range(1, 13)] * 8,
        labels={"reported": "接报数"},
    )
    path = casebook_pdf.report_pdf(report_view(report, Glossary()), tmp_path / "recovery.pdf")
    render_png(path)
    import pypdfium2

    assert len(pypdfium2.PdfDocument(str(path))) >= 2  # the table spans pages


def test_bad_photo_is_refused():
    with pytest.raises(InvalidInputError):
        casebook_pdf.image(b"not an image", max_width=100, max_height=100)


def test_every_report_renders_as_pdf(nb, tmp_path):
    nb.create_case("missing_person", missing_person())
    nb.create_case("incident", incident(category="criminal"))
    for spec in nb.reports():
        report = nb.build_report(spec.name, end="2025-03-05")
        render_png(nb.report_pdf(report, tmp_path / f"{spec.name}.pdf"))


def test_receipt_for_a_missing_person_report(nb, tmp_path):
    case = nb.create_case("missing_person", missing_person())
    nb.render_document("receipt", case.id, tmp_path / "receipt.pdf")
    render_png(tmp_path / "receipt.pdf")
