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
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from casebook import pdf_fonts, store
from casebook.errors import InvalidInputError
from casebook.i18n import _
from casebook.pdf_fonts import LATIN_FONT
from casebook.report_view import Chart, ReportView

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

    target = store.check_output_file(path)
    partial = target.with_name(target.name + ".part")

    def number_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(LATIN_FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"- {doc.page} -")
        canvas.restoreState()

    document = SimpleDocTemplate(
        str(partial),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        creator="Casebook",
    )
    try:
        with pdf_fonts.printing():
            document.build(flowables, onFirstPage=number_page, onLaterPages=number_page)
        os.replace(partial, target)
    except BaseException:
        # A failed print leaves neither half a PDF nor a stray part.
        partial.unlink(missing_ok=True)
        raise
    return target


def usable_width() -> float:
    """The width between the margins of :func:`build_pdf`'s pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    return A4[0] - 40 * mm


# --- finished documents ---------------------------------------------------------------


def report_pdf(view: ReportView, path: str | Path) -> Path:
    """A report as a PDF, as the GUI shows it: the title, a header with the unit, the
    period and the print date, the summary figures, the charts, the nested groups and the
    table, with columns fitted to the page.

    :param view: the report's labelled view (``nb.report_view``); ``nb.report_pdf`` prints a
        built report in one step.

    >>> report_pdf(nb.report_view(nb.build_report("onsite")), "onsite.pdf")
    """
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    width = usable_width()
    flowables: list[Any] = [paragraph(view.title, "title")]
    if view.header:
        flowables.append(header_line(view.header_parts(), width=width))
    # What makes the figures incomplete comes before them, never after.
    flowables.extend(paragraph("⚠ " + warning, "small") for warning in view.warnings)
    flowables.append(Spacer(1, 4 * mm))
    if view.figures:
        flowables.append(pairs_grid(view.figures, width=width))
    for chart in view.charts:
        flowables.append(Spacer(1, 4 * mm))
        flowables.append(
            KeepTogether([paragraph(chart.title, "heading"), chart_drawing(chart, width)])
        )
    for table in view.tables:
        heading = paragraph(table.title, "heading")
        if table.columns:
            body = fitted_table(table.columns, table.rows, table.kinds, width=width)
        else:
            body = pairs_grid([(row[0], row[1]) for row in table.rows], width=width)
        flowables.extend([Spacer(1, 4 * mm), KeepTogether([heading, body])])
    if view.table is not None and view.table.columns:
        flowables.append(Spacer(1, 6 * mm))
        flowables.append(
            fitted_table(view.table.columns, view.table.rows, view.table.kinds, width=width)
        )
    return build_pdf(path, flowables, title=view.title, author=dict(view.header).get(_("Unit"), ""))


def header_line(parts: Sequence[str], *, width: float) -> Any:
    """A report's header (unit, period, print date) on one line, each part in its cell."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.platypus import Table, TableStyle

    cells = [styled(part, "small", alignment=TA_CENTER) for part in parts]
    # Each part gets room in proportion to its length, so a long unit name stays whole.
    size = styles()["small"].fontSize
    lengths = [text_width(part, size) + 12 for part in parts]
    table = Table([cells], colWidths=[width * length / sum(lengths) for length in lengths])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def pairs_grid(pairs: Sequence[tuple[str, Any]], *, width: float, per_line: int = 2) -> Any:
    """(label, value) pairs in a grid, ``per_line`` pairs to a line: a report's many short
    figures fit in a fraction of the height of one pair per line."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    pairs = list(pairs)
    per_line = max(1, min(per_line, len(pairs)))
    rows = []
    for start in range(0, len(pairs), per_line):
        line = pairs[start : start + per_line]
        line += [("", "")] * (per_line - len(line))
        rows.append([paragraph(cell, "cell") for pair in line for cell in pair])
    pair_width = width / per_line
    table = Table(rows, colWidths=[pair_width * 0.55, pair_width * 0.45] * per_line)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [
        ("BACKGROUND", (column, 0), (column, -1), colors.HexColor("#f0f0f0"))
        for column in range(0, 2 * per_line, 2)
    ]
    table.setStyle(TableStyle(style))
    return table


def text_width(value: str, size: float) -> float:
    """The width of a line of text at ``size`` points: CJK characters one em each, the
    rest as :data:`LATIN_FONT` draws them (as :func:`markup` sets them)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    wide = sum(1 for char in value if ord(char) >= 0x2E80)
    narrow = "".join(char for char in value if ord(char) < 0x2E80)
    return wide * size + stringWidth(narrow, LATIN_FONT, size)


def column_widths(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], kinds: Sequence[str], width: float
) -> list[float]:
    """Widths of a table's columns that fit ``width``: numbers, rates and dates get the room
    to stay on one line (a date that wraps is unreadable); text columns share the rest in
    proportion to what they hold, and wrap."""
    from casebook.report_view import TEXT

    size, padding = styles()["cell"].fontSize, 13.0
    count = len(columns)
    kinds = [*kinds, *[TEXT] * count][:count]
    natural, least = [], []
    for index, column in enumerate(columns):
        cells = [text(row[index]) for row in rows if index < len(row)]
        longest = max(
            (text_width(line, size) for cell in cells for line in cell.split("\n")), default=0
        )
        # A heading wraps, but not below four characters to a line.
        heading = min(text_width(column, size), 4 * size)
        if kinds[index] == TEXT:
            natural.append(max(longest, text_width(column, size)) + padding)
            least.append(max(heading, min(longest, 6 * size)) + padding)
        else:
            natural.append(max(longest, heading) + padding)
            least.append(natural[-1])
    if sum(natural) <= width:
        spare = (width - sum(natural)) / count
        return [share + spare for share in natural]
    fixed = sum(least[i] for i in range(count) if kinds[i] != TEXT)
    texts = [i for i in range(count) if kinds[i] == TEXT]
    room = width - fixed
    if texts and room >= sum(least[i] for i in texts):
        widths = list(least)
        # Give each text column its least width, then the rest in proportion to its want.
        spare = room - sum(least[i] for i in texts)
        extra = sum(natural[i] - least[i] for i in texts) or 1.0
        for i in texts:
            widths[i] = least[i] + spare * (natural[i] - least[i]) / extra
        return widths
    scale = width / sum(least)  # nothing fits: every column shrinks alike
    return [share * scale for share in least]


def fitted_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], kinds: Sequence[str], *, width: float
) -> Any:
    """A table with a header row that repeats on every page, its columns fitted to ``width``
    (:func:`column_widths`); numbers and rates aligned right."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.platypus import Table, TableStyle

    from casebook.report_view import NUMBER, PERCENT

    right = {i for i, kind in enumerate(kinds) if kind in (NUMBER, PERCENT)}
    body = [[paragraph(column, "cell") for column in columns]]
    body.extend(
        [
            styled(cell, "cell", alignment=TA_RIGHT) if i in right else paragraph(cell, "cell")
            for i, cell in enumerate(row)
        ]
        for row in rows
    )
    table = Table(body, colWidths=column_widths(columns, rows, kinds, width), repeatRows=1)
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


#: the colours of a chart's series, in order (print well in grey too).
CHART_COLOURS = ("#2f5597", "#c55a11", "#548235", "#7f6000", "#7030a0", "#1f7f7f")


def chart_drawing(chart: Chart, width: float, height: float | None = None) -> Any:
    """A report's chart as vector drawing: bars (or lines) per series with a value axis, the
    x labels and the legend set in the print font, so they read like the rest of the page
    and stay searchable text."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.units import mm
    from reportlab.platypus import Flowable

    height = height or 62 * mm
    labels = list(chart.labels)
    # Every label stays readable: with many, only every n-th is written.
    step = max(1, -(-len(labels) // 14))
    captions = [
        styled(label, "small", alignment=TA_CENTER, fontSize=7.5, leading=9)
        if index % step == 0
        else None
        for index, label in enumerate(labels)
    ]
    legend = [styled(name, "small", fontSize=8, leading=10) for name, _values in chart.series]
    values = [value for _name, series in chart.series for value in series]
    top = 1.0 if chart.percent and max(values, default=0) <= 1.0 else max(values, default=0)
    top = nice_ceiling(top)

    def tick_text(value: float) -> str:
        if chart.percent:
            return f"{value * 100:.0f}%"
        return f"{value:g}"

    class ChartFlowable(Flowable):
        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            return width, height

        def draw(self) -> None:
            canvas = self.canv
            left, bottom, legend_height = 34.0, 26.0, 16.0 if len(chart.series) > 1 else 0.0
            plot_width = width - left - 6
            plot_height = height - bottom - legend_height - 6
            canvas.saveState()
            canvas.setFont(LATIN_FONT, 7.5)
            canvas.setStrokeColor(colors.HexColor("#b0b0b0"))
            canvas.setLineWidth(0.4)
            for tick in range(5):
                value = top * tick / 4
                y = bottom + plot_height * tick / 4
                canvas.line(left, y, left + plot_width, y)
                canvas.drawRightString(left - 3, y - 2.5, tick_text(value))
            slots = max(1, len(labels))
            slot = plot_width / slots
            count = max(1, len(chart.series))
            for number, (_name, series) in enumerate(chart.series):
                colour = colors.HexColor(CHART_COLOURS[number % len(CHART_COLOURS)])
                canvas.setFillColor(colour)
                canvas.setStrokeColor(colour)
                points = []
                for index, value in enumerate(series[:slots]):
                    bar_height = plot_height * (value / top if top else 0)
                    if chart.kind == "line":
                        points.append((left + slot * (index + 0.5), bottom + bar_height))
                        continue
                    bar = slot * 0.8 / count
                    x = left + slot * index + slot * 0.1 + bar * number
                    canvas.rect(x, bottom, bar, bar_height, stroke=0, fill=1)
                if points:
                    canvas.setLineWidth(1.2)
                    for start, end in zip(points, points[1:], strict=False):
                        canvas.line(*start, *end)
                    for x, y in points:
                        canvas.circle(x, y, 1.8, stroke=0, fill=1)
            canvas.setStrokeColor(colors.black)
            canvas.setLineWidth(0.6)
            canvas.line(left, bottom, left + plot_width, bottom)
            canvas.restoreState()
            for index, caption in enumerate(captions):
                if caption is None:
                    continue
                caption_width = slot * step
                _w, caption_height = caption.wrap(caption_width, bottom)
                caption.drawOn(
                    canvas,
                    left + slot * (index + 0.5) - caption_width / 2,
                    bottom - 3 - caption_height,
                )
            x = left
            for number, entry in enumerate(legend if len(legend) > 1 else []):
                colour = colors.HexColor(CHART_COLOURS[number % len(CHART_COLOURS)])
                canvas.saveState()
                canvas.setFillColor(colour)
                canvas.rect(x, height - 11, 8, 8, stroke=0, fill=1)
                canvas.restoreState()
                entry_width = min(entry.minWidth() + 4, plot_width / len(legend) - 12)
                _w, entry_height = entry.wrap(entry_width, 12)
                entry.drawOn(canvas, x + 11, height - 12)
                x += entry_width + 24

    return ChartFlowable()


def nice_ceiling(value: float) -> float:
    """The top of a value axis: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    import math

    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power


# --- parts of the station's papers -----------------------------------------------------


def styled(value: Any, style: str = "body", **overrides: Any) -> Any:
    """A paragraph in one of :func:`styles` changed by ``overrides`` (``fontSize``,
    ``leading``, ``alignment``, ``textColor``...), for the large type of a notice."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    base = styles()[style]
    return Paragraph(markup(value), ParagraphStyle(f"{style}-styled", parent=base, **overrides))


def long_date(moment: Any) -> str:
    """A date as printed on official papers: ``2025年3月1日`` in Chinese (年 月 日)."""
    return _("{year}-{month}-{day}").format(year=moment.year, month=moment.month, day=moment.day)


def mask_id_number(value: Any) -> str:
    """An identity number with its middle hidden, as on papers handed out:
    ``320211199001011234`` becomes ``3202**********1234``."""
    digits = str(value or "").strip()
    if not digits:
        return ""
    keep = 4 if len(digits) >= 12 else max(1, len(digits) // 4)
    return digits[:keep] + "*" * (len(digits) - 2 * keep) + digits[-keep:]


def qr_code(data: str, *, size: float) -> Any:
    """A QR code of ``data`` as a square flowable ``size`` points wide (ReportLab's own
    encoder: no image file, nothing to install)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(data, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    return drawing


def _seal_circle(label: str, diameter: float) -> Any:
    """The dashed circle of :func:`seal_area`, its label drawn as a paragraph so that the
    font carries its characters. The class is made here because ReportLab is imported
    only when something is printed."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.platypus import Flowable

    caption = styled(label, "small", alignment=TA_CENTER, textColor=colors.HexColor("#909090"))

    class SealCircle(Flowable):
        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            return diameter, diameter

        def draw(self) -> None:
            canvas = self.canv
            canvas.saveState()
            canvas.setStrokeColor(colors.HexColor("#a0a0a0"))
            canvas.setDash(3, 2)
            canvas.setLineWidth(0.8)
            radius = diameter / 2
            canvas.circle(radius, radius, radius - 1)
            canvas.restoreState()
            _width, height = caption.wrap(diameter - 8, diameter)
            caption.drawOn(canvas, 4, radius - height / 2)

    return SealCircle()


def seal_area(
    unit: str,
    date_text: str,
    seal_label: str,
    *,
    width: float,
    beside: Sequence[Any] = (),
) -> Any:
    """The unit's sign-off at the foot of a paper: the seal circle beside the unit's name
    and the date (年 月 日), on the right of ``width``; ``beside`` (e.g. signature lines)
    fills the left."""
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    diameter = 30 * mm
    text_width = 72 * mm
    sign_off = [
        styled(unit, "body", alignment=TA_CENTER, fontSize=11.5, leading=17),
        styled(date_text, "body", alignment=TA_CENTER, fontSize=11.5, leading=17),
    ]
    table = Table(
        [[list(beside), _seal_circle(seal_label, diameter), sign_off]],
        colWidths=[width - diameter - 4 * mm - text_width, diameter + 4 * mm, text_width],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


# --- finished documents: the papers a station hands out ----------------------------------


def receipt_pdf(
    path: str | Path,
    *,
    title: str,
    number: str,
    number_hint: str,
    qr_data: str,
    rows: Sequence[tuple[str, Any]],
    statement: str,
    contact: str,
    signatures: Sequence[str],
    unit: str,
    date_text: str,
    seal_label: str,
    stub_title: str,
    stub_rows: Sequence[tuple[str, Any]],
    stub_signatures: Sequence[str],
) -> Path:
    """The report receipt 案(事)件接报回执单: the reporter's part and, below a cut line, the
    station's stub (存根) that stays in the file.

    :param number: the receipt number as printed; ``qr_data`` is encoded beside it as a QR
        code for the progress query, explained by ``number_hint``.
    :param rows: (label, value) pairs of the report's elements.
    :param statement: the printed text telling the reporter what happens next.
    :param contact: the unit's contact line (its phone).
    :param signatures: labels of the signature lines (receiving officer, reporter...).
    :param unit: the issuing unit, printed beside the seal area with ``date_text``.
    """
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Spacer, Table, TableStyle

    width = usable_width()

    def signature_lines(labels: Sequence[str]) -> list[Any]:
        return [styled(f"{label}:______________", "body", leading=26) for label in labels]

    qr_size = 27 * mm
    heading = Table(
        [
            [
                [
                    styled(number, "heading", fontSize=14, leading=20),
                    styled(number_hint, "small"),
                ],
                qr_code(qr_data, size=qr_size),
            ]
        ],
        colWidths=[width - qr_size - 2 * mm, qr_size + 2 * mm],
    )
    heading.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ]
        )
    )
    flowables: list[Any] = [
        paragraph(title, "title"),
        heading,
        Spacer(1, 2 * mm),
        field_table(rows, label_width=32 * mm),
        Spacer(1, 3 * mm),
        paragraph(statement),
        Spacer(1, 1 * mm),
        styled(contact, "body", fontSize=12, leading=18),
        Spacer(1, 2 * mm),
        seal_area(unit, date_text, seal_label, width=width, beside=signature_lines(signatures)),
        Spacer(1, 4 * mm),
        HRFlowable(width="100%", dash=(4, 3), thickness=0.8),
        Spacer(1, 4 * mm),
        styled(stub_title, "title", fontSize=15, leading=20, spaceAfter=2),
        styled(number, "body", alignment=TA_RIGHT),
        Spacer(1, 2 * mm),
        field_table(stub_rows, label_width=32 * mm),
        Spacer(1, 3 * mm),
        *signature_lines(stub_signatures),
    ]
    return build_pdf(path, flowables, title=title, author=unit)


def notice_pdf(
    path: str | Path,
    *,
    title: str,
    headline: str,
    name: str,
    rows: Sequence[tuple[str, Any]],
    last_seen_title: str,
    last_seen_rows: Sequence[tuple[str, Any]],
    body: str,
    contact: str,
    unit: str,
    date_text: str,
    seal_label: str,
    photo: bytes | None = None,
    no_photo_text: str = "",
) -> Path:
    """The missing-person notice 寻人公告, made to be pinned up: a large photo beside the
    name in large type and the description, a framed last-seen block, the appeal, the phone
    to call in large type, and the issuing unit with the date and the seal area.

    :param rows: (label, value) pairs describing the person (gender, age, description...).
    :param last_seen_rows: when and where the person was last seen.
    :param photo: image bytes (JPEG/PNG), or None to print ``no_photo_text`` in the frame.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    width = usable_width()
    photo_width, photo_height = 78 * mm, 100 * mm
    picture = (
        image(photo, max_width=photo_width - 6 * mm, max_height=photo_height - 6 * mm)
        if photo
        else styled(no_photo_text, "center", fontSize=16, leading=22)
    )
    details: list[Any] = [styled(name, "title", fontSize=34, leading=44, alignment=0)]
    details.append(Spacer(1, 3 * mm))
    for label_text, value in rows:
        details.append(
            styled(
                _("{label}: {value}").format(label=label_text, value=text(value)),
                "body",
                fontSize=15,
                leading=23,
                spaceAfter=5,
            )
        )
    layout = Table(
        [[picture, details]],
        colWidths=[photo_width, width - photo_width],
        rowHeights=[photo_height],
    )
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
                ("ALIGN", (0, 0), (0, 0), "CENTER"),
                ("BOX", (0, 0), (0, 0), 1, colors.black),
                ("LEFTPADDING", (1, 0), (1, 0), 6 * mm),
            ]
        )
    )
    last_seen = Table(
        [[styled(last_seen_title, "heading", fontSize=15, leading=20), ""]]
        + [
            [
                styled(label_text, "body", fontSize=14, leading=21),
                styled(value, "body", fontSize=14, leading=21),
            ]
            for label_text, value in last_seen_rows
        ],
        colWidths=[40 * mm, width - 40 * mm],
    )
    last_seen.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
            ]
        )
    )
    flowables = [
        styled(title, "title", fontSize=34, leading=42, spaceAfter=4),
        styled(headline, "center", fontSize=14, leading=20),
        Spacer(1, 6 * mm),
        layout,
        Spacer(1, 7 * mm),
        last_seen,
        Spacer(1, 6 * mm),
        styled(body, "body", fontSize=14, leading=22),
        Spacer(1, 5 * mm),
        styled(contact, "heading", fontSize=18, leading=26, alignment=TA_CENTER),
        Spacer(1, 6 * mm),
        seal_area(unit, date_text, seal_label, width=width),
    ]
    return build_pdf(path, flowables, title=title, author=unit)


def ledger_section(
    heading: str,
    columns: Sequence[str],
    widths: Sequence[float],
    rows: Sequence[Sequence[Any]],
    *,
    empty_text: str = "",
) -> list[Any]:
    """One table of a ledger (:func:`ledger_pdf`): a heading, the column titles with their
    relative ``widths``, the rows (the header repeats on every page), or ``empty_text``
    when there are none."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    title = paragraph(heading, "heading")
    if not rows:
        return [Spacer(1, 4 * mm), KeepTogether([title, paragraph(empty_text, "small")])]
    width = usable_width()
    total = sum(widths)
    body = [[paragraph(column, "cell") for column in columns]]
    body.extend([paragraph(cell, "cell") for cell in row] for row in rows)
    table = Table(body, colWidths=[width * share / total for share in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [Spacer(1, 4 * mm), title, table]


def ledger_pdf(
    path: str | Path,
    *,
    title: str,
    subtitle: str,
    fields: Sequence[tuple[str, Any]],
    fields_heading: str,
    sections: Sequence[list[Any]],
    unit: str,
    printed: str,
) -> Path:
    """A file (台账, 一人一档) as kept at the station: the case's fields in a grid, then the
    sections (tasks, callbacks, findings... each from :func:`ledger_section`), each starting
    where the last ended.

    :param printed: who printed it and when (the unit and the date), under the subtitle.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    width = usable_width()
    half = len(fields) - len(fields) // 2
    pairs = list(fields)
    # Two label/value pairs per line: a file's many short fields fit in half the height.
    grid_rows = []
    for index in range(half):
        left = pairs[index]
        right = pairs[half + index] if half + index < len(pairs) else ("", "")
        grid_rows.append(
            [
                paragraph(left[0], "cell"),
                paragraph(left[1], "cell"),
                paragraph(right[0], "cell"),
                paragraph(right[1], "cell"),
            ]
        )
    label_width = 31 * mm
    value_width = width / 2 - label_width
    grid = Table(grid_rows, colWidths=[label_width, value_width] * 2)
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f0f0f0")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    flowables: list[Any] = [
        paragraph(title, "title"),
        paragraph(subtitle, "center"),
        Spacer(1, 2 * mm),
        styled(printed, "small", alignment=TA_RIGHT),
        Spacer(1, 2 * mm),
        paragraph(fields_heading, "heading"),
        grid,
    ]
    for section in sections:
        flowables.extend(section)
    return build_pdf(path, flowables, title=title, author=unit)
