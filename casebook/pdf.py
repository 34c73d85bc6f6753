"""Printable PDFs with Chinese text: reports, the report receipt and the missing-person notice.

The Chinese font is :mod:`casebook.pdf_fonts`'s business: an installed CJK font (OpenType/CFF
such as Noto CJK or Source Han, or TrueType such as SimSun, Microsoft YaHei or WenQuanYi)
embedded as a subset, else the PDF standard font ``STSong-Light``, which the viewer supplies.
``CASEBOOK_CJK_FONT`` (``path``, ``path#index`` or ``STSong-Light``) chooses explicitly.

The building blocks (:func:`paragraph`, :func:`field_table`, :func:`image`,
:func:`build_pdf`) are what plugins combine into their documents; :func:`report_pdf`,
:func:`receipt_pdf` and :func:`notice_pdf` are the finished documents. Text must reach a
document through :func:`paragraph` or :func:`markup`, which tell the font which characters
to carry.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from casebook import pdf_fonts
from casebook.errors import InvalidInputError
from casebook.i18n import _
from casebook.models import Report
from casebook.pdf_fonts import LATIN_FONT

if TYPE_CHECKING:
    from casebook.vocabulary import Glossary

# --- building blocks ------------------------------------------------------------------


def styles() -> dict[str, Any]:
    """Paragraph styles that use the CJK font (``title``, ``heading``, ``body``, ``small``,
    ``cell``, ``center``). Chinese has no spaces, so every style wraps as CJK."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    font = pdf_fonts.print_font().name
    base = ParagraphStyle("body", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=10
        ),
        "heading": ParagraphStyle("heading", parent=base, fontSize=13, leading=18, spaceAfter=4),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
    }


def text(value: Any) -> str:
    """A value as display text (``None`` as empty, lists joined, booleans as 是/否 or yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        items = [text(item) for item in value]
        # Short items read as an enumeration; sentences (alert messages) one per line.
        return ("\n" if any(len(item) > 20 for item in items) else "、").join(items)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {text(item)}" for key, item in value.items())
    return str(value)


def markup(value: Any) -> str:
    """Paragraph markup for plain text: escaped, with the characters the CJK font lacks
    (Droid Sans Fallback lacks Latin letters and digits) switched to :data:`LATIN_FONT`."""
    plain = text(value)
    font = pdf_fonts.want(plain)
    runs: list[tuple[bool, str]] = []
    for char in plain:
        covered = char == "\n" or font.covers(char)
        if runs and runs[-1][0] == covered:
            runs[-1] = (covered, runs[-1][1] + char)
        else:
            runs.append((covered, char))
    parts = [
        escape(run) if covered else f'<font name="{LATIN_FONT}">{escape(run)}</font>'
        for covered, run in runs
    ]
    return "".join(parts).replace("\n", "<br/>")


def paragraph(value: Any, style: str = "body") -> Any:
    """A wrapped paragraph of plain text (markup characters are escaped)."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup(value), styles()[style])


def field_table(
    rows: Sequence[tuple[str, Any]],
    *,
    width: float | None = None,
    label_width: float | None = None,
) -> Any:
    """A two-column grid of labelled values, as on a police form."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    total = width or A4[0] - 40 * mm
    label = label_width or 38 * mm
    data = [[paragraph(name, "cell"), paragraph(value, "cell")] for name, value in rows]
    table = Table(data, colWidths=[label, total - label])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def data_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, width: float) -> Any:
    """A table with a header row that repeats on every page."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    body = [[paragraph(column, "cell") for column in columns]]
    body.extend([paragraph(cell, "cell") for cell in row] for row in rows)
    count = max(1, len(columns))
    table = Table(body, colWidths=[width / count] * count, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def image(data: bytes, *, max_width: float, max_height: float) -> Any:
    """An image flowable scaled to fit the box, keeping its proportions.

    :raises InvalidInputError: when the bytes are not an image ReportLab can read.
    """
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    try:
        reader = ImageReader(io.BytesIO(data))
        width, height = reader.getSize()
    except Exception as error:  # ReportLab raises a variety of PIL and own errors
        raise InvalidInputError(_("The photo is not an image that can be printed.")) from error
    scale = min(max_width / width, max_height / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def build_pdf(path: str | Path, flowables: list[Any], *, title: str, author: str = "") -> Path:
    """Write flowables to an A4 PDF with page numbers; returns the path."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)

    def number_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(LATIN_FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"- {doc.page} -")
        canvas.restoreState()

    document = SimpleDocTemplate(
        str(target),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        creator="Casebook",
    )
    with pdf_fonts.printing():
        document.build(flowables, onFirstPage=number_page, onLaterPages=number_page)
    return target


def usable_width() -> float:
    """The width between the margins of :func:`build_pdf`'s pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    return A4[0] - 40 * mm


# --- finished documents ---------------------------------------------------------------


def label(key: str, labels: dict[str, str] | None = None) -> str:
    """The display label of a summary key: from ``labels``, else the key with spaces."""
    return (labels or {}).get(key) or str(key).replace("_", " ")


def report_pdf(
    report: Report,
    path: str | Path,
    *,
    subtitle: str = "",
    labels: dict[str, str] | None = None,
) -> Path:
    """A report as a PDF: title, the summary figures, then the table.

    :param labels: display labels of the summary keys (e.g. translated); missing keys are
        shown with underscores as spaces.

    >>> report_pdf(Report("onsite", "On-site closure", {"rate": 0.8611}), "onsite.pdf")
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    flowables: list[Any] = [paragraph(report.title, "title")]
    if subtitle:
        flowables.append(paragraph(subtitle, "center"))
    flowables.append(Spacer(1, 4 * mm))
    summary_rows = [
        (label(name, labels), value)
        for name, value in report.summary.items()
        if not isinstance(value, dict)
    ]
    nested = [(name, value) for name, value in report.summary.items() if isinstance(value, dict)]
    if summary_rows:
        flowables.append(field_table(summary_rows, label_width=60 * mm))
    for name, value in nested:
        flowables.extend([Spacer(1, 3 * mm), paragraph(label(name, labels), "heading")])
        rows = [(label(key, labels), item) for key, item in value.items()]
        flowables.append(field_table(rows, label_width=60 * mm))
    if report.columns:
        flowables.append(Spacer(1, 6 * mm))
        flowables.append(data_table(report.columns, report.rows, width=usable_width()))
    return build_pdf(path, flowables, title=report.title)


def receipt_pdf(
    path: str | Path,
    *,
    title: str,
    number: str,
    rows: Sequence[tuple[str, Any]],
    statement: str,
    signatures: Sequence[str],
    stub_title: str = "",
    stub_rows: Sequence[tuple[str, Any]] = (),
) -> Path:
    """The report receipt 案(事)件接报回执单: the reporter's part and, below a cut line, the
    station's stub (存根) that stays in the file.

    :param rows: (label, value) pairs of the report's elements.
    :param statement: the printed text telling the reporter what happens next.
    :param signatures: labels of the signature lines (receiving officer, reporter...).
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Spacer

    def part(heading: str, part_rows: Sequence[tuple[str, Any]], with_statement: bool) -> list:
        items: list[Any] = [paragraph(heading, "title"), paragraph(number, "center")]
        items.append(Spacer(1, 4 * mm))
        items.append(field_table(part_rows))
        if with_statement:
            items.extend([Spacer(1, 4 * mm), paragraph(statement)])
        items.append(Spacer(1, 6 * mm))
        items.append(paragraph("        ".join(f"{label}:________" for label in signatures)))
        return items

    flowables = part(title, rows, True)
    if stub_rows:
        flowables.append(Spacer(1, 8 * mm))
        flowables.append(HRFlowable(width="100%", dash=(4, 3), thickness=0.8))
        flowables.append(Spacer(1, 6 * mm))
        flowables.extend(part(stub_title or title, stub_rows, False))
    return build_pdf(path, flowables, title=title)


def notice_pdf(
    path: str | Path,
    *,
    title: str,
    headline: str,
    rows: Sequence[tuple[str, Any]],
    body: str,
    contact: str,
    photo: bytes | None = None,
    no_photo_text: str = "",
) -> Path:
    """The missing-person notice 寻人公告: headline, photo beside the description, appeal
    text and how to contact the station.

    :param photo: image bytes (JPEG/PNG), or None to print ``no_photo_text`` in the frame.
    """
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    width = usable_width()
    photo_width = 55 * mm
    picture = (
        image(photo, max_width=photo_width - 4 * mm, max_height=75 * mm)
        if photo
        else paragraph(no_photo_text, "center")
    )
    details = field_table(rows, width=width - photo_width - 4 * mm, label_width=28 * mm)
    layout = Table([[picture, details]], colWidths=[photo_width, width - photo_width])
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (0, 0), "CENTER"),
                ("BOX", (0, 0), (0, 0), 0.8, colors.black),
            ]
        )
    )
    flowables = [
        paragraph(title, "title"),
        paragraph(headline, "heading"),
        Spacer(1, 3 * mm),
        layout,
        Spacer(1, 6 * mm),
        paragraph(body),
        Spacer(1, 6 * mm),
        paragraph(contact, "heading"),
    ]
    return build_pdf(path, flowables, title=title)


def render_report(report: Report, path: str | Path, glossary: Glossary | None = None) -> Path:
    """The name :meth:`casebook.Notebook.report_pdf` calls: :func:`report_pdf` labelled from
    the plugins' vocabulary (``notebook.vocabulary()``); the report's own ``labels`` win."""
    return report_pdf(report, path, labels={**summary_labels(report, glossary), **report.labels})


def summary_labels(report: Report, glossary: Glossary | None) -> dict[str, str]:
    """The display label of every summary key of ``report``, and of the keys of its nested
    tables (a cause under ``by_cause``), from the vocabulary."""
    if glossary is None:
        return {}
    labels: dict[str, str] = {}
    for name, value in report.summary.items():
        if isinstance(value, dict):
            for key in value:
                labels.setdefault(str(key), glossary.key_label(name, key))
    for name in report.summary:
        labels[str(name)] = glossary.label("report_key", name)
    return labels
