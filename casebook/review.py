"""Review: the plugins' alerts (escalations) with the duty leader's sign-off, and legal review
of cases (执法监督) over the finding history (:mod:`casebook.findings`).

Reading a review or the alerts writes nothing. Findings are recorded by the writes that change
cases; a rectification is a ``finding.rectify`` op and an alert's sign-off an
``alert.acknowledge`` op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casebook import clock
from casebook.errors import InvalidInputError, NotFoundError
from casebook.findings import Findings, raise_records, summarize
from casebook.i18n import _
from casebook.journal import Journal
from casebook.models import Alert, Case, Finding, ReviewResult
from casebook.oplog import stable_id
from casebook.queries import Queries
from casebook.session import Session

NOTE_LIMIT = 2000


def _moment(value: Any, *, end_of_day: bool = False) -> datetime | None:
    try:
        return clock.parse_datetime(value, end_of_day=end_of_day)
    except ValueError as error:
        raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error


def _note(note: Any) -> str:
    if not isinstance(note, str) or not note.strip():
        raise InvalidInputError(_("note: this field is required"))
    if len(note) > NOTE_LIMIT:
        raise InvalidInputError(
            _("note: too long (at most {limit} characters)").format(limit=NOTE_LIMIT)
        )
    return note.strip()


def case_moment(case: Case) -> datetime | None:
    """When a case was reported (``reported_at``, else when it was recorded): what a review
    period selects cases by."""
    try:
        return clock.parse_datetime(case.fields.get("reported_at") or case.created_at)
    except (TypeError, ValueError):
        return clock.parse_datetime(case.created_at)


class Review:
    """Alerts and their sign-off, reviews, the finding history and rectifications."""

    def __init__(
        self,
        session: Session,
        journal: Journal,
        queries: Queries,
        findings: Findings,
        notebook: Any,
    ) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self.findings = findings
        self._notebook = notebook

    @property
    def host(self) -> Any:
        return self._notebook.host

    # -- alerts ----------------------------------------------------------------------------

    def alerts(self, at: Any = None) -> list[Alert]:
        """Escalations from every plugin as of ``at`` (default: now), each with its id and
        the duty leader's sign-off, if any."""
        moment = _moment(at) or clock.now()
        signoffs = {
            r[0]: r[1:]
            for r in self.session.query(
                "SELECT alert_id, note, officer_id, hlc FROM alert_signoffs"
            )
        }
        found = []
        for plugin, alert in self.host.collect(
            "find_alerts", Alert, context=self._notebook.plugin_context, at=moment
        ):
            if self.host.check_alert(plugin, alert):
                alert.plugin = alert.plugin or plugin
                alert.id = stable_id(
                    alert.plugin, str(alert.kind), *sorted(map(str, alert.case_ids))
                )
                note, officer, hlc = signoffs.get(alert.id, ("", "", None))
                alert.acknowledged_note = note
                alert.acknowledged_by = officer
                alert.acknowledged_at = clock.format_hlc(hlc) if hlc is not None else ""
                found.append(alert)
        return found

    def sign_off_alert(self, alert_id: str, note: str) -> Alert:
        """The duty leader acknowledges an alert with a note (an ``alert.acknowledge`` op).

        :raises NotFoundError: no alert with this id is raised now.
        """
        note = _note(note)
        if not any(alert.id == alert_id for alert in self.alerts()):
            raise NotFoundError(_("No alert {id} is raised now.").format(id=alert_id))
        with self.session.transaction():
            self.journal.append("alert.acknowledge", None, {"alert_id": alert_id, "note": note})
        return next(alert for alert in self.alerts() if alert.id == alert_id)

    # -- review ----------------------------------------------------------------------------

    def review(
        self,
        case_id: str | None = None,
        at: Any = None,
        *,
        start: Any = None,
        end: Any = None,
    ) -> list[ReviewResult]:
        """Legal review of one case or all, as of ``at`` (default: ``end``, else now).

        Each case's findings are its history (raised, and how each ended) plus what the rules
        find as of ``at`` that no write has recorded yet. Nothing is written.

        :param start: with ``end``, the period: only the cases reported in it.
        """
        period_start = _moment(start)
        period_end = _moment(end, end_of_day=True)
        moment = _moment(at) or period_end or clock.now()
        if case_id:
            cases = [self.queries.get_case(case_id)]
        else:
            cases = [
                case
                for case in self.queries.iter_cases()
                if in_period(case_moment(case), period_start, period_end)
            ]
        histories = self.findings.history([c.id for c in cases] if case_id else None)
        not_loaded = self.plugins_not_loaded()
        results = []
        for case in cases:
            history = histories.get(case.id, {})
            warnings = list(not_loaded)
            findings = self._case_findings(case, moment, history, warnings)
            results.append(
                ReviewResult(
                    case_id=case.id,
                    score=score_of(findings),
                    findings=findings,
                    officer_id=case.responsible_officer_id,
                    unit=case.unit,
                    warnings=list(dict.fromkeys(warnings)),
                )
            )
        return results

    def plugins_not_loaded(self) -> list[str]:
        """A warning for each enabled plugin the host refused (a tampered or incompatible
        file): whatever rules it has did not run."""
        return [
            _("Plugin {plugin} was refused, so its rules did not run: {reason}").format(
                plugin=plugin.name, reason=plugin.refused
            )
            for plugin in sorted(self.host.plugins.values(), key=lambda p: p.name)
            if plugin.enabled and plugin.refused
        ]

    def finding_summary(self, start: Any = None, end: Any = None) -> dict[str, Any]:
        """Found, rectified (by a data change; rectified and closed), open and the
        rectification rate of the cases reported in the period, as of its end."""
        findings = [f for r in self.review(start=start, end=end) for f in r.findings]
        return summarize(findings)

    def _case_findings(
        self, case: Case, moment: datetime, history: dict[str, Finding], warnings: list[str]
    ) -> list[Finding]:
        """The rules' findings as of ``moment`` merged with the case's history.

        :param warnings: collects why a rule could not judge the case (shown, not recorded).
        """
        if case.deleted:
            return []
        shown: list[Finding] = []
        for finding in self.findings.evaluate(case, moment, history, warnings):
            recorded = history.get(finding.id)
            if recorded is not None and not recorded.rectified:
                # Open and still found: the rule's current words and points, as raised.
                recorded.message, recorded.points = finding.message, finding.points
                shown.append(recorded)
            else:
                shown.append(recorded or finding)
        live = {finding.id for finding in shown}
        timestamp = moment.timestamp()
        for finding in history.values():
            if finding.id in live:
                continue
            # A deadline-type finding did not exist before its deadline; one about the data
            # is shown whatever the moment (the data is the case's as recorded).
            since = clock.parse_datetime(finding.since) if finding.since else None
            if since is not None and since.timestamp() > timestamp:
                continue
            shown.append(finding)
        return shown

    def recorded_reviews(self) -> list[ReviewResult]:
        """The recorded findings of every case that has any (no plugin is called), scored."""
        histories = self.findings.history()
        legacy = {r[0] for r in self.session.query("SELECT case_id FROM reviews")}
        results = []
        for case_id, officer_id, unit in self.session.query(
            "SELECT case_id, responsible, unit FROM cases WHERE deleted = 0 ORDER BY rid"
        ):
            if case_id not in histories and case_id not in legacy:
                continue
            findings = list(histories.get(case_id, {}).values())
            results.append(
                ReviewResult(
                    case_id=case_id,
                    score=score_of(findings),
                    findings=findings,
                    officer_id=officer_id,
                    unit=unit,
                )
            )
        return results

    def rectify_finding(self, finding_id: str, note: str) -> None:
        """Record that a finding was rectified and closed (整改/销号), with a note."""
        self.rectify_findings([finding_id], note)

    def rectify_findings(self, finding_ids: list[str], note: str) -> None:
        """Rectify and close several findings with one note, all or none.

        A finding a review shows that no write has recorded yet is recorded first.

        :raises NotFoundError: naming the first id that is no finding; nothing is written.
        """
        note = _note(note)
        wanted = list(dict.fromkeys(str(f) for f in finding_ids))
        histories = self.findings.history()
        case_of = {
            finding_id: case_id
            for case_id, history in histories.items()
            for finding_id in history
            if finding_id in wanted
        }
        pending: dict[str, Finding] = {}
        if len(case_of) < len(wanted):
            moment = clock.now()
            for case in self.queries.iter_cases():
                for finding in self.findings.evaluate(case, moment, histories.get(case.id, {})):
                    if finding.id in wanted and finding.id not in case_of:
                        case_of[finding.id] = case.id
                        pending[finding.id] = finding
        for finding_id in wanted:
            if finding_id not in case_of:
                raise NotFoundError(_("No finding {id}.").format(id=finding_id))
        with self.session.transaction():
            for finding_id in wanted:
                if finding_id in pending:
                    self.journal.append(
                        "finding.raise",
                        case_of[finding_id],
                        {"findings": raise_records([pending[finding_id]])},
                    )
                self.journal.append(
                    "finding.rectify", case_of[finding_id], {"finding_id": finding_id, "note": note}
                )


def in_period(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return start is None and end is None
    return (start is None or moment >= start) and (end is None or moment <= end)


def score_of(findings: list[Finding]) -> int:
    """100 minus the points of the open findings."""
    return max(0, 100 - sum(max(0, int(f.points)) for f in findings if not f.rectified))
