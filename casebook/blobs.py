"""Attachment blobs: files outside the database, encrypted in chunks with AES-256-GCM.

Each attachment has its own random 256-bit key, kept in the ``attachment.add`` op (so it is
encrypted in the store and in sync segments) and a random id that names the file. The
blob can therefore travel to the share as it is.

Blob format: ``MAGIC`` (8 bytes), chunk size (4 bytes, big-endian), then per chunk:
ciphertext length (4 bytes) and AES-GCM ciphertext. Chunk ``i`` uses the nonce
``i`` (12 bytes, big-endian) and the associated data ``id|i|last`` so chunks cannot be
reordered, dropped or truncated unnoticed.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casebook.errors import IntegrityError, NotFoundError
from casebook.i18n import _
from casebook.keys import fsync_dir
from casebook.store import private_opener

MAGIC = b"CBBLOB01"
CHUNK_SIZE = 1 << 20
MAX_CHUNK = 64 << 20


def new_attachment_id() -> str:
    return secrets.token_hex(16)


def blob_path(folder: Path, attachment_id: str) -> Path:
    """Where a notebook in ``folder`` keeps the blob of an attachment.

    :raises NotFoundError: for anything that is not an attachment id (never a path outside).
    """
    if not re.fullmatch(r"[0-9a-f]{32}", attachment_id or ""):
        raise NotFoundError(_("No attachment {id}.").format(id=attachment_id))
    return folder / "attachments" / f"{attachment_id}.blob"


def _aad(attachment_id: str, index: int, last: bool) -> bytes:
    return f"{attachment_id}|{index}|{int(last)}".encode("ascii")


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def encrypt_file(
    source: Path, blob_path: Path, attachment_id: str, key: bytes, chunk_size: int = CHUNK_SIZE
) -> tuple[int, str]:
    """Encrypt ``source`` into ``blob_path`` (atomically). Returns (size, sha256 of plaintext)."""
    aead = AESGCM(key)
    digest = hashlib.sha256()
    size = 0
    tmp = blob_path.with_name(blob_path.name + ".part")
    try:
        with open(source, "rb") as reader, open(tmp, "wb", opener=private_opener) as writer:
            writer.write(MAGIC + struct.pack(">I", chunk_size))
            index = 0
            chunk = reader.read(chunk_size)
            while True:
                following = reader.read(chunk_size)
                last = not following
                digest.update(chunk)
                size += len(chunk)
                sealed = aead.encrypt(_nonce(index), chunk, _aad(attachment_id, index, last))
                writer.write(struct.pack(">I", len(sealed)) + sealed)
                if last:
                    break
                chunk, index = following, index + 1
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(tmp, blob_path)
    except BaseException:
        # A full disk or a failing source leaves nothing behind: a stray part would keep
        # the disk full for every later command.
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(blob_path.parent)
    return size, digest.hexdigest()


def decrypt_chunks(blob_path: Path, attachment_id: str, key: bytes) -> Iterator[bytes]:
    """Yield the plaintext chunks.

    :raises IntegrityError: for a missing, truncated, reordered or altered blob.
    """
    aead = AESGCM(key)
    try:
        reader = open(blob_path, "rb")
    except FileNotFoundError as error:
        raise IntegrityError(
            _("Attachment {id} is not on this laptop yet.").format(id=attachment_id)
        ) from error
    with reader:
        header = reader.read(len(MAGIC) + 4)
        if len(header) != len(MAGIC) + 4 or header[: len(MAGIC)] != MAGIC:
            raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
        index = 0
        while True:
            length_bytes = reader.read(4)
            if len(length_bytes) != 4:
                raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
            (length,) = struct.unpack(">I", length_bytes)
            sealed = reader.read(length) if length <= MAX_CHUNK else b""
            if len(sealed) != length or length == 0:
                raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
            last = reader.peek(1)[:1] == b"" if hasattr(reader, "peek") else False
            try:
                yield aead.decrypt(_nonce(index), sealed, _aad(attachment_id, index, last))
            except InvalidTag as error:
                raise IntegrityError(
                    _("Attachment {id} is damaged.").format(id=attachment_id)
                ) from error
            if last:
                return
            index += 1


def verify_blob(blob_path: Path, attachment_id: str, key: bytes, sha256: str) -> None:
    """Check a whole blob against the recorded plaintext hash, without keeping it."""
    digest = hashlib.sha256()
    for chunk in decrypt_chunks(blob_path, attachment_id, key):
        digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
