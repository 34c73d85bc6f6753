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
    """A query term in indexed form: its letters, digits and ideographs, space-separated."""
    return " ".join(filter(str.isalnum, text))


def indexed_form(text: str) -> str:
    """A text as it is indexed: every character its own token.

    The tokenizer drops spaces and punctuation and folds case itself, so this needs no
    filtering of its own (it is the hot path of a bulk import).
    """
    return " ".join(text)


def match_expression(query: str) -> str | None:
    """An FTS5 query: every whitespace-separated term must occur as a substring."""
    phrases = []
    for term in query.split():
        chars = grams(term)
        if chars:
            phrases.append(f'"{chars}"')
    return " AND ".join(phrases) if phrases else None


def index_row(rid: int, title: str, body: str) -> tuple[int, str, str]:
    return (rid, indexed_form(title), indexed_form(body))


def add_rows(conn: Any, rows: list[tuple[int, str, str]]) -> None:
    """Index new cases: ``(rowid, title, body)`` rows from :func:`index_row`."""
    conn.executemany("INSERT INTO search_index (rowid, title, body) VALUES (?, ?, ?)", rows)


def index_case(conn: Any, rid: int, title: str, body: str) -> None:
    """Replace a case's entry in the index."""
    conn.execute("DELETE FROM search_index WHERE rowid = ?", (rid,))
    add_rows(conn, [index_row(rid, title, body)])


def unindex_case(conn: Any, rid: int) -> None:
    conn.execute("DELETE FROM search_index WHERE rowid = ?", (rid,))


def ranked_rids(conn: Any, query: str, limit: int) -> list[int]:
    """The case rowids that match, best first."""
    expression = match_expression(query)
    if expression is None:
        return []
    rows = conn.execute(
        "SELECT rowid, bm25(search_index, 10.0, 1.0) FROM search_index WHERE search_index MATCH ? "
        "ORDER BY rowid DESC LIMIT ?",
        (expression, RANK_WINDOW),
    ).fetchall()
    rows.sort(key=lambda row: (row[1], -row[0]))
    return [row[0] for row in rows[:limit]]
