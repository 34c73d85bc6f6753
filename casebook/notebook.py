"""The Notebook facade: every read and write of the CLI, GUI, sync and plugins goes here.

One place writes ops (:meth:`Notebook._append`); each public write validates first, then
appends its ops and the plugins' results in one SQLite transaction, so a crash leaves either
all of it or none. Hooks that notify (``case_saved``, ``task_completed``) run after commit.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import logging
import math
import mimetypes
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlcipher3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from jsonschema import Draft202012Validator

from casebook import attachments as blobs
from casebook import clock, search, store
from casebook.casetypes import FORMATS, CaseType, describe
from casebook.errors import (
    AuthenticationError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    PluginError,
)
from casebook.i18n import _
from casebook.keys import KeyFile, b64d, b64e
from casebook.models import (
    Alarm,
    Alert,
    Attachment,
    Case,
    CaseSummary,
    Conflict,
    ConflictValue,
    DocumentSpec,
    Entry,
    EntrySpec,
    Finding,
    OutcomeSchema,
    PanelSpec,
    PluginInfo,
    Problem,
    Report,
    ReportSpec,
    ReviewResult,
    SettingSpec,
    Task,
    TaskSpec,
)
from casebook.oplog import GENESIS_HASH, Op, canonical_json, check_op_shape, new_id, op_hash
from casebook.plugin_context import PluginContext
from casebook.plugin_host import PluginHost, refuse_while_plugin_runs, verify_signature
from casebook.views import STATUS, Views, body_text, load_registers, winners

log = logging.getLogger("casebook")

STATUSES = (
    "received",
    "accepted",
    "not_accepted",
    "filed",
    "not_filed",
    "handled",
    "diverted",
    "transferred",
    "closed",
)
ENTRY_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
OFFICER_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
IMPORT_BATCH = 10000
SORT_COLUMNS = {
    "updated_at": "updated_hlc",
    "created_at": "created_hlc",
    "title": "title",
    "status": "status",
    "type": "type",
    "officer_id": "officer_id",
}
ProgressCallback = Callable[[int, int | None], None]


class _ReadOnly:
    """A setting's JSON object or array. Every reader shares the cached value, so changing it
    raises; copies (``copy.copy``, ``copy.deepcopy``, pickling) are plain, changeable values."""

    _plain: type

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "a setting's value is read-only: change a copy (dict(value) or list(value))"
        )

    def __copy__(self) -> Any:
        return self._plain(self)

    def __deepcopy__(self, memo: dict) -> Any:
        return _thaw(self)

    def __reduce__(self) -> Any:
        return (self._plain, (_thaw(self),))


class _ReadOnlyDict(_ReadOnly, dict):
    _plain = dict
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = (
        _ReadOnly._refuse
    )  # type: ignore[assignment]


class _ReadOnlyList(_ReadOnly, list):
    _plain = list
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = pop = remove = (
        clear
    ) = sort = reverse = _ReadOnly._refuse  # type: ignore[assignment]


def _freeze(value: Any) -> Any:
    """A JSON value whose containers refuse changes: settings are read for every case saved,
    and sharing one read-only value costs nothing where a copy per read did."""
    if isinstance(value, dict):
        return _ReadOnlyDict((key, _freeze(item)) for key, item in value.items())
    if isinstance(value, list):
        return _ReadOnlyList(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    """A plain, changeable copy of a JSON value."""
    if isinstance(value, dict):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thaw(item) for item in value]
    return value


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk operation.

    An import keeps every record it validated until its last batch is written, and creates
    no reference cycles: the collector walked those objects again and again, found nothing
    to free, and took an eighth of the import's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.lru_cache(maxsize=256)
def _check_outcome_schema(schema_text: str) -> None:
    """Check a task's outcome schema once: plugins give the same few schemas to thousands of
    tasks, and checking one against the metaschema takes milliseconds.

    :raises jsonschema.SchemaError: (not cached: a bad schema is checked again, and refused again).
    """
    Draft202012Validator.check_schema(json.loads(schema_text))


class _UnknownOutcomeSchema(PluginError):
    """A task names an outcome schema no enabled plugin registered."""


def _iso(hlc: int) -> str:
    return clock.format_datetime(clock.hlc_datetime(hlc))


def _hlc_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000) << clock.COUNTER_BITS


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]


def _json_value(value: Any, what: str) -> Any:
    """A copy of ``value`` made of JSON types only; anything else (a date object, NaN, a key
    that is not text) is refused, since it could not be stored and synced as it is."""
    if isinstance(value, str | bool | int) or value is None:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            if not isinstance(key, str):
                break
            copy[key] = item if type(item) is str else _json_value(item, what)
        else:
            return copy
    elif isinstance(value, list | tuple):
        return [item if type(item) is str else _json_value(item, what) for item in value]
    raise InvalidInputError(_("{what}: not a JSON value").format(what=what))


class Notebook:
    """An encrypted case notebook in one folder.

    >>> nb = Notebook.create(path, "passphrase", officer_id="0001", officer_name="李明", unit="滨湖派出所")
    >>> case = nb.create_case("incident", {"title": "电动车被盗"})
    >>> nb.search("电动")[0].id == case.id
    True
    """

    # -- lifecycle ---------------------------------------------------------------------

    def __init__(
        self, path: Path, keyfile: KeyFile, data_key: bytes, *, load_plugins: bool = True
    ) -> None:
        self.path = Path(path)
        self.keyfile = keyfile
        self.device_id = keyfile.device_id
        self._lock = threading.RLock()
        self._in_transaction = False
        self._load_plugins_flag = load_plugins
        self._db = None
        self._open_store(data_key)

    @staticmethod
    def exists(path: str | os.PathLike) -> bool:
        """Whether a notebook lives in ``path``."""
        return (Path(path) / "notebook.json").exists()

    @classmethod
    def create(
        cls,
        path: str | os.PathLike,
        passphrase: str,
        *,
        officer_id: str,
        officer_name: str,
        unit: str,
        load_plugins: bool = True,
    ) -> Notebook:
        """Create a notebook in an empty or new folder and return it unlocked.

        :raises InvalidInputError: for a bad officer id, name or unit, or a folder in use.
        """
        folder = Path(path)
        if cls.exists(folder):
            raise InvalidInputError(_("A notebook already exists in {path}.").format(path=folder))
        if not OFFICER_ID.match(officer_id or ""):
            raise InvalidInputError(_("officer_id: use 1-64 letters, digits, '.', '_' or '-'"))
        for label, value in (("officer_name", officer_name), ("unit", unit)):
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise InvalidInputError(_("{field}: this field is required").format(field=label))
        if not passphrase:
            raise InvalidInputError(_("The passphrase must not be empty."))
        folder.mkdir(parents=True, exist_ok=True)
        for sub in ("attachments", "plugins"):
            (folder / sub).mkdir(exist_ok=True)
        device_id = secrets.token_hex(16)
        keyfile, data_key = KeyFile.new(passphrase, device_id)
        notebook = cls(folder, keyfile, data_key, load_plugins=False)
        with notebook._transaction():
            officer = {"officer_id": officer_id, "name": officer_name.strip(), "unit": unit.strip()}
            notebook._set_meta("officer", officer)
            notebook._put_secret("ed25519", Ed25519PrivateKey.generate().private_bytes_raw())
            notebook._put_secret("x25519", X25519PrivateKey.generate().private_bytes_raw())
            notebook._officer = officer
            notebook._append("officer.profile", None, officer)
        # The key file is written last: a folder without it is not a notebook yet.
        keyfile.save(folder)
        if load_plugins:
            notebook._load_plugins()
        return notebook

    @classmethod
    def open(
        cls, path: str | os.PathLike, passphrase: str, *, load_plugins: bool = True
    ) -> Notebook:
        """Unlock a notebook.

        :raises AuthenticationError: wrong passphrase or no notebook there.
        """
        folder = Path(path)
        keyfile = KeyFile.load(folder)
        data_key = keyfile.unwrap(passphrase)
        return cls(folder, keyfile, data_key, load_plugins=load_plugins)

    def _open_store(self, data_key: bytes) -> None:
        self._db = store.connect(self.path / store.DB_FILE, data_key)
        self.conn = self._db.conn
        officer = self._meta("officer")
        self._officer = officer or {}
        self.views = Views(self.conn, self._title_of, self._searchable_text)
        self._load_head()
        max_hlc = self.conn.execute("SELECT max(hlc) FROM ops").fetchone()[0] or 0
        self.clock = clock.HybridClock(max_hlc)
        self.host = PluginHost(self._keep_plugin_error, self._keep_plugin_notice)
        self._context = PluginContext(self)
        self._case_types: dict[str, CaseType] = {}
        self._setting_specs: dict[str, SettingSpec] | None = None
        self._outcome_schemas: dict[str, OutcomeSchema] | None = None
        self._settings_cache: dict[str, Any] = {}
        if self._load_plugins_flag:
            self._load_plugins()
        else:
            self._register_plugin_types()  # the built-in types only: the host is empty
        if self._meta("views_version") != store.VIEWS_VERSION:
            log.info("the views were written in another layout: recomputing them from the op log")
            self.rebuild()

    @property
    def is_locked(self) -> bool:
        return self._db is None

    def lock(self) -> None:
        """Close the store and drop the key from memory. :meth:`unlock` opens it again."""
        with self._lock:
            if self._db is not None:
                self.conn.close()
                self._db = None
                self.conn = None  # type: ignore[assignment]

    def unlock(self, passphrase: str) -> None:
        """Reopen after :meth:`lock`. :raises AuthenticationError: wrong passphrase."""
        with self._lock:
            if self._db is None:
                self._open_store(self.keyfile.unwrap(passphrase))

    def close(self) -> None:
        self.lock()

    def __enter__(self) -> Notebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the data key under a new passphrase; the data is not re-encrypted."""
        data_key = self.keyfile.unwrap(old)
        if not new:
            raise InvalidInputError(_("The passphrase must not be empty."))
        self.keyfile.wrap(data_key, new)
        self.keyfile.save(self.path)

    @property
    def officer(self) -> dict[str, str]:
        """This laptop's officer: ``{officer_id, name, unit}``."""
        return dict(self._officer)

    # -- low-level store access ------------------------------------------------------------

    @property
    def conn(self) -> sqlcipher3.Connection:
        """The store's connection. Refused while a plugin's hook runs on this thread."""
        refuse_while_plugin_runs(_("use the notebook's connection"))
        return self._conn

    @conn.setter
    def conn(self, connection: sqlcipher3.Connection | None) -> None:
        self._conn = connection

    def _require_open(self) -> None:
        if self._db is None:
            raise AuthenticationError(_("The notebook is locked."))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        refuse_while_plugin_runs(_("write to the notebook"))
        with self._lock:
            self._require_open()
            if self._in_transaction:
                yield
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._load_head()
                self._settings_cache.clear()
                raise
            else:
                self._write_head()
                self.conn.execute("COMMIT")
            finally:
                self._in_transaction = False

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            self._require_open()
            return self.conn.execute(sql, tuple(params)).fetchall()

    def _meta(self, key: str) -> Any:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def _set_meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, canonical_json(value)))

    def _put_secret(self, name: str, value: bytes) -> None:
        self.conn.execute("INSERT OR REPLACE INTO secrets VALUES (?, ?)", (name, value))

    def _secret(self, name: str) -> bytes:
        refuse_while_plugin_runs(_("read this laptop's keys"))
        rows = self._query("SELECT value FROM secrets WHERE name = ?", (name,))
        if not rows:
            raise IntegrityError(_("The notebook has lost its device key."))
        return bytes(rows[0][0])

    def _load_head(self) -> None:
        """This device's last seq and hash, as committed."""
        row = self.conn.execute(
            "SELECT seq, hash FROM heads WHERE device_id = ?", (self.device_id,)
        ).fetchone()
        self._head_seq, self._head_hash = (row[0], row[1]) if row else (0, GENESIS_HASH)

    # -- the op writer ---------------------------------------------------------------------

    def _append(self, kind: str, case_id: str | None, payload: dict[str, Any]) -> Op:
        """Append one op of this device and apply it. Call inside :meth:`_transaction`."""
        return self._append_many([(kind, case_id, payload)])[0]

    def _append_many(self, changes: list[tuple[str, str | None, dict[str, Any]]]) -> list[Op]:
        """Append ops of this device, chained in the given order, and apply each.

        :param changes: ``(kind, case_id, payload)`` triples.
        Runs of new cases are written a run at a time (one statement per table); every other op
        is written and applied before the next is built, since it may depend on the one before.
        Call inside :meth:`_transaction`.
        """
        refuse_while_plugin_runs(_("write to the notebook"))
        officer_id = self._officer.get("officer_id", "?")
        ops: list[Op] = []
        creates: list[tuple[Op, tuple]] = []
        for kind, case_id, payload in changes:
            deps: dict[str, int] = {}
            if case_id is not None and kind != "case.create":
                if creates:
                    self._write_ops(creates)
                    creates = []
                deps = {
                    d: s
                    for d, s in self.conn.execute(
                        "SELECT device_id, max(seq) FROM ops WHERE case_id = ? GROUP BY device_id",
                        (case_id,),
                    )
                }
            op = {
                "op_id": new_id(),
                "device_id": self.device_id,
                "seq": self._head_seq + 1,
                "hlc": self.clock.tick(),
                "case_id": case_id,
                "kind": kind,
                "payload": payload,
                "prev_hash": self._head_hash,
                "officer_id": officer_id,
                "deps": deps,
            }
            body = canonical_json(op)
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            row = (self.device_id, op["seq"], op["op_id"], op["hlc"], case_id, kind, body, digest)
            # The head row is written once, at commit (:meth:`_write_head`).
            self._head_seq, self._head_hash = op["seq"], digest
            ops.append(op)
            if kind == "case.create":
                creates.append((op, row))
            else:
                if creates:
                    self._write_ops(creates)
                    creates = []
                self._write_ops([(op, row)])
        if creates:
            self._write_ops(creates)
        return ops

    def _write_ops(self, written: list[tuple[Op, tuple]]) -> None:
        self.conn.executemany(
            "INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row for _op, row in written]
        )
        self.views.apply_many([op for op, _row in written])
        if any(op["kind"] == "config.set" for op, _row in written):
            self._settings_cache.clear()

    def _write_head(self) -> None:
        self.conn.execute(
            "INSERT INTO heads VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
            " seq = excluded.seq, hash = excluded.hash WHERE excluded.seq > heads.seq",
            (self.device_id, self._head_seq, self._head_hash),
        )

    # -- case types and validation ---------------------------------------------------------

    def _load_builtin_types(self) -> None:
        for item in resources.files("casebook.schemas").iterdir():
            if (
                item.name.endswith(".schema.json")
                and item.name != "op.schema.json"
                and item.name != "segment.schema.json"
            ):
                schema = json.loads(item.read_text("utf-8"))
                if "x-casebook-type" in schema:
                    case_type = CaseType(schema, "casebook")
                    self._case_types[case_type.name] = case_type

    def _load_plugins(self) -> None:
        rows = self._query(
            "SELECT name, enabled, path, sha256, signed, publisher FROM plugin_state"
        )
        disabled = {r[0] for r in rows if not r[1]}
        installed = [
            {"name": r[0], "path": r[2], "sha256": r[3], "signed": r[4], "publisher": r[5]}
            for r in rows
            if r[2]
        ]
        self.host = PluginHost(self._keep_plugin_error, self._keep_plugin_notice)
        self.host.load(disabled, installed, self._trusted_publishers())
        self._register_plugin_types()

    def _register_plugin_types(self) -> None:
        self._case_types = {}
        self._setting_specs = None
        self._outcome_schemas = None
        self._load_builtin_types()
        for plugin, schema in self.host.collect("register_case_types", dict, context=self._context):
            try:
                case_type = CaseType(schema, plugin)
            except PluginError as error:
                self.host.report_error(plugin, "register_case_types", error)
                continue
            self._case_types[case_type.name] = case_type

    def register_plugin(self, name: str, module: Any) -> None:
        """Register a plugin module directly (embedding applications and tests)."""
        self.host.register_module(name, module)
        self._register_plugin_types()

    def case_types(self) -> dict[str, dict[str, Any]]:
        """``{type name: JSON Schema}`` of every registered case type."""
        return {name: ct.schema for name, ct in self._case_types.items()}

    def _case_type(self, name: str) -> CaseType:
        case_type = self._case_types.get(name)
        if case_type is None:
            raise NotFoundError(
                _("Unknown case type: {type}. Known types: {types}").format(
                    type=name, types=", ".join(sorted(self._case_types))
                )
            )
        return case_type

    def _title_of(self, type_name: str, fields: dict[str, Any]) -> str:
        case_type = self._case_types.get(type_name)
        return (
            case_type.title_of(fields)
            if case_type
            else str(fields.get("title") or fields.get("name") or "")
        )

    def _searchable_text(
        self, type_name: str, fields: dict[str, Any], entry_texts: list[str]
    ) -> str:
        case_type = self._case_types.get(type_name)
        return body_text(fields, entry_texts, case_type.unsearchable if case_type else frozenset())

    def _prepare(self, case_type: str, fields: dict[str, Any]) -> None:
        self.host.call("prepare_fields", context=self._context, case_type=case_type, fields=fields)

    def validate_fields(self, case_type: str, fields: Any) -> list[Problem]:
        """Problems with these fields for a new case of this type (schema and plugins)."""
        if not isinstance(fields, dict):
            return [Problem("", _("The fields must be a JSON object."), "type")]
        fields = dict(fields)
        self._prepare(case_type, fields)
        return self._problems(self._case_type(case_type), fields, None)

    def _problems(
        self,
        case_type: CaseType,
        fields: dict[str, Any],
        existing: Case | None,
        draft: Case | None = None,
    ) -> list[Problem]:
        problems = case_type.problems(fields)
        if problems:
            return problems
        draft = draft or self._draft_case(
            existing.id if existing else "",
            case_type.name,
            fields,
            existing.status if existing else "received",
            existing,
        )
        problems.extend(
            problem
            for _plugin, problem in self.host.collect(
                "validate_case", Problem, context=self._context, case=draft
            )
        )
        return problems

    def _draft_case(
        self,
        case_id: str,
        type_name: str,
        fields: dict[str, Any],
        status: str,
        existing: Case | None = None,
        stamp: str | None = None,
    ) -> Case:
        """The case as it will be once saved, for validation and planning.

        :param stamp: its creation and update time (default: now).
        """
        stamp = stamp or _iso(self.clock.last or clock.wall_ms() << clock.COUNTER_BITS)
        officer = self._officer
        return Case(
            id=case_id,
            type=type_name,
            status=status,
            title=self._title_of(type_name, fields),
            fields=dict(fields),
            officer_id=existing.officer_id if existing else officer.get("officer_id", ""),
            unit=existing.unit if existing else officer.get("unit", ""),
            created_at=existing.created_at if existing else stamp,
            updated_at=stamp,
            entries=list(existing.entries) if existing else [],
            attachments=list(existing.attachments) if existing else [],
        )

    def _check_fields(
        self, case_type: CaseType, fields: dict[str, Any], existing: Case | None
    ) -> None:
        problems = self._problems(case_type, fields, existing)
        if problems:
            raise InvalidInputError(describe(problems), problems)

    # -- cases -----------------------------------------------------------------------------

    def create_case(
        self, case_type: str, fields: dict[str, Any], *, status: str = "received"
    ) -> Case:
        """Create a case. :raises InvalidInputError: naming the bad field; nothing is written."""
        if not isinstance(fields, dict):
            raise InvalidInputError(_("The fields must be a JSON object."))
        self._check_status(status)
        kind = self._case_type(case_type)
        fields = _json_value(dict(fields), "fields")
        self._prepare(case_type, fields)
        self._check_fields(kind, fields, None)
        case_id = new_id()
        with self._transaction():
            self._append(
                "case.create",
                case_id,
                {
                    "type": case_type,
                    "fields": fields,
                    "status": status,
                    "unit": self._officer.get("unit", ""),
                },
            )
            case = self.get_case(case_id)
            self._plan_tasks(case, new=True)
        return self._saved(case_id)

    def import_cases(
        self,
        records: Iterable[tuple[str, dict[str, Any]]],
        *,
        progress: ProgressCallback | None = None,
    ) -> list[str]:
        """Create many cases. Every record is validated before anything is written.

        :param records: ``(case_type, fields)`` pairs.
        :param progress: called as ``progress(done, total)``.
        :raises InvalidInputError: naming the record and field; nothing is written.
        """
        with _cycle_collector_paused():
            return self._import_cases(records, progress)

    def _import_cases(
        self, records: Iterable[tuple[str, dict[str, Any]]], progress: ProgressCallback | None
    ) -> list[str]:
        prepared: list[Case] = []
        stamp = _iso(clock.wall_ms() << clock.COUNTER_BITS)
        for index, record in enumerate(records):
            try:
                type_name, fields = record
            except (TypeError, ValueError) as error:
                raise InvalidInputError(
                    _("Record {n}: expected (case type, fields)").format(n=index + 1)
                ) from error
            if not isinstance(fields, dict):
                raise InvalidInputError(
                    _("Record {n}: the fields must be a JSON object.").format(n=index + 1)
                )
            kind = self._case_type(type_name)
            try:
                fields = _json_value(fields, "fields")
            except InvalidInputError as error:
                raise InvalidInputError(
                    _("Record {n}: {problems}").format(n=index + 1, problems=error)
                ) from error
            self._prepare(type_name, fields)
            draft = self._draft_case(new_id(), type_name, fields, "received", stamp=stamp)
            problems = self._problems(kind, fields, None, draft)
            if problems:
                raise InvalidInputError(
                    _("Record {n}: {problems}").format(n=index + 1, problems=describe(problems)),
                    problems,
                )
            prepared.append(draft)
        total = len(prepared)
        ids: list[str] = []
        unit = self._officer.get("unit", "")
        for start in range(0, total, IMPORT_BATCH):
            batch = prepared[start : start + IMPORT_BATCH]
            with self._transaction():
                self._append_many(
                    [
                        (
                            "case.create",
                            draft.id,
                            {
                                "type": draft.type,
                                "fields": draft.fields,
                                "status": "received",
                                "unit": unit,
                            },
                        )
                        for draft in batch
                    ]
                )
                for draft in batch:
                    self._plan_tasks(draft, new=True)
            ids.extend(draft.id for draft in batch)
            if progress:
                progress(len(ids), total)
        return ids

    def get_case(self, case_id: str) -> Case:
        """A case with its entries, attachments and conflicts. :raises NotFoundError:"""
        found = self._load_cases([str(case_id)])
        if not found:
            raise NotFoundError(_("No case {id}.").format(id=case_id))
        return found[0]

    def _load_cases(self, case_ids: list[str]) -> list[Case]:
        """The cases with these ids, in this order (missing ones left out): three queries in all."""
        marks = ",".join("?" * len(case_ids))
        with self._lock:
            self._require_open()
            rows = self.conn.execute(
                "SELECT case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc, registers, flags,"
                f" deleted FROM cases WHERE case_id IN ({marks})",
                case_ids,
            ).fetchall()
            entries: dict[str, list[Entry]] = {}
            for r in self.conn.execute(
                "SELECT entry_id, case_id, kind, text, data, author, created_hlc, head_hlc, version, deleted,"
                f" flagged, plugin FROM entries WHERE case_id IN ({marks}) ORDER BY created_hlc, entry_id",
                case_ids,
            ):
                entries.setdefault(r[1], []).append(self._entry(r))
            attachments: dict[str, list[Attachment]] = {}
            for r in self.conn.execute(
                "SELECT attachment_id, case_id, name, size, media_type, sha256, added_hlc, author FROM attachments"
                f" WHERE case_id IN ({marks}) ORDER BY added_hlc",
                case_ids,
            ):
                attachments.setdefault(r[1], []).append(self._attachment(r))
        by_id = {}
        for row in rows:
            registers = load_registers(row[8])
            by_id[row[0]] = Case(
                id=row[0],
                type=row[1],
                status=row[2],
                title=row[3],
                fields=winners(registers),
                officer_id=row[4],
                unit=row[5],
                created_at=_iso(row[6]),
                updated_at=_iso(row[7]),
                entries=entries.get(row[0], []),
                attachments=attachments.get(row[0], []),
                conflicts=self._conflicts_of(row[0], row[3], registers),
                flags=json.loads(row[9]),
                deleted=bool(row[10]),
            )
        return [by_id[case_id] for case_id in case_ids if case_id in by_id]

    def _entry(self, r: tuple) -> Entry:
        return Entry(
            id=r[0],
            case_id=r[1],
            kind=r[2],
            text=r[3],
            data=json.loads(r[4]),
            author=r[5],
            created_at=_iso(r[6]),
            updated_at=_iso(r[7]),
            version=r[8],
            deleted=bool(r[9]),
            flagged=bool(r[10]),
            plugin=r[11],
        )

    def _conflicts_of(self, case_id: str, title: str, registers: dict[str, list]) -> list[Conflict]:
        conflicts = []
        for name, values in sorted(registers.items()):
            if len(values) > 1:
                conflicts.append(
                    Conflict(
                        case_id=case_id,
                        field="status" if name == STATUS else name,
                        winner=values[-1][3],
                        title=title,
                        values=[
                            ConflictValue(
                                value=v[3],
                                author=v[4],
                                device_id=v[0],
                                at=_iso(v[2]),
                                op_id=f"{v[0]}:{v[1]}",
                            )
                            for v in reversed(values)
                        ],
                    )
                )
        return conflicts

    def _saved(self, case_id: str) -> Case:
        case = self.get_case(case_id)
        self.host.call("case_saved", context=self._context, case=case)
        return case

    def update_case(self, case_id: str, fields: dict[str, Any]) -> Case:
        """Set some fields (``None`` clears one). Other fields keep their values."""
        if not isinstance(fields, dict):
            raise InvalidInputError(_("The fields must be a JSON object."))
        existing = self.get_case(case_id)
        self._refuse_deleted(existing)
        kind = self._case_type(existing.type)
        merged = dict(existing.fields)
        for name, value in _json_value(fields, "fields").items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        self._prepare(existing.type, merged)
        self._check_fields(kind, merged, existing)
        changed = {
            k: merged.get(k)
            for k in set(merged) | set(existing.fields)
            if merged.get(k) != existing.fields.get(k)
        }
        if not changed:
            return existing
        with self._transaction():
            self._append("case.set", case_id, {"fields": changed})
            self._plan_tasks(self.get_case(case_id))
        return self._saved(case_id)

    def set_status(self, case_id: str, status: str, reason: str | None = None) -> Case:
        """Move a case in its lifecycle (接报 → 受案 → 立案 → 处置 → 办结...)."""
        self._check_status(status)
        existing = self.get_case(case_id)
        self._refuse_deleted(existing)
        if reason is not None and not isinstance(reason, str):
            raise InvalidInputError(_("reason: must be text"))
        with self._transaction():
            self._append("case.status", case_id, {"status": status, "reason": reason or ""})
            self._plan_tasks(self.get_case(case_id))
        return self._saved(case_id)

    def _check_status(self, status: str) -> None:
        if status not in STATUSES:
            raise InvalidInputError(
                _("status: must be one of {choices}").format(choices=", ".join(STATUSES))
            )

    def _refuse_deleted(self, case: Case) -> None:
        if case.deleted:
            raise InvalidInputError(_("Case {id} was deleted.").format(id=case.id))

    def delete_case(self, case_id: str) -> None:
        """Tombstone a case. Its ops stay in the log; an edit made concurrently elsewhere revives it."""
        self._refuse_deleted(self.get_case(case_id))
        with self._transaction():
            self._append("case.delete", case_id, {})

    def add_entry(
        self,
        case_id: str,
        kind: str,
        text: str,
        data: dict[str, Any] | None = None,
        *,
        plugin: str | None = None,
    ) -> Entry:
        """Add a note, action, ledger line... to a case's timeline."""
        self._check_entry(kind, text, data)
        case = self.get_case(case_id)
        self._refuse_deleted(case)
        entry_id = new_id()
        payload = {
            "entry_id": entry_id,
            "kind": kind,
            "text": text,
            "data": _json_value(data or {}, "data"),
        }
        if plugin:
            payload["plugin"] = plugin
        with self._transaction():
            self._append("entry.add", case_id, payload)
            self._plan_tasks(self.get_case(case_id))
        saved = self._saved(case_id)
        return next(e for e in saved.entries if e.id == entry_id)

    def edit_entry(
        self, case_id: str, entry_id: str, text: str, data: dict[str, Any] | None = None
    ) -> Entry:
        """Add a new version of an entry; earlier versions stay in the log."""
        entry = self._find_entry(case_id, entry_id)
        self._check_entry(entry.kind, text, data)
        with self._transaction():
            self._append(
                "entry.edit",
                case_id,
                {
                    "entry_id": entry_id,
                    "text": text,
                    "data": _json_value(data if data is not None else entry.data, "data"),
                },
            )
        return self._find_entry(self._saved(case_id).id, entry_id)

    def delete_entry(self, case_id: str, entry_id: str) -> None:
        """Tombstone an entry (it stays in the log)."""
        self._find_entry(case_id, entry_id)
        with self._transaction():
            self._append("entry.delete", case_id, {"entry_id": entry_id})
        self._saved(case_id)

    def _find_entry(self, case_id: str, entry_id: str) -> Entry:
        for entry in self.get_case(case_id).entries:
            if entry.id == entry_id:
                return entry
        raise NotFoundError(_("No entry {id} in case {case}.").format(id=entry_id, case=case_id))

    def _check_entry(self, kind: Any, text: Any, data: Any) -> None:
        if not isinstance(kind, str) or not ENTRY_KIND.match(kind) or kind == "status":
            raise InvalidInputError(
                _("kind: must be a short lowercase name such as note, action or ledger")
            )
        if not isinstance(text, str):
            raise InvalidInputError(_("text: must be text"))
        if len(text) > 100_000:
            raise InvalidInputError(
                _("text: too long (at most {limit} characters)").format(limit=100_000)
            )
        if data is not None and not isinstance(data, dict):
            raise InvalidInputError(_("data: must be a JSON object"))

    def history(self, case_id: str) -> list[Op]:
        """Every op of a case, in causal order: the audit trail (全程留痕)."""
        self.get_case(case_id)
        return [
            json.loads(r[0])
            for r in self._query(
                "SELECT body FROM ops WHERE case_id = ? ORDER BY hlc, device_id", (case_id,)
            )
        ]

    # -- listing and search ----------------------------------------------------------------

    def _filters(
        self,
        case_type: str | None,
        status: str | None,
        officer_id: str | None,
        since: Any,
        until: Any,
    ) -> tuple[str, list[Any]]:
        where, params = ["deleted = 0"], []
        if case_type:
            where.append("type = ?")
            params.append(case_type)
        if status:
            where.append("status = ?")
            params.append(status)
        if officer_id:
            where.append("officer_id = ?")
            params.append(officer_id)
        try:
            start = clock.parse_datetime(since)
            end = clock.parse_datetime(until, end_of_day=True)
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        if start:
            where.append("created_hlc >= ?")
            params.append(_hlc_of(start))
        if end:
            where.append("created_hlc <= ?")
            params.append(_hlc_of(end) | clock.COUNTER_MASK)
        return " AND ".join(where), params

    def list_cases(
        self,
        *,
        case_type: str | None = None,
        status: str | None = None,
        officer_id: str | None = None,
        since: Any = None,
        until: Any = None,
        sort: str = "updated_at",
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseSummary]:
        """A page of cases, newest change first by default."""
        if sort not in SORT_COLUMNS:
            raise InvalidInputError(
                _("sort: must be one of {choices}").format(choices=", ".join(SORT_COLUMNS))
            )
        where, params = self._filters(case_type, status, officer_id, since, until)
        order = f"{SORT_COLUMNS[sort]} {'DESC' if descending else 'ASC'}, rid {'DESC' if descending else 'ASC'}"
        rows = self._query(
            f"SELECT case_id, type, status, title, officer_id, created_hlc, updated_hlc, conflicts FROM cases"
            f" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, int(limit), int(offset)),
        )
        return [self._summary(r) for r in rows]

    def count_cases(
        self,
        *,
        case_type: str | None = None,
        status: str | None = None,
        officer_id: str | None = None,
        since: Any = None,
        until: Any = None,
    ) -> int:
        where, params = self._filters(case_type, status, officer_id, since, until)
        return self._query(f"SELECT count(*) FROM cases WHERE {where}", params)[0][0]

    def _summary(self, r: tuple) -> CaseSummary:
        return CaseSummary(
            id=r[0],
            type=r[1],
            status=r[2],
            title=r[3],
            officer_id=r[4],
            created_at=_iso(r[5]),
            updated_at=_iso(r[6]),
            conflicts=r[7],
        )

    def iter_cases(
        self, *, case_type: str | None = None, status: str | None = None
    ) -> Iterator[Case]:
        """Every (not deleted) case in full, oldest first; for alerts and reports."""
        where, params = self._filters(case_type, status, None, None, None)
        ids = [
            r[0]
            for r in self._query(
                f"SELECT case_id FROM cases WHERE {where} ORDER BY created_hlc", params
            )
        ]
        # A few hundred at a time: three queries per chunk, and the lock is free in between.
        for start in range(0, len(ids), 500):
            yield from self._load_cases(ids[start : start + 500])

    def search(self, query: str, *, limit: int = 50) -> list[CaseSummary]:
        """Cases containing every term of ``query`` as a substring (1+ characters), best first."""
        if not isinstance(query, str):
            raise InvalidInputError(_("The search query must be text."))
        with self._lock:
            self._require_open()
            rids = search.ranked_rids(self.conn, query, max(1, int(limit)))
            if not rids:
                return []
            marks = ",".join("?" * len(rids))
            rows = self.conn.execute(
                f"SELECT rid, case_id, type, status, title, officer_id, created_hlc, updated_hlc, conflicts"
                f" FROM cases WHERE rid IN ({marks}) AND deleted = 0",
                rids,
            ).fetchall()
        by_rid = {r[0]: r[1:] for r in rows}
        return [self._summary(by_rid[rid]) for rid in rids if rid in by_rid]

    # -- conflicts -------------------------------------------------------------------------

    def conflicts(self) -> list[Conflict]:
        """Every field that holds concurrent values, on every case."""
        found = []
        for case_id, title, registers in self._query(
            "SELECT case_id, title, registers FROM cases WHERE conflicts > 0 AND deleted = 0 ORDER BY updated_hlc"
        ):
            found.extend(self._conflicts_of(case_id, title, load_registers(registers)))
        return found

    def resolve_conflict(self, case_id: str, field: str, value: Any) -> Case:
        """Settle a field to ``value``; recorded as a ``case.resolve`` op that saw every value."""
        case = self.get_case(case_id)
        if not any(c.field == field for c in case.conflicts):
            raise InvalidInputError(_("{field}: no open conflict on this case").format(field=field))
        value = _json_value(value, field)
        if field == "status":
            self._check_status(value)
        else:
            merged = dict(case.fields)
            if value is None:
                merged.pop(field, None)
            else:
                merged[field] = value
            self._check_fields(self._case_type(case.type), merged, case)
        with self._transaction():
            self._append("case.resolve", case_id, {"field": field, "value": value})
            self._plan_tasks(self.get_case(case_id))
        return self._saved(case_id)

    # -- attachments -----------------------------------------------------------------------

    def _blob_path(self, attachment_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", attachment_id or ""):
            raise NotFoundError(_("No attachment {id}.").format(id=attachment_id))
        return self.path / "attachments" / f"{attachment_id}.blob"

    def attach(
        self, case_id: str, path: str | os.PathLike, *, name: str | None = None
    ) -> Attachment:
        """Encrypt a file into the notebook and attach it to a case."""
        case = self.get_case(case_id)
        self._refuse_deleted(case)
        source = Path(path)
        if not source.is_file():
            raise InvalidInputError(_("Not a file: {path}").format(path=source))
        attachment_id = blobs.new_attachment_id()
        file_key = secrets.token_bytes(32)
        blob_path = self._blob_path(attachment_id)
        blob_path.parent.mkdir(exist_ok=True)
        size, digest = blobs.encrypt_file(source, blob_path, attachment_id, file_key)
        display_name = (name or source.name)[:255]
        try:
            with self._transaction():
                self._append(
                    "attachment.add",
                    case_id,
                    {
                        "attachment_id": attachment_id,
                        "name": display_name,
                        "size": size,
                        "media_type": mimetypes.guess_type(display_name)[0]
                        or "application/octet-stream",
                        "sha256": digest,
                        "file_key": b64e(file_key),
                    },
                )
        except BaseException:
            blob_path.unlink(missing_ok=True)
            raise
        return next(a for a in self._saved(case_id).attachments if a.id == attachment_id)

    def _attachment(self, r: tuple) -> Attachment:
        return Attachment(
            id=r[0],
            case_id=r[1],
            name=r[2],
            size=r[3],
            media_type=r[4],
            sha256=r[5],
            added_at=_iso(r[6]),
            author=r[7],
            available=self._blob_path(r[0]).exists(),
        )

    def _attachment_key(self, attachment_id: str) -> tuple[bytes, str]:
        rows = self._query(
            "SELECT file_key, sha256 FROM attachments WHERE attachment_id = ?", (attachment_id,)
        )
        if not rows:
            raise NotFoundError(_("No attachment {id}.").format(id=attachment_id))
        return b64d(rows[0][0]), rows[0][1]

    def read_attachment(self, attachment_id: str) -> bytes:
        """The decrypted contents. :raises IntegrityError: missing or damaged blob."""
        key, digest = self._attachment_key(attachment_id)
        data = b"".join(blobs.decrypt_chunks(self._blob_path(attachment_id), attachment_id, key))
        if hashlib.sha256(data).hexdigest() != digest:
            raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
        return data

    def export_attachment(self, attachment_id: str, dest: str | os.PathLike) -> Path:
        """Decrypt an attachment to ``dest`` (a file, or a folder to put it in by its name)."""
        key, digest = self._attachment_key(attachment_id)
        target = Path(dest)
        if target.is_dir():
            name = self._query(
                "SELECT name FROM attachments WHERE attachment_id = ?", (attachment_id,)
            )[0][0]
            target = target / Path(name).name
        hasher = hashlib.sha256()
        tmp = target.with_name(target.name + ".part")
        try:
            with open(tmp, "wb") as writer:
                for chunk in blobs.decrypt_chunks(
                    self._blob_path(attachment_id), attachment_id, key
                ):
                    hasher.update(chunk)
                    writer.write(chunk)
            if hasher.hexdigest() != digest:
                raise IntegrityError(_("Attachment {id} is damaged.").format(id=attachment_id))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def attachment_blob_path(self, attachment_id: str) -> Path | None:
        """The encrypted blob of an attachment, or None when it is not on this laptop yet."""
        self._attachment_key(attachment_id)
        path = self._blob_path(attachment_id)
        return path if path.exists() else None

    def missing_attachments(self) -> list[str]:
        """Attachments known from the log whose blob is not here yet (for sync to fetch)."""
        return [
            r[0]
            for r in self._query("SELECT attachment_id FROM attachments ORDER BY added_hlc")
            if not self._blob_path(r[0]).exists()
        ]

    def import_attachment_blob(self, attachment_id: str, source: str | os.PathLike) -> None:
        """Store an encrypted blob fetched from elsewhere, after checking it decrypts to the
        recorded contents. :raises IntegrityError: when it does not."""
        key, digest = self._attachment_key(attachment_id)
        target = self._blob_path(attachment_id)
        tmp = target.with_name(target.name + ".incoming")
        shutil.copyfile(source, tmp)
        try:
            blobs.verify_blob(tmp, attachment_id, key, digest)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    # -- tasks -----------------------------------------------------------------------------

    def _plan_tasks(self, case: Case, *, new: bool = False) -> None:
        """Ask the plugins for the case's tasks and record each plugin's plan when it changed.

        :param new: the case was created in this transaction, so it has no plan yet.
        """
        by_plugin: dict[str, list[dict[str, Any]]] = {}
        for plugin, result in self.host.call("schedule_tasks", context=self._context, case=case):
            tasks = by_plugin.setdefault(plugin, [])
            for spec in result or []:
                try:
                    tasks.append(self._task_record(case.id, plugin, spec))
                except _UnknownOutcomeSchema as error:
                    # Another plugin's schema is missing (disabled?): keep the earlier plan
                    # rather than cancel the task or record it with a weaker schema.
                    self.host.report_error(plugin, "schedule_tasks", error)
                    del by_plugin[plugin]
                    break
                except Exception as error:  # a bad TaskSpec is that plugin's error, not the save's
                    self.host.report_error(plugin, "schedule_tasks", error)
        # A plugin that raised is absent from by_plugin: its earlier plan stays as it was.
        existing = (
            {}
            if new
            else {
                r[0]: r[1]
                for r in self.conn.execute(
                    "SELECT plugin, tasks FROM task_plans WHERE case_id = ? ORDER BY hlc, device_id",
                    (case.id,),
                )
            }
        )
        for plugin in sorted(by_plugin):
            tasks = sorted(by_plugin[plugin], key=lambda t: t["task_id"])
            if not tasks and plugin not in existing:
                continue
            if canonical_json(tasks) != existing.get(plugin):
                self._append(
                    "task.plan",
                    case.id,
                    {
                        "plugin": plugin,
                        "plugin_version": self.host.version_of(plugin),
                        "tasks": tasks,
                    },
                )

    def _task_record(self, case_id: str, plugin: str, spec: Any) -> dict[str, Any]:
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"returned a {type(spec).__name__}, expected TaskSpec")
        due = clock.parse_datetime(spec.due_at)
        if due is None:
            raise ValueError("a task needs due_at")
        outcome_schema = spec.outcome_schema
        if isinstance(outcome_schema, str):
            outcome_schema = self._named_outcome_schema(outcome_schema)
        elif outcome_schema is not None:
            _check_outcome_schema(canonical_json(outcome_schema))
        return {
            "task_id": _stable_id(case_id, plugin, str(spec.key)),
            "key": str(spec.key),
            "kind": str(spec.kind),
            "title": str(spec.title or spec.kind),
            "due_at": clock.format_datetime(due),
            "due_ts": int(due.timestamp()),
            "data": _json_value(spec.data or {}, "data"),
            "outcome_schema": outcome_schema,
        }

    def outcome_schemas(self) -> dict[str, OutcomeSchema]:
        """The named outcome schemas the plugins registered, by name."""
        if self._outcome_schemas is None:
            schemas: dict[str, OutcomeSchema] = {}
            for plugin, item in self.host.collect(
                "register_outcome_schemas", OutcomeSchema, context=self._context
            ):
                if not self.host.check_schema_name(plugin, item.name):
                    continue
                try:
                    _check_outcome_schema(canonical_json(item.schema))
                except Exception as error:
                    self.host.report_error(plugin, "register_outcome_schemas", error)
                    continue
                item.plugin = plugin
                schemas[item.name] = item
            self._outcome_schemas = schemas
        return dict(self._outcome_schemas)

    def _named_outcome_schema(self, name: str) -> dict[str, Any]:
        found = self.outcome_schemas().get(name)
        if found is None:
            raise _UnknownOutcomeSchema(
                _("No outcome schema {name}: is the plugin that registers it enabled?").format(
                    name=name
                )
            )
        return found.schema

    def _task_window(self, at: Any) -> tuple[datetime, int]:
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        end_of_day = moment.replace(hour=23, minute=59, second=59, microsecond=0)
        return moment, int(end_of_day.timestamp())

    def tasks(
        self,
        at: Any = None,
        *,
        include_upcoming: bool = False,
        case_id: str | None = None,
        case_type: str | None = None,
        limit: int | None = None,
    ) -> list[Task]:
        """Pending tasks due by the end of ``at``'s day (default: now), most overdue first.

        :param case_id: only this case's tasks.
        :param case_type: only the tasks of cases of this type.
        :param limit: at most this many (the most urgent); :meth:`task_counts` counts them all.
        """
        moment, end_of_day = self._task_window(at)
        where, params = ["t.status = 'pending'", "c.deleted = 0"], []
        if not include_upcoming:
            where.append("t.due_ts <= ?")
            params.append(end_of_day)
        if case_id:
            where.append("t.case_id = ?")
            params.append(case_id)
        if case_type:
            where.append("c.type = ?")
            params.append(case_type)
        sql = (
            "SELECT t.task_id, t.case_id, t.kind, t.title, t.due_at, t.due_ts, t.plugin, t.data, t.outcome_schema,"
            f" c.title, t.key FROM tasks t JOIN cases c ON c.case_id = t.case_id WHERE {' AND '.join(where)}"
            " ORDER BY t.due_ts, t.task_id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        now_ts = int(moment.timestamp())
        result = []
        for r in self._query(sql, params):
            state = "overdue" if r[5] < now_ts else ("due" if r[5] <= end_of_day else "upcoming")
            result.append(
                Task(
                    id=r[0],
                    case_id=r[1],
                    kind=r[2],
                    title=r[3],
                    due_at=r[4],
                    status=state,
                    plugin=r[6],
                    data=json.loads(r[7]),
                    overdue_seconds=max(0, now_ts - r[5]),
                    case_title=r[9],
                    outcome_schema=json.loads(r[8]) if r[8] else None,
                    key=r[10],
                )
            )
        return result

    def task_counts(self, at: Any = None) -> dict[str, int]:
        """How many pending tasks are overdue and due (later today) as of ``at``."""
        moment, end_of_day = self._task_window(at)
        now_ts = int(moment.timestamp())
        row = self._query(
            "SELECT sum(t.due_ts < ?), sum(t.due_ts >= ?) FROM tasks t JOIN cases c ON c.case_id = t.case_id"
            " WHERE t.status = 'pending' AND c.deleted = 0 AND t.due_ts <= ?",
            (now_ts, now_ts, end_of_day),
        )[0]
        return {"overdue": row[0] or 0, "due": row[1] or 0}

    def get_task(self, task_id: str) -> Task:
        rows = self._query(
            "SELECT task_id, case_id, kind, title, due_at, status, plugin, data, outcome_schema, key"
            " FROM tasks WHERE task_id = ?",
            (str(task_id),),
        )
        if not rows:
            raise NotFoundError(_("No task {id}.").format(id=task_id))
        r = rows[0]
        return Task(
            id=r[0],
            case_id=r[1],
            kind=r[2],
            title=r[3],
            due_at=r[4],
            status=r[5],
            plugin=r[6],
            data=json.loads(r[7]),
            outcome_schema=json.loads(r[8]) if r[8] else None,
            key=r[9],
        )

    def complete_task(self, task_id: str, outcome: dict[str, Any]) -> Entry:
        """Mark a task done and record its outcome as an entry on the case.

        :raises InvalidInputError: the task is not pending, or the outcome breaks its schema.
        """
        task = self.get_task(task_id)
        if task.status != "pending":
            raise InvalidInputError(
                _("Task {id} is {status}, not pending.").format(id=task_id, status=task.status)
            )
        if not isinstance(outcome, dict):
            raise InvalidInputError(_("The outcome must be a JSON object."))
        outcome = _json_value(outcome, "outcome")
        if task.outcome_schema:
            errors = Draft202012Validator(task.outcome_schema, format_checker=FORMATS).iter_errors(
                outcome
            )
            problems = [self._outcome_problem(e) for e in errors]
            if problems:
                raise InvalidInputError(describe(problems), problems)
        comment = outcome.get("comment") if isinstance(outcome.get("comment"), str) else ""
        entry_id = new_id()
        with self._transaction():
            self._append(
                "task.done",
                task.case_id,
                {
                    "task_id": task_id,
                    "outcome": outcome,
                    "entry": {
                        "entry_id": entry_id,
                        "kind": task.kind,
                        "text": comment,
                        "data": {
                            **outcome,
                            "task_id": task_id,
                            "task_title": task.title,
                            "task_key": task.key,
                            "due_at": task.due_at,
                        },
                        "plugin": task.plugin,
                    },
                },
            )
            # What the plugins add after a task is returned and recorded here, in the same
            # transaction; their follow-up tasks come from the plan that follows.
            done = self.get_task(task_id)
            self._record_plugin_entries(
                task.case_id,
                self.host.call(
                    "task_completed", context=self._context, task=done, outcome=dict(outcome)
                ),
            )
            self._plan_tasks(self.get_case(task.case_id))
        case = self._saved(task.case_id)
        return next(e for e in case.entries if e.id == entry_id)

    def _record_plugin_entries(self, case_id: str, results: list[tuple[str, Any]]) -> None:
        """Record the entries plugins returned, each naming its plugin and version."""
        for plugin, result in results:
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                self.host.report_error(
                    plugin, "task_completed", TypeError("returned a non-list, expected EntrySpecs")
                )
                continue
            for spec in result:
                try:
                    if not isinstance(spec, EntrySpec):
                        raise TypeError(f"returned a {type(spec).__name__}, expected EntrySpec")
                    self._check_entry(spec.kind, spec.text, spec.data)
                    data = _json_value(spec.data or {}, "data")
                except (TypeError, InvalidInputError) as error:
                    self.host.report_error(plugin, "task_completed", error)
                    continue
                self._append(
                    "entry.add",
                    case_id,
                    {
                        "entry_id": new_id(),
                        "kind": spec.kind,
                        "text": spec.text,
                        "data": data,
                        "plugin": plugin,
                        "plugin_version": self.host.version_of(plugin),
                    },
                )

    @staticmethod
    def _outcome_problem(error: Any) -> Problem:
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in (error.instance or {})]
            field = missing[0] if missing else field
            return Problem(
                field, _("{field}: this field is required").format(field=field), "required"
            )
        return Problem(field, f"{field or 'outcome'}: {error.message}", str(error.validator))

    # -- alerts and review -----------------------------------------------------------------

    def alerts(self, at: Any = None) -> list[Alert]:
        """Escalations from every plugin as of ``at`` (default: now)."""
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        found = []
        for plugin, alert in self.host.collect(
            "find_alerts", Alert, context=self._context, at=moment
        ):
            if self.host.check_alert(plugin, alert):
                alert.plugin = alert.plugin or plugin
                found.append(alert)
        return found

    def review(self, case_id: str | None = None, at: Any = None) -> list[ReviewResult]:
        """Legal review of one case or all; each changed result is recorded as an op."""
        return self._review(case_id, at, record=True)

    def _review(self, case_id: str | None, at: Any, *, record: bool) -> list[ReviewResult]:
        """The review as of ``at``; with ``record``, each changed result is recorded (the
        plugins' findings, under their names and versions)."""
        try:
            moment = clock.parse_datetime(at) or clock.now()
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        cases = [self.get_case(case_id)] if case_id else list(self.iter_cases())
        rectified = {r[0]: r[1] for r in self._query("SELECT finding_id, note FROM rectifications")}
        stored = {r[0]: r[1] for r in self._query("SELECT case_id, result FROM reviews")}
        results = []
        with self._transaction() if record else contextlib.nullcontext():
            for case in cases:
                findings: list[Finding] = []
                seen: dict[str, int] = {}
                for plugin, finding in self.host.collect(
                    "review_case", Finding, context=self._context, case=case, at=moment
                ):
                    if not self.host.check_finding(plugin, finding):
                        continue
                    key = f"{plugin}|{finding.rule}"
                    seen[key] = seen.get(key, 0) + 1
                    finding.plugin = plugin
                    finding.id = _stable_id(case.id, key, str(seen[key]))
                    finding.rectified = finding.id in rectified
                    finding.rectified_note = rectified.get(finding.id, "")
                    findings.append(finding)
                score = max(
                    0, 100 - sum(max(0, int(f.points)) for f in findings if not f.rectified)
                )
                result = ReviewResult(
                    case_id=case.id,
                    score=score,
                    findings=findings,
                    officer_id=case.officer_id,
                    unit=case.unit,
                )
                payload = {
                    "score": score,
                    "findings": [f.to_dict() for f in findings],
                    "plugins": {
                        p: self.host.version_of(p) for p in sorted({f.plugin for f in findings})
                    },
                }
                if record and stored.get(case.id) != canonical_json(payload):
                    self._append("review.record", case.id, payload)
                results.append(result)
        return results

    def recorded_reviews(self) -> list[ReviewResult]:
        """The last recorded review of every case (no plugin is called)."""
        results = []
        rectified = {r[0]: r[1] for r in self._query("SELECT finding_id, note FROM rectifications")}
        for case_id, result, officer_id, unit in self._query(
            "SELECT r.case_id, r.result, c.officer_id, c.unit FROM reviews r JOIN cases c ON c.case_id = r.case_id"
            " WHERE c.deleted = 0"
        ):
            data = json.loads(result)
            findings = [
                Finding(
                    **{
                        **f,
                        "rectified": f["id"] in rectified,
                        "rectified_note": rectified.get(f["id"], ""),
                    }
                )
                for f in data["findings"]
            ]
            results.append(
                ReviewResult(
                    case_id=case_id,
                    score=data["score"],
                    findings=findings,
                    officer_id=officer_id,
                    unit=unit,
                )
            )
        return results

    def rectify_finding(self, finding_id: str, note: str) -> None:
        """Record that a finding was rectified (整改/销号), with a note."""
        if not isinstance(note, str) or not note.strip():
            raise InvalidInputError(_("note: this field is required"))
        for review in self.recorded_reviews():
            if any(f.id == finding_id for f in review.findings):
                with self._transaction():
                    self._append(
                        "finding.rectify",
                        review.case_id,
                        {"finding_id": finding_id, "note": note.strip()},
                    )
                return
        raise NotFoundError(_("No finding {id}. Run a review first.").format(id=finding_id))

    # -- reports and documents -------------------------------------------------------------

    def reports(self) -> list[ReportSpec]:
        specs = []
        for plugin, spec in self.host.collect(
            "register_reports", ReportSpec, context=self._context
        ):
            spec.plugin = spec.plugin or plugin
            specs.append(spec)
        return specs

    def build_report(self, name: str, start: Any = None, end: Any = None) -> Report:
        """Build a report by name. :raises NotFoundError: unknown report; :raises PluginError: it failed."""
        try:
            start_at = clock.parse_datetime(start)
            end_at = clock.parse_datetime(end, end_of_day=True)
        except ValueError as error:
            raise InvalidInputError(_("Not a date: {error}").format(error=error)) from error
        for spec in self.reports():
            if spec.name == name:
                try:
                    report = self.host.run(
                        spec.plugin, f"report {name}", spec.build, self._context, start_at, end_at
                    )
                except Exception as error:
                    self.host.report_error(spec.plugin, f"report {name}", error)
                    raise PluginError(
                        _("Report {name} failed: {error}").format(name=name, error=error)
                    ) from error
                if not isinstance(report, Report):
                    raise PluginError(
                        _("Report {name} failed: {error}").format(name=name, error="not a Report")
                    )
                return report
        raise NotFoundError(
            _("No report {name}. Available: {names}").format(
                name=name, names=", ".join(s.name for s in self.reports()) or "-"
            )
        )

    def report_pdf(self, report: Report, path: str | os.PathLike) -> Path:
        """Write a built report as a PDF (Chinese included)."""
        from casebook import pdf

        return pdf.render_report(report, Path(path))

    def documents(self, case_id: str | None = None) -> list[DocumentSpec]:
        """Printable documents, all or those for one case's type."""
        case_type = self.get_case(case_id).type if case_id else None
        specs = []
        for plugin, spec in self.host.collect(
            "register_documents", DocumentSpec, context=self._context
        ):
            spec.plugin = spec.plugin or plugin
            if case_type is None or not spec.case_types or case_type in spec.case_types:
                specs.append(spec)
        return specs

    def render_document(self, name: str, case_id: str, path: str | os.PathLike) -> Path:
        """Render a printable document of a case to a PDF file."""
        case = self.get_case(case_id)
        for spec in self.documents(case_id):
            if spec.name == name:
                try:
                    self.host.run(
                        spec.plugin,
                        f"document {name}",
                        spec.render,
                        self._context,
                        case,
                        Path(path),
                    )
                except (InvalidInputError, IntegrityError):
                    raise
                except Exception as error:
                    self.host.report_error(spec.plugin, f"document {name}", error)
                    raise PluginError(
                        _("Document {name} failed: {error}").format(name=name, error=error)
                    ) from error
                return Path(path)
        raise NotFoundError(_("No document {name} for this case.").format(name=name))

    # -- settings and preferences ----------------------------------------------------------

    def setting_specs(self) -> list[SettingSpec]:
        if self._setting_specs is None:
            specs = {}
            for plugin, spec in self.host.collect(
                "register_settings", SettingSpec, context=self._context
            ):
                if self.host.check_setting_key(plugin, spec.key):
                    spec.plugin = plugin
                    specs[spec.key] = spec
            self._setting_specs = specs
        return list(self._setting_specs.values())

    def setting(self, key: str) -> Any:
        """A station setting: the recorded value, else the declaring plugin's default.

        Plugins read settings for every case they see, so the values are cached; a
        ``config.set`` op, a rollback or a rebuild clears the cache. Every reader shares the
        cached value, so objects and arrays are read-only: change a copy
        (``dict(value)``, ``list(value)``); ``copy.deepcopy`` gives a plain one.
        """
        if key not in self._settings_cache:
            rows = self._query("SELECT value FROM config WHERE key = ?", (key,))
            if rows:
                value = json.loads(rows[0][0])
            else:
                self.setting_specs()
                spec = (self._setting_specs or {}).get(key)
                value = spec.default if spec else None
            self._settings_cache[key] = _freeze(value)
        return self._settings_cache[key]

    def set_setting(self, key: str, value: Any) -> None:
        """Change a station setting; validated, recorded in the log and synced."""
        self.setting_specs()
        spec = (self._setting_specs or {}).get(key)
        if spec is None:
            raise NotFoundError(_("No setting {key}.").format(key=key))
        value = _json_value(value, key)
        error = next(
            iter(Draft202012Validator(spec.schema, format_checker=FORMATS).iter_errors(value)), None
        )
        if error is not None:
            raise InvalidInputError(
                _("{field}: invalid value").format(field=key) + f" ({error.message})"
            )
        with self._transaction():
            self._append("config.set", None, {"key": key, "value": value})
            # A new schedule or threshold applies to open cases now, not at their next save.
            self._replan_open_cases()

    def _replan_open_cases(self) -> None:
        for (case_id,) in self.conn.execute(
            "SELECT case_id FROM cases WHERE deleted = 0 AND status != 'closed' ORDER BY created_hlc"
        ).fetchall():
            self._plan_tasks(self.get_case(case_id))

    def preference(self, key: str, default: Any = None) -> Any:
        """A preference of this laptop (language, theme, idle lock, share path)."""
        rows = self._query("SELECT value FROM preferences WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_preference(self, key: str, value: Any) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO preferences VALUES (?, ?)",
                (key, canonical_json(_json_value(value, key))),
            )

    # -- plugins ---------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Every plugin found, with version, publisher, trust and its recent errors."""
        kept: dict[str, list[str]] = {}
        for plugin, message, at in self._query(
            "SELECT plugin, message, at FROM plugin_errors ORDER BY id"
        ):
            kept.setdefault(plugin, []).append(f"{message} ({at})")
        refusals: dict[str, list[str]] = {}
        slow: dict[str, dict[str, float]] = {}
        for plugin, kind, subject, message, at in self._query(
            "SELECT plugin, kind, subject, message, at FROM plugin_notices ORDER BY at, subject"
        ):
            if kind == "refusal":
                refusals.setdefault(plugin, []).append(f"{message} ({at})")
            elif kind == "slow":
                slow.setdefault(plugin, {})[subject] = float(message)
        infos = []
        for plugin in sorted(self.host.plugins.values(), key=lambda p: p.name):
            for hook, elapsed in slow.get(plugin.name, {}).items():
                plugin.slow_hooks[hook] = max(elapsed, plugin.slow_hooks.get(hook, 0))
            info = plugin.info()
            info.errors = ([info.refused] if info.refused else []) + kept.get(plugin.name, [])
            info.refusals = refusals.get(plugin.name, info.refusals)
            infos.append(info)
        return infos

    def _keep_plugin_error(self, plugin: str, message: str) -> None:
        """Keep a plugin's failure in the (encrypted) store: the message may quote case data."""
        with self._lock:
            if self._db is None:
                return
            at = clock.format_datetime(clock.now())
            self.conn.execute(
                "INSERT INTO plugin_errors (plugin, message, at) VALUES (?, ?, ?)",
                (plugin, message[:2000], at),
            )
            self.conn.execute(
                "DELETE FROM plugin_errors WHERE plugin = ? AND id NOT IN (SELECT id FROM plugin_errors"
                " WHERE plugin = ? ORDER BY id DESC LIMIT 50)",
                (plugin, plugin),
            )

    def _keep_plugin_notice(self, plugin: str, kind: str, subject: str, message: str) -> None:
        """Keep a refusal or a slow hook in the store, so ``plugins list`` shows it later.

        A slow hook keeps its longest time; a refusal its latest message."""
        with self._lock:
            if self._db is None:
                return
            self.conn.execute(
                "INSERT INTO plugin_notices VALUES (?, ?, ?, ?, ?) ON CONFLICT (plugin, kind, subject)"
                " DO UPDATE SET message = excluded.message, at = excluded.at"
                " WHERE excluded.kind != 'slow'"
                " OR CAST(excluded.message AS REAL) > CAST(plugin_notices.message AS REAL)",
                (plugin, kind, subject[:200], message[:2000], clock.format_datetime(clock.now())),
            )

    def _set_plugin_enabled(self, name: str, enabled: bool) -> None:
        if name not in self.host.plugins:
            raise NotFoundError(_("No plugin {name}.").format(name=name))
        with self._transaction():
            self.conn.execute(
                "INSERT INTO plugin_state (name, enabled) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled",
                (name, int(enabled)),
            )
        self._load_plugins()

    def enable_plugin(self, name: str) -> None:
        self._set_plugin_enabled(name, True)

    def disable_plugin(self, name: str) -> None:
        self._set_plugin_enabled(name, False)

    def _trusted_publishers(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query("SELECT public_key, name FROM trusted_publishers")}

    def trust_publisher(self, name: str, public_key: str) -> None:
        """Trust plugins signed by this Ed25519 public key (base64 of the 32 raw bytes)."""
        try:
            Ed25519PublicKey.from_public_bytes(b64d(public_key.strip()))
        except (ValueError, AttributeError) as error:
            raise InvalidInputError(_("public_key: not an Ed25519 public key (base64)")) from error
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(_("{field}: this field is required").format(field="name"))
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO trusted_publishers VALUES (?, ?)",
                (public_key.strip(), name.strip()),
            )

    def install_plugin(
        self, path: str | os.PathLike, *, allow_unsigned: bool = False
    ) -> PluginInfo:
        """Install a plugin file, verified against a trusted publisher's signature.

        :raises PluginError: unsigned (without ``allow_unsigned``), untrusted, tampered, or
            refused when loaded; nothing is installed then.
        """
        source = Path(path)
        if not source.is_file() or source.suffix != ".py":
            raise PluginError(_("A plugin is a .py file: {path}").format(path=source))
        name = source.stem
        if not PLUGIN_NAME.match(name):
            raise PluginError(
                _("Plugin file names use lowercase letters, digits and '_': {name}").format(
                    name=name
                )
            )
        signature = source.with_name(source.name + ".sig")
        if signature.exists() or not allow_unsigned:
            publisher, signed = verify_signature(source, self._trusted_publishers()), True
        else:
            publisher, signed = "", False
        if name in self.host.plugins and not self.host.plugins[name].source.startswith("installed"):
            raise PluginError(_("A plugin named {name} is already loaded.").format(name=name))
        target = self.path / "plugins" / source.name
        target.parent.mkdir(exist_ok=True)
        content = source.read_bytes()
        shutil.copyfile(source, target)
        if signed:
            shutil.copyfile(signature, target.with_name(target.name + ".sig"))
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO plugin_state VALUES (?, 1, ?, ?, ?, ?)",
                (name, str(target), hashlib.sha256(content).hexdigest(), int(signed), publisher),
            )
        self._load_plugins()
        info = self.host.plugins[name]
        if info.refused:
            with self._transaction():
                self.conn.execute("DELETE FROM plugin_state WHERE name = ?", (name,))
            target.unlink(missing_ok=True)
            target.with_name(target.name + ".sig").unlink(missing_ok=True)
            self._load_plugins()
            raise PluginError(
                _("Plugin {name} refused: {reason}").format(name=name, reason=info.refused)
            )
        return info.info()

    def gui_panels(self) -> list[PanelSpec]:
        panels = []
        for plugin, spec in self.host.collect(
            "register_gui_panels", PanelSpec, context=self._context
        ):
            spec.plugin = spec.plugin or plugin
            panels.append(spec)
        return panels

    # -- audit and rebuild -----------------------------------------------------------------

    def verify_audit(self) -> dict[str, int]:
        """Walk every device's hash chain. :raises IntegrityError: at the first break."""
        devices = ops = 0
        with self._lock:
            self._require_open()
            heads = {
                d: (s, h) for d, s, h in self.conn.execute("SELECT device_id, seq, hash FROM heads")
            }
            device_ids = [r[0] for r in self.conn.execute("SELECT DISTINCT device_id FROM ops")]
            for device_id in device_ids:
                devices += 1
                expected_prev, expected_seq = GENESIS_HASH, 1
                for seq, body, stored in self.conn.execute(
                    "SELECT seq, body, hash FROM ops WHERE device_id = ? ORDER BY seq", (device_id,)
                ):
                    ops += 1
                    where = f"{device_id[:8]}… #{seq}"
                    if seq != expected_seq:
                        raise IntegrityError(
                            _("Audit chain broken at {where}: a gap").format(where=where)
                        )
                    try:
                        op = json.loads(body)
                    except ValueError as error:
                        raise IntegrityError(
                            _("Audit chain broken at {where}: unreadable op").format(where=where)
                        ) from error
                    if (
                        op_hash(op) != stored
                        or hashlib.sha256(body.encode("utf-8")).hexdigest() != stored
                    ):
                        raise IntegrityError(
                            _("Audit chain broken at {where}: the op was altered").format(
                                where=where
                            )
                        )
                    if (
                        op.get("prev_hash") != expected_prev
                        or op.get("device_id") != device_id
                        or op.get("seq") != seq
                    ):
                        raise IntegrityError(
                            _("Audit chain broken at {where}: wrong link").format(where=where)
                        )
                    expected_prev, expected_seq = stored, seq + 1
                if heads.get(device_id) != (expected_seq - 1, expected_prev):
                    raise IntegrityError(
                        _("Audit chain broken at {where}: the head does not match").format(
                            where=device_id[:8]
                        )
                    )
        return {"devices": devices, "ops": ops}

    def rebuild(self, progress: ProgressCallback | None = None) -> dict[str, int]:
        """Recompute every view from the op log (causal order: HLC, then device)."""
        self._settings_cache.clear()
        with self._transaction():
            for table in store.VIEW_TABLES:
                self.conn.execute(f"DELETE FROM {table}")
            total = self.conn.execute("SELECT count(*) FROM ops").fetchone()[0]
            done = 0
            cursor = self.conn.execute("SELECT body FROM ops ORDER BY hlc, device_id")
            while chunk := cursor.fetchmany(5000):
                self.views.apply_many([json.loads(body) for (body,) in chunk])
                done += len(chunk)
                if progress:
                    progress(done, total)
            self._set_meta("views_version", store.VIEWS_VERSION)
        if progress:
            progress(total, total)
        return {"ops": total}

    def state_digest(self) -> str:
        """A fingerprint of the merged state (views, not row ids): equal on converged laptops."""
        tables = {
            "cases": "SELECT case_id, type, status, title, officer_id, unit, created_hlc, updated_hlc, registers,"
            " flags, conflicts, deleted FROM cases ORDER BY case_id",
            "entries": "SELECT * FROM entries ORDER BY entry_id",
            "attachments": "SELECT * FROM attachments ORDER BY attachment_id",
            "tasks": "SELECT * FROM tasks ORDER BY task_id",
            "reviews": "SELECT * FROM reviews ORDER BY case_id",
            "rectifications": "SELECT * FROM rectifications ORDER BY finding_id",
            "config": "SELECT * FROM config ORDER BY key",
            "officers": "SELECT * FROM officers ORDER BY officer_id",
        }
        digest = hashlib.sha256()
        for name, sql in tables.items():
            digest.update(name.encode())
            for row in self._query(sql):
                digest.update(canonical_json(list(row)).encode("utf-8"))
        return digest.hexdigest()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` of the encrypted file ("ok")."""
        with self._lock:
            self._require_open()
            return store.integrity_check(self._db)

    # -- alarms ----------------------------------------------------------------------------

    def raise_alarm(self, kind: str, message: str, detail: dict[str, Any] | None = None) -> Alarm:
        """Keep something that needs a person's attention (shown by CLI and GUI)."""
        at = clock.format_datetime(clock.now())
        with self._transaction():
            cursor = self.conn.execute(
                "INSERT INTO alarms (kind, message, at, detail) VALUES (?, ?, ?, ?)",
                (kind, message, at, canonical_json(detail or {})),
            )
        log.warning("alarm %s", kind)
        return Alarm(id=cursor.lastrowid, kind=kind, message=message, at=at, detail=detail or {})

    def alarms(self, include_acknowledged: bool = False) -> list[Alarm]:
        where = "" if include_acknowledged else "WHERE acknowledged = 0"
        return [
            Alarm(
                id=r[0],
                kind=r[1],
                message=r[2],
                at=r[3],
                detail=json.loads(r[4]),
                acknowledged=bool(r[5]),
            )
            for r in self._query(
                f"SELECT id, kind, message, at, detail, acknowledged FROM alarms {where} ORDER BY id"
            )
        ]

    def acknowledge_alarm(self, alarm_id: int) -> None:
        with self._transaction():
            self.conn.execute("UPDATE alarms SET acknowledged = 1 WHERE id = ?", (int(alarm_id),))

    # -- for sync --------------------------------------------------------------------------

    def device_signing_key(self) -> Ed25519PrivateKey:
        """This laptop's Ed25519 key (signs its segments and join request)."""
        return Ed25519PrivateKey.from_private_bytes(self._secret("ed25519"))

    def device_exchange_key(self) -> X25519PrivateKey:
        """This laptop's X25519 key (opens station keys wrapped to it)."""
        return X25519PrivateKey.from_private_bytes(self._secret("x25519"))

    def ops_from(self, device_id: str, after_seq: int, limit: int | None = None) -> list[Op]:
        """Ops of a device with ``seq > after_seq``, in order."""
        sql = "SELECT body FROM ops WHERE device_id = ? AND seq > ? ORDER BY seq"
        params: list[Any] = [device_id, int(after_seq)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [json.loads(r[0]) for r in self._query(sql, params)]

    def known_seqs(self) -> dict[str, int]:
        """The highest contiguous seq held for each device (this one included)."""
        return {d: s for d, s in self._query("SELECT device_id, seq FROM heads")}

    def op_hash(self, device_id: str, seq: int) -> str | None:
        rows = self._query(
            "SELECT hash FROM ops WHERE device_id = ? AND seq = ?", (device_id, int(seq))
        )
        return rows[0][0] if rows else None

    def waiting_count(self) -> int:
        """Received ops that wait for a predecessor or a causal dependency."""
        return self._query("SELECT count(*) FROM waiting_ops")[0][0]

    def apply_remote_ops(
        self, ops: list[Op], *, state: dict[str, Any] | None = None
    ) -> dict[str, int]:
        """Apply ops received from other devices, in one transaction with ``state``.

        Duplicates are ignored; ops whose predecessor or causal dependencies are missing wait
        in the store until they arrive; any arrival order gives the same state.

        :raises IntegrityError: a malformed op, a fork or broken chain; nothing is written.
        """
        applied = duplicates = 0
        with self._transaction():
            for op in ops:
                check_op_shape(op)
                body = canonical_json(op)
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
                have = self.conn.execute(
                    "SELECT hash FROM ops WHERE device_id = ? AND seq = ?",
                    (op["device_id"], op["seq"]),
                ).fetchone()
                if have is not None:
                    if have[0] != digest:
                        raise IntegrityError(
                            _("Two different ops claim {device}… #{seq}: refused.").format(
                                device=op["device_id"][:8], seq=op["seq"]
                            )
                        )
                    duplicates += 1
                    continue
                if op["device_id"] == self.device_id:
                    raise IntegrityError(
                        _("An op claims to come from this laptop but is not in its log: refused.")
                    )
                waiting = self.conn.execute(
                    "SELECT body FROM waiting_ops WHERE device_id = ? AND seq = ?",
                    (op["device_id"], op["seq"]),
                ).fetchone()
                if waiting is not None:
                    if waiting[0] != body:
                        raise IntegrityError(
                            _("Two different ops claim {device}… #{seq}: refused.").format(
                                device=op["device_id"][:8], seq=op["seq"]
                            )
                        )
                    duplicates += 1
                    continue
                self.conn.execute(
                    "INSERT INTO waiting_ops VALUES (?, ?, ?)", (op["device_id"], op["seq"], body)
                )
            applied = self._drain_waiting()
            for key, value in (state or {}).items():
                self.conn.execute(
                    "INSERT OR REPLACE INTO sync_state VALUES (?, ?)", (key, canonical_json(value))
                )
            waiting_total = self.conn.execute("SELECT count(*) FROM waiting_ops").fetchone()[0]
        return {"applied": applied, "duplicates": duplicates, "waiting": waiting_total}

    def _drain_waiting(self) -> int:
        heads = {
            d: [s, h] for d, s, h in self.conn.execute("SELECT device_id, seq, hash FROM heads")
        }
        applied = 0
        progress = True
        while progress:
            progress = False
            for device_id, seq, body in self.conn.execute(
                "SELECT device_id, seq, body FROM waiting_ops ORDER BY device_id, seq"
            ).fetchall():
                head_seq, head_hash = heads.get(device_id, [0, GENESIS_HASH])
                if seq != head_seq + 1:
                    continue
                op = json.loads(body)
                if any(heads.get(d, [0])[0] < s for d, s in op["deps"].items()):
                    continue
                if op["prev_hash"] != head_hash:
                    raise IntegrityError(
                        _("Broken chain from device {device}… at #{seq}: refused.").format(
                            device=device_id[:8], seq=seq
                        )
                    )
                digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
                self.conn.execute(
                    "INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        device_id,
                        seq,
                        op["op_id"],
                        op["hlc"],
                        op["case_id"],
                        op["kind"],
                        body,
                        digest,
                    ),
                )
                try:
                    self.views.apply(op)
                except (
                    KeyError,
                    TypeError,
                    ValueError,
                    LookupError,
                    AttributeError,
                    sqlcipher3.IntegrityError,
                ) as error:  # e.g. a second create of a known case
                    raise IntegrityError(
                        _("Malformed op from device {device}… #{seq}: refused.").format(
                            device=device_id[:8], seq=seq
                        )
                    ) from error
                if op["kind"] == "config.set":
                    self._settings_cache.clear()
                self.conn.execute(
                    "INSERT OR REPLACE INTO heads VALUES (?, ?, ?)", (device_id, seq, digest)
                )
                self.conn.execute(
                    "DELETE FROM waiting_ops WHERE device_id = ? AND seq = ?", (device_id, seq)
                )
                self.clock.observe(op["hlc"])
                heads[device_id] = [seq, digest]
                applied += 1
                progress = True
        return applied

    def sync_state(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM sync_state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_sync_state(self, key: str, value: Any) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO sync_state VALUES (?, ?)", (key, canonical_json(value))
            )
