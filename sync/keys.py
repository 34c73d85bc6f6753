"""Signatures, key wrapping and the sealed admin key.

Key derivation and wrapping themselves are the core's (:mod:`casebook.keys`): the same scrypt
and HKDF serve the notebook and the station. Only primitives from the ``cryptography`` package are used, each for its usual job:

* Ed25519 signs every file a laptop must trust (marker, members, key files, cut-offs,
  segments). Each kind of document signs a different *purpose* prefix, so a signature made
  for one kind can never be replayed as another.
* X25519 + HKDF-SHA256 + AES-256-GCM wraps an epoch key to one member (an ephemeral sender
  key per wrap, like HPKE's base mode).
* scrypt (n=2**17, r=8, p=1) + AES-256-GCM seals the admin's private keys with the admin
  passphrase, so ``approve`` and ``revoke`` work from any laptop that reaches the share.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casebook.errors import AuthenticationError, IntegrityError
from casebook.i18n import _
from casebook.keys import derive_passphrase_key, unwrap_with_private_key, wrap_to_public_key
from casebook.oplog import canonical_bytes

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
KEY_BYTES = 32
NONCE_BYTES = 12

RAW = serialization.Encoding.Raw
RAW_PUBLIC = serialization.PublicFormat.Raw
RAW_PRIVATE = serialization.PrivateFormat.Raw
NO_ENCRYPTION = serialization.NoEncryption()


# --- key objects -------------------------------------------------------------------------


def signing_key(value: Any) -> Ed25519PrivateKey:
    """Accept an Ed25519 private key object or its 32 raw bytes (or hex of them)."""
    if isinstance(value, Ed25519PrivateKey):
        return value
    if isinstance(value, str):
        value = bytes.fromhex(value)
    return Ed25519PrivateKey.from_private_bytes(bytes(value))


def exchange_key(value: Any) -> X25519PrivateKey:
    """Accept an X25519 private key object or its 32 raw bytes (or hex of them)."""
    if isinstance(value, X25519PrivateKey):
        return value
    if isinstance(value, str):
        value = bytes.fromhex(value)
    return X25519PrivateKey.from_private_bytes(bytes(value))


def public_hex(key: Ed25519PrivateKey | X25519PrivateKey) -> str:
    return key.public_key().public_bytes(RAW, RAW_PUBLIC).hex()


def verifier(public: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its hex form.

    :raises IntegrityError: when the text is not a public key.
    """
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))
    except (ValueError, TypeError) as error:
        raise IntegrityError(_("Not an Ed25519 public key.")) from error


# --- signed documents ----------------------------------------------------------------------


def sign_document(purpose: str, body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``{"purpose", "body", "signature"}`` where the signature covers purpose and body."""
    message = purpose.encode() + b"\n" + canonical_bytes(body)
    return {"purpose": purpose, "body": body, "signature": key.sign(message).hex()}


def verify_document(data: bytes | dict[str, Any], purpose: str, public: str) -> dict[str, Any]:
    """The body of a signed document after checking its purpose and signature.

    :param data: the file content or the parsed document.
    :param purpose: the kind of document expected (``casebook-member/1``...).
    :param public: hex Ed25519 public key of the expected signer.
    :raises IntegrityError: when the document is malformed, of another kind, or forged.
    """
    document = parse_document(data)
    if document.get("purpose") != purpose:
        raise IntegrityError(_("A {purpose} document was expected.").format(purpose=purpose))
    message = purpose.encode() + b"\n" + canonical_bytes(document["body"])
    try:
        verifier(public).verify(bytes.fromhex(document["signature"]), message)
    except (InvalidSignature, ValueError, TypeError) as error:
        raise IntegrityError(
            _("Bad signature on a {purpose} document.").format(purpose=purpose)
        ) from error
    return document["body"]


def parse_document(data: bytes | dict[str, Any]) -> dict[str, Any]:
    """Parse a signed document without checking its signature (to find its signer)."""
    if isinstance(data, dict):
        document = data
    else:
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise IntegrityError(_("A signed document is not valid JSON.")) from error
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("body"), dict)
        or not isinstance(document.get("signature"), str)
    ):
        raise IntegrityError(_("A signed document lacks its body or signature."))
    return document


def encode_document(document: dict[str, Any]) -> bytes:
    """Documents are stored indented: people read them when something goes wrong."""
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


# --- wrapping an epoch key to a member --------------------------------------------------------


def wrap_key(secret: bytes, recipient_public_hex: str, context: dict[str, Any]) -> dict[str, Any]:
    """Encrypt ``secret`` so only the holder of the X25519 key ``recipient_public_hex`` reads it.

    :param context: station, epoch and holder; bound as associated data, so a wrapped key
        moved to another file or epoch does not open.
    :returns: ``{"ephemeral", "nonce", "ciphertext"}`` as hex.
    """
    return wrap_to_public_key(secret, bytes.fromhex(recipient_public_hex), canonical_bytes(context))


def unwrap_key(
    wrapped: dict[str, Any], private: X25519PrivateKey, context: dict[str, Any]
) -> bytes:
    """Open what :func:`wrap_key` made for this key.

    :raises IntegrityError: when it was not made for this key and context, or was altered.
    """
    try:
        return unwrap_with_private_key(wrapped, private, canonical_bytes(context))
    except (IntegrityError, ValueError) as error:
        raise IntegrityError(
            _("A wrapped station key does not open with this laptop's key.")
        ) from error


# --- the sealed admin key ---------------------------------------------------------------------


def seal_admin_keys(
    signing: Ed25519PrivateKey, exchange: X25519PrivateKey, passphrase: str, station_id: str
) -> dict[str, Any]:
    """The admin private keys encrypted under the admin passphrase (stored on the share)."""
    salt = os.urandom(16)
    nonce = os.urandom(NONCE_BYTES)
    key = derive_passphrase_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    plain = signing.private_bytes(RAW, RAW_PRIVATE, NO_ENCRYPTION) + exchange.private_bytes(
        RAW, RAW_PRIVATE, NO_ENCRYPTION
    )
    aad = canonical_bytes({"purpose": "casebook-admin-key/1", "station": station_id})
    return {
        "format": "casebook-admin-key/1",
        "station": station_id,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex()},
        "cipher": "aes-256-gcm",
        "nonce": nonce.hex(),
        "ciphertext": AESGCM(key).encrypt(nonce, plain, aad).hex(),
    }


def open_admin_keys(
    sealed: dict[str, Any], passphrase: str
) -> tuple[Ed25519PrivateKey, X25519PrivateKey]:
    """The admin private keys.

    :raises AuthenticationError: on a wrong admin passphrase.
    """
    try:
        kdf = sealed["kdf"]
        key = derive_passphrase_key(
            passphrase, bytes.fromhex(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"]
        )
        aad = canonical_bytes({"purpose": "casebook-admin-key/1", "station": sealed["station"]})
        plain = AESGCM(key).decrypt(
            bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["ciphertext"]), aad
        )
    except InvalidTag as error:
        raise AuthenticationError(_("Wrong admin passphrase.")) from error
    except (KeyError, ValueError, TypeError) as error:
        raise IntegrityError(_("The sealed admin key on the share is damaged.")) from error
    return signing_key(plain[:32]), exchange_key(plain[32:])
