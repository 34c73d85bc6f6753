"""The command-line contract, driven as a script would: real processes, CASEBOOK_PASSPHRASE."""

from __future__ import annotations

import json

from casebook import Notebook
from tests.conftest import PASSPHRASE, cli_env


def init(run_cli):
    result = run_cli(
        "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
    )
    assert result.code == 0, result


def op_count(notebook_dir) -> int:
    with Notebook.open(notebook_dir, PASSPHRASE, load_plugins=False) as nb:
        return nb.verify_audit()["ops"]


def test_script_workflow(run_cli, notebook_dir, tmp_path):
    init(run_cli)
    created = run_cli(
        "case",
        "new",
        "--type",
        "incident",
        input=json.dumps({"title": "张三 电动车被盗", "location": "梁溪区"}),
    )
    assert created.code == 0, created
    case_id = created.out.strip()
    assert len(case_id) == 32

    fields = tmp_path / "update.json"
    fields.write_text(json.dumps({"location": "滨湖区 Taihu Road"}), encoding="utf-8")
    assert run_cli("case", "update", case_id, "--file", str(fields)).code == 0
    assert run_cli("case", "note", case_id, "走访邻居，调取监控").code == 0
    assert run_cli("case", "status", case_id, "accepted", "--reason", "符合受案条件").code == 0

    shown = run_cli("case", "show", case_id, "--json").json()
    assert shown["fields"]["location"] == "滨湖区 Taihu Road"
    assert shown["status"] == "accepted"
    assert {"id", "type", "status", "title", "fields", "entries", "conflicts"} <= set(shown)
    assert [e["kind"] for e in shown["entries"]] == ["note", "status"]

    listed = run_cli("case", "list", "--json").json()
    assert [c["id"] for c in listed] == [case_id]
    assert run_cli("case", "list", "--status", "closed", "--json").json() == []

    for query in ("三", "张三", "监控", "taihu", "TAIHU ROAD"):
        found = run_cli("search", query, "--json").json()
        assert [c["id"] for c in found] == [case_id], query

    assert run_cli("audit", "verify").code == 0
    before = run_cli("case", "show", case_id, "--json").json()
    assert run_cli("rebuild").code == 0
    assert run_cli("case", "show", case_id, "--json").json() == before
    assert run_cli("tasks", "--json").code == 0
    assert run_cli("alerts", "--json").code == 0
    history = run_cli("case", "history", case_id, "--json").json()
    # The findings the legal review raised are recorded with the writes that raised them.
    changes = [op["kind"] for op in history if not op["kind"].startswith("finding.")]
    assert changes[:2] == ["case.create", "case.set"]


def test_wrong_passphrase_exits_3(run_cli, notebook_dir):
    init(run_cli)
    result = run_cli(
        "case", "list", env=cli_env(notebook_dir, CASEBOOK_PASSPHRASE="not the passphrase")
    )
    assert result.code == 3
    assert "Wrong passphrase" in result.err
    assert "Traceback" not in result.err


def test_invalid_json_and_schema_violations_exit_1_and_write_nothing(run_cli, notebook_dir):
    init(run_cli)
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "t"}').out.strip()
    before = op_count(notebook_dir)

    bad_json = run_cli("case", "new", "--type", "incident", input='{"title": ')
    assert bad_json.code == 1 and "Invalid JSON" in bad_json.err and "Traceback" not in bad_json.err

    wrong_type = run_cli("case", "update", case_id, input='{"title": 42}')
    assert wrong_type.code == 1 and "title" in wrong_type.err

    unknown = run_cli("case", "new", "--type", "incident", input='{"title": "x", "colour": "red"}')
    assert unknown.code == 1 and "colour" in unknown.err

    missing = run_cli("case", "new", "--type", "incident", input='{"location": "x"}')
    assert missing.code == 1 and "title" in missing.err

    not_object = run_cli("case", "new", "--type", "incident", input="[1, 2]")
    assert not_object.code == 1

    unknown_type = run_cli("case", "new", "--type", "spaceship", input="{}")
    assert unknown_type.code == 1 and "spaceship" in unknown_type.err

    assert op_count(notebook_dir) == before


def test_messages_are_chinese_by_default(run_cli, notebook_dir):
    init(run_cli)
    result = run_cli(
        "case",
        "new",
        "--type",
        "incident",
        input='{"title": 42}',
        env=cli_env(notebook_dir, CASEBOOK_LANG=""),
    )
    assert result.code == 1
    assert "title" in result.err and "标题" in result.err and "错误" in result.err


def test_usage_error_exits_2(run_cli):
    assert run_cli("no-such-command").code == 2
    assert run_cli("case", "new").code == 2


def test_missing_notebook_is_a_clear_error(run_cli):
    result = run_cli("case", "list")
    assert result.code == 1
    assert "casebook init" in result.err


def test_tampered_log_exits_4(run_cli, notebook_dir):
    init(run_cli)
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "原始"}').out.strip()
    with Notebook.open(notebook_dir, PASSPHRASE, load_plugins=False) as nb:
        nb.conn.execute(
            "UPDATE ops SET body = replace(body, '原始', '篡改') WHERE case_id = ?", (case_id,)
        )
    result = run_cli("audit", "verify")
    assert result.code == 4
    assert "altered" in result.err


def test_attachment_round_trip(run_cli, notebook_dir, tmp_path):
    init(run_cli)
    case_id = run_cli("case", "new", "--type", "incident", input='{"title": "x"}').out.strip()
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(bytes(range(256)) * 5000)
    attachment_id = run_cli("case", "attach", case_id, str(photo)).out.strip()
    out = tmp_path / "out"
    out.mkdir()
    exported = run_cli("case", "export", attachment_id, str(out))
    assert exported.code == 0, exported
    assert (out / "现场照片.jpg").read_bytes() == photo.read_bytes()
    blobs = list((notebook_dir / "attachments").iterdir())
    assert [b.name for b in blobs] == [f"{attachment_id}.blob"]


def test_bulk_import_from_json_lines(run_cli, notebook_dir, tmp_path):
    init(run_cli)
    lines = tmp_path / "cases.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps({"title": f"导入{i}", "location": "滨湖区"}, ensure_ascii=False)
            for i in range(250)
        )
        + "\n",
        encoding="utf-8",
    )
    result = run_cli("case", "import", str(lines), "--type", "incident")
    assert result.code == 0, result
    assert "250" in result.out
    assert len(run_cli("case", "list", "--limit", "1000", "--json").json()) == 250
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "好"}\n{"title": 5}\n', encoding="utf-8")
    refused = run_cli("case", "import", str(bad), "--type", "incident")
    assert refused.code == 1 and "Record 2" in refused.err and "title" in refused.err
    assert len(run_cli("case", "list", "--limit", "1000", "--json").json()) == 250
