"""Tasks: what plugins plan for each case (回访, deadlines...), and completing them.

After every write the writer asks the plugins for the case's tasks (:meth:`Tasks.plan`); a
plugin's plan is recorded as a ``task.plan`` op when it changed. Completing a task records its
outcome as an entry on the case (``task.done``).
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

from casebook import clock
from casebook.casetypes import FORMATS, describe
from casebook.errors import InvalidInputError, NotFoundError, PluginError
from casebook.i18n import _
from casebook.journal import Journal
from casebook.models import Case, Entry, EntrySpec, OutcomeSchema, Problem, Task, TaskSpec
from casebook.oplog import canonical_json, json_value, new_id, stable_id
from casebook.queries import Queries
from casebook.session import Session

ENTRY_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
#: entry kinds only the core writes (status changes, handovers): nobody can add one by hand.
CORE_ENTRY_KINDS = ("status", "handover")


def check_entry(kind: Any, text: Any, data: Any) -> None:
    """Refuse an entry's kind, text or data that cannot be recorded (officers' and plugins')."""
    if not isinstance(kind, str) or not ENTRY_KIND.match(kind) or kind in CORE_ENTRY_KINDS:
        raise InvalidInputError(
            _("kind: must be a short lowercase name such as note, action or ledger")
        )
    if not isinstance(text, str):
        raise InvalidInputError(_("text: must be text"))
    if len(text) > 100_000:
        raise InvalidInputError(
            _("text: too long (at most {limit} characters)").format(limit=100_000)
        )
    if data is not None and not isinstance(data, dict):
        raise InvalidInputError(_("data: must be a JSON object"))


class _UnknownOutcomeSchema(PluginError):
    """A task names an outcome schema no enabled plugin registered."""


@functools.lru_cache(maxsize=256)
def _check_outcome_schema(schema_text: str) -> None:
    """Check a task's outcome schema once: plugins give the same few schemas to thousands of
    tasks, and checking one against the metaschema takes milliseconds.

    :raises jsonschema.SchemaError: (not cached: a bad schema is checked again, and refused again).
    """
    Draft202012Validator.check_schema(json.loads(schema_text))


class Tasks:
    """Task planning, the task list and task completion."""

    def __init__(self, session: Session, journal: Journal, queries: Queries, notebook: Any) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self._notebook = notebook
        self._outcome_schemas: dict[str, OutcomeSchema] | None = None

    @property
    def host(self) -> Any:
        return self._notebook.host

    def saved(self, case_id: str) -> Case:
        """The case as written, after telling the plugins it was saved (``case_saved``)."""
        case = self.queries.get_case(case_id)
        self.host.call("case_saved", context=self._notebook.plugin_context, case=case)
        return case

    def plan(self, case: Case, *, new: bool = False) -> None:
        """Ask the plugins for the case's tasks and record each plugin's plan when it changed.

        :param new: the case was created in this transaction, so it has no plan yet.
        """
        by_plugin: dict[str, list[dict[str, Any]]] = {}
        for plugin, result in self.host.call(
            "schedule_tasks", context=self._notebook.plugin_context, case=case
        ):
            tasks = by_plugin.setdefault(plugin, [])
            for spec in result or []:
                try:
                    tasks.append(self._task_record(case.id, plugin, spec))
                except _UnknownOutcomeSchema as error:
                    # Another plugin's schema is missing (disabled?): keep the earlier plan
                    # rather than cancel the task or record it with a weaker schema.
                    self.host.report_error(plugin, "schedule_tasks", error)
                    del by_plugin[plugin]
                    break
                except Exception as error:  # a bad TaskSpec is that plugin's error, not the save's
                    self.host.report_error(plugin, "schedule_tasks", error)
        # A plugin that raised is absent from by_plugin: its earlier plan stays as it was.
        existing = (
            {}
            if new
            else {
                r[0]: r[1]
                for r in self.session.conn.execute(
                    "SELECT plugin, tasks FROM task_plans WHERE case_id = ? ORDER BY hlc, device_id",
                    (case.id,),
                )
            }
        )
        for plugin in sorted(by_plugin):
            tasks = sorted(by_plugin[plugin], key=lambda t: t["task_id"])
            if not tasks and plugin not in existing:
                continue
            if canonical_json(tasks) != existing.get(plugin):
                self.journal.append(
                    "task.plan",
                    case.id,
                    {
                        "plugin": plugin,
                        "plugin_version": self.host.version_of(plugin),
                        "tasks": tasks,
                    },
                )

    def _task_record(self, case_id: str, plugin: str, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"returned a {type(spec).__name__}, expected TaskSpec")
        due = clock.parse_datetime(spec.due_at)
        if due is None:
            raise ValueError("a task needs due_at")
        outcome_schema = spec.outcome_schema
        if isinstance(outcome_schema, str):
            outcome_schema = self._named_outcome_schema(outcome_schema)
        elif outcome_schema is not None:
            _check_outcome_schema(canonical_json(outcome_schema))
        return {
            "task_id": stable_id(case_id, plugin, str(spec.key)),
            "key": str(spec.key),
            "kind": str(spec.kind),
            "title": str(spec.title or spec.kind),
            "due_at": clock.format_datetime(due),
            "due_ts": int(due.timestamp()),
            "data": json_value(spec.data or {}, "data"),
            "outcome_schema": outcome_schema,
        }

    def outcome_schemas(self) -> dict[str, OutcomeSchema]:
        """The named outcome schemas the plugins registered, by name."""
        if self._outcome_schemas is None:
            schemas: dict[str, OutcomeSchema] = {}
            for plugin, item in self.host.collect(
                "register_outcome_schemas", OutcomeSchema, context=self._notebook.plugin_context
            ):
                if not self.host.check_schema_name(plugin, item.name):
                    continue
                try:
                    _check_outcome_schema(canonical_json(item.schema))
                except Exception as error:
                    self.host.report_error(plugin, "register_outcome_schemas", error)
                    continue
                item.plugin = plugin
                schemas[item.name] = item
            self._outcome_schemas = schemas
        return dict(self._outcome_schemas)

    def forget_outcome_schemas(self) -> None:
        """The set of plugins changed: ask them again."""
        self._outcome_schemas = None

    def _named_outcome_schema(self, name: str) -> dict[str, Any]:
        found = self.outcome_schemas().get(name)
        if found is None:
            raise _UnknownOutcomeSchema(
                _("No outcome schema {name}: is the plugin that registers it enabled?").format(
                    name=name
                )
            )
        return found.schema

    def _task_window(self, at: Any) -> tuple[datetime, int]:
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        end_of_day = moment.replace(hour=23, minute=59, second=59, microsecond=0)
        return moment, int(end_of_day.timestamp())

    def tasks(
        self,
        at: Any = None,
        *,
        include_upcoming: bool = False,
        case_id: str | None = None,
        case_type: str | None = None,
        responsible_officer_id: str | None = None,
        limit: int | None = None,
    ) -> list[Task]:
        """Pending tasks due by the end of ``at``'s day (default: now), most overdue first.

        :param case_id: only this case's tasks.
        :param case_type: only the tasks of cases of this type.
        :param responsible_officer_id: only the tasks of cases this officer is responsible for.
        :param limit: at most this many (the most urgent); :meth:`task_counts` counts them all.
        """
        moment, end_of_day = self._task_window(at)
        where, params = ["t.status = 'pending'", "c.deleted = 0"], []
        if not include_upcoming:
            where.append("t.due_ts <= ?")
            params.append(end_of_day)
        if case_id:
            where.append("t.case_id = ?")
            params.append(case_id)
        if case_type:
            where.append("c.type = ?")
            params.append(case_type)
        if responsible_officer_id:
            where.append("c.responsible = ?")
            params.append(responsible_officer_id)
        sql = (
            "SELECT t.task_id, t.case_id, t.kind, t.title, t.due_at, t.due_ts, t.plugin, t.data, t.outcome_schema,"
            f" c.title, t.key, c.responsible FROM tasks t JOIN cases c ON c.case_id = t.case_id WHERE {' AND '.join(where)}"
            " ORDER BY t.due_ts, t.task_id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        now_ts = int(moment.timestamp())
        result = []
        for r in self.session.query(sql, params):
            state = "overdue" if r[5] < now_ts else ("due" if r[5] <= end_of_day else "upcoming")
            result.append(
                Task(
                    id=r[0],
                    case_id=r[1],
                    kind=r[2],
                    title=r[3],
                    due_at=r[4],
                    status=state,
                    plugin=r[6],
                    data=json.loads(r[7]),
                    overdue_seconds=max(0, now_ts - r[5]),
                    case_title=r[9],
                    outcome_schema=json.loads(r[8]) if r[8] else None,
                    key=r[10],
                    responsible_officer_id=r[11],
                )
            )
        return result

    def task_counts(self, at: Any = None) -> dict[str, int]:
        """How many pending tasks are overdue and due (later today) as of ``at``."""
        moment, end_of_day = self._task_window(at)
        now_ts = int(moment.timestamp())
        row = self.session.query(
            "SELECT sum(t.due_ts < ?), sum(t.due_ts >= ?) FROM tasks t JOIN cases c ON c.case_id = t.case_id"
            " WHERE t.status = 'pending' AND c.deleted = 0 AND t.due_ts <= ?",
            (now_ts, now_ts, end_of_day),
        )[0]
        return {"overdue": row[0] or 0, "due": row[1] or 0}

    def get_task(self, task_id: str) -> Task:
        rows = self.session.query(
            "SELECT t.task_id, t.case_id, t.kind, t.title, t.due_at, t.status, t.plugin, t.data,"
            " t.outcome_schema, t.key, c.responsible, c.title"
            " FROM tasks t LEFT JOIN cases c ON c.case_id = t.case_id WHERE t.task_id = ?",
            (str(task_id),),
        )
        if not rows:
            raise NotFoundError(_("No task {id}.").format(id=task_id))
        r = rows[0]
        return Task(
            id=r[0],
            case_id=r[1],
            kind=r[2],
            title=r[3],
            due_at=r[4],
            status=r[5],
            plugin=r[6],
            data=json.loads(r[7]),
            outcome_schema=json.loads(r[8]) if r[8] else None,
            key=r[9],
            responsible_officer_id=r[10] or "",
            case_title=r[11] or "",
        )

    def complete_task(self, task_id: str, outcome: dict[str, Any]) -> Entry:
        """Mark a task done and record its outcome as an entry on the case.

        :raises InvalidInputError: the task is not pending, or the outcome breaks its schema.
        """
        task = self.get_task(task_id)
        if task.status != "pending":
            raise InvalidInputError(
                _("Task {id} is {status}, not pending.").format(id=task_id, status=task.status)
            )
        if not isinstance(outcome, dict):
            raise InvalidInputError(_("The outcome must be a JSON object."))
        outcome = json_value(outcome, "outcome")
        if task.outcome_schema:
            errors = Draft202012Validator(task.outcome_schema, format_checker=FORMATS).iter_errors(
                outcome
            )
            problems = [self._outcome_problem(e) for e in errors]
            if problems:
                raise InvalidInputError(describe(problems), problems)
        comment = outcome.get("comment") if isinstance(outcome.get("comment"), str) else ""
        entry_id = new_id()
        with self.session.transaction():
            self.journal.append(
                "task.done",
                task.case_id,
                {
                    "task_id": task_id,
                    "outcome": outcome,
                    "entry": {
                        "entry_id": entry_id,
                        "kind": task.kind,
                        "text": comment,
                        "data": {
                            **outcome,
                            "task_id": task_id,
                            "task_title": task.title,
                            "task_key": task.key,
                            "due_at": task.due_at,
                        },
                        "plugin": task.plugin,
                    },
                },
            )
            # What the plugins add after a task is returned and recorded here, in the same
            # transaction; their follow-up tasks come from the plan that follows.
            done = self.get_task(task_id)
            self._record_plugin_entries(
                task.case_id,
                self.host.call(
                    "task_completed",
                    context=self._notebook.plugin_context,
                    task=done,
                    outcome=dict(outcome),
                ),
            )
            self.plan(self.queries.get_case(task.case_id))
        case = self.saved(task.case_id)
        return next(e for e in case.entries if e.id == entry_id)

    def _record_plugin_entries(self, case_id: str, results: list[tuple[str, Any]]) -> None:
        """Record the entries plugins returned, each naming its plugin and version."""
        for plugin, result in results:
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                self.host.report_error(
                    plugin, "task_completed", TypeError("returned a non-list, expected EntrySpecs")
                )
                continue
            for spec in result:
                try:
                    if not isinstance(spec, EntrySpec):
                        raise TypeError(f"returned a {type(spec).__name__}, expected EntrySpec")
                    check_entry(spec.kind, spec.text, spec.data)
                    data = json_value(spec.data or {}, "data")
                except (TypeError, InvalidInputError) as error:
                    self.host.report_error(plugin, "task_completed", error)
                    continue
                self.journal.append(
                    "entry.add",
                    case_id,
                    {
                        "entry_id": new_id(),
                        "kind": spec.kind,
                        "text": spec.text,
                        "data": data,
                        "plugin": plugin,
                        "plugin_version": self.host.version_of(plugin),
                    },
                )

    @staticmethod
    def _outcome_problem(error: Any) -> Problem:
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in (error.instance or {})]
            field = missing[0] if missing else field
            return Problem(
                field, _("{field}: this field is required").format(field=field), "required"
            )
        return Problem(field, f"{field or 'outcome'}: {error.message}", str(error.validator))
