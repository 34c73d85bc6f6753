"""Station membership: the marker, join requests, approval, revocation and key epochs.

Trust starts at the station marker, which carries the admin's public keys and which every
laptop pins when it joins. Everything else a laptop trusts is signed by that admin key:
member files (a device's public keys), key files (an epoch key wrapped to one member) and
cut-offs (a revoked device's last accepted seq and the new epoch). Join requests are signed by
the requesting device itself, which proves it holds the private keys it asks to enrol.

Epochs: epoch 1 is created by ``station init``. Revoking a device creates epoch ``n+1``,
wrapped only to the remaining members; the revoked laptop keeps what it could already read
and cannot read anything published under the new epoch. A new member receives every epoch,
so it can read the station's whole history.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casebook.clock import format_datetime, now
from casebook.errors import AuthenticationError, IntegrityError, InvalidInputError, NotFoundError
from casebook.i18n import _

from . import segments
from .keys import (
    KEY_BYTES,
    canonical_bytes,
    encode_document,
    open_admin_keys,
    parse_document,
    public_hex,
    seal_admin_keys,
    sign_document,
    unwrap_key,
    verify_document,
    wrap_key,
)
from .share import ADMIN_KEY_HOLDER, ShareUnavailableError, StationShare, check_device_id

STATION_FORMAT = "casebook-station/1"
MARKER_PURPOSE = "casebook-station/1"
MEMBER_PURPOSE = "casebook-member/1"
REQUEST_PURPOSE = "casebook-join-request/1"
KEY_PURPOSE = "casebook-epoch-key/1"
REVOCATION_PURPOSE = "casebook-revocation/1"


@dataclass(frozen=True)
class Member:
    """A device the admin approved: its public keys (hex) and who uses it."""

    device: str
    signing_key: str
    exchange_key: str
    officer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Revocation:
    """A signed cut-off: ops of ``device`` after ``last_seq`` are never accepted."""

    device: str
    last_seq: int
    new_epoch: int


@dataclass(frozen=True)
class AdminKeys:
    signing: Ed25519PrivateKey
    exchange: X25519PrivateKey


@dataclass
class ShareProblem:
    """A file on the share that failed verification (reported as an alarm)."""

    path: str
    reason: str
    message: str


class Station:
    """The membership files of one station share.

    :param share: the share.
    :param pinned: ``{"station", "admin_signing_key"}`` this laptop trusts, if it has joined;
        a marker that disagrees is refused as a forgery.
    """

    def __init__(self, share: StationShare, pinned: dict[str, Any] | None = None) -> None:
        self.share = share
        self.pinned = pinned
        self._marker: dict[str, Any] | None = None
        self.problems: list[ShareProblem] = []

    # --- creating a station -------------------------------------------------------------

    @classmethod
    def create(
        cls, share: StationShare, admin_passphrase: str, *, writer: str
    ) -> tuple[Station, AdminKeys]:
        """Lay out a new station on an empty or new folder (``station init``).

        :param writer: the device id whose staging folder is used.
        :raises InvalidInputError: when a station already lives there.
        """
        if share.marker_path.exists():
            raise InvalidInputError(
                _("A station already exists at {path}; nothing was changed.").format(
                    path=share.root
                )
            )
        if not admin_passphrase:
            raise InvalidInputError(_("The admin passphrase must not be empty."))
        share.create_layout()
        admin = AdminKeys(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())
        station_id = secrets.token_hex(16)
        sealed = seal_admin_keys(admin.signing, admin.exchange, admin_passphrase, station_id)
        share.publish(share.admin_key_path, encode_document(sealed), writer=writer)
        station = cls(share)
        # The marker is written after the admin key and the first epoch: a share with a
        # marker is always complete.
        station._publish_epoch_key(
            1,
            os.urandom(KEY_BYTES),
            ADMIN_KEY_HOLDER,
            public_hex(admin.exchange),
            admin,
            station_id,
            writer,
        )
        body = {
            "format": STATION_FORMAT,
            "station": station_id,
            "admin_signing_key": public_hex(admin.signing),
            "admin_exchange_key": public_hex(admin.exchange),
            "created_at": format_datetime(now()),
        }
        share.publish(
            share.marker_path,
            encode_document(sign_document(MARKER_PURPOSE, body, admin.signing)),
            writer=writer,
        )
        return station, admin

    # --- the marker ---------------------------------------------------------------------

    def marker(self) -> dict[str, Any]:
        """The verified marker body.

        :raises ShareUnavailableError: when the share or its marker is missing.
        :raises IntegrityError: when the marker is forged or not the pinned station's.
        """
        if self._marker is None:
            self.share.check_available()
            data = self.share.read_bytes(self.share.marker_path)
            if data is None:
                raise ShareUnavailableError(
                    _("The station marker disappeared; nothing was changed.")
                )
            document = parse_document(data)
            body = document["body"]
            if self.pinned and (
                body.get("station") != self.pinned.get("station")
                or body.get("admin_signing_key") != self.pinned.get("admin_signing_key")
            ):
                raise IntegrityError(
                    _(
                        "The share at {path} belongs to another station than the one this laptop "
                        "joined; nothing was changed."
                    ).format(path=self.share.root)
                )
            public = (self.pinned or {}).get("admin_signing_key") or body.get(
                "admin_signing_key", ""
            )
            body = verify_document(document, MARKER_PURPOSE, public)
            if body.get("format") != STATION_FORMAT:
                raise IntegrityError(
                    _("Unknown station format {format}.").format(format=body.get("format"))
                )
            self._marker = body
        return self._marker

    @property
    def station_id(self) -> str:
        return self.marker()["station"]

    @property
    def admin_signing_key(self) -> str:
        return self.marker()["admin_signing_key"]

    def pin(self) -> dict[str, Any]:
        """What a joining laptop stores to recognise its station later."""
        marker = self.marker()
        return {
            "station": marker["station"],
            "admin_signing_key": marker["admin_signing_key"],
            "admin_exchange_key": marker["admin_exchange_key"],
        }

    def unlock_admin(self, passphrase: str) -> AdminKeys:
        """Open the sealed admin keys with the admin passphrase.

        :raises AuthenticationError: on a wrong passphrase or keys that do not match the marker.
        """
        data = self.share.read_bytes(self.share.admin_key_path)
        if data is None:
            raise NotFoundError(_("The share has no sealed admin key."))
        signing, exchange = open_admin_keys(parse_document_json(data), passphrase)
        if public_hex(signing) != self.admin_signing_key:
            raise AuthenticationError(_("The sealed admin key does not belong to this station."))
        return AdminKeys(signing, exchange)

    # --- joining --------------------------------------------------------------------------

    def request_join(
        self,
        device_id: str,
        signing: Ed25519PrivateKey,
        exchange: X25519PrivateKey,
        officer: dict[str, Any],
    ) -> bool:
        """Write ``requests/<device>.json``, signed by the device. False if already there."""
        check_device_id(device_id)
        if device_id == ADMIN_KEY_HOLDER:
            raise InvalidInputError(
                _("The device id {device} is reserved.").format(device=device_id)
            )
        body = {
            "station": self.station_id,
            "device": device_id,
            "signing_key": public_hex(signing),
            "exchange_key": public_hex(exchange),
            "officer": dict(officer or {}),
        }
        path = self.share.request_path(device_id)
        existing = self.share.read_bytes(path)
        if existing is not None:
            try:
                if verify_document(existing, REQUEST_PURPOSE, body["signing_key"]) == body:
                    return False
            except IntegrityError:
                pass
            raise InvalidInputError(
                _("Another join request for device {device} is already on the share.").format(
                    device=device_id
                )
            )
        self.share.publish(
            path, encode_document(sign_document(REQUEST_PURPOSE, body, signing)), writer=device_id
        )
        return True

    def join_request(self, device_id: str) -> dict[str, Any]:
        """The verified join request of a device.

        :raises NotFoundError: when there is none.
        """
        data = self.share.read_bytes(self.share.request_path(device_id))
        if data is None:
            raise NotFoundError(
                _(
                    "No join request from device {device} on the share: run `casebook station join` "
                    "on that laptop first."
                ).format(device=device_id)
            )
        document = parse_document(data)
        body = verify_document(document, REQUEST_PURPOSE, document["body"].get("signing_key", ""))
        if body.get("device") != device_id or body.get("station") != self.station_id:
            raise IntegrityError(
                _("The join request of {device} is not for this station.").format(device=device_id)
            )
        return body

    def approve(self, device_id: str, admin: AdminKeys, *, writer: str) -> Member:
        """Sign the member file of a requesting device and wrap every epoch key to it."""
        if self.revocation(device_id) is not None:
            raise InvalidInputError(
                _(
                    "Device {device} was revoked; it cannot be approved again. Enrol the laptop "
                    "with a new notebook."
                ).format(device=device_id)
            )
        request = self.join_request(device_id)
        member = Member(
            device_id, request["signing_key"], request["exchange_key"], request.get("officer") or {}
        )
        body = {
            "station": self.station_id,
            "device": device_id,
            "signing_key": member.signing_key,
            "exchange_key": member.exchange_key,
            "officer": member.officer,
        }
        # Keys first, member file last: a laptop that sees itself approved finds its keys.
        for epoch in self.share.list_epochs():
            secret = self.admin_epoch_key(epoch, admin)
            self._publish_epoch_key(
                epoch, secret, device_id, member.exchange_key, admin, self.station_id, writer
            )
        path = self.share.member_path(device_id)
        existing = self.share.read_bytes(path)
        if (
            existing is None
            or verify_document(existing, MEMBER_PURPOSE, self.admin_signing_key) != body
        ):
            self.share.publish(
                path,
                encode_document(sign_document(MEMBER_PURPOSE, body, admin.signing)),
                writer=writer,
            )
        return member

    # --- revoking -------------------------------------------------------------------------

    def revoke(self, device_id: str, admin: AdminKeys, *, writer: str) -> Revocation:
        """Cut a device off at the last seq it published, and start a new key epoch."""
        existing = self.revocation(device_id)
        if existing is not None:
            return existing
        members = self.members()
        if device_id not in members:
            raise NotFoundError(
                _("Device {device} is not a member of this station.").format(device=device_id)
            )
        last_seq = self.published_chain_end(device_id, members[device_id].signing_key)
        new_epoch = max(self.share.list_epochs() or [0]) + 1
        secret = os.urandom(KEY_BYTES)
        marker = self.marker()
        self._publish_epoch_key(
            new_epoch,
            secret,
            ADMIN_KEY_HOLDER,
            marker["admin_exchange_key"],
            admin,
            self.station_id,
            writer,
        )
        revoked = set(self.revocations())
        for member in members.values():
            if member.device != device_id and member.device not in revoked:
                self._publish_epoch_key(
                    new_epoch,
                    secret,
                    member.device,
                    member.exchange_key,
                    admin,
                    self.station_id,
                    writer,
                )
        body = {
            "station": self.station_id,
            "device": device_id,
            "last_seq": last_seq,
            "new_epoch": new_epoch,
        }
        self.share.publish(
            self.share.revocation_path(device_id),
            encode_document(sign_document(REVOCATION_PURPOSE, body, admin.signing)),
            writer=writer,
        )
        return Revocation(device_id, last_seq, new_epoch)

    def published_chain_end(self, device_id: str, signing_key: str) -> int:
        """The last seq of the device's unbroken chain of validly signed segments."""
        expected_first, previous_hash, last = 1, segments.NO_PREVIOUS, 0
        listing = self.share.list_segments(device_id)
        while expected_first in listing:
            data = self.share.read_bytes(self.share.log_dir(device_id) / listing[expected_first])
            try:
                segment = segments.parse_segment(data or b"")
                segments.verify_signature(segment, signing_key)
            except (segments.SegmentIncomplete, segments.SegmentRejected):
                break
            if (
                segment.device != device_id
                or segment.first_seq != expected_first
                or segment.header["prev_segment_hash"] != previous_hash
            ):
                break
            last, previous_hash, expected_first = (
                segment.last_seq,
                segment.sha256,
                segment.last_seq + 1,
            )
        return last

    # --- reading membership ---------------------------------------------------------------

    def members(self) -> dict[str, Member]:
        """Verified members; files that fail verification are added to :attr:`problems`."""
        found: dict[str, Member] = {}
        for device_id in self.share.list_devices("members"):
            path = self.share.member_path(device_id)
            data = self.share.read_bytes(path)
            if data is None:
                continue
            try:
                body = verify_document(data, MEMBER_PURPOSE, self.admin_signing_key)
                if body.get("device") != device_id or body.get("station") != self.station_id:
                    raise IntegrityError(_("member file names another device or station"))
            except IntegrityError as error:
                self._problem(path, "forged_member", str(error))
                continue
            found[device_id] = Member(
                device_id, body["signing_key"], body["exchange_key"], body.get("officer") or {}
            )
        return found

    def member(self, device_id: str) -> Member | None:
        data = self.share.read_bytes(self.share.member_path(device_id))
        if data is None:
            return None
        try:
            body = verify_document(data, MEMBER_PURPOSE, self.admin_signing_key)
        except IntegrityError as error:
            self._problem(self.share.member_path(device_id), "forged_member", str(error))
            return None
        if body.get("device") != device_id or body.get("station") != self.station_id:
            return None
        return Member(
            device_id, body["signing_key"], body["exchange_key"], body.get("officer") or {}
        )

    def revocations(self) -> dict[str, Revocation]:
        found: dict[str, Revocation] = {}
        for device_id in self.share.list_devices("revoked"):
            revocation = self.revocation(device_id)
            if revocation is not None:
                found[device_id] = revocation
        return found

    def revocation(self, device_id: str) -> Revocation | None:
        path = self.share.revocation_path(device_id)
        data = self.share.read_bytes(path)
        if data is None:
            return None
        try:
            body = verify_document(data, REVOCATION_PURPOSE, self.admin_signing_key)
            if body.get("device") != device_id or body.get("station") != self.station_id:
                raise IntegrityError(_("cut-off names another device or station"))
            return Revocation(device_id, int(body["last_seq"]), int(body["new_epoch"]))
        except (IntegrityError, KeyError, ValueError, TypeError) as error:
            self._problem(path, "forged_revocation", str(error))
            return None

    # --- epoch keys -----------------------------------------------------------------------

    def epoch_keys(
        self, holder: str, exchange: X25519PrivateKey, known: dict[int, bytes] | None = None
    ) -> dict[int, bytes]:
        """Every epoch key wrapped to ``holder`` that opens with its exchange key.

        :param known: keys already opened earlier (not opened again).
        """
        found = dict(known or {})
        for epoch in self.share.list_epochs():
            if epoch in found:
                continue
            path = self.share.key_path(epoch, holder)
            data = self.share.read_bytes(path)
            if data is None:
                continue
            try:
                found[epoch] = self._open_key_file(data, epoch, holder, exchange)
            except IntegrityError as error:
                self._problem(path, "forged_key", str(error))
        return found

    def admin_epoch_key(self, epoch: int, admin: AdminKeys) -> bytes:
        data = self.share.read_bytes(self.share.key_path(epoch, ADMIN_KEY_HOLDER))
        if data is None:
            raise IntegrityError(
                _("The admin copy of epoch {epoch}'s key is missing.").format(epoch=epoch)
            )
        return self._open_key_file(data, epoch, ADMIN_KEY_HOLDER, admin.exchange)

    def _open_key_file(
        self, data: bytes, epoch: int, holder: str, exchange: X25519PrivateKey
    ) -> bytes:
        body = verify_document(data, KEY_PURPOSE, self.admin_signing_key)
        context = {"station": self.station_id, "epoch": epoch, "holder": holder}
        if {k: body.get(k) for k in context} != context:
            raise IntegrityError(_("key file names another station, epoch or holder"))
        secret = unwrap_key(body["wrapped"], exchange, context)
        if len(secret) != KEY_BYTES:
            raise IntegrityError(_("epoch key of the wrong size"))
        return secret

    def _publish_epoch_key(
        self,
        epoch: int,
        secret: bytes,
        holder: str,
        holder_exchange_key: str,
        admin: AdminKeys,
        station_id: str,
        writer: str,
    ) -> None:
        path = self.share.key_path(epoch, holder)
        if path.exists():
            return
        context = {"station": station_id, "epoch": epoch, "holder": holder}
        body = dict(context, wrapped=wrap_key(secret, holder_exchange_key, context))
        self.share.publish(
            path, encode_document(sign_document(KEY_PURPOSE, body, admin.signing)), writer=writer
        )

    def _problem(self, path: os.PathLike[str] | str, reason: str, message: str) -> None:
        self.problems.append(ShareProblem(str(path), reason, message))


def parse_document_json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise IntegrityError(_("The sealed admin key on the share is damaged.")) from error
    if not isinstance(value, dict):
        raise IntegrityError(_("The sealed admin key on the share is damaged."))
    return value


__all__ = ["AdminKeys", "Member", "Revocation", "ShareProblem", "Station", "canonical_bytes"]
