"""The status bar: last sync, ops waiting to go, conflicts, alarms, and "Sync now".

The bar drives the headless sync service (:class:`casebook.sync.service.SyncService`), as the
``casebook sync`` command does:

* its figures are ``SyncService.status()`` plus the open conflicts, read off the UI thread;
  the engine records every pass in the notebook, so a sync run from the command line shows
  here too;
* "Sync now" runs ``SyncService.sync_once`` in a background job; its progress callback feeds
  the progress bar through the job queue;
* with automatic sync on, a :class:`casebook.sync.watch.SyncWatcher` keeps syncing in its own
  thread: its polling observer wakes it when another laptop publishes, and a rescan every
  ``auto_sync_minutes`` is the real check. That thread reports through ``jobs.post`` (a queue
  drained with ``after()``) and never touches a widget.

A share that is missing or unreachable is a message, never a hang.
"""

from __future__ import annotations

import logging
import os
import threading
import tkinter as tk
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook.sync.service import SyncService, SyncStatus

from .text import _, format_when

if TYPE_CHECKING:
    from casebook.sync.watch import SyncWatcher

    from .app import CasebookApp

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 30_000
FIRST_REFRESH_MS = 300
DEFAULT_AUTO_SYNC_MINUTES = 10
#: seconds between the watcher's snapshots of the share (a network folder: not too often).
WATCH_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class WatchPlan:
    """What the automatic sync should watch: a watcher runs for exactly one plan."""

    share: str
    interval: float


class SyncStatusBar(ttk.Frame):
    """Sync state in one line at the bottom of the main window."""

    def __init__(self, master: tk.Misc, app: CasebookApp) -> None:
        super().__init__(master, padding=(8, 3))
        self.app = app
        self.service = SyncService(app.nb)
        self.running = False
        self.refreshing = False
        self.refresh_again = False
        self.closed = False
        self.status: SyncStatus | None = None
        self.conflict_count = 0
        self.alarm_count = 0
        self.last_result: dict[str, Any] | None = None  # of the last "Sync now"
        self.watcher: SyncWatcher | None = None
        self.watch_plan: WatchPlan | None = None
        self.watch_thread: threading.Thread | None = None  # the latest watcher's thread
        # A plan whose watcher stopped on an error (not a member, revoked...): not started
        # again until a "Sync now" succeeds or the settings change.
        self.refused_plan: WatchPlan | None = None
        self.create_widgets()
        # After the first paint: the window comes first, the figures a moment later.
        self.refresh_after: str | None = self.after(FIRST_REFRESH_MS, self.refresh)

    def create_widgets(self) -> None:
        self.last_sync_label = ttk.Label(self, text="")
        self.last_sync_label.pack(side="left", padx=(0, 14))
        self.pending_label = ttk.Label(self, text="")
        self.pending_label.pack(side="left", padx=(0, 14))
        self.waiting_label = ttk.Label(self, text="", bootstyle="secondary")
        self.waiting_label.pack(side="left", padx=(0, 14))
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
        self.closed = True
        self.stop_watching()
        if self.refresh_after:
            try:
                self.after_cancel(self.refresh_after)
            except tk.TclError:
                pass
        super().destroy()

    # -- state ----------------------------------------------------------------------------

    @property
    def nb(self) -> Any:
        return self.app.nb

    @property
    def busy(self) -> bool:
        """A sync pass is running (asked for, or automatic): the key is still needed."""
        return self.running or self.service.busy

    def read_counts(self) -> dict[str, Any]:
        """The figures of the bar (run in a background job: ``conflicts()`` reads every case)."""
        counts: dict[str, Any] = {"status": self.service.status()}
        try:
            counts["conflicts"] = len(self.nb.conflicts())
        except Exception:  # noqa: BLE001 - a count is a nicety, never an error
            log.exception("conflicts() failed")
            counts["conflicts"] = 0
        return counts

    def refresh(self) -> None:
        """Read the figures again, off the UI thread, and show them when they arrive; start,
        restart or stop the automatic sync to match the preferences."""
        if self.refresh_after:
            try:
                self.after_cancel(self.refresh_after)
            except tk.TclError:
                pass
        self.refresh_after = self.after(STATUS_REFRESH_MS, self.refresh)
        if self.closed or self.nb is None or getattr(self.nb, "is_locked", False):
            return
        self.ensure_watcher()
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
        if self.closed or not self.winfo_exists():
            return
        if self.refresh_again:
            self.refresh()
        status: SyncStatus = counts["status"]
        self.status = status
        last = status.last_sync
        succeeded = last.succeeded_at if last else None
        text = _("Last sync: {when}").format(
            when=format_when(succeeded) if succeeded else _("never")
        )
        failed = last is not None and not last.ok
        if failed:
            text += " · " + _("last attempt failed {when}").format(when=format_when(last.at))
        self.last_sync_label.configure(text=text, bootstyle="warning" if failed else "default")
        self.pending_label.configure(
            text=_("Waiting to send: {count}").format(count=status.pending)
        )
        self.waiting_label.configure(
            text=_("Waiting for earlier ops: {count}").format(count=status.waiting)
            if status.waiting
            else ""
        )
        conflicts, alarms = counts["conflicts"], status.alarms
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

    # -- sync now -------------------------------------------------------------------------

    def share_path(self) -> str:
        return str(self.service.share_root or "")

    def on_sync_now(self) -> bool:
        """Start a sync pass; returns False (with a message) when it cannot start."""
        if self.running:
            return False
        share = self.share_path()
        if not share:
            self.app.notify(_("No station share is set: choose one in Settings."), "warning")
            return False
        if not os.path.isdir(share):
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
        service = self.service
        self.app.jobs.start(
            lambda progress: service.sync_once(progress),
            on_progress=self.on_progress,
            on_done=self.on_sync_done,
            on_error=self.on_sync_error,
        )
        return True

    def on_progress(self, *args: Any) -> None:
        """Accepts ``(done, total)``, ``(phase, done, total)`` or a dict with those keys."""
        if self.closed or not self.winfo_exists():
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
        self.reset_progress()
        if not self.closed and self.winfo_exists():
            self.sync_button.configure(state="normal")

    def reset_progress(self) -> None:
        if self.closed or not self.winfo_exists():
            return
        self.progress.stop()
        self.progress.configure(mode="determinate", value=0)
        self.progress_label.configure(text="")

    def on_sync_done(self, result: dict[str, Any]) -> None:
        self.last_result = dict(result or {})
        self.refused_plan = None  # this laptop may sync again: let the watcher run
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
        if not self.closed and self.winfo_exists():
            self.refresh()
            if self.app.shell is not None:
                self.app.shell.refresh_page()

    def on_sync_error(self, error: BaseException) -> None:
        self.finish()
        self.app.notify(
            _("Sync failed: {error}").format(error=self.app.describe_error(error)), "danger"
        )
        if not self.closed and self.winfo_exists():
            self.refresh()  # the engine recorded the failed pass

    # -- automatic sync (the watcher) -----------------------------------------------------

    def wanted_watch_plan(self) -> WatchPlan | None:
        """The watch the preferences ask for: automatic sync on and a share set."""
        if self.nb is None or getattr(self.nb, "is_locked", False):
            return None
        if not self.app.preference("auto_sync", True):
            return None
        share = self.share_path()
        if not share:
            return None
        try:
            minutes = float(self.app.preference("auto_sync_minutes", DEFAULT_AUTO_SYNC_MINUTES))
        except (TypeError, ValueError):
            minutes = DEFAULT_AUTO_SYNC_MINUTES
        if minutes <= 0:
            minutes = DEFAULT_AUTO_SYNC_MINUTES
        return WatchPlan(share, minutes * 60)

    def ensure_watcher(self) -> None:
        """Start, restart or stop the watcher so that it follows the preferences."""
        plan = self.wanted_watch_plan()
        if plan is not None and plan == self.refused_plan:
            plan = None
        if self.watcher is not None:
            if plan == self.watch_plan and not self.watcher.stop_event.is_set():
                return
            # Another share or interval (or none): stop this one; the next starts when it
            # has ended (on_watch_ended), so two passes never run at once.
            self.watcher.stop()
            return
        if plan is None or self.closed:
            return
        post = self.app.jobs.post
        watcher = self.service.watcher(
            interval=plan.interval,
            poll_interval=WATCH_POLL_SECONDS,
            on_result=lambda result: post(self.on_auto_result, result),
            on_error=lambda error: post(self.on_auto_error, error),
            progress=lambda *args: post(self.on_auto_progress, *args),
        )

        def watch() -> None:  # the watcher's thread: report, never touch a widget
            try:
                watcher.run()
            except Exception as error:  # noqa: BLE001 - handed to the UI thread
                post(self.on_watch_ended, watcher, error)
            else:
                post(self.on_watch_ended, watcher, None)

        self.watcher, self.watch_plan = watcher, plan
        self.watch_thread = threading.Thread(target=watch, name="casebook-sync-watch", daemon=True)
        self.watch_thread.start()
        log.info("automatic sync started (rescan every %.0f s)", plan.interval)

    def stop_watching(self) -> None:
        """Ask the watcher to stop after its current pass (it does not wait)."""
        if self.watcher is not None:
            self.watcher.stop()

    def on_watch_ended(self, watcher: SyncWatcher, error: Exception | None) -> None:
        if watcher is not self.watcher:
            return
        plan, stopped = self.watch_plan, watcher.stop_event.is_set()
        self.watcher, self.watch_plan = None, None
        if self.closed or not self.winfo_exists():
            return
        if not self.running:
            self.reset_progress()
        if error is not None and not stopped:
            self.refused_plan = plan
            self.app.notify(
                _("Automatic sync stopped: {error}").format(error=self.app.describe_error(error)),
                "danger",
            )
        self.refresh()  # shows the recorded pass; starts the next watcher when one is wanted

    def on_auto_progress(self, done: int, total: int | None) -> None:
        if self.running or self.closed or not self.winfo_exists() or not total:
            return  # "Sync now" draws its own progress
        self.progress_label.configure(text=_("Syncing…"))
        self.progress.configure(mode="determinate", value=100 * done / total)

    def on_auto_result(self, result: dict[str, Any]) -> None:
        if self.closed or not self.winfo_exists():
            return
        if not self.running:
            self.reset_progress()
        if result.get("rejected"):
            self.app.notify(
                _("Sync: {rejected} file(s) rejected; see the alarms.").format(
                    rejected=result["rejected"]
                ),
                "warning",
            )
        self.refresh()
        shell = self.app.shell
        # A case being edited is never rebuilt under the officer's hands; lists are.
        if result.get("received") and shell is not None and shell.page_name != "case":
            shell.refresh_page()

    def on_auto_error(self, error: Exception) -> None:
        """A failed automatic pass (share away...): shown in the bar, not as a notice."""
        log.info("automatic sync pass failed: %s", error)
        if self.closed or not self.winfo_exists():
            return
        if not self.running:
            self.reset_progress()
        self.refresh()

    # -- dialogs --------------------------------------------------------------------------

    def on_show_conflicts(self) -> None:
        from .conflict_dialog import ConflictDialog

        ConflictDialog.open(self.app)

    def on_show_alarms(self) -> None:
        from .alarm_dialog import AlarmDialog

        AlarmDialog.open(self.app)
