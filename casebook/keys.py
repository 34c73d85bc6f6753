"""Keys: the one place that derives and wraps keys.

A random 256-bit *data key* encrypts the notebook (SQLCipher raw key). The officer's
passphrase derives, through scrypt (n = 2**17, r = 8, p = 1), a key-encryption key that wraps
the data key with AES-256-GCM. Changing the passphrase re-wraps the data key only. Sync wraps station keys to a member's
X25519 key with :func:`wrap_to_public_key`.

The key file (``notebook.json``) holds no case data: format, device id, KDF parameters,
salt and the wrapped key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from casebook.errors import AuthenticationError, IntegrityError
from casebook.i18n import _

KEY_FILE = "notebook.json"
FORMAT = "casebook-notebook"
FORMAT_VERSION = 1
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
DATA_KEY_BYTES = 32


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def derive_passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """scrypt the passphrase into a 256-bit key-encryption key."""
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def derive_subkey(secret: bytes, purpose: str | bytes, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 a 256-bit key for one purpose (the HKDF info) from a shared or master secret."""
    info = purpose.encode("utf-8") if isinstance(purpose, str) else purpose
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=info).derive(secret)


WRAP_INFO_PREFIX = b"casebook key wrap/1\n"


def wrap_to_public_key(secret: bytes, recipient_public: bytes, context: bytes) -> dict[str, str]:
    """Encrypt ``secret`` for the holder of an X25519 key: ephemeral ECDH, HKDF-SHA256 (salt:
    both public keys; info: ``context``), AES-256-GCM with ``context`` as associated data.

    :returns: ``{"ephemeral", "nonce", "ciphertext"}`` as hex.
    """
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = derive_subkey(
        shared, WRAP_INFO_PREFIX + context, salt=ephemeral_public + recipient_public
    )
    nonce = os.urandom(12)
    return {
        "ephemeral": ephemeral_public.hex(),
        "nonce": nonce.hex(),
        "ciphertext": AESGCM(key).encrypt(nonce, secret, context).hex(),
    }


def unwrap_with_private_key(
    wrapped: dict[str, str], private_key: X25519PrivateKey, context: bytes
) -> bytes:
    """Open what :func:`wrap_to_public_key` made.

    :raises IntegrityError: not made for this key and context, altered, or malformed.
    """
    try:
        ephemeral_public = bytes.fromhex(wrapped["ephemeral"])
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        own_public = private_key.public_key().public_bytes_raw()
        key = derive_subkey(shared, WRAP_INFO_PREFIX + context, salt=ephemeral_public + own_public)
        return AESGCM(key).decrypt(
            bytes.fromhex(wrapped["nonce"]), bytes.fromhex(wrapped["ciphertext"]), context
        )
    except (InvalidTag, KeyError, ValueError, TypeError) as error:
        raise IntegrityError(
            _("A wrapped key could not be opened: wrong key or altered data.")
        ) from error


@dataclass
class KeyFile:
    """The contents of ``notebook.json``."""

    device_id: str
    kdf: dict[str, Any]
    wrapped_key: dict[str, str]

    @property
    def associated_data(self) -> bytes:
        return f"{FORMAT}|{FORMAT_VERSION}|{self.device_id}".encode()

    # -- creation and unwrapping ---------------------------------------------------------

    @classmethod
    def new(cls, passphrase: str, device_id: str) -> tuple[KeyFile, bytes]:
        """A new random data key, wrapped under the passphrase."""
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        keyfile = cls(device_id=device_id, kdf={}, wrapped_key={})
        keyfile.wrap(data_key, passphrase)
        return keyfile, data_key

    def wrap(self, data_key: bytes, passphrase: str) -> None:
        """(Re-)wrap the data key under a passphrase with a fresh salt and nonce."""
        if not passphrase:
            raise AuthenticationError(_("The passphrase must not be empty."))
        salt = os.urandom(16)
        self.kdf = {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": b64e(salt),
        }
        kek = derive_passphrase_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        nonce = os.urandom(12)
        self.wrapped_key = {
            "nonce": b64e(nonce),
            "ciphertext": b64e(AESGCM(kek).encrypt(nonce, data_key, self.associated_data)),
        }

    def unwrap(self, passphrase: str) -> bytes:
        """The data key.

        :raises AuthenticationError: on a wrong passphrase.
        """
        kdf = self.kdf
        if kdf.get("name") != "scrypt" or int(kdf.get("n", 0)) < SCRYPT_N:
            raise IntegrityError(_("The key file uses an unknown or weakened key derivation."))
        kek = derive_passphrase_key(
            passphrase, b64d(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        )
        try:
            return AESGCM(kek).decrypt(
                b64d(self.wrapped_key["nonce"]),
                b64d(self.wrapped_key["ciphertext"]),
                self.associated_data,
            )
        except InvalidTag as error:
            raise AuthenticationError(_("Wrong passphrase.")) from error

    # -- file ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "device_id": self.device_id,
            "kdf": self.kdf,
            "wrapped_key": self.wrapped_key,
        }

    def save(self, folder: Path) -> None:
        """Write atomically: a crash leaves the old or the new file, never half of one."""
        path = folder / KEY_FILE
        tmp = folder / (KEY_FILE + ".tmp")
        try:
            # 0600: the wrapped key and the scrypt parameters are this user's only.
            tmp.unlink(missing_ok=True)
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.to_json(), handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(folder)

    @classmethod
    def load(cls, folder: Path) -> KeyFile:
        path = folder / KEY_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise AuthenticationError(_("No notebook at {path}.").format(path=folder)) from error
        except (ValueError, UnicodeDecodeError) as error:
            raise IntegrityError(
                _("The notebook key file is damaged: {path}").format(path=path)
            ) from error
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise IntegrityError(_("Unknown notebook format in {path}.").format(path=path))
        try:
            return cls(
                device_id=str(data["device_id"]),
                kdf=dict(data["kdf"]),
                wrapped_key=dict(data["wrapped_key"]),
            )
        except (KeyError, TypeError) as error:
            raise IntegrityError(
                _("The notebook key file is damaged: {path}").format(path=path)
            ) from error


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
