"""Reports: the plugins' reports as tables and matplotlib charts, with PDF export."""

from __future__ import annotations

import logging
import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook.models import Report, ReportSpec
from casebook.vocabulary import Glossary

from ..schema_form import DATE_FORMAT
from ..screen import Screen, clear_tree
from ..spreadsheet import save_spreadsheet
from ..text import N_, _, format_value, summary_label

log = logging.getLogger(__name__)


def is_rate(name: Any, value: Any) -> bool:
    """A share to show as a percentage (``rate``, ``share_within_24h``...)."""
    key = str(name).lower()
    return isinstance(value, float) and 0.0 <= value <= 1.0 and ("rate" in key or "share" in key)


def format_figure(name: Any, value: Any) -> str:
    return f"{value:.1%}" if is_rate(name, value) else format_value(value)


def format_detail(name: Any, value: Any, glossary: Glossary) -> str:
    """A nested summary figure (``by_cause``, ``by_group``) as one line, every key labelled
    by the vocabulary: a cause under ``by_cause``, a figure inside a group's counts."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if isinstance(item, dict):
                shown = ", ".join(
                    f"{glossary.label('report_key', k)} {format_figure(k, v)}"
                    for k, v in item.items()
                )
            else:
                shown = format_figure(key, item)
            parts.append(f"{glossary.key_label(name, key)}: {shown}")
        return "; ".join(parts)
    if isinstance(value, list):
        return format_value(value)
    return format_figure(name, value)


def column_index(columns: list[str], ref: Any) -> int | None:
    """A chart's column reference: an index or a column name."""
    if isinstance(ref, int) and 0 <= ref < len(columns):
        return ref
    if isinstance(ref, str) and ref in columns:
        return columns.index(ref)
    return None


def chart_series(
    report: Report, chart: dict[str, Any]
) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """The x labels and the (name, values) series of one ``report.charts`` entry.

    ``x`` is a column (index or name); ``y`` one column or a list of them. Explicit
    ``labels``/``values`` lists are used as they are.
    """
    if chart.get("labels") is not None and chart.get("values") is not None:
        return [str(v) for v in chart["labels"]], [
            (str(chart.get("title", "")), [float(v) for v in chart["values"]])
        ]
    columns = list(report.columns)
    x_index = column_index(columns, chart.get("x"))
    y_refs = chart.get("y")
    y_refs = y_refs if isinstance(y_refs, list) else [y_refs]
    y_indexes = [i for i in (column_index(columns, ref) for ref in y_refs) if i is not None]
    if x_index is None or not y_indexes:
        raise ValueError(_("the chart names columns the report does not have"))
    labels = [str(row[x_index]) for row in report.rows]
    series = []
    for index in y_indexes:
        values = [
            float(row[index]) if isinstance(row[index], int | float) else 0.0 for row in report.rows
        ]
        series.append((str(columns[index]), values))
    return labels, series


def draw_chart(master: tk.Misc, report: Report, chart: dict[str, Any], font_family: str | None):
    """One chart of ``report.charts`` drawn with matplotlib inside the window."""
    from matplotlib import rcParams
    from matplotlib.backends.backend_tkagg import FigureCanvasTkAgg
    from matplotlib.figure import Figure

    if font_family:
        rcParams["font.sans-serif"] = [font_family, *rcParams["font.sans-serif"]]
        rcParams["axes.unicode_minus"] = False
    labels, series = chart_series(report, chart)
    figure = Figure(figsize=(5.2, 3.0), dpi=90)
    axes = figure.add_subplot(111)
    positions = list(range(len(labels)))
    if chart.get("kind") == "line":
        for name, values in series:
            axes.plot(labels, values, marker="o", label=name)
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
    if len(series) > 1:
        axes.legend(fontsize=8)
    axes.set_title(str(chart.get("title", "")))
    if len(labels) > 6:
        axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    figure.tight_layout()
    canvas = FigureCanvasTkAgg(figure, master=master)
    canvas.draw()
    return canvas


class ReportsScreen(Screen):
    title = N_("Reports")

    def create_widgets(self) -> None:
        self.specs: list[ReportSpec] = []
        self.report: Report | None = None
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
        self.app.jobs.start(
            lambda _progress: notebook.build_report(spec.name, start, end),
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

    def on_built(self, report: Report) -> None:
        self.stop_progress()
        if self.winfo_exists():
            self.show_report(report)

    def show_report(self, report: Report) -> None:
        self.report = report
        glossary = self.app.vocabulary()
        self.pdf_button.configure(state="normal")
        self.spreadsheet_button.configure(state="normal")
        for child in self.summary_frame.winfo_children():
            child.destroy()
        figures = [(k, v) for k, v in report.summary.items() if not isinstance(v, dict | list)]
        details = [(k, v) for k, v in report.summary.items() if isinstance(v, dict | list)]
        for column, (name, value) in enumerate(figures):
            cell = ttk.Frame(self.summary_frame, padding=(0, 0, 24, 4))
            cell.grid(row=column // 7, column=column % 7, sticky="w")
            ttk.Label(
                cell, text=summary_label(report.labels, name, glossary), bootstyle="secondary"
            ).pack(anchor="w")
            ttk.Label(
                cell, text=format_figure(name, value), font=("TkDefaultFont", 14, "bold")
            ).pack(anchor="w")
        for row, (name, value) in enumerate(details, start=len(figures) // 7 + 1):
            ttk.Label(
                self.summary_frame,
                text=f"{summary_label(report.labels, name, glossary)}: "
                f"{format_detail(name, value, glossary)}",
                wraplength=1000,
                justify="left",
            ).grid(row=row, column=0, columnspan=7, sticky="w")
        clear_tree(self.table)
        columns = [f"c{i}" for i in range(len(report.columns))]
        self.table.configure(columns=columns)
        for column, heading in zip(columns, report.columns, strict=True):
            # Column headings are written by the plugin in the officer's language.
            self.table.heading(column, text=str(heading), anchor="w")
            self.table.column(column, width=110, anchor="w")
        for row in report.rows:
            self.table.insert(
                "",
                "end",
                values=[
                    format_figure(name, v) for name, v in zip(report.columns, row, strict=False)
                ],
            )
        self.show_charts(report)

    def show_charts(self, report: Report) -> None:
        for canvas in self.canvases:
            canvas.get_tk_widget().destroy()
        self.canvases = []
        for child in self.chart_frame.winfo_children():
            child.destroy()
        for chart in report.charts:
            try:
                canvas = draw_chart(self.chart_frame, report, chart, self.app.font_family)
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
