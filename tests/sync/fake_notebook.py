"""A small in-memory stand-in for the sync part of the Notebook facade (docs/api.md).

It follows the facade's contract for sync exactly: hash-chained ops per device, an atomic
``apply_remote_ops`` that also sets sync state, gaps wait, duplicates are harmless, a chain
mismatch raises ``IntegrityError`` and writes nothing. It lets the engine's rules be tested
quickly and in-process; tests with real notebooks and real processes live beside it.

Its "merge" is deliberately simple (a multi-value register per field, winner by
(hlc, device)), enough to check that every device ends with the same state.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import shutil
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casebook.clock import HybridClock
from casebook.errors import IntegrityError
from casebook.models import Alarm

ZERO_HASH = "0" * 64


def op_hash(op: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(op, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


class FakeNotebook:
    """The sync-facing subset of ``casebook.Notebook``, in memory."""

    def __init__(self, path: Path | None = None, *, officer_id: str = "officer") -> None:
        self.path = path
        self.device_id = secrets.token_hex(16)
        self.officer = {"officer_id": officer_id, "name": officer_id, "unit": "unit"}
        self._signing = Ed25519PrivateKey.generate()
        self._exchange = X25519PrivateKey.generate()
        self.log: dict[str, dict[int, dict[str, Any]]] = {}
        self.hashes: dict[str, dict[int, str]] = {}
        self.state: dict[str, Any] = {}
        self.waiting: dict[tuple[str, int], dict[str, Any]] = {}
        self.prefs: dict[str, Any] = {}
        self._alarms: list[Alarm] = []
        self.blob_dir = (path / "blobs") if path else None
        self.clock = HybridClock()
        self.clock_offset_ms = 0

    # --- identity --------------------------------------------------------------------------

    def device_signing_key(self) -> Ed25519PrivateKey:
        return self._signing

    def device_exchange_key(self) -> X25519PrivateKey:
        return self._exchange

    # --- local writes ----------------------------------------------------------------------

    def write(self, kind: str, case_id: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        own = self.log.setdefault(self.device_id, {})
        seq = len(own) + 1
        hlc = max(self.clock.tick() + (self.clock_offset_ms << 16), self.clock.last + 1)
        self.clock.observe(hlc)
        deps = {d: max(ops) for d, ops in self.log.items() if ops and d != self.device_id}
        op = {
            "op_id": secrets.token_hex(16),
            "device_id": self.device_id,
            "seq": seq,
            "hlc": hlc,
            "case_id": case_id,
            "kind": kind,
            "payload": payload,
            "prev_hash": self.hashes.get(self.device_id, {}).get(seq - 1, ZERO_HASH),
            "officer_id": self.officer["officer_id"],
            "deps": deps,
        }
        own[seq] = op
        self.hashes.setdefault(self.device_id, {})[seq] = op_hash(op)
        return op

    def set_field(self, case_id: str, field: str, value: Any) -> dict[str, Any]:
        return self.write("case.set", case_id, {"fields": {field: value}})

    def add_note(self, case_id: str, text: str) -> dict[str, Any]:
        return self.write(
            "entry.add",
            case_id,
            {"entry_id": secrets.token_hex(16), "kind": "note", "text": text, "data": {}},
        )

    def attach(self, case_id: str, content: bytes) -> str:
        assert self.blob_dir is not None
        attachment_id = secrets.token_hex(16)
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        # stands in for the core's chunked AES-GCM blob: never plaintext in real life
        (self.blob_dir / attachment_id).write_bytes(
            b"ENCRYPTED" + hashlib.sha256(content).digest() + content[::-1]
        )
        self.write(
            "attachment.add",
            case_id,
            {
                "attachment_id": attachment_id,
                "name": "x",
                "size": len(content),
                "media_type": "image/jpeg",
                "sha256": "",
                "file_key": "k",
            },
        )
        return attachment_id

    # --- the sync facade -------------------------------------------------------------------

    def ops_from(
        self, device_id: str, after_seq: int, limit: int | None = None
    ) -> list[dict[str, Any]]:
        ops = self.log.get(device_id, {})
        out = [copy.deepcopy(ops[s]) for s in sorted(ops) if s > after_seq]
        return out[:limit] if limit else out

    def known_seqs(self) -> dict[str, int]:
        return {d: max(ops) for d, ops in self.log.items() if ops}

    def op_hash(self, device_id: str, seq: int) -> str | None:
        return self.hashes.get(device_id, {}).get(seq)

    def apply_remote_ops(
        self, ops: list[dict[str, Any]], *, state: dict[str, Any] | None = None
    ) -> dict[str, int]:
        # Work on copies and swap at the end: all or nothing, like one SQLite transaction.
        log = {d: dict(v) for d, v in self.log.items()}
        hashes = {d: dict(v) for d, v in self.hashes.items()}
        waiting = dict(self.waiting)
        duplicates = 0
        for op in ops:
            key = (op["device_id"], op["seq"])
            digest = op_hash(op)
            held = hashes.get(op["device_id"], {}).get(op["seq"])
            if held is not None or key in waiting:
                if (held or op_hash(waiting[key])) != digest:
                    raise IntegrityError("two different ops claim one seq")
                duplicates += 1
                continue
            if op["device_id"] == self.device_id:
                raise IntegrityError("an op claims to be ours")
            waiting[key] = copy.deepcopy(op)
        applied = 0
        progress = True
        while progress:
            progress = False
            for key in sorted(waiting):
                device, seq = key
                op = waiting[key]
                if seq != len(log.get(device, {})) + 1:
                    continue
                if any(len(log.get(d, {})) < s for d, s in op["deps"].items()):
                    continue
                if op["prev_hash"] != hashes.get(device, {}).get(seq - 1, ZERO_HASH):
                    raise IntegrityError("broken chain")
                log.setdefault(device, {})[seq] = op
                hashes.setdefault(device, {})[seq] = op_hash(op)
                del waiting[key]
                applied += 1
                progress = True
        for op in (o for d in log for o in log[d].values()):
            self.clock.observe(op["hlc"])
        self.log, self.hashes, self.waiting = log, hashes, waiting
        for key, value in (state or {}).items():
            self.state[key] = copy.deepcopy(value)
        return {"applied": applied, "duplicates": duplicates, "waiting": len(waiting)}

    def waiting_count(self) -> int:
        return len(self.waiting)

    def sync_state(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self.state.get(key, default))

    def set_sync_state(self, key: str, value: Any) -> None:
        json.dumps(value)  # the real store keeps JSON
        self.state[key] = copy.deepcopy(value)

    def raise_alarm(self, kind: str, message: str, detail: dict[str, Any] | None = None) -> Alarm:
        alarm = Alarm(len(self._alarms) + 1, kind, message, "", dict(detail or {}))
        self._alarms.append(alarm)
        return alarm

    def alarms(self) -> list[Alarm]:
        return list(self._alarms)

    def attachment_blob_path(self, attachment_id: str) -> Path | None:
        if self.blob_dir is None:
            return None
        path = self.blob_dir / attachment_id
        return path if path.exists() else None

    def import_attachment_blob(self, attachment_id: str, source: Path) -> None:
        assert self.blob_dir is not None
        data = Path(source).read_bytes()
        if (
            not data.startswith(b"ENCRYPTED")
            or hashlib.sha256(data[41:][::-1]).digest() != data[9:41]
        ):
            raise IntegrityError("incomplete blob")
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.blob_dir / attachment_id)

    def preference(self, key: str, default: Any = None) -> Any:
        return self.prefs.get(key, default)

    def set_preference(self, key: str, value: Any) -> None:
        self.prefs[key] = value

    # --- merged view, for convergence checks ----------------------------------------------

    def all_ops(self) -> list[dict[str, Any]]:
        return [op for ops in self.log.values() for op in ops.values()]

    def fields(self) -> dict[tuple[str, str], Any]:
        """Displayed winner per (case, field): the highest (hlc, device)."""
        best: dict[tuple[str, str], tuple[tuple[int, str], Any]] = {}
        for op in self.all_ops():
            if op["kind"] != "case.set":
                continue
            for field, value in op["payload"]["fields"].items():
                key = (op["case_id"], field)
                rank = (op["hlc"], op["device_id"])
                if key not in best or rank > best[key][0]:
                    best[key] = (rank, value)
        return {key: value for key, (_rank, value) in best.items()}

    def conflicts(self) -> list[Any]:
        return []

    def fingerprint(self) -> dict[str, dict[int, str]]:
        return {d: dict(h) for d, h in self.hashes.items()}
