"""The front door's lifecycle: keys, locking, opening notebooks written by earlier versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import AuthenticationError, Notebook
from casebook.clock import format_hlc
from tests.conftest import PASSPHRASE


def test_change_passphrase_rewraps_without_reencrypting(notebook_dir: Path, notebook: Notebook):
    from casebook.keys import KeyFile

    notebook.create_case("incident", {"title": "保留"})
    notebook.close()
    salt = (notebook_dir / "notebook.db").read_bytes()[:16]
    data_key = KeyFile.load(notebook_dir).unwrap(PASSPHRASE)
    with Notebook.open(notebook_dir, PASSPHRASE) as nb:
        with pytest.raises(AuthenticationError):
            nb.change_passphrase("wrong", "new one")
        nb.change_passphrase(PASSPHRASE, "new one")
    # Same data key and same SQLCipher salt: the data was not re-encrypted.
    assert KeyFile.load(notebook_dir).unwrap("new one") == data_key
    assert (notebook_dir / "notebook.db").read_bytes()[:16] == salt
    with pytest.raises(AuthenticationError):
        Notebook.open(notebook_dir, PASSPHRASE)
    with Notebook.open(notebook_dir, "new one") as nb:
        assert [c.title for c in nb.list_cases()] == ["保留"]


def test_lock_drops_access_until_unlocked(notebook: Notebook):
    notebook.create_case("incident", {"title": "锁定前"})
    notebook.lock()
    assert notebook.is_locked
    with pytest.raises(AuthenticationError):
        notebook.list_cases()
    with pytest.raises(AuthenticationError):
        notebook.unlock("wrong")
    notebook.unlock(PASSPHRASE)
    assert [c.title for c in notebook.list_cases()] == ["锁定前"]


def test_views_written_in_an_older_layout_are_recomputed_when_opened(
    notebook_dir: Path, notebook: Notebook
):
    import json

    case = notebook.create_case("incident", {"title": "旧版本的案件", "summary": "王五 手机遗失"})
    # The first layout stored every value with its writer: {field: [[device, seq, hlc, value, officer]]}.
    registers = {
        name: [[notebook.device_id, 1, 0, value, "0001"]] for name, value in case.fields.items()
    }
    with notebook.session.transaction():
        notebook.conn.execute(
            "UPDATE cases SET registers = ?", (json.dumps(registers, ensure_ascii=False),)
        )
        notebook.conn.execute("DELETE FROM meta WHERE key = 'views_version'")
    notebook.close()
    reopened = Notebook.open(notebook_dir, PASSPHRASE)
    try:
        assert reopened.get_case(case.id).fields == case.fields
        assert [hit.id for hit in reopened.search("王五")] == [case.id]
    finally:
        reopened.close()


def test_a_notebook_saved_by_an_earlier_version_opens_whole(tmp_path: Path):
    """tests/fixtures/saved_notebook.zip was written by the version before the core was split
    into parts (tests/fixtures/make_saved_notebook.py): cases of every built-in type, entries,
    completed callbacks, an attachment, a setting, a conflict, a review, a second laptop's ops
    and one received op still waiting for its predecessor. (Its expected state digest is the
    one of the views since findings are history: they include the findings its reviews
    recorded.)"""
    import json
    import zipfile

    fixtures = Path(__file__).parent.parent / "fixtures"
    expected = json.loads((fixtures / "saved_notebook.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(fixtures / "saved_notebook.zip") as archive:
        archive.extractall(tmp_path / "saved")
    with Notebook.open(tmp_path / "saved", PASSPHRASE) as nb:
        assert nb.state_digest() == expected["state_digest"]
        assert nb.verify_audit() == expected["audit"]
        assert nb.known_seqs() == expected["known_seqs"]
        assert nb.waiting_count() == expected["waiting"]
        cases = [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "fields": c.fields,
                "entries": [e.text for e in c.entries],
                "attachments": [a.name for a in c.attachments],
                "conflicts": [x.field for x in c.conflicts],
            }
            for c in nb.iter_cases()
        ]
        assert cases == expected["cases"]
        at = "2025-06-02T10:00:00+08:00"
        assert sorted(t.id for t in nb.tasks(at, include_upcoming=True)) == expected["tasks"]
        assert {r.case_id: r.score for r in nb.recorded_reviews()} == expected["reviews"]
        # Its reviews are read as finding history, raised when first recorded.
        reviews = [
            op
            for device in nb.known_seqs()
            for op in nb.ops_from(device, 0)
            if op["kind"] == "review.record"
        ]
        first_recorded = {}
        for op in sorted(reviews, key=lambda op: (op["hlc"], op["device_id"])):
            for finding in op["payload"]["findings"]:
                first_recorded.setdefault(finding["id"], op["hlc"])
        history = {f.id: f for r in nb.recorded_reviews() for f in r.findings}
        assert first_recorded and set(history) == set(first_recorded)
        for finding_id, hlc in first_recorded.items():
            assert history[finding_id].recorded
            assert history[finding_id].raised_at == format_hlc(hlc)
        key, value = expected["setting"]
        assert nb.setting(key) == value
        case_id, text = expected["attachment"]
        attachment = nb.get_case(case_id).attachments[0]
        assert nb.read_attachment(attachment.id).decode("utf-8") == text
        assert nb.preference("language") == "zh_CN"
        # It goes on: new ops chain to the saved ones, and a rebuild gives the same state.
        nb.add_entry(case_id, "note", "升级后的记录")
        audit = nb.verify_audit()
        assert audit["ops"] > expected["audit"]["ops"]
        digest = nb.state_digest()
        nb.rebuild()
        assert nb.state_digest() == digest
