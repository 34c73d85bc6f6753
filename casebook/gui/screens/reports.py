"""Reports: the plugins' reports as tables and matplotlib charts, with PDF export.

What is shown is the report's view (``nb.report_view``): the same labelled text as the PDF.
"""

from __future__ import annotations

import logging
import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook.models import Report, ReportSpec
from casebook.report_view import NUMBER, PERCENT, TEXT, Chart, ReportView, Table

from ..schema_form import DATE_FORMAT
from ..screen import Screen, clear_tree
from ..spreadsheet import save_spreadsheet
from ..text import N_, _

log = logging.getLogger(__name__)


def draw_chart(master: tk.Misc, chart: Chart, font_family: str | None):
    """One chart of a report's view drawn with matplotlib inside the window."""
    from matplotlib import rcParams
    from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    if font_family:
        rcParams["font.sans-serif"] = [font_family, *rcParams["font.sans-serif"]]
        rcParams["axes.unicode_minus"] = False
    labels, series = chart.labels, chart.series
    figure = Figure(figsize=(5.2, 3.0), dpi=90)
    axes = figure.add_subplot(111)
    positions = list(range(len(labels)))
    if chart.kind == "line":
        for name, values in series:
            axes.plot(positions, values, marker="o", label=name)
    else:
        width = 0.8 / max(1, len(series))
        for number, (name, values) in enumerate(series):
            axes.bar(
                [p + number * width - 0.4 + width / 2 for p in positions],
                values,
                width=width,
                label=name,
            )
    axes.set_xticks(positions, labels)
    if chart.percent:
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    if len(series) > 1:
        axes.legend(fontsize=8)
    axes.set_title(chart.title)
    if len(labels) > 6:
        axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    figure.tight_layout()
    canvas = FigureCanvasTkAgg(figure, master=master)
    canvas.draw()
    return canvas


def table_widget(master: tk.Misc, table: Table) -> ttk.Frame:
    """A nested group of a report (by cause, by vulnerable group...): a titled grid of
    label and value pairs, or a small table when it has columns."""
    frame = ttk.Frame(master, padding=(0, 6))
    ttk.Label(frame, text=table.title, font=("TkDefaultFont", 11, "bold")).pack(anchor="w")
    if table.columns:
        columns = [f"c{i}" for i in range(len(table.columns))]
        tree = ttk.Treeview(frame, columns=columns, show="headings", height=len(table.rows) or 1)
        for column, heading, kind in zip(columns, table.columns, table.kinds, strict=False):
            tree.heading(column, text=heading, anchor="w")
            tree.column(column, width=150 if kind == TEXT else 100, anchor=ANCHORS.get(kind, "w"))
        for row in table.rows:
            tree.insert("", "end", values=row)
        tree.pack(fill="x")
    else:
        grid = ttk.Frame(frame)
        grid.pack(anchor="w")
        for row, (label, value) in enumerate(table.rows):
            ttk.Label(grid, text=label, bootstyle="secondary").grid(
                row=row, column=0, sticky="w", padx=(0, 16)
            )
            ttk.Label(grid, text=value).grid(row=row, column=1, sticky="e")
    return frame


ANCHORS = {NUMBER: "e", PERCENT: "e"}


class ReportsScreen(Screen):
    title = N_("Reports")

    def create_widgets(self) -> None:
        self.specs: list[ReportSpec] = []
        self.report: Report | None = None
        self.view: ReportView | None = None
        self.canvases: list[Any] = []
        bar = ttk.Frame(self)
        bar.pack(fill="x")
        ttk.Label(bar, text=_("Reports"), font=("TkHeadingFont", 16, "bold")).pack(side="left")
        controls = ttk.Frame(self, padding=(0, 8))
        controls.pack(fill="x")
        ttk.Label(controls, text=_("Report")).pack(side="left")
        self.report_box = ttk.Combobox(controls, state="readonly", width=28)
        self.report_box.pack(side="left", padx=(4, 12))
        ttk.Label(controls, text=_("From")).pack(side="left")
        self.start = ttk.DateEntry(controls, value=None, date_format=DATE_FORMAT, width=11)
        self.start.pack(side="left", padx=(4, 8))
        ttk.Label(controls, text=_("To")).pack(side="left")
        self.end = ttk.DateEntry(controls, value=None, date_format=DATE_FORMAT, width=11)
        self.end.pack(side="left", padx=(4, 8))
        self.build_button = ttk.Button(
            controls, text=_("Build"), bootstyle="primary", command=self.on_build
        )
        self.build_button.pack(side="left", padx=4)
        self.pdf_button = ttk.Button(
            controls,
            text=_("Export PDF…"),
            bootstyle="secondary",
            command=self.on_export_pdf,
            state="disabled",
        )
        self.pdf_button.pack(side="left", padx=4)
        self.spreadsheet_button = ttk.Button(
            controls,
            text=_("Export…"),
            bootstyle="secondary",
            command=self.on_export_spreadsheet,
            state="disabled",
        )
        self.spreadsheet_button.pack(side="left", padx=4)
        self.progress = ttk.Progressbar(controls, mode="indeterminate", length=120)
        self.description = ttk.Label(self, text="", bootstyle="secondary", wraplength=900)
        self.description.pack(anchor="w")
        self.report_box.bind("<<ComboboxSelected>>", lambda _event: self.on_report_chosen())

        self.output = ttk.Frame(self)
        self.output.pack(fill="both", expand=True)
        self.header = ttk.Label(self.output, text="", bootstyle="secondary")
        self.header.pack(anchor="w")
        self.summary_frame = ttk.Frame(self.output, padding=(0, 6))
        self.summary_frame.pack(fill="x")
        panes = ttk.Panedwindow(self.output, orient="horizontal")
        panes.pack(fill="both", expand=True)
        table_frame = ttk.Frame(panes)
        self.table = ttk.Treeview(table_frame, show="headings", height=14)
        scrollbar = ttk.Scrollbar(table_frame, orient="vertical", command=self.table.yview)
        self.table.configure(yscrollcommand=scrollbar.set)
        self.table.pack(side="left", fill="both", expand=True)
        scrollbar.pack(side="right", fill="y")
        panes.add(table_frame, weight=1)
        self.chart_frame = ttk.ScrolledFrame(panes, auto_hide=True)
        panes.add(
            self.chart_frame.container
            if hasattr(self.chart_frame, "container")
            else self.chart_frame,
            weight=1,
        )

    def refresh(self) -> None:
        self.specs = self.guarded(self.nb.reports) or []
        self.report_box.configure(values=[spec.title for spec in self.specs])
        if self.specs and self.report_box.current() < 0:
            self.report_box.current(0)
            self.on_report_chosen()
        if not self.specs:
            self.description.configure(
                text=_(
                    "No reports: the plugins that provide them are not installed or are disabled."
                )
            )

    def selected_spec(self) -> ReportSpec | None:
        index = self.report_box.current()
        return self.specs[index] if 0 <= index < len(self.specs) else None

    def on_report_chosen(self) -> None:
        spec = self.selected_spec()
        if spec is not None:
            self.description.configure(text=spec.description or "")

    def on_build(self) -> None:
        spec = self.selected_spec()
        if spec is None:
            return
        start = self.start.entry.get().strip() or None
        end = self.end.entry.get().strip() or None
        self.build_button.configure(state="disabled")
        self.progress.pack(side="left", padx=6)
        self.progress.start(60)
        notebook = self.nb

        def build(_progress: Any) -> tuple[Report, ReportView]:
            report = notebook.build_report(spec.name, start, end)
            return report, notebook.report_view(report)

        self.app.jobs.start(
            build,
            on_done=self.on_built,
            on_error=self.on_build_failed,
        )

    def stop_progress(self) -> None:
        if self.winfo_exists():
            self.progress.stop()
            self.progress.pack_forget()
            self.build_button.configure(state="normal")

    def on_build_failed(self, error: BaseException) -> None:
        self.stop_progress()
        self.app.notify(
            _("The report could not be built: {error}").format(
                error=self.app.describe_error(error)
            ),
            "danger",
        )

    def on_built(self, built: tuple[Report, ReportView]) -> None:
        self.stop_progress()
        if self.winfo_exists():
            self.show_report(*built)

    def show_report(self, report: Report, view: ReportView) -> None:
        self.report, self.view = report, view
        self.pdf_button.configure(state="normal")
        self.header.configure(text="    ".join(view.header_parts()))
        self.spreadsheet_button.configure(state="normal")
        for child in self.summary_frame.winfo_children():
            child.destroy()
        for column, (label, value) in enumerate(view.figures):
            cell = ttk.Frame(self.summary_frame, padding=(0, 0, 24, 4))
            cell.grid(row=column // 6, column=column % 6, sticky="w")
            ttk.Label(cell, text=label, bootstyle="secondary").pack(anchor="w")
            ttk.Label(cell, text=value, font=("TkDefaultFont", 14, "bold")).pack(anchor="w")
        first_warning_row = (len(view.figures) + 5) // 6
        for warning_row, warning in enumerate(view.warnings, start=first_warning_row):
            ttk.Label(
                self.summary_frame,
                text=_("Warning: {warning}").format(warning=warning),
                bootstyle="danger",
                wraplength=1000,
                justify="left",
            ).grid(row=warning_row, column=0, columnspan=6, sticky="w")
        clear_tree(self.table)
        table = view.table
        columns = [f"c{i}" for i in range(len(table.columns))] if table else []
        self.table.configure(columns=columns)
        for column, heading, kind in zip(
            columns, table.columns if table else [], table.kinds if table else [], strict=False
        ):
            self.table.heading(column, text=heading, anchor="w")
            self.table.column(
                column, width=130 if kind != TEXT else 160, anchor=ANCHORS.get(kind, "w")
            )
        for row in table.rows if table else []:
            self.table.insert("", "end", values=row)
        self.show_charts_and_groups(view)

    def show_charts_and_groups(self, view: ReportView) -> None:
        """The charts, then the nested groups (by cause, by vulnerable group...), beside the
        table."""
        for canvas in self.canvases:
            canvas.get_tk_widget().destroy()
        self.canvases = []
        for child in self.chart_frame.winfo_children():
            child.destroy()
        for chart in view.charts:
            try:
                canvas = draw_chart(self.chart_frame, chart, self.app.font_family)
            except Exception as error:  # noqa: BLE001 - one bad chart must not hide the rest
                log.exception("chart failed")
                ttk.Label(
                    self.chart_frame,
                    text=_("Chart failed: {error}").format(error=error),
                    bootstyle="danger",
                ).pack(anchor="w")
                continue
            canvas.get_tk_widget().pack(fill="x", pady=4)
            self.canvases.append(canvas)
        for group in view.tables:
            table_widget(self.chart_frame, group).pack(fill="x", anchor="w")

    def texts(self) -> list[str]:
        """Every text the page shows of the current report: labels, headings and cells (for
        the check that nothing is left as a code)."""
        shown: list[str] = []

        def walk(widget: tk.Misc) -> None:
            if isinstance(widget, ttk.Treeview):
                shown.extend(str(widget.heading(c, "text")) for c in widget["columns"])
                for item in widget.get_children():
                    shown.extend(str(v) for v in widget.item(item, "values"))
            elif isinstance(widget, ttk.Label):
                shown.append(str(widget.cget("text")))
            for child in widget.winfo_children():
                walk(child)

        walk(self.output)
        for canvas in self.canvases:
            figure = canvas.figure
            for axes in figure.axes:
                shown.append(axes.get_title())
                shown.extend(label.get_text() for label in axes.get_xticklabels())
                legend = axes.get_legend()
                if legend is not None:
                    shown.extend(text.get_text() for text in legend.get_texts())
        return [text for text in shown if text]

    def on_export_spreadsheet(self, path: str | None = None) -> Any:
        """Save the built report (its figures and its table) as a spreadsheet."""
        from casebook.export import report_sheets

        report = self.report
        if report is None:
            return None
        return save_spreadsheet(self, report.name, lambda: report_sheets(self.nb, report), path)

    def on_export_pdf(self, path: str | None = None) -> None:
        if self.report is None:
            return
        path = path or ttk.filedialog.asksaveasfilename(
            parent=self,
            title=_("Export PDF"),
            defaultextension=".pdf",
            initialfile=f"{self.report.name}.pdf",
            filetypes=[("PDF", "*.pdf")],
        )
        if not path:
            return
        try:
            self.nb.report_pdf(self.report, path)
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return
        self.app.notify(_("Saved to {path}").format(path=path), "success")
