"""The plugin author's path (docs/plugin_tutorial.md): scaffold, dry run, keygen, sign, trust,
install and the rule's findings in review; the worked theft-value example; and the contract
points a plugin author meets (signer, name clashes, warnings, failing checks, titles)."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casebook import Finding, InvalidInputError, Notebook, PluginError, Problem, hookimpl
from casebook.publishing import load_key, public_key_of, write_signature
from tests.conftest import PASSPHRASE, cli_env

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "theft_value"
EXAMPLE_PUBLISHER = "示例区法制大队"
EXAMPLE_KEY_PASSPHRASE = "example key, not secret"
INIT = ("init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所")


def op_count(run_cli) -> int:
    return run_cli("audit", "verify", "--json").json()["ops"]


def test_the_tutorial_from_scaffold_to_findings_in_review(run_cli, notebook_dir, tmp_path):
    created = run_cli(
        "plugins", "new", "night_rules", "--dir", str(tmp_path), "--publisher", "法制大队"
    )
    assert created.code == 0, created
    plugin = tmp_path / "night_rules" / "night_rules.py"
    assert created.out.split() == [str(plugin), str(plugin.with_name("test_night_rules.py"))]
    again = run_cli("plugins", "new", "night_rules", "--dir", str(tmp_path))
    assert again.code == 1 and "already exists" in again.err
    # The scaffold's own test passes against a temporary notebook.
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(plugin.parent)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout[-2000:]
    assert "3 passed" in tested.stdout

    assert run_cli(*INIT).code == 0
    late = run_cli(
        "case",
        "new",
        "--type",
        "incident",
        input=json.dumps({"title": "电动车被盗", "reported_at": "2026-01-05T09:00:00+08:00"}),
    ).out.strip()
    # A dry run finds it, installs nothing and writes nothing.
    before = op_count(run_cli)
    tried = run_cli("plugins", "try", str(plugin))
    assert tried.code == 0, tried
    assert late in tried.out and "night_rules.not_accepted" in tried.out
    assert "Nothing was installed or recorded." in tried.out
    assert op_count(run_cli) == before
    assert "night_rules" not in {p["name"] for p in run_cli("plugins", "list", "--json").json()}

    env = cli_env(notebook_dir, CASEBOOK_PUBLISHER_PASSPHRASE="publisher secret")
    key = tmp_path / "publisher.pem"
    public_key = run_cli("plugins", "keygen", str(key), env=env).out.strip()
    signed = run_cli(
        "plugins", "sign", str(plugin), "--key", str(key), "--publisher", "法制大队", env=env
    )
    assert signed.code == 0, signed
    trusted = run_cli("plugins", "trust", "法制大队", public_key)
    assert trusted.code == 0 and "法制大队" in trusted.out and public_key in trusted.out
    installed = run_cli("plugins", "install", str(plugin))
    assert installed.code == 0, installed
    review = run_cli("review", late)
    assert review.code == 0 and "night_rules.not_accepted" in review.out, review
    assert review.err == ""  # no warning: every rule ran


def example_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    for name in ("theft_value.py", "theft_value.py.sig"):
        shutil.copyfile(EXAMPLE / name, folder / name)
    return folder / "theft_value.py"


def test_the_committed_example_signature_is_the_test_key_s():
    key = load_key(EXAMPLE / "test_publisher.pem", EXAMPLE_KEY_PASSPHRASE)
    signature = json.loads((EXAMPLE / "theft_value.py.sig").read_text(encoding="utf-8"))
    assert signature["public_key"] == public_key_of(key)
    assert signature["publisher"] == EXAMPLE_PUBLISHER
    assert public_key_of(key) in (ROOT / "docs" / "plugin_tutorial.md").read_text("utf-8")


def test_the_theft_value_example_end_to_end(run_cli, notebook_dir, tmp_path):
    public_key = public_key_of(load_key(EXAMPLE / "test_publisher.pem", EXAMPLE_KEY_PASSPHRASE))
    plugin = example_copy(tmp_path)
    assert run_cli(*INIT).code == 0
    assert run_cli("plugins", "trust", EXAMPLE_PUBLISHER, public_key).code == 0
    installed = run_cli("plugins", "install", str(plugin))
    assert installed.code == 0, installed

    def new_case(fields: dict) -> str:
        result = run_cli("case", "new", "--type", "incident", input=json.dumps(fields))
        assert result.code == 0, result
        return result.out.strip()

    reported = "2026-03-01T09:00:00+08:00"
    unfiled = new_case({"title": "电动车被盗", "reported_at": reported, "stolen_value": 8200})
    small = new_case({"title": "自行车被盗", "reported_at": reported, "stolen_value": 3000})
    in_time = new_case(
        {
            "title": "手机被盗",
            "reported_at": reported,
            "stolen_value": 9000,
            "filing_decision": "filed",
            "filing_decided_at": "2026-03-03T10:00:00+08:00",
        }
    )
    refused = run_cli(
        "case",
        "new",
        "--type",
        "incident",
        input=json.dumps({"title": "x", "stolen_value": "很多"}),
    )
    assert refused.code == 1 and "stolen_value" in refused.err

    results = {r["case_id"]: r for r in run_cli("review", "--at", "2026-03-05", "--json").json()}
    theft = {
        case_id: [(f["rule"], f["points"]) for f in r["findings"] if f["plugin"] == "theft_value"]
        for case_id, r in results.items()
    }
    assert theft == {unfiled: [("theft_value.not_filed", 20)], small: [], in_time: []}
    early = run_cli("review", unfiled, "--at", "2026-03-03", "--json").json()
    assert not [f for f in early["findings"] if f["plugin"] == "theft_value"]  # still in time

    assert [c["id"] for c in run_cli("search", "8200", "--json").json()] == [unfiled]
    listed = run_cli("plugins", "list", env=cli_env(notebook_dir, CASEBOOK_LANG="zh_CN"))
    assert "盗窃价值审核 (theft_value)" in listed.out and "回访 (callbacks)" in listed.out


def test_the_example_field_is_printed_on_the_receipt_and_labelled(notebook: Notebook, tmp_path):
    from casebook.plugins.callbacks.receipt import receipt_rows

    notebook.register_plugin("theft_value", load_example())
    case = notebook.create_case("incident", {"title": "电动车被盗", "stolen_value": 8200})
    assert ("Stolen value (yuan)", 8200) in receipt_rows(notebook.plugin_context, case)
    pdf = notebook.render_document("receipt", case.id, tmp_path / "receipt.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def load_example():
    from casebook.plugin_host import load_module_from_file

    return load_module_from_file("theft_value", EXAMPLE / "theft_value.py", "example")


def test_try_runs_an_unsigned_file_read_only(notebook: Notebook, tmp_path: Path):
    case = notebook.create_case(
        "incident", {"title": "电动车被盗", "reported_at": "2026-03-01T09:00:00+08:00"}
    )
    plugin = tmp_path / "theft_value.py"
    shutil.copyfile(EXAMPLE / "theft_value.py", plugin)  # no signature beside it
    ops = len(notebook.ops_from(notebook.device_id, 0))
    errors = notebook.conn.execute("SELECT count(*) FROM plugin_errors").fetchone()
    results = notebook.try_plugin(plugin, "2026-03-05")
    assert [r.case_id for r in results] == [case.id]
    assert results[0].findings == []  # the case has no stolen value
    assert "stolen_value" not in notebook.case_types()["incident"]["properties"]
    assert "theft_value" not in {p.name for p in notebook.plugins()}
    assert not list((notebook.path / "plugins").iterdir())

    broken = tmp_path / "broken_rules.py"
    broken.write_text(
        "from casebook import hookimpl\n"
        "casebook_plugin = {'version': '0.1', 'api': [2]}\n"
        "@hookimpl\n"
        "def review_case(context, case, at):\n"
        "    raise ValueError('oops')\n",
        encoding="utf-8",
    )
    [result] = notebook.try_plugin(broken)
    assert any("broken_rules" in warning for warning in result.warnings), result.warnings
    assert len(notebook.ops_from(notebook.device_id, 0)) == ops
    assert notebook.conn.execute("SELECT count(*) FROM plugin_errors").fetchone() == errors
    with pytest.raises(PluginError, match="already provided"):
        notebook.try_plugin(_named_copy(tmp_path, "callbacks"))


def _named_copy(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "named" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    shutil.copyfile(EXAMPLE / "theft_value.py", path)
    return path


def test_a_signature_under_another_publisher_s_name_is_refused(notebook, tmp_path):
    plugin = example_copy(tmp_path)
    key = Ed25519PrivateKey.generate()
    write_signature(plugin, key, "冒名的法制大队")
    notebook.trust_publisher("法制大队", public_key_of(key))
    with pytest.raises(PluginError) as refused:
        notebook.install_plugin(plugin)
    assert "冒名的法制大队" in str(refused.value) and "法制大队" in str(refused.value)
    assert "theft_value" not in {p.name for p in notebook.plugins()}


class PackageRules:
    casebook_plugin = {"version": "3.0.0", "publisher": "Package", "api": [2]}

    @hookimpl
    def review_case(self, context, case, at):
        return []


PACKAGE_RULES = PackageRules()


def test_a_file_and_a_package_with_one_name_are_named_clearly(
    notebook_dir, notebook, tmp_path, monkeypatch
):
    plugin = _named_copy(tmp_path, "clashing")
    plugin.write_text(
        plugin.read_text(encoding="utf-8").replace("theft_value.", "clashing."), encoding="utf-8"
    )
    assert notebook.install_plugin(plugin, allow_unsigned=True).name == "clashing"
    notebook.close()
    real = importlib.metadata.entry_points

    def with_package(**selection):
        found = list(real(**selection))
        if selection.get("group") == "casebook":
            found.append(
                importlib.metadata.EntryPoint(
                    name="clashing", value=f"{__name__}:PACKAGE_RULES", group="casebook"
                )
            )
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", with_package)
    with Notebook.open(notebook_dir, PASSPHRASE) as reopened:
        info = {p.name: p for p in reopened.plugins()}["clashing"]
        assert (info.version, info.refused) == ("3.0.0", "")  # the package stays
        assert any(
            "clashing.py is not loaded" in error and "already provided by" in error
            for error in info.errors
        ), info.errors
        with pytest.raises(PluginError, match="already provided by entry point"):
            reopened.install_plugin(_named_copy(tmp_path, "clashing"), allow_unsigned=True)


class FailingRules:
    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def review_case(self, context, case, at):
        if "失败" in case.title:
            raise RuntimeError("rule bug")
        return [Finding(rule="failing.x", severity="minor", message="bad severity")]


def test_a_failed_or_refused_rule_is_a_warning_in_review_and_the_report(notebook):
    notebook.register_plugin("failing", FailingRules())
    fails = notebook.create_case("incident", {"title": "规则失败"})
    refused = notebook.create_case("incident", {"title": "严重程度错误"})
    results = {r.case_id: r for r in notebook.review()}
    assert any("failing" in w and "failed" in w for w in results[fails.id].warnings)
    assert any("failing.x" in w for w in results[refused.id].warnings)
    assert all(f.plugin != "failing" for r in results.values() for f in r.findings)
    report = notebook.build_report("review")
    assert len(report.warnings) == 2 and all("failing" in w for w in report.warnings)
    notebook.report_pdf(report, notebook.path / "review.pdf")  # the warnings print


def test_review_warns_when_an_installed_rule_was_refused_at_start(run_cli, notebook_dir, tmp_path):
    assert run_cli(*INIT).code == 0
    plugin = _named_copy(tmp_path, "theft_value")  # without its signature
    assert run_cli("plugins", "install", str(plugin), "--allow-unsigned").code == 0
    (notebook_dir / "plugins" / "theft_value.py").write_text("# tampered\n", encoding="utf-8")
    run_cli("case", "new", "--type", "incident", input='{"title": "电动车被盗"}')
    review = run_cli("review")
    assert review.code == 0
    assert "Warning: Plugin theft_value was refused" in review.err, review


class FailingCheck:
    casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

    @hookimpl
    def validate_case(self, context, case):
        if case.fields.get("location") == "错误":
            return ["not a Problem"]
        raise KeyError("a bug")


def test_a_failing_check_refuses_the_save_naming_the_plugin_unless_allowed(notebook):
    notebook.register_plugin("strict", FailingCheck())
    for fields in ({"title": "a"}, {"title": "b", "location": "错误"}):
        with pytest.raises(InvalidInputError, match="strict") as refused:
            notebook.create_case("incident", fields)
        assert refused.value.problems[-1] == Problem(
            "", str(refused.value.problems[-1].message), "check_failed"
        )
    assert notebook.count_cases() == 0
    notebook.set_setting("casebook.failed_check", "allow")
    assert notebook.create_case("incident", {"title": "c"}).title == "c"
    with pytest.raises(InvalidInputError):
        notebook.set_setting("casebook.failed_check", "sometimes")
