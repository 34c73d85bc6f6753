"""Keep syncing while the share changes: a polling watch as a hint, a periodic rescan as truth.

inotify and FSEvents do not see what other machines write to an SMB or NFS folder, so the
watch uses watchdog's :class:`~watchdog.observers.polling.PollingObserver`. Its events only
*wake* the loop early; the loop also runs :meth:`SyncEngine.sync_once` every ``interval``
seconds, which is what actually guarantees progress. When the share goes away (unmounted,
network down) the observer is dropped and the loop keeps trying; when the share comes back,
sync resumes by itself.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.polling import PollingObserver

from casebook.errors import AuthenticationError, CasebookError, InvalidInputError
from casebook.i18n import _

from .engine import Progress, SyncEngine
from .share import ShareUnavailableError

log = logging.getLogger(__name__)


class _WakeOnChange(FileSystemEventHandler):
    """Wakes the sync loop when anything outside ``tmp/`` changes."""

    def __init__(self, wake: threading.Event, staging: str) -> None:
        self.wake = wake
        self.staging = staging

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = str(getattr(event, "dest_path", "") or event.src_path)
        if not path.startswith(self.staging):
            self.wake.set()


class SyncWatcher:
    """Run :meth:`SyncEngine.sync_once` whenever the share changes, and every ``interval``.

    :param engine: the engine to drive (its notebook must stay open).
    :param interval: seconds between rescans when nothing wakes the loop.
    :param poll_interval: seconds between the observer's directory snapshots.
    :param settle: seconds to wait after a change so a burst of files is taken at once.
    :param on_result: called with each sync summary.
    :param on_error: called with each error that does not stop the watch (share away...).
    :param progress: handed to each :meth:`SyncEngine.sync_once` (a progress bar).

    The callbacks run on the watcher's thread: a GUI hands them over to its UI thread.
    """

    def __init__(
        self,
        engine: SyncEngine,
        *,
        interval: float = 60.0,
        poll_interval: float = 2.0,
        settle: float = 0.5,
        on_result: Callable[[dict[str, Any]], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        for name, value in (("interval", interval), ("poll_interval", poll_interval)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                # A zero or negative interval would rescan without pause (a busy loop).
                raise InvalidInputError(
                    _("--{option}: must be a number of seconds greater than 0").format(
                        option=name.replace("_", "-")
                    )
                )
        self.engine = engine
        self.interval = interval
        self.poll_interval = poll_interval
        self.settle = settle
        self.on_result = on_result
        self.on_error = on_error
        self.progress = progress
        self.wake = threading.Event()
        self.stop_event = threading.Event()
        self._observer: PollingObserver | None = None

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current pass (thread-safe)."""
        self.stop_event.set()
        self.wake.set()

    def run(self, *, max_passes: int | None = None) -> None:
        """Sync until :meth:`stop` (or ``max_passes`` passes).

        :raises AuthenticationError: when this laptop is not, or no longer, a member: the
            watch must not keep knocking.
        """
        passes = 0
        try:
            while not self.stop_event.is_set():
                self._ensure_observer()
                self.wake.clear()
                try:
                    result = self.engine.sync_once(self.progress)
                except AuthenticationError:
                    raise
                except ShareUnavailableError as error:
                    self._drop_observer()
                    self._report(error)
                except CasebookError as error:
                    self._report(error)
                except OSError as error:
                    # A network folder that vanishes mid-pass raises plain OS errors.
                    self._drop_observer()
                    self._report(error)
                else:
                    if self.on_result is not None:
                        self.on_result(result)
                passes += 1
                if max_passes is not None and passes >= max_passes:
                    return
                if self.wake.wait(self.interval) and not self.stop_event.is_set():
                    self.stop_event.wait(self.settle)
        finally:
            self._drop_observer()

    def _report(self, error: Exception) -> None:
        log.info("sync pass failed: %s", error)
        if self.on_error is not None:
            self.on_error(error)

    def _ensure_observer(self) -> None:
        if self._observer is not None and self._observer.is_alive():
            return
        self._drop_observer()
        root = self.engine.share.root
        if not root.is_dir():
            return
        observer = PollingObserver(timeout=self.poll_interval)
        staging = str(root / "tmp")
        observer.schedule(_WakeOnChange(self.wake, staging), str(root), recursive=True)
        try:
            observer.start()
        except OSError as error:
            log.info("cannot watch %s: %s", root, error)
            return
        self._observer = observer

    def _drop_observer(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            try:
                observer.join(timeout=5)
            except RuntimeError:
                pass
