"""Long work off the UI thread: workers put ``(kind, payload)`` on a queue that the UI
drains with ``after()``. Workers never touch a widget.
"""

from __future__ import annotations

import gc
import itertools
import logging
import queue
import sqlite3
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 50


@dataclass
class _Handlers:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[..., None] | None


def is_thread_affinity_error(error: BaseException) -> bool:
    """True when a store refused to be used from another thread (SQLite's default)."""
    error_types: tuple[type[BaseException], ...] = (sqlite3.ProgrammingError,)
    try:
        import sqlcipher3

        error_types += (sqlcipher3.ProgrammingError,)
    except (ImportError, AttributeError):
        pass
    return isinstance(error, error_types) and "thread" in str(error).lower()


class BackgroundJobs:
    """Runs callables in daemon threads and hands their results back on the UI thread.

    ``work`` receives a ``progress(*args)`` function; it is safe to call from the worker.
    When ``work`` fails because the store may only be used from the thread that opened it,
    the job is run again on the UI thread (with progress drawn as it goes), so a core that
    is not thread-safe yet costs responsiveness, never correctness.
    """

    def __init__(self, widget: tk.Misc) -> None:
        self.widget = widget
        self.queue: queue.Queue[tuple[str, tuple[int, Any]]] = queue.Queue()
        self._handlers: dict[int, _Handlers] = {}
        self._works: dict[int, Callable[..., Any]] = {}
        self._ids = itertools.count(1)
        self._after_id: str | None = None
        self.threads_refused = False
        self._schedule()

    # -- public -------------------------------------------------------------------

    def start(
        self,
        work: Callable[[Callable[..., None]], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[..., None] | None = None,
        thread: bool = True,
    ) -> int:
        """Start ``work(progress)``; returns a job id. Handlers run on the UI thread."""
        # Collect garbage here, on the UI thread: otherwise the worker's garbage collection
        # may free Tk objects of destroyed screens, and Tk may only be called from this thread.
        gc.collect()
        job = next(self._ids)
        self._handlers[job] = _Handlers(on_done, on_error, on_progress)
        self._works[job] = work
        if thread and not self.threads_refused:
            threading.Thread(target=self._run, args=(job, work), daemon=True).start()
        else:
            self.widget.after_idle(self._run_inline, job)
        return job

    def post(self, handler: Callable[..., None], *args: Any) -> None:
        """Call ``handler(*args)`` on the UI thread soon; safe to call from any thread.

        For threads that live longer than a job (the sync watcher): they report through here.
        """
        self.queue.put(("call", (0, (handler, args))))

    @property
    def busy(self) -> bool:
        return bool(self._handlers)

    def stop(self) -> None:
        if self._after_id:
            try:
                self.widget.after_cancel(self._after_id)
            except tk.TclError:
                pass
            self._after_id = None

    def drain(self) -> None:
        """Deliver everything queued so far (the ``after()`` loop calls this; tests may too)."""
        while True:
            try:
                kind, (job, payload) = self.queue.get_nowait()
            except queue.Empty:
                return
            self._deliver(kind, job, payload)

    # -- internals ----------------------------------------------------------------

    def _run(self, job: int, work: Callable[..., Any]) -> None:
        def progress(*args: Any) -> None:
            self.queue.put(("progress", (job, args)))

        try:
            result = work(progress)
        except BaseException as error:  # noqa: BLE001 - handed to the UI, never lost
            self.queue.put(("error", (job, error)))
        else:
            self.queue.put(("done", (job, result)))

    def _run_inline(self, job: int) -> None:
        work = self._works.get(job)
        if work is None:
            return

        def progress(*args: Any) -> None:
            self._deliver("progress", job, args)
            try:
                self.widget.update_idletasks()
            except tk.TclError:
                pass

        try:
            result = work(progress)
        except BaseException as error:  # noqa: BLE001
            self._deliver("error", job, error)
        else:
            self._deliver("done", job, result)

    def _deliver(self, kind: str, job: int, payload: Any) -> None:
        if kind == "call":
            handler, args = payload
            try:
                handler(*args)
            except Exception:  # a handler bug must not stop the drain loop
                log.exception("posted call failed")
            return
        handlers = self._handlers.get(job)
        if handlers is None:
            return
        if kind == "error" and is_thread_affinity_error(payload) and not self.threads_refused:
            log.info("the store refused a worker thread; running jobs on the UI thread")
            self.threads_refused = True
            self.widget.after_idle(self._run_inline, job)
            return
        try:
            if kind == "progress":
                if handlers.on_progress:
                    handlers.on_progress(*payload)
                return
            self._handlers.pop(job, None)
            self._works.pop(job, None)
            if kind == "done" and handlers.on_done:
                handlers.on_done(payload)
            elif kind == "error":
                if handlers.on_error:
                    handlers.on_error(payload)
                else:
                    log.error("background job failed: %s", payload)
        except Exception:  # a handler bug must not stop the drain loop
            log.exception("handler of a background job failed")

    def _schedule(self) -> None:
        try:
            self._after_id = self.widget.after(DRAIN_INTERVAL_MS, self._tick)
        except tk.TclError:
            self._after_id = None

    def _tick(self) -> None:
        self.drain()
        self._schedule()
