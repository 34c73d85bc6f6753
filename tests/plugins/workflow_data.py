"""Test data and checks shared by the plugin tests (synthetic cases, PDF rendering)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PASSPHRASE = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"


def missing_person(**overrides: Any) -> dict[str, Any]:
    """A complete missing-person intake (全要素询问) reported on 2025-03-01 10:00."""
    fields = {
        "name": "李小梅",
        "gender": "female",
        "age": 16,
        "description": "身高160厘米,蓝色校服",
        "area": "旺庄街道",
        "school": "新吴实验中学",
        "last_seen_at": "2025-03-01T07:30:00+08:00",
        "last_seen_place": "新吴实验中学门口",
        "reported_at": "2025-03-01T10:00:00+08:00",
        "cause": "left_home",
        "reporter_name": "李建国",
        "reporter_phone": "13800000000",
        "reporter_relationship": "父亲",
        "how_known": "放学未回家",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def incident(**overrides: Any) -> dict[str, Any]:
    """A complete walk-in incident reported on 2025-03-01 10:00, receipt issued."""
    fields = {
        "title": "电动车被盗",
        "summary": "报警人称停放在小区门口的电动车被盗",
        "reported_at": "2025-03-01T10:00:00+08:00",
        "channel": "walk_in",
        "reporter_name": "张女士",
        "reporter_phone": "13900000000",
        "location": "旺庄路88号",
        "category": "help",
        "receipt_issued": True,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def tasks_of(notebook: Any, case_id: str, at: str, *, upcoming: bool = False) -> list[Any]:
    return [t for t in notebook.tasks(at, include_upcoming=upcoming) if t.case_id == case_id]


def rules_of(results: list[Any], case_id: str) -> set[str]:
    """The rules of a case's open findings (those rectified stay in its history)."""
    return {f.rule for r in results if r.case_id == case_id for f in r.findings if not f.rectified}


def render_png(pdf_path: Path, png_path: Path | None = None) -> Any:
    """Render a PDF's first page; assert it is not blank; optionally save it."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(pdf_path))
    assert len(document) >= 1
    image = document[0].render(scale=1.5).to_pil().convert("RGB")
    histogram = image.convert("L").histogram()
    dark = sum(histogram[:128])
    assert dark > 500, "the rendered page is blank"
    if png_path is not None:
        png_path.parent.mkdir(parents=True, exist_ok=True)
        image.save(png_path)
    document.close()
    return image


def run_cli(
    notebook_path: Path, *args: str, expect: int = 0, parse: bool = True, lang: str = "en"
) -> Any:
    """Run ``casebook ARGS`` on a notebook folder; JSON output (``--json``) is parsed."""
    env = {
        **os.environ,
        "CASEBOOK_NOTEBOOK": str(notebook_path),
        "CASEBOOK_PASSPHRASE": PASSPHRASE,
        "CASEBOOK_LANG": lang,
    }
    completed = subprocess.run(
        [sys.executable, "-c", "from casebook.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == expect, (completed.stdout, completed.stderr)
    if parse and "--json" in args:
        return json.loads(completed.stdout)
    return completed
