"""The Casebook desktop app (ttkbootstrap): a thin layer over :class:`casebook.Notebook`.

``python -m casebook.gui`` or :func:`main` opens it. Every rule lives in the core; the GUI
lays out, binds and shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["main"]


def main(notebook_dir: str | None = None, demo_if_new: bool = False) -> None:
    """Open the app on ``notebook_dir`` (default: ``CASEBOOK_NOTEBOOK`` or the user data dir).

    :param notebook_dir: the notebook folder; the first-run wizard creates it when absent.
    :param demo_if_new: tick "load demo cases" in the wizard when the notebook is new.
    """
    from .app import CasebookApp

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = CasebookApp(Path(notebook_dir) if notebook_dir else None, demo_if_new=demo_if_new)
    app.run()
