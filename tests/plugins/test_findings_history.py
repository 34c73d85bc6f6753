"""Findings are history, missed is missed, reads never write, alerts are signed off: through
the CLI, with the station's clock at the data's time (officers write on the day)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casebook import Notebook
from tests.plugins.workflow_data import PASSPHRASE, incident, missing_person

ADMIN = "jincheng admin passphrase"
MONTH_START, MONTH_END = "2025-03-01", "2025-03-31"


def casebook(notebook: Path, *args: str, stdin: Any = None, expect: int = 0) -> Any:
    """Run ``casebook ARGS`` on a notebook folder (the clock from the environment); JSON
    output is parsed, other output returned as text."""
    env = {
        **os.environ,
        "CASEBOOK_NOTEBOOK": str(notebook),
        "CASEBOOK_PASSPHRASE": PASSPHRASE,
        "CASEBOOK_ADMIN_PASSPHRASE": ADMIN,
        "CASEBOOK_LANG": "en",
    }
    completed = subprocess.run(
        [sys.executable, "-c", "from casebook.cli import main; main()", *args],
        input=json.dumps(stdin, ensure_ascii=False) if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == expect, (args, completed.stdout, completed.stderr)
    return json.loads(completed.stdout) if "--json" in args else completed.stdout


def op_count(notebook: Path) -> int:
    with Notebook.open(notebook, PASSPHRASE, load_plugins=False) as nb:
        return nb.verify_audit()["ops"]


def findings_of(review: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in review["findings"] if f["rule"] == rule]


@pytest.fixture
def laptop(tmp_path: Path, station_clock) -> Path:
    """The duty officer's laptop, set up on the morning the tests' data begins."""
    station_clock("2025-03-01T08:00:00+08:00")
    path = tmp_path / "duty"
    casebook(
        path, "init", "--officer-id", "0417", "--officer-name", "王民警", "--unit", "金城派出所"
    )
    return path


def test_fixing_the_data_keeps_the_finding_found_and_counts_it_rectified(laptop, station_clock):
    station_clock("2025-03-01T10:30:00+08:00")
    case_id = casebook(
        laptop, "case", "new", "--type", "incident", stdin=incident(location=None)
    ).strip()
    [raised] = findings_of(casebook(laptop, "review", case_id, "--json"), "missing_elements")
    assert raised["recorded"] and not raised["rectified"]
    assert raised["officer_id"] == "0417" and raised["plugin"] == "legal_review"
    assert raised["plugin_version"] and raised["raised_at"].startswith("2025-03-01T10:30")
    before = casebook(laptop, "review", "--summary", "--json")
    assert (before["found"], before["rectified"], before["open"]) == (1, 0, 1)

    station_clock("2025-03-02T09:00:00+08:00")
    casebook(laptop, "case", "update", case_id, stdin={"location": "金城路1号"})
    after = casebook(laptop, "review", "--summary", "--json")
    assert after["found"] == before["found"]
    assert after["rectified"] == before["rectified"] + 1
    assert after["rectified_by_data"] == 1 and after["open"] == 0
    assert after["rectification_rate"] == 1.0
    [fixed] = findings_of(casebook(laptop, "review", case_id, "--json"), "missing_elements")
    assert fixed["id"] == raised["id"] and fixed["ended_by"] == "data"
    assert fixed["rectified_by"] == "0417" and fixed["rectified_at"].startswith("2025-03-02T09:00")
    # The text output says how it ended.
    assert "rectified by a data change by 王民警 (0417)" in casebook(laptop, "review", case_id)
    # Broken again, it is a new finding: found 2, rectified 1.
    casebook(laptop, "case", "update", case_id, stdin={"location": None})
    again = casebook(laptop, "review", "--summary", "--json")
    assert (again["found"], again["rectified"], again["open"]) == (2, 1, 1)


def test_a_missed_callback_stays_missed_after_the_person_is_found_and_the_case_closes(
    laptop, station_clock
):
    station_clock("2025-03-01T10:00:00+08:00")
    case_id = casebook(
        laptop, "case", "new", "--type", "missing_person", stdin=missing_person()
    ).strip()
    casebook(laptop, "case", "entry", case_id, "ledger", "调取学校周边监控")
    # The 24-hour callback was due on 03-02 10:00; at 03-04 10:30 it is 48.5 h overdue.
    station_clock("2025-03-04T10:30:00+08:00")
    [pending] = findings_of(casebook(laptop, "review", case_id, "--json"), "callback_missed")
    assert not pending["recorded"]  # a read records nothing
    assert pending["overdue"] and pending["points"] == 5
    casebook(
        laptop,
        "case",
        "update",
        case_id,
        stdin={"found_at": "2025-03-04T10:00:00+08:00", "outcome": "found_safe"},
    )
    review = casebook(laptop, "review", case_id, "--json")
    [missed] = findings_of(review, "callback_missed")
    assert missed["recorded"] and not missed["rectified"]
    assert missed["raised_at"].startswith("2025-03-03T10:00")  # due + 24 h of grace
    assert review["score"] == 95
    casebook(laptop, "case", "status", case_id, "closed", "--reason", "已找到")
    station_clock("2025-03-20T10:00:00+08:00")
    review = casebook(laptop, "review", case_id, "--json")
    assert [f["rectified"] for f in findings_of(review, "callback_missed")] == [False]
    assert review["score"] == 95
    # Only rectification (整改/销号) ends it.
    casebook(laptop, "finding", "rectify", missed["id"], "--note", "已补做回访并说明原因")
    [closed] = findings_of(casebook(laptop, "review", case_id, "--json"), "callback_missed")
    assert closed["ended_by"] == "rectify" and closed["rectified_note"] == "已补做回访并说明原因"


def test_every_overdue_rule_stays_after_the_data_catches_up(laptop, station_clock):
    station_clock("2025-03-01T10:00:00+08:00")
    criminal = casebook(
        laptop, "case", "new", "--type", "incident", stdin=incident(category="criminal")
    ).strip()
    person = casebook(laptop, "case", "new", "--type", "missing_person", stdin=missing_person())
    person = person.strip()
    station_clock("2025-03-05T12:00:00+08:00")
    casebook(laptop, "case", "update", criminal, stdin={"accepted_at": "2025-03-01T11:00:00+08:00"})
    casebook(laptop, "case", "entry", person, "ledger", "补录台账")
    casebook(laptop, "case", "update", person, stdin={"found_at": "2025-03-05T11:00:00+08:00"})
    kept = {
        f["rule"]
        for r in casebook(laptop, "review", "--json")
        for f in r["findings"]
        if not f["rectified"]
    }
    # No decision within 24 h; the ledger not kept on the day; the callbacks missed.
    assert {"acceptance_overdue", "ledger_missing", "callback_missed"} <= kept


def test_reads_never_write(laptop, station_clock):
    station_clock("2025-03-01T10:00:00+08:00")
    casebook(laptop, "case", "new", "--type", "incident", stdin=incident(category="criminal"))
    casebook(laptop, "case", "new", "--type", "missing_person", stdin=missing_person())
    station_clock(None)
    ops = op_count(laptop)
    reads = [
        ("review",),
        ("review", "--json"),
        ("review", "--at", "9999-12-31"),
        ("review", "--at", "9999-12-31", "--json"),
        ("review", "--from", MONTH_START, "--to", MONTH_END, "--summary"),
        ("report", "review", "--json"),
        ("alerts", "--json"),
    ]
    for args in reads:
        casebook(laptop, *args)
    assert op_count(laptop) == ops


def test_the_duty_leader_signs_off_an_alert(laptop, station_clock):
    station_clock("2025-03-01T10:00:00+08:00")
    casebook(
        laptop,
        "case",
        "new",
        "--type",
        "missing_person",
        stdin=missing_person(risk="urgent", cause="suicide_risk"),
    )
    alerts = casebook(laptop, "alerts", "--json")
    assert alerts and all(a["id"] and not a["acknowledged_by"] for a in alerts)
    chosen = alerts[0]
    casebook(laptop, "alert", "sign-off", chosen["id"], "--note", "", expect=1)
    casebook(laptop, "alert", "sign-off", "0" * 32, "--note", "已阅", expect=1)
    ops = op_count(laptop)
    station_clock("2025-03-01T10:20:00+08:00")
    signed = casebook(
        laptop, "alert", "sign-off", chosen["id"], "--note", "已部署巡逻力量搜寻", "--json"
    )
    assert signed["acknowledged_by"] == "0417"
    assert signed["acknowledged_note"] == "已部署巡逻力量搜寻"
    assert signed["acknowledged_at"].startswith("2025-03-01T10:20")
    assert op_count(laptop) == ops + 1
    again = {a["id"]: a for a in casebook(laptop, "alerts", "--json")}
    assert again[chosen["id"]]["acknowledged_by"] == "0417"
    assert "Signed off by 0417" in casebook(laptop, "alerts")


def jincheng_month() -> list[dict[str, Any]]:
    """Seed 004's month: 389 key incidents, 75 filing decisions of which 14 not filed (with
    their reasons), 51 with an intake element missing (the place)."""
    records = []
    for index in range(389):
        day = index % 31 + 1
        fields = incident(
            channel="call_110",
            receipt_issued=None,
            title=f"重点警情{index}",
            reported_at=f"2025-03-{day:02d}T10:00:00+08:00",
        )
        if index < 51:
            fields.pop("location")
        if 100 <= index < 175:
            fields.update(
                category="criminal",
                accepted_at=f"2025-03-{day:02d}T11:00:00+08:00",
                filing_decided_at=f"2025-03-{day:02d}T18:00:00+08:00",
                filing_decision="filed",
            )
            if index < 114:
                fields.update(filing_decision="not_filed", not_filed_reason="情节显著轻微")
        records.append(fields)
    return records


def test_the_jincheng_legal_review_month(tmp_path: Path, station_clock):
    """Seed 004 (Jincheng): 389 key incidents checked, 75 filings reviewed, 14 not filed, 51
    problems found, all rectified: the duty officer fixes the data behind some, the legal
    officer rectifies and closes the rest on another laptop, and the figures hold on both."""
    station_clock("2025-03-01T08:00:00+08:00")
    duty, legal, share = tmp_path / "duty", tmp_path / "legal", tmp_path / "share"
    casebook(
        duty, "init", "--officer-id", "0417", "--officer-name", "王民警", "--unit", "金城派出所"
    )
    casebook(
        legal, "init", "--officer-id", "0901", "--officer-name", "李法制", "--unit", "金城派出所"
    )
    casebook(duty, "station", "init", "--share", str(share))
    device = casebook(legal, "station", "join", "--share", str(share)).strip()
    casebook(duty, "station", "approve", device, "--share", str(share))
    casebook(
        duty,
        "settings",
        "set",
        "legal_review.rules",
        "--value",
        '{"evidence_missing": {"enabled": false}}',
    )

    # The month's cases are recorded as they come in (here: at the month's end, in one go).
    station_clock("2025-03-31T20:00:00+08:00")
    month = tmp_path / "month.jsonl"
    month.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in jincheng_month()), encoding="utf-8"
    )
    casebook(duty, "case", "import", str(month), "--type", "incident")
    found = casebook(duty, "review", "--from", MONTH_START, "--to", MONTH_END, "--json")
    open_findings = {
        f["id"]: r["case_id"] for r in found for f in r["findings"] if not f["rectified"]
    }
    assert len(open_findings) == 51
    summary = casebook(
        duty, "review", "--from", MONTH_START, "--to", MONTH_END, "--summary", "--json"
    )
    assert (summary["found"], summary["rectified"], summary["open"]) == (51, 0, 51)

    # The duty officer fixes the data behind 11 findings: found stays 51, rectified +1 each.
    station_clock("2025-04-01T09:00:00+08:00")
    fixed = sorted(open_findings.items())[:11]
    for count, (_finding_id, case_id) in enumerate(fixed, start=1):
        casebook(duty, "case", "update", case_id, stdin={"location": "金城路补录地点"})
        if count == 1:
            first = casebook(
                duty, "review", "--from", MONTH_START, "--to", MONTH_END, "--summary", "--json"
            )
            assert (first["found"], first["rectified"]) == (51, 1)
    casebook(duty, "sync", "--share", str(share))
    casebook(legal, "sync", "--share", str(share))

    # The legal officer rectifies and closes (整改/销号) the rest on the other laptop.
    station_clock("2025-04-02T15:00:00+08:00")
    review = casebook(legal, "review", "--from", MONTH_START, "--to", MONTH_END, "--json")
    remaining = sorted(f["id"] for r in review for f in r["findings"] if not f["rectified"])
    assert len(remaining) == 40
    casebook(legal, "finding", "rectify", *remaining, "--note", "已督促补录发案地点并销号")
    casebook(legal, "sync", "--share", str(share))
    casebook(duty, "sync", "--share", str(share))

    for laptop in (duty, legal):
        figures = casebook(
            laptop, "review", "--from", MONTH_START, "--to", MONTH_END, "--summary", "--json"
        )
        assert figures == {
            "found": 51,
            "rectified": 51,
            "rectified_by_data": 11,
            "rectified_and_closed": 40,
            "open": 0,
            "rectification_rate": 1.0,
        }
        report = casebook(
            laptop, "report", "review", "--from", MONTH_START, "--to", MONTH_END, "--json"
        )["summary"]
        assert report["cases_reviewed"] == 389
        assert report["filings_reviewed"] == 75 and report["not_filed"] == 14
        assert report["findings"] == 51 and report["rectified"] == 51
        assert report["rectification_rate"] == 1.0
        history = {
            f["id"]: f
            for r in casebook(laptop, "review", "--from", MONTH_START, "--to", MONTH_END, "--json")
            for f in r["findings"]
        }
        assert {history[i]["rectified_by"] for i, _case in fixed} == {"0417"}
        assert {history[i]["ended_by"] for i, _case in fixed} == {"data"}
        assert {history[i]["rectified_by"] for i in remaining} == {"0901"}
        assert {history[i]["officer_id"] for i in history} == {"0417"}
