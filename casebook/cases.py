"""Cases and entries: every write to a case, and the validation before it.

Each write validates first (the type's schema, then the plugins' ``validate_case``), then
appends its op, the plugins' task plans and the findings it raised or ended
(:mod:`casebook.findings`) in one transaction, and tells the plugins the case
was saved after the commit.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from casebook import clock
from casebook.casetypes import CaseType, describe
from casebook.catalog import Catalog
from casebook.clock import format_hlc
from casebook.errors import InvalidInputError, NotFoundError
from casebook.findings import Findings
from casebook.i18n import _, language
from casebook.journal import Journal
from casebook.models import Case, Entry, IssuedDocument, Problem
from casebook.oplog import json_value, new_id
from casebook.plugin_host import FAILED_CHECK
from casebook.queries import Queries
from casebook.roster import Roster
from casebook.session import Session
from casebook.tasks import Tasks, check_entry
from casebook.vocabulary import Glossary, core_vocabulary

STATUSES = (
    "received",
    "accepted",
    "not_accepted",
    "filed",
    "not_filed",
    "handled",
    "diverted",
    "transferred",
    "closed",
)
IMPORT_BATCH = 10000
ProgressCallback = Callable[[int, int | None], None]


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk operation.

    An import keeps every record it validated until its last batch is written, and creates
    no reference cycles: the collector walked those objects again and again, found nothing
    to free, and took an eighth of the import's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Cases:
    """Creating, changing and deleting cases and their entries."""

    def __init__(
        self,
        session: Session,
        journal: Journal,
        queries: Queries,
        catalog: Catalog,
        tasks: Tasks,
        findings: Findings,
        roster: Roster,
        notebook: Any,
    ) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self.catalog = catalog
        self.tasks = tasks
        self.findings = findings
        self.roster = roster
        self._notebook = notebook

    @property
    def host(self) -> Any:
        return self._notebook.host

    # -- validation --------------------------------------------------------------------------

    def _prepare(self, case_type: str, fields: dict[str, Any]) -> None:
        self.host.call(
            "prepare_fields",
            context=self._notebook.plugin_context,
            case_type=case_type,
            fields=fields,
        )

    def validate_fields(
        self, case_type: str, fields: Any, case_id: str | None = None
    ) -> list[Problem]:
        """Problems with these fields (schema and plugins): for a new case of this type, or
        as the complete fields of case ``case_id`` after an edit."""
        if not isinstance(fields, dict):
            return [Problem("", _("The fields must be a JSON object."), "type")]
        fields = dict(fields)
        existing = self.queries.get_case(case_id) if case_id else None
        self._prepare(case_type, fields)
        return self._problems(self.catalog.case_type(case_type), fields, existing)

    def _problems(
        self,
        case_type: CaseType,
        fields: dict[str, Any],
        existing: Case | None,
        draft: Case | None = None,
        status: str = "received",
    ) -> list[Problem]:
        """:param status: the status of a new case (an existing one keeps its own)."""
        problems = case_type.problems(fields)
        if problems:
            return problems
        draft = draft or self._draft_case(
            existing.id if existing else "",
            case_type.name,
            fields,
            existing.status if existing else status,
            existing,
        )
        problems.extend(self._plugin_problems(draft))
        return problems

    def _plugin_problems(self, draft: Case) -> list[Problem]:
        """The plugins' ``validate_case`` problems; a check that failed is a problem too
        unless the station lets such saves through (``casebook.failed_check``)."""
        failures: list[tuple[str, BaseException]] = []
        problems = [
            problem
            for _plugin, problem in self.host.collect(
                "validate_case",
                Problem,
                failures=failures,
                context=self._notebook.plugin_context,
                case=draft,
            )
        ]
        if failures and self._notebook.setting(FAILED_CHECK) != "allow":
            # Fail closed: a check that could not run did not pass.
            for plugin in dict.fromkeys(plugin for plugin, _error in failures):
                problems.append(
                    Problem(
                        "",
                        _(
                            "The plugin {plugin} could not check this case (its check failed),"
                            " so the save is refused. See 'casebook plugins list'; the station"
                            " setting {setting} decides whether such saves go through."
                        ).format(plugin=plugin, setting=FAILED_CHECK),
                        "check_failed",
                    )
                )
        return problems

    def _draft_case(
        self,
        case_id: str,
        type_name: str,
        fields: dict[str, Any],
        status: str,
        existing: Case | None = None,
        stamp: str | None = None,
    ) -> Case:
        """The case as it will be once saved, for validation and planning.

        :param stamp: its creation and update time (default: now).
        """
        stamp = stamp or format_hlc(
            self.journal.clock.last or clock.wall_ms() << clock.COUNTER_BITS
        )
        officer = self.session.officer
        return Case(
            id=case_id,
            type=type_name,
            status=status,
            title=self.catalog.title_of(type_name, fields),
            fields=dict(fields),
            officer_id=existing.officer_id if existing else officer.get("officer_id", ""),
            unit=existing.unit if existing else officer.get("unit", ""),
            created_at=existing.created_at if existing else stamp,
            updated_at=stamp,
            entries=list(existing.entries) if existing else [],
            attachments=list(existing.attachments) if existing else [],
        )

    def _check_fields(
        self,
        case_type: CaseType,
        fields: dict[str, Any],
        existing: Case | None,
        confirm: bool = False,
        status: str = "received",
    ) -> None:
        """Refuse invalid fields; with ``confirm``, settle the problems that the officer may
        confirm (adding their fields to ``fields``, in place) and validate again."""
        problems = self._problems(case_type, fields, existing, status=status)
        if problems and confirm and all(problem.confirm for problem in problems):
            for problem in problems:
                for name, value in (problem.confirm or {}).items():
                    fields[name] = merge_confirmed(fields.get(name), value)
            problems = self._problems(case_type, fields, existing, status=status)
        if problems:
            raise InvalidInputError(describe(problems), problems)

    # -- cases -------------------------------------------------------------------------------

    def create_case(
        self,
        case_type: str,
        fields: dict[str, Any],
        *,
        status: str = "received",
        confirm: bool = False,
    ) -> Case:
        """Create a case. :raises InvalidInputError: naming the bad field; nothing is written.

        :param confirm: the officer confirms the problems that may be confirmed (a possible
            duplicate): see :class:`~casebook.models.Problem`.
        """
        if not isinstance(fields, dict):
            raise InvalidInputError(_("The fields must be a JSON object."))
        self.check_status(status)
        kind = self.catalog.case_type(case_type)
        fields = json_value(dict(fields), "fields")
        self._prepare(case_type, fields)
        self._check_fields(kind, fields, None, confirm, status)
        case_id = new_id()
        with self.session.transaction(), self.findings.recording(case_id, new=True):
            self.journal.append(
                "case.create",
                case_id,
                {
                    "type": case_type,
                    "fields": fields,
                    "status": status,
                    "unit": self.session.officer.get("unit", ""),
                },
            )
            case = self.queries.get_case(case_id)
            self.tasks.plan(case, new=True)
        return self.tasks.saved(case_id)

    def import_cases(
        self,
        records: Iterable[tuple[str, dict[str, Any]]],
        *,
        progress: ProgressCallback | None = None,
    ) -> list[str]:
        """Create many cases. Every record is validated before anything is written.

        :param records: ``(case_type, fields)`` pairs.
        :param progress: called as ``progress(done, total)``.
        :raises InvalidInputError: naming the record and field; nothing is written.
        """
        with _cycle_collector_paused():
            return self._import_cases(records, progress)

    def _import_cases(
        self, records: Iterable[tuple[str, dict[str, Any]]], progress: ProgressCallback | None
    ) -> list[str]:
        prepared: list[Case] = []
        stamp = format_hlc(clock.wall_ms() << clock.COUNTER_BITS)
        for index, record in enumerate(records):
            try:
                type_name, fields = record
            except (TypeError, ValueError) as error:
                raise InvalidInputError(
                    _("Record {n}: expected (case type, fields)").format(n=index + 1)
                ) from error
            if not isinstance(fields, dict):
                raise InvalidInputError(
                    _("Record {n}: the fields must be a JSON object.").format(n=index + 1)
                )
            kind = self.catalog.case_type(type_name)
            try:
                fields = json_value(fields, "fields")
            except InvalidInputError as error:
                raise InvalidInputError(
                    _("Record {n}: {problems}").format(n=index + 1, problems=error)
                ) from error
            self._prepare(type_name, fields)
            draft = self._draft_case(new_id(), type_name, fields, "received", stamp=stamp)
            problems = self._problems(kind, fields, None, draft)
            if problems:
                raise InvalidInputError(
                    _("Record {n}: {problems}").format(n=index + 1, problems=describe(problems)),
                    problems,
                )
            prepared.append(draft)
        total = len(prepared)
        ids: list[str] = []
        unit = self.session.officer.get("unit", "")
        for start in range(0, total, IMPORT_BATCH):
            batch = prepared[start : start + IMPORT_BATCH]
            with self.session.transaction():
                self.journal.append_many(
                    [
                        (
                            "case.create",
                            draft.id,
                            {
                                "type": draft.type,
                                "fields": draft.fields,
                                "status": "received",
                                "unit": unit,
                            },
                        )
                        for draft in batch
                    ]
                )
                for draft in batch:
                    self.tasks.plan(draft, new=True)
                self.findings.record_new_cases(batch)
            ids.extend(draft.id for draft in batch)
            if progress:
                progress(len(ids), total)
        return ids

    def update_case(self, case_id: str, fields: dict[str, Any], *, confirm: bool = False) -> Case:
        """Set some fields (``None`` clears one). Other fields keep their values.

        :param confirm: as for :meth:`create_case`.
        """
        if not isinstance(fields, dict):
            raise InvalidInputError(_("The fields must be a JSON object."))
        existing = self.queries.get_case(case_id)
        self.refuse_deleted(existing)
        kind = self.catalog.case_type(existing.type)
        merged = dict(existing.fields)
        for name, value in json_value(fields, "fields").items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        self._prepare(existing.type, merged)
        self._check_fields(kind, merged, existing, confirm)
        changed = {
            k: merged.get(k)
            for k in set(merged) | set(existing.fields)
            if merged.get(k) != existing.fields.get(k)
        }
        if not changed:
            return existing
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append("case.set", case_id, {"fields": changed})
            self.tasks.plan(self.queries.get_case(case_id))
        return self.tasks.saved(case_id)

    def record_issued(self, case_id: str, plugin: str, issued: IssuedDocument) -> Case:
        """Record a printed document's consequences on its case, for ``plugin``: its fields
        (validated like any edit) and its entry, in one transaction."""
        existing = self.queries.get_case(case_id)
        self.refuse_deleted(existing)
        kind = self.catalog.case_type(existing.type)
        merged = {**existing.fields, **json_value(dict(issued.fields), "fields")}
        self._prepare(existing.type, merged)
        self._check_fields(kind, merged, existing)
        changed = {k: v for k, v in merged.items() if existing.fields.get(k) != v}
        entry = issued.entry
        if entry is not None:
            check_entry(entry.kind, entry.text, entry.data)
        with self.session.transaction(), self.findings.recording(case_id):
            if changed:
                self.journal.append("case.set", case_id, {"fields": changed})
            if entry is not None:
                self.journal.append(
                    "entry.add",
                    case_id,
                    {
                        "entry_id": new_id(),
                        "kind": entry.kind,
                        "text": entry.text,
                        "data": json_value(entry.data or {}, "data"),
                        "plugin": plugin,
                    },
                )
            self.tasks.plan(self.queries.get_case(case_id))
        return self.tasks.saved(case_id)

    def set_status(self, case_id: str, status: str, reason: str | None = None) -> Case:
        """Move a case in its lifecycle (接报 → 受案 → 立案 → 处置 → 办结...)."""
        self.check_status(status)
        existing = self.queries.get_case(case_id)
        self.refuse_deleted(existing)
        if reason is not None and not isinstance(reason, str):
            raise InvalidInputError(_("reason: must be text"))
        if status != existing.status:
            # A plugin may require something of a status (an outcome before closing).
            draft = self._draft_case(
                existing.id, existing.type, dict(existing.fields), status, existing
            )
            problems = self._plugin_problems(draft)
            if problems:
                raise InvalidInputError(describe(problems), problems)
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append("case.status", case_id, {"status": status, "reason": reason or ""})
            self.tasks.plan(self.queries.get_case(case_id))
        return self.tasks.saved(case_id)

    def assign_case(self, case_id: str, officer_id: str, note: str | None = None) -> Case:
        """Hand a case over to another officer of the station (谁接报谁负责, then the duty
        leader reassigns). Recorded as a ``case.assign`` op with the previous officer and the
        note; the case's timeline shows it as a handover entry.

        :raises InvalidInputError: an officer not in the station roster (whose laptop has not
            synced yet), the officer already responsible, a deleted case, a note not text.
        """
        existing = self.queries.get_case(case_id)
        self.refuse_deleted(existing)
        officer_id = check_handover(officer_id, note)
        if officer_id not in self.roster.officer_names():
            raise InvalidInputError(
                _(
                    "officer: {officer} is not in the station roster; an officer joins it when"
                    " the officer's laptop has synced once"
                ).format(officer=officer_id)
            )
        previous = existing.responsible_officer_id
        if officer_id == previous:
            raise InvalidInputError(
                _("officer: {name} is already responsible for this case").format(
                    name=self.roster.officer_name(officer_id)
                )
            )
        with self.session.transaction():
            self.journal.append(
                "case.assign",
                case_id,
                {"officer_id": officer_id, "previous_officer_id": previous, "note": note or ""},
            )
            self.tasks.plan(self.queries.get_case(case_id))
        return self.tasks.saved(case_id)

    def check_status(self, status: str) -> None:
        if status not in STATUSES:
            labels = Glossary([core_vocabulary()]).enum_labels("status")
            separator = "、" if language().startswith("zh") else ", "
            message = _("status: must be one of {choices}").format(
                choices=separator.join(labels.get(code, code) for code in STATUSES)
            )
            raise InvalidInputError(
                message, [Problem("status", message, "enum", allowed=list(STATUSES))]
            )

    def refuse_deleted(self, case: Case) -> None:
        if case.deleted:
            raise InvalidInputError(_("Case {id} was deleted.").format(id=case.id))

    def delete_case(self, case_id: str) -> None:
        """Tombstone a case. Its ops stay in the log; an edit made concurrently elsewhere revives it."""
        self.refuse_deleted(self.queries.get_case(case_id))
        with self.session.transaction():
            self.journal.append("case.delete", case_id, {})

    def add_entry(
        self,
        case_id: str,
        kind: str,
        text: str,
        data: dict[str, Any] | None = None,
        *,
        plugin: str | None = None,
    ) -> Entry:
        """Add a note, action, ledger line... to a case's timeline."""
        check_entry(kind, text, data)
        case = self.queries.get_case(case_id)
        self.refuse_deleted(case)
        entry_id = new_id()
        payload = {
            "entry_id": entry_id,
            "kind": kind,
            "text": text,
            "data": json_value(data or {}, "data"),
        }
        if plugin:
            payload["plugin"] = plugin
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append("entry.add", case_id, payload)
            self.tasks.plan(self.queries.get_case(case_id))
        saved = self.tasks.saved(case_id)
        return next(e for e in saved.entries if e.id == entry_id)

    def edit_entry(
        self, case_id: str, entry_id: str, text: str, data: dict[str, Any] | None = None
    ) -> Entry:
        """Add a new version of an entry; earlier versions stay in the log."""
        entry = self._find_entry(case_id, entry_id)
        check_entry(entry.kind, text, data)
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append(
                "entry.edit",
                case_id,
                {
                    "entry_id": entry_id,
                    "text": text,
                    "data": json_value(data if data is not None else entry.data, "data"),
                },
            )
        return self._find_entry(self.tasks.saved(case_id).id, entry_id)

    def delete_entry(self, case_id: str, entry_id: str) -> None:
        """Tombstone an entry (it stays in the log)."""
        self._find_entry(case_id, entry_id)
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append("entry.delete", case_id, {"entry_id": entry_id})
        self.tasks.saved(case_id)

    def _find_entry(self, case_id: str, entry_id: str) -> Entry:
        for entry in self.queries.get_case(case_id).entries:
            if entry.id == entry_id:
                return entry
        raise NotFoundError(_("No entry {id} in case {case}.").format(id=entry_id, case=case_id))

    def resolve_conflict(self, case_id: str, field: str, value: Any) -> Case:
        """Settle a field to ``value``; recorded as a ``case.resolve`` op that saw every value."""
        case = self.queries.get_case(case_id)
        if not any(c.field == field for c in case.conflicts):
            raise InvalidInputError(_("{field}: no open conflict on this case").format(field=field))
        value = json_value(value, field)
        if field == "status":
            self.check_status(value)
        else:
            merged = dict(case.fields)
            if value is None:
                merged.pop(field, None)
            else:
                merged[field] = value
            self._check_fields(self.catalog.case_type(case.type), merged, case)
        with self.session.transaction(), self.findings.recording(case_id):
            self.journal.append("case.resolve", case_id, {"field": field, "value": value})
            self.tasks.plan(self.queries.get_case(case_id))
        return self.tasks.saved(case_id)


def check_handover(officer_id: Any, note: Any) -> str:
    """The shape of a handover (``case.assign``), alike for a local one and one received from
    another laptop: an officer id and a note that can be the handover entry's text. Whether
    the officer is in the roster is asked of local handovers only (a received one may name an
    officer whose profile has not arrived yet). Returns the officer id, stripped.

    :raises InvalidInputError:
    """
    if not isinstance(officer_id, str) or not officer_id.strip() or len(officer_id) > 200:
        raise InvalidInputError(_("officer: this field is required"))
    if note is not None and not isinstance(note, str):
        raise InvalidInputError(_("note: must be text"))
    check_entry("note", note or "", None)
    return officer_id.strip()


def merge_confirmed(current: Any, value: Any) -> Any:
    """A confirmed value added to a field: lists are merged, anything else replaced."""
    if isinstance(current, list) and isinstance(value, list):
        return current + [item for item in value if item not in current]
    return value
