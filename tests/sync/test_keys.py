"""Signed documents, key wrapping and the sealed admin key."""

from __future__ import annotations

import os

import pytest
from casebook.sync import keys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from casebook.errors import AuthenticationError, IntegrityError


def test_signed_document_binds_purpose_and_body():
    signer = Ed25519PrivateKey.generate()
    document = keys.sign_document("casebook-member/1", {"device": "ab"}, signer)
    public = keys.public_hex(signer)
    assert keys.verify_document(keys.encode_document(document), "casebook-member/1", public) == {
        "device": "ab"
    }
    with pytest.raises(IntegrityError):
        keys.verify_document(document, "casebook-revocation/1", public)
    document["body"]["device"] = "cd"
    with pytest.raises(IntegrityError):
        keys.verify_document(document, "casebook-member/1", public)
    with pytest.raises(IntegrityError):
        keys.verify_document(b"not json", "casebook-member/1", public)


def test_wrapped_key_opens_only_for_its_holder_and_context():
    holder, other = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    secret = os.urandom(32)
    context = {"station": "s", "epoch": 1, "holder": "ab"}
    wrapped = keys.wrap_key(secret, keys.public_hex(holder), context)
    assert keys.unwrap_key(wrapped, holder, context) == secret
    with pytest.raises(IntegrityError):
        keys.unwrap_key(wrapped, other, context)
    with pytest.raises(IntegrityError):
        keys.unwrap_key(wrapped, holder, dict(context, epoch=2))
    assert secret.hex() not in repr(wrapped)


def test_sealed_admin_key_uses_the_real_scrypt_cost():
    signing, exchange = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    sealed = keys.seal_admin_keys(signing, exchange, "correct horse", "station")
    assert sealed["kdf"] == dict(sealed["kdf"], name="scrypt", n=2**17, r=8, p=1)
    opened_signing, opened_exchange = keys.open_admin_keys(sealed, "correct horse")
    assert keys.public_hex(opened_signing) == keys.public_hex(signing)
    assert keys.public_hex(opened_exchange) == keys.public_hex(exchange)
    with pytest.raises(AuthenticationError):
        keys.open_admin_keys(sealed, "wrong")
