"""The case list: live search (Chinese, one character too), filters, sorting, paging."""

from __future__ import annotations

import pytest

from casebook.demo import load_demo
from casebook.gui.screens import case_list

pytestmark = pytest.mark.gui


@pytest.fixture
def demo_app(app):
    load_demo(app.app.nb)
    return app


def type_query(driver, page, text: str) -> list[str]:
    page.query.set(text)
    driver.wait_list(page)
    return page.row_titles()


def test_live_search_finds_zhang_san(demo_app):
    nb = demo_app.app.nb
    demo_app.root.event_generate("<Control-f>")  # the search shortcut opens the list
    demo_app.pump()
    page = demo_app.wait_list(demo_app.shell.pages["cases"])
    assert demo_app.shell.page_name == "cases"
    assert len(page.rows) == min(case_list.PAGE_SIZE, nb.count_cases())

    titles = type_query(demo_app, page, "张三")
    assert titles and titles[0] == "张三", titles
    assert titles == [row.title for row in nb.search("张三", limit=case_list.SEARCH_LIMIT)]
    assert "张三" in page.summary.cget("text")

    one_character = type_query(demo_app, page, "三")
    assert "张三" in one_character

    assert type_query(demo_app, page, "没有这样的案件") == []
    type_query(demo_app, page, "")
    assert len(page.rows) == min(case_list.PAGE_SIZE, nb.count_cases())


def test_filters_sorting_and_open(demo_app):
    nb = demo_app.app.nb
    page = demo_app.wait_list(demo_app.shell.show_page("cases"))
    page.type_box.current(page.type_names.index("missing_person") + 1)
    page.on_filter_changed()
    demo_app.wait_list(page)
    assert {nb.get_case(row.id).type for row in page.rows} == {"missing_person"}
    assert len(page.rows) == nb.count_cases(case_type="missing_person")

    page.on_sort("title", "title")
    ascending = demo_app.wait_list(page).row_titles()
    assert ascending == sorted(ascending)
    page.on_sort("title", "title")
    assert demo_app.wait_list(page).row_titles() == sorted(ascending, reverse=True)

    page.status_box.current(case_list.STATUSES.index("closed") + 1)
    page.on_filter_changed()
    demo_app.wait_list(page)
    assert page.rows and all(row.status == "closed" for row in page.rows)

    page.on_clear_filters()
    demo_app.wait_list(page)
    page.tree.selection_set(page.rows[0].id)
    page.on_open()
    assert demo_app.shell.case_view is not None
    assert demo_app.shell.case_view.case.id == page.rows[0].id


def test_paging_never_loads_more_than_a_page(app):
    nb = app.app.nb
    nb.import_cases(("incident", {"title": f"测试警情 {n:04d}"}) for n in range(250))
    page = app.wait_list(app.shell.show_page("cases"))
    assert len(page.tree.get_children()) == case_list.PAGE_SIZE
    assert "250" in page.summary.cget("text")
    page.on_next_page()
    app.wait_list(page)
    page.on_next_page()
    app.wait_list(page)
    assert len(page.tree.get_children()) == 50
    assert str(page.next_button.cget("state")) == "disabled"
    page.on_previous_page()
    app.wait_list(page)
    assert len(page.tree.get_children()) == case_list.PAGE_SIZE
