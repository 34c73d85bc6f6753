"""Audit and integrity: the hash chains of the log, the state digest and the store's check."""

from __future__ import annotations

import hashlib
import json

from casebook.errors import IntegrityError
from casebook.i18n import _
from casebook.oplog import GENESIS_HASH, canonical_json, op_hash
from casebook.session import Session


class Audit:
    """Read-only checks of a notebook."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def verify_audit(self) -> dict[str, int]:
        """Walk every device's hash chain. :raises IntegrityError: at the first break."""
        devices = ops = 0
        with self.session.lock:
            self.session.require_open()
            conn = self.session.conn
            heads = {
                d: (s, h) for d, s, h in conn.execute("SELECT device_id, seq, hash FROM heads")
            }
            device_ids = [r[0] for r in conn.execute("SELECT DISTINCT device_id FROM ops")]
            for device_id in device_ids:
                devices += 1
                expected_prev, expected_seq = GENESIS_HASH, 1
                for seq, body, stored in conn.execute(
                    "SELECT seq, body, hash FROM ops WHERE device_id = ? ORDER BY seq", (device_id,)
                ):
                    ops += 1
                    where = f"{device_id[:8]}… #{seq}"
                    if seq != expected_seq:
                        raise IntegrityError(
                            _("Audit chain broken at {where}: a gap").format(where=where)
                        )
                    try:
                        op = json.loads(body)
                    except ValueError as error:
                        raise IntegrityError(
                            _("Audit chain broken at {where}: unreadable op").format(where=where)
                        ) from error
                    if op_hash(op) != stored or op_hash(body) != stored:
                        raise IntegrityError(
                            _("Audit chain broken at {where}: the op was altered").format(
                                where=where
                            )
                        )
                    if (
                        op.get("prev_hash") != expected_prev
                        or op.get("device_id") != device_id
                        or op.get("seq") != seq
                    ):
                        raise IntegrityError(
                            _("Audit chain broken at {where}: wrong link").format(where=where)
                        )
                    expected_prev, expected_seq = stored, seq + 1
                if heads.get(device_id) != (expected_seq - 1, expected_prev):
                    raise IntegrityError(
                        _("Audit chain broken at {where}: the head does not match").format(
                            where=device_id[:8]
                        )
                    )
        return {"devices": devices, "ops": ops}

    def state_digest(self) -> str:
        """A fingerprint of the merged state (views, not row ids): equal on converged laptops."""
        tables = {
            "cases": "SELECT case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc, registers,"
            " flags, conflicts, deleted FROM cases ORDER BY case_id",
            "entries": "SELECT * FROM entries ORDER BY entry_id",
            "attachments": "SELECT * FROM attachments ORDER BY attachment_id",
            "tasks": "SELECT * FROM tasks ORDER BY task_id",
            "reviews": "SELECT * FROM reviews ORDER BY case_id",
            "rectifications": "SELECT * FROM rectifications ORDER BY finding_id",
            "config": "SELECT * FROM config ORDER BY key",
            "officers": "SELECT * FROM officers ORDER BY officer_id",
        }
        digest = hashlib.sha256()
        for name, sql in tables.items():
            digest.update(name.encode())
            for row in self.session.query(sql):
                digest.update(canonical_json(list(row)).encode("utf-8"))
        handovers = self.session.query(
            "SELECT case_id, responsible FROM cases WHERE responsible != officer_id ORDER BY case_id"
        )
        # Only when there are any: a notebook without handovers keeps the fingerprint it had
        # before handovers existed.
        if handovers:
            digest.update(b"handovers")
            for row in handovers:
                digest.update(canonical_json(list(row)).encode("utf-8"))
        return digest.hexdigest()
