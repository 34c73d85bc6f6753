"""Segment files: the unit of exchange on the share. Pure functions over bytes and op dicts.

A segment file is, byte for byte (``docs/sync.md`` has the full spec)::

    magic      b"casebook-segment/1\\n"                       19 bytes
    length     header length H, unsigned 32-bit big-endian     4 bytes
    header     canonical JSON (UTF-8), see schemas/segment.schema.json   H bytes
    body       AES-256-GCM(epoch key, header.nonce, JSON list of ops, aad=header bytes)
               (the nonce is synthetic, see :func:`synthetic_nonce`)
               header.body_length bytes (ciphertext + 16-byte tag)
    signature  Ed25519 by the device over magic + length + header + body      64 bytes

The plaintext header says who wrote which ops (station, device, first and last seq, epoch,
hash of the device's previous segment) without revealing anything of the cases, and it is
bound to the body twice: as AES-GCM associated data and under the signature.

Reading distinguishes *incomplete* files (a copy still in progress: retry later, no alarm)
from *rejected* ones (corrupt, forged, replayed: an alarm). A file is incomplete when it is
shorter than its header announces or when its signature bytes are still all zero, which is
what a pre-allocating copy leaves behind.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casebook.i18n import _

from .keys import canonical_bytes, verifier

FORMAT = "casebook-segment/1"
MAGIC = b"casebook-segment/1\n"
LENGTH_BYTES = 4
SIGNATURE_BYTES = 64
TAG_BYTES = 16
NONCE_BYTES = 12
MAX_HEADER_BYTES = 64 * 1024
SIGNATURE_ALGORITHM = "ed25519"
NO_PREVIOUS = "0" * 64
HEADER_FIELDS = {
    "format",
    "station",
    "device",
    "first_seq",
    "last_seq",
    "op_count",
    "epoch",
    "prev_segment_hash",
    "nonce",
    "body_length",
    "signature",
}

# Reasons a segment is rejected. They are stable words: alarms and tests use them.
CORRUPT = "corrupt"
UNSIGNED = "unsigned"
BAD_SIGNATURE = "bad_signature"
MISPLACED = "misplaced"  # header names another device, seq or station than its path
REPLAYED = "replayed"  # does not chain to the device's previous segment
UNKNOWN_SIGNER = "unknown_signer"
REVOKED_SIGNER = "revoked_signer"
DELETED_TAIL = "deleted_tail"


class SegmentIncomplete(Exception):
    """The file is not complete yet (being copied, or cut short): retry later."""


class SegmentRejected(Exception):
    """The file must not be applied. ``reason`` is one of the module's reason words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Segment:
    """A parsed segment whose layout is sound; signature and body are not checked yet."""

    header: dict[str, Any]
    signed: bytes
    header_bytes: bytes
    body: bytes
    signature: bytes
    sha256: str

    @property
    def device(self) -> str:
        return self.header["device"]

    @property
    def first_seq(self) -> int:
        return self.header["first_seq"]

    @property
    def last_seq(self) -> int:
        return self.header["last_seq"]

    @property
    def epoch(self) -> int:
        return self.header["epoch"]


def segment_hash(data: bytes) -> str:
    """The hash that names a segment in the next segment's ``prev_segment_hash``."""
    return hashlib.sha256(data).hexdigest()


def encode_segment(
    ops: list[dict[str, Any]],
    *,
    station: str,
    epoch: int,
    epoch_key: bytes,
    prev_segment_hash: str,
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """A complete segment file holding ``ops`` (consecutive ops of one device).

    :param ops: op dicts in seq order, all of one device, without gaps.
    :param station: the station id of the share.
    :param epoch: the key epoch whose key encrypts the body.
    :param epoch_key: that epoch's 32-byte AES key.
    :param prev_segment_hash: :func:`segment_hash` of the device's previous segment, or
        :data:`NO_PREVIOUS` for its first.
    :param signing_key: the device's Ed25519 private key.
    """
    if not ops:
        raise ValueError("a segment holds at least one op")
    device = ops[0]["device_id"]
    seqs = [op["seq"] for op in ops]
    if any(op["device_id"] != device for op in ops) or seqs != list(
        range(seqs[0], seqs[0] + len(ops))
    ):
        raise ValueError("a segment holds consecutive ops of one device")
    plain = canonical_bytes(ops)
    nonce = synthetic_nonce(
        epoch_key, station, device, seqs[0], seqs[-1], epoch, prev_segment_hash, plain
    )
    header = {
        "format": FORMAT,
        "station": station,
        "device": device,
        "first_seq": seqs[0],
        "last_seq": seqs[-1],
        "op_count": len(ops),
        "epoch": int(epoch),
        "prev_segment_hash": prev_segment_hash,
        "nonce": nonce.hex(),
        "body_length": len(plain) + TAG_BYTES,
        "signature": SIGNATURE_ALGORITHM,
    }
    header_bytes = canonical_bytes(header)
    body = AESGCM(epoch_key).encrypt(nonce, plain, header_bytes)
    signed = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + body
    return signed + signing_key.sign(signed)


def synthetic_nonce(
    epoch_key: bytes,
    station: str,
    device: str,
    first_seq: int,
    last_seq: int,
    epoch: int,
    prev_segment_hash: str,
    plain: bytes,
) -> bytes:
    """The AES-GCM nonce of a segment: HMAC-SHA256 of everything it encrypts, cut to 96 bits.

    Why not random: a laptop that must publish a segment again (its file was deleted from
    the share) then produces the very same bytes, so every copy of a segment anywhere is
    identical and a reader's record of it stays true. A nonce repeats only for an identical
    message, which gives an identical ciphertext and reveals nothing new (the idea of SIV
    modes, with AES-256-GCM itself unchanged).
    """
    context = canonical_bytes(
        {
            "station": station,
            "device": device,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "epoch": epoch,
            "prev_segment_hash": prev_segment_hash,
        }
    )
    mac = hmac.HMAC(epoch_key, hashes.SHA256())
    mac.update(b"casebook-segment-nonce/1\n" + context + b"\n" + plain)
    return mac.finalize()[:NONCE_BYTES]


def parse_segment(data: bytes) -> Segment:
    """Split a segment file and check its layout and header.

    :raises SegmentIncomplete: when the file is shorter than announced (retry later).
    :raises SegmentRejected: ``corrupt`` or ``unsigned`` files.
    """
    prefix = len(MAGIC) + LENGTH_BYTES
    if len(data) < len(MAGIC):
        if MAGIC.startswith(data) or not data.strip(b"\0"):
            raise SegmentIncomplete(_("segment shorter than its magic"))
        raise SegmentRejected(CORRUPT, _("not a segment file"))
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data.rstrip(b"\0")):
            raise SegmentIncomplete(_("segment not written yet (zero-filled)"))
        raise SegmentRejected(CORRUPT, _("not a segment file"))
    if len(data) < prefix:
        raise SegmentIncomplete(_("segment shorter than its header length"))
    (header_length,) = struct.unpack(">I", data[len(MAGIC) : prefix])
    if header_length > MAX_HEADER_BYTES:
        raise SegmentRejected(CORRUPT, _("segment header too long"))
    if len(data) < prefix + header_length:
        raise SegmentIncomplete(_("segment shorter than its header"))
    header_bytes = data[prefix : prefix + header_length]
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        if header_bytes.endswith(b"\0"):
            raise SegmentIncomplete(_("segment header not written yet")) from error
        raise SegmentRejected(CORRUPT, _("segment header is not JSON")) from error
    _check_header(header)
    if header.get("signature") != SIGNATURE_ALGORITHM:
        raise SegmentRejected(UNSIGNED, _("segment is not signed"))
    if canonical_bytes(header) != header_bytes:
        raise SegmentRejected(CORRUPT, _("segment header is not in canonical form"))
    body_end = prefix + header_length + header["body_length"]
    total = body_end + SIGNATURE_BYTES
    if len(data) < total:
        raise SegmentIncomplete(_("segment shorter than announced"))
    if len(data) > total:
        raise SegmentRejected(CORRUPT, _("segment longer than announced"))
    signature = data[body_end:]
    if not signature.strip(b"\0"):
        # A pre-allocating copy fills the file front to back: the tail is still zero.
        raise SegmentIncomplete(_("segment signature not written yet"))
    return Segment(
        header=header,
        signed=data[:body_end],
        header_bytes=header_bytes,
        body=data[prefix + header_length : body_end],
        signature=signature,
        sha256=segment_hash(data),
    )


def _check_header(header: Any) -> None:
    def bad(what: str) -> SegmentRejected:
        return SegmentRejected(CORRUPT, _("segment header: {what}").format(what=what))

    if not isinstance(header, dict):
        raise bad("not an object")
    if header.get("format") != FORMAT:
        raise bad("unknown format")
    if set(header) != HEADER_FIELDS:
        if "signature" not in header and set(header) == HEADER_FIELDS - {"signature"}:
            raise SegmentRejected(UNSIGNED, _("segment is not signed"))
        raise bad("unexpected fields")
    for name in ("first_seq", "last_seq", "op_count", "epoch", "body_length"):
        value = header[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad(name)
    if header["first_seq"] < 1 or header["epoch"] < 1:
        raise bad("seq or epoch")
    if header["last_seq"] - header["first_seq"] + 1 != header["op_count"]:
        raise bad("op_count")
    if header["body_length"] < TAG_BYTES:
        raise bad("body_length")
    for name in ("station", "device", "prev_segment_hash", "nonce"):
        if not isinstance(header[name], str):
            raise bad(name)
    if len(header["nonce"]) != NONCE_BYTES * 2 or len(header["prev_segment_hash"]) != 64:
        raise bad("nonce or hash")


def verify_signature(segment: Segment, public_hex: str) -> None:
    """:raises SegmentRejected: ``bad_signature`` unless the device's key signed it."""
    try:
        verifier(public_hex).verify(segment.signature, segment.signed)
    except InvalidSignature as error:
        raise SegmentRejected(
            BAD_SIGNATURE, _("segment signature does not match its device")
        ) from error


def decrypt_ops(segment: Segment, epoch_key: bytes) -> list[dict[str, Any]]:
    """The ops of a segment whose signature was verified.

    :raises SegmentRejected: ``corrupt`` when the body does not open or does not hold
        exactly the ops the header announces.
    """
    header = segment.header
    try:
        plain = AESGCM(epoch_key).decrypt(
            bytes.fromhex(header["nonce"]), segment.body, segment.header_bytes
        )
        ops = json.loads(plain.decode("utf-8"))
    except (InvalidTag, ValueError, UnicodeDecodeError) as error:
        raise SegmentRejected(CORRUPT, _("segment body does not decrypt")) from error
    expected = list(range(header["first_seq"], header["last_seq"] + 1))
    if (
        not isinstance(ops, list)
        or not all(isinstance(op, dict) for op in ops)
        or [op.get("seq") for op in ops] != expected
        or any(op.get("device_id") != header["device"] for op in ops)
    ):
        raise SegmentRejected(CORRUPT, _("segment body does not match its header"))
    return ops
