"""Legal review rules, scores, rectification and points (seed 004)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from casebook.plugins.legal_review import points, review_report

from casebook import Finding
from tests.plugins.workflow_data import incident, missing_person, rules_of

FIXTURE_PLUGIN = Path(__file__).with_name("fixture_rule_plugin.py")


def review(nb, case, at):
    return rules_of(nb.review(case.id, at=at), case.id)


def test_missing_elements(nb):
    sparse = nb.create_case("incident", incident(reporter_name=None, location=None))
    [result] = nb.review(sparse.id, at="2025-03-01T12:00:00+08:00")
    [finding] = [f for f in result.findings if f.rule == "missing_elements"]
    assert "reporter_name" in finding.message and "location" in finding.message
    complete = nb.create_case("incident", incident())
    assert "missing_elements" not in review(nb, complete, "2025-03-01T12:00:00+08:00")
    person = nb.create_case(
        "missing_person", missing_person(how_known=None, reporter_relationship=None)
    )
    assert "missing_elements" in review(nb, person, "2025-03-01T12:00:00+08:00")


def test_required_elements_are_configurable(nb):
    nb.set_setting("legal_review.required_elements", {"incident": ["title"]})
    sparse = nb.create_case("incident", incident(reporter_name=None, location=None))
    assert "missing_elements" not in review(nb, sparse, "2025-03-01T12:00:00+08:00")


def test_no_receipt(nb):
    walk_in = nb.create_case("incident", incident(receipt_issued=None))
    assert "no_receipt" in review(nb, walk_in, "2025-03-01T12:00:00+08:00")
    terminal = nb.create_case("incident", incident(channel="self_service", receipt_issued=False))
    assert "no_receipt" in review(nb, terminal, "2025-03-01T12:00:00+08:00")
    phoned = nb.create_case("incident", incident(channel="call_110", receipt_issued=None))
    assert "no_receipt" not in review(nb, phoned, "2025-03-01T12:00:00+08:00")


def test_acceptance_overdue(nb):
    pending = nb.create_case("incident", incident(category="criminal"))
    assert "acceptance_overdue" not in review(nb, pending, "2025-03-02T09:00:00+08:00")
    assert "acceptance_overdue" in review(nb, pending, "2025-03-02T11:00:00+08:00")
    late = nb.create_case(
        "incident", incident(category="administrative", accepted_at="2025-03-02T12:00:00+08:00")
    )
    assert "acceptance_overdue" in review(nb, late, "2025-03-09")
    timely = nb.create_case(
        "incident", incident(category="criminal", accepted_at="2025-03-01T20:00:00+08:00")
    )
    assert "acceptance_overdue" not in review(nb, timely, "2025-03-09")
    # Decided when recorded: never overdue. (A decision recorded after the deadline leaves
    # the missed deadline in the history: see test_findings_history.py.)
    decided = nb.create_case("incident", incident(category="criminal"), status="not_accepted")
    assert "acceptance_overdue" not in review(nb, decided, "2025-03-09")
    help_call = nb.create_case("incident", incident(category="help"))
    assert "acceptance_overdue" not in review(nb, help_call, "2025-03-09")


def test_filing_overdue_and_configurable_deadline(nb):
    accepted = nb.create_case(
        "incident", incident(category="criminal", accepted_at="2025-03-01T12:00:00+08:00")
    )
    assert "filing_overdue" not in review(nb, accepted, "2025-03-04T11:00:00+08:00")
    assert "filing_overdue" in review(nb, accepted, "2025-03-04T13:00:00+08:00")
    late = nb.create_case(
        "incident",
        incident(
            category="criminal",
            accepted_at="2025-03-01T12:00:00+08:00",
            filing_decision="filed",
            filing_decided_at="2025-03-06T12:00:00+08:00",
        ),
    )
    assert "filing_overdue" in review(nb, late, "2025-03-09")
    nb.set_setting("legal_review.filing_deadline_days", 7)
    # Findings recorded under the 3-day deadline stay in their history; cases recorded
    # from now on are judged against 7 days.
    assert "filing_overdue" in review(nb, late, "2025-03-09")
    accepted = nb.create_case(
        "incident", incident(category="criminal", accepted_at="2025-03-01T12:00:00+08:00")
    )
    late = nb.create_case(
        "incident",
        incident(
            category="criminal",
            accepted_at="2025-03-01T12:00:00+08:00",
            filing_decision="filed",
            filing_decided_at="2025-03-06T12:00:00+08:00",
        ),
    )
    assert "filing_overdue" not in review(nb, accepted, "2025-03-04T13:00:00+08:00")
    assert "filing_overdue" not in review(nb, late, "2025-03-09")
    assert "filing_overdue" in review(nb, accepted, "2025-03-08T13:00:00+08:00")
    from casebook import InvalidInputError

    with pytest.raises(InvalidInputError):
        nb.set_setting("legal_review.filing_deadline_days", 5)


def test_callback_missed_after_a_day_of_grace(nb):
    case = nb.create_case("incident", incident())  # callback due 2025-03-04 10:00
    assert "callback_missed" not in review(nb, case, "2025-03-05T09:00:00+08:00")
    assert "callback_missed" in review(nb, case, "2025-03-05T11:00:00+08:00")
    [callback] = [
        t for t in nb.tasks("2025-03-05") if t.case_id == case.id and t.kind == "callback"
    ]
    nb.complete_task(callback.id, {"reached": True, "satisfaction": "satisfied"})
    # Missed is missed: calling back late does not undo it; only rectification ends it.
    assert "callback_missed" in review(nb, case, "2025-03-05T11:00:00+08:00")


def test_reasons_truthful_registration_and_evidence(nb, tmp_path):
    refused = nb.create_case(
        "incident", incident(category="criminal", acceptance_decision="not_accepted")
    )
    assert "not_accepted_without_reason" in review(nb, refused, "2025-03-01T12:00:00+08:00")
    reasoned = nb.create_case(
        "incident",
        incident(
            category="criminal", acceptance_decision="not_accepted", not_accepted_reason="民事纠纷"
        ),
    )
    assert "not_accepted_without_reason" not in review(nb, reasoned, "2025-03-01T12:00:00+08:00")
    not_filed = nb.create_case(
        "incident",
        incident(
            category="criminal",
            accepted_at="2025-03-01T11:00:00+08:00",
            filing_decision="not_filed",
            filing_decided_at="2025-03-02T11:00:00+08:00",
        ),
    )
    assert "not_filed_without_reason" in review(nb, not_filed, "2025-03-03")
    understated = nb.create_case(
        "incident", incident(category="criminal", disposition="closed_on_site")
    )
    assert "not_truthfully_registered" in review(nb, understated, "2025-03-01T12:00:00+08:00")
    filed = nb.create_case(
        "incident",
        incident(
            category="criminal",
            accepted_at="2025-03-01T11:00:00+08:00",
            filing_decision="filed",
            filing_decided_at="2025-03-02T11:00:00+08:00",
        ),
    )
    assert "evidence_missing" in review(nb, filed, "2025-03-03")
    scan = tmp_path / "statement.txt"
    scan.write_text("询问笔录", encoding="utf-8")
    nb.attach(filed.id, scan)
    assert "evidence_missing" not in review(nb, filed, "2025-03-03")


def test_patrol_footage_rule_is_off_until_a_station_turns_it_on(nb, tmp_path):
    case = nb.create_case(
        "incident", incident(channel="patrol", handled_by="patrol", disposition="closed_on_site")
    )
    assert "footage_missing" not in review(nb, case, "2025-03-01T12:00:00+08:00")
    nb.set_setting("legal_review.rules", {"footage_missing": {"enabled": True}})
    assert "footage_missing" in review(nb, case, "2025-03-01T12:00:00+08:00")
    footage = tmp_path / "bodycam.mp4"
    footage.write_bytes(b"\x00" * 64)
    nb.attach(case.id, footage)
    assert "footage_missing" not in review(nb, case, "2025-03-01T12:00:00+08:00")


def test_rules_can_be_turned_off_and_repriced(nb):
    case = nb.create_case("incident", incident(receipt_issued=None))
    [result] = nb.review(case.id, at="2025-03-01T12:00:00+08:00")
    assert result.score == 90
    nb.set_setting("legal_review.rules", {"no_receipt": {"points": 30}})
    [result] = nb.review(case.id, at="2025-03-01T12:00:00+08:00")
    assert result.score == 70
    nb.set_setting("legal_review.rules", {"no_receipt": {"enabled": False}})
    # A rule turned off raises nothing new; what it raised stays until rectified.
    later = nb.create_case("incident", incident(receipt_issued=None))
    [result] = nb.review(later.id, at="2025-03-01T12:00:00+08:00")
    assert result.score == 100 and result.findings == []
    [result] = nb.review(case.id, at="2025-03-01T12:00:00+08:00")
    assert [f.rule for f in result.findings] == ["no_receipt"]


def test_score_rectification_and_review_report(nb, cli):
    bad = nb.create_case(
        "incident", incident(category="criminal", receipt_issued=None, reporter_name=None)
    )
    good = nb.create_case("incident", incident(category="help", channel="call_110"))
    at = "2025-03-02T12:00:00+08:00"
    results = {r.case_id: r for r in nb.review(at=at)}
    assert results[good.id].score == 100
    rules = {f.rule for f in results[bad.id].findings}
    assert rules == {"missing_elements", "no_receipt", "acceptance_overdue"}
    assert results[bad.id].score == 100 - 10 - 10 - 15
    receipt = next(f for f in results[bad.id].findings if f.rule == "no_receipt")
    nb.rectify_finding(receipt.id, "已补开回执单")
    [again] = nb.review(bad.id, at=at)
    assert again.score == 100 - 10 - 15
    report = nb.build_report("review", end="2025-03-02")
    assert report.summary["findings"] == 3
    assert report.summary["rectified"] == 1
    assert report.summary["rectification_rate"] == round(1 / 3, 4)
    assert report.summary["by_rule"] == {
        "acceptance_overdue": 1,
        "missing_elements": 1,
        "no_receipt": 1,
    }
    assert set(report.summary["points_by_officer"]) == {"0417"}
    assert set(report.summary["points_by_unit"]) == {"旺庄派出所"}
    nb.lock()
    listed = cli("review", "--at", at, "--json")
    by_case = {r["case_id"]: r for r in listed}
    assert by_case[bad.id]["score"] == 75
    assert {f["rule"] for f in by_case[bad.id]["findings"]} == rules
    elements = next(f for f in results[bad.id].findings if f.rule == "missing_elements")
    cli("finding", "rectify", elements.id, "--note", "已补录报警人信息", parse=False)
    cli_report = cli("report", "review", "--to", "2025-03-02", "--json")
    assert cli_report["summary"]["rectified"] == 2
    assert cli_report["summary"]["rectification_rate"] == round(2 / 3, 4)


def test_all_issue_rules_from_the_cli(nb, cli):
    """Each rule id of the issue appears in ``casebook review --json``."""
    nb.create_case(
        "incident", incident(reporter_name=None, receipt_issued=None, category="criminal")
    )
    nb.create_case(
        "incident", incident(category="criminal", accepted_at="2025-03-01T11:00:00+08:00")
    )
    nb.create_case("missing_person", missing_person())
    nb.lock()
    listed = cli("review", "--at", "2025-03-10T12:00:00+08:00", "--json")
    found = {f["rule"] for r in listed for f in r["findings"]}
    assert {
        "missing_elements",
        "no_receipt",
        "acceptance_overdue",
        "filing_overdue",
        "callback_missed",
        "ledger_missing",
    } <= found


def test_a_legal_officers_own_rule_appears_in_review(nb, cli):
    criminal = nb.create_case(
        "incident", incident(category="criminal", accepted_at="2025-03-01T11:00:00+08:00")
    )
    nb.lock()
    completed = cli("plugins", "install", str(FIXTURE_PLUGIN), "--allow-unsigned", parse=False)
    assert completed.returncode == 0
    result = cli("review", criminal.id, "--at", "2025-03-01T12:00:00+08:00", "--json")
    own = [f for f in result["findings"] if f["rule"] == "fixture_rule_plugin.station_reporter_id"]
    assert own and own[0]["plugin"] == "fixture_rule_plugin"
    assert result["score"] == 100 - 7
    infos = {p["name"]: p for p in cli("plugins", "list", "--json")}
    assert infos["fixture_rule_plugin"]["signed"] is False


# --- points ----------------------------------------------------------------------------


def result(officer, unit, score, rules=()):
    return SimpleNamespace(
        officer_id=officer,
        unit=unit,
        score=score,
        findings=[Finding(rule=r, severity="warning", message="") for r in rules],
    )


def test_points_quality_first_quantity_second_efficiency_considered():
    results = [result("A", "U1", 100)] * 2 + [result("B", "U1", 80, ["missing_elements"])] * 4
    results += [result("C", "U2", 90, ["filing_overdue"])] * 4
    table = {s.who: s for s in points.standings(results, "officer_id")}
    # A: quality 100, quantity 50, efficiency 100 -> 50 + 15 + 20 = 85
    assert table["A"].points == 85.0
    # B: quality 80, quantity 100, efficiency 100 -> 40 + 30 + 20 = 90
    assert table["B"].points == 90.0
    # C: quality 90, quantity 100, efficiency 0 (late filing) -> 45 + 30 + 0 = 75
    assert table["C"].points == 75.0
    assert [s.who for s in points.standings(results, "officer_id")] == ["B", "A", "C"]
    quality_only = {
        s.who: s.points
        for s in points.standings(
            results, "officer_id", {"quality": 1, "quantity": 0, "efficiency": 0}
        )
    }
    assert quality_only == {"A": 100.0, "B": 80.0, "C": 90.0}
    units = {s.who: s.cases for s in points.standings(results, "unit")}
    assert units == {"U1": 6, "U2": 4}


def test_points_weights_setting_changes_the_report(nb):
    nb.create_case("incident", incident(channel="call_110"))  # score 100
    nb.create_case("incident", incident(receipt_issued=None))  # no_receipt: score 90
    before = nb.build_report("review", end="2025-03-02").summary["points_by_officer"]["0417"]
    # quality 95, quantity 100, efficiency 100 -> 47.5 + 30 + 20
    assert before == 97.5
    nb.set_setting("legal_review.points_weights", {"quality": 1, "quantity": 0, "efficiency": 0})
    after = nb.build_report("review", end="2025-03-02").summary["points_by_officer"]["0417"]
    assert after == 95.0


def test_seed_004_all_problems_rectified():
    """Seed 004: 51 problems found, all rectified: rectification rate 100%."""
    results = []
    for index in range(389):
        rules = ["missing_elements"] if index < 51 else []
        item = result("officer", "城区分局", 90 if rules else 100, rules)
        for finding in item.findings:
            finding.rectified = True
        results.append(item)
    report = review_report(results, points.DEFAULT_WEIGHTS)
    assert report.summary["cases_reviewed"] == 389
    assert report.summary["findings"] == 51
    assert report.summary["rectification_rate"] == 1.0


def test_seed_004_figures_through_the_notebook(nb, cli):
    """Seed 004: 389 key incidents checked, 75 filing decisions reviewed of which 14 not
    filed, 51 problems found, all rectified."""
    nb.set_setting("legal_review.rules", {"evidence_missing": {"enabled": False}})
    records = []
    for index in range(389):
        fields = incident(channel="call_110", receipt_issued=None, title=f"重点警情{index}")
        if index < 51:
            fields.pop("location")  # the problem: an intake element missing
        if 100 <= index < 175:
            fields.update(
                category="criminal",
                accepted_at="2025-03-01T11:00:00+08:00",
                filing_decided_at="2025-03-02T11:00:00+08:00",
                filing_decision="filed",
            )
            if index < 114:
                fields.update(filing_decision="not_filed", not_filed_reason="情节显著轻微")
        records.append(("incident", fields))
    nb.import_cases(records)
    results = nb.review(at="2025-03-10")
    findings = [f for r in results for f in r.findings]
    assert len(findings) == 51 and {f.rule for f in findings} == {"missing_elements"}
    for finding in findings:
        nb.rectify_finding(finding.id, "已补录发案地点")
    nb.lock()
    summary = cli("report", "review", "--to", "2025-03-10", "--json")["summary"]
    assert summary["cases_reviewed"] == 389
    assert summary["filings_reviewed"] == 75 and summary["not_filed"] == 14
    assert summary["findings"] == 51 and summary["rectified"] == 51
    assert summary["rectification_rate"] == 1.0
