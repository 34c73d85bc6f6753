"""Queries: the read model of cases (get, list, count, iterate, search, history, conflicts).

Everything here reads the views the journal maintains; nothing writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from casebook import blobs, clock, search
from casebook.clock import format_hlc
from casebook.errors import InvalidInputError, NotFoundError
from casebook.i18n import _
from casebook.models import Attachment, Case, CaseSummary, Conflict, ConflictValue, Entry
from casebook.oplog import Op
from casebook.session import Session
from casebook.views import STATUS, load_registers, winners

SORT_COLUMNS = {
    "updated_at": "updated_hlc",
    "created_at": "created_hlc",
    "title": "title",
    "status": "status",
    "type": "type",
    "officer_id": "officer_id",
    "responsible_officer_id": "responsible",
}


class Queries:
    """Read access to the cases of one notebook."""

    def __init__(self, session: Session, folder: Path) -> None:
        """:param folder: the notebook's folder (to tell whether an attachment's blob is here)."""
        self.session = session
        self.folder = folder

    def get_case(self, case_id: str) -> Case:
        """A case with its entries, attachments and conflicts. :raises NotFoundError:"""
        found = self.load_cases([str(case_id)])
        if not found:
            raise NotFoundError(_("No case {id}.").format(id=case_id))
        return found[0]

    def load_cases(self, case_ids: list[str]) -> list[Case]:
        """The cases with these ids, in this order (missing ones left out): three queries in all."""
        marks = ",".join("?" * len(case_ids))
        session = self.session
        with session.lock:
            session.require_open()
            rows = session.conn.execute(
                "SELECT case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc, registers, flags,"
                f" deleted, responsible FROM cases WHERE case_id IN ({marks})",
                case_ids,
            ).fetchall()
            entries: dict[str, list[Entry]] = {}
            for r in session.conn.execute(
                "SELECT entry_id, case_id, kind, text, data, author, created_hlc, head_hlc, version, deleted,"
                f" flagged, plugin FROM entries WHERE case_id IN ({marks}) ORDER BY created_hlc, entry_id",
                case_ids,
            ):
                entries.setdefault(r[1], []).append(self._entry(r))
            attachments: dict[str, list[Attachment]] = {}
            for r in session.conn.execute(
                "SELECT attachment_id, case_id, name, size, media_type, sha256, added_hlc, author FROM attachments"
                f" WHERE case_id IN ({marks}) ORDER BY added_hlc",
                case_ids,
            ):
                attachments.setdefault(r[1], []).append(self._attachment(r))
        by_id = {}
        for row in rows:
            registers = load_registers(row[8])
            by_id[row[0]] = Case(
                id=row[0],
                type=row[1],
                status=row[2],
                title=row[3],
                fields=winners(registers),
                officer_id=row[4],
                unit=row[5],
                created_at=format_hlc(row[6]),
                updated_at=format_hlc(row[7]),
                entries=entries.get(row[0], []),
                attachments=attachments.get(row[0], []),
                conflicts=self._conflicts_of(row[0], row[3], registers),
                flags=json.loads(row[9]),
                deleted=bool(row[10]),
                responsible_officer_id=row[11],
            )
        return [by_id[case_id] for case_id in case_ids if case_id in by_id]

    def _entry(self, r: tuple) -> Entry:
        return Entry(
            id=r[0],
            case_id=r[1],
            kind=r[2],
            text=r[3],
            data=json.loads(r[4]),
            author=r[5],
            created_at=format_hlc(r[6]),
            updated_at=format_hlc(r[7]),
            version=r[8],
            deleted=bool(r[9]),
            flagged=bool(r[10]),
            plugin=r[11],
        )

    def _attachment(self, r: tuple) -> Attachment:
        return Attachment(
            id=r[0],
            case_id=r[1],
            name=r[2],
            size=r[3],
            media_type=r[4],
            sha256=r[5],
            added_at=format_hlc(r[6]),
            author=r[7],
            available=blobs.blob_path(self.folder, r[0]).exists(),
        )

    def _conflicts_of(self, case_id: str, title: str, registers: dict[str, list]) -> list[Conflict]:
        conflicts = []
        for name, values in sorted(registers.items()):
            if len(values) > 1:
                conflicts.append(
                    Conflict(
                        case_id=case_id,
                        field="status" if name == STATUS else name,
                        winner=values[-1][3],
                        title=title,
                        values=[
                            ConflictValue(
                                value=v[3],
                                author=v[4],
                                device_id=v[0],
                                at=format_hlc(v[2]),
                                op_id=f"{v[0]}:{v[1]}",
                            )
                            for v in reversed(values)
                        ],
                    )
                )
        return conflicts

    def history(self, case_id: str) -> list[Op]:
        """Every op of a case, in causal order: the audit trail (全程留痕)."""
        self.get_case(case_id)
        return [
            json.loads(r[0])
            for r in self.session.query(
                "SELECT body FROM ops WHERE case_id = ? ORDER BY hlc, device_id", (case_id,)
            )
        ]

    # -- listing and search ----------------------------------------------------------------

    def _filters(
        self,
        case_type: str | None,
        status: str | None,
        officer_id: str | None,
        since: Any,
        until: Any,
        responsible_officer_id: str | None = None,
    ) -> tuple[str, list[Any]]:
        where, params = ["deleted = 0"], []
        if case_type:
            where.append("type = ?")
            params.append(case_type)
        if status:
            where.append("status = ?")
            params.append(status)
        if officer_id:
            where.append("officer_id = ?")
            params.append(officer_id)
        if responsible_officer_id:
            where.append("responsible = ?")
            params.append(responsible_officer_id)
        try:
            start = clock.parse_datetime(since)
            end = clock.parse_datetime(until, end_of_day=True)
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        if start:
            where.append("created_hlc >= ?")
            params.append(clock.hlc_of(start))
        if end:
            where.append("created_hlc <= ?")
            params.append(clock.hlc_of(end) | clock.COUNTER_MASK)
        return " AND ".join(where), params

    def list_cases(
        self,
        *,
        case_type: str | None = None,
        status: str | None = None,
        officer_id: str | None = None,
        responsible_officer_id: str | None = None,
        since: Any = None,
        until: Any = None,
        sort: str = "updated_at",
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseSummary]:
        """A page of cases, newest change first by default.

        :param officer_id: only cases this officer created.
        :param responsible_officer_id: only cases this officer is responsible for now.
        """
        if sort not in SORT_COLUMNS:
            raise InvalidInputError(
                _("sort: must be one of {choices}").format(choices=", ".join(SORT_COLUMNS))
            )
        where, params = self._filters(
            case_type, status, officer_id, since, until, responsible_officer_id
        )
        order = f"{SORT_COLUMNS[sort]} {'DESC' if descending else 'ASC'}, rid {'DESC' if descending else 'ASC'}"
        rows = self.session.query(
            f"SELECT case_id, type, status, title, officer_id, created_hlc, updated_hlc, conflicts, responsible"
            " FROM cases"
            f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, int(limit), int(offset)),
        )
        return [self._summary(r) for r in rows]

    def count_cases(
        self,
        *,
        case_type: str | None = None,
        status: str | None = None,
        officer_id: str | None = None,
        responsible_officer_id: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> int:
        where, params = self._filters(
            case_type, status, officer_id, since, until, responsible_officer_id
        )
        return self.session.query(f"SELECT count(*) FROM cases WHERE {where}", params)[0][0]

    def _summary(self, r: tuple) -> CaseSummary:
        return CaseSummary(
            id=r[0],
            type=r[1],
            status=r[2],
            title=r[3],
            officer_id=r[4],
            created_at=format_hlc(r[5]),
            updated_at=format_hlc(r[6]),
            conflicts=r[7],
            responsible_officer_id=r[8],
        )

    def iter_cases(
        self, *, case_type: str | None = None, status: str | None = None
    ) -> Iterator[Case]:
        """Every (not deleted) case in full, oldest first; for alerts and reports."""
        where, params = self._filters(case_type, status, None, None, None)
        ids = [
            r[0]
            for r in self.session.query(
                f"SELECT case_id FROM cases WHERE {where} ORDER BY created_hlc", params
            )
        ]
        # A few hundred at a time: three queries per chunk, and the lock is free in between.
        for start in range(0, len(ids), 500):
            yield from self.load_cases(ids[start : start + 500])

    def search(self, query: str, *, limit: int = 50) -> list[CaseSummary]:
        """Cases containing every term of ``query`` as a substring (1+ characters), best first."""
        if not isinstance(query, str):
            raise InvalidInputError(_("The search query must be text."))
        session = self.session
        with session.lock:
            session.require_open()
            rids = search.ranked_rids(session.conn, query, max(1, int(limit)))
            if not rids:
                return []
            marks = ",".join("?" * len(rids))
            rows = session.conn.execute(
                f"SELECT rid, case_id, type, status, title, officer_id, created_hlc, updated_hlc, conflicts,"
                f" responsible FROM cases WHERE rid IN ({marks}) AND deleted = 0",
                rids,
            ).fetchall()
        by_rid = {r[0]: r[1:] for r in rows}
        return [self._summary(by_rid[rid]) for rid in rids if rid in by_rid]

    # -- conflicts -------------------------------------------------------------------------

    def conflicts(self) -> list[Conflict]:
        """Every field that holds concurrent values, on every case."""
        found = []
        for case_id, title, registers in self.session.query(
            "SELECT case_id, title, registers FROM cases WHERE conflicts > 0 AND deleted = 0 ORDER BY updated_hlc"
        ):
            found.extend(self._conflicts_of(case_id, title, load_registers(registers)))
        return found
