"""Every message of the core, the CLI and sync has a Chinese translation (zh_CN is the default)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from casebook.i18n import parse_po

ROOT = Path(__file__).parent.parent.parent
CATALOG = ROOT / "casebook" / "locale" / "zh_CN" / "LC_MESSAGES" / "casebook.po"


def messages() -> dict[str, str]:
    """Every literal passed to ``_()`` in the modules of the ``casebook`` domain."""
    found: dict[str, str] = {}
    files = [*sorted((ROOT / "casebook").glob("*.py")), *sorted((ROOT / "sync").glob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, path.name)
    return found


def test_every_message_is_translated():
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    missing = {text: where for text, where in messages().items() if text not in catalog}
    assert missing == {}


def test_translations_keep_their_placeholders():
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    for source, translated in catalog.items():
        assert sorted(re.findall(r"\{\w+\}", source)) == sorted(
            re.findall(r"\{\w+\}", translated)
        ), source
