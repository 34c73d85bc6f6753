"""The application: one root window that shows the wizard, the unlock screen or the shell.

The app owns the open :class:`~casebook.Notebook`, the background jobs, the idle lock and
the notice bar. Screens and dialogs see it only through :class:`.context.AppContext`; none
of them holds a rule of its own.
"""

from __future__ import annotations

import logging
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook import i18n, store
from casebook.errors import CasebookError

from .fonts import apply_cjk_fonts
from .text import _
from .worker import BackgroundJobs

if TYPE_CHECKING:
    from casebook.notebook import Notebook
    from casebook.vocabulary import Glossary

    from .shell import MainShell

log = logging.getLogger(__name__)

#: ttkbootstrap theme per preference value; the second name is the pre-2.0 one.
THEMES = {"light": ("bootstrap-light", "litera"), "dark": ("bootstrap-dark", "darkly")}
DEFAULT_IDLE_LOCK_MINUTES = 10
IDLE_CHECK_MS = 10_000
WINDOW_SIZE = (1280, 820)


def default_notebook_dir() -> Path:
    """Where the notebook lives when nothing says otherwise: the user data dir."""
    import os

    env = os.environ.get("CASEBOOK_NOTEBOOK")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("casebook", appauthor=False)) / "notebook"


class CasebookApp:
    """The Casebook desktop app.

    :param notebook_dir: the notebook folder (created by the wizard when absent).
    :param demo_if_new: tick "load demo cases" in the wizard by default.
    :param notebook: an already unlocked notebook (the benchmark and tests use this).
    """

    def __init__(
        self,
        notebook_dir: str | Path | None = None,
        *,
        demo_if_new: bool = False,
        notebook: Notebook | None = None,
    ) -> None:
        self.notebook_dir = Path(notebook_dir) if notebook_dir else default_notebook_dir()
        self.demo_if_new = demo_if_new
        self.nb: Notebook | None = None
        self.root = ttk.Window(
            title=_("Casebook"), theme=THEMES["light"][0], size=WINDOW_SIZE, minsize=(960, 600)
        )
        self.font_family = apply_cjk_fonts(self.root)
        self.root.report_callback_exception = self.on_callback_exception
        self.root.protocol("WM_DELETE_WINDOW", self.on_close)
        self.jobs = BackgroundJobs(self.root)
        self.container = ttk.Frame(self.root)
        self.container.pack(fill="both", expand=True)
        self.current: tk.Widget | None = None
        self.shell: MainShell | None = None
        self.last_activity = time.monotonic()
        self.idle_after: str | None = None
        self.bind_activity()
        if notebook is not None:
            self.on_unlocked(notebook)
        else:
            self.show_start()

    # -- screens ------------------------------------------------------------------------

    def replace(self, widget: tk.Widget) -> tk.Widget:
        if self.current is not None:
            self.current.destroy()
        self.current = widget
        widget.pack(fill="both", expand=True)
        return widget

    def show_start(self) -> None:
        """The wizard for a new notebook, else the unlock screen."""
        from casebook import Notebook

        if Notebook.exists(self.notebook_dir):
            self.show_unlock()
        else:
            from .screens.wizard import WizardScreen

            self.replace(WizardScreen(self.container, self, load_demo=self.demo_if_new))
        self.root.title(_("Casebook"))

    def show_unlock(self, message: str = "") -> None:
        from .screens.unlock import UnlockScreen

        self.shell = None
        self.replace(UnlockScreen(self.container, self, message=message))

    def on_unlocked(self, notebook: Notebook) -> None:
        """Apply this laptop's preferences and open the main window on Today."""
        self.nb = notebook
        language = self.preference("language", None)
        if language in i18n.LANGUAGES:
            i18n.set_language(language)
        self.apply_theme(self.preference("theme", "light"))
        self.show_shell("today")
        self.touch()
        self.schedule_idle_check()

    def show_shell(self, page: str = "today") -> MainShell:
        from .shell import MainShell

        self.shell = MainShell(self.container, self)
        self.replace(self.shell)
        self.root.title(_("Casebook") + f" — {self.officer_text()}")
        self.shell.show_page(page)
        return self.shell

    # -- the screens' context (see context.AppContext) ------------------------------------

    def vocabulary(self) -> Glossary:
        if self.nb is None:
            from casebook.vocabulary import Glossary

            return Glossary()
        return self.nb.vocabulary()

    def open_case(self, case_id: str | None = None, *, case_type: str | None = None) -> Any:
        if self.shell is None:
            return None
        return self.shell.open_case(case_id, case_type=case_type)

    def show_page(self, name: str) -> Any:
        return self.shell.show_page(name) if self.shell is not None else None

    def refresh_page(self) -> None:
        if self.shell is not None:
            self.shell.refresh_page()

    def rebuild(self, page: str) -> None:
        notice = (self.shell.notice.text, self.shell.notice.kind) if self.shell else ("", "")
        shell = self.show_shell(page)
        if notice[0]:
            shell.notice.show(*notice)

    def track_dialog(self, dialog: tk.Toplevel) -> None:
        if self.shell is not None:
            self.shell.track_dialog(dialog)

    def officer_text(self) -> str:
        officer = getattr(self.nb, "officer", None) or {}
        return " ".join(
            str(officer.get(k, "")) for k in ("unit", "name", "officer_id") if officer.get(k)
        )

    # -- locking ------------------------------------------------------------------------

    def bind_activity(self) -> None:
        for sequence in ("<Any-KeyPress>", "<Any-ButtonPress>", "<Motion>", "<MouseWheel>"):
            self.root.bind_all(sequence, lambda _event: self.touch(), add="+")

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def idle_lock_minutes(self) -> float:
        try:
            return float(self.preference("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES))
        except (TypeError, ValueError):
            return DEFAULT_IDLE_LOCK_MINUTES

    def schedule_idle_check(self) -> None:
        if self.idle_after:
            self.root.after_cancel(self.idle_after)
        self.idle_after = self.root.after(IDLE_CHECK_MS, self.on_idle_check)

    def on_idle_check(self) -> None:
        self.idle_after = None
        if self.nb is None or self.shell is None:
            return
        minutes = self.idle_lock_minutes()
        sync_busy = self.shell is not None and self.shell.status_bar.busy
        if self.jobs.busy or sync_busy:  # a sync or report in flight still needs the key
            self.schedule_idle_check()
            return
        if minutes > 0 and time.monotonic() - self.last_activity >= minutes * 60:
            self.lock(
                _("Locked after {minutes} minutes without activity.").format(minutes=f"{minutes:g}")
            )
            return
        self.schedule_idle_check()

    def lock(self, message: str = "") -> None:
        """Drop the key (``nb.lock()``) and show the unlock screen."""
        if self.shell is not None:
            self.shell.status_bar.stop_watching()
        if self.nb is not None:
            try:
                self.nb.lock()
            except CasebookError as error:
                log.warning("lock failed: %s", error)
        if self.shell is not None:
            self.shell.close_dialogs()
        self.show_unlock(message)

    # -- preferences and appearance -------------------------------------------------------

    def preference(self, key: str, default: Any = None) -> Any:
        if self.nb is None:
            return default
        try:
            return self.nb.preference(key, default)
        except CasebookError:
            return default

    def apply_theme(self, name: str) -> None:
        for theme in THEMES.get(name, THEMES["light"]):
            try:
                self.root.style.theme_use(theme)
                break
            except tk.TclError:
                continue
        apply_cjk_fonts(self.root)

    def set_language(self, language: str) -> None:
        """Switch the language and rebuild the window in it, staying on the same page."""
        i18n.set_language(language)
        if self.nb is not None:
            self.nb.set_preference("language", language)
        page = self.shell.page_name if self.shell else "today"
        case_id = self.shell.case_view.case_id if self.shell and self.shell.case_view else None
        if self.shell is not None:
            self.shell.close_dialogs()
            shell = self.show_shell("cases" if page == "case" else page)
            if page == "case":
                shell.open_case(case_id)

    # -- messages and errors --------------------------------------------------------------

    def notify(self, message: str, kind: str = "info") -> None:
        """Show a message in the notice bar (errors stay until dismissed)."""
        log.log(logging.ERROR if kind == "danger" else logging.INFO, "%s", message)
        if self.shell is not None:
            self.shell.notice.show(message, kind)
        elif self.current is not None and hasattr(self.current, "show_message"):
            self.current.show_message(message, kind)

    def describe_error(self, error: BaseException) -> str:
        if isinstance(error, CasebookError):
            return str(error)
        meaning = store.fault(error)  # a full disk, a read-only folder: said as such
        if meaning is not None:
            return str(meaning)
        return _("Unexpected error: {error}").format(error=f"{type(error).__name__}: {error}")

    def show_error(self, error: BaseException) -> None:
        self.notify(self.describe_error(error), "danger")

    def guarded(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``action``; show any error as a message and return None instead of raising."""
        try:
            return action(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - the window must survive anything
            if not isinstance(error, CasebookError):
                log.exception("unexpected error in %s", getattr(action, "__name__", action))
            self.show_error(error)
            return None

    def on_callback_exception(self, exc_type, error, traceback) -> None:
        """Tk's last resort: an error in a handler becomes a message, never a closed window."""
        log.error("error in a Tk callback", exc_info=(exc_type, error, traceback))
        try:
            self.show_error(error)
        except Exception:  # noqa: BLE001
            log.exception("could not show the error")

    # -- running ------------------------------------------------------------------------

    def changed(self) -> None:
        """Something was written: refresh the status bar."""
        if self.shell is not None:
            self.shell.status_bar.refresh()

    def run(self) -> None:
        self.root.mainloop()

    def on_close(self) -> None:
        self.jobs.stop()
        if self.shell is not None:
            self.shell.status_bar.stop_watching()
        if self.nb is not None:
            try:
                self.nb.close()
            except Exception:  # noqa: BLE001 - closing must always close the window
                log.exception("closing the notebook failed")
        self.root.destroy()
