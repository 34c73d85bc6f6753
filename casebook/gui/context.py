"""What screens and dialogs may ask of the application: a narrow, explicit interface.

Screens and dialogs receive an :class:`AppContext`, never the application class, so they
can be built and tested with any object that offers these members (the tests use a small
one), and the application can change without them noticing. The context gives the
notebook facade, the background jobs, navigation, the language and theme, messages, and
the plugins' vocabulary; nothing else.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from casebook.notebook import Notebook
    from casebook.vocabulary import Glossary

    from .worker import BackgroundJobs


class AppContext(Protocol):
    """The application as screens and dialogs see it."""

    #: the open notebook (None before unlock)
    nb: Notebook | None
    #: the notebook folder (the wizard creates it, the unlock screen opens it)
    notebook_dir: Path
    #: the one root window (dialogs are its Toplevels)
    root: tk.Misc
    #: work off the Tk thread, results back on it
    jobs: BackgroundJobs
    #: the CJK font family in use (charts draw with it), or None
    font_family: str | None

    # -- the plugins' words -------------------------------------------------------------

    def vocabulary(self) -> Glossary:
        """The labels of the plugins' codes (report keys, kinds, rules, enums, roles)."""

    # -- navigation -----------------------------------------------------------------------

    def open_case(self, case_id: str | None = None, *, case_type: str | None = None) -> Any:
        """Show a case, or a new one (``case_id`` None)."""

    def show_page(self, name: str) -> Any:
        """Show a page of the main window ("today", "cases"...)."""

    def refresh_page(self) -> None:
        """Reload the page on show (after a change made elsewhere)."""

    def rebuild(self, page: str) -> None:
        """Rebuild the main window on ``page`` (a plugin appeared or went), keeping the
        message on show."""

    def track_dialog(self, dialog: tk.Toplevel) -> None:
        """Close ``dialog`` with the window (lock, language switch)."""

    def on_unlocked(self, notebook: Notebook) -> None:
        """A notebook was created or unlocked: open the main window on it."""

    # -- messages -------------------------------------------------------------------------

    def notify(self, message: str, kind: str = "info") -> None:
        """Show a message ("info", "success", "warning", "danger")."""

    def show_error(self, error: BaseException) -> None:
        """Show an error as a message."""

    def describe_error(self, error: BaseException) -> str:
        """An error as the officer reads it."""

    def guarded(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``action``; show an error instead of raising, and return None."""

    def changed(self) -> None:
        """Something was written: refresh what shows the notebook's state."""

    # -- this laptop's preferences ----------------------------------------------------------

    def preference(self, key: str, default: Any = None) -> Any:
        """A preference of this laptop (not synced)."""

    def idle_lock_minutes(self) -> float:
        """Minutes without activity before the window locks."""

    def set_language(self, language: str) -> None:
        """Switch the language and rebuild the window in it."""

    def apply_theme(self, name: str) -> None:
        """Switch the theme ("light", "dark")."""
