"""The check that a rendered report is in the officer's language: no key, code or
``snake_case`` identifier of the report reaches the text an officer reads (GUI, PDF, CLI)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: a text that is only lower-case English words ("rate", "reported"): a key shown raw.
BARE_WORDS = re.compile(r"^[a-z]+(?: [a-z]+)*$")


def report_codes(report: Any, glossary: Any) -> set[str]:
    """Every key and code a report holds: summary keys, the keys of its nested groups,
    its column keys, and the enum codes it shows."""
    codes = set(report.summary) | set(report.column_keys)
    for value in report.summary.values():
        if isinstance(value, dict):
            for code, inner in value.items():
                codes.add(str(code))
                if isinstance(inner, dict):
                    codes |= set(inner)
    for row in report.rows:
        for cell in row:
            items = cell if isinstance(cell, list) else [cell]
            codes |= {item for item in items if isinstance(item, str) and item.isidentifier()}
    codes |= {code for labels in glossary.to_dict()["enums"].values() for code in labels}
    # Codes are ASCII words: a unit's or a person's name is not one, and years, months and
    # numbers are the same in every language.
    return {
        code
        for code in map(str, codes)
        if code.isascii() and not code.replace("-", "").replace(".", "").isdigit()
    }


def untranslated(
    texts: Iterable[str], codes: set[str], language: str, *, whole: bool = True
) -> list[str]:
    """The texts that show a raw code: a ``snake_case`` word, a text that is a code, and in
    Chinese a text of bare English words. (Free text, such as a case title with "KTV" or
    "110" in it, is the officers' own.)

    :param whole: the texts are whole labels and cells; False for the lines of a page, where
        a wrapped English heading ("Hours / overdue") may leave a code-like word alone.
    """
    found = []
    for text in texts:
        for line in str(text).splitlines() or [""]:
            line = line.strip()
            if not line:
                continue
            if SNAKE_CASE.search(line) or (whole and line in codes):
                found.append(line)
            elif language == "zh_CN" and (line in codes or BARE_WORDS.match(line)):
                found.append(line)
    return found
