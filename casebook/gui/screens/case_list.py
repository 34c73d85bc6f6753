"""The case list: live search, filters, sortable columns, and pages of rows.

Only one page of rows is ever in the Treeview (``list_cases(limit, offset)`` and
``count_cases``), so 100k cases cost what 100 do. Search is the core's ``nb.search``: the same
ranking and the same "any substring of one character or more" as the CLI.
"""

from __future__ import annotations

import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook.models import CaseSummary

from ..schema_form import DATE_FORMAT
from ..screen import Screen, clear_tree, make_tree
from ..spreadsheet import save_spreadsheet
from ..text import N_, STATUSES, _, format_when, officer_label, status_label, type_label

PAGE_SIZE = 100
SEARCH_LIMIT = 200
SEARCH_DELAY_MS = 200

#: (column id, msgid of the heading, width, sort key of ``list_cases``)
COLUMNS = [
    ("title", N_("Title"), 300, "title"),
    ("type", N_("Type"), 110, "type"),
    ("status", N_("Status"), 80, "status"),
    ("officer", N_("Responsible officer"), 110, "responsible_officer_id"),
    ("created", N_("Created"), 130, "created_at"),
    ("updated", N_("Updated"), 130, "updated_at"),
    ("conflicts", N_("Conflicts"), 70, None),
]


class CaseListScreen(Screen):
    title = N_("Cases")

    def create_widgets(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = self.guarded(self.nb.case_types) or {}
        self.type_names = list(self.schemas)
        self.query = tk.StringVar(self)
        self.type_filter = tk.StringVar(self)
        self.status_filter = tk.StringVar(self)
        self.officer_filter = tk.StringVar(self)
        self.offset = 0
        self.total = 0
        self.sort_key = "updated_at"
        self.descending = True
        self.rows: list[CaseSummary] = []
        self.search_after: str | None = None
        self.serial = 0
        self.loading = False
        self.create_toolbar()
        self.create_filters()
        self.create_table()
        self.create_pager()
        self.query.trace_add("write", lambda *_args: self.on_query_changed())

    def create_toolbar(self) -> None:
        bar = ttk.Frame(self)
        bar.pack(fill="x")
        ttk.Label(bar, text=_("Cases"), font=("TkHeadingFont", 16, "bold")).pack(side="left")
        ttk.Button(
            bar,
            text=_("New case"),
            bootstyle="success",
            command=lambda: self.app.open_case(None),
        ).pack(side="right")
        ttk.Button(
            bar,
            text=_("Export…"),
            bootstyle="secondary-outline",
            command=self.on_export,
        ).pack(side="right", padx=(8, 0))
        self.search_entry = ttk.Entry(bar, textvariable=self.query, width=40)
        self.search_entry.pack(side="right", padx=8)
        ttk.Label(bar, text=_("Search (Ctrl+F)")).pack(side="right")
        self.search_entry.bind("<Return>", lambda _event: self.run_query())
        self.search_entry.bind("<Escape>", lambda _event: self.query.set(""))

    def create_filters(self) -> None:
        bar = ttk.Frame(self, padding=(0, 8))
        bar.pack(fill="x")
        self.type_labels = [
            _("All types"),
            *[type_label(t, self.schemas[t]) for t in self.type_names],
        ]
        self.status_labels = [_("All statuses"), *[status_label(s) for s in STATUSES]]
        ttk.Label(bar, text=_("Type")).pack(side="left")
        self.type_box = ttk.Combobox(
            bar, textvariable=self.type_filter, values=self.type_labels, state="readonly", width=14
        )
        self.type_box.pack(side="left", padx=(4, 12))
        ttk.Label(bar, text=_("Status")).pack(side="left")
        self.status_box = ttk.Combobox(
            bar,
            textvariable=self.status_filter,
            values=self.status_labels,
            state="readonly",
            width=10,
        )
        self.status_box.pack(side="left", padx=(4, 12))
        ttk.Label(bar, text=_("Responsible officer")).pack(side="left")
        self.names = self.guarded(self.nb.officer_names) or {}
        self.officer_ids = sorted(self.names)
        self.officer_box = ttk.Combobox(
            bar,
            textvariable=self.officer_filter,
            values=[
                _("All officers"),
                *[officer_label(self.names, officer_id) for officer_id in self.officer_ids],
            ],
            state="readonly",
            width=14,
        )
        self.officer_box.pack(side="left", padx=(4, 12))
        ttk.Label(bar, text=_("From")).pack(side="left")
        self.since = ttk.DateEntry(bar, value=None, date_format=DATE_FORMAT, width=11)
        self.since.pack(side="left", padx=(4, 8))
        ttk.Label(bar, text=_("To")).pack(side="left")
        self.until = ttk.DateEntry(bar, value=None, date_format=DATE_FORMAT, width=11)
        self.until.pack(side="left", padx=(4, 8))
        ttk.Button(
            bar, text=_("Apply"), bootstyle="secondary", command=self.on_filter_changed
        ).pack(side="left", padx=4)
        ttk.Button(
            bar, text=_("Clear"), bootstyle="secondary-link", command=self.on_clear_filters
        ).pack(side="left")
        self.type_box.current(0)
        self.status_box.current(0)
        self.officer_box.current(0)
        self.officer_box.bind("<<ComboboxSelected>>", lambda _event: self.on_filter_changed())
        self.type_box.bind("<<ComboboxSelected>>", lambda _event: self.on_filter_changed())
        self.status_box.bind("<<ComboboxSelected>>", lambda _event: self.on_filter_changed())

    def create_table(self) -> None:
        frame, self.tree = make_tree(self, [(c, _(h), w) for c, h, w, _k in COLUMNS], height=20)
        frame.pack(fill="both", expand=True)
        for column, heading, _width, key in COLUMNS:
            self.tree.heading(
                column, text=_(heading), command=lambda k=key, c=column: self.on_sort(k, c)
            )
        self.tree.tag_configure("conflict", foreground="#c0392b")
        self.tree.bind("<Double-1>", lambda _event: self.on_open())
        self.tree.bind("<Return>", lambda _event: self.on_open())

    def create_pager(self) -> None:
        bar = ttk.Frame(self, padding=(0, 6))
        bar.pack(fill="x")
        self.summary = ttk.Label(bar, text="")
        self.summary.pack(side="left")
        self.next_button = ttk.Button(
            bar, text=_("Next page") + " ›", bootstyle="secondary", command=self.on_next_page
        )
        self.next_button.pack(side="right")
        self.prev_button = ttk.Button(
            bar,
            text="‹ " + _("Previous page"),
            bootstyle="secondary",
            command=self.on_previous_page,
        )
        self.prev_button.pack(side="right", padx=6)

    # -- filters --------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The ``list_cases`` keyword arguments that are set."""
        chosen: dict[str, Any] = {}
        type_index = self.type_box.current()
        if type_index > 0:
            chosen["case_type"] = self.type_names[type_index - 1]
        status_index = self.status_box.current()
        if status_index > 0:
            chosen["status"] = STATUSES[status_index - 1]
        officer_index = self.officer_box.current()
        if officer_index > 0:
            chosen["responsible_officer_id"] = self.officer_ids[officer_index - 1]
        since = self.since.entry.get().strip()
        until = self.until.entry.get().strip()
        if since:
            chosen["since"] = since
        if until:
            chosen["until"] = until
        return chosen

    def focus_search(self) -> None:
        self.search_entry.focus_set()
        self.search_entry.select_range(0, "end")

    # -- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        self.run_query()

    def run_query(self) -> None:
        """Read the page or the search hits in a background job.

        The notebook may be busy with a long read for Today; the list then says it is
        loading instead of freezing the window. Each query has a serial number, so a
        slow answer to an older query never replaces a newer one.
        """
        if self.search_after:
            self.after_cancel(self.search_after)
            self.search_after = None
        self.serial += 1
        serial = self.serial
        self.loading = True
        self.summary.configure(text=_("Loading…"))
        notebook = self.nb
        query = self.query.get().strip()
        filters = self.filters()
        sort, descending, offset = self.sort_key, self.descending, self.offset

        def work(_progress) -> tuple[str, list[CaseSummary], int]:
            if query:
                return "search", notebook.search(query, limit=SEARCH_LIMIT), 0
            total = notebook.count_cases(**filters)
            rows = notebook.list_cases(
                sort=sort, descending=descending, limit=PAGE_SIZE, offset=offset, **filters
            )
            return "page", rows, total

        self.app.jobs.start(
            work,
            on_done=lambda result: self.on_loaded(serial, query, filters, result),
            on_error=lambda error: self.on_load_failed(serial, error),
        )

    def on_load_failed(self, serial: int, error: BaseException) -> None:
        if serial != self.serial or not self.winfo_exists():
            return
        self.loading = False
        self.summary.configure(text="")
        self.app.show_error(error)

    def on_loaded(
        self,
        serial: int,
        query: str,
        filters: dict[str, Any],
        result: tuple[str, list[CaseSummary], int],
    ) -> None:
        if serial != self.serial or not self.winfo_exists():
            return  # an answer to an older query
        self.loading = False
        kind, rows, total = result
        if kind == "search":
            self.show_search(query, filters, rows)
        else:
            self.show_page(rows, total)

    def show_page(self, rows: list[CaseSummary], total: int) -> None:
        self.total = total or 0
        self.show_rows(rows)
        first = self.offset + 1 if self.rows else 0
        self.summary.configure(
            text=_("{first}–{last} of {total} cases").format(
                first=first, last=self.offset + len(self.rows), total=self.total
            )
        )
        self.prev_button.configure(state="normal" if self.offset > 0 else "disabled")
        more = self.offset + len(self.rows) < self.total
        self.next_button.configure(state="normal" if more else "disabled")

    def show_search(self, query: str, filters: dict[str, Any], found: list[CaseSummary]) -> None:
        # Filters narrow the ranked hits; the ranking itself is the core's.
        rows = [
            r
            for r in found
            if r.type == filters.get("case_type", r.type)
            and r.status == filters.get("status", r.status)
            and r.responsible_officer_id
            == filters.get("responsible_officer_id", r.responsible_officer_id)
            and r.created_at[:10] >= filters.get("since", "")
            and r.created_at[:10] <= filters.get("until", "9999")
        ]
        self.show_rows(rows)
        self.summary.configure(
            text=_("{count} found for “{query}”").format(count=len(rows), query=query)
        )
        self.prev_button.configure(state="disabled")
        self.next_button.configure(state="disabled")

    def show_rows(self, rows: list[CaseSummary]) -> None:
        self.rows = list(rows)
        clear_tree(self.tree)
        for row in self.rows:
            self.tree.insert(
                "",
                "end",
                iid=row.id,
                tags=("conflict",) if row.conflicts else (),
                values=(
                    row.title,
                    type_label(row.type, self.schemas.get(row.type)),
                    status_label(row.status),
                    officer_label(self.names, row.responsible_officer_id),
                    format_when(row.created_at),
                    format_when(row.updated_at),
                    row.conflicts or "",
                ),
            )

    def row_titles(self) -> list[str]:
        """The titles shown, in order (what an officer sees; tests read it too)."""
        return [row.title for row in self.rows]

    # -- handlers -------------------------------------------------------------------------

    def on_query_changed(self) -> None:
        if self.search_after:
            self.after_cancel(self.search_after)
        self.offset = 0
        self.search_after = self.after(SEARCH_DELAY_MS, self.run_query)

    def on_export(self, path: str | None = None) -> Any:
        """Save every case the list holds now (all pages of the filters, or the search hits)
        as a spreadsheet."""
        from casebook.export import case_sheet

        query = self.query.get().strip()
        filters = self.filters()
        notebook = self.nb

        def build() -> Any:
            if query:
                return case_sheet(notebook, self.rows)
            total = notebook.count_cases(**filters)
            rows = notebook.list_cases(
                sort=self.sort_key, descending=self.descending, limit=max(1, total), **filters
            )
            return case_sheet(notebook, rows)

        return save_spreadsheet(self, _("Cases"), build, path)

    def on_filter_changed(self) -> None:
        self.offset = 0
        self.run_query()

    def on_clear_filters(self) -> None:
        self.type_box.current(0)
        self.status_box.current(0)
        self.officer_box.current(0)
        self.since.entry.delete(0, "end")
        self.until.entry.delete(0, "end")
        self.query.set("")
        self.on_filter_changed()

    def on_sort(self, key: str | None, column: str) -> None:
        if key is None:
            return
        if self.query.get().strip():
            # Search hits are few: sort what is shown, keeping the core's rows.
            index = [c for c, *_rest in COLUMNS].index(column)
            self.descending = not self.descending if self.sort_key == key else False
            self.sort_key = key
            values = {row.id: self.tree.item(row.id, "values")[index] for row in self.rows}
            self.show_rows(
                sorted(self.rows, key=lambda r: str(values[r.id]), reverse=self.descending)
            )
            return
        self.descending = not self.descending if self.sort_key == key else False
        self.sort_key = key
        self.offset = 0
        self.run_query()

    def on_next_page(self) -> None:
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
            self.run_query()

    def on_previous_page(self) -> None:
        self.offset = max(0, self.offset - PAGE_SIZE)
        self.run_query()

    def on_open(self) -> None:
        selection = self.tree.selection()
        if selection:
            self.app.open_case(selection[0])
