"""The sync engine: publish this laptop's ops, apply everyone else's, raise alarms.

:class:`SyncEngine` is headless and deterministic. ``sync_once()`` does one full pass and
returns a summary; the CLI, the GUI's worker thread and :mod:`casebook.sync.watch` all call
it. Nothing here waits, sleeps or watches.

Bookkeeping lives in the notebook (``nb.sync_state``), which is encrypted like everything
else, never on the share:

* ``sync.station``: the station this laptop joined (id and admin public keys), pinned.
* ``sync.published``: ``{seq, first, sha256, segments}``: the last segment this laptop
  published and verified, and ``[first, last, epoch, sha256]`` of each of its segments (so a
  segment deleted from the share can be published again byte for byte). Ops after ``seq``
  are not sent yet.
* ``sync.index.<device>``: segments of another device already verified,
  ``{first: [last, sha256, size]}``, so a sync with nothing new reads no segment at all.
* ``sync.applied.<device>``: the last segment of that device handed to the notebook; it is
  written by ``apply_remote_ops`` in the same transaction as the segment's ops.
* ``sync.revocations``: every revocation seen, pinned with its signed document: a revocation
  file removed from the share never un-revokes, and is put back.
* ``sync.key_files``: this laptop's key files as the admin signed them (put back when removed).
* ``sync.own_segments``: size and time of this laptop's segments when last found intact.
* ``sync.own_blobs``: attachment blobs this laptop published (republished when damaged).
* ``sync.alarms``: alarms already raised, so a bad file raises one alarm, not one per sync.
* ``sync.incomplete``: incomplete files and when they were first seen (by this laptop's
  clock, never by file times).
* ``sync.wanted_blobs``: attachments referenced by received ops and not fetched yet.
* ``sync.last``: the last pass, whoever ran it (CLI, GUI, watcher): ``{at, outcome, summary,
  error, error_kind, succeeded_at, share}``; :meth:`casebook.sync.service.SyncService.status`
  reads it, so a sync run from the command line shows in the app.

What has been *applied* is the notebook's own truth (``nb.known_seqs()``), and
``nb.apply_remote_ops`` commits a segment's ops and ``sync.applied.<device>`` in one
transaction, so a crash at any moment leaves either both or neither.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casebook.clock import format_datetime, format_hlc, now, wall_ms
from casebook.errors import AuthenticationError, CasebookError, IntegrityError, InvalidInputError
from casebook.i18n import _

from . import segments
from .keys import exchange_key, public_hex, signing_key
from .membership import Member, Revocation, Station
from .share import BLOB_ID_PATTERN, ShareExistsError, StationShare, segment_name

log = logging.getLogger(__name__)

#: ops per segment: large enough that 10k ops make few files, small enough to fit memory.
SEGMENT_MAX_OPS = 1000
#: an incomplete file that has not changed for this long raises an alarm (it is not retried less).
INCOMPLETE_ALARM_AFTER_MS = 15 * 60 * 1000
ALARM_KIND = "sync"
#: sync-state keys read outside the engine (by the service's ``status()``).
PUBLISHED_KEY = "sync.published"
#: revocations seen once, pinned: ``{device: {last_seq, new_epoch, document}}``
REVOCATIONS_KEY = "sync.revocations"
#: this laptop's key files as the admin signed them: ``{epoch: document}``
KEY_FILES_KEY = "sync.key_files"
#: this laptop's segments as last found intact on the share: ``{first: [size, mtime_ns]}``
OWN_SEGMENTS_KEY = "sync.own_segments"
#: attachment blobs this laptop published: ``{attachment id: [size, mtime_ns]}`` of the share copy
OWN_BLOBS_KEY = "sync.own_blobs"
#: a received op stamped further than this past this laptop's clock is held back
DEFAULT_MAX_CLOCK_SKEW_HOURS = 24
MAX_CLOCK_SKEW_PREFERENCE = "sync.max_clock_skew_hours"
# Alarm reasons beyond the segment reasons of :mod:`casebook.sync.segments`.
REFUSED_OP = "refused_op"
HELD_OP = "future_op"
REVOCATION_RESTORED = "revocation_restored"
REVOKED_OPS_REMOVED = "revoked_ops_removed"
KEY_FILE_RESTORED = "key_file_restored"
NO_STATION_KEY = "no_station_key"
DAMAGED_OWN_SEGMENT = "damaged_own_segment"
DAMAGED_COPY = "damaged_copy"
BLOB_REPUBLISHED = "blob_republished"
DAMAGED_BLOB = "damaged_blob"
REUSED_SEQUENCE = "reused_sequence"
LAST_SYNC_KEY = "sync.last"
OUTCOME_OK = "ok"
OUTCOME_FAILED = "failed"

Progress = Callable[[int, int | None], None]

# The states :meth:`SyncEngine.scan` reports for a segment file.
APPLIED = "applied"
READY = "ready"
WAITING = "waiting"  # an earlier segment of the device is missing
INCOMPLETE = "incomplete"  # still being copied: retried later
PENDING_KEY = "pending_key"  # encrypted with an epoch key this laptop does not hold (yet)
REJECTED = "rejected"
SUPERSEDED = "superseded"  # covered by the device's previous segment: skipped


@dataclass
class SegmentStatus:
    """What the engine thinks of one segment file on the share."""

    path: str
    device: str
    first_seq: int
    state: str
    reason: str = ""
    last_seq: int | None = None
    message: str = ""


@dataclass
class _Candidate:
    device: str
    first: int
    last: int
    sha256: str
    ops: list[dict[str, Any]]
    size: int = 0


@dataclass
class _Scan:
    statuses: list[SegmentStatus] = field(default_factory=list)
    ready: dict[str, list[_Candidate]] = field(default_factory=dict)
    rejected: list[SegmentStatus] = field(default_factory=list)
    pending_keys: int = 0


def attachment_ids(op: dict[str, Any]) -> list[str]:
    """Attachment ids an op refers to (their blobs travel with it)."""
    if op.get("kind") == "attachment.add":
        attachment_id = (op.get("payload") or {}).get("attachment_id")
        # Only ids that can name a file on the share: an op is data, never a path.
        if isinstance(attachment_id, str) and BLOB_ID_PATTERN.match(attachment_id):
            return [attachment_id]
    return []


class SyncEngine:
    """Reconciles one open notebook with one station share.

    :param notebook: an open, unlocked :class:`casebook.Notebook`.
    :param share_root: the share folder.
    :param segment_max_ops: ops per published segment.
    :param fetch_attachments: fetch every missing attachment blob at each sync (the default,
        so a laptop that goes offline has them); with False, only
        :meth:`fetch_attachment` fetches one, when a case view needs it.
    """

    def __init__(
        self,
        notebook: Any,
        share_root: str | Path,
        *,
        segment_max_ops: int = SEGMENT_MAX_OPS,
        fetch_attachments: bool = True,
    ) -> None:
        self.notebook = notebook
        self.share = StationShare(share_root)
        self.segment_max_ops = segment_max_ops
        self.fetch_attachments = fetch_attachments
        self._station: Station | None = None
        # One pass at a time per engine: the GUI's "Sync now" and its watcher share an engine.
        self._pass_lock = threading.Lock()

    # --- membership ------------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        return self.notebook.device_id

    def station(self) -> Station:
        """The station, its marker checked against the pinned one (or pinned now if new)."""
        pinned = self.notebook.sync_state("sync.station")
        station = Station(self.share, pinned)
        station.marker()
        self._station = station
        return station

    def pin_station(self, station: Station) -> None:
        """Remember the station this laptop joined; a different marker is refused later."""
        if not self.notebook.sync_state("sync.station"):
            self.notebook.set_sync_state("sync.station", station.pin())

    def revocations(self, station: Station) -> dict[str, Revocation]:
        """Every revocation this laptop has seen, on the share now or pinned earlier.

        A revocation is pinned the first time it is seen, with its signed document, like the
        station key: removing the file from the share never un-revokes (the file is put
        back, and an alarm says so). Ops of the revoked device after its cut-off that this
        laptop applied before it learned of the revocation (a replica delivered them first)
        are taken out again, so every laptop ends with the same state.
        """
        pinned: dict[str, dict[str, Any]] = dict(self.notebook.sync_state(REVOCATIONS_KEY) or {})
        on_share = station.revocations()
        for device, revocation in sorted(on_share.items()):
            if device in pinned:
                continue
            data = self.share.read_bytes(self.share.revocation_path(device))
            if data is None:
                continue
            if device != self.device_id:
                removed = self.notebook.cut_off(device, revocation.last_seq)
                if removed:
                    self._notice(
                        REVOKED_OPS_REMOVED,
                        f"{device}:{revocation.last_seq}",
                        _(
                            "Device {device} was revoked at seq {seq}; {count} of its later ops "
                            "that had arrived first were taken out again."
                        ).format(device=device, seq=revocation.last_seq, count=removed),
                        {"device": device, "last_seq": revocation.last_seq, "removed": removed},
                    )
            pinned[device] = {
                "last_seq": revocation.last_seq,
                "new_epoch": revocation.new_epoch,
                "document": data.decode("utf-8"),
            }
            self.notebook.set_sync_state(REVOCATIONS_KEY, pinned)
        for device, entry in sorted(pinned.items()):
            path = self.share.revocation_path(device)
            if device in on_share or self.share.read_bytes(path) is not None:
                continue
            self.share.publish(path, entry["document"].encode("utf-8"), writer=self.device_id)
            self._notice(
                REVOCATION_RESTORED,
                f"{device}:{entry['last_seq']}",
                _(
                    "The revocation of device {device} was removed from the share; this laptop "
                    "remembered it and put it back. The device stays revoked."
                ).format(device=device),
                {"device": device, "path": self._relative(str(path))},
            )
        return {
            device: Revocation(device, int(entry["last_seq"]), int(entry["new_epoch"]))
            for device, entry in pinned.items()
        }

    def require_member(
        self, station: Station, revocations: dict[str, Revocation] | None = None
    ) -> Member:
        """This laptop's member entry.

        :param revocations: the revocations known (default: :meth:`revocations`).
        :raises AuthenticationError: when the laptop is revoked or not approved yet.
        """
        if revocations is None:
            revocations = self.revocations(station)
        revocation = revocations.get(self.device_id)
        if revocation is not None:
            raise AuthenticationError(
                _(
                    "This laptop (device {device}) was revoked from the station; it may not sync. "
                    "Its ops up to seq {seq} were kept."
                ).format(device=self.device_id, seq=revocation.last_seq)
            )
        member = station.member(self.device_id)
        if member is None:
            # A network folder that goes away mid-pass also loses the member file: that is
            # an unreachable share, not a refusal.
            self.share.check_available()
            if self.share.read_bytes(self.share.request_path(self.device_id)) is not None:
                message = _(
                    "This laptop (device {device}) asked to join but is not approved yet: "
                    "the station admin runs `casebook station approve {device}`."
                )
            else:
                message = _(
                    "This laptop (device {device}) is not a member of this station: run "
                    "`casebook station join --share DIR`, then ask the admin to approve it."
                )
            raise AuthenticationError(message.format(device=self.device_id))
        if member.signing_key != _public(signing_key(self.notebook.device_signing_key())):
            raise AuthenticationError(
                _(
                    "The station's member entry for device {device} holds other keys than this "
                    "laptop."
                ).format(device=self.device_id)
            )
        return member

    def _epoch_keys(self, station: Station) -> dict[int, bytes]:
        """The station keys wrapped to this laptop.

        Each key file is remembered as the admin signed it the first time it opens; one
        removed from the share is put back (its signature still holds), so the laptop's work
        keeps leaving it. A laptop with no key at all raises an alarm instead of sending
        nothing in silence.
        """
        me = self.device_id
        remembered: dict[str, str] = dict(self.notebook.sync_state(KEY_FILES_KEY) or {})
        for epoch_text, document in sorted(remembered.items()):
            path = self.share.key_path(int(epoch_text), me)
            if self.share.read_bytes(path) is None:
                self.share.publish(path, document.encode("utf-8"), writer=me)
                self._notice(
                    KEY_FILE_RESTORED,
                    f"{epoch_text}:{document[-16:]}",
                    _(
                        "This laptop's key file for epoch {epoch} was removed from the share; "
                        "it was put back."
                    ).format(epoch=epoch_text),
                    {"epoch": int(epoch_text), "path": self._relative(str(path))},
                )
        keys = station.epoch_keys(me, exchange_key(self.notebook.device_exchange_key()))
        changed = False
        for epoch in keys:
            if str(epoch) not in remembered:
                data = self.share.read_bytes(self.share.key_path(epoch, me))
                if data is not None:
                    remembered[str(epoch)] = data.decode("utf-8")
                    changed = True
        if changed:
            self.notebook.set_sync_state(KEY_FILES_KEY, remembered)
        if not keys:
            self._notice(
                NO_STATION_KEY,
                "none",
                _(
                    "This laptop holds no station key: nothing it writes can be sent. Ask the "
                    "admin to run `casebook station approve {device}` again."
                ).format(device=me),
                {"device": me},
            )
        return keys

    # --- one pass ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A pass is running (in any thread)."""
        return self._pass_lock.locked()

    def sync_once(self, progress: Progress | None = None) -> dict[str, int]:
        """Publish what is new here, apply what is new there. Safe to interrupt anywhere.

        Passes of one engine run one at a time (a second caller waits). Each pass, successful
        or not, is recorded in the notebook's sync state (``sync.last``).

        :param progress: called as ``progress(done, total)`` in segments (``total`` may grow).
        :returns: ``{sent, received, conflicts, rejected, pending_keys, waiting}``.
        :raises ShareUnavailableError: share missing, empty or without marker (nothing deleted).
        :raises AuthenticationError: this laptop is not approved or is revoked.
        :raises IntegrityError: the marker is not the station this laptop joined.
        """
        with self._pass_lock:
            try:
                result = self._pass(progress)
            except Exception as error:
                self._record_last_sync(error=error)
                raise
            self._record_last_sync(result=result)
            return result

    def _record_last_sync(
        self, *, result: dict[str, int] | None = None, error: Exception | None = None
    ) -> None:
        """Remember when the last pass ran and how it ended (never hides the pass's own error)."""
        at = format_datetime(now())
        try:
            previous = self.notebook.sync_state(LAST_SYNC_KEY) or {}
            record = {
                "at": at,
                "outcome": OUTCOME_OK if error is None else OUTCOME_FAILED,
                "summary": dict(result or {}),
                "error": "" if error is None else str(error),
                "error_kind": "" if error is None else type(error).__name__,
                "succeeded_at": at if error is None else previous.get("succeeded_at"),
                "share": str(self.share.root),
            }
            self.notebook.set_sync_state(LAST_SYNC_KEY, record)
        except Exception as failure:  # noqa: BLE001 - e.g. the notebook was locked meanwhile
            log.info("the outcome of the sync pass was not recorded: %s", failure)

    def _pass(self, progress: Progress | None) -> dict[str, int]:
        station = self.station()
        revocations = self.revocations(station)
        self.require_member(station, revocations)
        self.pin_station(station)
        members = station.members()
        keys = self._epoch_keys(station)
        self._raise_share_problems(station)

        scan = self._scan(members, revocations, keys)
        total = len([c for ready in scan.ready.values() for c in ready])
        reporter = _ProgressReporter(progress, total)

        sent = self._publish(station, keys, reporter)
        self._repair_own_blobs()
        received, waiting = self._apply(scan, reporter, members, revocations)
        if self.fetch_attachments:
            self._fetch_wanted_blobs()
        for status in scan.rejected:
            self._alarm(status)
        self._note_incomplete(scan.statuses)
        return {
            "sent": sent,
            "received": received,
            "conflicts": len(self.notebook.conflicts()),
            "rejected": len(scan.rejected),
            "pending_keys": scan.pending_keys,
            "waiting": waiting,
        }

    def scan(self) -> list[SegmentStatus]:
        """Classify every segment of the other devices without applying or alarming.

        :returns: one :class:`SegmentStatus` per segment file looked at.
        """
        station = self.station()
        revocations = self.revocations(station)
        self.require_member(station, revocations)
        keys = station.epoch_keys(self.device_id, exchange_key(self.notebook.device_exchange_key()))
        return self._scan(station.members(), revocations, keys).statuses

    # --- publishing -------------------------------------------------------------------------

    def _publish(
        self, station: Station, keys: dict[int, bytes], reporter: _ProgressReporter
    ) -> int:
        me = self.device_id
        self.share.clear_staging(me)
        published = self._recover_published(station, keys)
        if not keys:
            return 0
        epoch = max(keys)
        signer = signing_key(self.notebook.device_signing_key())
        sent = 0
        while True:
            ops = self.notebook.ops_from(me, published["seq"], limit=self.segment_max_ops)
            if not ops:
                return sent
            for op in ops:
                for attachment_id in attachment_ids(op):
                    self._publish_blob(attachment_id)
            data = segments.encode_segment(
                ops,
                station=station.station_id,
                epoch=epoch,
                epoch_key=keys[epoch],
                prev_segment_hash=published["sha256"],
                signing_key=signer,
            )
            first = ops[0]["seq"]
            path = self.share.segment_path(me, first)
            try:
                self.share.publish(path, data, writer=me)
            except ShareExistsError:
                # Our name is taken by a file we did not write in this run: adopt it if it is
                # ours (a crash after the rename), refuse otherwise.
                published = self._recover_published(station, keys)
                if published["seq"] >= first:
                    continue
                raise IntegrityError(
                    _(
                        "{path} holds a segment this laptop cannot verify as its own; publishing "
                        "stopped."
                    ).format(path=path)
                ) from None
            # Read back and verify as any other laptop would before calling the ops sent.
            segment = self._verify_own(path, station, signer, keys)
            if segment is None:
                raise IntegrityError(
                    _("{path} does not read back as written; the share is unreliable.").format(
                        path=path
                    )
                )
            published = self._record(published, segment)
            sent += len(ops)
            reporter.add_total(1)
            reporter.step()

    def _verify_own(
        self, path: Path, station: Station, signer: Any, keys: dict[int, bytes] | None = None
    ) -> segments.Segment | None:
        data = self.share.read_bytes(path)
        try:
            segment = segments.parse_segment(data or b"")
            segments.verify_signature(segment, _public(signer))
            if keys is not None and segment.epoch in keys:
                segments.decrypt_ops(segment, keys[segment.epoch])
        except (segments.SegmentIncomplete, segments.SegmentRejected):
            return None
        if segment.device != self.device_id or segment.header["station"] != station.station_id:
            return None
        return segment

    def _record(self, published: dict[str, Any], segment: segments.Segment) -> dict[str, Any]:
        """Mark a verified segment of this laptop as sent (one small write)."""
        recorded = {
            "seq": segment.last_seq,
            "first": segment.first_seq,
            "sha256": segment.sha256,
            "segments": [
                *published.get("segments", []),
                [segment.first_seq, segment.last_seq, segment.epoch, segment.sha256],
            ],
        }
        self.notebook.set_sync_state(PUBLISHED_KEY, recorded)
        return recorded

    def _recover_published(self, station: Station, keys: dict[int, bytes]) -> dict[str, Any]:
        """``sync.published`` reconciled with this laptop's own folder on the share.

        Adopts segments that a crash left published but not recorded. Publishes again, byte
        for byte, recorded segments that were removed from the share (segments are
        deterministic: same ops, epoch and predecessor give the same file).
        """
        me = self.device_id
        published = self.notebook.sync_state(PUBLISHED_KEY) or {
            "seq": 0,
            "first": 0,
            "sha256": segments.NO_PREVIOUS,
            "segments": [],
        }
        listing = self.share.list_segments(me)
        signer = signing_key(self.notebook.device_signing_key())
        previous = segments.NO_PREVIOUS
        # [size, mtime_ns] of each own segment when last found intact: a no-change sync reads
        # none of them, a changed one is read and checked against its recorded hash.
        checked: dict[str, Any] = dict(self.notebook.sync_state(OWN_SEGMENTS_KEY) or {})
        checked_before = dict(checked)
        for first, last, epoch, sha256 in published.get("segments", []):
            path = self.share.segment_path(me, first)
            stamp = _stamp(path) if first in listing else None
            if stamp is not None and stamp == checked.get(str(first)):
                previous = sha256
                continue
            data = self.share.read_bytes(path) if stamp is not None else None
            if data is None:
                self._republish(station, keys, signer, first, last, epoch, previous, sha256)
            elif segments.segment_hash(data) != sha256:
                # Truncated or corrupted on the share: this laptop holds the ops, so it puts
                # the same bytes back (segments are deterministic).
                self._republish(
                    station, keys, signer, first, last, epoch, previous, sha256, damaged=True
                )
            checked[str(first)] = _stamp(path)
            previous = sha256
        if checked != checked_before:
            self.notebook.set_sync_state(OWN_SEGMENTS_KEY, checked)
        while published["seq"] + 1 in listing:
            path = self.share.log_dir(me) / listing[published["seq"] + 1]
            segment = self._verify_own(path, station, signer)
            if segment is None or segment.header["prev_segment_hash"] != published["sha256"]:
                break
            self._check_not_reused(segment, station, keys, signer, published["sha256"])
            published = self._record(published, segment)
        return published

    def _check_not_reused(
        self,
        segment: segments.Segment,
        station: Station,
        keys: dict[int, bytes],
        signer: Any,
        previous: str,
    ) -> None:
        """Refuse to adopt a segment of this device that this notebook did not write.

        A notebook restored from a backup, or copied to a second laptop, goes on from an
        older seq than its device already published: its new ops reuse those seqs, and
        every other laptop would refuse them as a fork. Segments are deterministic, so a
        segment this notebook wrote is rebuilt byte for byte from its own ops.

        :raises ReusedSequenceError: with what to do.
        """
        first, last = segment.first_seq, segment.last_seq
        if segment.epoch not in keys:
            return  # cannot rebuild it; the other laptops' fork check still stands
        ops = self.notebook.ops_from(self.device_id, first - 1, limit=last - first + 1)
        if len(ops) == last - first + 1:
            data = segments.encode_segment(
                ops,
                station=station.station_id,
                epoch=segment.epoch,
                epoch_key=keys[segment.epoch],
                prev_segment_hash=previous,
                signing_key=signer,
            )
            if segments.segment_hash(data) == segment.sha256:
                return
        message = _(
            "This notebook reuses sequence numbers its device already published (seq {first} to "
            "{last} on the share were written by another copy of it): it was restored from a "
            "backup or copied from another laptop. Its new work cannot be sent as device "
            "{device}, and nothing was sent. Keep this notebook as it is; create a new notebook "
            "(`casebook init`), join the station with it as a new device (`casebook station "
            "join`), and move the cases written since the backup into it (`casebook case export` "
            "here, `casebook import` there)."
        ).format(first=first, last=last, device=self.device_id)
        self._notice(
            REUSED_SEQUENCE,
            f"{first}:{segment.sha256}",
            message,
            {"device": self.device_id, "first_seq": first, "last_seq": last},
        )
        raise ReusedSequenceError(message)

    def _republish(
        self,
        station: Station,
        keys: dict[int, bytes],
        signer: Any,
        first: int,
        last: int,
        epoch: int,
        previous: str,
        sha256: str,
        *,
        damaged: bool = False,
    ) -> None:
        path = self.share.segment_path(self.device_id, first)
        self._alarm(
            SegmentStatus(
                str(path),
                self.device_id,
                first,
                REJECTED,
                DAMAGED_OWN_SEGMENT if damaged else segments.DELETED_TAIL,
                last,
                _("A segment this laptop published is damaged on the share; it is published again.")
                if damaged
                else _(
                    "A segment this laptop published was removed from the share; it is published again."
                ),
            )
        )
        ops = self.notebook.ops_from(self.device_id, first - 1, limit=last - first + 1)
        if epoch not in keys or len(ops) != last - first + 1:
            return
        data = segments.encode_segment(
            ops,
            station=station.station_id,
            epoch=epoch,
            epoch_key=keys[epoch],
            prev_segment_hash=previous,
            signing_key=signer,
        )
        if segments.segment_hash(data) != sha256:
            raise IntegrityError(
                _("Segment {first} of this laptop cannot be rebuilt as it was published.").format(
                    first=first
                )
            )
        if damaged:
            self.share.remove_damaged(path, writer=self.device_id)
        self.share.publish(path, data, writer=self.device_id)

    def _publish_blob(self, attachment_id: str) -> None:
        source = self.notebook.attachment_blob_path(attachment_id)
        if source is None:
            return
        target = self.share.blob_path(attachment_id)
        if not (target.exists() and target.stat().st_size == Path(source).stat().st_size):
            self.share.publish_copy(target, Path(source), writer=self.device_id)
        own = dict(self.notebook.sync_state(OWN_BLOBS_KEY) or {})
        own[attachment_id] = _stamp(target)
        self.notebook.set_sync_state(OWN_BLOBS_KEY, own)

    def _repair_own_blobs(self) -> None:
        """Publish again an attachment blob of this laptop that is missing, cut short or
        altered on the share (checked in full only when its size or time changed)."""
        own = dict(self.notebook.sync_state(OWN_BLOBS_KEY) or {})
        changed = False
        for attachment_id, recorded in sorted(own.items()):
            target = self.share.blob_path(attachment_id)
            stamp = _stamp(target)
            if stamp is not None and stamp == recorded:
                continue
            source = self.notebook.attachment_blob_path(attachment_id)
            if source is None:
                continue
            if stamp is None or _sha256(target) != _sha256(Path(source)):
                if stamp is not None:
                    self.share.remove_damaged(target, writer=self.device_id)
                self.share.publish_copy(target, Path(source), writer=self.device_id)
                self._notice(
                    BLOB_REPUBLISHED,
                    f"{attachment_id}:{stamp}",
                    _(
                        "An attachment this laptop published was missing or damaged on the "
                        "share; it was published again."
                    ),
                    {"attachment_id": attachment_id},
                )
            own[attachment_id] = _stamp(target)
            changed = True
        if changed:
            self.notebook.set_sync_state(OWN_BLOBS_KEY, own)

    # --- receiving --------------------------------------------------------------------------

    def _scan(
        self, members: dict[str, Member], revocations: dict[str, Revocation], keys: dict[int, bytes]
    ) -> _Scan:
        result = _Scan()
        known = self.notebook.known_seqs()
        station_id = self._station.station_id if self._station else ""
        for device in sorted(self.share.list_devices("log")):
            if device == self.device_id:
                continue
            # Ops handed to the notebook but waiting there for a dependency count as done.
            handed = (self.notebook.sync_state(f"sync.applied.{device}") or {}).get("last", 0)
            self._scan_device(
                device,
                max(known.get(device, 0), handed),
                station_id,
                members.get(device),
                revocations.get(device),
                keys,
                result,
            )
        return result

    def _scan_device(
        self,
        device: str,
        known: int,
        station_id: str,
        member: Member | None,
        revocation: Revocation | None,
        keys: dict[int, bytes],
        result: _Scan,
    ) -> None:
        listing = self.share.list_segments(device)
        index_key = f"sync.index.{device}"
        index: dict[str, list[Any]] = dict(self.notebook.sync_state(index_key) or {})
        index_changed = False
        log_dir = self.share.log_dir(device)

        # A segment this laptop already verified and applied is gone: the tail was deleted.
        for first_text, entry in index.items():
            last = entry[0]
            path_now = log_dir / segment_name(int(first_text))
            size_now = _size_of(path_now) if int(first_text) in listing else None
            cached_size = _cached_size(entry)
            if size_now is not None and cached_size is not None and size_now < cached_size:
                result.rejected.append(
                    SegmentStatus(
                        str(path_now),
                        device,
                        int(first_text),
                        REJECTED,
                        DAMAGED_COPY,
                        last,
                        _(
                            "A segment of device {device} that was already applied is damaged on "
                            "the share; that laptop publishes it again at its next sync."
                        ).format(device=device),
                    )
                )
            if int(first_text) not in listing and last <= known:
                result.rejected.append(
                    SegmentStatus(
                        str(log_dir / segment_name(int(first_text))),
                        device,
                        int(first_text),
                        REJECTED,
                        segments.DELETED_TAIL,
                        last,
                        _(
                            "A segment of device {device} that was already applied has been removed from the share."
                        ).format(device=device),
                    )
                )
        names = sorted(listing)
        tail = names[-1] if names else None
        previous_last, previous_hash = 0, segments.NO_PREVIOUS
        # (first, path, hash of its predecessor) of the last segment trusted from the index
        trusted: tuple[int, Path, str] | None = None
        for first in names:
            path = log_dir / listing[first]
            cached = index.get(str(first))
            if (
                cached is not None
                and first == previous_last + 1
                and cached[0] <= known
                and (first != tail or _size_of(path) == _cached_size(cached))
            ):
                trusted = (first, path, previous_hash)
                previous_last, previous_hash = cached[0], cached[1]
                result.statuses.append(
                    SegmentStatus(str(path), device, first, APPLIED, last_seq=cached[0])
                )
                continue
            if trusted is not None:
                # Something follows a segment trusted from the index without reading it.
                # Check it is still what was read then: a laptop that crashed before
                # recording a segment, then lost it from the share, cuts it again, possibly
                # with more ops.
                trusted_first, trusted_path, hash_before = trusted
                trusted = None
                refreshed = self._refresh_cached(trusted_path, device, member, station_id)
                if refreshed is not None and list(refreshed) != index[str(trusted_first)][:2]:
                    status, candidate = self._classify(
                        trusted_path,
                        device,
                        trusted_first,
                        hash_before,
                        station_id,
                        member,
                        revocation,
                        keys,
                    )
                    if candidate is not None:
                        index[str(trusted_first)] = [
                            candidate.last,
                            candidate.sha256,
                            candidate.size,
                        ]
                        index_changed = True
                        previous_last, previous_hash = candidate.last, candidate.sha256
                        if candidate.last > known:
                            result.ready.setdefault(device, []).append(candidate)
            if first <= previous_last:
                # An older cut of ops already covered (a copy that arrived late after the
                # writer published again): signed by the device, so harmless; skip it.
                result.statuses.append(SegmentStatus(str(path), device, first, SUPERSEDED))
                continue
            if first != previous_last + 1:
                result.statuses.append(SegmentStatus(str(path), device, first, WAITING))
                continue
            status, candidate = self._classify(
                path, device, first, previous_hash, station_id, member, revocation, keys
            )
            result.statuses.append(status)
            if status.state == REJECTED:
                result.rejected.append(status)
                break
            if status.state == PENDING_KEY:
                result.pending_keys += 1
                break
            if status.state != READY or candidate is None:
                break
            if index.get(str(first)) != [candidate.last, candidate.sha256, candidate.size]:
                index[str(first)] = [candidate.last, candidate.sha256, candidate.size]
                index_changed = True
            previous_last, previous_hash = candidate.last, candidate.sha256
            if candidate.last <= known:
                status.state = APPLIED
            else:
                result.ready.setdefault(device, []).append(candidate)
        if index_changed:
            self.notebook.set_sync_state(index_key, index)

    def _refresh_cached(
        self, path: Path, device: str, member: Member | None, station_id: str
    ) -> tuple[int, str] | None:
        """``(last_seq, sha256)`` of a segment as it is on the share now, if it verifies."""
        data = self.share.read_bytes(path)
        if data is None or member is None:
            return None
        try:
            segment = segments.parse_segment(data)
            segments.verify_signature(segment, member.signing_key)
        except (segments.SegmentIncomplete, segments.SegmentRejected):
            return None
        if segment.device != device or segment.header["station"] != station_id:
            return None
        return segment.last_seq, segment.sha256

    def _classify(
        self,
        path: Path,
        device: str,
        first: int,
        previous_hash: str,
        station_id: str,
        member: Member | None,
        revocation: Revocation | None,
        keys: dict[int, bytes],
    ) -> tuple[SegmentStatus, _Candidate | None]:
        def rejected(
            reason: str, message: str, last: int | None = None
        ) -> tuple[SegmentStatus, None]:
            return SegmentStatus(str(path), device, first, REJECTED, reason, last, message), None

        data = self.share.read_bytes(path)
        if data is None:
            return SegmentStatus(str(path), device, first, INCOMPLETE, message=_("vanished")), None
        try:
            segment = segments.parse_segment(data)
        except segments.SegmentIncomplete as error:
            return SegmentStatus(str(path), device, first, INCOMPLETE, message=str(error)), None
        except segments.SegmentRejected as error:
            return rejected(error.reason, str(error))
        header = segment.header
        if (
            header["station"] != station_id
            or header["device"] != device
            or header["first_seq"] != first
        ):
            return rejected(
                segments.MISPLACED,
                _("segment header names another station, device or seq than its file"),
                segment.last_seq,
            )
        if member is None:
            return rejected(
                segments.UNKNOWN_SIGNER,
                _("segment signed by a device that is not a member"),
                segment.last_seq,
            )
        try:
            segments.verify_signature(segment, member.signing_key)
        except segments.SegmentRejected as error:
            return rejected(error.reason, str(error), segment.last_seq)
        if revocation is not None and segment.first_seq > revocation.last_seq:
            return rejected(
                segments.REVOKED_SIGNER,
                _("segment written after its device was revoked (cut-off at seq {seq})").format(
                    seq=revocation.last_seq
                ),
                segment.last_seq,
            )
        if header["prev_segment_hash"] != previous_hash:
            return rejected(
                segments.REPLAYED,
                _("segment does not follow the device's previous segment"),
                segment.last_seq,
            )
        if segment.epoch not in keys:
            return SegmentStatus(
                str(path),
                device,
                first,
                PENDING_KEY,
                last_seq=segment.last_seq,
                message=_("no key for epoch {epoch} yet").format(epoch=segment.epoch),
            ), None
        try:
            ops = segments.decrypt_ops(segment, keys[segment.epoch])
        except segments.SegmentRejected as error:
            return rejected(error.reason, str(error), segment.last_seq)
        return (
            SegmentStatus(str(path), device, first, READY, last_seq=segment.last_seq),
            _Candidate(device, first, segment.last_seq, segment.sha256, ops, len(data)),
        )

    def _apply(
        self,
        scan: _Scan,
        reporter: _ProgressReporter,
        members: dict[str, Member],
        revocations: dict[str, Revocation],
    ) -> tuple[int, int]:
        """Hand each ready segment to the notebook, in chain order per device.

        The notebook stores ops whose predecessors or causal deps are missing and applies
        them when those arrive, so each segment is handed over once; the record of it
        (``sync.applied.<device>``) commits in the same transaction as its ops. Each op is
        validated there and bound to its device's officer; refused and held-back ops raise
        alarms naming the device.
        """
        received = 0
        officers = {
            device: str(member.officer["officer_id"])
            for device, member in members.items()
            if member.officer.get("officer_id")
        }
        context = {
            "officers": officers,
            "cutoffs": {device: r.last_seq for device, r in revocations.items()},
            "max_skew_ms": self.max_clock_skew_ms(),
        }
        for device in sorted(scan.ready):
            for candidate in scan.ready[device]:
                state = {
                    f"sync.applied.{device}": {
                        "first": candidate.first,
                        "last": candidate.last,
                        "sha256": candidate.sha256,
                    }
                }
                try:
                    outcome = self.notebook.apply_remote_ops(candidate.ops, state=state, **context)
                except IntegrityError as error:
                    status = SegmentStatus(
                        str(self.share.segment_path(device, candidate.first)),
                        device,
                        candidate.first,
                        REJECTED,
                        "refused_by_notebook",
                        candidate.last,
                        str(error),
                    )
                    scan.rejected.append(status)
                    break
                received += int(outcome.get("applied", 0))
                self._op_alarms(outcome)
                self._want_blobs(candidate.ops)
                reporter.step()
        # Ops held back for their clock, or waiting on a revoked device, may go now.
        try:
            outcome = self.notebook.apply_remote_ops([], **context)
        except IntegrityError as error:  # a broken chain: its segment was alarmed already
            log.info("waiting ops not applied: %s", error)
            outcome = {"waiting": self.notebook.waiting_count()}
        received += int(outcome.get("applied", 0))
        self._op_alarms(outcome)
        return received, int(outcome.get("waiting", 0))

    def max_clock_skew_ms(self) -> int:
        """How far past this laptop's clock a received op may be stamped (a preference of the
        laptop, ``sync.max_clock_skew_hours``, 24 by default)."""
        hours = self.notebook.preference(MAX_CLOCK_SKEW_PREFERENCE, DEFAULT_MAX_CLOCK_SKEW_HOURS)
        try:
            hours = float(hours)
        except (TypeError, ValueError):
            hours = DEFAULT_MAX_CLOCK_SKEW_HOURS
        return int(max(hours, 0) * 3600 * 1000)

    def _op_alarms(self, outcome: dict[str, Any]) -> None:
        for device, seq, reason in outcome.get("refused", []):
            self._notice(
                REFUSED_OP,
                f"{device}:{seq}",
                _("An op from device {device} (#{seq}) was refused: {reason}").format(
                    device=device, seq=seq, reason=reason
                ),
                {"device": device, "seq": seq, "message": reason},
            )
        for device, seq, hlc in outcome.get("held", []):
            self._notice(
                HELD_OP,
                f"{device}:{seq}",
                _(
                    "An op from device {device} (#{seq}) is stamped {at}, further in the future "
                    "than this laptop's clock allows; it is held back until then. Check that "
                    "laptop's clock."
                ).format(device=device, seq=seq, at=format_hlc(hlc)),
                {"device": device, "seq": seq, "hlc": hlc},
            )

    # --- attachments ------------------------------------------------------------------------

    def _want_blobs(self, ops: list[dict[str, Any]]) -> None:
        if callable(getattr(self.notebook, "missing_attachments", None)):
            return  # the notebook keeps the list itself
        wanted = [i for op in ops for i in attachment_ids(op)]
        if wanted:
            current = list(self.notebook.sync_state("sync.wanted_blobs") or [])
            current.extend(i for i in wanted if i not in current)
            self.notebook.set_sync_state("sync.wanted_blobs", current)

    def _fetch_wanted_blobs(self) -> None:
        """Fetch the blobs of attachments the notebook knows but does not hold yet.

        The notebook's own list (``missing_attachments``) is the truth where it exists; the
        ids seen in received ops are the fallback. A blob not on the share yet, or still
        being copied, is tried again at the next sync.
        """
        missing = getattr(self.notebook, "missing_attachments", None)
        wanted = list(self.notebook.sync_state("sync.wanted_blobs") or [])
        candidates = list(missing()) if callable(missing) else wanted
        remaining = []
        for attachment_id in candidates:
            try:
                if not self.fetch_attachment(attachment_id):
                    remaining.append(attachment_id)
            except CasebookError as error:
                log.info("attachment %s not fetched: %s", attachment_id, error)
                remaining.append(attachment_id)
        if not callable(missing) and remaining != wanted:
            self.notebook.set_sync_state("sync.wanted_blobs", remaining)

    def fetch_attachment(self, attachment_id: str) -> bool:
        """Copy an attachment's encrypted blob from the share into the notebook.

        :returns: True when the notebook holds the blob now; False when it is not on the
            share yet or not complete (tried again at the next sync).
        """
        if self.notebook.attachment_blob_path(attachment_id) is not None:
            return True
        source = self.share.blob_path(attachment_id)
        if not source.exists():
            return False
        try:
            self.notebook.import_attachment_blob(attachment_id, source)
        except IntegrityError as error:
            self._notice(
                DAMAGED_BLOB,
                f"{attachment_id}:{_stamp(source)}",
                _(
                    "The attachment {id} is damaged on the share; the laptop that attached it "
                    "publishes it again at its next sync."
                ).format(id=attachment_id),
                {"attachment_id": attachment_id, "message": str(error)},
            )
            return False
        except (InvalidInputError, OSError) as error:
            log.info("attachment %s not fetched yet: %s", attachment_id, error)
            return False
        return True

    # --- alarms -----------------------------------------------------------------------------

    def _alarm(self, status: SegmentStatus) -> None:
        """Raise one alarm per bad file and reason (not one per sync)."""
        data = self.share.read_bytes(Path(status.path))
        fingerprint = segments.segment_hash(data) if data is not None else "gone"
        key = f"{status.reason}:{self._relative(status.path)}:{fingerprint}"
        raised = dict(self.notebook.sync_state("sync.alarms") or {})
        if key in raised:
            return
        self.notebook.raise_alarm(
            ALARM_KIND,
            _("A file on the station share was rejected ({reason}): {path}").format(
                reason=status.reason, path=self._relative(status.path)
            ),
            {
                "reason": status.reason,
                "path": self._relative(status.path),
                "device": status.device,
                "first_seq": status.first_seq,
                "last_seq": status.last_seq,
                "sha256": fingerprint,
                "message": status.message,
            },
        )
        raised[key] = wall_ms()
        self.notebook.set_sync_state("sync.alarms", raised)

    def _notice(self, reason: str, key: str, message: str, detail: dict[str, Any]) -> None:
        """Raise one alarm per reason and key (not one per sync)."""
        raised = dict(self.notebook.sync_state("sync.alarms") or {})
        full_key = f"{reason}:{key}"
        if full_key in raised:
            return
        self.notebook.raise_alarm(ALARM_KIND, message, dict(detail, reason=reason))
        raised[full_key] = wall_ms()
        self.notebook.set_sync_state("sync.alarms", raised)

    def _raise_share_problems(self, station: Station) -> None:
        for problem in station.problems:
            self._alarm(
                SegmentStatus(
                    problem.path, "", 0, REJECTED, problem.reason, message=problem.message
                )
            )
        station.problems.clear()

    def _note_incomplete(self, statuses: list[SegmentStatus]) -> None:
        """Alarm once about a file that stays incomplete for long (e.g. an unsigned stub)."""
        seen = dict(self.notebook.sync_state("sync.incomplete") or {})
        current: dict[str, Any] = {}
        now_ms = wall_ms()
        for status in statuses:
            if status.state != INCOMPLETE:
                continue
            relative = self._relative(status.path)
            data = self.share.read_bytes(Path(status.path))
            size = len(data) if data is not None else -1
            entry = seen.get(relative)
            if entry is None or entry.get("size") != size:
                entry = {"size": size, "since": now_ms, "alarmed": False}
            if not entry["alarmed"] and now_ms - entry["since"] >= INCOMPLETE_ALARM_AFTER_MS:
                self._alarm(
                    SegmentStatus(
                        status.path,
                        status.device,
                        status.first_seq,
                        REJECTED,
                        "stale_incomplete",
                        message=status.message,
                    )
                )
                entry["alarmed"] = True
            current[relative] = entry
        if current != seen:
            self.notebook.set_sync_state("sync.incomplete", current)

    def _relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(self.share.root).as_posix()
        except ValueError:
            return str(path)


class _ProgressReporter:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        if progress is not None:
            progress(0, total)

    def add_total(self, count: int) -> None:
        self.total += count

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))


class ReusedSequenceError(IntegrityError):
    """This notebook reuses seqs its device already published (restored or copied)."""


def _stamp(path: Path) -> list[int] | None:
    """``[size, mtime_ns]`` of a file, or None when it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _cached_size(entry: list[Any]) -> int | None:
    """Index entries are ``[last, sha256, size]`` (older ones had no size: unknown)."""
    return entry[2] if len(entry) > 2 else None


def _public(key: Any) -> str:
    return public_hex(key)
