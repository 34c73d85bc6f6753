"""Saving a page's table as a spreadsheet (XLSX or CSV), the GUI's side of
:mod:`casebook.export`: the same labelled tables as the CLI's ``--csv`` / ``--xlsx``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ttkbootstrap as ttk

from casebook import export

from .text import _

FILE_TYPES = [("Excel (.xlsx)", "*.xlsx"), ("CSV (.csv)", "*.csv")]


def save_spreadsheet(
    screen: Any, name: str, build: Callable[[], Any], path: str | None = None
) -> Path | None:
    """Ask where to save (unless ``path`` is given), build the tables and write them.

    The save dialog asks before replacing an existing file, so a chosen file is replaced;
    its folder must exist (the dialog only offers existing ones).
    """
    path = path or ttk.filedialog.asksaveasfilename(
        parent=screen,
        title=_("Export to a spreadsheet"),
        defaultextension=".xlsx",
        initialfile=f"{name}.xlsx",
        filetypes=FILE_TYPES,
    )
    if not path:
        return None
    try:
        written = export.write(build(), path, replace=True)
    except Exception as error:  # noqa: BLE001 - shown to the officer, nothing half-written
        screen.app.show_error(error)
        return None
    screen.app.notify(_("Saved to {path}").format(path=written), "success")
    return written
