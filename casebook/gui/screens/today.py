"""Today: tasks due and overdue (one click to record the outcome), alerts, daily summary."""

from __future__ import annotations

import logging
from typing import Any

import ttkbootstrap as ttk

from casebook.errors import NotFoundError
from casebook.models import Report, Task

from ..outcome_dialog import OutcomeDialog
from ..screen import Screen, clear_tree, make_tree
from ..spreadsheet import save_spreadsheet
from ..text import (
    N_,
    _,
    alert_kind_label,
    format_duration,
    format_value,
    format_when,
    kind_label,
    officer_label,
    severity_label,
    summary_label,
    task_status_label,
)

log = logging.getLogger(__name__)

MAX_TASK_ROWS = 500


class TodayScreen(Screen):
    title = N_("Today")

    def create_widgets(self) -> None:
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Label(header, text=_("Today"), font=("TkHeadingFont", 16, "bold")).pack(side="left")
        ttk.Button(
            header, text=_("Refresh"), bootstyle="secondary-outline", command=self.refresh
        ).pack(side="right")
        self.tasks: dict[str, Task] = {}

        panes = ttk.Panedwindow(self, orient="vertical")
        panes.pack(fill="both", expand=True, pady=(8, 0))

        task_box = ttk.Labelframe(panes, text=_("Tasks due and overdue"), padding=8)
        frame, self.task_tree = make_tree(
            task_box,
            [
                ("status", _("State"), 90),
                ("due", _("Due"), 130),
                ("kind", _("Kind"), 110),
                ("title", _("Task"), 260),
                ("case", _("Case"), 260),
                ("late", _("Overdue by"), 100),
                ("officer", _("Responsible officer"), 120),
            ],
            height=9,
        )
        frame.pack(fill="both", expand=True)
        self.task_tree.tag_configure("overdue", foreground="#c0392b")
        self.task_tree.bind("<Double-1>", lambda _event: self.on_record_outcome())
        self.task_tree.bind("<Return>", lambda _event: self.on_record_outcome())
        buttons = ttk.Frame(task_box)
        buttons.pack(fill="x", pady=(6, 0))
        self.record_button = ttk.Button(
            buttons, text=_("Record outcome…"), bootstyle="success", command=self.on_record_outcome
        )
        self.record_button.pack(side="left")
        ttk.Button(
            buttons, text=_("Open case"), bootstyle="secondary", command=self.on_open_case
        ).pack(side="left", padx=6)
        ttk.Button(
            buttons, text=_("Export…"), bootstyle="secondary-outline", command=self.on_export
        ).pack(side="left")
        self.task_count = ttk.Label(buttons, text="", bootstyle="secondary")
        self.task_count.pack(side="right")
        panes.add(task_box, weight=3)

        lower = ttk.Frame(panes)
        alert_box = ttk.Labelframe(lower, text=_("Alerts"), padding=8)
        alert_box.pack(side="left", fill="both", expand=True, padx=(0, 6))
        frame, self.alert_tree = make_tree(
            alert_box,
            [
                ("severity", _("Severity"), 70),
                ("kind", _("Kind"), 90),
                ("message", _("Message"), 380),
            ],
            height=6,
        )
        frame.pack(fill="both", expand=True)
        self.alert_tree.bind("<Double-1>", lambda _event: self.on_open_alert_case())
        summary_box = ttk.Labelframe(lower, text=_("Daily summary"), padding=8)
        summary_box.pack(side="left", fill="both", expand=True)
        self.summary_frame = ttk.Frame(summary_box)
        self.summary_frame.pack(fill="both", expand=True)
        panes.add(lower, weight=2)
        self.alerts: list[Any] = []
        self.glossary = self.app.vocabulary()
        self.loaded = False
        self.task_total = 0

    # -- data ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Load tasks, alerts and the summary in a background job, so the window is up
        at once even when plugins have 100k cases to look through."""
        self.loaded = False
        self.task_count.configure(text=_("Loading…"))
        notebook = self.nb
        self.glossary = glossary = self.app.vocabulary()

        def attempt(call, *args):
            try:
                return call(*args)
            except Exception as error:  # noqa: BLE001 - shown in its own place
                return error

        def daily_summary() -> Report | None:
            role = glossary.role("daily_summary")
            return notebook.build_report(role.report) if role is not None else None

        def work(_progress):
            # Only the most urgent rows are listed (a Treeview of 50k rows is not usable);
            # the counts come from the store.
            return (
                attempt(lambda: (notebook.tasks(limit=MAX_TASK_ROWS), notebook.task_counts())),
                attempt(notebook.alerts),
                attempt(daily_summary),
            )

        self.app.jobs.start(work, on_done=self.on_loaded, on_error=self.on_load_failed)

    def on_loaded(self, loaded: tuple[Any, Any, Any]) -> None:
        if not self.winfo_exists():
            return
        tasks, alerts, report = loaded
        self.fill_tasks(tasks)
        self.fill_alerts(alerts)
        self.fill_summary(report)
        self.loaded = True

    def on_load_failed(self, error: BaseException) -> None:
        self.loaded = True
        self.app.show_error(error)

    def fill_tasks(self, loaded: tuple[list[Task], dict[str, int]] | BaseException) -> None:
        clear_tree(self.task_tree)
        self.tasks = {}
        if isinstance(loaded, BaseException):
            self.task_total = 0
            self.app.show_error(loaded)
            self.task_count.configure(text="")
            return
        tasks, counts = loaded
        names = self.app.guarded(self.nb.officer_names) or {}
        self.task_total = counts["overdue"] + counts["due"]
        for task in tasks:
            self.tasks[task.id] = task
            self.task_tree.insert(
                "",
                "end",
                iid=task.id,
                tags=(task.status,),
                values=(
                    task_status_label(task.status),
                    format_when(task.due_at),
                    kind_label(task.kind, self.glossary),
                    task.title,
                    task.case_title or task.case_id,
                    format_duration(task.overdue_seconds) if task.overdue_seconds else "",
                    officer_label(names, task.responsible_officer_id),
                ),
            )
        text = _("{count} tasks, {overdue} overdue").format(
            count=self.task_total, overdue=counts["overdue"]
        )
        if self.task_total > len(tasks):
            text += " " + _("(the first {shown} are listed)").format(shown=MAX_TASK_ROWS)
        self.task_count.configure(text=text)
        if tasks:
            self.task_tree.selection_set(tasks[0].id)

    def fill_alerts(self, alerts: list[Any] | BaseException) -> None:
        clear_tree(self.alert_tree)
        if isinstance(alerts, BaseException):
            self.app.show_error(alerts)
            alerts = []
        self.alerts = alerts
        for index, alert in enumerate(self.alerts):
            self.alert_tree.insert(
                "",
                "end",
                iid=str(index),
                values=(
                    severity_label(alert.severity),
                    alert_kind_label(alert.kind, self.glossary),
                    alert.message,
                ),
            )

    def fill_summary(self, report: Report | BaseException | None) -> None:
        """The figures of the report that plays the "daily_summary" role, if a plugin
        declares one."""
        for child in self.summary_frame.winfo_children():
            child.destroy()
        if report is None or isinstance(report, NotFoundError):
            ttk.Label(
                self.summary_frame,
                text=_(
                    "No daily summary: the plugin that provides it is not installed or is disabled."
                ),
                bootstyle="secondary",
                wraplength=380,
            ).pack(anchor="w")
            return
        if isinstance(report, BaseException):  # a plugin's report must not break Today
            log.error("daily summary report failed: %s", type(report).__name__)
            ttk.Label(
                self.summary_frame,
                text=_("The daily summary failed: {error}").format(
                    error=self.app.describe_error(report)
                ),
                bootstyle="danger",
                wraplength=380,
            ).pack(anchor="w")
            return
        self.summary_report = report
        # Lists (such as the alert messages) are shown in full elsewhere on this page.
        figures = [(k, v) for k, v in report.summary.items() if not isinstance(v, list | dict)]
        for row, (name, value) in enumerate(figures):
            label = summary_label(report.labels, name, self.glossary)
            ttk.Label(self.summary_frame, text=label).grid(
                row=row, column=0, sticky="w", padx=(0, 16)
            )
            ttk.Label(
                self.summary_frame, text=format_value(value), font=("TkDefaultFont", 11, "bold")
            ).grid(row=row, column=1, sticky="w")

    # -- handlers -----------------------------------------------------------------------

    def selected_task(self) -> Task | None:
        selection = self.task_tree.selection()
        return self.tasks.get(selection[0]) if selection else None

    def on_record_outcome(self) -> OutcomeDialog | None:
        task = self.selected_task()
        if task is None:
            self.app.notify(_("Choose a task first."), "warning")
            return None
        return OutcomeDialog(self.app, task, on_done=lambda _entry: self.refresh())

    def on_export(self, path: str | None = None) -> Any:
        """Save every task due and overdue (not only the listed ones) as a spreadsheet."""
        from casebook.export import task_sheet

        notebook = self.nb
        return save_spreadsheet(
            self, _("Tasks"), lambda: task_sheet(notebook, notebook.tasks()), path
        )

    def on_open_case(self) -> None:
        task = self.selected_task()
        if task is not None:
            self.app.open_case(task.case_id)

    def on_open_alert_case(self) -> None:
        selection = self.alert_tree.selection()
        if selection:
            alert = self.alerts[int(selection[0])]
            if alert.case_ids:
                self.app.open_case(alert.case_ids[0])
