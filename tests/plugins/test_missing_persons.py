"""Missing persons: callbacks, cadence, ledger, alerts, daily summary, notice (seeds 000, 001)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from casebook.plugins.missing_persons import rules

from casebook.clock import parse_datetime
from tests.plugins.workflow_data import (
    PASSPHRASE,
    missing_person,
    render_png,
    rules_of,
    tasks_of,
)

REPORTED = parse_datetime("2025-03-01T10:00:00+08:00")
WUXI = ["24h", "3d", "7d", "15d", "30d", "60d", "90d"]


def config_ops(notebook) -> list[dict]:
    return [op for op in notebook.ops_from(notebook.device_id, 0) if op["kind"] == "config.set"]


#: An adult outside every vulnerable group (no school): a general case unless the cause is urgent.
ADULT = {"age": 35, "school": None}


# --- derived fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "risk"),
    [
        ("suicide_risk", "urgent"),
        ("abduction", "urgent"),
        ("lost", "general"),
        ("left_home", "general"),
        ("unknown", "general"),
    ],
)
def test_risk_is_derived_from_cause_when_absent(nb, cause, risk):
    # An adult outside every vulnerable group: the cause alone decides the track.
    case = nb.create_case("missing_person", missing_person(cause=cause, **ADULT))
    assert case.fields["risk"] == risk


def test_recorded_risk_wins_and_age_adds_vulnerable_groups(nb):
    case = nb.create_case("missing_person", missing_person(cause="lost", risk="urgent", age=87))
    assert case.fields["risk"] == "urgent"
    assert "elderly" in case.fields["vulnerable"]
    child = nb.create_case("missing_person", missing_person(age=9, vulnerable=["student"]))
    assert child.fields["vulnerable"] == ["student", "minor"]


def test_a_later_urgent_cause_escalates_the_risk(nb):
    case = nb.create_case("missing_person", missing_person(cause="left_home", **ADULT))
    assert case.fields["risk"] == "general"
    updated = nb.update_case(case.id, {"cause": "suicide_risk"})
    assert updated.fields["risk"] == "urgent"


def test_required_fields_refused(nb):
    from casebook import InvalidInputError

    with pytest.raises(InvalidInputError):
        nb.create_case("missing_person", missing_person(last_seen_place=None))


# --- callbacks -------------------------------------------------------------------------


def test_wuxi_callbacks_by_default(nb, cli):
    case = nb.create_case("missing_person", missing_person())
    due = sorted(
        (t.due_at, t.data["offset"])
        for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)
        if t.kind == "callback"
    )
    assert [offset for _due, offset in due] == WUXI
    assert parse_datetime(due[0][0]) == REPORTED + timedelta(hours=24)
    assert parse_datetime(due[-1][0]) == REPORTED + timedelta(days=90)
    nb.lock()
    listed = cli("tasks", "--at", "2025-03-09T12:00:00+08:00", "--json")
    callbacks = [t for t in listed if t["case_id"] == case.id and t["kind"] == "callback"]
    # 24h, 3d and 7d are due by the 9th; all three are overdue by then.
    assert len(callbacks) == 3
    assert all(t["status"] == "overdue" for t in callbacks)


def test_pingxiang_schedule_is_one_setting_away_and_audited(nb, cli):
    nb.set_setting("missing_persons.callback_schedule", "pingxiang")
    case = nb.create_case("missing_person", missing_person())
    offsets = sorted(
        t.data["offset"]
        for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)
        if t.kind == "callback"
    )
    assert sorted(offsets) == sorted(["3d", "7d", "30d", "60d", "90d"])
    assert [op["payload"] for op in config_ops(nb)] == [
        {"key": "missing_persons.callback_schedule", "value": "pingxiang"}
    ]
    nb.lock()
    listed = cli("tasks", "--at", "2025-03-02T12:00:00+08:00", "--json")
    # No 24-hour callback in Pingxiang: nothing is due on the 2nd.
    assert not [t for t in listed if t["case_id"] == case.id and t["kind"] == "callback"]


def test_a_new_schedule_reaches_open_cases_at_once(nb):
    case = nb.create_case("missing_person", missing_person())
    nb.set_setting("missing_persons.callback_schedule", "pingxiang")  # no save of the case needed
    offsets = {
        t.data["offset"]
        for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)
        if t.kind == "callback"
    }
    assert offsets == {"3d", "7d", "30d", "60d", "90d"}


def test_custom_schedule_and_invalid_schedule_refused(nb):
    from casebook import InvalidInputError

    nb.set_setting("missing_persons.callback_schedule", ["12h", "2d"])
    case = nb.create_case("missing_person", missing_person())
    offsets = {
        t.data["offset"]
        for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)
        if t.kind == "callback"
    }
    assert offsets == {"12h", "2d"}
    with pytest.raises(InvalidInputError):
        nb.set_setting("missing_persons.callback_schedule", ["soon"])


def test_pending_callbacks_stop_when_found_and_done_ones_stay(nb, cli):
    case = nb.create_case("missing_person", missing_person())
    first = next(
        t for t in tasks_of(nb, case.id, "2025-03-02T12:00:00+08:00") if t.kind == "callback"
    )
    entry = nb.complete_task(
        first.id, {"reached": True, "satisfaction": "satisfied", "comment": "感谢"}
    )
    assert entry.kind == "callback" and entry.data["task_id"] == first.id
    nb.update_case(case.id, {"found_at": "2025-03-02T18:00:00+08:00", "outcome": "found_safe"})
    remaining = tasks_of(nb, case.id, "2025-06-30", upcoming=True)
    assert remaining == []
    assert nb.get_task(first.id).status == "done"
    nb.lock()
    listed = cli("tasks", "--at", "2025-06-30T12:00:00+08:00", "--json")
    assert not [t for t in listed if t["case_id"] == case.id]


# --- cadence and ledger -------------------------------------------------------------------


def test_cadence_tasks_for_unresolved_cases(nb, cli):
    case = nb.create_case("missing_person", missing_person())
    kinds = {t.kind: t for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)}
    assert {"ledger", "supervision", "report", "analysis", "monthly_review"} <= set(kinds)
    assert parse_datetime(kinds["report"].due_at) == REPORTED + timedelta(days=3)
    assert parse_datetime(kinds["analysis"].due_at) == REPORTED + timedelta(days=7)
    assert parse_datetime(kinds["monthly_review"].due_at) == REPORTED + timedelta(days=30)
    assert parse_datetime(kinds["dna_sampling"].due_at) == REPORTED + timedelta(days=30)
    assert kinds["supervision"].due_at.startswith("2025-03-02")
    # Daily supervision is a chain: doing day 1 brings day 2.
    nb.complete_task(kinds["supervision"].id, {"note": "所领导已督办"})
    nxt = [t for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True) if t.kind == "supervision"]
    assert len(nxt) == 1 and nxt[0].due_at.startswith("2025-03-03")
    nb.lock()
    listed = cli("tasks", "--at", "2025-03-05T09:00:00+08:00", "--json")
    kinds_listed = {t["kind"] for t in listed if t["case_id"] == case.id}
    assert {"ledger", "supervision", "report", "callback"} <= kinds_listed
    assert "analysis" not in kinds_listed  # due on the 8th


def test_cadence_is_configurable(nb):
    nb.set_setting(
        "missing_persons.cadence",
        {
            "supervision_days": 0,
            "report_days": 3,
            "analysis_days": 0,
            "review_days": 30,
            "dna_days": 0,
        },
    )
    case = nb.create_case("missing_person", missing_person())
    kinds = {t.kind for t in tasks_of(nb, case.id, "2025-03-01", upcoming=True)}
    assert "supervision" not in kinds and "analysis" not in kinds and "report" in kinds
    assert "dna_sampling" not in kinds


def test_ledger_missing_flagged_at_end_of_day(nb, cli):
    case = nb.create_case("missing_person", missing_person())
    same_day = nb.review(case.id, at="2025-03-01T20:00:00+08:00")
    assert "ledger_missing" not in rules_of(same_day, case.id)
    next_day = nb.review(case.id, at="2025-03-02T08:00:00+08:00")
    assert "ledger_missing" in rules_of(next_day, case.id)
    found_same_day = nb.create_case(
        "missing_person", missing_person(name="王芳", found_at="2025-03-01T15:00:00+08:00")
    )
    assert "ledger_missing" not in rules_of(
        nb.review(found_same_day.id, at="2025-03-05"), found_same_day.id
    )
    with_ledger = nb.create_case("missing_person", missing_person(name="赵强"))
    nb.add_entry(with_ledger.id, "ledger", "调取旺庄路监控;组织阳光救援队搜寻周边")
    assert not [
        t for t in tasks_of(nb, with_ledger.id, "2025-03-01", upcoming=True) if t.kind == "ledger"
    ]
    nb.lock()
    results = cli("review", "--json")
    by_case = {r["case_id"]: {f["rule"] for f in r["findings"]} for r in results}
    assert "ledger_missing" in by_case[case.id]
    assert "ledger_missing" not in by_case[with_ledger.id]
    assert "ledger_missing" not in by_case[found_same_day.id]


# --- alerts ------------------------------------------------------------------------------


def test_investigation_after_three_months_when_cause_unknown(nb, cli):
    unknown = nb.create_case(
        "missing_person", missing_person(cause="unknown", school=None, area=None)
    )
    known = nb.create_case(
        "missing_person", missing_person(name="周明", cause="debt", school=None, area=None)
    )
    before = nb.alerts("2025-05-31T12:00:00+08:00")
    assert not [a for a in before if a.kind == "investigation"]
    after = [a for a in nb.alerts("2025-06-02T12:00:00+08:00") if a.kind == "investigation"]
    assert [a.case_ids for a in after] == [[unknown.id]]
    assert known.id not in {i for a in after for i in a.case_ids}
    nb.lock()
    listed = cli("alerts", "--at", "2025-06-02T12:00:00+08:00", "--json")
    assert [a["case_ids"] for a in listed if a["kind"] == "investigation"] == [[unknown.id]]


def test_investigation_threshold_is_configurable(nb):
    case = nb.create_case("missing_person", missing_person(cause="unknown", school=None, area=None))
    assert not [a for a in nb.alerts("2025-04-15") if a.kind == "investigation"]
    nb.set_setting("missing_persons.investigation_after_months", 1)
    assert [a.case_ids for a in nb.alerts("2025-04-15") if a.kind == "investigation"] == [[case.id]]


def test_signs_of_harm_alert_at_any_time(nb):
    case = nb.create_case("missing_person", missing_person(cause="lost", signs_of_harm=True))
    alerts = [a for a in nb.alerts("2025-03-01T12:00:00+08:00") if a.kind == "investigation"]
    assert alerts and alerts[0].case_ids == [case.id] and alerts[0].severity == "critical"


def test_cluster_of_three_from_one_school_within_30_days(nb, cli):
    girls = [
        nb.create_case(
            "missing_person",
            missing_person(name=name, area=area, reported_at=f"2025-03-{day:02d}T10:00:00+08:00"),
        )
        for name, area, day in (
            ("陈一", "甲街道", 3),
            ("陈二", "乙街道", 12),
            ("陈三", "丙街道", 25),
        )
    ]
    at = "2025-03-26T12:00:00+08:00"
    clusters = [a for a in nb.alerts(at) if a.kind == "cluster"]
    assert len(clusters) == 1
    assert clusters[0].case_ids == [g.id for g in girls]
    assert "新吴实验中学" in clusters[0].message
    # 40 days later the first report has left the 30-day window.
    assert not [a for a in nb.alerts("2025-04-05T12:00:00+08:00") if a.kind == "cluster"]
    nb.lock()
    listed = cli("alerts", "--at", at, "--json")
    assert [sorted(a["case_ids"]) for a in listed if a["kind"] == "cluster"] == [
        sorted(g.id for g in girls)
    ]


def test_cluster_threshold_is_configurable_and_audited(nb):
    for name, day in (("甲", 3), ("乙", 10)):
        nb.create_case(
            "missing_person",
            missing_person(
                name=name,
                school=None,
                area="旺庄街道",
                reported_at=f"2025-03-{day:02d}T10:00:00+08:00",
            ),
        )
    assert not [a for a in nb.alerts("2025-03-11") if a.kind == "cluster"]
    nb.set_setting("missing_persons.cluster", {"count": 2, "days": 30, "by": ["area"]})
    assert [len(a.case_ids) for a in nb.alerts("2025-03-11") if a.kind == "cluster"] == [2]
    assert config_ops(nb)[-1]["payload"]["key"] == "missing_persons.cluster"


def test_threshold_changed_from_the_cli_changes_alerts_and_is_logged(nb, cli):
    for name, day in (("甲", 3), ("乙", 10)):
        nb.create_case(
            "missing_person",
            missing_person(
                name=name, school="二中", area=None, reported_at=f"2025-03-{day:02d}T10:00:00+08:00"
            ),
        )
    nb.lock()
    at = "2025-03-11T12:00:00+08:00"
    assert not [a for a in cli("alerts", "--at", at, "--json") if a["kind"] == "cluster"]
    cli(
        "settings",
        "set",
        "missing_persons.cluster",
        "--value",
        '{"count": 2, "days": 30, "by": ["school"]}',
        parse=False,
    )
    assert [
        len(a["case_ids"]) for a in cli("alerts", "--at", at, "--json") if a["kind"] == "cluster"
    ] == [2]
    nb.unlock(PASSPHRASE)
    [op] = config_ops(nb)
    assert op["payload"] == {
        "key": "missing_persons.cluster",
        "value": {"count": 2, "days": 30, "by": ["school"]},
    }
    assert nb.verify_audit()["ops"] >= 3


def test_urgent_alert_until_found(nb, cli):
    case = nb.create_case(
        "missing_person", missing_person(cause="suicide_risk", school=None, area=None)
    )
    assert [a.case_ids for a in nb.alerts("2025-03-01T12:00:00+08:00") if a.kind == "urgent"] == [
        [case.id]
    ]
    nb.update_case(case.id, {"found_at": "2025-03-01T13:00:00+08:00"})
    assert [
        a for a in nb.alerts("2025-03-01T12:00:00+08:00") if a.kind == "urgent"
    ]  # not found yet then
    assert not [a for a in nb.alerts("2025-03-01T14:00:00+08:00") if a.kind == "urgent"]
    nb.lock()
    listed = cli("alerts", "--at", "2025-03-01T12:30:00+08:00", "--json")
    assert [a["case_ids"] for a in listed if a["kind"] == "urgent"] == [[case.id]]


# --- daily summary -------------------------------------------------------------------------


def test_daily_summary_report_and_command(nb, cli):
    old = nb.create_case(
        "missing_person",
        missing_person(
            name="老案",
            reported_at="2025-02-20T09:00:00+08:00",
            last_seen_at="2025-02-20T08:00:00+08:00",
            **ADULT,
        ),
    )
    new = nb.create_case("missing_person", missing_person(name="新案", cause="suicide_risk"))
    nb.create_case(
        "missing_person",
        missing_person(
            name="已找回",
            found_at="2025-02-21T09:00:00+08:00",
            reported_at="2025-02-20T10:00:00+08:00",
            last_seen_at="2025-02-20T08:00:00+08:00",
        ),
    )
    report = nb.build_report("daily", end="2025-03-01")
    summary = report.summary
    assert summary["new"] == 1
    assert summary["unresolved"] == 2
    assert summary["overdue"] > 0 and summary["due_today"] > 0
    assert summary["alerts"] >= 1
    assert report.rows[0][0] == new.title  # urgent first
    assert {row[0] for row in report.rows} == {old.title, new.title}
    assert report.columns[-1] == "Responsible officer"
    officer = nb.officer
    assert {row[-1] for row in report.rows} == {f"{officer['name']}（{officer['officer_id']}）"}
    nb.lock()
    via_report = cli("report", "daily", "--to", "2025-03-01", "--json")
    assert via_report["summary"]["unresolved"] == 2
    via_command = cli("daily", "--at", "2025-03-01", "--json")
    assert via_command["summary"]["new"] == 1


def test_wuxi_yearly_counts_and_causes(nb):
    """Seed 000: Wangzhuang station had 60 missing-person alerts in 2016 and 93 in 2017, over
    99% not criminal (debt, family conflict, relationships)."""
    causes = ["debt", "family_conflict", "relationship", "left_home"]
    records = []
    for year, count in ((2016, 60), (2017, 93)):
        for index in range(count):
            when = f"{year}-{index % 12 + 1:02d}-10T09:00:00+08:00"
            fields = missing_person(
                name=f"人员{year}{index}",
                reported_at=when,
                last_seen_at=when,
                found_at=f"{year}-{index % 12 + 1:02d}-11T09:00:00+08:00",
                cause=causes[index % 4],
                school=None,
                area=None,
            )
            records.append(("missing_person", fields))
    records[0][1]["cause"] = "abduction"
    nb.import_cases(records)
    summary = nb.build_report("recovery").summary
    assert summary["by_year"] == {"2016": 60, "2017": 93}
    not_criminal = summary["reported"] - summary["by_cause"].get("abduction", 0)
    assert not_criminal / summary["reported"] > 0.99


# --- notice ------------------------------------------------------------------------------------


def test_missing_person_notice_with_photo(nb, tmp_path, monkeypatch):
    from PIL import Image, ImageDraw

    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    photo = Image.new("RGB", (300, 400), "#c8d8e8")
    draw = ImageDraw.Draw(photo)
    draw.ellipse((90, 60, 210, 200), fill="#e0b090", outline="black", width=4)
    draw.rectangle((70, 210, 230, 400), fill="#2050a0")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    photo_path = tmp_path / "photo.jpg"
    photo_path.write_bytes(buffer.getvalue())
    case = nb.create_case(
        "missing_person",
        missing_person(age=87, gender="male", name="刘大爷", description="聋哑人,身穿灰色外套"),
    )
    nb.attach(case.id, photo_path)
    assert "notice" in {d.name for d in nb.documents(case.id)}
    pdf_path = tmp_path / "notice.pdf"
    nb.render_document("notice", case.id, pdf_path)
    render_png(pdf_path)
    without_photo = nb.create_case("missing_person", missing_person(name="无照片"))
    nb.render_document("notice", without_photo.id, tmp_path / "plain.pdf")
    render_png(tmp_path / "plain.pdf")


# --- pure rules -----------------------------------------------------------------------------


def test_offsets_and_months():
    assert rules.parse_offset("24h") == timedelta(hours=24)
    assert rules.parse_offset("90d") == timedelta(days=90)
    with pytest.raises(ValueError):
        rules.parse_offset("3w")
    assert rules.resolve_schedule("pingxiang") == ["3d", "7d", "30d", "60d", "90d"]
    moment = datetime.fromisoformat("2025-11-30T10:00:00+08:00")
    assert rules.add_months(moment, 3).isoformat().startswith("2026-02-28")


def test_unlock_after_cli_keeps_the_chain(nb, cli):
    """The in-process notebook may be reopened after CLI runs wrote to the log."""
    case = nb.create_case("missing_person", missing_person())
    nb.lock()
    cli("review", "--json")
    nb.unlock(PASSPHRASE)
    nb.add_entry(case.id, "ledger", "走访周边商户")
    assert nb.verify_audit()["ops"] > 0
