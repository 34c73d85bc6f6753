"""The articles' figures, reproduced from synthetic data built through the Notebook API.

- seed 002 (Qianwei county 2017): 8,520 valid callbacks, 7,031 satisfied = 82.5%, 11
  dissatisfied = 0.13%;
- seed 003 (Nanning high-tech zone): 6,041 incidents handled by street patrol = 44.83% of
  all needing on-site handling, 5,202 closed on site = 86.11%;
- seed 001 (Pingxiang): 2,443 missing-person alerts, 99.8% found, 100% of students and
  minors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import Notebook
from tests.plugins.workflow_data import PASSPHRASE, SCREENSHOTS, render_png, run_cli

CALLBACKS, SATISFIED, DISSATISFIED = 8520, 7031, 11
ONSITE_TOTAL, PATROL, CLOSED_ON_SITE = 13475, 6041, 5202
MISSING, FOUND = 2443, 2438


def incidents() -> list[tuple[str, dict]]:
    records = []
    for index in range(ONSITE_TOTAL):
        patrol = index < PATROL
        records.append(
            (
                "incident",
                {
                    "title": f"警情{index:05d}",
                    "reported_at": f"2025-{index % 12 + 1:02d}-{index % 28 + 1:02d}T09:00:00+08:00",
                    "channel": "patrol" if patrol else "call_110",
                    "category": ("noise", "help", "dispute")[index % 3],
                    "handled_by": "patrol" if patrol else "station",
                    "disposition": "closed_on_site" if index < CLOSED_ON_SITE else "transferred",
                },
            )
        )
    return records


def missing_persons() -> list[tuple[str, dict]]:
    records = []
    for index in range(MISSING):
        day = index % 28 + 1
        fields = {
            "name": f"失踪人员{index:04d}",
            "last_seen_at": f"2025-05-{day:02d}T07:00:00+08:00",
            "last_seen_place": "萍乡市",
            "reported_at": f"2025-05-{day:02d}T09:00:00+08:00",
            "cause": ("lost", "left_home", "debt", "family_conflict")[index % 4],
        }
        # Students and minors come first and are all found (100%).
        if index < 300:
            fields["age"] = 14
            fields["vulnerable"] = ["student"]
        elif index < 500:
            fields["age"] = 78
        if index < FOUND:
            hours = 5 if index % 2 else 30  # half found within 24 hours
            fields["found_at"] = f"2025-05-{day:02d}T{9 + hours % 24:02d}:00:00+08:00"
            if hours >= 24:
                fields["found_at"] = f"2025-05-{day + 1:02d}T15:00:00+08:00"
            fields["outcome"] = "found_safe"
        records.append(("missing_person", fields))
    return records


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebook holding the year's synthetic data (built once for this module)."""
    path = tmp_path_factory.mktemp("figures") / "notebook"
    notebook = Notebook.create(
        path, PASSPHRASE, officer_id="0417", officer_name="王民警", unit="旺庄派出所"
    )
    try:
        incident_ids = notebook.import_cases(incidents())
        notebook.import_cases(missing_persons())
        for index, case_id in enumerate(incident_ids[:CALLBACKS]):
            if index < SATISFIED:
                level = "satisfied"
            elif index < SATISFIED + DISSATISFIED:
                level = "dissatisfied"
            else:
                level = "basically_satisfied"
            data = {
                "reached": True,
                "handled": True,
                "satisfaction": level,
                "called_at": f"2025-{index % 12 + 1:02d}-20T15:00:00+08:00",
            }
            notebook.add_entry(case_id, "callback", "", data)
    finally:
        notebook.close()
    return path


@pytest.fixture
def nb_station(station: Path):
    notebook = Notebook.open(station, PASSPHRASE)
    yield notebook
    notebook.close()


def test_satisfaction_82_5_percent(nb_station):
    summary = nb_station.build_report("satisfaction").summary
    assert summary["callbacks_done"] == CALLBACKS
    assert summary["satisfied"] == SATISFIED
    assert summary["rate"] == 0.825
    assert summary["dissatisfied"] == DISSATISFIED
    assert summary["dissatisfied_rate"] == 0.0013
    # Both denominators: the calls reached and the valid incidents called back.
    assert summary["reached"] == summary["valid_incidents"] == CALLBACKS
    assert summary["incident_rate"] == 0.825 and summary["unreached"] == 0
    assert len(nb_station.build_report("satisfaction", "2025-01-01", "2025-01-31").rows) == 1


def test_onsite_86_11_percent(nb_station):
    summary = nb_station.build_report("onsite").summary
    assert summary["needing_onsite"] == ONSITE_TOTAL
    assert summary["handled_by_patrol"] == PATROL
    assert summary["patrol_share"] == 0.4483
    assert summary["closed_on_site"] == CLOSED_ON_SITE
    assert summary["rate"] == 0.8611


def test_recovery_99_8_percent(nb_station):
    report = nb_station.build_report("recovery")
    summary = report.summary
    assert summary["reported"] == MISSING
    assert summary["found"] == FOUND
    assert summary["rate"] == 0.998
    assert summary["by_outcome"]["found_safe"] == FOUND
    assert sum(summary["by_outcome"].values()) == FOUND
    assert summary["unresolved"] == MISSING - FOUND
    assert summary["by_group"]["student"]["rate"] == 1.0
    assert summary["by_group"]["minor"]["rate"] == 1.0
    assert summary["by_group"]["elderly"]["reported"] == 200
    assert 0 < summary["share_within_24h"] < 1
    assert report.rows == [["2025-05", MISSING, FOUND, 0.998]]


def test_figures_from_the_cli_and_report_pdf(station, nb_station, tmp_path):
    nb_station.close()
    satisfaction = run_cli(station, "report", "satisfaction", "--json")
    assert satisfaction["summary"]["callbacks_done"] == CALLBACKS
    assert satisfaction["summary"]["satisfied"] == SATISFIED
    assert satisfaction["summary"]["rate"] == 0.825
    onsite = run_cli(station, "report", "onsite", "--json")
    assert onsite["summary"]["rate"] == 0.8611
    recovery = run_cli(
        station, "report", "recovery", "--from", "2025-01-01", "--to", "2025-12-31", "--json"
    )
    assert recovery["summary"]["rate"] == 0.998
    pdf_path = tmp_path / "satisfaction.pdf"
    run_cli(station, "report", "satisfaction", "--pdf", str(pdf_path), parse=False, lang="zh_CN")
    render_png(pdf_path, SCREENSHOTS / "report.png")
    callbacks = run_cli(station, "report", "callbacks", "--to", "2025-12-31", "--json")
    assert callbacks["summary"]["done"] == CALLBACKS
