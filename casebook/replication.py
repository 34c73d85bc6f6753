"""Replication: the port the sync engine uses (device keys, the log by device, received ops,
sync state and alarms). It reads the log; received ops go through the journal."""

from __future__ import annotations

import json
import logging
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casebook import clock
from casebook.journal import Journal
from casebook.models import Alarm
from casebook.oplog import Op, canonical_json
from casebook.session import Session

log = logging.getLogger("casebook")


class Replication:
    """What sync reads and writes, and the alarms it raises."""

    def __init__(self, session: Session, journal: Journal, received: Any) -> None:
        """:param received: the validation of received ops (a
        :class:`casebook.received.ReceivedOps`, from a layer above)."""
        self.session = session
        self.journal = journal
        self.received = received

    def raise_alarm(self, kind: str, message: str, detail: dict[str, Any] | None = None) -> Alarm:
        """Keep something that needs a person's attention (shown by CLI and GUI)."""
        at = clock.format_datetime(clock.now())
        with self.session.transaction():
            cursor = self.session.conn.execute(
                "INSERT INTO alarms (kind, message, at, detail) VALUES (?, ?, ?, ?)",
                (kind, message, at, canonical_json(detail or {})),
            )
        log.warning("alarm %s", kind)
        return Alarm(id=cursor.lastrowid, kind=kind, message=message, at=at, detail=detail or {})

    def alarms(self, include_acknowledged: bool = False) -> list[Alarm]:
        where = "" if include_acknowledged else "WHERE acknowledged = 0"
        return [
            Alarm(
                id=r[0],
                kind=r[1],
                message=r[2],
                at=r[3],
                detail=json.loads(r[4]),
                acknowledged=bool(r[5]),
            )
            for r in self.session.query(
                f"SELECT id, kind, message, at, detail, acknowledged FROM alarms {where} ORDER BY id"
            )
        ]

    def acknowledge_alarm(self, alarm_id: int) -> None:
        with self.session.transaction():
            self.session.conn.execute(
                "UPDATE alarms SET acknowledged = 1 WHERE id = ?", (int(alarm_id),)
            )

    def device_signing_key(self) -> Ed25519PrivateKey:
        """This laptop's Ed25519 key (signs its segments and join request)."""
        return Ed25519PrivateKey.from_private_bytes(self.session.secret("ed25519"))

    def device_exchange_key(self) -> X25519PrivateKey:
        """This laptop's X25519 key (opens station keys wrapped to it)."""
        return X25519PrivateKey.from_private_bytes(self.session.secret("x25519"))

    def ops_from(self, device_id: str, after_seq: int, limit: int | None = None) -> list[Op]:
        """Ops of a device with ``seq > after_seq``, in order."""
        sql = "SELECT body FROM ops WHERE device_id = ? AND seq > ? ORDER BY seq"
        params: list[Any] = [device_id, int(after_seq)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [json.loads(r[0]) for r in self.session.query(sql, params)]

    def known_seqs(self) -> dict[str, int]:
        """The highest contiguous seq held for each device (this one included)."""
        return {d: s for d, s in self.session.query("SELECT device_id, seq FROM heads")}

    def op_hash(self, device_id: str, seq: int) -> str | None:
        rows = self.session.query(
            "SELECT hash FROM ops WHERE device_id = ? AND seq = ?", (device_id, int(seq))
        )
        return rows[0][0] if rows else None

    def waiting_count(self) -> int:
        """Received ops that wait for a predecessor or a causal dependency."""
        return self.session.query("SELECT count(*) FROM waiting_ops")[0][0]

    def apply_remote_ops(
        self,
        ops: list[Op],
        *,
        state: dict[str, Any] | None = None,
        officers: dict[str, str] | None = None,
        cutoffs: dict[str, int] | None = None,
        max_skew_ms: int | None = None,
    ) -> dict[str, Any]:
        """Apply ops received from other devices, in one transaction with ``state``.

        Duplicates are ignored; ops whose predecessor or causal dependencies are missing wait
        in the store until they arrive; any arrival order gives the same state. Each op is
        validated like a local write (:mod:`casebook.received`); a refused op is kept aside
        and its device's later ops keep flowing.

        :param officers: ``{device: officer_id}`` from the devices' membership records: an
            op naming another officer than its device's is refused.
        :param cutoffs: ``{device: last_seq}`` of revoked devices (later ops are dropped).
        :param max_skew_ms: ops stamped further than this in the future are held back.
        :returns: see :meth:`casebook.journal.Journal.receive`.
        :raises IntegrityError: an op without a place in a chain, a fork or broken chain;
            nothing is written.
        """

        def check(op: Op) -> str | None:
            return self.received.problem(op, (officers or {}).get(op["device_id"]))

        return self.journal.receive(
            ops, state=state, check=check, cutoffs=cutoffs, max_skew_ms=max_skew_ms
        )

    def refused_ops(self) -> list[dict[str, Any]]:
        """Received ops refused by validation: ``{device_id, seq, kind, reason}``."""
        return self.journal.refused_ops()

    def cut_off(self, device_id: str, last_seq: int) -> int:
        """Take a revoked device's ops after its cut-off out of this notebook (see
        :meth:`casebook.journal.Journal.cut_off`). :returns: how many were taken out."""
        return self.journal.cut_off(device_id, last_seq)

    def sync_state(self, key: str, default: Any = None) -> Any:
        rows = self.session.query("SELECT value FROM sync_state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_sync_state(self, key: str, value: Any) -> None:
        with self.session.transaction():
            self.session.conn.execute(
                "INSERT OR REPLACE INTO sync_state VALUES (?, ?)", (key, canonical_json(value))
            )
