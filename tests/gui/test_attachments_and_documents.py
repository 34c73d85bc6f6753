"""Attachments (add, preview, export, a corrupt file) and printing a case document."""

from __future__ import annotations

import pytest
from PIL import Image

pytestmark = pytest.mark.gui


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场照片.png"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(path)
    return path


def test_add_preview_export_and_a_corrupt_file(app, photo, tmp_path):
    nb = app.app.nb
    case = nb.create_case("incident", {"title": "电动车被盗"})
    view = app.shell.open_case(case.id)
    view.on_add_attachment(str(photo))
    view = app.shell.case_view
    attachment = nb.get_case(case.id).attachments[0]
    view.tabs.select(2)
    view.attachment_tree.selection_set(attachment.id)
    app.pump()
    assert view.preview_image is not None
    assert view.preview_image.width() <= 520

    exported = tmp_path / "exported.png"
    view.on_export_attachment(str(exported))
    assert exported.read_bytes() == photo.read_bytes()

    blob = nb.attachment_blob_path(attachment.id)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    view.attachment_tree.selection_remove(attachment.id)
    app.pump()
    view.attachment_tree.selection_set(attachment.id)
    app.pump()
    assert view.preview_image is None
    assert "cannot be shown" in view.preview.cget("text")
    assert app.root.winfo_exists()


def test_print_a_receipt(app, tmp_path):
    nb = app.app.nb
    case = nb.create_case(
        "incident", {"title": "手机被扒窃", "channel": "walk_in", "reporter_name": "张三"}
    )
    view = app.shell.open_case(case.id)
    names = [d.name for d in view.documents]
    assert names, "the receipt plugin offers a document"
    target = tmp_path / "receipt.pdf"
    view.on_render_document(names[0], str(target))
    assert target.read_bytes().startswith(b"%PDF")
    assert "receipt.pdf" in app.notice()
    # Printing recorded the receipt, and the view shows it.
    assert nb.get_case(case.id).fields["receipt_issued"] is True
    assert app.shell.case_view.case.fields["receipt_issued"] is True


def test_print_the_file_of_a_missing_person(app, tmp_path):
    nb = app.app.nb
    case = nb.create_case(
        "missing_person",
        {
            "name": "李小梅",
            "last_seen_at": "2025-03-01T07:30:00+08:00",
            "last_seen_place": "新吴实验中学门口",
            "reported_at": "2025-03-01T10:00:00+08:00",
            "channel": "walk_in",
        },
    )
    view = app.shell.open_case(case.id)
    # The Print menu is built from the registered documents: the ledger comes with the plugin.
    labels = [
        view.document_menu.entrycget(index, "label")
        for index in range(view.document_menu.index("end") + 1)
    ]
    ledger = next(d for d in view.documents if d.name == "ledger")
    assert ledger.title in labels
    app.screenshot(tmp_path / "case-with-ledger.png")
    target = tmp_path / "ledger.pdf"
    assert view.on_render_document("ledger", str(target))
    assert target.read_bytes().startswith(b"%PDF")
    assert "ledger.pdf" in app.notice()
