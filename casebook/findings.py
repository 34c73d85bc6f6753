"""Findings as history: raised by the write that made them true, ended by a data change or by
rectification (整改/销号), never erased.

The host records findings as part of each write to a case, in the write's transaction
(:meth:`Findings.recording`), through the journal:

* before the op, the rules are asked about the case as it stands (as of now): what they find
  and no one recorded yet (a deadline that passed since the last write) is raised first, so a
  callback missed before the person was found stays missed;
* after the op, what they find now and was not recorded is raised (``finding.raise``), and a
  finding they found before the op and no longer find is ended by this data change
  (``finding.clear``, with the writer's officer and time), unless it is ``overdue``: a missed
  deadline is not undone by later data, only rectified.

A read (``review``) records nothing: it shows the history, plus what the rules find as of its
moment that no write has recorded yet (``recorded`` False).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from casebook import clock
from casebook.i18n import _
from casebook.journal import Journal
from casebook.models import Case, Finding
from casebook.oplog import stable_id
from casebook.queries import Queries
from casebook.session import Session

ENDED_BY_DATA = "data"
ENDED_BY_RECTIFY = "rectify"


def responsible_officer(case: Case) -> str:
    """The officer who answers for a case's findings when they are raised: the one
    responsible for the case then (its creator until a handover, ``case assign``)."""
    return case.responsible_officer_id or case.officer_id


class Findings:
    """The finding history: evaluating the rules, recording around writes, reading back."""

    def __init__(self, session: Session, journal: Journal, queries: Queries, notebook: Any) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self._notebook = notebook

    @property
    def host(self) -> Any:
        return self._notebook.host

    # -- the rules -----------------------------------------------------------------------

    def evaluate(
        self,
        case: Case,
        moment: datetime,
        history: dict[str, Finding],
        warnings: list[str] | None = None,
    ) -> list[Finding]:
        """What the plugins' rules find in ``case`` as of ``moment``, with the host's ids.

        A finding's id is stable per (case, plugin, rule, ordinal); once a finding was ended by
        a data change, the same problem found again is a new finding (the next occurrence).

        :param warnings: if given, collects a warning for each rule that failed on the case
            and each finding the host refused: their findings are missing.
        """
        findings: list[Finding] = []
        seen: dict[str, int] = {}
        failures: list[tuple[str, BaseException]] = []
        for plugin, finding in self.host.collect(
            "review_case",
            Finding,
            failures=failures,
            context=self._notebook.plugin_context,
            case=case,
            at=moment,
        ):
            if not self.host.check_finding(plugin, finding):
                if warnings is not None:
                    warnings.append(
                        _(
                            "A finding of plugin {plugin} was refused ({rule}): see"
                            " 'casebook plugins list'."
                        ).format(plugin=plugin, rule=finding.rule)
                    )
                continue
            key = f"{plugin}|{finding.rule}"
            seen[key] = seen.get(key, 0) + 1
            # What the host sets is never taken from a plugin.
            fresh = Finding(
                rule=finding.rule,
                severity=finding.severity,
                message=str(finding.message),
                points=finding.points,
                overdue=finding.overdue is True,
                since=self._since(finding.since, moment),
                plugin=plugin,
                plugin_version=self.host.version_of(plugin),
                officer_id=responsible_officer(case),
            )
            fresh.id = occurrence_id(case.id, key, seen[key], history)
            fresh.raised_at = fresh.since or clock.format_datetime(moment)
            findings.append(fresh)
        if warnings is not None:
            for plugin in dict.fromkeys(plugin for plugin, _error in failures):
                warnings.append(
                    _(
                        "The review rules of plugin {plugin} failed on this case: its"
                        " findings are missing (see 'casebook plugins list')."
                    ).format(plugin=plugin)
                )
        return findings

    @staticmethod
    def _since(value: Any, moment: datetime) -> str:
        """A plugin's ``since`` as ISO text, or "" when absent, unreadable or after ``moment``."""
        if not value:
            return ""
        try:
            since = clock.parse_datetime(value)
        except (TypeError, ValueError):
            return ""
        if since is None or since > moment:
            return ""
        return clock.format_datetime(since)

    # -- the history ---------------------------------------------------------------------

    def history(self, case_ids: Iterable[str] | None = None) -> dict[str, dict[str, Finding]]:
        """The recorded findings by case and id, each with how it ended (if it did)."""
        where, params = "", []
        if case_ids is not None:
            ids = list(case_ids)
            if not ids:
                return {}
            where = f" WHERE case_id IN ({','.join('?' * len(ids))})"
            params = ids
        ends: dict[str, list[tuple]] = {}
        for finding_id, how, hlc, officer, note in self.session.query(
            "SELECT finding_id, how, hlc, officer_id, note FROM finding_ends" + where, params
        ):
            ends.setdefault(finding_id, []).append((how, hlc, officer, note))
        result: dict[str, dict[str, Finding]] = {}
        for row in self.session.query(
            "SELECT finding_id, case_id, plugin, plugin_version, rule, severity, message, points,"
            " overdue, since, raised_at, officer_id FROM findings" + where + " ORDER BY raised_ts,"
            " finding_id",
            params,
        ):
            finding = Finding(
                rule=row[4],
                severity=row[5],
                message=row[6],
                points=row[7],
                overdue=bool(row[8]),
                since=row[9],
                id=row[0],
                plugin=row[2],
                plugin_version=row[3],
                recorded=True,
                raised_at=row[10],
                officer_id=row[11],
            )
            end_finding(finding, ends.get(row[0], []))
            result.setdefault(row[1], {})[row[0]] = finding
        return result

    # -- recording around writes -----------------------------------------------------------

    @contextmanager
    def recording(self, case_id: str, *, new: bool = False) -> Iterator[None]:
        """Record the case's findings around a write; call inside the write's transaction.

        :param new: the case is created by this write: there is nothing before it.
        """
        before = {} if new else self._record(case_id)
        yield
        after = self._record(case_id)
        ended = sorted(
            finding_id
            for finding_id, finding in before.items()
            if finding_id not in after and not finding.overdue
        )
        if ended:
            self.journal.append("finding.clear", case_id, {"finding_ids": ended})

    def record_new_cases(self, cases: list[Case]) -> None:
        """Raise the findings of cases created in this transaction (a bulk import)."""
        moment = clock.now()
        changes = []
        for case in cases:
            raised = self.evaluate(case, moment, {})
            if raised:
                changes.append(("finding.raise", case.id, {"findings": raise_records(raised)}))
        if changes:
            self.journal.append_many(changes)

    def _record(self, case_id: str) -> dict[str, Finding]:
        """Raise what the rules find now and nobody recorded; return what they find, open."""
        case = self.queries.get_case(case_id)
        if case.deleted:
            return {}
        history = self.history([case_id]).get(case_id, {})
        live = self.evaluate(case, clock.now(), history)
        new = [finding for finding in live if finding.id not in history]
        if new:
            self.journal.append("finding.raise", case_id, {"findings": raise_records(new)})
        # The rule says whether a finding is about a deadline (findings recorded by earlier
        # versions do not), so the live finding is returned.
        return {
            finding.id: finding
            for finding in live
            if not history.get(finding.id, finding).rectified
        }


def occurrence_id(case_id: str, key: str, ordinal: int, history: dict[str, Finding]) -> str:
    """The id of the ``ordinal``-th finding of ``key`` on a case: the first occurrence's id
    (the one findings always had), or the next after each one ended by a data change."""
    finding_id = stable_id(case_id, key, str(ordinal))
    occurrence = 1
    while (earlier := history.get(finding_id)) is not None and earlier.ended_by == ENDED_BY_DATA:
        occurrence += 1
        finding_id = stable_id(case_id, key, str(ordinal), str(occurrence))
    return finding_id


def raise_records(findings: list[Finding]) -> list[dict[str, Any]]:
    """The ``finding.raise`` payload of findings the host evaluated."""
    return [
        {
            "id": f.id,
            "plugin": f.plugin,
            "plugin_version": f.plugin_version,
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
            "points": f.points,
            "overdue": f.overdue,
            "since": f.since,
            "raised_at": f.raised_at,
            "officer_id": f.officer_id,
        }
        for f in findings
    ]


def end_finding(finding: Finding, ends: list[tuple]) -> None:
    """Set how a finding ended from its ``(how, hlc, officer, note)`` events.

    A rectification (销号) closes it whatever the data did (the latest note is shown); else the
    first data change that ended it.
    """
    rectifications = sorted(e for e in ends if e[0] == ENDED_BY_RECTIFY)
    by_data = sorted(e for e in ends if e[0] == ENDED_BY_DATA)
    chosen = rectifications[-1] if rectifications else (by_data[0] if by_data else None)
    if chosen is None:
        return
    how, hlc, officer, note = chosen
    finding.rectified = True
    finding.ended_by = how
    finding.rectified_at = clock.format_hlc(hlc)
    finding.rectified_by = officer
    finding.rectified_note = note


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Found, rectified (by a data change, by 整改/销号), open, and the rectification rate."""
    found = len(findings)
    by_data = sum(1 for f in findings if f.ended_by == ENDED_BY_DATA)
    closed = sum(1 for f in findings if f.ended_by == ENDED_BY_RECTIFY)
    rectified = by_data + closed
    return {
        "found": found,
        "rectified": rectified,
        "rectified_by_data": by_data,
        "rectified_and_closed": closed,
        "open": found - rectified,
        "rectification_rate": round(rectified / found, 4) if found else 1.0,
    }
