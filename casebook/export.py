"""Spreadsheets: case lists, tasks, findings and reports as CSV or XLSX files.

The CLI (``--csv FILE`` / ``--xlsx FILE``) and the GUI (an export button on each page) both
build their tables here, so a spreadsheet shows what the GUI shows: labels in the user's
language (the GUI's words, :mod:`casebook.gui.text`, and the plugins' vocabulary), officers
by name from the station roster, times local to the minute. ``--json`` keeps the codes.

A file is written only where the user asked: an existing file is replaced only when
``replace=True`` (the CLI's ``--force``, the GUI's save dialog after it asked), and a missing
folder is an error, never created.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casebook.errors import InvalidInputError
from casebook.gui import text as words
from casebook.i18n import _
from casebook.models import CaseSummary, Officer, Report, ReviewResult, Task
from casebook.vocabulary import OFFICERS

FORMATS = ("csv", "xlsx")
#: The characters that make a spreadsheet read a cell as a formula (CSV injection): a cell of
#: case data that starts with one is written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    """One table of a spreadsheet: a title, column headers and rows of plain values."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


# -- the tables --------------------------------------------------------------------------


def case_sheet(notebook: Any, cases: Iterable[CaseSummary]) -> Sheet:
    """A case list (``nb.list_cases``, ``nb.search``) as the GUI's case list shows it."""
    names = notebook.officer_names()
    schemas = notebook.case_types()
    rows = [
        [
            case.id,
            words.type_label(case.type, schemas.get(case.type)),
            words.status_label(case.status),
            case.title,
            words.officer_label(names, case.responsible_officer_id or case.officer_id),
            words.officer_label(names, case.officer_id),
            words.format_when(case.created_at),
            words.format_when(case.updated_at),
        ]
        for case in cases
    ]
    return Sheet(
        _("Cases"),
        [
            _("Case number"),
            _("Type"),
            _("Status"),
            _("Title"),
            _("Responsible officer"),
            _("Received by"),
            _("Created"),
            _("Last change"),
        ],
        rows,
    )


def task_sheet(notebook: Any, tasks: Iterable[Task]) -> Sheet:
    """Tasks (``nb.tasks``) with their state, due time and responsible officer."""
    names = notebook.officer_names()
    glossary = notebook.vocabulary()
    rows = [
        [
            task.case_id,
            task.case_title,
            task.title,
            words.kind_label(task.kind, glossary),
            words.format_when(task.due_at),
            words.task_status_label(task.status),
            words.format_duration(task.overdue_seconds) if task.status == "overdue" else "",
            words.officer_label(names, task.responsible_officer_id),
        ]
        for task in tasks
    ]
    return Sheet(
        _("Tasks"),
        [
            _("Case number"),
            _("Case"),
            _("Task"),
            _("Kind"),
            _("Due"),
            _("State"),
            _("Overdue by"),
            _("Responsible officer"),
        ],
        rows,
    )


def findings_sheet(notebook: Any, results: Iterable[ReviewResult]) -> Sheet:
    """Review findings (``nb.review``), one row each, with the case's score and officer and
    the finding's history: when it was raised, who was responsible then, how it ended."""
    names = notebook.officer_names()
    glossary = notebook.vocabulary()
    rows = []
    for result in results:
        for finding in result.findings:
            rows.append(
                [
                    result.case_id,
                    result.score,
                    words.officer_label(names, result.officer_id),
                    finding.id,
                    glossary.label("rule", finding.rule),
                    words.severity_label(finding.severity),
                    finding.message,
                    finding.points,
                    words.format_when(finding.raised_at),
                    words.officer_label(names, finding.officer_id),
                    words.finding_state(finding, names),
                    finding.rectified_note,
                ]
            )
    return Sheet(
        _("Findings"),
        [
            _("Case number"),
            _("Score"),
            _("Responsible officer"),
            _("Finding"),
            _("Rule"),
            _("Severity"),
            _("Problem"),
            _("Points deducted"),
            _("Raised"),
            _("Officer responsible when raised"),
            _("State"),
            _("Rectification note"),
        ],
        rows,
    )


def officer_sheet(officers: Iterable[Officer]) -> Sheet:
    """The station roster (``nb.officers()``)."""
    return Sheet(
        _("Officers"),
        [_("Officer ID"), _("Name"), _("Unit")],
        [[o.officer_id, o.name, o.unit] for o in officers],
    )


def report_sheets(notebook: Any, report: Report) -> list[Sheet]:
    """A report as the PDF lays it out: its summary figures (labelled from the vocabulary,
    the report's own labels first), each nested figure table, then its table."""
    glossary = notebook.vocabulary()

    def label(key: Any) -> str:
        return report.labels.get(str(key)) or glossary.label("report_key", key)

    def code_label(name: Any, code: Any) -> str:
        # A code under a report key: an enum's label, or an officer's roster name.
        if glossary.key_enum(name) == OFFICERS:
            return notebook.officer_name(str(code))
        return glossary.key_label(name, code)

    summary = Sheet(
        report.title,
        [_("Figure"), _("Value")],
        [
            [label(name), _cell_value(value)]
            for name, value in report.summary.items()
            if not isinstance(value, dict)
        ],
    )
    sheets = [summary]
    for name, value in report.summary.items():
        if isinstance(value, dict):
            sheets.append(
                Sheet(
                    label(name),
                    [label(name), _("Value")],
                    [[code_label(name, key), _cell_value(item)] for key, item in value.items()],
                )
            )
    if report.columns:
        sheets.append(
            Sheet(
                _("Table"),
                list(report.columns),
                [[_cell_value(v) for v in row] for row in report.rows],
            )
        )
    return sheets


def _cell_value(value: Any) -> Any:
    """A value a spreadsheet cell holds: numbers stay numbers, the rest becomes text."""
    if isinstance(value, bool) or value is None:
        return words.format_value(value)
    if isinstance(value, int | float):
        return value
    return words.format_value(value)


# -- writing -----------------------------------------------------------------------------


def format_of(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format to write: ``fmt``, else the file's extension (``.csv`` or ``.xlsx``)."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise InvalidInputError(
            _("{path}: export to a .csv or .xlsx file").format(path=Path(path).name)
        )
    return chosen


def check_target(path: str | os.PathLike, *, fmt: str | None = None, replace: bool = False) -> str:
    """Refuse a file that cannot be written as asked; return its format.

    :raises InvalidInputError: an unknown format, a missing folder (it is never created), a
        folder in the file's place, or an existing file without ``replace``.
    """
    target = Path(path)
    chosen = format_of(target, fmt)
    folder = target.parent
    if not folder.is_dir():
        raise InvalidInputError(
            _("The folder {folder} does not exist; it is not created.").format(folder=folder)
        )
    if target.is_dir():
        raise InvalidInputError(_("{path} is a folder.").format(path=target))
    if target.exists() and not replace:
        raise InvalidInputError(
            _("{path} already exists; use --force to replace it.").format(path=target)
        )
    return chosen


def write(
    sheets: Sheet | Sequence[Sheet],
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    replace: bool = False,
) -> Path:
    """Write tables to a CSV or XLSX file and return its path.

    CSV is UTF-8 with a byte order mark (so spreadsheet programs on Chinese Windows read it
    right); several tables follow each other, each under its title, with a blank row
    between. XLSX has one worksheet per table.

    :param fmt: ``"csv"`` or ``"xlsx"`` (default: from the file's extension).
    :param replace: replace an existing file; without it an existing file is refused.
    :raises InvalidInputError: the file exists, its folder does not, or it cannot be written.
    """
    target = Path(path)
    chosen = check_target(target, fmt=fmt, replace=replace)
    tables = [sheets] if isinstance(sheets, Sheet) else list(sheets)
    try:
        # "x" refuses a file that appeared since the check; nothing is ever half-replaced by
        # a refusal.
        with open(target, "wb" if replace else "xb") as out:
            try:
                if chosen == "csv":
                    _write_csv(tables, out)
                else:
                    _write_xlsx(tables, out)
            except BaseException:
                out.close()
                target.unlink(missing_ok=True)
                raise
    except FileExistsError as error:
        raise InvalidInputError(
            _("{path} already exists; use --force to replace it.").format(path=target)
        ) from error
    except OSError as error:
        raise InvalidInputError(
            _("Cannot write {path}: {error}").format(path=target, error=error.strerror or error)
        ) from error
    return target


def _text_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _write_csv(tables: list[Sheet], out: Any) -> None:
    import io

    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    for number, sheet in enumerate(tables):
        if number:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([_text_cell(sheet.title)])
        writer.writerow([_text_cell(c) for c in sheet.columns])
        for row in sheet.rows:
            writer.writerow([_text_cell(v) for v in row])
    text.flush()
    text.detach()


def _write_xlsx(tables: list[Sheet], out: Any) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for sheet in tables:
        page = book.create_sheet(_sheet_title(sheet.title, used))
        page.append([str(c) for c in sheet.columns])
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append([_xlsx_value(v) for v in row])
        # A string that looks like a formula stays a string (CSV injection, XLSX edition).
        for row in page.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        for column, header in enumerate(sheet.columns, 1):
            widest = max([len(str(header))] + [len(str(r[column - 1])) for r in sheet.rows[:200]])
            page.column_dimensions[page.cell(1, column).column_letter].width = min(
                60, max(8, widest * 2 + 2)
            )
        page.freeze_panes = "A2"
    book.save(out)


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return words.format_value(value)
    if isinstance(value, int | float | str):
        return value
    return words.format_value(value)


def _sheet_title(title: str, used: set[str]) -> str:
    """A worksheet name XLSX accepts: at most 31 characters, none of ``[]:*?/\\``, unique."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip() or "Sheet"
    name = cleaned[:31]
    number = 2
    while name.lower() in used:
        suffix = f" ({number})"
        name = cleaned[: 31 - len(suffix)] + suffix
        number += 1
    used.add(name.lower())
    return name
