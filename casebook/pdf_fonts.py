"""The Chinese font of printed PDFs: which one is used, and how ReportLab gets to embed it.

ReportLab lays out and writes the PDFs, but it embeds only fonts with TrueType (``glyf``)
outlines, while the Chinese fonts most laptops have are OpenType with CFF outlines (Noto
Sans/Serif CJK, Source Han; Debian's ``fonts-noto-cjk``). fontTools bridges the gap: for the
characters a document prints, it copies the glyphs out of the installed font — converting
CFF's cubic curves to TrueType's quadratic ones (``cu2qu``) where needed — into a small
TrueType font held in memory, which ReportLab then embeds as a subset. Only the glyphs asked
for are converted, so a face with 65,000 glyphs costs no more than the text printed; the
converted glyphs are kept for the life of the process, and nothing is written to disk.

Which font, in this order:

1. ``CASEBOOK_CJK_FONT``: the path of a font file (``.ttf``, ``.otf``, ``.ttc``; ``path#N``
   picks face N of a collection), or the keyword ``STSong-Light`` to use the fallback below.
   A file that cannot be used is an error: the station asked for it.
2. Chinese fonts that fontconfig knows, in its order of preference for Simplified Chinese
   serif text (Song, the face of official documents).
3. Known places on Windows (SimSun, Microsoft YaHei, SimHei), macOS (Songti, PingFang, STHeiti,
   Hiragino Sans GB) and Linux (Noto CJK, Source Han, WenQuanYi, Droid Sans Fallback, AR PL).
4. No file at all: the PDF standard CJK font ``STSong-Light`` (ReportLab's
   ``UnicodeCIDFont``). It is not embedded: the PDF names the font and the viewer or printer
   supplies one (Adobe Reader, pdfium, Windows and macOS viewers do). A log line says so.

From a collection (``.ttc``) without an index, the face that has a Simplified Chinese
(zh-CN) name is used, so Chinese readers get Chinese, not Japanese, glyph forms.

Text reaches the PDF through :func:`casebook.pdf.markup`, which asks :meth:`PrintFont.want`
for its characters; :func:`printing` makes the font ready before a document is built.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from casebook.errors import InvalidInputError
from casebook.i18n import _

log = logging.getLogger(__name__)

FONT_ENV = "CASEBOOK_CJK_FONT"
# The PDF standard CJK font (Adobe-GB1) used when no file is found; also the keyword that
# selects it in CASEBOOK_CJK_FONT.
CID_FONT = "STSong-Light"
# The ReportLab name of the embedded font built from a file.
EMBEDDED_FONT = "CasebookCJK"
# Characters the CJK font lacks (Droid Sans Fallback has no Latin letters or digits) are
# drawn with this built-in font, which needs no file.
LATIN_FONT = "Helvetica"
# A face must draw this to count as Chinese.
PROBE = "案"
# Tolerance of the cubic-to-quadratic conversion, in font units (1/1000 em for CJK fonts).
CURVE_TOLERANCE = 1.0
# Windows language id of Chinese (PRC) in a font's name table.
ZH_CN_LANGUAGE_ID = 0x0804

# Known places, tried after fontconfig (Windows and macOS have no fontconfig). Collections
# without an index get their zh-CN face.
KNOWN_FONT_FILES: tuple[str, ...] = (
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simkai.ttf",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-serif/SourceHanSerif-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSans-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection (``.ttc``), the face to use (None: the zh-CN one)."""

    path: str
    index: int | None = None

    @classmethod
    def parse(cls, spec: str) -> FontFile:
        """``path`` or ``path#index``."""
        path, sep, index = spec.strip().rpartition("#")
        if sep and index.isdigit():
            return cls(path, int(index))
        return cls(spec.strip())


class PrintFont(Protocol):
    """The font Chinese text is set in."""

    #: the ReportLab font name for paragraph styles
    name: str
    #: what the font is, for logs and messages
    description: str
    #: whether the PDF carries the font (False: the viewer supplies it)
    embedded: bool

    def covers(self, char: str) -> bool:
        """Whether the font draws ``char`` (else :data:`LATIN_FONT` does)."""

    def want(self, chars: Iterable[str]) -> None:
        """Note characters a document is going to print in this font."""

    def ready(self) -> None:
        """Make ReportLab's font under :attr:`name` draw every wanted character."""


class StandardCIDFont:
    """The PDF standard font STSong-Light: nothing to embed, the viewer supplies it."""

    name = CID_FONT
    embedded = False

    def __init__(self) -> None:
        self.description = f"{CID_FONT} (PDF standard CJK font, not embedded)"
        self._registered = False

    def covers(self, char: str) -> bool:
        code = ord(char)
        if code > 0xFFFF:  # its encoding (UniGB-UCS2-H) reaches the Basic Multilingual Plane
            return False
        if code >= 0x2E80:  # CJK radicals onwards: ideographs, kana, CJK and full-width forms
            return True
        # Latin text that Helvetica can draw looks better there than in the CID font's
        # full-width Latin letters.
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return True
        return False

    def want(self, chars: Iterable[str]) -> None:
        """Nothing to prepare: every glyph comes from the viewer."""

    def ready(self) -> None:
        if not self._registered:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.cidfonts import UnicodeCIDFont

            pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
            self._registered = True


class EmbeddedFont:
    """A font file whose glyphs are copied, as they are needed, into a TrueType font that
    ReportLab embeds (as a subset of the characters each document uses).

    :raises ValueError: when the face cannot be used (no Chinese, no outlines, or its
        licence forbids embedding).
    """

    embedded = True

    def __init__(self, source: FontFile) -> None:
        from fontTools.ttLib import TTFont

        self.source = source
        self.name = EMBEDDED_FONT
        index = source.index if source.index is not None else _zh_cn_face(source.path)
        self._font = TTFont(source.path, fontNumber=index, lazy=True)
        font = self._font
        if "glyf" in font:
            self._cubic = False
        elif "CFF " in font:
            self._cubic = True
        else:
            raise ValueError("no TrueType or CFF outlines")
        self._cmap: dict[int, str] = font.getBestCmap() or {}
        if ord(PROBE) not in self._cmap:
            raise ValueError("no Chinese characters")
        fs_type = font["OS/2"].fsType if "OS/2" in font else 0
        # Bit 1: restricted licence; bit 8: no subsetting; bit 9: bitmap embedding only
        # (the fonts ReportLab itself refuses to embed).
        if fs_type & 0x0302:
            raise ValueError("its licence does not allow embedding")
        self._fs_type = fs_type & 0x030E
        family = font["name"].getDebugName(4) or Path(source.path).stem
        self.description = (
            f"{family} ({source.path}#{index}, {'CFF' if self._cubic else 'TrueType'})"
        )
        self._glyphs: dict[str, Any] = {}  # source glyph name -> converted TrueType glyph
        self._wanted: set[str] = set(" 0123456789")
        self._built: frozenset[str] = frozenset()
        self._face: Any = None  # the ReportLab face built from self._built

    def covers(self, char: str) -> bool:
        return ord(char) in self._cmap

    def want(self, chars: Iterable[str]) -> None:
        self._wanted.update(char for char in chars if ord(char) in self._cmap)

    def ready(self) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont as ReportLabTTFont
        from reportlab.pdfbase.ttfonts import TTFontFace

        registered = (
            pdfmetrics.getFont(self.name)
            if self.name in pdfmetrics.getRegisteredFontNames()
            else None
        )
        if self._wanted <= self._built and registered and registered.face is self._face:
            return
        chars = frozenset(self._wanted)
        data = io.BytesIO(self._truetype(chars))
        if registered is None:
            registered = ReportLabTTFont(self.name, data)
            pdfmetrics.registerFont(registered)
        else:
            # ReportLab keeps the first font registered under a name, so the grown font
            # becomes the registered font's face (all a TTFont reads from its file).
            registered.face = TTFontFace(data)
        self._face = registered.face
        self._built = chars

    def _outline(self, glyph_name: str) -> Any:
        """The source glyph as a TrueType glyph: components decomposed, curves quadratic."""
        glyph = self._glyphs.get(glyph_name)
        if glyph is None:
            from fontTools.pens.cu2quPen import Cu2QuPen
            from fontTools.pens.recordingPen import DecomposingRecordingPen
            from fontTools.pens.ttGlyphPen import TTGlyphPen

            glyph_set = self._font.getGlyphSet()
            recording = DecomposingRecordingPen(glyph_set)
            glyph_set[glyph_name].draw(recording)
            pen = TTGlyphPen(None)
            # CFF contours run counter-clockwise, TrueType ones clockwise.
            target = Cu2QuPen(pen, CURVE_TOLERANCE, reverse_direction=True) if self._cubic else pen
            recording.replay(target)
            glyph = self._glyphs[glyph_name] = pen.glyph()
        return glyph

    def _truetype(self, chars: frozenset[str]) -> bytes:
        """A TrueType font with the glyphs of ``chars`` (and .notdef), as bytes."""
        from fontTools.fontBuilder import FontBuilder

        source = self._font
        source_order = source.getGlyphOrder()
        cmap = {ord(char): self._cmap[ord(char)] for char in chars}
        order = [source_order[0], *sorted(set(cmap.values()) - {source_order[0]})]
        advances = source["hmtx"].metrics
        builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
        builder.setupGlyphOrder(order)
        builder.setupCharacterMap(cmap)
        builder.setupGlyf({name: self._outline(name) for name in order})
        glyf = builder.font["glyf"]
        builder.setupHorizontalMetrics(
            {name: (advances[name][0], getattr(glyf[name], "xMin", 0)) for name in order}
        )
        hhea = source["hhea"]
        builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
        builder.setupNameTable(
            {"familyName": EMBEDDED_FONT, "styleName": "Regular", "psName": EMBEDDED_FONT}
        )
        builder.setupOS2(
            sTypoAscender=hhea.ascent,
            sTypoDescender=hhea.descent,
            usWinAscent=max(hhea.ascent, 0),
            usWinDescent=max(-hhea.descent, 0),
            fsType=self._fs_type,
        )
        builder.setupPost()
        output = io.BytesIO()
        builder.save(output)
        return output.getvalue()


def _zh_cn_face(path: str) -> int:
    """The face of a collection named in Simplified Chinese (0 for a single font)."""
    from fontTools.ttLib import TTCollection

    if Path(path).suffix.lower() not in (".ttc", ".otc"):
        return 0
    faces = TTCollection(path, lazy=True).fonts
    for index, face in enumerate(faces):
        if "name" in face and any(
            record.platformID == 3 and record.langID == ZH_CN_LANGUAGE_ID
            for record in face["name"].names
        ):
            return index
    return 0


def _fontconfig_candidates() -> list[FontFile]:
    """Chinese fonts that fontconfig knows, best match for zh-CN serif text first."""
    if not shutil.which("fc-match"):
        return []
    try:
        listing = subprocess.run(
            ["fc-match", "--sort", "--format", "%{file}\t%{index}\t%{lang}\n", "serif:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    candidates: list[FontFile] = []
    for line in listing.splitlines():
        path, _tab, rest = line.partition("\t")
        index, _tab, languages = rest.partition("\t")
        if "zh-cn" in languages.split("|") and index.isdigit():
            candidates.append(FontFile(path, int(index)))
    return candidates


def font_candidates() -> list[FontFile]:
    """Installed font files worth trying, most preferred first (``CASEBOOK_CJK_FONT`` aside)."""
    candidates = _fontconfig_candidates()
    known = list(KNOWN_FONT_FILES)
    if sys.platform == "win32":
        fonts = Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"
        known[:0] = [str(fonts / name) for name in ("simsun.ttc", "msyh.ttc", "simhei.ttf")]
    candidates.extend(FontFile(path) for path in known)
    seen: set[str] = set()
    unique = []
    for candidate in candidates:
        if candidate.path not in seen:  # one face per file: the first is the preferred one
            seen.add(candidate.path)
            unique.append(candidate)
    return unique


def open_font(source: FontFile) -> EmbeddedFont | None:
    """The file as a print font, or None when it is missing or cannot be used."""
    if not Path(source.path).is_file():
        return None
    try:
        return EmbeddedFont(source)
    except Exception as error:  # fontTools raises many kinds for broken or odd files
        log.info("font %s#%s not usable for PDFs: %s", source.path, source.index, error)
        return None


def choose_font() -> PrintFont:
    """The print font for this machine and environment (see the module docstring).

    :raises InvalidInputError: when ``CASEBOOK_CJK_FONT`` names a file that cannot be used.
    """
    explicit = os.environ.get(FONT_ENV, "").strip()
    if explicit.lower() == CID_FONT.lower():
        return StandardCIDFont()
    if explicit:
        font = open_font(FontFile.parse(explicit))
        if font is None:
            raise InvalidInputError(
                _(
                    "{variable} names {path}, which is not a font file with Chinese characters "
                    "that may be embedded, so the PDF cannot be printed. Set it to such a "
                    ".ttf, .otf or .ttc file, or to {standard} to use the viewer's Chinese "
                    "font, or remove it to let Casebook choose an installed font."
                ).format(variable=FONT_ENV, path=explicit, standard=CID_FONT)
            )
        return font
    for candidate in font_candidates():
        font = open_font(candidate)
        if font is not None:
            return font
    log.warning(
        "no Chinese font file found: PDFs use the standard font %s, which they do not "
        "embed; the viewer or printer supplies the glyphs (install fonts-noto-cjk, or set "
        "%s, to embed one)",
        CID_FONT,
        FONT_ENV,
    )
    return StandardCIDFont()


_lock = threading.RLock()
_font: PrintFont | None = None


def print_font() -> PrintFont:
    """The print font of this process, chosen once (see :func:`choose_font`)."""
    global _font
    with _lock:
        if _font is None:
            font = choose_font()
            log.info("PDFs are set in %s", font.description)
            font.ready()  # paragraphs need the font registered when they are made
            _font = font
        return _font


def want(chars: Iterable[str]) -> PrintFont:
    """Note characters about to be printed; returns the print font."""
    with _lock:
        font = print_font()
        font.want(chars)
        return font


@contextmanager
def printing() -> Iterator[PrintFont]:
    """Hold the print font, ready for every wanted character, while a document is built
    (one document at a time: the embedded font may grow between documents)."""
    with _lock:
        font = print_font()
        font.ready()
        yield font
