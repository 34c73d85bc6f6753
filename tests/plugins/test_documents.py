"""The papers a station hands out, read back from the PDF: the report receipt, the
missing-person notice and the person's file (一人一档), through the API and the CLI.

The pages are saved as docs/screenshots/{receipt,notice,ledger}.png for the README.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.plugins.workflow_data import SCREENSHOTS, incident, missing_person, render_png

pdfium = pytest.importorskip("pypdfium2")

PHONE = "0510-85212110"
REPORTER_ID = "320211196505051236"  # a valid check digit (GB 11643)
MASKED_ID = "3202**********1236"


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")


@pytest.fixture
def station(nb):
    nb.set_setting("station.phone", PHONE)
    return nb


def pdf_text(path: Path) -> list[str]:
    """The text of every page, as pdfium extracts it (what a reader copies or searches)."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def squares_in_top_right(path: Path) -> int:
    """How many filled squares are drawn in the top-right corner of page 1 (a QR code's
    modules), so the code is known to be drawn content, not only text."""
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        width, height = page.get_size()
        count = 0
        for obj in page.get_objects():
            if obj.type != pdfium.raw.FPDF_PAGEOBJ_PATH:
                continue
            left, bottom, right, top = obj.get_bounds()
            if (
                left > width * 0.7
                and bottom > height * 0.7
                and abs((right - left) - (top - bottom)) < 0.5
            ):
                count += 1
        return count
    finally:
        document.close()


def test_id_numbers_are_masked_in_the_middle():
    from casebook.pdf import mask_id_number

    assert mask_id_number(REPORTER_ID) == MASKED_ID
    assert mask_id_number("320211650505123") == "3202*******5123"  # the old 15 digits
    assert mask_id_number("12345678") == "12****78"
    assert mask_id_number(None) == mask_id_number("") == ""


def test_receipt_of_a_walk_in_incident(station, tmp_path, cli):
    case = station.create_case(
        "incident",
        incident(
            category="criminal",
            summary="报警人称被刷单诈骗3000元",
            reporter_id_number=REPORTER_ID,
        ),
    )
    path = station.render_document("receipt", case.id, tmp_path / "receipt.pdf")
    [page] = pdf_text(path)
    assert "案（事）件接报回执单" in page or "案(事)件接报回执单" in page
    assert MASKED_ID in page and REPORTER_ID not in page
    assert "2025年3月1日" in page  # the day of the report, as on official papers
    assert PHONE in page and "旺庄派出所" in page
    assert "（印章）" in page
    assert "来所报案" in page  # 报警方式
    number = "JB-" + case.id.replace("-", "")[:12].upper()
    assert page.count(number) == 2  # the reporter's part and the stub
    assert squares_in_top_right(path) > 50, "the QR code of the receipt number is drawn"
    render_png(path, SCREENSHOTS / "receipt.png")

    station.lock()
    cli_pdf = tmp_path / "cli-receipt.pdf"
    cli("document", "receipt", case.id, "--pdf", str(cli_pdf), parse=False, lang="zh_CN")
    assert MASKED_ID in pdf_text(cli_pdf)[0]


def test_receipt_of_a_missing_person_shows_how_it_was_reported(station, tmp_path):
    case = station.create_case(
        "missing_person", missing_person(channel="call_110", reporter_id_number=REPORTER_ID)
    )
    [page] = pdf_text(station.render_document("receipt", case.id, tmp_path / "r.pdf"))
    assert re.search(r"报警方式\s*110报警", page), page
    assert MASKED_ID in page
    # Every in-person report is owed a receipt: the missing-person form records it too.
    assert "receipt_issued" in station.case_types()["missing_person"]["properties"]


def test_receipt_without_a_phone_tells_whom_to_contact(nb, tmp_path):
    case = nb.create_case("incident", incident())
    [page] = pdf_text(nb.render_document("receipt", case.id, tmp_path / "r.pdf"))
    assert "查询办理进度请联系旺庄派出所" in page


def test_missing_person_notice_uses_the_page(station, tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (300, 400), "#c8d8e8")
    draw = ImageDraw.Draw(photo)
    draw.ellipse((90, 60, 210, 200), fill="#e0b090", outline="black", width=4)
    draw.rectangle((70, 210, 230, 400), fill="#2050a0")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    photo_path = tmp_path / "photo.jpg"
    photo_path.write_bytes(buffer.getvalue())
    case = station.create_case(
        "missing_person",
        missing_person(age=87, gender="male", name="刘大爷", description="聋哑人,身穿灰色外套"),
    )
    station.attach(case.id, photo_path)
    path = station.render_document("notice", case.id, tmp_path / "notice.pdf")
    [page] = pdf_text(path)  # one page, nothing pushed over
    assert "寻人公告" in page and "刘大爷" in page and "87岁" in page
    assert "最后出现地点" in page and "新吴实验中学门口" in page
    assert PHONE in page and "110" in page
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page), "the date of issue in 年 月 日"
    assert "旺庄派出所" in page and "（印章）" in page
    document = pdfium.PdfDocument(str(path))
    images = [o for o in document[0].get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    left, bottom, right, top = images[0].get_bounds()
    assert right - left > 180 and top - bottom > 240, "a large photo (over 6 x 8.5 cm)"
    document.close()
    image = render_png(path, SCREENSHOTS / "notice.png")
    # The page is used: ink in the lower third (the contact, the unit and the seal).
    lower = image.convert("L").crop((0, image.height * 2 // 3, image.width, image.height))
    assert sum(lower.histogram()[:128]) > 2000


def a_followed_case(nb):
    """A missing person on day 3 of the search: ledger kept, one supervision and the 24-hour
    callback done, a note, and a legal review with one finding rectified."""
    case = nb.create_case(
        "missing_person",
        missing_person(channel="walk_in", reporter_id_number=REPORTER_ID),
    )
    tasks = nb.tasks("2025-03-03T12:00:00+08:00", include_upcoming=True, case_id=case.id)
    by_key = {task.key: task for task in tasks}
    nb.complete_task(by_key["ledger-1"].id, {"measure": "调取学校周边监控，走访同学3人"})
    nb.complete_task(by_key["supervision-1"].id, {"note": "值班所领导督办，扩大搜索范围"})
    nb.complete_task(
        by_key["callback-24h"].id,
        {"reached": True, "satisfaction": "satisfied", "comment": "家属感谢民警"},
    )
    nb.add_entry(case.id, "note", "联系阳光救援队协助搜索")
    [review] = nb.review(case.id, at="2025-03-03T12:00:00+08:00")
    no_receipt = next(f for f in review.findings if "回执" in f.message)
    nb.rectify_finding(no_receipt.id, "已补开回执单")
    nb.review(case.id, at="2025-03-03T12:00:00+08:00")
    return case


def test_ledger_prints_the_whole_file(station, tmp_path):
    case = a_followed_case(station)
    assert "ledger" in {d.name for d in station.documents(case.id)}
    path = station.render_document("ledger", case.id, tmp_path / "ledger.pdf")
    text = "\n".join(pdf_text(path))
    assert "一人一档" in text and "李小梅" in text
    assert MASKED_ID in text and REPORTER_ID not in text
    # Every duty with its due time, who did it and the outcome.
    assert "调取学校周边监控" in text and "值班所领导督办" in text
    assert "王民警(0417)" in text
    # The ledger was due at the end of the report's day (the column may wrap the time).
    assert re.search(r"2025-03-01\s+23:59", text)
    assert "三日报告" in text or "3日报告" in text  # still open, with its due time
    # Callbacks with their result.
    assert "家属感谢民警" in text and "满意" in text
    # Findings and their rectification.
    assert "已整改：已补开回执单" in text
    assert "联系阳光救援队协助搜索" in text
    render_png(path, SCREENSHOTS / "ledger.png")


def test_ledger_from_the_command_line(station, tmp_path, cli, monkeypatch):
    case = a_followed_case(station)
    station.lock()
    monkeypatch.chdir(tmp_path)
    printed = cli("document", "ledger", case.id, parse=False, lang="zh_CN")
    path = Path(printed.stdout.strip())
    assert path.name == f"ledger-{case.id}.pdf"
    text = "\n".join(pdf_text(tmp_path / path))
    assert "调取学校周边监控" in text and "已整改：已补开回执单" in text


def test_ledger_is_only_for_missing_persons(nb, tmp_path, cli):
    case = nb.create_case("incident", incident())
    assert "ledger" not in {d.name for d in nb.documents(case.id)}
    nb.lock()
    failed = cli("document", "ledger", case.id, "--pdf", str(tmp_path / "x.pdf"), expect=1)
    assert "ledger" in failed.stderr
