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

import errno
import os
from pathlib import Path

import sqlcipher3
import sqlite_utils

from casebook.errors import (
    AuthenticationError,
    CasebookError,
    IntegrityError,
    InvalidInputError,
    StorageError,
)
from casebook.i18n import _

DB_FILE = "notebook.db"
SCHEMA_VERSION = 1
#: The layout of the view tables. A notebook whose views were written in another layout
#: has them recomputed from its op log when it is opened (the log itself never changes).
VIEWS_VERSION = 4

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
-- Received ops refused by validation: they keep their place in the device's chain (its
-- head moves past them) but never reach the views.
CREATE TABLE IF NOT EXISTS refused_ops (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL,
    reason TEXT NOT NULL, PRIMARY KEY (device_id, seq));

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
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, plugin TEXT NOT NULL,
    plugin_version TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL,
    message TEXT NOT NULL, points INTEGER NOT NULL, overdue INTEGER NOT NULL,
    since TEXT NOT NULL, raised_at TEXT NOT NULL, raised_ts INTEGER NOT NULL,
    hlc INTEGER NOT NULL, device_id TEXT NOT NULL, raised_by TEXT NOT NULL,
    officer_id TEXT NOT NULL, legacy INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS findings_by_case ON findings (case_id);
CREATE TABLE IF NOT EXISTS finding_ends (
    end_id TEXT PRIMARY KEY, finding_id TEXT NOT NULL, case_id TEXT NOT NULL, how TEXT NOT NULL,
    hlc INTEGER NOT NULL, officer_id TEXT NOT NULL, note TEXT NOT NULL,
    legacy INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS finding_ends_by_case ON finding_ends (case_id);
CREATE TABLE IF NOT EXISTS alert_signoffs (
    alert_id TEXT PRIMARY KEY, note TEXT NOT NULL, officer_id TEXT NOT NULL,
    hlc INTEGER NOT NULL, device_id TEXT NOT NULL);
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
    "findings",
    "finding_ends",
    "alert_signoffs",
    "config",
    "officers",
    "search_index",
)


def connect(path: Path, data_key: bytes) -> sqlite_utils.Database:
    """Open (or create) the encrypted database with a raw 256-bit key.

    The file is created private (0600); SQLite gives its WAL and shared-memory files the
    same permissions.

    :raises AuthenticationError: when the key does not open the file.
    :raises StorageError: when the disk or the folder fails (full, read-only, I/O error).
    """
    if os.name == "posix" and not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            pass
        except OSError as error:
            raise storage_error(error, path) from error
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # Temporary tables and indexes stay in memory: no plaintext temp file is ever written.
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an op reported committed survives a power cut, not only a killed process.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA cache_size = -65536")
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    except sqlcipher3.Error as error:
        conn.close()
        raise database_error(error, path) or AuthenticationError(
            _("The notebook could not be opened with this key.")
        ) from error
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        conn.close()
        raise IntegrityError(_("This notebook was written by a newer Casebook."))
    return sqlite_utils.Database(conn)


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


# -- faults of the disk and the folder -------------------------------------------------------

#: Files that hold keys or case data (and the logs), and the notebook's folders: readable by
#: this user only, where the OS has such permissions.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def storage_error(error: OSError, path: str | os.PathLike | None = None) -> StorageError:
    """What a failed file operation means for the user, as a :class:`StorageError`.

    :param path: the file or folder concerned (default: the one the error names).
    """
    where = str(path if path is not None else (error.filename or ""))
    code = error.errno
    if code in _FULL:
        message = _("The disk is full ({path}): free some space and try again.")
    elif code == errno.EROFS:
        message = _("{path} is on a read-only disk or folder.")
    elif code in (errno.EACCES, errno.EPERM):
        message = _("Permission denied: this user may not read or write {path}.")
    elif code == errno.ENOENT:
        message = _("No such file or folder: {path}")
    elif code == errno.ENOTDIR:
        message = _("A part of {path} is a file, not a folder.")
    elif code == errno.EISDIR:
        message = _("{path} is a folder, not a file.")
    elif code == errno.EFBIG:
        message = _("{path}: the file is larger than this system allows.")
    else:
        return StorageError(
            _("The disk reported an error on {path}: {reason}").format(
                path=where, reason=error.strerror or type(error).__name__
            )
        )
    return StorageError(message.format(path=where))


def database_error(error: Exception, path: str | os.PathLike) -> CasebookError | None:
    """What an SQLite error from the store means, or None for a programming error.

    Only a file that is not a database under this key is an authentication failure; a full
    disk, a read-only folder or an I/O error is reported as such, never as a wrong key.
    """
    extended = getattr(error, "sqlite_errorcode", None)
    if extended is None:
        return None
    primary = extended & 0xFF
    if primary == sqlcipher3.SQLITE_NOTADB:
        return AuthenticationError(_("The notebook could not be opened with this key."))
    if primary == sqlcipher3.SQLITE_CORRUPT:
        return IntegrityError(_("The notebook database is damaged: {path}").format(path=path))
    if primary == sqlcipher3.SQLITE_FULL:
        return storage_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path)
    if primary in (sqlcipher3.SQLITE_READONLY, sqlcipher3.SQLITE_PERM):
        return StorageError(
            _(
                "{path} is read-only or not writable for this user: Casebook needs to write there."
            ).format(path=path)
        )
    if primary == sqlcipher3.SQLITE_CANTOPEN:
        return StorageError(
            _("Cannot open {path}: its folder is missing, read-only or not accessible.").format(
                path=path
            )
        )
    if primary == sqlcipher3.SQLITE_IOERR:
        # SQLite reports a full disk as an I/O error where it cannot tell (growing its
        # shared memory, for one); the free space can.
        if _nearly_full(Path(path)):
            return storage_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path)
        return StorageError(
            _("The disk reported an error on {path}: {reason}").format(path=path, reason=error)
        )
    return None


#: Less free space than this, next to a failing database, is a full disk.
NEARLY_FULL_BYTES = 1 << 20


def _nearly_full(path: Path) -> bool:
    try:
        usage = os.statvfs(path.parent)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return usage.f_bavail * usage.f_frsize < NEARLY_FULL_BYTES


def fault(error: BaseException) -> CasebookError | None:
    """A file or database error as the user's message, or None when it is neither."""
    if isinstance(error, OSError):
        return storage_error(error)
    if isinstance(error, sqlcipher3.Error):
        return database_error(error, DB_FILE)
    return None


def private_opener(path: str, flags: int) -> int:
    """``open(..., opener=private_opener)``: a new file readable by this user only (0600)."""
    return os.open(path, flags, PRIVATE_FILE)


def make_private_dir(path: Path) -> None:
    """Create a folder of the notebook (0700) whose parent exists, or tighten an existing one."""
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    make_private(path)


def make_private(path: Path) -> None:
    """Readable by this user only: 0600 for a file, 0700 for a folder (best effort: on
    systems without POSIX permissions, or for a file another user owns, nothing changes)."""
    if os.name != "posix":
        return
    try:
        os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
    except OSError:
        pass


def check_output_file(path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Where an export or a PDF may be written: never into a folder that does not exist (no
    folder is created), never onto a folder, and onto an existing file only with ``overwrite``.

    :raises InvalidInputError: naming the path and what is wrong; nothing was written.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise InvalidInputError(
            _("The folder {folder} does not exist: create it first or choose another.").format(
                folder=folder
            )
        )
    if target.is_dir():
        raise InvalidInputError(_("{path} is a folder, not a file.").format(path=target))
    if not overwrite and (target.exists() or target.is_symlink()):
        raise InvalidInputError(
            _("{path} already exists: nothing was written (--force replaces it).").format(
                path=target
            )
        )
    return target
