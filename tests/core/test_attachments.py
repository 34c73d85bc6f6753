"""Attachments (casebook.attachments and the blob format in casebook.blobs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import IntegrityError, Notebook, NotFoundError


def test_attachments_detect_tampering(notebook: Notebook, tmp_path: Path):
    case = notebook.create_case("incident", {"title": "附件"})
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 9000)
    attachment = notebook.attach(case.id, source)
    assert notebook.read_attachment(attachment.id) == source.read_bytes()
    blob = notebook.attachment_blob_path(attachment.id)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        notebook.read_attachment(attachment.id)
    blob.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(IntegrityError):
        notebook.read_attachment(attachment.id)
    with pytest.raises(NotFoundError):
        notebook.read_attachment("0" * 32)
