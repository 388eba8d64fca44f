"""Bitnami SealedSecrets written offline: no kubeseal binary, no cluster, only the controller's certificate.

Each value is sealed the way the controller's ``HybridEncrypt`` expects, with the strict scope
(the label is ``namespace/name``)::

    uint16 big-endian len(rsa) || rsa || aes

where ``rsa`` is a fresh 32-byte AES-256 session key encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256,
the label above) and ``aes`` is the value encrypted with AES-256-GCM under that key, an all-zero 12-byte
nonce (the key is used once) and no associated data; the 16-byte tag is appended.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x448, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import SecretError

__all__ = ["encrypt_value", "load_certificate", "sealed_secret"]

_FETCH_HINT = "get it with: kubeseal --fetch-cert > cert.pem"
_MIN_KEY_BITS = 2048
_SESSION_KEY_BYTES = 32
_ZERO_NONCE = bytes(12)

_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_NAMESPACE = re.compile(rf"{_DNS_LABEL}\Z")
_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*\Z")
_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")

_NO_ENTRIES: Mapping[str, str] = MappingProxyType({})


def load_certificate(pem: bytes, source: str) -> rsa.RSAPublicKey:
    """The RSA public key of the certificate ``kubeseal --fetch-cert`` prints (or of a bare PEM public key).

    ``source`` names where ``pem`` came from (a path) for the error messages.
    """
    if b"-----BEGIN CERTIFICATE-----" in pem:
        key = _certificate_key(pem, source)
    elif b"-----BEGIN PUBLIC KEY-----" in pem or b"-----BEGIN RSA PUBLIC KEY-----" in pem:
        try:
            key = serialization.load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm):
            raise SecretError(f"{source}: the PEM public key cannot be read", hint=_FETCH_HINT) from None
    elif b"PRIVATE KEY-----" in pem:
        raise SecretError(
            f"{source}: holds a private key; sealing needs only the public certificate", hint=_FETCH_HINT
        )
    else:
        raise SecretError(f"{source}: not a PEM certificate or public key", hint=_FETCH_HINT)
    if not isinstance(key, rsa.RSAPublicKey):
        raise SecretError(f"{source}: the key is {_kind(key)}, not RSA", hint=_FETCH_HINT)
    if key.key_size < _MIN_KEY_BITS:
        raise SecretError(
            f"{source}: the RSA key has {key.key_size} bits, fewer than {_MIN_KEY_BITS}", hint=_FETCH_HINT
        )
    return key


def encrypt_value(public_key: rsa.RSAPublicKey, namespace: str, name: str, value: bytes) -> bytes:
    """Seal one value for the Secret ``namespace/name`` (strict scope), in the controller's wire format."""
    _check_scope(namespace, name)
    session_key = os.urandom(_SESSION_KEY_BYTES)
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=f"{namespace}/{name}".encode(),
    )
    sealed_key = public_key.encrypt(session_key, oaep)
    sealed_value = AESGCM(session_key).encrypt(_ZERO_NONCE, value, None)
    return len(sealed_key).to_bytes(2, "big") + sealed_key + sealed_value


def sealed_secret(
    public_key: rsa.RSAPublicKey,
    *,
    namespace: str,
    name: str,
    data: Mapping[str, bytes],
    type: str = "Opaque",
    labels: Mapping[str, str] = _NO_ENTRIES,
    annotations: Mapping[str, str] = _NO_ENTRIES,
) -> dict[str, Any]:
    """A ``SealedSecret`` manifest (plain dicts) the controller unseals into the Secret ``namespace/name``.

    ``spec.encryptedData`` is sorted by key; empty ``labels``/``annotations`` are left out of the template.
    """
    _check_scope(namespace, name)
    for key in data:
        _check_data_key(namespace, name, key)
    template_metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        template_metadata["labels"] = dict(sorted(labels.items()))
    if annotations:
        template_metadata["annotations"] = dict(sorted(annotations.items()))
    encrypted = {
        key: base64.b64encode(encrypt_value(public_key, namespace, name, data[key])).decode("ascii")
        for key in sorted(data)
    }
    return {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "encryptedData": encrypted,
            "template": {"metadata": template_metadata, "type": type},
        },
    }


def _certificate_key(pem: bytes, source: str) -> object:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
        key: object = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise SecretError(f"{source}: the PEM certificate cannot be read", hint=_FETCH_HINT) from None
    # kubeseal refuses an expired certificate too: its controller key is long out of rotation.
    expiry = certificate.not_valid_after_utc
    if expiry < datetime.now(UTC):
        raise SecretError(f"{source}: the certificate expired on {expiry:%Y-%m-%d}", hint=_FETCH_HINT)
    return key


def _kind(key: object) -> str:
    kinds: tuple[tuple[type[object], str], ...] = (
        (ec.EllipticCurvePublicKey, "an EC key"),
        (ed25519.Ed25519PublicKey, "an Ed25519 key"),
        (ed448.Ed448PublicKey, "an Ed448 key"),
        (dsa.DSAPublicKey, "a DSA key"),
        (x25519.X25519PublicKey, "an X25519 key"),
        (x448.X448PublicKey, "an X448 key"),
    )
    return next((text for cls, text in kinds if isinstance(key, cls)), "of another type")


def _check_scope(namespace: str, name: str) -> None:
    if len(namespace) > 63 or not _NAMESPACE.match(namespace):
        raise SecretError(
            f"namespace {namespace!r} is not a valid Kubernetes namespace name",
            hint="at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        )
    if len(name) > 253 or not _NAME.match(name):
        raise SecretError(
            f"secret name {name!r} is not a valid Kubernetes object name",
            hint=(
                "at most 253 lowercase letters, digits, '-' and '.', "
                "starting and ending with a letter or digit"
            ),
        )


def _check_data_key(namespace: str, name: str, key: str) -> None:
    if len(key) > 253 or not _DATA_KEY.match(key) or key == "." or key.startswith(".."):
        raise SecretError(
            f"secret {namespace}/{name}: data key {key!r} is not a valid Secret key",
            hint="at most 253 letters, digits, '-', '_' and '.'; not '.' and not starting with '..'",
        )
