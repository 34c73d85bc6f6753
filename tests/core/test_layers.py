"""The layers: no Tk below the GUI, nothing imports the CLI, and built-in plugins use only
the public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import casebook

ROOT = Path(__file__).parent.parent.parent
PUBLIC_MODULES = {"casebook.clock", "casebook.commands", "casebook.i18n", "casebook.pdf"}
#: the entry points: the only modules that may import the CLI.
CLI_ENTRY_POINTS = {ROOT / "casebook" / "cli.py", ROOT / "casebook" / "__main__.py"}


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
                    problems += [f"{path.name}: {module}.{a.name}" for a in node.names]
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


def module_name(path: Path) -> str:
    """The installed name of a source file (sync/ is casebook.sync, plugins/ casebook.plugins)."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] in ("sync", "plugins"):
        parts.insert(0, "casebook")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports, anywhere in it (inside functions too), by full name.

    ``from casebook import cli`` counts as ``casebook.cli``; relative imports are resolved
    against ``module``; ``importlib.import_module("...")`` with a literal name counts too.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def test_imported_modules_sees_every_form_of_import():
    source = (
        "def command():\n"
        "    from casebook.cli import open_notebook\n"
        "class Later:\n"
        "    def run(self):\n"
        "        import casebook.cli as c\n"
        "        from .. import cli\n"
        "        importlib.import_module('casebook.cli')\n"
    )
    found = imported_modules(source, "casebook.sync.commands")
    assert {"casebook.cli", "casebook.cli.open_notebook"} <= found
    assert imported_modules("from .. import cli", "casebook.sync.commands") >= {"casebook.cli"}
    assert imported_modules("from . import engine", "casebook.sync", is_package=True) >= {
        "casebook.sync.engine"
    }
    assert imported_modules("import importlib\nimportlib.import_module('casebook.cli')", "x") >= {
        "casebook.cli"
    }


def test_nothing_but_the_entry_points_imports_the_cli():
    """Sync, plugins, the GUI and the core sit below the CLI: they never import it, not even
    lazily inside a function. Commands use the shared helpers of ``casebook.commands``."""
    sources = [
        *sorted((ROOT / "sync").rglob("*.py")),
        *sorted((ROOT / "plugins").rglob("*.py")),
        *sorted((ROOT / "casebook").rglob("*.py")),
    ]
    offenders = []
    for path in sources:
        if path in CLI_ENTRY_POINTS:
            continue
        imported = imported_modules(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
        if any(name == "casebook.cli" or name.startswith("casebook.cli.") for name in imported):
            offenders.append(str(path.relative_to(ROOT)))
    assert len(sources) > 40  # the tree was found
    assert offenders == []


def _layers() -> list[set[str]]:
    """The layer lines of docs/architecture.md, from the bottom."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```layers\n", 1)[1].split("```", 1)[0]
    return [set(line.split()) for line in block.splitlines() if line.strip()]


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Top-level ``casebook`` modules a module imports, leaving out ``if TYPE_CHECKING:``."""
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "casebook":
                continue
            if len(parts) > 1:
                found.append(parts[1])
            else:  # from casebook import clock, search: submodules (or names of __init__)
                found += [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name.split(".")[1] for a in node.names if a.name.startswith("casebook.")]
    return found


def test_core_modules_import_only_lower_layers():
    layers = _layers()
    rank = {name: index for index, line in enumerate(layers) for name in line}
    top = len(layers) - 1
    core = ROOT / "casebook"
    modules = {path.stem: [path] for path in core.glob("*.py")}
    modules["gui"] = sorted((core / "gui").rglob("*.py"))
    unplaced = sorted(set(modules) - set(rank))
    assert unplaced == [], "add these modules to the layers in docs/architecture.md"
    problems = []
    for name, paths in sorted(modules.items()):
        for path in paths:
            for imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
                # ``from casebook import Notebook``: a name the package exports.
                imported = imported if imported in rank else "__init__"
                if imported == name:
                    continue
                if rank[imported] >= rank[name] and not rank[name] == rank[imported] == top:
                    problems.append(f"{path.relative_to(core)} imports casebook.{imported}")
    assert problems == []


def test_the_layers_check_finds_an_upward_import():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from casebook import clock, store\n"
        "from casebook.notebook import Notebook\n"
        "import casebook.views\n"
        "if TYPE_CHECKING:\n"
        "    from casebook.cli import main\n"
        "def later():\n"
        "    from casebook.pdf import report_pdf\n"
    )
    assert _runtime_imports(tree) == ["clock", "store", "notebook", "views", "pdf"]
