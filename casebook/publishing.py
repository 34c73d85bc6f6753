"""Plugin publishing: a publisher's Ed25519 key and detached signatures of plugin files.

The signature file ``<plugin>.py.sig`` is JSON ``{"publisher", "public_key", "signature"}``;
the notebook verifies it against its trusted publishers (:mod:`casebook.plugin_host`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casebook.errors import AuthenticationError, InvalidInputError
from casebook.i18n import _


def public_key_of(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii")


def generate_key(path: Path, passphrase: str) -> str:
    """Write a new encrypted PEM signing key; return its public key (base64)."""
    if path.exists():
        raise InvalidInputError(_("{path} already exists.").format(path=path))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return public_key_of(key)


def load_key(path: Path, passphrase: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase.encode("utf-8"))
    except (ValueError, TypeError) as error:
        raise AuthenticationError(_("Cannot open the signing key (wrong passphrase?).")) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(_("The signing key is not an Ed25519 key."))
    return key


def sign_plugin(plugin: Path, key_file: Path, publisher: str, passphrase: str) -> Path:
    """Sign a plugin file with a publisher key loaded from ``key_file``."""
    return write_signature(plugin, load_key(key_file, passphrase), publisher)


def write_signature(plugin: Path, key: Ed25519PrivateKey, publisher: str) -> Path:
    """Write ``<plugin>.sig`` for a key in memory (used by tests and tooling)."""
    signature = {
        "publisher": publisher,
        "public_key": public_key_of(key),
        "signature": base64.b64encode(key.sign(plugin.read_bytes())).decode("ascii"),
    }
    target = plugin.with_name(plugin.name + ".sig")
    target.write_text(json.dumps(signature, indent=2), encoding="utf-8")
    return target
