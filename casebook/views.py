"""The views: apply ops to the ``cases``, ``entries``, ``tasks``... tables.

The merge rules give the same state whatever order ops arrive in, as long as every op
arrives after the ops it saw (the notebook holds back ops whose ``deps`` are missing), so a
rebuild from the log equals incremental application:

- a field is a multi-value register: a write removes the values its writer had seen
  (:func:`casebook.oplog.covers`); values written concurrently are all kept; the displayed
  winner is the highest (hlc, device_id). Status is a register too (``$status``);
- entries are add-only: an edit adds a version, the displayed one being the highest
  (hlc, device_id); a delete is a tombstone that only hides what it saw;
- an edit concurrent with a status change or a tombstone survives and is flagged;
- task plans are registers per (case, plugin); a task once planned keeps its row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from casebook import search
from casebook.oplog import Op, canonical_json, covers

STATUS = "$status"
EDIT_KINDS = (
    "case.set",
    "case.resolve",
    "entry.add",
    "entry.edit",
    "entry.delete",
    "attachment.add",
    "task.done",
    "case.assign",
)
CLOSING_KINDS = ("case.status", "case.delete")
USER_CONTENT_KINDS = (
    "case.create",
    "case.set",
    "case.resolve",
    "case.status",
    "entry.add",
    "entry.edit",
    "entry.delete",
    "attachment.add",
    "task.done",
    "case.assign",
)

TitleFunction = Callable[[str, dict[str, Any]], str]
SearchableTextFunction = Callable[[str, dict[str, Any], list[str]], str]


def winners(registers: dict[str, list]) -> dict[str, Any]:
    """The displayed value of each field (None values are cleared fields)."""
    fields = {}
    for name, values in registers.items():
        if name != STATUS and values and values[-1][3] is not None:
            fields[name] = values[-1][3]
    return fields


def dump_registers(registers: dict[str, list]) -> str:
    """The stored form of a case's registers: each writing op once, values pointing to it.

    In memory a value is ``[device_id, seq, hlc, value, officer_id]``. Stored that way, the
    device id and clock of the op that wrote a case would be repeated for every field; stored
    as ``[[[hlc, device_id, seq, officer_id], ...], {field: [[writer, value], ...]}]`` they
    appear once. Writers are sorted, so equal registers always give equal text.
    """
    writers = sorted({(v[2], v[0], v[1], v[4]) for values in registers.values() for v in values})
    index = {writer: i for i, writer in enumerate(writers)}
    values = {
        name: [[index[v[2], v[0], v[1], v[4]], v[3]] for v in kept]
        for name, kept in registers.items()
    }
    return canonical_json([writers, values])


def load_registers(text: str) -> dict[str, list]:
    """The in-memory form of :func:`dump_registers`' text."""
    writers, values = json.loads(text)
    registers = {}
    for name, kept in values.items():
        registers[name] = [
            [writers[i][1], writers[i][2], writers[i][0], value, writers[i][3]] for i, value in kept
        ]
    return registers


def write_register(registers: dict[str, list], name: str, op: Op, value: Any) -> None:
    kept = [v for v in registers.get(name, []) if not covers(op, v[0], v[1])]
    kept.append([op["device_id"], op["seq"], op["hlc"], value, op["officer_id"]])
    kept.sort(key=lambda v: (v[2], v[0]))
    registers[name] = kept


class Views:
    """Applies ops to the view tables of one connection."""

    def __init__(
        self, conn: Any, title_of: TitleFunction, searchable_text: SearchableTextFunction
    ) -> None:
        """:param title_of: a case's title from its type and fields.
        :param searchable_text: the text indexed for a case, from its type, fields and notes.
        """
        self.conn = conn
        self.title_of = title_of
        self.searchable_text = searchable_text

    # -- dispatch ------------------------------------------------------------------------

    def apply_many(self, ops: list[Op]) -> None:
        """Apply ops in order. Runs of ``case.create`` are written a run at a time."""
        creates: list[Op] = []
        for op in ops:
            if op["kind"] == "case.create":
                creates.append(op)
                continue
            if creates:
                self._create_cases(creates)
                creates = []
            self.apply(op)
        if creates:
            self._create_cases(creates)

    def apply(self, op: Op) -> None:
        if op["kind"] == "case.create":
            self._create_cases([op])
            return
        handler = getattr(self, "_" + op["kind"].replace(".", "_"))
        handler(op, op["payload"])
        if op["case_id"] and op["kind"] in EDIT_KINDS + CLOSING_KINDS:
            self._check_races(op)

    # -- station-level ops -----------------------------------------------------------------

    def _officer_profile(self, op: Op, p: dict) -> None:
        row = self.conn.execute(
            "SELECT hlc, device_id FROM officers WHERE officer_id = ?", (p["officer_id"],)
        ).fetchone()
        if row is None or (op["hlc"], op["device_id"]) > (row[0], row[1]):
            self.conn.execute(
                "INSERT OR REPLACE INTO officers VALUES (?, ?, ?, ?, ?)",
                (p["officer_id"], p["name"], p["unit"], op["hlc"], op["device_id"]),
            )

    def _config_set(self, op: Op, p: dict) -> None:
        row = self.conn.execute(
            "SELECT hlc, device_id FROM config WHERE key = ?", (p["key"],)
        ).fetchone()
        if row is None or (op["hlc"], op["device_id"]) > (row[0], row[1]):
            self.conn.execute(
                "INSERT OR REPLACE INTO config VALUES (?, ?, ?, ?, ?)",
                (
                    p["key"],
                    canonical_json(p["value"]),
                    op["hlc"],
                    op["device_id"],
                    op["officer_id"],
                ),
            )

    # -- cases -----------------------------------------------------------------------------

    def _create_cases(self, ops: list[Op]) -> None:
        """New cases: one row each in ``cases`` and in the search index, one statement per table."""
        next_rid = self.conn.execute("SELECT coalesce(max(rid), 0) + 1 FROM cases").fetchone()[0]
        case_rows, index_rows = self.creation_rows(ops, next_rid)
        self.conn.executemany(
            "INSERT INTO cases (rid, case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc,"
            " registers, responsible) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        search.add_rows(self.conn, index_rows)

    def creation_rows(self, ops: list[Op], first_rid: int) -> tuple[list[tuple], list[tuple]]:
        """The ``cases`` and search index rows of new cases, numbered from ``first_rid``.

        The row ids are given explicitly, so a whole run is written with one statement per table.
        """
        case_rows, index_rows = [], []
        for rid, op in enumerate(ops, first_rid):
            p = op["payload"]
            # Every register holds the one value this op wrote: the stored form of
            # :func:`dump_registers`, built directly.
            values = {name: [[0, value]] for name, value in p["fields"].items()}
            values[STATUS] = [[0, p["status"]]]
            registers = canonical_json(
                [[[op["hlc"], op["device_id"], op["seq"], op["officer_id"]]], values]
            )
            fields = {
                name: value
                for name, value in p["fields"].items()
                if value is not None and name != STATUS
            }
            title = self.title_of(p["type"], fields)
            case_rows.append(
                (
                    rid,
                    op["case_id"],
                    p["type"],
                    p["status"],
                    title,
                    op["officer_id"],
                    p.get("unit", ""),
                    op["hlc"],
                    op["hlc"],
                    registers,
                    op["officer_id"],  # the creator is responsible until a handover
                )
            )
            index_rows.append(
                search.index_row(rid, title, self.searchable_text(p["type"], fields, []))
            )
        return case_rows, index_rows

    def _case_set(self, op: Op, p: dict) -> None:
        case = self._load(op["case_id"])
        for name, value in p["fields"].items():
            write_register(case["registers"], name, op, value)
        self._save(case, op, reindex=True)

    def _case_resolve(self, op: Op, p: dict) -> None:
        case = self._load(op["case_id"])
        name = STATUS if p["field"] == "status" else p["field"]
        write_register(case["registers"], name, op, p["value"])
        self._save(case, op, reindex=True)

    def _case_status(self, op: Op, p: dict) -> None:
        case = self._load(op["case_id"])
        write_register(case["registers"], STATUS, op, p["status"])
        self._add_entry(
            op, op["op_id"], "status", p.get("reason") or "", {"status": p["status"]}, None
        )
        self._save(case, op, reindex=False)

    def _case_assign(self, op: Op, p: dict) -> None:
        """A handover: the responsible officer is the one named by the latest assignment
        (highest hlc, then device), whatever order the assignments arrive in."""
        latest = self.conn.execute(
            "SELECT body FROM ops WHERE case_id = ? AND kind = 'case.assign'"
            " ORDER BY hlc DESC, device_id DESC LIMIT 1",
            (op["case_id"],),
        ).fetchone()
        responsible = json.loads(latest[0])["payload"]["officer_id"] if latest else p["officer_id"]
        self.conn.execute(
            "UPDATE cases SET responsible = ? WHERE case_id = ?", (responsible, op["case_id"])
        )
        self._add_entry(
            op,
            op["op_id"],
            "handover",
            p.get("note") or "",
            {"from": p.get("previous_officer_id", ""), "to": p["officer_id"]},
            None,
        )
        self._touch(op, reindex=False)

    def _case_delete(self, op: Op, p: dict) -> None:
        case = self._load(op["case_id"])
        self._save(case, op, reindex=False)

    # -- entries, attachments --------------------------------------------------------------

    def _entry_add(self, op: Op, p: dict) -> None:
        self._add_entry(
            op, p["entry_id"], p["kind"], p["text"], p.get("data") or {}, p.get("plugin")
        )
        self._touch(op, reindex=True)

    def _add_entry(
        self, op: Op, entry_id: str, kind: str, text: str, data: dict, plugin: str | None
    ) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO entries (entry_id, case_id, kind, text, data, author, created_hlc,"
            " head_hlc, head_device, version, deleted, flagged, plugin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, 0, ?)",
            (
                entry_id,
                op["case_id"],
                kind,
                text,
                canonical_json(data),
                op["officer_id"],
                op["hlc"],
                op["hlc"],
                op["device_id"],
                plugin,
            ),
        )

    def _entry_edit(self, op: Op, p: dict) -> None:
        row = self.conn.execute(
            "SELECT head_hlc, head_device FROM entries WHERE entry_id = ?", (p["entry_id"],)
        ).fetchone()
        if row is None:
            return
        if (op["hlc"], op["device_id"]) > (row[0], row[1]):
            self.conn.execute(
                "UPDATE entries SET text = ?, data = ?, head_hlc = ?, head_device = ?,"
                " version = version + 1 WHERE entry_id = ?",
                (
                    p["text"],
                    canonical_json(p.get("data") or {}),
                    op["hlc"],
                    op["device_id"],
                    p["entry_id"],
                ),
            )
        else:
            self.conn.execute(
                "UPDATE entries SET version = version + 1 WHERE entry_id = ?", (p["entry_id"],)
            )
        self._settle_entry(op["case_id"], p["entry_id"])
        self._touch(op, reindex=True)

    def _entry_delete(self, op: Op, p: dict) -> None:
        self._settle_entry(op["case_id"], p["entry_id"])
        self._touch(op, reindex=True)

    def _settle_entry(self, case_id: str, entry_id: str) -> None:
        """Deleted iff a tombstone saw every version; an edit it did not see is flagged."""
        versions, tombstones = [], []
        for body in self._case_op_bodies(
            case_id, ("entry.add", "entry.edit", "entry.delete", "task.done")
        ):
            op = json.loads(body)
            target = op["payload"].get("entry_id") or (op["payload"].get("entry") or {}).get(
                "entry_id"
            )
            if target != entry_id:
                continue
            (tombstones if op["kind"] == "entry.delete" else versions).append(op)
        if not tombstones:
            return
        deleted = any(
            all(covers(t, v["device_id"], v["seq"]) for v in versions) for t in tombstones
        )
        flagged = any(
            not covers(t, v["device_id"], v["seq"]) and not covers(v, t["device_id"], t["seq"])
            for t in tombstones
            for v in versions
        )
        self.conn.execute(
            "UPDATE entries SET deleted = ?, flagged = ? WHERE entry_id = ?",
            (int(deleted), int(flagged), entry_id),
        )

    def _attachment_add(self, op: Op, p: dict) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO attachments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                p["attachment_id"],
                op["case_id"],
                p["name"],
                p["size"],
                p["media_type"],
                p["sha256"],
                p["file_key"],
                op["hlc"],
                op["officer_id"],
            ),
        )
        self._touch(op, reindex=False)

    # -- tasks, review ---------------------------------------------------------------------

    def _task_plan(self, op: Op, p: dict) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO task_plans VALUES (?, ?, ?, ?, ?)",
            (op["case_id"], p["plugin"], op["hlc"], op["device_id"], canonical_json(p["tasks"])),
        )
        rows = self.conn.execute(
            "SELECT body FROM ops WHERE case_id = ? AND kind = 'task.plan'", (op["case_id"],)
        ).fetchall()
        plans = [json.loads(r[0]) for r in rows]
        plans.append(op)
        plans = sorted(
            {
                (o["hlc"], o["device_id"]): o
                for o in plans
                if o["payload"]["plugin"] == p["plugin"]
            }.items()
        )
        latest: dict[str, dict] = {}
        for _, plan in plans:
            for task in plan["payload"]["tasks"]:
                latest[task["task_id"]] = task
        current = {t["task_id"] for t in plans[-1][1]["payload"]["tasks"]}
        for task_id, task in latest.items():
            row = self.conn.execute(
                "SELECT status FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
            status = (
                "done"
                if row and row[0] == "done"
                else ("pending" if task_id in current else "cancelled")
            )
            self.conn.execute(
                "INSERT INTO tasks (task_id, case_id, plugin, kind, title, due_at, due_ts, data, outcome_schema, status,"
                " key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id) DO UPDATE SET kind = excluded.kind,"
                " title = excluded.title, due_at = excluded.due_at, due_ts = excluded.due_ts, data = excluded.data,"
                " outcome_schema = excluded.outcome_schema, status = excluded.status",
                (
                    task_id,
                    op["case_id"],
                    p["plugin"],
                    task["kind"],
                    task["title"],
                    task["due_at"],
                    task["due_ts"],
                    canonical_json(task.get("data") or {}),
                    canonical_json(task.get("outcome_schema")),
                    status,
                    task.get("key", ""),
                ),
            )

    def _task_done(self, op: Op, p: dict) -> None:
        self.conn.execute(
            "UPDATE tasks SET status = 'done', done_hlc = ?, outcome = ? WHERE task_id = ?",
            (op["hlc"], canonical_json(p["outcome"]), p["task_id"]),
        )
        entry = p["entry"]
        self._add_entry(
            op,
            entry["entry_id"],
            entry["kind"],
            entry["text"],
            entry.get("data") or {},
            entry.get("plugin"),
        )
        self._touch(op, reindex=True)

    def _review_record(self, op: Op, p: dict) -> None:
        row = self.conn.execute(
            "SELECT hlc, device_id FROM reviews WHERE case_id = ?", (op["case_id"],)
        ).fetchone()
        if row is None or (op["hlc"], op["device_id"]) > (row[0], row[1]):
            self.conn.execute(
                "INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?)",
                (op["case_id"], op["hlc"], op["device_id"], canonical_json(p)),
            )

    def _finding_rectify(self, op: Op, p: dict) -> None:
        row = self.conn.execute(
            "SELECT hlc FROM rectifications WHERE finding_id = ?", (p["finding_id"],)
        ).fetchone()
        if row is None or op["hlc"] > row[0]:
            self.conn.execute(
                "INSERT OR REPLACE INTO rectifications VALUES (?, ?, ?, ?, ?)",
                (p["finding_id"], op["case_id"], p["note"], op["officer_id"], op["hlc"]),
            )

    # -- shared ----------------------------------------------------------------------------

    def _load(self, case_id: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT rid, type, registers, flags, updated_hlc FROM cases WHERE case_id = ?",
            (case_id,),
        ).fetchone()
        if row is None:
            raise LookupError(case_id)
        return {
            "rid": row[0],
            "case_id": case_id,
            "type": row[1],
            "registers": load_registers(row[2]),
            "flags": json.loads(row[3]),
            "updated_hlc": row[4],
        }

    def _save(self, case: dict[str, Any], op: Op, reindex: bool) -> None:
        registers = case["registers"]
        fields = winners(registers)
        status_values = registers.get(STATUS) or [[None, 0, 0, "received"]]
        conflicts = sum(1 for values in registers.values() if len(values) > 1)
        deleted = self._is_deleted(case["case_id"])
        title = self.title_of(case["type"], fields)
        self.conn.execute(
            "UPDATE cases SET status = ?, title = ?, registers = ?, conflicts = ?, deleted = ?,"
            " updated_hlc = max(updated_hlc, ?) WHERE rid = ?",
            (
                status_values[-1][3],
                title,
                dump_registers(registers),
                conflicts,
                int(deleted),
                op["hlc"],
                case["rid"],
            ),
        )
        if deleted:
            search.unindex_case(self.conn, case["rid"])
        elif reindex or op["kind"] == "case.delete":
            self.reindex(case["rid"], case["case_id"], case["type"], title, fields)

    def _touch(self, op: Op, reindex: bool) -> None:
        case = self._load(op["case_id"])
        self._save(case, op, reindex)

    def reindex(
        self, rid: int, case_id: str, case_type: str, title: str, fields: dict[str, Any]
    ) -> None:
        texts = [
            r[0]
            for r in self.conn.execute(
                "SELECT text FROM entries WHERE case_id = ? AND deleted = 0", (case_id,)
            ).fetchall()
        ]
        search.index_case(self.conn, rid, title, self.searchable_text(case_type, fields, texts))

    def _case_op_bodies(self, case_id: str, kinds: tuple[str, ...]) -> list[str]:
        marks = ",".join("?" * len(kinds))
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT body FROM ops WHERE case_id = ? AND kind IN ({marks})", (case_id, *kinds)
            ).fetchall()
        ]

    def _is_deleted(self, case_id: str) -> bool:
        tombstones = [json.loads(b) for b in self._case_op_bodies(case_id, ("case.delete",))]
        if not tombstones:
            return False
        # Plugin results (task plans, reviews) never revive a deleted case; people's edits do.
        marks = ",".join("?" * len(USER_CONTENT_KINDS))
        others = self.conn.execute(
            f"SELECT device_id, seq FROM ops WHERE case_id = ? AND kind IN ({marks})",
            (case_id, *USER_CONTENT_KINDS),
        ).fetchall()
        return any(all(covers(t, d, s) for d, s in others) for t in tombstones)

    def _check_races(self, op: Op) -> None:
        """Flag edits concurrent with a status change or tombstone (both directions)."""
        if op["kind"] in CLOSING_KINDS:
            closing, edits = (
                [op],
                [json.loads(b) for b in self._case_op_bodies(op["case_id"], EDIT_KINDS)],
            )
        else:
            closing, edits = (
                [json.loads(b) for b in self._case_op_bodies(op["case_id"], CLOSING_KINDS)],
                [op],
            )
        if not closing:
            return
        found = []
        for c in closing:
            for e in edits:
                if not covers(c, e["device_id"], e["seq"]) and not covers(
                    e, c["device_id"], c["seq"]
                ):
                    label = "raced_delete" if c["kind"] == "case.delete" else "raced_status"
                    found.append(f"{label}:{e['op_id']}")
        if found:
            row = self.conn.execute(
                "SELECT flags FROM cases WHERE case_id = ?", (op["case_id"],)
            ).fetchone()
            flags = sorted(set(json.loads(row[0])) | set(found))
            self.conn.execute(
                "UPDATE cases SET flags = ? WHERE case_id = ?",
                (canonical_json(flags), op["case_id"]),
            )


def body_text(
    fields: dict[str, Any], entry_texts: list[str], skip: frozenset[str] = frozenset()
) -> str:
    """The text of a case's fields (except ``skip``) and notes, as one string to index."""
    parts = []
    for name, value in fields.items():
        if name in skip:
            continue
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    parts.extend(entry_texts)
    return "\n".join(parts)
