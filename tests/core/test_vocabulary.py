"""The plugins' vocabulary: declared labels, merged, looked up in the officer's language, and
read by the PDFs; the read-only review."""

from __future__ import annotations

import pytest

from casebook import Glossary, Report, Vocabulary, hookimpl

CATALOG = {"Points by officer": "民警积分", "Lost": "走失", "Cluster": "聚集"}


def chinese(message: str) -> str:
    from casebook.i18n import language

    return CATALOG.get(message, message) if language() == "zh_CN" else message


def test_labels_follow_the_language_at_lookup(monkeypatch):
    glossary = Glossary(
        [Vocabulary(report_keys={"points": "Points by officer"}, translate=chinese)]
    )
    assert glossary.label("report_key", "points") == "Points by officer"
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    assert glossary.label("report_key", "points") == "民警积分"


def test_case_type_enum_labels_are_read_under_the_field_name(monkeypatch):
    schema = {
        "x-enum-labels": {"zh_CN": {"cause": {"lost": "迷路"}}, "en": {"cause": {"lost": "Lost"}}}
    }
    glossary = Glossary(
        [Vocabulary(report_keys={"by_cause": "By cause"}, key_enums={"by_cause": "cause"})],
        {"missing": schema},
    )
    assert glossary.key_label("by_cause", "lost") == "Lost"
    assert glossary.enum_labels("cause") == {"lost": "Lost"}
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    assert glossary.key_label("by_cause", "lost") == "迷路"
    assert glossary.enum_label("cause", "lost") == "迷路"


def test_a_label_is_found_before_a_raw_key_is_shown():
    glossary = Glossary(
        [
            Vocabulary(task_kinds={"sweep": "Area sweep"}, alert_kinds={"cluster": "Cluster"}),
            Vocabulary(enums={"satisfaction": {"dissatisfied": "Dissatisfied"}}),
        ]
    )
    # An entry written by a completed task has the task's kind.
    assert glossary.label("entry_kind", "sweep") == "Area sweep"
    # A code labelled under another kind or enum is better than the code itself.
    assert glossary.label("report_key", "dissatisfied") == "Dissatisfied"
    assert glossary.label("field", "cluster") == "Cluster"
    # Nothing names it: humanized, never with underscores.
    assert glossary.label("report_key", "open_items") == "Open items"
    with pytest.raises(ValueError):
        glossary.label("colour", "red")


def test_the_first_declaration_wins_and_roles_may_name_a_summary_key():
    glossary = Glossary(
        [
            Vocabulary(report_keys={"rate": "Rate"}, roles={"officer_points": "review:points"}),
            Vocabulary(report_keys={"rate": "Ratio"}, roles={"officer_points": "other"}),
        ]
    )
    assert glossary.label("report_key", "rate") == "Rate"
    role = glossary.role("officer_points")
    assert (role.report, role.key) == ("review", "points")
    assert glossary.role("daily_summary") is None
    assert glossary.to_dict()["roles"] == {"officer_points": "review:points"}


def test_a_failing_vocabulary_is_reported_and_the_others_stay(notebook):
    class Broken:
        casebook_plugin = {"version": "1.0.0", "publisher": "Tests", "api": [2]}

        @hookimpl
        def register_vocabulary(self):
            raise RuntimeError("no words")

    notebook.register_plugin("broken", Broken())
    glossary = notebook.vocabulary()
    assert glossary.label("report_key", "points_by_officer") == "Points by officer"
    [broken] = [p for p in notebook.plugins() if p.name == "broken"]
    assert any("register_vocabulary" in error for error in broken.errors)


def test_built_in_plugins_label_their_codes_in_chinese(notebook, monkeypatch):
    monkeypatch.setenv("CASEBOOK_LANG", "zh_CN")
    glossary = notebook.vocabulary()
    assert glossary.label("report_key", "points_by_officer") == "民警积分"
    assert glossary.label("task_kind", "supervision") == "一天一督"
    assert glossary.label("alert_kind", "cluster") == "聚集失踪"
    assert glossary.label("rule", "filing_overdue") == "立案超期"
    assert glossary.label("rule", "ledger_missing") == "台账缺失"
    assert glossary.key_label("by_cause", "left_home") == "离家出走"
    assert glossary.key_label("by_group", "minor") == "未成年人"
    assert glossary.enum_label("satisfaction", "basically_satisfied") == "基本满意"
    assert glossary.role("daily_summary").report == "daily"
    assert (glossary.role("officer_points").report, glossary.role("officer_points").key) == (
        "review",
        "points_by_officer",
    )


def test_a_report_view_labels_keys_codes_and_officers_and_shows_rates_with_counts():
    from casebook import OFFICERS
    from casebook.report_view import report_view

    glossary = Glossary(
        [
            Vocabulary(
                report_keys={
                    "by_cause": "By cause",
                    "reported": "Reported",
                    "found": "Found",
                    "rate": "Rate",
                    "points_by_officer": "Points by officer",
                },
                enums={"cause": {"left_home": "Left home"}},
                key_enums={"by_cause": "cause", "points_by_officer": OFFICERS, "who": OFFICERS},
            )
        ]
    )
    report = Report(
        "r",
        "R",
        {
            "reported": 8520,
            "found": 7031,
            "rate": 0.8252,
            "by_cause": {"left_home": 2},
            "points_by_officer": {"0417": 95},
        },
        columns=["Officer", "Rate"],
        rows=[["0417", 0.5]],
        rates={"rate": ["found", "reported"]},
        column_keys=["who", "rate"],
        start="2025-01-01",
        end="2025-12-31",
    )
    names = {"0417": "Wang"}
    view = report_view(report, glossary, unit="Wangzhuang", officer_name=names.get)
    assert ("Rate", "82.52% (7031/8520)") in view.figures
    assert [table.rows for table in view.tables] == [[["Left home", "2"]], [["Wang", "95"]]]
    assert view.table.rows == [["Wang", "50%"]]
    assert ("Unit", "Wangzhuang") in view.header
    assert ("Period", "2025-01-01 to 2025-12-31") in view.header
    assert "left_home" not in view.texts() and "0417" not in view.texts()


def test_a_review_writes_nothing(notebook):
    case = notebook.create_case("incident", {"title": "噪音扰民", "category": "noise"})
    before = len(notebook.history(case.id))
    read = notebook.review(case.id)
    again = notebook.review(case.id, at="9999-12-31")
    assert len(notebook.history(case.id)) == before
    assert read and again


def test_every_code_the_built_in_plugins_produce_has_a_label(notebook):
    """On the demo notebook: every report key and nested code, task kind, alert kind and
    review rule of the built-in plugins is declared, so nothing reaches a screen or a PDF as
    a humanized key."""
    from casebook import OFFICERS
    from casebook.demo import load_demo

    load_demo(notebook)
    glossary = notebook.vocabulary()
    enums = glossary.to_dict()["enums"]
    key_enums = glossary.to_dict()["key_enums"]
    unlabelled = []
    for spec in notebook.reports():
        report = notebook.build_report(spec.name)
        for key, value in report.summary.items():
            if not glossary.has("report_key", key):
                unlabelled.append(f"{spec.name}: {key}")
            if isinstance(value, dict) and key in key_enums and key_enums[key] != OFFICERS:
                unlabelled += [
                    f"{spec.name}: {key}: {code}"
                    for code in value
                    if code not in enums[key_enums[key]]
                ]
        unlabelled += [
            f"{spec.name}: column {key}"
            for key in report.column_keys
            if not glossary.has("report_key", key)
        ]
    tasks = notebook.tasks(include_upcoming=True)
    unlabelled += sorted({t.kind for t in tasks if not glossary.has("task_kind", t.kind)})
    alerts = notebook.alerts()
    unlabelled += sorted({a.kind for a in alerts if not glossary.has("alert_kind", a.kind)})
    rules = {f.rule for r in notebook.review() for f in r.findings}
    unlabelled += sorted(rule for rule in rules if not glossary.has("rule", rule))
    assert tasks and alerts and rules
    assert unlabelled == []
