"""The encrypted local store: SQLite through sqlite-utils on an SQLCipher connection.

The whole file is encrypted with the notebook's data key, used as a raw SQLCipher key (the
passphrase was already stretched by :mod:`casebook.keys`). WAL and journal are encrypted by
SQLCipher too, and temporary tables stay in memory so no plaintext temp file is written.

Tables fall in two groups:
- the truth: ``ops`` (the log), ``waiting_ops`` (received but not yet applicable), ``heads``,
  plus local, unsynced bookkeeping (``meta``, ``secrets``, ``preferences``, ``sync_state``,
  ``alarms``, ``plugin_state``, ``plugin_errors``, ``plugin_notices``, ``trusted_publishers``);
- views, rebuilt from ``ops`` by :meth:`casebook.Notebook.rebuild`: :data:`VIEW_TABLES`.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3
import sqlite_utils

from casebook.errors import AuthenticationError, IntegrityError
from casebook.i18n import _

DB_FILE = "notebook.db"
SCHEMA_VERSION = 1
#: The layout of the view tables. A notebook whose views were written in another layout
#: has them recomputed from its op log when it is opened (the log itself never changes).
VIEWS_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS preferences (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, message TEXT NOT NULL,
    at TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}', acknowledged INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS plugin_state (
    name TEXT PRIMARY KEY, enabled INTEGER NOT NULL DEFAULT 1, path TEXT, sha256 TEXT,
    signed INTEGER NOT NULL DEFAULT 0, publisher TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS plugin_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT, plugin TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plugin_notices (
    plugin TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (plugin, kind, subject));
CREATE TABLE IF NOT EXISTS trusted_publishers (public_key TEXT PRIMARY KEY, name TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS ops (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, op_id TEXT NOT NULL UNIQUE,
    hlc INTEGER NOT NULL, case_id TEXT, kind TEXT NOT NULL, body TEXT NOT NULL,
    hash TEXT NOT NULL, PRIMARY KEY (device_id, seq));
CREATE INDEX IF NOT EXISTS ops_by_case ON ops (case_id, device_id, seq);
CREATE INDEX IF NOT EXISTS ops_by_hlc ON ops (hlc, device_id);
CREATE TABLE IF NOT EXISTS heads (device_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS waiting_ops (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (device_id, seq));

CREATE TABLE IF NOT EXISTS cases (
    rid INTEGER PRIMARY KEY, case_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    status TEXT NOT NULL, title TEXT NOT NULL, officer_id TEXT NOT NULL, unit TEXT NOT NULL,
    created_hlc INTEGER NOT NULL, updated_hlc INTEGER NOT NULL, registers TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]', conflicts INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0, responsible TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS cases_by_updated ON cases (deleted, updated_hlc);
CREATE INDEX IF NOT EXISTS cases_by_type ON cases (type, status);
CREATE INDEX IF NOT EXISTS cases_with_conflicts ON cases (conflicts) WHERE conflicts > 0;
CREATE TABLE IF NOT EXISTS entries (
    entry_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
    data TEXT NOT NULL, author TEXT NOT NULL, created_hlc INTEGER NOT NULL,
    head_hlc INTEGER NOT NULL, head_device TEXT NOT NULL, version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0, plugin TEXT);
CREATE INDEX IF NOT EXISTS entries_by_case ON entries (case_id, created_hlc);
CREATE TABLE IF NOT EXISTS attachments (
    attachment_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, media_type TEXT NOT NULL, sha256 TEXT NOT NULL, file_key TEXT NOT NULL,
    added_hlc INTEGER NOT NULL, author TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attachments_by_case ON attachments (case_id);
CREATE TABLE IF NOT EXISTS task_plans (
    case_id TEXT NOT NULL, plugin TEXT NOT NULL, hlc INTEGER NOT NULL, device_id TEXT NOT NULL,
    tasks TEXT NOT NULL, PRIMARY KEY (case_id, plugin));
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, plugin TEXT NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, due_at TEXT NOT NULL, due_ts INTEGER NOT NULL, data TEXT NOT NULL,
    outcome_schema TEXT, status TEXT NOT NULL, done_hlc INTEGER, outcome TEXT, key TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS tasks_by_due ON tasks (status, due_ts);
CREATE INDEX IF NOT EXISTS tasks_by_case ON tasks (case_id);
CREATE TABLE IF NOT EXISTS reviews (
    case_id TEXT PRIMARY KEY, hlc INTEGER NOT NULL, device_id TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rectifications (
    finding_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, note TEXT NOT NULL, author TEXT NOT NULL,
    hlc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS config (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, hlc INTEGER NOT NULL, device_id TEXT NOT NULL,
    author TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS officers (
    officer_id TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL, hlc INTEGER NOT NULL,
    device_id TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(
    title, body, tokenize = "unicode61 remove_diacritics 0", content = '', contentless_delete = 1);
"""

#: Tables that are pure views of the op log: emptied and refilled by a rebuild.
VIEW_TABLES = (
    "cases",
    "entries",
    "attachments",
    "task_plans",
    "tasks",
    "reviews",
    "rectifications",
    "config",
    "officers",
    "search_index",
)


def connect(path: Path, data_key: bytes) -> sqlite_utils.Database:
    """Open (or create) the encrypted database with a raw 256-bit key.

    :raises AuthenticationError: when the key does not open the file.
    """
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as error:
        conn.close()
        raise AuthenticationError(_("The notebook could not be opened with this key.")) from error
    # Temporary tables and indexes stay in memory: no plaintext temp file is ever written.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: an op reported committed survives a power cut, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA cache_size = -65536")
    db = sqlite_utils.Database(conn)
    conn.executescript(SCHEMA)
    _add_missing_columns(conn)
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    elif int(row[0]) > SCHEMA_VERSION:
        conn.close()
        raise IntegrityError(_("This notebook was written by a newer Casebook."))
    return db


def _add_missing_columns(conn: sqlcipher3.Connection) -> None:
    """Give view tables written by an earlier version the columns added since.

    The rows are filled when the views are recomputed (:data:`VIEWS_VERSION` changed with them).
    """
    columns = {row[1] for row in conn.execute("PRAGMA table_info(cases)")}
    if "responsible" not in columns:
        conn.execute("ALTER TABLE cases ADD COLUMN responsible TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE INDEX IF NOT EXISTS cases_by_responsible ON cases (responsible, deleted)")


def integrity_check(db: sqlite_utils.Database) -> str:
    """``PRAGMA integrity_check``: "ok" for a sound file."""
    return db.execute("PRAGMA integrity_check").fetchone()[0]
