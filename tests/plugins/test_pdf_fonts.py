"""Printing in each font situation a station laptop can be in: an OpenType/CFF CJK font
(Noto CJK, as the README installs), a TrueType one (SimSun, WenQuanYi...) and no Chinese
font file at all (the PDF standard font STSong-Light, which the viewer supplies).

Every situation renders real documents and reads them back with pdfium: the Chinese text
must be on the page, in an embedded font wherever a font file was used.
"""

from __future__ import annotations

import ctypes
import io
import logging
import os
from pathlib import Path

import pytest

from casebook import InvalidInputError, Report, pdf_fonts
from casebook import pdf as casebook_pdf
from casebook.report_view import report_view
from casebook.vocabulary import Glossary
from tests.plugins.workflow_data import incident, missing_person, render_png

ROOT = Path(__file__).resolve().parents[2]
pdfium = pytest.importorskip("pypdfium2")
pdfium_c = pytest.importorskip("pypdfium2.raw")


def noto_cjk() -> pdf_fonts.FontFile:
    """Noto CJK (fonts-noto-cjk), which the README's set-up installs. On CI its absence is a
    failure: the set-up is what is under test."""
    for path in (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ):
        if Path(path).is_file():
            return pdf_fonts.FontFile(path)
    message = "Noto CJK (Debian package fonts-noto-cjk) is not installed"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def printed_characters() -> set[str]:
    """Every character the documents of these tests can print: the catalogs and the data."""
    sources = [
        *(ROOT / "casebook" / "locale").rglob("*.po"),
        *(ROOT / "plugins" / "locale").rglob("*.po"),
        ROOT / "tests" / "plugins" / "workflow_data.py",
        Path(__file__),
    ]
    chars = {chr(code) for code in range(0x20, 0x7F)}
    for source in sources:
        chars.update(source.read_text(encoding="utf-8"))
    return {char for char in chars if char.isprintable()}


@pytest.fixture(scope="session")
def truetype_cjk_font(tmp_path_factory) -> Path:
    """A TrueType (glyf) Chinese font made from Noto CJK with fontTools, so the TrueType
    situation needs no package beyond the README's: the documents' characters subset out of
    the CFF font, their cubic outlines converted to quadratic ones."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    source = noto_cjk()
    font = TTFont(source.path, fontNumber=2)  # Noto CJK's SC face
    options = subset.Options()
    options.layout_features = []
    options.desubroutinize = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(printed_characters())))
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones maxTwilightPoints maxStorage maxFunctionDefs maxInstructionDefs "
        "maxStackElements maxSizeOfInstructions maxComponentElements maxComponentDepth"
    ).split():
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    font["post"].formatType = 3.0
    for name_id in (1, 4):
        font["name"].setName("Casebook Test Song", name_id, 3, 1, 0x409)
    font.sfntVersion = "\0\1\0\0"
    path = tmp_path_factory.mktemp("fonts") / "casebook-test-song.ttf"
    font.save(path)
    assert "glyf" in TTFont(path) and "CFF " not in TTFont(path)
    return path


@pytest.fixture
def fresh_font(monkeypatch):
    """The print font is chosen again for this test (it is chosen once per process)."""
    monkeypatch.setattr(pdf_fonts, "_font", None)
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")


@pytest.fixture(params=["cff", "truetype", "standard"])
def situation(request, fresh_font, monkeypatch) -> str:
    """One of the three font situations, chosen through CASEBOOK_CJK_FONT."""
    if request.param == "cff":
        noto = noto_cjk()
        monkeypatch.setenv(pdf_fonts.FONT_ENV, noto.path)
    elif request.param == "truetype":
        monkeypatch.setenv(pdf_fonts.FONT_ENV, str(request.getfixturevalue("truetype_cjk_font")))
    else:
        monkeypatch.setenv(pdf_fonts.FONT_ENV, pdf_fonts.CID_FONT)
    return request.param


def font_of_each_char(path: Path) -> tuple[str, dict[str, set[tuple[str, bool]]]]:
    """The PDF's text and, per character, the (base font name, embedded) it is set in."""
    document = pdfium.PdfDocument(str(path))
    fonts: dict[str, set[tuple[str, bool]]] = {}
    text = []
    try:
        for page in document:
            textpage = page.get_textpage()
            text.append(textpage.get_text_range())
            for index in range(pdfium_c.FPDFText_CountChars(textpage.raw)):
                char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index))
                text_object = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
                if not text_object:
                    continue
                font = pdfium_c.FPDFTextObj_GetFont(text_object)
                size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                buffer = ctypes.create_string_buffer(size)
                pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
                name = buffer.value.decode("latin-1")
                embedded = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
                fonts.setdefault(char, set()).add((name, embedded))
    finally:
        document.close()
    return "".join(text), fonts


def assert_set_in_the_situation(path: Path, situation: str, expected: list[str]) -> None:
    text, fonts = font_of_each_char(path)
    for phrase in expected:
        assert phrase in text, f"{phrase!r} is not on the page: {text[:300]!r}"
    chinese = [char for char in "".join(expected) if ord(char) > 0x2E80]
    assert chinese
    for char in chinese:
        ((name, embedded),) = fonts[char]
        if situation == "standard":
            assert (name, embedded) == (pdf_fonts.CID_FONT, False), char
        else:
            assert pdf_fonts.EMBEDDED_FONT in name and embedded, (char, name, embedded)
    data = path.read_bytes()
    if situation == "standard":
        assert b"/FontFile" not in data
    else:
        assert b"/FontFile2" in data  # TrueType outlines, whatever the source's were


def test_documents_and_reports_print_in_each_font_situation(situation, nb, tmp_path):
    kind = {"cff": "CFF", "truetype": "TrueType", "standard": "not embedded"}[situation]
    assert kind in pdf_fonts.print_font().description
    case = nb.create_case("incident", incident())
    receipt = nb.render_document("receipt", case.id, tmp_path / "receipt.pdf")
    render_png(receipt)
    assert_set_in_the_situation(
        receipt,
        situation,
        ["案（事）件接报回执单", "张女士", "13900000000", "旺庄路88号", "王民警"],
    )
    # A second document with characters the first did not use: the font grows.
    person = nb.create_case("missing_person", missing_person())
    notice = nb.render_document("notice", person.id, tmp_path / "notice.pdf")
    render_png(notice)
    assert_set_in_the_situation(notice, situation, ["寻人公告", "李小梅", "新吴实验中学门口"])
    report = nb.report_pdf(nb.build_report("recovery", end="2025-03-05"), tmp_path / "r.pdf")
    render_png(report)
    assert_set_in_the_situation(report, situation, ["失踪人员"])


def test_glyphs_are_drawn_not_boxes(situation, tmp_path):
    """Pixels: a many-stroke character must leave far more ink than a one-stroke one, which
    an empty box or a missing glyph (the same for every character) would not."""

    def ink(chars: str) -> int:
        path = casebook_pdf.build_pdf(
            tmp_path / f"{ord(chars[0])}.pdf", [casebook_pdf.paragraph(chars, "title")], title="t"
        )
        document = pdfium.PdfDocument(str(path))
        image = document[0].render(scale=2).to_pil().convert("L")
        document.close()
        top = image.crop((0, 0, image.width, image.height // 6))  # the title, not the page no.
        return sum(top.histogram()[:128])

    one_stroke, many_strokes = ink("一" * 8), ink("警" * 8)
    assert one_stroke > 200, one_stroke
    assert many_strokes > 3 * one_stroke, (many_strokes, one_stroke)


def bare_view():
    """A one-figure report's view, labelled by nothing but itself."""
    return report_view(Report("x", "报告", {"n": 1}), Glossary())


def test_no_font_file_falls_back_to_the_standard_font(fresh_font, monkeypatch, caplog, tmp_path):
    monkeypatch.delenv(pdf_fonts.FONT_ENV, raising=False)
    latin_only = pdf_fonts.FontFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    missing = pdf_fonts.FontFile(str(tmp_path / "nowhere.ttf"))
    monkeypatch.setattr(pdf_fonts, "font_candidates", lambda: [missing, latin_only])
    with caplog.at_level(logging.WARNING, logger=pdf_fonts.__name__):
        path = casebook_pdf.report_pdf(bare_view(), tmp_path / "x.pdf")
    assert pdf_fonts.print_font().name == pdf_fonts.CID_FONT
    assert any("viewer" in record.getMessage() for record in caplog.records)
    assert_set_in_the_situation(path, "standard", ["报告"])


def test_an_installed_cjk_font_is_found(fresh_font, monkeypatch):
    """On a machine set up as the README says, a Chinese font file is found and embedded
    (the standard-font fallback is for laptops without one)."""
    noto_cjk()
    monkeypatch.delenv(pdf_fonts.FONT_ENV, raising=False)
    font = pdf_fonts.choose_font()
    assert font.embedded, font.description


def test_a_collection_without_index_uses_its_simplified_chinese_face(fresh_font):
    font = pdf_fonts.open_font(pdf_fonts.FontFile(noto_cjk().path))
    assert font is not None and "CJK SC" in font.description


def test_an_unusable_explicit_font_is_a_clear_error(fresh_font, monkeypatch, tmp_path):
    monkeypatch.setenv("CASEBOOK_LANG", "en")
    latin_only = tmp_path / "latin.ttf"
    latin_only.write_bytes(b"not a font")
    monkeypatch.setenv(pdf_fonts.FONT_ENV, str(latin_only))
    with pytest.raises(InvalidInputError, match="CASEBOOK_CJK_FONT.*STSong-Light"):
        casebook_pdf.report_pdf(bare_view(), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_font_file_specs():
    assert pdf_fonts.FontFile.parse("/f/simsun.ttc#1") == pdf_fonts.FontFile("/f/simsun.ttc", 1)
    assert pdf_fonts.FontFile.parse("/f/a#b.ttf") == pdf_fonts.FontFile("/f/a#b.ttf")
    assert pdf_fonts.FontFile.parse(" /f/msyh.ttc ") == pdf_fonts.FontFile("/f/msyh.ttc")


def test_the_embedded_font_holds_only_what_was_printed(fresh_font, monkeypatch, tmp_path):
    """Subset before converting: 65,000 glyphs in Noto CJK, a handful in the PDF."""
    monkeypatch.setenv(pdf_fonts.FONT_ENV, noto_cjk().path)
    path = casebook_pdf.build_pdf(
        tmp_path / "small.pdf", [casebook_pdf.paragraph("接报回执 110")], title="t"
    )
    assert path.stat().st_size < 40_000
    from fontTools.ttLib import TTFont

    built = TTFont(io.BytesIO(pdf_fonts.print_font()._truetype(frozenset("接报"))))
    assert len(built.getGlyphOrder()) == 3  # .notdef and the two characters
