"""Legal review: findings by case and by officer, points, rectification (整改/销号).

Showing the page only reads (``notebook.review()`` writes nothing): findings are recorded by
the writes that change cases, and a rectification (销号) by the officer's action here.
"""

from __future__ import annotations

import logging
import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook.models import Finding, ReviewResult

from ..screen import Screen, clear_tree, make_tree
from ..spreadsheet import save_spreadsheet
from ..text import N_, _, finding_state, format_value, officer_label, severity_label

log = logging.getLogger(__name__)


class ReviewScreen(Screen):
    title = N_("Review")

    def create_widgets(self) -> None:
        self.results: list[ReviewResult] = []
        self.titles: dict[str, str] = {}
        self.points: dict[str, Any] = {}
        self.reviewing = False
        self.findings: dict[str, tuple[ReviewResult, Finding]] = {}
        self.glossary = self.app.vocabulary()
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Label(header, text=_("Legal review"), font=("TkHeadingFont", 16, "bold")).pack(
            side="left"
        )
        ttk.Button(
            header, text=_("Review all cases"), bootstyle="primary", command=self.refresh
        ).pack(side="right")
        ttk.Button(
            header, text=_("Export…"), bootstyle="secondary-outline", command=self.on_export
        ).pack(side="right", padx=(0, 8))
        self.summary = ttk.Label(header, text="", bootstyle="secondary")
        self.summary.pack(side="right", padx=10)

        # What makes the review incomplete (a rule that failed or was refused): shown above
        # the findings, never mixed with them.
        self.warnings = ttk.Label(
            self, text="", bootstyle="danger", wraplength=1000, justify="left"
        )
        self.warnings.pack(anchor="w", fill="x")
        self.tabs = ttk.Notebook(self)
        self.tabs.pack(fill="both", expand=True, pady=(8, 0))
        by_case = ttk.Frame(self.tabs, padding=6)
        self.tabs.add(by_case, text=_("By case"))
        frame, self.case_tree = make_tree(
            by_case,
            [
                ("score", _("Score / points"), 90),
                ("severity", _("Severity"), 80),
                ("message", _("Finding"), 520),
                ("state", _("State"), 160),
            ],
            height=14,
            show_tree=True,
        )
        self.case_tree.column("#0", width=260, stretch=False)
        self.case_tree.heading("#0", text=_("Case / rule"), anchor="w")
        frame.pack(fill="both", expand=True)
        self.case_tree.tag_configure("open", foreground="#c0392b")
        self.case_tree.bind("<Double-1>", lambda _event: self.on_open_case())
        rectify = ttk.Frame(by_case, padding=(0, 6))
        rectify.pack(fill="x")
        ttk.Label(rectify, text=_("Rectification note")).pack(side="left")
        self.note = tk.StringVar(self)
        ttk.Entry(rectify, textvariable=self.note, width=50).pack(side="left", padx=6)
        ttk.Button(
            rectify, text=_("Mark rectified (销号)"), bootstyle="success", command=self.on_rectify
        ).pack(side="left")

        by_officer = ttk.Frame(self.tabs, padding=6)
        self.tabs.add(by_officer, text=_("By officer"))
        frame, self.officer_tree = make_tree(
            by_officer,
            [
                ("officer", _("Responsible officer"), 140),
                ("unit", _("Unit"), 200),
                ("cases", _("Cases"), 80),
                ("average", _("Average score"), 110),
                ("open", _("Open findings"), 110),
                ("rectified", _("Rectified"), 90),
                ("points", _("Points"), 90),
            ],
            height=14,
        )
        frame.pack(fill="both", expand=True)

    def refresh(self) -> None:
        """Show the review of every case as of now, computed in a background job (it reads
        them all). Nothing is written."""
        self.review()

    def review(self) -> None:
        if getattr(self, "reviewing", False):
            return
        self.reviewing = True
        self.summary.configure(text=_("Reviewing…"))
        notebook = self.nb
        self.glossary = glossary = self.app.vocabulary()

        def work(_progress) -> tuple[list[ReviewResult], dict[str, str], dict[str, Any]]:
            results = notebook.review()
            points: dict[str, Any] = {}
            role = glossary.role("officer_points")  # a plugin's report, when one declares it
            if role is not None and role.key:
                try:
                    points = dict(notebook.build_report(role.report).summary.get(role.key) or {})
                except Exception as error:  # noqa: BLE001 - the points are a nicety here
                    # The type only: a plugin's message may quote case data.
                    log.warning("the officer points report failed: %s", type(error).__name__)
            titles = {}
            for result in results:
                if result.findings:
                    try:
                        titles[result.case_id] = notebook.get_case(result.case_id).title
                    except Exception:  # noqa: BLE001 - a title is a nicety
                        titles[result.case_id] = result.case_id
            return results, titles, points

        self.app.jobs.start(
            work,
            on_done=self.on_reviewed,
            on_error=self.on_review_failed,
        )

    def on_reviewed(self, outcome: tuple[list[ReviewResult], dict[str, str], dict]) -> None:
        self.reviewing = False
        if not self.winfo_exists():
            return
        self.results, self.titles, self.points = outcome
        self.fill_warnings()
        names = self.app.guarded(self.nb.officer_names) or {}  # one roster read for both
        self.fill_cases(names)
        self.fill_officers(names)

    def on_review_failed(self, error: BaseException) -> None:
        self.reviewing = False
        self.app.notify(
            _("The review failed: {error}").format(error=self.app.describe_error(error)), "danger"
        )

    def fill_warnings(self) -> None:
        counts: dict[str, int] = {}
        for result in self.results:
            for warning in result.warnings:
                counts[warning] = counts.get(warning, 0) + 1
        self.warnings.configure(
            text="\n".join(
                _("Warning ({cases} cases): {warning}").format(cases=count, warning=warning)
                for warning, count in counts.items()
            )
        )

    def fill_cases(self, names: dict[str, str]) -> None:
        clear_tree(self.case_tree)
        self.findings = {}
        total_findings = open_findings = 0
        for result in sorted(self.results, key=lambda r: r.score):
            if not result.findings:
                continue
            title = self.titles.get(result.case_id) or result.case_id
            parent = self.case_tree.insert(
                "",
                "end",
                iid=f"case:{result.case_id}",
                text=title,
                open=True,
                values=(result.score, "", "", ""),
            )
            for finding in result.findings:
                total_findings += 1
                open_findings += 0 if finding.rectified else 1
                state = finding_state(finding, names)
                if finding.rectified_note:
                    state += f": {finding.rectified_note}"
                iid = f"finding:{finding.id or finding.rule}:{result.case_id}"
                self.findings[iid] = (result, finding)
                self.case_tree.insert(
                    parent,
                    "end",
                    iid=iid,
                    text=self.glossary.label("rule", finding.rule),
                    tags=() if finding.rectified else ("open",),
                    values=(
                        f"-{finding.points}",
                        severity_label(finding.severity),
                        finding.message,
                        state,
                    ),
                )
        self.summary.configure(
            text=_("{cases} cases reviewed, {findings} findings, {open} open").format(
                cases=len(self.results), findings=total_findings, open=open_findings
            )
        )

    def fill_officers(self, names: dict[str, str]) -> None:
        # Grouping for display only: scores and points come from the review plugin.
        clear_tree(self.officer_tree)
        groups: dict[str, dict[str, Any]] = {}
        for result in self.results:
            group = groups.setdefault(
                result.officer_id or "?",
                {"unit": result.unit, "scores": [], "open": 0, "rectified": 0},
            )
            group["scores"].append(result.score)
            group["open"] += sum(1 for f in result.findings if not f.rectified)
            group["rectified"] += sum(1 for f in result.findings if f.rectified)
        for officer, group in sorted(groups.items()):
            average = sum(group["scores"]) / len(group["scores"])
            self.officer_tree.insert(
                "",
                "end",
                values=(
                    officer_label(names, officer),
                    group["unit"],
                    len(group["scores"]),
                    f"{average:.1f}",
                    group["open"],
                    group["rectified"],
                    format_value(self.points.get(officer, "")),
                ),
            )

    def on_export(self, path: str | None = None) -> Any:
        """Save the findings shown (every case reviewed) as a spreadsheet."""
        from casebook.export import findings_sheet

        if not self.results:
            self.app.notify(_("Review the cases first."), "warning")
            return None
        results = list(self.results)
        return save_spreadsheet(self, _("Findings"), lambda: findings_sheet(self.nb, results), path)

    def on_rectify(self) -> bool:
        selection = self.case_tree.selection()
        chosen = self.findings.get(selection[0]) if selection else None
        if chosen is None:
            self.app.notify(_("Choose a finding first."), "warning")
            return False
        note = self.note.get().strip()
        if not note:
            self.app.notify(_("Write what was rectified."), "warning")
            return False
        result, finding = chosen
        try:
            self.nb.rectify_finding(finding.id, note)
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return False
        self.app.notify(_("Finding rectified."), "success")
        self.note.set("")
        self.app.changed()
        self.refresh()
        return True

    def on_open_case(self) -> None:
        selection = self.case_tree.selection()
        if selection:
            iid = selection[0]
            case_id = iid.split(":", 1)[1] if iid.startswith("case:") else iid.rsplit(":", 1)[-1]
            self.app.open_case(case_id)
