"""The session: one open, decrypted store of a notebook.

It holds the SQLCipher connection, the lock every reader and writer takes, transactions, the
``meta`` table (officer profile, views layout) and the device's private keys (``secrets``).
It knows nothing of ops: the journal (:mod:`casebook.journal`) writes them.

While a plugin's code runs (:mod:`casebook.plugin_host`), the connection, transactions and
secrets are refused: plugins read through their context and return what they change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3

from casebook import store
from casebook.errors import AuthenticationError, IntegrityError, InvalidInputError
from casebook.i18n import _
from casebook.oplog import canonical_json
from casebook.plugin_host import refuse_while_plugin_runs


class Session:
    """An open store. After :meth:`close` every read and write raises AuthenticationError."""

    def __init__(self, folder: Path, data_key: bytes, lock: threading.RLock) -> None:
        """:param lock: the notebook's lock; it outlives the session (lock, then unlock)."""
        self.lock = lock
        self.path = folder / store.DB_FILE
        self._db: Any = store.connect(self.path, data_key)
        self._conn: Any = self._db.conn
        self.in_transaction = False
        self._before_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self.officer: dict[str, str] = self.meta("officer") or {}

    @property
    def conn(self) -> Any:
        """The SQLCipher connection. Refused while a plugin's hook runs on this thread."""
        refuse_while_plugin_runs("connection")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self.conn.close()
                self._db = None
                self._conn = None

    def require_open(self) -> None:
        if self._db is None:
            raise AuthenticationError(_("The notebook is locked."))

    def before_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` inside every transaction, just before it commits."""
        self._before_commit.append(callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after every rollback (to drop what was cached from the lost writes)."""
        self._after_rollback.append(callback)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction; a nested use joins the outer one."""
        refuse_while_plugin_runs("write")
        with self.lock:
            self.require_open()
            if self.in_transaction:
                yield
                return
            with self._faults():
                self.conn.execute("BEGIN IMMEDIATE")
            self.in_transaction = True
            try:
                with self._faults():
                    yield
                    for callback in self._before_commit:
                        callback()
                    self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            finally:
                self.in_transaction = False

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk does); the caller's error matters.
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - the disk that failed the write may fail this too
                pass
        for callback in self._after_rollback:
            callback()

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """A database error of the disk or the folder becomes the user's message."""
        try:
            yield
        except sqlcipher3.Error as error:
            meaning = store.database_error(error, self.path)
            if meaning is None:
                raise
            raise meaning from error
        except UnicodeEncodeError as error:
            # Lone surrogates (invalid UTF-8 decoded leniently) cannot be stored or hashed.
            raise InvalidInputError(
                _("The text holds characters that are not valid Unicode.")
            ) from error

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self.lock:
            self.require_open()
            try:
                return self.conn.execute(sql, tuple(params)).fetchall()
            except sqlcipher3.Error as error:
                meaning = store.database_error(error, self.path)
                if meaning is None:
                    raise
                raise meaning from error

    def meta(self, key: str) -> Any:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: Any) -> None:
        """Call inside :meth:`transaction`."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, canonical_json(value)))

    def put_secret(self, name: str, value: bytes) -> None:
        """Call inside :meth:`transaction`."""
        self.conn.execute("INSERT OR REPLACE INTO secrets VALUES (?, ?)", (name, value))

    def secret(self, name: str) -> bytes:
        refuse_while_plugin_runs("keys")
        rows = self.query("SELECT value FROM secrets WHERE name = ?", (name,))
        if not rows:
            raise IntegrityError(_("The notebook has lost its device key."))
        return bytes(rows[0][0])

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` of the encrypted file ("ok")."""
        with self.lock:
            self.require_open()
            return store.integrity_check(self._db)
