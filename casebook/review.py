"""Review: the plugins' alerts (escalations) and legal review of cases (执法监督).

A review asks the plugins for findings on each case; each changed result is recorded as a
``review.record`` op, and a rectified finding as ``finding.rectify``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from casebook import clock
from casebook.errors import InvalidInputError, NotFoundError
from casebook.i18n import _
from casebook.journal import Journal
from casebook.models import Alert, Finding, ReviewResult
from casebook.oplog import canonical_json, stable_id
from casebook.queries import Queries
from casebook.session import Session


class Review:
    """Alerts, reviews, recorded reviews and rectifications."""

    def __init__(self, session: Session, journal: Journal, queries: Queries, notebook: Any) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self._notebook = notebook

    @property
    def host(self) -> Any:
        return self._notebook.host

    def alerts(self, at: Any = None) -> list[Alert]:
        """Escalations from every plugin as of ``at`` (default: now)."""
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        found = []
        for plugin, alert in self.host.collect(
            "find_alerts", Alert, context=self._notebook.plugin_context, at=moment
        ):
            if self.host.check_alert(plugin, alert):
                alert.plugin = alert.plugin or plugin
                found.append(alert)
        return found

    def review(
        self, case_id: str | None = None, at: Any = None, *, record: bool = True
    ) -> list[ReviewResult]:
        """Legal review of one case or all; each changed result is recorded as an op.

        :param record: False only reads: the same results, nothing written (a screen that
            shows the review, a report, a plugin's context).
        """
        return self._results(case_id, at, record=record)

    def _results(self, case_id: str | None, at: Any, *, record: bool) -> list[ReviewResult]:
        """The review as of ``at``; with ``record``, each changed result is recorded (the
        plugins' findings, under their names and versions)."""
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        cases = [self.queries.get_case(case_id)] if case_id else list(self.queries.iter_cases())
        rectified = {
            r[0]: r[1] for r in self.session.query("SELECT finding_id, note FROM rectifications")
        }
        stored = {r[0]: r[1] for r in self.session.query("SELECT case_id, result FROM reviews")}
        results = []
        with self.session.transaction() if record else contextlib.nullcontext():
            for case in cases:
                findings: list[Finding] = []
                seen: dict[str, int] = {}
                for plugin, finding in self.host.collect(
                    "review_case",
                    Finding,
                    context=self._notebook.plugin_context,
                    case=case,
                    at=moment,
                ):
                    if not self.host.check_finding(plugin, finding):
                        continue
                    key = f"{plugin}|{finding.rule}"
                    seen[key] = seen.get(key, 0) + 1
                    finding.plugin = plugin
                    finding.id = stable_id(case.id, key, str(seen[key]))
                    finding.rectified = finding.id in rectified
                    finding.rectified_note = rectified.get(finding.id, "")
                    findings.append(finding)
                score = max(
                    0, 100 - sum(max(0, int(f.points)) for f in findings if not f.rectified)
                )
                result = ReviewResult(
                    case_id=case.id,
                    score=score,
                    findings=findings,
                    officer_id=case.responsible_officer_id,
                    unit=case.unit,
                )
                payload = {
                    "score": score,
                    "findings": [f.to_dict() for f in findings],
                    "plugins": {
                        p: self.host.version_of(p) for p in sorted({f.plugin for f in findings})
                    },
                }
                if record and stored.get(case.id) != canonical_json(payload):
                    self.journal.append("review.record", case.id, payload)
                results.append(result)
        return results

    def recorded_reviews(self) -> list[ReviewResult]:
        """The last recorded review of every case (no plugin is called)."""
        results = []
        rectified = {
            r[0]: r[1] for r in self.session.query("SELECT finding_id, note FROM rectifications")
        }
        for case_id, result, officer_id, unit in self.session.query(
            "SELECT r.case_id, r.result, c.responsible, c.unit FROM reviews r JOIN cases c ON c.case_id = r.case_id"
            " WHERE c.deleted = 0"
        ):
            data = json.loads(result)
            findings = [
                Finding(
                    **{
                        **f,
                        "rectified": f["id"] in rectified,
                        "rectified_note": rectified.get(f["id"], ""),
                    }
                )
                for f in data["findings"]
            ]
            results.append(
                ReviewResult(
                    case_id=case_id,
                    score=data["score"],
                    findings=findings,
                    officer_id=officer_id,
                    unit=unit,
                )
            )
        return results

    def rectify_finding(self, finding_id: str, note: str) -> None:
        """Record that a finding was rectified (整改/销号), with a note."""
        if not isinstance(note, str) or not note.strip():
            raise InvalidInputError(_("note: this field is required"))
        for review in self.recorded_reviews():
            if any(f.id == finding_id for f in review.findings):
                with self.session.transaction():
                    self.journal.append(
                        "finding.rectify",
                        review.case_id,
                        {"finding_id": finding_id, "note": note.strip()},
                    )
                return
        raise NotFoundError(_("No finding {id}. Run a review first.").format(id=finding_id))
