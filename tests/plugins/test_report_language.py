"""Every report in the officer's language, in the PDF and in the CLI's text: keys, codes and
officers labelled, rates with their counts, a header with the unit, the period and the
print date; and the charts the GUI shows drawn in the PDF."""

from __future__ import annotations

import json

import pytest

from casebook.demo import load_demo
from casebook.i18n import set_language
from tests.plugins.workflow_data import render_png
from tests.report_language import report_codes, untranslated

pdfium = pytest.importorskip("pypdfium2")


def pdf_text(path) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


@pytest.fixture
def demo(nb, monkeypatch):
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    load_demo(nb)
    nb.set_setting("station.name", "无锡市公安局新吴分局旺庄派出所")
    return nb


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_report_reads_in_the_officers_language(nb, tmp_path, monkeypatch, language):
    # The demo's cases and tasks are written in the language of the test, as an officer
    # working in that language writes them.
    monkeypatch.setenv("CASEBOOK_LANG", language)
    set_language(language)
    demo = nb
    try:
        load_demo(demo)
        demo.set_setting("station.name", "无锡市公安局新吴分局旺庄派出所")
        glossary = demo.vocabulary()
        for spec in demo.reports():
            report = demo.build_report(spec.name, "2025-01-01")
            view = demo.report_view(report)
            codes = report_codes(report, glossary)
            assert untranslated(view.texts(), codes, language) == [], spec.name
            assert untranslated(view.lines(), codes, language) == [], spec.name
            path = demo.report_pdf(report, tmp_path / f"{spec.name}-{language}.pdf")
            text = pdf_text(path)
            assert untranslated(text.splitlines(), codes, language, whole=False) == [], spec.name
            assert "旺庄派出所" in text and "2025-01-01" in text
            for chart in view.charts:
                assert chart.title in text, f"{spec.name}: the chart {chart.title} is drawn"
    finally:
        set_language("zh_CN")


def test_rates_show_percentages_with_their_counts_and_officers_their_names(demo):
    report = demo.build_report("review")
    view = dict(demo.report_view(report).figures)
    summary = report.summary
    rate = summary["rectification_rate"]
    percent = f"{rate * 100:.2f}".rstrip("0").rstrip(".")
    assert view["整改率"] == f"{percent}%（{summary['rectified']}/{summary['findings']}）"
    officers = demo.report_view(report).table.rows
    assert "王民警" in [row[0] for row in officers]
    assert "0417" not in [row[0] for row in officers]


def test_the_daily_summary_keeps_dates_on_one_line(demo, tmp_path):
    from casebook import pdf

    report = demo.build_report("daily", end="2025-03-05")
    view = demo.report_view(report)
    table = view.table
    widths = pdf.column_widths(table.columns, table.rows, table.kinds, pdf.usable_width())
    assert sum(widths) <= pdf.usable_width() + 0.5
    reported_at = table.columns.index("接报时间")
    size = pdf.styles()["cell"].fontSize
    assert all(pdf.text_width(row[reported_at], size) < widths[reported_at] for row in table.rows)
    render_png(demo.report_pdf(report, tmp_path / "daily.pdf"))


def test_a_refused_enum_names_the_labels_and_json_gives_the_codes(nb, cli, tmp_path):
    nb.lock()
    fields = tmp_path / "case.json"
    fields.write_text(
        json.dumps({"title": "电动车被盗", "channel": "fax", "category": "help"}),
        encoding="utf-8",
    )
    refused = cli(
        "case",
        "new",
        "--type",
        "incident",
        "--file",
        str(fields),
        expect=1,
        parse=False,
        lang="zh_CN",
    )
    assert "110报警、来所报案" in refused.stderr and "call_110" not in refused.stderr
    as_json = cli("case", "new", "--type", "incident", "--file", str(fields), "--json", expect=1)
    [problem] = as_json["problems"]
    assert problem["field"] == "channel" and problem["code"] == "enum"
    assert problem["allowed"][:2] == ["call_110", "walk_in"]
    assert "Walk-in" in problem["message"]


def test_a_refused_status_names_the_labels(nb, monkeypatch):
    from casebook import InvalidInputError

    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    case = nb.create_case("incident", {"title": "噪音扰民", "category": "noise"})
    with pytest.raises(InvalidInputError, match="接报、受案") as refused:
        nb.set_status(case.id, "bogus")
    assert "received" not in str(refused.value)
    assert refused.value.problems[0].allowed[0] == "received"
