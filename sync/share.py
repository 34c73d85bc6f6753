"""The station share: a plain folder that laptops use as a mailbox, never as the authority.

This module knows the layout of the share and how to write to it safely. It knows nothing
about cryptography or notebooks::

    <share>/casebook-station.json      signed marker (station id, format, admin public keys)
    <share>/casebook-admin.key         the admin private keys, sealed with the admin passphrase
    members/<device>.json              a member's public keys, signed by the admin
    requests/<device>.json             a join request, signed by the device itself
    keys/<epoch>/<device>.key          the epoch key wrapped to one member (or to ``admin``)
    revoked/<device>.json              a signed cut-off: {device, last accepted seq, new epoch}
    log/<device>/<seq>.seg             write-once segments; seq = first op seq, 16 hex digits
    blobs/<id>.blob                    encrypted attachments, copied as the notebook stores them
    tmp/<device>/                      staging of the writer ``device``

Every write is *publish once*: the bytes go to ``tmp/<device>/``, are flushed and fsynced,
then hard-linked to their final name (which fails instead of overwriting), then read back and
compared. Nothing here relies on locks or on file modification times, which SMB and NFS
report coarsely or wrongly.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from casebook.errors import IntegrityError, InvalidInputError
from casebook.i18n import _
from casebook.keys import fsync_dir

MARKER_NAME = "casebook-station.json"
ADMIN_KEY_NAME = "casebook-admin.key"
ADMIN_KEY_HOLDER = "admin"
FOLDERS = ("members", "requests", "keys", "revoked", "log", "blobs", "tmp")

#: device ids and blob ids are lowercase hex or lowercase words with dashes, never paths.
DEVICE_ID_PATTERN = re.compile(r"^[0-9a-z][0-9a-z_-]{0,127}$")
BLOB_ID_PATTERN = re.compile(r"^[0-9a-z][0-9a-z_-]{0,127}$")
SEGMENT_NAME_PATTERN = re.compile(r"^([0-9a-f]{16})\.seg$")
EPOCH_PATTERN = re.compile(r"^[0-9]{1,9}$")
SEQ_DIGITS = 16
COPY_CHUNK_BYTES = 1024 * 1024


class ShareUnavailableError(InvalidInputError):
    """The share is missing, unmounted, empty or has no station marker.

    Sync stops and deletes nothing. Exit code 1, like any refused operation.
    """


class ShareExistsError(InvalidInputError):
    """A write-once file already exists with different content."""


def segment_name(first_seq: int) -> str:
    """The file name of a segment whose first op has ``first_seq``.

    >>> segment_name(1)
    '0000000000000001.seg'
    """
    return f"{first_seq:0{SEQ_DIGITS}x}.seg"


def parse_segment_name(name: str) -> int | None:
    """The first seq encoded in a segment file name, or None for any other file."""
    match = SEGMENT_NAME_PATTERN.match(name)
    return int(match.group(1), 16) if match else None


def check_device_id(device_id: str) -> str:
    """Refuse a device id that could escape its folder on the share."""
    if not isinstance(device_id, str) or not DEVICE_ID_PATTERN.match(device_id):
        raise InvalidInputError(_("Not a valid device id: {device}").format(device=device_id))
    return device_id


class StationShare:
    """Paths and safe file operations on one station share.

    :param root: the share folder (a mounted network folder or a local folder).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # --- paths -----------------------------------------------------------------------

    @property
    def marker_path(self) -> Path:
        return self.root / MARKER_NAME

    @property
    def admin_key_path(self) -> Path:
        return self.root / ADMIN_KEY_NAME

    def member_path(self, device_id: str) -> Path:
        return self.root / "members" / f"{check_device_id(device_id)}.json"

    def request_path(self, device_id: str) -> Path:
        return self.root / "requests" / f"{check_device_id(device_id)}.json"

    def revocation_path(self, device_id: str) -> Path:
        return self.root / "revoked" / f"{check_device_id(device_id)}.json"

    def key_path(self, epoch: int, holder: str) -> Path:
        return self.root / "keys" / str(int(epoch)) / f"{check_device_id(holder)}.key"

    def log_dir(self, device_id: str) -> Path:
        return self.root / "log" / check_device_id(device_id)

    def segment_path(self, device_id: str, first_seq: int) -> Path:
        return self.log_dir(device_id) / segment_name(first_seq)

    def blob_path(self, blob_id: str) -> Path:
        if not isinstance(blob_id, str) or not BLOB_ID_PATTERN.match(blob_id):
            raise IntegrityError(_("Not a valid attachment id: {id}").format(id=blob_id))
        return self.root / "blobs" / f"{blob_id}.blob"

    def tmp_dir(self, writer: str) -> Path:
        return self.root / "tmp" / check_device_id(writer)

    # --- availability ----------------------------------------------------------------

    def check_available(self) -> None:
        """Stop unless the share is there and holds a station.

        An unmounted network folder often looks like an empty local folder, so an empty
        listing is treated exactly like a missing folder: stop, and delete nothing.

        :raises ShareUnavailableError: with a message that says what is wrong.
        """
        try:
            if not self.root.is_dir():
                raise ShareUnavailableError(
                    _(
                        "The station share {path} is not reachable (not mounted?). "
                        "Nothing was changed."
                    ).format(path=self.root)
                )
            entries = os.listdir(self.root)
        except OSError as error:
            raise ShareUnavailableError(
                _("The station share {path} cannot be read: {error}. Nothing was changed.").format(
                    path=self.root, error=error.strerror or error
                )
            ) from error
        if not entries:
            raise ShareUnavailableError(
                _("The station share {path} is empty (not mounted?). Nothing was changed.").format(
                    path=self.root
                )
            )
        if MARKER_NAME not in entries:
            raise ShareUnavailableError(
                _(
                    "No station marker ({marker}) in {path}: this is not a station share, or it "
                    "is not mounted. Nothing was changed."
                ).format(marker=MARKER_NAME, path=self.root)
            )

    def create_layout(self) -> None:
        """Create the fixed folders (used by ``station init``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in FOLDERS:
            (self.root / folder).mkdir(exist_ok=True)

    # --- listing ---------------------------------------------------------------------

    def list_names(self, folder: Path) -> list[str]:
        """Names in ``folder``; a missing folder lists as empty."""
        try:
            return os.listdir(folder)
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            return []

    def list_devices(self, folder: str) -> Iterator[str]:
        """Device ids that have a ``<device>.json`` file (or a log folder) in ``folder``."""
        for name in self.list_names(self.root / folder):
            stem = name[:-5] if name.endswith(".json") else name
            if folder != "log" and not name.endswith(".json"):
                continue
            if DEVICE_ID_PATTERN.match(stem):
                yield stem

    def list_epochs(self) -> list[int]:
        return sorted(int(n) for n in self.list_names(self.root / "keys") if EPOCH_PATTERN.match(n))

    def list_segments(self, device_id: str) -> dict[int, str]:
        """``{first_seq: file name}`` of the segment files in a device's log folder.

        Other names (replicator temp files, editor backups) are ignored, never touched.
        """
        found: dict[int, str] = {}
        for name in self.list_names(self.log_dir(device_id)):
            first = parse_segment_name(name)
            if first is not None:
                found[first] = name
        return found

    # --- reading and publishing ------------------------------------------------------

    @staticmethod
    def read_bytes(path: Path) -> bytes | None:
        """The content of ``path``, or None when it is not there (yet)."""
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def _stage_and_link(self, final: Path, writer: str, fill: Callable[[BinaryIO], object]) -> bool:
        """Write a file in the writer's ``tmp/`` folder, fsync it, and link it to ``final``
        without ever overwriting. :returns: whether this call created ``final``."""
        staging = self.tmp_dir(writer)
        self._make_folder(staging)
        self._make_folder(final.parent)
        tmp = staging / f"{secrets.token_hex(8)}.tmp"
        try:
            with open(tmp, "xb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            created = self._link_no_overwrite(tmp, final)
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        fsync_dir(final.parent)
        return created

    def publish(self, final: Path, data: bytes, *, writer: str) -> bool:
        """Write ``data`` to ``final`` once: tmp, fsync, link without overwrite, read back.

        :param final: the final path on the share.
        :param data: the complete file content.
        :param writer: the device id whose ``tmp/`` folder stages the write.
        :returns: True when this call created the file, False when the identical file was
            already there (a retry after a crash).
        :raises ShareExistsError: when a different file already has that name.
        :raises IntegrityError: when the read-back differs from what was written.
        """
        existing = self.read_bytes(final)
        if existing is not None:
            if existing == data:
                return False
            raise ShareExistsError(
                _(
                    "{path} already exists on the share with other content; it was not overwritten."
                ).format(path=final)
            )
        if not self._stage_and_link(final, writer, lambda handle: handle.write(data)):
            return self.publish(final, data, writer=writer)
        if self.read_bytes(final) != data:
            raise IntegrityError(
                _(
                    "{path} reads back different from what was written; the share is unreliable."
                ).format(path=final)
            )
        return True

    def remove_damaged(self, final: Path, *, writer: str) -> None:
        """Take a damaged copy of one of the writer's own files off the share (so that
        :meth:`publish` can put the good one back). It is moved into the writer's ``tmp/``
        folder first, so a reader never sees half a removal."""
        staging = self.tmp_dir(writer)
        staging.mkdir(parents=True, exist_ok=True)
        aside = staging / f"{secrets.token_hex(8)}.damaged"
        try:
            os.replace(final, aside)
        except FileNotFoundError:
            return
        aside.unlink(missing_ok=True)

    def publish_copy(self, final: Path, source: Path, *, writer: str) -> bool:
        """Like :meth:`publish` for a large file (an attachment blob), copied in chunks.

        :returns: True when this call created the file, False when an identical one existed.
        """
        size = source.stat().st_size
        if final.exists():
            if final.stat().st_size == size and _sha256_file(final) == _sha256_file(source):
                return False
            raise ShareExistsError(
                _(
                    "{path} already exists on the share with other content; it was not overwritten."
                ).format(path=final)
            )

        def copy(handle: BinaryIO) -> None:
            with open(source, "rb") as reader:
                while chunk := reader.read(COPY_CHUNK_BYTES):
                    handle.write(chunk)

        if not self._stage_and_link(final, writer, copy):
            return self.publish_copy(final, source, writer=writer)
        if _sha256_file(final) != _sha256_file(source):
            raise IntegrityError(
                _(
                    "{path} reads back different from what was written; the share is unreliable."
                ).format(path=final)
            )
        return True

    @staticmethod
    def _link_no_overwrite(source: Path, final: Path) -> bool:
        """Give ``source`` the name ``final`` unless that name exists. False if it did."""
        try:
            os.link(source, final)
            return True
        except FileExistsError:
            return False
        except OSError as error:
            # Some SMB servers refuse hard links. Only this device writes the names it
            # publishes, so a check then rename is safe enough there; os.replace is never
            # used because it would overwrite.
            if error.errno not in (
                errno.EPERM,
                errno.ENOTSUP,
                errno.EOPNOTSUPP,
                errno.EXDEV,
                errno.EMLINK,
                getattr(errno, "ENOSYS", -1),
            ):
                raise
            if final.exists():
                return False
            os.rename(source, final)
            return True

    def _make_folder(self, folder: Path) -> None:
        """Create a folder inside the share (and its parents up to the share), never the share
        itself: a network folder that vanishes in the middle of a pass must not come back as
        an empty local folder under its mount point.

        :raises ShareUnavailableError: when the share is gone.
        """
        current = self.root
        for part in folder.relative_to(self.root).parts:
            current = current / part
            try:
                current.mkdir(exist_ok=True)
            except FileNotFoundError as error:
                raise ShareUnavailableError(
                    _(
                        "The station share {path} is not reachable (not mounted?). "
                        "Nothing was changed."
                    ).format(path=self.root)
                ) from error

    def clear_staging(self, writer: str) -> int:
        """Remove leftovers of this writer's interrupted writes. Returns how many.

        Only ``tmp/<writer>/`` is touched: another laptop may be writing in its own.
        """
        removed = 0
        for name in self.list_names(self.tmp_dir(writer)):
            if name.endswith(".tmp"):
                try:
                    (self.tmp_dir(writer) / name).unlink()
                    removed += 1
                except OSError:
                    pass
        return removed


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
