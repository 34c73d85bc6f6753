"""The sync service: the one headless API that the CLI, the GUI and scripts drive.

:class:`SyncService` wraps an open notebook and its station share. It offers station
membership (:meth:`~SyncService.init_station`, :meth:`~SyncService.join_station`,
:meth:`~SyncService.approve_device`, :meth:`~SyncService.revoke_device`), sync passes
(:meth:`~SyncService.sync_once`, :meth:`~SyncService.watcher`) and
:meth:`~SyncService.status`. The ``casebook station`` and ``casebook sync`` commands are thin
wrappers over it, and the GUI's status bar reads the same ``status()``, so whichever face ran a
sync, both show it.

Passphrases are arguments: asking for them is the face's job. The share a laptop syncs with
is remembered in the notebook's local preferences (``share_path``), which the GUI's settings
also edit. Everything goes through the notebook's public API.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casebook.errors import InvalidInputError
from casebook.i18n import _

from .engine import (
    LAST_SYNC_KEY,
    MAX_CLOCK_SKEW_PREFERENCE,
    OUTCOME_OK,
    PUBLISHED_KEY,
    Progress,
    SyncEngine,
)
from .keys import exchange_key, signing_key
from .membership import Station

if TYPE_CHECKING:
    from .watch import SyncWatcher

#: the local preference (``nb.preference``) that remembers this laptop's station share.
SHARE_PREFERENCE = "share_path"
#: what the GUI wrote before the engine recorded its passes (read when ``sync.last`` is absent).
LEGACY_LAST_SYNC_PREFERENCE = "last_sync_at"


@dataclass(frozen=True)
class LastSync:
    """The last sync pass of this notebook, whoever ran it.

    :ivar at: when it ended (ISO 8601 with offset).
    :ivar outcome: ``"ok"`` or ``"failed"``.
    :ivar summary: the pass's ``{sent, received, conflicts, rejected, pending_keys, waiting}``
        (empty when it failed).
    :ivar error: the error's message, in the language of the moment it failed.
    :ivar error_kind: the error's class name (``ShareUnavailableError``, ...).
    :ivar succeeded_at: when the last successful pass ended, or None.
    :ivar share: the share folder of that pass.
    """

    at: str
    outcome: str
    summary: dict[str, int] = field(default_factory=dict)
    error: str = ""
    error_kind: str = ""
    succeeded_at: str | None = None
    share: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == OUTCOME_OK

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SyncStatus:
    """What a face shows about sync. Read from the notebook alone: the share is not touched.

    :ivar share: the remembered share folder, or None.
    :ivar pending: ops written on this laptop and not published (read back) yet.
    :ivar last_sync: the last pass, or None when this notebook never synced.
    :ivar waiting: received ops waiting for an earlier op (a gap) or a causal dependency.
    :ivar alarms: alarms not acknowledged yet (``nb.alarms()``).
    """

    share: str | None
    pending: int
    last_sync: LastSync | None
    waiting: int
    alarms: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": self.share,
            "pending": self.pending,
            "last_sync": self.last_sync.to_dict() if self.last_sync else None,
            "waiting": self.waiting,
            "alarms": self.alarms,
        }


@dataclass(frozen=True)
class StationCreated:
    station: str
    device: str
    epoch: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JoinRequest:
    """This laptop's join request: ``approved`` when the admin has approved it already."""

    device: str
    station: str
    approved: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Approval:
    device: str
    officer: dict[str, Any]
    epochs: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RevocationDone:
    device: str
    last_seq: int
    new_epoch: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncService:
    """Sync for one open notebook.

    :param notebook: an open, unlocked :class:`casebook.Notebook`.
    :param share: the station share folder; None uses the remembered one
        (:data:`SHARE_PREFERENCE`).
    :param engine_options: passed to :class:`SyncEngine` (``segment_max_ops``,
        ``fetch_attachments``).
    """

    def __init__(self, notebook: Any, share: str | Path | None = None, **engine_options: Any):
        self.notebook = notebook
        self._share = str(share) if share else None
        self._engine_options = engine_options
        self._engine: SyncEngine | None = None

    # --- the share ---------------------------------------------------------------------

    @property
    def share_root(self) -> str | None:
        """The share given to this service, else the one this laptop remembers."""
        if self._share:
            return self._share
        return self.notebook.preference(SHARE_PREFERENCE, None) or None

    def engine(self) -> SyncEngine:
        """The engine for :attr:`share_root` (one per share, so its passes never overlap).

        :raises InvalidInputError: when no share is given and none is remembered.
        """
        root = self.share_root
        if not root:
            raise InvalidInputError(
                _(
                    "No station share is set: give its folder (casebook sync --share DIR, or "
                    "Settings in the app)."
                )
            )
        if self._engine is None or self._engine.share.root != Path(root):
            self._engine = SyncEngine(self.notebook, root, **self._engine_options)
        return self._engine

    def remember_share(self) -> None:
        """Make :attr:`share_root` the share this laptop syncs with from now on."""
        root = str(self.engine().share.root.resolve())
        if self.notebook.preference(SHARE_PREFERENCE, None) != root:
            self.notebook.set_preference(SHARE_PREFERENCE, root)

    # --- membership --------------------------------------------------------------------

    def init_station(self, admin_passphrase: str) -> StationCreated:
        """Create a station on the share; this laptop becomes its first member.

        :raises InvalidInputError: a station already lives there, or an empty passphrase.
        """
        engine = self.engine()
        device = self.notebook.device_id
        joined = self.notebook.sync_state("sync.station")
        if joined:
            # A laptop belongs to one station: a second one would switch the remembered share
            # and leave this laptop's work behind in a station it can no longer reach.
            raise InvalidInputError(
                _(
                    "This laptop already belongs to station {station} (share {share}); a laptop "
                    "belongs to one station. Nothing was changed. To start a new station, use "
                    "a new notebook."
                ).format(
                    station=joined.get("station", "?"),
                    share=self.notebook.preference(SHARE_PREFERENCE, "-"),
                )
            )
        station, admin = Station.create(engine.share, admin_passphrase, writer=device)
        self._request_join(engine, station)
        station.approve(device, admin, writer=device)
        self.remember_share()
        return StationCreated(station=station.station_id, device=device, epoch=1)

    def join_station(self) -> JoinRequest:
        """Pin the share's station and ask to join it (the admin then approves this device).

        :raises ShareUnavailableError: no station on the share.
        :raises IntegrityError: the share holds another station than the one pinned before.
        """
        engine = self.engine()
        station = engine.station()
        self._request_join(engine, station)
        self.remember_share()
        device = self.notebook.device_id
        return JoinRequest(
            device=device,
            station=station.station_id,
            approved=station.member(device) is not None,
        )

    def approve_device(self, device: str, admin_passphrase: str) -> Approval:
        """Approve a device's join request: wrap every epoch key to it, sign its member file.

        :raises AuthenticationError: a wrong admin passphrase.
        :raises NotFoundError: no join request from that device.
        """
        station = self.engine().station()
        admin = station.unlock_admin(admin_passphrase)
        member = station.approve(device, admin, writer=self.notebook.device_id)
        return Approval(
            device=member.device, officer=dict(member.officer), epochs=station.share.list_epochs()
        )

    def revoke_device(
        self, device: str, admin_passphrase: str, *, revoke_this_laptop: bool = False
    ) -> RevocationDone:
        """Cut a device off (a lost laptop) at its last published seq; start a new key epoch.

        :param revoke_this_laptop: the explicit confirmation needed to revoke the device this
            command runs on (it can never sync again afterwards).
        :raises AuthenticationError: a wrong admin passphrase.
        :raises NotFoundError: the device is not a member.
        :raises InvalidInputError: this laptop's own device, without the confirmation.
        """
        if device == self.notebook.device_id and not revoke_this_laptop:
            raise InvalidInputError(
                _(
                    "Device {device} is this laptop: once revoked it can never sync again, and "
                    "its unsent work stays here. Nothing was changed. To revoke it anyway, "
                    "repeat the command with --this-laptop."
                ).format(device=device)
            )
        engine = self.engine()
        station = engine.station()
        admin = station.unlock_admin(admin_passphrase)
        revocation = station.revoke(device, admin, writer=self.notebook.device_id)
        # Pinned here at once: should the file be deleted before any other laptop has seen
        # it, this laptop still remembers the revocation and puts it back at its next sync.
        engine.revocations(station)
        return RevocationDone(
            device=revocation.device,
            last_seq=revocation.last_seq,
            new_epoch=revocation.new_epoch,
        )

    def set_max_clock_skew(self, hours: float) -> None:
        """How far past this laptop's clock a received op may be stamped before it is held
        back (a preference of this laptop).

        :raises InvalidInputError: not a number of hours greater than 0.
        """
        if not (isinstance(hours, int | float) and math.isfinite(hours) and hours > 0):
            raise InvalidInputError(
                _("--{option}: must be a number of hours greater than 0").format(
                    option="max-clock-skew"
                )
            )
        self.notebook.set_preference(MAX_CLOCK_SKEW_PREFERENCE, float(hours))

    def _request_join(self, engine: SyncEngine, station: Station) -> None:
        engine.pin_station(station)
        station.request_join(
            self.notebook.device_id,
            signing_key(self.notebook.device_signing_key()),
            exchange_key(self.notebook.device_exchange_key()),
            dict(self.notebook.officer or {}),
        )

    # --- syncing -----------------------------------------------------------------------

    def sync_once(self, progress: Progress | None = None) -> dict[str, int]:
        """One pass (see :meth:`SyncEngine.sync_once`); the share is remembered after it."""
        result = self.engine().sync_once(progress)
        self.remember_share()
        return result

    def watcher(self, **options: Any) -> SyncWatcher:
        """A :class:`SyncWatcher` on this service's engine (options: ``interval``,
        ``poll_interval``, ``settle``, ``on_result``, ``on_error``, ``progress``)."""
        from .watch import SyncWatcher  # watchdog costs a CLI start 80 ms: only when watching

        return SyncWatcher(self.engine(), **options)

    @property
    def busy(self) -> bool:
        """A pass of this service's engine is running."""
        return self._engine is not None and self._engine.busy

    def status(self) -> SyncStatus:
        """Pending, last sync, waiting ops and alarms, read from the notebook only (cheap, and
        it works offline or with no share at all)."""
        notebook = self.notebook
        own = int(notebook.known_seqs().get(notebook.device_id, 0))
        published = int((notebook.sync_state(PUBLISHED_KEY) or {}).get("seq", 0))
        return SyncStatus(
            share=self.share_root,
            pending=max(0, own - published),
            last_sync=self._last_sync(),
            waiting=int(notebook.waiting_count()),
            alarms=len(notebook.alarms()),
        )

    def _last_sync(self) -> LastSync | None:
        record = self.notebook.sync_state(LAST_SYNC_KEY)
        if record:
            known = {name for name in LastSync.__dataclass_fields__}
            return LastSync(**{k: v for k, v in record.items() if k in known})
        # A notebook whose syncs were only ever run by an older GUI kept the time here.
        legacy = self.notebook.preference(LEGACY_LAST_SYNC_PREFERENCE, None)
        if legacy:
            return LastSync(at=legacy, outcome=OUTCOME_OK, succeeded_at=legacy)
        return None


__all__ = [
    "SHARE_PREFERENCE",
    "Approval",
    "JoinRequest",
    "LastSync",
    "RevocationDone",
    "StationCreated",
    "SyncService",
    "SyncStatus",
]
