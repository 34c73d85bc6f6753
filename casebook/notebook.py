"""The Notebook: the front door every read and write of the CLI, GUI, sync and plugins uses.

It opens, locks and unlocks a notebook and wires its parts; each public method is one part's
(see ``docs/architecture.md`` for the map):

* :class:`~casebook.session.Session`: the open store, its lock and transactions;
* :class:`~casebook.journal.Journal`: the only writer of ops, for local and received ops;
* :class:`~casebook.queries.Queries`, :class:`~casebook.cases.Cases`,
  :class:`~casebook.attachments.Attachments`, :class:`~casebook.tasks.Tasks`,
  :class:`~casebook.findings.Findings`,
  :class:`~casebook.review.Review`, :class:`~casebook.reports.Reports`,
  :class:`~casebook.settings.Settings`, :class:`~casebook.plugin_admin.PluginAdmin`,
  :class:`~casebook.audit.Audit` and :class:`~casebook.replication.Replication`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casebook import store
from casebook.attachments import Attachments
from casebook.audit import Audit
from casebook.cases import STATUSES, Cases
from casebook.catalog import Catalog
from casebook.errors import InvalidInputError
from casebook.findings import Findings
from casebook.i18n import _
from casebook.journal import Journal
from casebook.keys import KEY_FILE, KeyFile
from casebook.plugin_admin import PluginAdmin
from casebook.plugin_context import PluginContext
from casebook.queries import Queries
from casebook.received import ReceivedOps
from casebook.replication import Replication
from casebook.reports import Reports
from casebook.review import Review
from casebook.roster import Roster
from casebook.session import Session
from casebook.settings import Settings
from casebook.tasks import Tasks
from casebook.views import Views

__all__ = ["STATUSES", "Notebook"]

log = logging.getLogger("casebook")

OFFICER_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def _is_unicode_text(value: str) -> bool:
    """No lone surrogates (invalid UTF-8 on the command line decodes to such)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_new_folder(folder: Path) -> None:
    """Refuse a folder a notebook cannot be created in, before anything is written.

    :raises InvalidInputError: a file in the way, or the remains of a failed creation.
    """
    existing = next((p for p in [folder, *folder.parents] if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():
        raise InvalidInputError(
            _("{path} is a file: a notebook folder cannot be created there.").format(path=existing)
        )
    if (folder / store.DB_FILE).exists():
        raise InvalidInputError(
            _(
                "{path} holds a notebook database without its key file (notebook.json), left"
                " by an earlier failed init: move it away, then run init again."
            ).format(path=folder)
        )


def _remove_partial_notebook(folder: Path, made: list[Path]) -> None:
    """Undo a failed creation: the store's files, then the folders it made (if empty)."""
    for name in (store.DB_FILE, "-wal", "-shm", "-journal", KEY_FILE + ".tmp"):
        target = folder / (store.DB_FILE + name if name.startswith("-") else name)
        try:
            target.unlink(missing_ok=True)
        except OSError:
            log.warning("a failed creation could not remove %s", target.name)
    for made_folder in reversed(made):
        try:
            made_folder.rmdir()
        except OSError:
            pass


def _make_private(folder: Path) -> None:
    """Tighten a notebook written before its files were created private (best effort)."""
    store.make_private(folder)
    for name in (KEY_FILE, store.DB_FILE, store.DB_FILE + "-wal", store.DB_FILE + "-shm"):
        if (folder / name).exists():
            store.make_private(folder / name)
    for sub in ("attachments", "plugins", "logs"):
        if (folder / sub).is_dir():
            store.make_private(folder / sub)


class _Part:
    """A public method of the notebook that one of its parts implements.

    ``nb.create_case`` is ``nb._cases.create_case``: the part's bound method, with its own
    signature and docstring (``Notebook.create_case`` is the part's function).
    """

    def __init__(self, part: str, implementation: type) -> None:
        self.part = part
        self.implementation = implementation

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, notebook: Any, owner: type | None = None) -> Any:
        if notebook is None:
            return getattr(self.implementation, self.name)
        return getattr(getattr(notebook, self.part), self.name)


class Notebook:
    """An encrypted case notebook in one folder.

    >>> nb = Notebook.create(path, "passphrase", officer_id="0001", officer_name="李明", unit="滨湖派出所")
    >>> case = nb.create_case("incident", {"title": "电动车被盗"})
    >>> nb.search("电动")[0].id == case.id
    True
    """

    # -- lifecycle ---------------------------------------------------------------------

    def __init__(
        self,
        path: Path,
        keyfile: KeyFile,
        data_key: bytes,
        *,
        load_plugins: bool = True,
        new: bool = False,
    ) -> None:
        """:param new: the store is being created (its views start in the current layout)."""
        self.path = Path(path)
        self.keyfile = keyfile
        self.device_id = keyfile.device_id
        self._lock = threading.RLock()
        self._load_plugins_flag = load_plugins
        self.session: Session | None = None
        #: What every hook, report builder and document renderer is handed: read-only.
        self.plugin_context = PluginContext(self)
        self._open_store(data_key, new=new)

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

        All or nothing: when anything fails, the folders and files made so far are removed,
        so the folder is as it was and ``init`` can be run again.

        :raises InvalidInputError: for a bad officer id, name or unit, or a folder in use.
        :raises StorageError: when the disk or the folder fails.
        """
        folder = Path(path)
        if cls.exists(folder):
            raise InvalidInputError(_("A notebook already exists in {path}.").format(path=folder))
        if not OFFICER_ID.match(officer_id or ""):
            raise InvalidInputError(_("officer_id: use 1-64 letters, digits, '.', '_' or '-'"))
        for label, value in (("officer_name", officer_name), ("unit", unit)):
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise InvalidInputError(_("{field}: this field is required").format(field=label))
            if not value.strip().isprintable() or not _is_unicode_text(value):
                raise InvalidInputError(
                    _("{field}: not valid text (control characters or invalid UTF-8)").format(
                        field=label
                    )
                )
        if not passphrase:
            raise InvalidInputError(_("The passphrase must not be empty."))
        _check_new_folder(folder)
        made: list[Path] = []
        notebook: Notebook | None = None
        try:
            for missing in reversed([folder, *folder.parents]):
                if not missing.exists():
                    missing.mkdir(mode=store.PRIVATE_DIR)
                    made.append(missing)
            store.make_private(folder)
            for sub in ("attachments", "plugins"):
                if not (folder / sub).exists():
                    store.make_private_dir(folder / sub)
                    made.append(folder / sub)
            device_id = secrets.token_hex(16)
            keyfile, data_key = KeyFile.new(passphrase, device_id)
            notebook = cls(folder, keyfile, data_key, load_plugins=False, new=True)
            session = notebook.session
            with session.transaction():
                officer = {
                    "officer_id": officer_id,
                    "name": officer_name.strip(),
                    "unit": unit.strip(),
                }
                session.set_meta("officer", officer)
                session.put_secret("ed25519", Ed25519PrivateKey.generate().private_bytes_raw())
                session.put_secret("x25519", X25519PrivateKey.generate().private_bytes_raw())
                session.officer = officer
                notebook.journal.append("officer.profile", None, officer)
            # The key file is written last: a folder without it is not a notebook yet.
            keyfile.save(folder)
        except BaseException as error:
            if notebook is not None:
                notebook.close()
            _remove_partial_notebook(folder, made)
            if isinstance(error, OSError):
                raise store.storage_error(error) from error
            raise
        if load_plugins:
            notebook._plugin_admin.load()
        return notebook

    @classmethod
    def open(
        cls, path: str | os.PathLike, passphrase: str, *, load_plugins: bool = True
    ) -> Notebook:
        """Unlock a notebook.

        :raises AuthenticationError: wrong passphrase or no notebook there.
        :raises StorageError: when the disk or the folder fails (never reported as a wrong key).
        """
        folder = Path(path)
        keyfile = KeyFile.load(folder)
        data_key = keyfile.unwrap(passphrase)
        _make_private(folder)
        return cls(folder, keyfile, data_key, load_plugins=load_plugins)

    def _open_store(self, data_key: bytes, *, new: bool = False) -> None:
        """Open the store and wire the parts, each given only the parts below it."""
        self.session = session = Session(self.path, data_key, self._lock)
        catalog = Catalog(self)
        self.journal = journal = Journal(
            session, self.device_id, Views(session.conn, catalog.title_of, catalog.searchable_text)
        )
        queries = Queries(session, self.path)
        findings = Findings(session, journal, queries, self)
        tasks = Tasks(session, journal, queries, findings, self)
        self._roster = roster = Roster(session)
        cases = Cases(session, journal, queries, catalog, tasks, findings, roster, self)
        self._settings = Settings(session, journal, queries, tasks, self)
        self._plugin_admin = PluginAdmin(session, self.path, self, self._plugins_changed)
        self._catalog, self._queries, self._tasks, self._cases = catalog, queries, tasks, cases
        self._attachments = Attachments(
            session, journal, queries, cases, tasks, findings, self.path
        )
        self._review = Review(session, journal, queries, findings, self)
        self._reports = Reports(queries, self)
        self._audit = Audit(session)
        self._replication = Replication(
            session, journal, ReceivedOps(session, catalog, self._settings)
        )
        if self._load_plugins_flag:
            self._plugin_admin.load()
        else:
            self._plugins_changed()  # the built-in types only: the host is empty
        if new:
            # An empty store: its views are in the current layout from the start.
            with session.transaction():
                session.set_meta("views_version", store.VIEWS_VERSION)
        elif session.meta("views_version") != store.VIEWS_VERSION:
            log.info("the views were written in another layout: recomputing them from the op log")
            self.rebuild()

    def _plugins_changed(self) -> None:
        self._catalog.load()
        self._settings.forget_specs()
        self._tasks.forget_outcome_schemas()

    @property
    def host(self) -> Any:
        """The plugin host: the one gateway through which hooks are called."""
        return self._plugin_admin.host

    @property
    def conn(self) -> Any:
        """The open SQLCipher connection (None when locked): for diagnostics and benchmarks."""
        return self.session.conn if self.session else None

    @property
    def views(self) -> Views:
        return self.journal.views

    @property
    def clock(self) -> Any:
        """This notebook's hybrid logical clock."""
        return self.journal.clock

    @property
    def is_locked(self) -> bool:
        return self.session is None or not self.session.is_open

    def lock(self) -> None:
        """Close the store and drop the key from memory. :meth:`unlock` opens it again."""
        with self._lock:
            if self.session is not None:
                self.session.close()

    def unlock(self, passphrase: str) -> None:
        """Reopen after :meth:`lock`. :raises AuthenticationError: wrong passphrase."""
        with self._lock:
            if self.is_locked:
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
        return dict(self.session.officer)

    # -- delegation: each public method is one part's ------------------------------------

    # case types and plugins
    case_types = _Part("_catalog", Catalog)
    register_plugin = _Part("_plugin_admin", PluginAdmin)
    plugins = _Part("_plugin_admin", PluginAdmin)
    enable_plugin = _Part("_plugin_admin", PluginAdmin)
    disable_plugin = _Part("_plugin_admin", PluginAdmin)
    trust_publisher = _Part("_plugin_admin", PluginAdmin)
    install_plugin = _Part("_plugin_admin", PluginAdmin)
    try_plugin = _Part("_plugin_admin", PluginAdmin)
    gui_panels = _Part("_plugin_admin", PluginAdmin)
    # cases and entries
    validate_fields = _Part("_cases", Cases)
    create_case = _Part("_cases", Cases)
    import_cases = _Part("_cases", Cases)
    update_case = _Part("_cases", Cases)
    set_status = _Part("_cases", Cases)
    assign_case = _Part("_cases", Cases)
    delete_case = _Part("_cases", Cases)
    add_entry = _Part("_cases", Cases)
    edit_entry = _Part("_cases", Cases)
    delete_entry = _Part("_cases", Cases)
    resolve_conflict = _Part("_cases", Cases)
    # the read model
    get_case = _Part("_queries", Queries)
    history = _Part("_queries", Queries)
    list_cases = _Part("_queries", Queries)
    count_cases = _Part("_queries", Queries)
    iter_cases = _Part("_queries", Queries)
    search = _Part("_queries", Queries)
    conflicts = _Part("_queries", Queries)
    # the station roster and responsible officers
    officers = _Part("_roster", Roster)
    officer_name = _Part("_roster", Roster)
    officer_names = _Part("_roster", Roster)
    responsible_officer = _Part("_roster", Roster)
    # attachments
    attach = _Part("_attachments", Attachments)
    read_attachment = _Part("_attachments", Attachments)
    export_attachment = _Part("_attachments", Attachments)
    attachment_blob_path = _Part("_attachments", Attachments)
    missing_attachments = _Part("_attachments", Attachments)
    import_attachment_blob = _Part("_attachments", Attachments)
    # tasks, alerts and review
    tasks = _Part("_tasks", Tasks)
    task_counts = _Part("_tasks", Tasks)
    get_task = _Part("_tasks", Tasks)
    complete_task = _Part("_tasks", Tasks)
    outcome_schemas = _Part("_tasks", Tasks)
    alerts = _Part("_review", Review)
    sign_off_alert = _Part("_review", Review)
    review = _Part("_review", Review)
    finding_summary = _Part("_review", Review)
    recorded_reviews = _Part("_review", Review)
    rectify_finding = _Part("_review", Review)
    rectify_findings = _Part("_review", Review)
    # reports and documents
    reports = _Part("_reports", Reports)
    build_report = _Part("_reports", Reports)
    report_pdf = _Part("_reports", Reports)
    report_view = _Part("_reports", Reports)
    unit_name = _Part("_reports", Reports)
    vocabulary = _Part("_reports", Reports)
    documents = _Part("_reports", Reports)
    render_document = _Part("_reports", Reports)
    # settings and preferences
    setting_specs = _Part("_settings", Settings)
    setting = _Part("_settings", Settings)
    set_setting = _Part("_settings", Settings)
    preference = _Part("_settings", Settings)
    set_preference = _Part("_settings", Settings)
    # audit and integrity
    verify_audit = _Part("_audit", Audit)
    state_digest = _Part("_audit", Audit)
    rebuild = _Part("journal", Journal)
    integrity_check = _Part("session", Session)
    # replication: the port sync uses
    raise_alarm = _Part("_replication", Replication)
    alarms = _Part("_replication", Replication)
    acknowledge_alarm = _Part("_replication", Replication)
    device_signing_key = _Part("_replication", Replication)
    device_exchange_key = _Part("_replication", Replication)
    ops_from = _Part("_replication", Replication)
    known_seqs = _Part("_replication", Replication)
    op_hash = _Part("_replication", Replication)
    waiting_count = _Part("_replication", Replication)
    apply_remote_ops = _Part("_replication", Replication)
    refused_ops = _Part("_replication", Replication)
    cut_off = _Part("_replication", Replication)
    sync_state = _Part("_replication", Replication)
    set_sync_state = _Part("_replication", Replication)
