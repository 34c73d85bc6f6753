"""Task planning and the task list (casebook.tasks)."""

from __future__ import annotations

from casebook import Notebook


def test_tasks_of_one_case_type(notebook: Notebook):
    from tests.plugins.workflow_data import missing_person

    person = notebook.create_case("missing_person", missing_person())
    incident = notebook.create_case(
        "incident",
        {"title": "手机遗失", "channel": "walk_in", "reported_at": "2025-03-01T09:00:00+08:00"},
    )
    every = notebook.tasks("2030-01-01")
    assert {t.case_id for t in every} == {person.id, incident.id}
    only = notebook.tasks("2030-01-01", case_type="missing_person")
    assert only and {t.case_id for t in only} == {person.id}
    assert len(only) == sum(1 for t in every if t.case_id == person.id)
