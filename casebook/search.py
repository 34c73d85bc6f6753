"""Full-text search that finds any substring of one character or more.

SQLite's trigram tokenizer finds nothing shorter than three characters, and Chinese names are
often two ("张三"). The index therefore holds every letter, digit and ideograph as its own
token (FTS5 ``unicode61`` over a space-separated character stream), and a query becomes a
phrase of its characters: a phrase of adjacent single-character tokens is exactly a
substring. Case folding comes from ``unicode61``.

Ranking: bm25, title weighted 10:1 over the body, among the most recent
``RANK_WINDOW`` matches (FTS5 walks rowids newest first and stops there), so a query that
matches half of 100k cases still answers in milliseconds. Ties go to the newest case.
"""

from __future__ import annotations

from typing import Any

RANK_WINDOW = 5000


def grams(text: str) -> str:
    """The indexed form of a text: its letters, digits and ideographs, space-separated."""
    return " ".join(filter(str.isalnum, text.lower()))


def match_expression(query: str) -> str | None:
    """An FTS5 query: every whitespace-separated term must occur as a substring."""
    phrases = []
    for term in query.split():
        chars = grams(term)
        if chars:
            phrases.append(f'"{chars}"')
    return " AND ".join(phrases) if phrases else None


def index_case(conn: Any, rid: int, title: str, body: str, *, new: bool = False) -> None:
    if not new:
        conn.execute("DELETE FROM search_index WHERE rowid = ?", (rid,))
    conn.execute("INSERT INTO search_index (rowid, title, body) VALUES (?, ?, ?)",
                 (rid, grams(title), grams(body)))


def unindex_case(conn: Any, rid: int) -> None:
    conn.execute("DELETE FROM search_index WHERE rowid = ?", (rid,))


def ranked_rids(conn: Any, query: str, limit: int) -> list[int]:
    """The case rowids that match, best first."""
    expression = match_expression(query)
    if expression is None:
        return []
    rows = conn.execute(
        "SELECT rowid, bm25(search_index, 10.0, 1.0) FROM search_index WHERE search_index MATCH ? "
        "ORDER BY rowid DESC LIMIT ?", (expression, RANK_WINDOW)).fetchall()
    rows.sort(key=lambda row: (row[1], -row[0]))
    return [row[0] for row in rows[:limit]]
