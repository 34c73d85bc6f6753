"""The read model (casebook.queries): search, listing."""

from __future__ import annotations

from casebook import Notebook


def test_search_finds_any_substring_and_ranks_titles_first(notebook: Notebook):
    body_hit = notebook.create_case("incident", {"title": "邻里纠纷", "summary": "涉及张三"})
    title_hit = notebook.create_case("incident", {"title": "张三 电动车被盗"})
    noted = notebook.create_case("incident", {"title": "其他"})
    notebook.add_entry(noted.id, "note", "Visited Mr. ZHANG San at home")
    gone = notebook.create_case("incident", {"title": "张三 已删除"})
    notebook.delete_case(gone.id)

    assert [c.id for c in notebook.search("张三")] == [title_hit.id, body_hit.id]
    assert {c.id for c in notebook.search("三")} == {title_hit.id, body_hit.id}
    assert [c.id for c in notebook.search("zhang san")] == [noted.id]
    assert [c.id for c in notebook.search("SAN AT")] == [noted.id]
    assert [c.id for c in notebook.search("张三 被盗")] == [title_hit.id]
    assert notebook.search("   ") == [] and notebook.search("!!") == []
    entry = notebook.get_case(noted.id).entries[0]
    notebook.delete_entry(noted.id, entry.id)
    assert notebook.search("zhang") == []


def test_search_leaves_dates_and_times_out(notebook: Notebook):
    dated = notebook.create_case(
        "incident", {"title": "手机遗失", "reported_at": "2025-03-12T12:30:00+08:00"}
    )
    numbered = notebook.create_case(
        "incident", {"title": "编号12号 纠纷", "reported_at": "2025-03-01T09:00:00+08:00"}
    )
    assert [hit.id for hit in notebook.search("12")] == [numbered.id]
    notebook.update_case(dated.id, {"summary": "第12次报警"})
    assert {hit.id for hit in notebook.search("12")} == {dated.id, numbered.id}
