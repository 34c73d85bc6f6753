"""The journal: the only code that appends ops to the log and applies them to the views.

Every op takes the same way in, whatever its origin:

* a local write (:meth:`Journal.append_many`, bulk import included) builds the op, chains it
  to this device's head and records it;
* a received op (:meth:`Journal.receive`) waits in ``waiting_ops`` until its predecessor and
  causal dependencies are here, then is recorded;
* a rebuild (:meth:`Journal.rebuild`) empties the views and applies the whole log again.

Recording is :meth:`Journal._record` (insert into ``ops``, then :meth:`Journal._apply`), and a
device's head moves only in :meth:`Journal._advance_head`, written at commit. So a rebuild, a
received op and a local op give the same views.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlcipher3

from casebook import clock, store
from casebook.errors import IntegrityError
from casebook.i18n import _
from casebook.oplog import (
    GENESIS_HASH,
    MAX_OP_BYTES,
    Op,
    canonical_json,
    check_chain_fields,
    check_op_size,
    new_id,
    op_hash,
    op_problem,
)
from casebook.plugin_host import refuse_while_plugin_runs
from casebook.session import Session
from casebook.views import Views

#: what applying a well-formed but impossible op raises (e.g. a second create of a known case)
APPLY_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    sqlcipher3.IntegrityError,
)

ProgressCallback = Callable[[int, int | None], None]
Change = tuple[str, str | None, dict[str, Any]]


class Journal:
    """The op log of one notebook and the views it materialises."""

    def __init__(self, session: Session, device_id: str, views: Views) -> None:
        self.session = session
        self.device_id = device_id
        self.views = views
        self._config_listeners: list[Callable[[], None]] = []
        self._heads_to_write: dict[str, tuple[int, str]] = {}
        self._load_head()
        max_hlc = session.conn.execute("SELECT max(hlc) FROM ops").fetchone()[0] or 0
        self.clock = clock.HybridClock(max_hlc)
        session.before_commit(self._write_heads)
        session.after_rollback(self._load_head)

    def on_config_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when a ``config.set`` op is applied, and on a rebuild."""
        self._config_listeners.append(callback)

    # -- heads -----------------------------------------------------------------------------

    def _load_head(self) -> None:
        """This device's last seq and hash, as committed."""
        row = self.session.conn.execute(
            "SELECT seq, hash FROM heads WHERE device_id = ?", (self.device_id,)
        ).fetchone()
        self._head_seq, self._head_hash = (row[0], row[1]) if row else (0, GENESIS_HASH)
        self._heads_to_write = {}

    def _advance_head(self, device_id: str, seq: int, digest: str) -> None:
        """Move a device's head; the row is written once, at commit (:meth:`_write_heads`)."""
        if device_id == self.device_id:
            self._head_seq, self._head_hash = seq, digest
        else:
            self._heads_to_write[device_id] = (seq, digest)

    def _write_heads(self) -> None:
        heads = [(self.device_id, self._head_seq, self._head_hash)]
        heads += [(device, seq, digest) for device, (seq, digest) in self._heads_to_write.items()]
        self._heads_to_write = {}
        self.session.conn.executemany(
            "INSERT INTO heads VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
            " seq = excluded.seq, hash = excluded.hash WHERE excluded.seq > heads.seq",
            heads,
        )

    # -- recording ---------------------------------------------------------------------------

    def _record(self, recorded: list[tuple[Op, tuple]]) -> None:
        """Insert ops into the log, apply them and move their devices' heads.

        :param recorded: ``(op, row)`` pairs; ``row`` is the ``ops`` row (its body and hash).
        """
        self.session.conn.executemany(
            "INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row for _op, row in recorded]
        )
        self._apply([op for op, _row in recorded])
        for op, row in recorded:
            self._advance_head(op["device_id"], op["seq"], row[7])

    def _apply(self, ops: list[Op]) -> None:
        self.views.apply_many(ops)
        if any(op["kind"] == "config.set" for op in ops):
            self._config_changed()

    def _config_changed(self) -> None:
        for callback in self._config_listeners:
            callback()

    @staticmethod
    def _row(op: Op, body: str) -> tuple:
        return (
            op["device_id"],
            op["seq"],
            op["op_id"],
            op["hlc"],
            op["case_id"],
            op["kind"],
            body,
            op_hash(body),
        )

    # -- local writes ------------------------------------------------------------------------

    def append(self, kind: str, case_id: str | None, payload: dict[str, Any]) -> Op:
        """Append one op of this device and apply it. Call inside a transaction."""
        return self.append_many([(kind, case_id, payload)])[0]

    def append_many(self, changes: list[Change]) -> list[Op]:
        """Append ops of this device, chained in the given order, and apply each.

        :param changes: ``(kind, case_id, payload)`` triples.
        Runs of new cases are written a run at a time (one statement per table); every other op
        is written and applied before the next is built, since it may depend on the one before.
        Call inside a transaction.
        """
        refuse_while_plugin_runs("write")
        officer_id = self.session.officer.get("officer_id", "?")
        conn = self.session.conn
        ops: list[Op] = []
        creates: list[tuple[Op, tuple]] = []
        for kind, case_id, payload in changes:
            deps: dict[str, int] = {}
            if case_id is not None and kind != "case.create":
                if creates:
                    self._record(creates)
                    creates = []
                deps = {
                    d: s
                    for d, s in conn.execute(
                        "SELECT device_id, max(seq) FROM ops WHERE case_id = ? GROUP BY device_id",
                        (case_id,),
                    )
                }
            op = {
                "op_id": new_id(),
                "device_id": self.device_id,
                "seq": self._head_seq + 1,
                "hlc": self.clock.tick(),
                "case_id": case_id,
                "kind": kind,
                "payload": payload,
                "prev_hash": self._head_hash,
                "officer_id": officer_id,
                "deps": deps,
            }
            row = self._row(op, canonical_json(op))
            if len(row[6]) > MAX_OP_BYTES:  # characters: at most the bytes
                check_op_size(op)
            # The next op chains to this one before this one is recorded (runs of creates).
            self._head_seq, self._head_hash = op["seq"], row[7]
            ops.append(op)
            if kind == "case.create":
                creates.append((op, row))
            else:
                if creates:
                    self._record(creates)
                    creates = []
                self._record([(op, row)])
        if creates:
            self._record(creates)
        return ops

    # -- received ops ------------------------------------------------------------------------

    def receive(
        self,
        ops: list[Op],
        *,
        state: dict[str, Any] | None = None,
        check: Callable[[Op], str | None] | None = None,
        cutoffs: dict[str, int] | None = None,
        max_skew_ms: int | None = None,
    ) -> dict[str, Any]:
        """Apply ops received from other devices, in one transaction with ``state``.

        Duplicates are ignored; ops whose predecessor or causal dependencies are missing wait
        in the store until they arrive; any arrival order gives the same state.

        An op that can take its place in its device's chain but fails validation (the op
        schema, ``check``, or the views refusing it) is *refused*: kept in ``refused_ops``,
        its device's head moves past it, and the device's later ops keep flowing.

        :param state: ``sync_state`` rows to write in the same transaction.
        :param check: the validation of received ops (see :mod:`casebook.received`); returns
            the reason to refuse an op, or None.
        :param cutoffs: ``{device: last_seq}`` of revoked devices: their later ops are dropped,
            and a dependency on them counts as met at the cut-off.
        :param max_skew_ms: an op stamped more than this past this laptop's clock waits
            (held back, never adopted into the local clock) until the clock catches up.
        :returns: ``{applied, duplicates, waiting, refused: [[device, seq, reason]...],
            held: [[device, seq, hlc]...], dropped}``.
        :raises IntegrityError: an op that cannot be placed in a chain (no device, seq or
            predecessor hash), a fork or a broken chain; nothing is written.
        """
        duplicates = dropped = 0
        cutoffs = cutoffs or {}
        conn = self.session.conn
        with self.session.transaction():
            for op in ops:
                check_chain_fields(op)
                if op["seq"] > cutoffs.get(op["device_id"], op["seq"]):
                    dropped += 1
                    continue
                body = canonical_json(op)
                digest = op_hash(body)
                have = conn.execute(
                    "SELECT hash FROM ops WHERE device_id = ? AND seq = ?"
                    " UNION ALL SELECT hash FROM refused_ops WHERE device_id = ? AND seq = ?",
                    (op["device_id"], op["seq"], op["device_id"], op["seq"]),
                ).fetchone()
                if have is not None:
                    if have[0] != digest:
                        raise IntegrityError(
                            _("Two different ops claim {device}… #{seq}: refused.").format(
                                device=op["device_id"][:8], seq=op["seq"]
                            )
                        )
                    duplicates += 1
                    continue
                if op["device_id"] == self.device_id:
                    raise IntegrityError(
                        _("An op claims to come from this laptop but is not in its log: refused.")
                    )
                waiting = conn.execute(
                    "SELECT body FROM waiting_ops WHERE device_id = ? AND seq = ?",
                    (op["device_id"], op["seq"]),
                ).fetchone()
                if waiting is not None:
                    if waiting[0] != body:
                        raise IntegrityError(
                            _("Two different ops claim {device}… #{seq}: refused.").format(
                                device=op["device_id"][:8], seq=op["seq"]
                            )
                        )
                    duplicates += 1
                    continue
                conn.execute(
                    "INSERT INTO waiting_ops VALUES (?, ?, ?)", (op["device_id"], op["seq"], body)
                )
            drained = self._drain_waiting(check, cutoffs, max_skew_ms)
            for key, value in (state or {}).items():
                conn.execute(
                    "INSERT OR REPLACE INTO sync_state VALUES (?, ?)", (key, canonical_json(value))
                )
            waiting_total = conn.execute("SELECT count(*) FROM waiting_ops").fetchone()[0]
        return {
            "applied": drained["applied"],
            "duplicates": duplicates,
            "waiting": waiting_total,
            "refused": drained["refused"],
            "held": drained["held"],
            "dropped": dropped,
        }

    def _drain_waiting(
        self,
        check: Callable[[Op], str | None] | None,
        cutoffs: dict[str, int],
        max_skew_ms: int | None,
    ) -> dict[str, Any]:
        """Record every waiting op whose predecessor and dependencies are here, in turn."""
        conn = self.session.conn
        heads = {d: [s, h] for d, s, h in conn.execute("SELECT device_id, seq, hash FROM heads")}
        heads.update({d: [s, h] for d, (s, h) in self._heads_to_write.items()})
        horizon = None if max_skew_ms is None else clock.wall_ms() + max_skew_ms
        applied = 0
        refused: list[list[Any]] = []
        held: list[list[Any]] = []
        blocked: set[str] = set()
        progress = True
        while progress:
            progress = False
            for device_id, seq, body in conn.execute(
                "SELECT device_id, seq, body FROM waiting_ops ORDER BY device_id, seq"
            ).fetchall():
                if device_id in blocked:
                    continue
                head_seq, head_hash = heads.get(device_id, [0, GENESIS_HASH])
                if seq != head_seq + 1:
                    continue
                op = json.loads(body)
                deps = op["deps"] if isinstance(op.get("deps"), dict) else {}
                if any(
                    heads.get(d, [0])[0] < min(s, cutoffs.get(d, s))
                    for d, s in deps.items()
                    if isinstance(s, int)
                ):
                    continue
                if op["prev_hash"] != head_hash:
                    raise IntegrityError(
                        _("Broken chain from device {device}… at #{seq}: refused.").format(
                            device=device_id[:8], seq=seq
                        )
                    )
                reason = op_problem(op)
                if reason is None and horizon is not None:
                    if clock.hlc_wall_ms(op["hlc"]) > horizon:
                        # Held back: the device's later ops wait behind it (its chain).
                        held.append([device_id, seq, op["hlc"]])
                        blocked.add(device_id)
                        continue
                if reason is None and check is not None:
                    reason = check(op)
                row = self._row(op, body)
                if reason is None:
                    reason = self._record_received(op, row)
                if reason is not None:
                    conn.execute(
                        "INSERT INTO refused_ops VALUES (?, ?, ?, ?, ?)",
                        (device_id, seq, row[7], body, reason),
                    )
                    self._advance_head(device_id, seq, row[7])
                    refused.append([device_id, seq, reason])
                else:
                    self.clock.observe(op["hlc"])
                    applied += 1
                conn.execute(
                    "DELETE FROM waiting_ops WHERE device_id = ? AND seq = ?", (device_id, seq)
                )
                heads[device_id] = [seq, row[7]]
                progress = True
        return {"applied": applied, "refused": refused, "held": held}

    def _record_received(self, op: Op, row: tuple) -> str | None:
        """Record one validated op; the reason it was refused if the views cannot take it
        (e.g. a second create of a known case), with nothing of it written."""
        conn = self.session.conn
        conn.execute("SAVEPOINT received_op")
        try:
            self._record([(op, row)])
        except APPLY_ERRORS as error:
            conn.execute("ROLLBACK TO received_op")
            conn.execute("RELEASE received_op")
            self._heads_to_write.pop(op["device_id"], None)
            return _("the op cannot be applied ({error})").format(error=type(error).__name__)
        conn.execute("RELEASE received_op")
        return None

    def refused_ops(self) -> list[dict[str, Any]]:
        """Received ops refused by validation: ``{device_id, seq, kind, reason}``."""
        return [
            {"device_id": d, "seq": s, "kind": json.loads(b).get("kind"), "reason": r}
            for d, s, b, r in self.session.conn.execute(
                "SELECT device_id, seq, body, reason FROM refused_ops ORDER BY device_id, seq"
            )
        ]

    def cut_off(self, device_id: str, last_seq: int) -> int:
        """Forget every op of a revoked device after its cut-off, whenever it arrived.

        A laptop that applied such ops before it learned of the revocation (another replica
        delivered them first) takes them out again and recomputes its views, so every laptop
        ends with the same state whatever order the share's copies arrived in.

        :returns: how many ops were taken out of the log and the waiting list.
        """
        conn = self.session.conn
        with self.session.transaction():
            removed_log = conn.execute(
                "DELETE FROM ops WHERE device_id = ? AND seq > ?", (device_id, last_seq)
            ).rowcount
            removed = removed_log
            for table in ("waiting_ops", "refused_ops"):
                removed += conn.execute(
                    f"DELETE FROM {table} WHERE device_id = ? AND seq > ?", (device_id, last_seq)
                ).rowcount
            row = conn.execute(
                "SELECT seq, hash FROM heads WHERE device_id = ?", (device_id,)
            ).fetchone()
            if row is not None and row[0] > last_seq:
                digest = conn.execute(
                    "SELECT hash FROM ops WHERE device_id = ? AND seq = ?"
                    " UNION ALL SELECT hash FROM refused_ops WHERE device_id = ? AND seq = ?",
                    (device_id, last_seq, device_id, last_seq),
                ).fetchone()
                conn.execute(
                    "UPDATE heads SET seq = ?, hash = ? WHERE device_id = ?",
                    (last_seq, digest[0] if digest else GENESIS_HASH, device_id),
                )
                self._heads_to_write.pop(device_id, None)
        if removed_log:
            self.rebuild()
        return removed

    # -- rebuild -----------------------------------------------------------------------------

    def rebuild(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Recompute every view from the op log (causal order: HLC, then device)."""
        self._config_changed()
        conn = self.session.conn
        with self.session.transaction():
            for table in store.VIEW_TABLES:
                conn.execute(f"DELETE FROM {table}")
            total = conn.execute("SELECT count(*) FROM ops").fetchone()[0]
            done = 0
            skipped = 0
            cursor = conn.execute("SELECT body FROM ops ORDER BY hlc, device_id")
            while chunk := cursor.fetchmany(5000):
                skipped += self._apply_chunk([json.loads(body) for (body,) in chunk])
                done += len(chunk)
                if progress:
                    progress(done, total)
            self.session.set_meta("views_version", store.VIEWS_VERSION)
        if progress:
            progress(total, total)
        return {"ops": total, "skipped": skipped}

    def _apply_chunk(self, ops: list[Op]) -> int:
        """Apply ops during a rebuild; one the views cannot take is skipped.

        That happens only after a revocation took a revoked device's late ops out of the log:
        an op of another device that built on them (a note on a case the revoked device
        created after its cut-off) has nothing left to apply to. Every laptop skips it alike.

        :returns: how many ops were skipped.
        """
        conn = self.session.conn
        conn.execute("SAVEPOINT rebuild_chunk")
        try:
            self._apply(ops)
        except APPLY_ERRORS:
            conn.execute("ROLLBACK TO rebuild_chunk")
        else:
            conn.execute("RELEASE rebuild_chunk")
            return 0
        skipped = 0
        for op in ops:
            conn.execute("SAVEPOINT rebuild_op")
            try:
                self._apply([op])
            except APPLY_ERRORS:
                conn.execute("ROLLBACK TO rebuild_op")
                skipped += 1
            conn.execute("RELEASE rebuild_op")
        conn.execute("RELEASE rebuild_chunk")
        return skipped
