"""A notebook just created, demo cases included, is in the current views layout: neither its
creation nor its first open logs "another layout" or recomputes the views."""

from __future__ import annotations

import logging

from casebook import Notebook
from casebook.demo import load_demo
from tests.conftest import PASSPHRASE

RECOMPUTING = "another layout"


def test_a_fresh_demo_notebook_does_not_recompute_its_views(notebook_dir, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="casebook")
    with Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="0001", officer_name="李明", unit="滨湖派出所"
    ) as notebook:
        assert load_demo(notebook)
    rebuilds = []
    monkeypatch.setattr(Notebook, "rebuild", lambda self, *a, **k: rebuilds.append(1) or {"ops": 0})

    with Notebook.open(notebook_dir, PASSPHRASE) as notebook:
        assert notebook.list_cases(limit=1)

    assert rebuilds == []
    assert not [r for r in caplog.records if RECOMPUTING in r.getMessage()]


def test_a_notebook_in_an_older_layout_is_still_recomputed(notebook, caplog):
    notebook.create_case("incident", {"title": "旧版"})
    with notebook.session.transaction():
        notebook.session.set_meta("views_version", 1)
    notebook.close()
    caplog.set_level(logging.INFO, logger="casebook")
    with Notebook.open(notebook.path, PASSPHRASE) as reopened:
        assert [c.title for c in reopened.list_cases()] == ["旧版"]
    assert [r for r in caplog.records if RECOMPUTING in r.getMessage()]
