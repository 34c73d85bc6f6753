"""Every string the GUI marks for translation has a Chinese translation (no drift)."""

from __future__ import annotations

import ast
from pathlib import Path

import casebook.gui
from casebook.i18n import CORE_LOCALE_DIR, parse_po

GUI_DIR = Path(casebook.gui.__file__).parent
CATALOG = CORE_LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "casebook-gui.po"


def marked_strings() -> dict[str, str]:
    """msgid -> where it is used, for every ``_("...")`` and ``N_("...")`` in the GUI."""
    found: dict[str, str] = {}
    for path in sorted(GUI_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def test_every_gui_string_is_translated():
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    missing = {msgid: where for msgid, where in marked_strings().items() if msgid not in catalog}
    assert not missing, f"add these to {CATALOG.name}: {missing}"


def test_placeholders_survive_translation():
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    import re

    for msgid, msgstr in catalog.items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", msgstr)), msgid


def test_the_catalog_holds_only_the_guis_own_words():
    """Plugin words (report keys, kinds, codes) come from the plugins' vocabulary: a msgid no
    GUI code marks is one the GUI would look up by a plugin's name."""
    catalog = parse_po(CATALOG.read_text(encoding="utf-8"))
    unused = sorted(set(catalog) - set(marked_strings()))
    assert not unused, f"remove from {CATALOG.name} (or label them in a plugin): {unused}"
