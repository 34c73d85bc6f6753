"""A built report as the officer reads it: every key, code and officer labelled, rates as
percentages with their counts beside them, and a header naming the unit, the period and the
print date.

A :class:`~casebook.models.Report` holds codes and numbers (what ``--json`` prints);
:func:`report_view` turns it into a :class:`ReportView` of display text, in the current
language, from the plugins' vocabulary (:class:`~casebook.vocabulary.Glossary`). The GUI's
Reports page, the PDF and the CLI's text output all show the same view, so none of them
formats a report on its own, and a test can read every text a report shows
(:meth:`ReportView.texts`).

What the view needs from the report, besides its labels:

- ``report.rates``: which summary keys are rates, and of which counts;
- ``report.column_keys``: the code of each column, so that cells are shown like the summary
  keys of that name;
- ``key_enums`` of the vocabulary: which report keys and columns hold codes of an enum
  (labelled) or officer ids (:data:`~casebook.vocabulary.OFFICERS`, shown by name).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casebook.clock import parse_datetime
from casebook.i18n import _, language
from casebook.models import Report
from casebook.vocabulary import OFFICERS, Glossary

#: how a column's cells read, for laying tables out: ``text`` wraps; the others are kept on
#: one line (a date that wraps is unreadable).
log = logging.getLogger(__name__)

TEXT, NUMBER, PERCENT, MOMENT = "text", "number", "percent", "moment"
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Table:
    """A table of display text.

    :param columns: the column titles; empty for a list of (label, value) pairs, whose
        ``rows`` then have two cells each.
    :param kinds: per column, :data:`TEXT`, :data:`NUMBER`, :data:`PERCENT` or
        :data:`MOMENT`, so that a page can keep numbers and dates on one line.
    """

    title: str
    columns: list[str]
    rows: list[list[str]]
    kinds: list[str] = field(default_factory=list)


@dataclass
class Chart:
    """One chart of a report: ``labels`` along the x axis, each series a name and its values.

    :param percent: the values are rates (0 to 1), drawn as percentages.
    """

    title: str
    labels: list[str]
    series: list[tuple[str, list[float]]]
    percent: bool = False
    kind: str = "bar"


@dataclass
class ReportView:
    """A report in display text. ``header`` holds (label, text) pairs: the unit, the period
    and the print date; ``figures`` the summary's single figures; ``tables`` its nested
    groups (by cause, by vulnerable group...) and lists; ``table`` the report's own table."""

    name: str
    title: str
    header: list[tuple[str, str]]
    figures: list[tuple[str, str]]
    tables: list[Table]
    table: Table | None
    charts: list[Chart]
    #: what makes the figures incomplete (a review rule that failed or was refused)
    warnings: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        """Every text the view shows, in order (for checks that nothing is left as a code)."""
        shown = [self.title, *self.warnings]
        for label, value in self.header + self.figures:
            shown += [label, value]
        for table in [*self.tables, *([self.table] if self.table else [])]:
            shown += [table.title, *table.columns]
            shown += [cell for row in table.rows for cell in row]
        for chart in self.charts:
            shown += [chart.title, *chart.labels, *(name for name, _values in chart.series)]
        return [text for text in shown if text]

    def header_parts(self) -> list[str]:
        """The header as "label: value" texts (单位：旺庄派出所)."""
        return [
            _("{label}: {value}").format(label=label, value=value) for label, value in self.header
        ]

    def lines(self) -> list[str]:
        """The view as plain text lines (the CLI's output)."""
        lines = [self.title, "    ".join(self.header_parts())]
        lines += [f"  {label}: {value}" for label, value in self.figures]
        for table in [*self.tables, *([self.table] if self.table else [])]:
            if table.title:
                lines.append(table.title)
            if table.columns:
                lines.append("  " + " | ".join(table.columns))
                lines += ["  " + " | ".join(row) for row in table.rows]
            else:
                lines += [f"  {label}: {value}" for label, value in table.rows]
        return lines


# --- values as text ------------------------------------------------------------------------


def percent(value: float) -> str:
    """``0.825`` -> ``82.5%``; ``0.8611`` -> ``86.11%``; ``1.0`` -> ``100%``."""
    shown = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return f"{shown}%"


def rate_text(value: float, part: Any = None, whole: Any = None) -> str:
    """A rate with its counts beside it: ``82.5%（7031/8520）`` (``82.5% (7031/8520)``)."""
    if part is None or whole is None:
        return percent(value)
    return _("{percent} ({part}/{whole})").format(
        percent=percent(value), part=number_text(part), whole=number_text(whole)
    )


def number_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() else str(int(value))
    return str(value)


def moment_text(value: str | datetime) -> str:
    """An ISO 8601 time as officers read it: local, to the minute."""
    try:
        moment = parse_datetime(value)
    except (TypeError, ValueError):
        return str(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def join(items: list[str]) -> str:
    return ("、" if language().startswith("zh") else ", ").join(item for item in items if item)


def value_text(value: Any) -> str:
    """Any value of a report as display text (a code is labelled before it gets here)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_MOMENT.match(value)):
        return moment_text(value)
    if isinstance(value, list | tuple):
        return join([value_text(item) for item in value])
    return str(value)


def kind_of(value: Any, is_rate: bool = False) -> str:
    if is_rate:
        return PERCENT
    if isinstance(value, bool):
        return TEXT
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, datetime) or (
        isinstance(value, str) and re.match(r"^\d{4}-\d{2}(-\d{2})?([T ]\d{2}:\d{2})?", value)
    ):
        return MOMENT
    return TEXT


# --- the view ------------------------------------------------------------------------------


class _Labeller:
    """Labels of one report's keys and codes."""

    def __init__(
        self, report: Report, glossary: Glossary, officer_name: Callable[[str], str]
    ) -> None:
        self.report = report
        self.glossary = glossary
        self.officer_name = officer_name

    def key(self, key: Any) -> str:
        """A summary key's label: the report's own ``labels`` first, then the vocabulary."""
        return self.report.labels.get(str(key)) or self.glossary.label("report_key", key)

    def code(self, key: Any, code: Any) -> str:
        """A code found under (or in the column of) report key ``key``."""
        if code is None or code == "":
            return ""
        if isinstance(code, list | tuple):
            return join([self.code(key, item) for item in code])
        enum = self.glossary.key_enum(key)
        if enum == OFFICERS:
            return self.officer_name(str(code))
        if enum is not None:
            return self.glossary.enum_label(enum, code)
        return self.glossary.key_label(key, code)

    def is_rate(self, key: Any, value: Any) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if str(key) in self.report.rates:
            return True
        name = str(key).lower()  # an undeclared share still reads as one
        return (
            isinstance(value, float) and 0.0 <= value <= 1.0 and ("rate" in name or "share" in name)
        )

    def figure(self, key: Any, value: Any, within: dict[str, Any]) -> str:
        """A figure of a summary (or of a nested group ``within``) as text."""
        if self.is_rate(key, value):
            part, whole = self.counts(str(key), within)
            return rate_text(float(value), part, whole)
        if self.glossary.key_enum(key) is not None and isinstance(value, str | list):
            return self.code(key, value)
        return value_text(value)

    def counts(self, key: str, within: dict[str, Any]) -> tuple[Any, Any]:
        refs = self.report.rates.get(key) or []
        if len(refs) != 2:
            return None, None
        part, whole = (self.total(ref, within) for ref in refs)
        return part, whole

    @staticmethod
    def total(ref: Any, within: dict[str, Any]) -> Any:
        refs = ref if isinstance(ref, list | tuple) else [ref]
        values = [within.get(str(name)) for name in refs]
        if not values or any(not isinstance(v, int | float) for v in values):
            return None
        return sum(values)

    def cell(self, key: str, value: Any) -> str:
        if key and self.glossary.key_enum(key) is not None and isinstance(value, str | list):
            return self.code(key, value)
        if key and self.is_rate(key, value):
            return percent(float(value))
        return value_text(value)


def report_view(
    report: Report,
    glossary: Glossary,
    *,
    unit: str = "",
    printed_at: datetime | None = None,
    officer_name: Callable[[str], str] = str,
) -> ReportView:
    """The display text of ``report`` in the current language.

    :param unit: the unit the report is about (the station's name), for the header.
    :param printed_at: when it is shown or printed, for the header (None: not shown).
    :param officer_name: an officer's name from an officer id (``nb.officer_name``).
    """
    labeller = _Labeller(report, glossary, officer_name)
    figures = []
    tables = []
    for key, value in report.summary.items():
        if isinstance(value, dict):
            tables.append(_group_table(labeller, key, value))
        elif isinstance(value, list | tuple) and not all(
            isinstance(item, int | float) for item in value
        ):
            rows = [
                [labeller.code(key, item) if glossary.key_enum(key) else value_text(item)]
                for item in value
            ]
            tables.append(Table(labeller.key(key), [labeller.key(key)], rows, [TEXT]))
        else:
            figures.append((labeller.key(key), labeller.figure(key, value, report.summary)))
    table = _main_table(labeller) if report.columns or report.rows else None
    return ReportView(
        name=report.name,
        title=report.title,
        header=_header(report, unit, printed_at),
        figures=figures,
        tables=tables,
        table=table,
        charts=_charts(report, table),
        warnings=list(report.warnings),
    )


def _header(report: Report, unit: str, printed_at: datetime | None) -> list[tuple[str, str]]:
    if report.start and report.end:
        period = _("{start} to {end}").format(start=report.start, end=report.end)
    elif report.start:
        period = _("from {start}").format(start=report.start)
    elif report.end:
        period = _("until {end}").format(end=report.end)
    else:
        period = _("all records")
    header = []
    if unit:
        header.append((_("Unit"), unit))
    header.append((_("Period"), period))
    if printed_at is not None:
        header.append((_("Printed"), printed_at.astimezone().strftime("%Y-%m-%d %H:%M")))
    return header


def _group_table(labeller: _Labeller, key: str, groups: dict[str, Any]) -> Table:
    """A nested summary figure as a table: codes labelled, rates with their counts."""
    title = labeller.key(key)
    if groups and all(isinstance(value, dict) for value in groups.values()):
        inner: list[str] = []
        for counts in groups.values():
            inner += [name for name in counts if name not in inner]
        rows = [
            [labeller.code(key, code)]
            + [
                labeller.figure(name, counts[name], counts) if name in counts else ""
                for name in inner
            ]
            for code, counts in groups.items()
        ]
        kinds = [TEXT] + [
            kind_of(next((c[n] for c in groups.values() if n in c), ""), labeller.is_rate(n, 0.0))
            for n in inner
        ]
        return Table(title, [title, *(labeller.key(name) for name in inner)], rows, kinds)
    rows = [
        [labeller.code(key, code), labeller.figure(code, value, groups)]
        for code, value in groups.items()
    ]
    return Table(title, [], rows, [TEXT, NUMBER])


def _main_table(labeller: _Labeller) -> Table:
    report = labeller.report
    width = max([len(report.columns)] + [len(row) for row in report.rows])
    keys = [*report.column_keys, *[""] * width][:width]
    columns = [
        str(report.columns[i]) if i < len(report.columns) else labeller.key(keys[i])
        for i in range(width)
    ]
    rows = [
        [labeller.cell(keys[i], row[i]) if i < len(row) else "" for i in range(width)]
        for row in report.rows
    ]
    kinds = []
    for i in range(width):
        sample = next((row[i] for row in report.rows if i < len(row) and row[i] is not None), "")
        if labeller.glossary.key_enum(keys[i]) is not None:
            kinds.append(TEXT)
        elif keys[i] in report.rates:
            kinds.append(PERCENT)
        else:
            kinds.append(kind_of(sample, bool(keys[i]) and labeller.is_rate(keys[i], sample)))
    return Table("", columns, rows, kinds)


def column_index(report: Report, ref: Any) -> int | None:
    """A chart's column reference: an index, a column key or a column title."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref if 0 <= ref < max(len(report.columns), len(report.column_keys)) else None
    for names in (report.column_keys, report.columns):
        if isinstance(ref, str) and ref in names:
            return list(names).index(ref)
    return None


def _charts(report: Report, table: Table | None) -> list[Chart]:
    charts = []
    for chart in report.charts:
        try:
            charts.append(_chart(report, table, chart))
        except (ValueError, TypeError, IndexError) as error:  # one bad chart hides no other
            log.warning("report %s: chart %r not drawn: %s", report.name, chart.get("title"), error)
    return charts


def _chart(report: Report, table: Table | None, chart: dict[str, Any]) -> Chart:
    if chart.get("labels") is not None and chart.get("values") is not None:
        return Chart(
            str(chart.get("title", "")),
            [str(v) for v in chart["labels"]],
            [(str(chart.get("title", "")), [float(v) for v in chart["values"]])],
            kind=str(chart.get("kind") or "bar"),
        )
    x_index = column_index(report, chart.get("x"))
    y_refs = chart.get("y")
    y_refs = y_refs if isinstance(y_refs, list) else [y_refs]
    y_indexes = [i for i in (column_index(report, ref) for ref in y_refs) if i is not None]
    if table is None or x_index is None or not y_indexes:
        raise ValueError(_("the chart names columns the report does not have"))
    labels = [row[x_index] for row in table.rows]
    series = []
    for index in y_indexes:
        values = [
            float(row[index]) if index < len(row) and _is_number(row[index]) else 0.0
            for row in report.rows
        ]
        series.append((table.columns[index], values))
    return Chart(
        str(chart.get("title", "")),
        labels,
        series,
        percent=all(table.kinds[i] == PERCENT for i in y_indexes),
        kind=str(chart.get("kind") or "bar"),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
