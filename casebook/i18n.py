"""Translations: gettext ``.po`` catalogs, zh_CN by default, English one setting away.

Source strings are English. Each part of Casebook keeps its own catalog (a gettext
*domain*) so they can grow separately: the core and CLI use ``casebook``, the GUI
``casebook-gui``, and a plugin may ship ``locale/<lang>/LC_MESSAGES/<domain>.po`` beside
its module. Catalogs are read straight from the ``.po`` text, so there is no compile step
and no stale ``.mo`` to forget.

The language comes from :func:`set_language`, else ``CASEBOOK_LANG``, else ``zh_CN``.
"""

from __future__ import annotations

import ast
import gettext
import os
import threading
from pathlib import Path

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
CORE_LOCALE_DIR = Path(__file__).parent / "locale"

_state = threading.local()
_language: str | None = None
_cache: dict[tuple[str, str, str], gettext.NullTranslations] = {}


def language() -> str:
    """The current language code."""
    lang = _language or os.environ.get("CASEBOOK_LANG") or DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Switch the language for the whole process.

    :raises ValueError: for a language Casebook does not ship.
    """
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language: {lang}")
    _language = lang


class PoTranslations(gettext.NullTranslations):
    """A gettext catalog read from a ``.po`` file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._catalog = parse_po(path.read_text(encoding="utf-8"))

    def gettext(self, message: str) -> str:
        return self._catalog.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def parse_po(text: str) -> dict[str, str]:
    """Parse the msgid/msgstr pairs of a ``.po`` file (no plural forms or contexts)."""
    catalog: dict[str, str] = {}
    key: str | None = None
    current: list[str] = []
    msgid = ""

    def finish() -> None:
        nonlocal msgid
        if key == "msgid":
            msgid = "".join(current)
        elif key == "msgstr" and msgid:
            value = "".join(current)
            if value:
                catalog[msgid] = value

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid ") or line.startswith("msgstr "):
            finish()
            key, _, rest = line.partition(" ")
            current = [ast.literal_eval(rest)]
        elif line.startswith('"'):
            current.append(ast.literal_eval(line))
    finish()
    return catalog


def translations(
    domain: str = "casebook", localedir: Path | None = None
) -> gettext.NullTranslations:
    """The catalog of ``domain`` in the current language (identity for English)."""
    lang = language()
    directory = Path(localedir or CORE_LOCALE_DIR)
    cache_key = (domain, str(directory), lang)
    if cache_key not in _cache:
        po = directory / lang / "LC_MESSAGES" / f"{domain}.po"
        _cache[cache_key] = PoTranslations(po) if po.exists() else gettext.NullTranslations()
    return _cache[cache_key]


def gettext_for(domain: str, localedir: Path | None = None):
    """A ``_`` function for one domain that follows language switches at call time.

    >>> _ = gettext_for("casebook")
    """

    def _(message: str) -> str:
        return translations(domain, localedir).gettext(message)

    return _


_ = gettext_for("casebook")


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet: it is a msgid, translated
    later by whoever shows it (e.g. a :class:`~casebook.models.Vocabulary` label)."""
    return message
