"""The operation log: the format of an op, its hash chain and causal order.

Every change is an op (see ``schemas/op.schema.json``). Ops are append-only and chained per
device: each carries the hash of the same device's previous op. ``deps`` is the writer's
version vector restricted to the case, which is what the merge rules need to tell "saw"
from "concurrent" without trusting any clock.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from casebook import clock
from casebook.errors import IntegrityError, InvalidInputError
from casebook.i18n import _

GENESIS_HASH = "0" * 64

Op = dict[str, Any]


def new_id() -> str:
    """A fresh id for an op, a case or an entry: 32 hex digits in the UUIDv7 layout (RFC 9562).

    The first 48 bits are the creation time in milliseconds, the other 74 are random. Ids that
    grow with time append at the end of the ``ops``, ``cases`` and ``entries`` indexes, where
    random ids would touch a different page of each index on every insert: on a bulk import
    that was most of the bytes written.
    """
    millis = clock.wall_ms() & (1 << 48) - 1
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        millis << 80 | 0x7 << 76 | (rand >> 62 & 0xFFF) << 64 | 0b10 << 62 | rand & (1 << 62) - 1
    )
    return f"{value:032x}"


# One encoder, built once: ``json.dumps`` with options builds a new one on every call.
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one serialisation that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return _CANONICAL_ENCODER.encode(value)


def canonical_bytes(value: Any) -> bytes:
    """:func:`canonical_json` as UTF-8 bytes: what is hashed, signed and used as associated data."""
    return canonical_json(value).encode("utf-8")


def op_hash(op: Op | str) -> str:
    """sha256 of the canonical op; the next op of the device carries it as ``prev_hash``.

    :param op: the op, or its canonical JSON (the ``body`` stored in the log) when the caller
        already has it: the one hash of an op, whichever form is at hand.
    """
    body = op if isinstance(op, str) else canonical_json(op)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def stable_id(*parts: str) -> str:
    """An id derived from its parts, the same on every laptop (task and finding ids)."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]


def json_value(value: Any, what: str) -> Any:
    """A copy of ``value`` made of JSON types only; anything else (a date object, NaN, a key
    that is not text) is refused, since it could not be stored in an op and synced as it is.

    :raises InvalidInputError: naming ``what``.
    """
    if isinstance(value, str | bool | int) or value is None:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            if not isinstance(key, str):
                break
            copy[key] = item if type(item) is str else json_value(item, what)
        else:
            return copy
    elif isinstance(value, list | tuple):
        return [item if type(item) is str else json_value(item, what) for item in value]
    raise InvalidInputError(_("{what}: not a JSON value").format(what=what))


def covers(op: Op, device_id: str, seq: int) -> bool:
    """Did the writer of ``op`` see op (device_id, seq) of the same case?"""
    if op["device_id"] == device_id:
        return seq < op["seq"]
    return op["deps"].get(device_id, 0) >= seq


@cache
def _op_validator() -> Draft202012Validator:
    schema = json.loads(
        resources.files("casebook.schemas").joinpath("op.schema.json").read_text("utf-8")
    )
    return Draft202012Validator(schema)


#: the largest op accepted, as canonical JSON (a case's fields, a note with its data...).
MAX_OP_BYTES = 1_000_000
_DEVICE_ID = re.compile(r"^[0-9a-f]{32}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def check_op_shape(op: Any) -> None:
    """Refuse anything that is not a well-formed op (from a file or the share).

    :raises IntegrityError: naming the first problem.
    """
    problem = op_problem(op)
    if problem is not None:
        raise IntegrityError(problem)


def op_problem(op: Any) -> str | None:
    """What makes ``op`` malformed (the op schema, its size), or None."""
    if not isinstance(op, dict):
        return _("Malformed operation: not an object.")
    error = next(iter(_op_validator().iter_errors(op)), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "op"
        message = error.message if len(error.message) < 200 else error.message[:200] + "…"
        return _("Malformed operation ({where}): {message}").format(where=where, message=message)
    if len(canonical_bytes(op)) > MAX_OP_BYTES:
        return _("Operation too large (more than {limit} bytes).").format(limit=MAX_OP_BYTES)
    return None


def check_op_size(op: Op) -> None:
    """Refuse a local write larger than any laptop accepts from the share.

    :raises InvalidInputError:
    """
    if len(canonical_bytes(op)) > MAX_OP_BYTES:
        raise InvalidInputError(
            _("Too much data in one change (more than {limit} bytes).").format(limit=MAX_OP_BYTES)
        )


def check_chain_fields(op: Any) -> None:
    """Refuse an op that cannot even take its place in a device's chain (no device id, seq
    or predecessor hash). Any other flaw refuses the op alone (:func:`op_problem`).

    :raises IntegrityError:
    """
    if (
        not isinstance(op, dict)
        or not isinstance(op.get("device_id"), str)
        or not _DEVICE_ID.match(op["device_id"])
        or type(op.get("seq")) is not int
        or not 1 <= op["seq"] < 2**62
        or not isinstance(op.get("prev_hash"), str)
        or not _HASH.match(op["prev_hash"])
    ):
        raise IntegrityError(_("Malformed operation: no device, seq or predecessor."))


def parse_op(body: str) -> Op:
    try:
        return json.loads(body)
    except ValueError as error:
        raise InvalidInputError(_("Malformed operation.")) from error
