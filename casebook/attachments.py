"""Attachments of a notebook: files attached to cases, encrypted in blobs beside the store.

The blob format is :mod:`casebook.blobs`; each file's key travels in its ``attachment.add`` op.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
import shutil
from pathlib import Path

from casebook import blobs, store
from casebook.cases import Cases
from casebook.errors import IntegrityError, InvalidInputError, NotFoundError
from casebook.findings import Findings
from casebook.i18n import _
from casebook.journal import Journal
from casebook.keys import b64d, b64e
from casebook.models import Attachment
from casebook.queries import Queries
from casebook.session import Session
from casebook.tasks import Tasks


class Attachments:
    """Attaching, reading and exporting files; fetching blobs that sync brings."""

    def __init__(
        self,
        session: Session,
        journal: Journal,
        queries: Queries,
        cases: Cases,
        tasks: Tasks,
        findings: Findings,
        folder: Path,
    ) -> None:
        self.session = session
        self.journal = journal
        self.queries = queries
        self.cases = cases
        self.tasks = tasks
        self.findings = findings
        self.folder = folder

    def _blob_path(self, attachment_id: str) -> Path:
        return blobs.blob_path(self.folder, attachment_id)

    def attach(
        self, case_id: str, path: str | os.PathLike, *, name: str | None = None
    ) -> Attachment:
        """Encrypt a file into the notebook and attach it to a case."""
        case = self.queries.get_case(case_id)
        self.cases.refuse_deleted(case)
        source = Path(path)
        if not source.is_file():
            raise InvalidInputError(_("Not a file: {path}").format(path=source))
        attachment_id = blobs.new_attachment_id()
        file_key = secrets.token_bytes(32)
        blob_path = self._blob_path(attachment_id)
        try:
            store.make_private_dir(blob_path.parent)
            size, digest = blobs.encrypt_file(source, blob_path, attachment_id, file_key)
        except OSError as error:  # a full disk, a read-only folder: nothing was left behind
            raise store.storage_error(error) from error
        display_name = (name or source.name)[:255]
        try:
            with self.session.transaction(), self.findings.recording(case_id):
                self.journal.append(
                    "attachment.add",
                    case_id,
                    {
                        "attachment_id": attachment_id,
                        "name": display_name,
                        "size": size,
                        "media_type": mimetypes.guess_type(display_name)[0]
                        or "application/octet-stream",
                        "sha256": digest,
                        "file_key": b64e(file_key),
                    },
                )
        except BaseException:
            blob_path.unlink(missing_ok=True)
            raise
        return next(a for a in self.tasks.saved(case_id).attachments if a.id == attachment_id)

    def _attachment_key(self, attachment_id: str) -> tuple[bytes, str]:
        rows = self.session.query(
            "SELECT file_key, sha256 FROM attachments WHERE attachment_id = ?", (attachment_id,)
        )
        if not rows:
            raise NotFoundError(_("No attachment {id}.").format(id=attachment_id))
        return b64d(rows[0][0]), rows[0][1]

    def read_attachment(self, attachment_id: str) -> bytes:
        """The decrypted contents. :raises IntegrityError: missing or damaged blob."""
        key, digest = self._attachment_key(attachment_id)
        data = b"".join(blobs.decrypt_chunks(self._blob_path(attachment_id), attachment_id, key))
        if hashlib.sha256(data).hexdigest() != digest:
            raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
        return data

    def export_attachment(
        self, attachment_id: str, dest: str | os.PathLike, *, overwrite: bool = True
    ) -> Path:
        """Decrypt an attachment to ``dest`` (a file, or a folder to put it in by its name).

        :param overwrite: replace an existing file (the CLI passes False unless ``--force``).
        :raises InvalidInputError: the folder does not exist (none is created), or the file
            exists and ``overwrite`` is False.
        :raises StorageError: the disk failed; no part of the file is left behind.
        """
        key, digest = self._attachment_key(attachment_id)
        target = Path(dest)
        if target.is_dir():
            name = self.session.query(
                "SELECT name FROM attachments WHERE attachment_id = ?", (attachment_id,)
            )[0][0]
            target = target / Path(name).name
        store.check_output_file(target, overwrite=overwrite)
        hasher = hashlib.sha256()
        tmp = target.with_name(target.name + ".part")
        try:
            with open(tmp, "wb") as writer:
                for chunk in blobs.decrypt_chunks(
                    self._blob_path(attachment_id), attachment_id, key
                ):
                    hasher.update(chunk)
                    writer.write(chunk)
            if hasher.hexdigest() != digest:
                raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
            os.replace(tmp, target)
        except OSError as error:
            raise store.storage_error(error) from error
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def attachment_blob_path(self, attachment_id: str) -> Path | None:
        """The encrypted blob of an attachment, or None when it is not on this laptop yet."""
        self._attachment_key(attachment_id)
        path = self._blob_path(attachment_id)
        return path if path.exists() else None

    def missing_attachments(self) -> list[str]:
        """Attachments known from the log whose blob is not here yet (for sync to fetch)."""
        return [
            r[0]
            for r in self.session.query("SELECT attachment_id FROM attachments ORDER BY added_hlc")
            if not self._blob_path(r[0]).exists()
        ]

    def import_attachment_blob(self, attachment_id: str, source: str | os.PathLike) -> None:
        """Store an encrypted blob fetched from elsewhere, after checking it decrypts to the
        recorded contents. :raises IntegrityError: when it does not."""
        key, digest = self._attachment_key(attachment_id)
        target = self._blob_path(attachment_id)
        tmp = target.with_name(target.name + ".incoming")
        try:
            store.make_private_dir(target.parent)
            with (
                open(source, "rb") as reader,
                open(tmp, "wb", opener=store.private_opener) as writer,
            ):
                shutil.copyfileobj(reader, writer)
            blobs.verify_blob(tmp, attachment_id, key, digest)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
