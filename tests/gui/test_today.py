"""Today: tasks due and overdue, recording a callback's outcome in one dialog, alerts, summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebook.clock import format_datetime, now

pytestmark = pytest.mark.gui


def missing_person(nb, name: str, days: float):
    reported = now() - timedelta(days=days)
    return nb.create_case(
        "missing_person",
        {
            "name": name,
            "last_seen_at": format_datetime(reported - timedelta(hours=2)),
            "last_seen_place": "梁溪区中山路",
            "reported_at": format_datetime(reported),
            "reporter_name": "李梅",
            "reporter_phone": "13800001234",
        },
    )


def test_record_a_callback(app):
    nb = app.app.nb
    case = missing_person(nb, "张三", days=2)
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    callbacks = [t for t in today.tasks.values() if t.kind == "callback" and t.case_id == case.id]
    assert callbacks, "the 24h callback is overdue"
    task = callbacks[0]
    assert task.status == "overdue"
    today.task_tree.selection_set(task.id)
    dialog = today.on_record_outcome()
    app.pump()
    form = dialog.form
    assert {"reached", "satisfaction", "comment"} <= set(form.inputs)
    form.inputs["reached"].set(True)
    form.inputs["satisfaction"].set("satisfied")
    form.inputs["comment"].set("家属对民警处置表示满意。")
    assert dialog.on_save() is True
    app.pump()
    assert not dialog.winfo_exists()

    entries = [e for e in nb.get_case(case.id).entries if e.kind == "callback"]
    assert entries and entries[-1].data.get("satisfaction") == "satisfied"
    assert task.id not in {t.id for t in nb.tasks()}
    app.wait_for(lambda: today.loaded)
    assert task.id not in today.tasks, "the list was refreshed"


def test_outcome_problems_stay_in_the_dialog(app):
    nb = app.app.nb
    missing_person(nb, "王五", days=2)
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    task = next(t for t in today.tasks.values() if t.kind == "callback")
    today.task_tree.selection_set(task.id)
    dialog = today.on_record_outcome()
    dialog.form.inputs["satisfaction"].set("satisfied")
    dialog.form.inputs["reached"].set(None)
    dialog.form.inputs["reached"].bool_var.set(False)
    # An unticked required box answers "not reached": that is a valid outcome.
    assert dialog.form.get_values()["reached"] is False
    dialog.destroy()


def test_alerts_and_daily_summary(app):
    nb = app.app.nb
    for name in ("赵雨涵", "孙佳怡", "周梓萱"):
        case = missing_person(nb, name, days=3)
        nb.update_case(case.id, {"school": "梁溪区实验中学", "area": "梁溪区"})
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    kinds = {alert.kind for alert in today.alerts}
    assert "cluster" in kinds
    figures = [w.cget("text") for w in today.summary_frame.winfo_children()]
    assert figures, "the daily summary is shown"


def test_the_duty_leader_signs_off_an_alert(app):
    nb = app.app.nb
    for name in ("赵雨涵", "孙佳怡", "周梓萱"):
        case = missing_person(nb, name, days=3)
        nb.update_case(case.id, {"school": "梁溪区实验中学", "area": "梁溪区"})
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    assert today.on_sign_off_alert() is False  # no alert chosen
    today.alert_tree.selection_set("0")
    assert today.on_sign_off_alert() is False  # no note
    chosen = today.alerts[0]
    today.sign_off_note.set("已部署排查")
    assert today.on_sign_off_alert() is True
    app.wait_for(lambda: today.loaded and today.alerts and today.alerts[0].acknowledged_by)
    signed = next(a for a in today.alerts if a.id == chosen.id)
    assert signed.acknowledged_note == "已部署排查"
    assert signed.acknowledged_by == nb.officer["officer_id"]
    shown = today.alert_tree.item(str(today.alerts.index(signed)), "values")
    assert "已部署排查" in shown[-1]
    assert [op["kind"] for op in nb.ops_from(nb.device_id, 0)][-1] == "alert.acknowledge"


def test_missing_daily_report_is_a_message(app):
    nb = app.app.nb
    nb.disable_plugin("missing_persons")
    today = app.shell.show_page("today")
    app.wait_for(lambda: today.loaded)
    texts = " ".join(w.cget("text") for w in today.summary_frame.winfo_children())
    assert "No daily summary" in texts
