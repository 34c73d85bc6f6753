"""Installing plugin files: Ed25519 signatures of trusted publishers, or an explicit override."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casebook import Notebook, PluginError
from casebook.publishing import public_key_of, write_signature
from tests.conftest import PASSPHRASE, cli_env

RULE = """
from casebook import Finding, hookimpl

casebook_plugin = {"version": "2.0.1", "publisher": "法制大队", "api": [2]}


@hookimpl
def review_case(context, case, at):
    if not case.fields.get("location"):
        return [Finding(rule="station_rules.no_location", severity="warning", message="未登记地点", points=10)]
    return []
"""


@pytest.fixture
def plugin_file(tmp_path: Path) -> Path:
    path = tmp_path / "station_rules.py"
    path.write_text(RULE, encoding="utf-8")
    return path


def test_signed_plugin_from_a_trusted_publisher_installs(notebook: Notebook, plugin_file: Path):
    key = Ed25519PrivateKey.generate()
    write_signature(plugin_file, key, "法制大队")
    notebook.trust_publisher("法制大队", public_key_of(key))
    info = notebook.install_plugin(plugin_file)
    assert (info.name, info.version, info.trust, info.signed, info.publisher) == (
        "station_rules",
        "2.0.1",
        "signed",
        True,
        "法制大队",
    )
    case = notebook.create_case("incident", {"title": "无地点"})
    assert [
        f.rule for f in notebook.review(case.id)[0].findings if f.plugin == "station_rules"
    ] == ["station_rules.no_location"]


def test_untrusted_tampered_and_unsigned_plugins_are_refused(
    notebook: Notebook, plugin_file: Path, tmp_path
):
    stranger = Ed25519PrivateKey.generate()
    write_signature(plugin_file, stranger, "陌生人")
    with pytest.raises(PluginError, match="does not trust"):
        notebook.install_plugin(plugin_file)

    trusted = Ed25519PrivateKey.generate()
    notebook.trust_publisher("法制大队", public_key_of(trusted))
    write_signature(plugin_file, trusted, "法制大队")
    plugin_file.write_text(RULE + "\n# changed after signing\n", encoding="utf-8")
    with pytest.raises(PluginError, match="does not match"):
        notebook.install_plugin(plugin_file)

    unsigned = tmp_path / "unsigned_rules.py"
    unsigned.write_text(RULE, encoding="utf-8")
    with pytest.raises(PluginError, match="not signed"):
        notebook.install_plugin(unsigned)
    assert not list((notebook.path / "plugins").glob("*.py"))
    assert "station_rules" not in {p.name for p in notebook.plugins()}

    info = notebook.install_plugin(unsigned, allow_unsigned=True)
    assert info.trust == "unsigned" and not info.signed


def test_a_plugin_changed_after_installation_is_refused_at_start(
    notebook_dir: Path, notebook: Notebook, plugin_file: Path
):
    key = Ed25519PrivateKey.generate()
    write_signature(plugin_file, key, "法制大队")
    notebook.trust_publisher("法制大队", public_key_of(key))
    notebook.install_plugin(plugin_file)
    notebook.close()
    installed = notebook_dir / "plugins" / "station_rules.py"
    installed.write_text(RULE.replace("points=10", "points=0"), encoding="utf-8")
    with Notebook.open(notebook_dir, PASSPHRASE) as reopened:
        info = {p.name: p for p in reopened.plugins()}["station_rules"]
        assert "changed after installation" in info.refused
        case = reopened.create_case("incident", {"title": "无地点"})
        assert [
            f for f in reopened.review(case.id)[0].findings if f.plugin == "station_rules"
        ] == []


def test_install_from_the_cli_with_keys_made_by_the_cli(
    run_cli, notebook_dir: Path, plugin_file: Path, tmp_path
):
    assert (
        run_cli(
            "init", "--officer-id", "0001", "--officer-name", "李明", "--unit", "滨湖派出所"
        ).code
        == 0
    )
    env = cli_env(notebook_dir, CASEBOOK_PUBLISHER_PASSPHRASE="publisher secret")
    key_file = tmp_path / "publisher.pem"
    public_key = run_cli("plugins", "keygen", str(key_file), env=env).out.strip()
    assert (
        run_cli(
            "plugins",
            "sign",
            str(plugin_file),
            "--key",
            str(key_file),
            "--publisher",
            "法制大队",
            env=env,
        ).code
        == 0
    )
    refused = run_cli("plugins", "install", str(plugin_file))
    assert refused.code == 1 and "does not trust" in refused.err
    assert run_cli("plugins", "trust", "法制大队", public_key).code == 0
    installed = run_cli("plugins", "install", str(plugin_file))
    assert installed.code == 0, installed
    listed = {p["name"]: p for p in run_cli("plugins", "list", "--json").json()}
    assert listed["station_rules"]["trust"] == "signed"
    assert run_cli("plugins", "disable", "station_rules").code == 0
    assert not {p["name"]: p for p in run_cli("plugins", "list", "--json").json()}["station_rules"][
        "enabled"
    ]
    assert run_cli("plugins", "enable", "station_rules").code == 0
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)
