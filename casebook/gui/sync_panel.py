"""The status bar: last sync, ops waiting to go, conflicts, alarms, and "Sync now".

Sync runs :class:`casebook.sync.engine.SyncEngine` in a background job; its progress
callback feeds the progress bar through the job queue. A share that is missing or
unreachable, or a sync module that is not installed, is a message, never a hang.
"""

from __future__ import annotations

import logging
import os
import tkinter as tk
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook.clock import format_datetime, now

from .text import _, format_when

if TYPE_CHECKING:
    from .app import CasebookApp

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 30_000
FIRST_REFRESH_MS = 300
AUTO_SYNC_CHECK_MS = 60_000
DEFAULT_AUTO_SYNC_MINUTES = 10
STATION_MARKER = "casebook-station.json"


def share_reachable(share: str | os.PathLike[str]) -> bool:
    """The share is mounted and holds a station marker (the engine checks it again)."""
    try:
        return (Path(share) / STATION_MARKER).is_file()
    except OSError:
        return False


def run_sync(notebook: Any, share: str, progress: Any) -> dict[str, Any]:
    """One sync round (called in a worker). Import errors become a clear message."""
    try:
        from casebook.sync.engine import SyncEngine
    except ImportError as error:
        raise RuntimeError(
            _("Sync is not available in this installation ({error}).").format(error=error)
        ) from error
    return SyncEngine(notebook, share).sync_once(progress=progress)


class SyncStatusBar(ttk.Frame):
    """Sync state in one line at the bottom of the main window."""

    def __init__(self, master: tk.Misc, app: CasebookApp) -> None:
        super().__init__(master, padding=(8, 3))
        self.app = app
        self.running = False
        self.refreshing = False
        self.refresh_again = False
        self.conflict_count = 0
        self.alarm_count = 0
        self.last_result: dict[str, Any] | None = None
        self.create_widgets()
        self.refresh_after: str | None = None
        self.auto_after: str | None = None
        # After the first paint: the window comes first, the figures a moment later.
        self.refresh_after = self.after(FIRST_REFRESH_MS, self.refresh)
        self.auto_after = self.after(AUTO_SYNC_CHECK_MS, self.on_auto_sync_check)

    def create_widgets(self) -> None:
        self.last_sync_label = ttk.Label(self, text="")
        self.last_sync_label.pack(side="left", padx=(0, 14))
        self.pending_label = ttk.Label(self, text="")
        self.pending_label.pack(side="left", padx=(0, 14))
        self.conflicts_button = ttk.Button(
            self, text="", bootstyle="link", command=self.on_show_conflicts
        )
        self.conflicts_button.pack(side="left", padx=(0, 8))
        self.alarms_button = ttk.Button(
            self, text="", bootstyle="link", command=self.on_show_alarms
        )
        self.alarms_button.pack(side="left")
        self.sync_button = ttk.Button(
            self, text=_("Sync now") + " (F5)", bootstyle="primary", command=self.on_sync_now
        )
        self.sync_button.pack(side="right")
        self.progress = ttk.Progressbar(self, length=180, mode="determinate", maximum=100)
        self.progress.pack(side="right", padx=8)
        self.progress_label = ttk.Label(self, text="", bootstyle="secondary")
        self.progress_label.pack(side="right")

    def destroy(self) -> None:
        for after_id in (self.refresh_after, self.auto_after):
            if after_id:
                try:
                    self.after_cancel(after_id)
                except tk.TclError:
                    pass
        super().destroy()

    # -- state ----------------------------------------------------------------------------

    @property
    def nb(self) -> Any:
        return self.app.nb

    def pending_ops(self) -> int | None:
        """Ops written here and not yet published, when the notebook can tell."""
        counter = getattr(self.nb, "pending_ops", None)
        if callable(counter):
            try:
                return int(counter())
            except Exception:  # noqa: BLE001
                return None
        try:
            published = (self.nb.sync_state("sync.published") or {}).get("seq", 0)
            return max(0, int(self.nb.known_seqs().get(self.nb.device_id, 0)) - int(published))
        except Exception:  # noqa: BLE001 - a count is a nicety, never an error
            return None

    def read_counts(self) -> dict[str, Any]:
        """The figures of the bar (run in a background job: ``conflicts()`` reads every case)."""
        counts: dict[str, Any] = {
            "last": self.app.preference("last_sync_at", None),
            "pending": self.pending_ops(),
        }
        try:
            counts["conflicts"] = len(self.nb.conflicts())
        except Exception:  # noqa: BLE001
            log.exception("conflicts() failed")
            counts["conflicts"] = 0
        try:
            counts["alarms"] = len([a for a in self.nb.alarms() if not a.acknowledged])
        except Exception:  # noqa: BLE001
            log.exception("alarms() failed")
            counts["alarms"] = 0
        return counts

    def refresh(self) -> None:
        """Read the figures again, off the UI thread, and show them when they arrive."""
        if self.refresh_after:
            try:
                self.after_cancel(self.refresh_after)
            except tk.TclError:
                pass
        self.refresh_after = self.after(STATUS_REFRESH_MS, self.refresh)
        if self.nb is None or getattr(self.nb, "is_locked", False):
            return
        if self.refreshing:
            self.refresh_again = True  # something changed while the figures were read
            return
        self.refreshing = True
        self.refresh_again = False
        self.app.jobs.start(
            lambda _progress: self.read_counts(),
            on_done=self.show_counts,
            on_error=self.on_counts_failed,
        )

    def on_counts_failed(self, error: BaseException) -> None:
        self.refreshing = False
        log.warning("status bar counts failed: %s", error)

    def show_counts(self, counts: dict[str, Any]) -> None:
        self.refreshing = False
        if not self.winfo_exists():
            return
        if self.refresh_again:
            self.refresh()
        last, pending = counts["last"], counts["pending"]
        self.last_sync_label.configure(
            text=_("Last sync: {when}").format(when=format_when(last) if last else _("never"))
        )
        self.pending_label.configure(
            text=_("Waiting to send: {count}").format(count="—" if pending is None else pending)
        )
        conflicts, alarms = counts["conflicts"], counts["alarms"]
        self.conflicts_button.configure(
            text=_("Conflicts: {count}").format(count=conflicts),
            bootstyle="danger-link" if conflicts else "link",
        )
        self.alarms_button.configure(
            text=_("Alarms: {count}").format(count=alarms),
            bootstyle="danger-link" if alarms else "link",
        )
        self.conflict_count = conflicts
        self.alarm_count = alarms

    # -- sync -----------------------------------------------------------------------------

    def share_path(self) -> str:
        return str(self.app.preference("share_path", "") or "")

    def on_sync_now(self, *, quiet: bool = False) -> bool:
        """Start a sync round; returns False (with a message) when it cannot start."""
        if self.running:
            return False
        share = self.share_path()
        if not share:
            if not quiet:
                self.app.notify(_("No station share is set: choose one in Settings."), "warning")
            return False
        if not os.path.isdir(share):
            if not quiet:
                self.app.notify(
                    _(
                        "The station share {path} is not reachable. Nothing was "
                        "changed; try again when it is connected."
                    ).format(path=share),
                    "danger",
                )
            return False
        self.running = True
        self.sync_button.configure(state="disabled")
        self.progress.configure(mode="indeterminate")
        self.progress.start(60)
        self.progress_label.configure(text=_("Syncing…"))
        notebook = self.nb
        self.app.jobs.start(
            lambda progress: run_sync(notebook, share, progress),
            on_progress=self.on_progress,
            on_done=self.on_sync_done,
            on_error=self.on_sync_error,
        )
        return True

    def on_progress(self, *args: Any) -> None:
        """Accepts ``(done, total)``, ``(phase, done, total)`` or a dict with those keys."""
        if not self.winfo_exists():
            return
        phase = next((a for a in args if isinstance(a, str)), "")
        numbers = [a for a in args if isinstance(a, int | float) and not isinstance(a, bool)]
        info = next((a for a in args if isinstance(a, dict)), None)
        if info:
            phase = str(info.get("phase", phase))
            numbers = [info.get("done", 0), info.get("total") or 0]
        if len(numbers) >= 2 and numbers[1]:
            self.progress.stop()
            self.progress.configure(mode="determinate", value=100 * numbers[0] / numbers[1])
        if phase:
            self.progress_label.configure(text=phase)

    def finish(self) -> None:
        self.running = False
        if not self.winfo_exists():
            return
        self.progress.stop()
        self.progress.configure(mode="determinate", value=0)
        self.progress_label.configure(text="")
        self.sync_button.configure(state="normal")

    def on_sync_done(self, result: dict[str, Any]) -> None:
        self.last_result = dict(result or {})
        self.app.guarded(self.nb.set_preference, "last_sync_at", format_datetime(now()))
        self.finish()
        summary = _(
            "Sync done: {sent} sent, {received} received, {conflicts} conflicts, "
            "{rejected} rejected."
        ).format(
            sent=self.last_result.get("sent", 0),
            received=self.last_result.get("received", 0),
            conflicts=self.last_result.get("conflicts", 0),
            rejected=self.last_result.get("rejected", 0),
        )
        kind = "warning" if self.last_result.get("rejected") else "success"
        self.app.notify(summary, kind)
        if self.winfo_exists():
            self.refresh()
            if self.app.shell is not None:
                self.app.shell.refresh_page()

    def on_sync_error(self, error: BaseException) -> None:
        self.finish()
        self.app.notify(
            _("Sync failed: {error}").format(error=self.app.describe_error(error)), "danger"
        )

    def on_auto_sync_check(self) -> None:
        """Sync by itself when the share is reachable and the last round is old enough."""
        self.auto_after = self.after(AUTO_SYNC_CHECK_MS, self.on_auto_sync_check)
        if self.running or self.nb is None or getattr(self.nb, "is_locked", False):
            return
        if not self.app.preference("auto_sync", True):
            return
        share = self.share_path()
        if not share or not share_reachable(share):
            return
        try:
            minutes = float(self.app.preference("auto_sync_minutes", DEFAULT_AUTO_SYNC_MINUTES))
        except (TypeError, ValueError):
            minutes = DEFAULT_AUTO_SYNC_MINUTES
        last = self.app.preference("last_sync_at", None)
        from casebook.clock import parse_datetime

        try:
            last_at = parse_datetime(last) if last else None
        except ValueError:
            last_at = None
        if last_at is None or (now() - last_at).total_seconds() >= minutes * 60:
            self.on_sync_now(quiet=True)

    # -- dialogs --------------------------------------------------------------------------

    def on_show_conflicts(self) -> None:
        from .conflict_dialog import ConflictDialog

        ConflictDialog.open(self.app)

    def on_show_alarms(self) -> None:
        from .alarm_dialog import AlarmDialog

        AlarmDialog.open(self.app)
