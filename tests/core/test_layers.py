"""The layers: no Tk below the GUI, and built-in plugins use only the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import casebook

ROOT = Path(__file__).parent.parent.parent
PUBLIC_MODULES = {"casebook.clock", "casebook.i18n", "casebook.pdf"}
ALLOWED_EXTRA = {("casebook.cli", "open_notebook")}  # what register_commands documents


def test_core_cli_sync_and_plugins_never_import_tkinter():
    plugin_modules = sorted(
        f"casebook.plugins.{p.name}"
        for p in (ROOT / "plugins").iterdir()
        if (p / "__init__.py").exists()
    )
    modules = ["casebook", "casebook.cli", "casebook.sync", *plugin_modules]
    sync_modules = sorted(
        f"casebook.sync.{p.stem}" for p in (ROOT / "sync").glob("*.py") if p.stem != "__init__"
    )
    code = (
        "import sys, importlib\n"
        f"for name in {modules + sync_modules!r}:\n"
        "    importlib.import_module(name)\n"
        "from casebook.cli import _register_extensions\n"
        "_register_extensions()\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('tkinter', '_tkinter', 'ttkbootstrap'))\n"
        "print(leaked)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_built_in_plugins_import_only_public_names():
    public = set(casebook.__all__)
    problems = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own_package = f"casebook.plugins.{path.relative_to(ROOT / 'plugins').parts[0]}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                module = node.module
                if module == "casebook":
                    problems += [
                        f"{path.name}: casebook.{a.name}"
                        for a in node.names
                        if a.name not in public
                    ]
                elif (
                    module.startswith("casebook.")
                    and module not in PUBLIC_MODULES
                    and not module.startswith(own_package)
                    and module != "casebook.plugins"
                ):
                    problems += [
                        f"{path.name}: {module}.{a.name}"
                        for a in node.names
                        if (module, a.name) not in ALLOWED_EXTRA
                    ]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("casebook.") and alias.name not in PUBLIC_MODULES:
                        problems.append(f"{path.name}: import {alias.name}")
                    if alias.name.split(".")[0] in ("tkinter", "ttkbootstrap"):
                        problems.append(f"{path.name}: import {alias.name}")
    assert problems == []


def test_built_ins_are_registered_as_entry_points():
    import importlib.metadata

    names = {ep.name for ep in importlib.metadata.entry_points(group="casebook")}
    packages = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert packages <= names


def test_no_generic_top_level_packages_are_installed(tmp_path):
    """sync/, plugins/ and schemas/ install under casebook.*, never as top-level names."""
    code = "import importlib.util as u; print([n for n in ('sync', 'plugins', 'schemas') if u.find_spec(n)])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "[]"
