"""SealedSecrets written by the generator, offline, kept stable across renders.

A sealed value is re-used from the previous render only while it is bound to the lock and its input is
unchanged, so re-rendering does not churn the tree and a ciphertext swapped by hand is never carried on:

- the lock records the SHA-256 of each ciphertext; a SealedSecret whose ciphertext no longer matches it
  was replaced by hand, is re-sealed, and is reported as a security finding;
- it records the input as ``random:<certificate>`` for a random value, ``literal:<digest>`` for a public
  value from the profile (a URL, a client id), or as a MAC under the user's lock key
  (``argoflow_gen.lockkey``) for a value read from the environment or a file: nobody without the key can
  test a guess against it. A value whose MAC cannot be checked here (no key, another key) is re-sealed.

Random values are re-used while the certificate is the same; ``rotate_secrets`` makes new ones.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets as pyrandom
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import lockkey
from ..errors import SecretError, StateError
from ..profile import LocalFile, SecretValue
from ..state import SealedEntry, sha256
from ..state.gate import NotRegular, read_bounded
from ..yamlemit import dump
from .context import Context
from .model import Folder
from .randomspec import REGISTRY, RandomSecret

_ALPHABET = string.ascii_letters + string.digits
RANDOM_LENGTH = 32
#: A sealed value's limit: Kubernetes refuses a Secret over 1 MiB, and a sealed value grows by a third.
MAX_SECRET_BYTES = 256 * 1024
_MAX_CERTIFICATE_BYTES = 64 * 1024

#: A value to seal: bytes, None for a new random value, or a SecretValue read only when it must be sealed.
Input = bytes | SecretValue | None


def read_value(value: SecretValue) -> bytes:
    """The plaintext of a secret input: an environment variable or a regular file of at most
    MAX_SECRET_BYTES; never the profile text."""
    if value.env:
        found = os.environ.get(value.env)
        if found is None:
            raise SecretError(f"environment variable {value.env} is not set",
                              hint="export it before rendering; its value is sealed, never written")
        if not found:
            raise SecretError(f"environment variable {value.env} is empty")
        data = found.encode("utf-8")
    else:
        assert value.file is not None
        try:
            raw = read_bounded(Path(value.file), MAX_SECRET_BYTES, what=f"secret file {value.file.written}")
        except NotRegular:
            raise SecretError(f"secret file {value.file.written} is not a regular file (a FIFO, a device, a folder "
                              "or a symlink)", hint="copy the value into a regular file") from None
        except StateError as error:
            raise SecretError(error.message, hint="a Secret over 1 MiB is refused by Kubernetes") from None
        except OSError as exc:
            raise SecretError(f"cannot read secret file {value.file.written}: {exc.strerror}") from None
        if raw is None:
            raise SecretError(f"cannot read secret file {value.file.written}: No such file or directory")
        data = raw
    if not data:
        raise SecretError(f"secret {value.describe()} is empty")
    if len(data) > MAX_SECRET_BYTES:
        raise SecretError(f"secret {value.describe()} is {len(data)} bytes, over the limit of "
                          f"{MAX_SECRET_BYTES} bytes for one sealed value",
                          hint="a Secret over 1 MiB is refused by Kubernetes")
    return data


def read_local(path: Path, limit: int, what: str, hint: str = "") -> bytes:
    """The bytes of a local regular file of at most ``limit`` bytes that the profile names (``what`` it is, for
    messages); anything else is a SecretError."""
    try:
        data = read_bounded(path, limit, what=what)
    except NotRegular:
        raise SecretError(f"{what} is not a regular file") from None
    except StateError as error:
        raise SecretError(error.message) from None
    except OSError as exc:
        raise SecretError(f"cannot read {what}: {exc.strerror}", hint=hint) from None
    if data is None:
        raise SecretError(f"cannot read {what}: No such file or directory", hint=hint)
    return data


def _public_key(ctx: Context, certificate: LocalFile | None) -> Any:
    from ..sealing import load_certificate

    path = certificate or ctx.profile.spec.secrets.certificate
    if path is None:
        raise SecretError("sealing needs the sealed-secrets certificate", hint="set spec.secrets.certificate")
    cached = ctx.certificates.get(str(path))
    if cached is not None:
        return cached
    pem = read_local(Path(path), _MAX_CERTIFICATE_BYTES, f"the sealed-secrets certificate {path}",
                     hint="save it with: kubeseal --fetch-cert > sealed-secrets.pem")
    key = load_certificate(pem, str(path))
    from cryptography.hazmat.primitives import serialization

    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ctx.certificates[str(path)] = (key, hashlib.sha256(der).hexdigest())
    return ctx.certificates[str(path)]


def _legacy_digest(fingerprint: str, place: str, value: bytes) -> str:
    """How locks written before the lock key recorded an input (read once, to carry such a fork over)."""
    salt = f"{fingerprint}/{place}".encode()
    return "scrypt:" + hashlib.scrypt(value, salt=salt, n=2**14, r=8, p=1, dklen=32).hex()


def _literal_digest(fingerprint: str, place: str, value: bytes) -> str:
    """The record of a public value sealed only because it belongs in the same Secret (a URL, a client id):
    a plain digest, the same on every machine."""
    return "literal:" + hashlib.sha256(b"\0".join((fingerprint.encode(), place.encode(), value))).hexdigest()


def _previous_ciphertext(ctx: Context, file: str, namespace: str, name: str) -> Mapping[str, str]:
    text = ctx.previous.get(file)
    if not text:
        return {}
    from ..yamlio import load

    try:
        for document in text.split("\n---\n"):
            data = load(document, file).data
            if isinstance(data, dict) and data.get("kind") == "SealedSecret":
                meta = data.get("metadata", {})
                if meta.get("name") == name and meta.get("namespace") == namespace:
                    found = data.get("spec", {}).get("encryptedData", {})
                    return {str(k): v for k, v in found.items() if isinstance(v, str)} \
                        if isinstance(found, dict) else {}
    except Exception:
        return {}
    return {}


def _value(ctx: Context, place: str, value: Input) -> bytes:
    if isinstance(value, SecretValue):
        if not ctx.read_secrets:
            raise SecretError(f"{place} has to be sealed again, and its input ({value.describe()}) is not read here")
        return read_value(value)
    assert value is not None
    return value


def _reusable(ctx: Context, file: str, place: str, ciphertext: str, fingerprint: str | None, value: Input) -> bool:
    """Whether the previous ciphertext of ``place`` can be carried on: bound to the lock, input unchanged."""
    entry = ctx.previous_sealed.get(place)
    if entry is None:
        return False
    if entry.ciphertext and sha256(ciphertext) != entry.ciphertext:
        ctx.findings.append(f"{file}: the sealed value {place} is not the ciphertext the lock records: it was "
                            "replaced without argoflow-gen; it is sealed again")
        return False
    if not ctx.read_secrets:  # status: inputs are not read; a ciphertext bound to the lock stands for itself
        return bool(entry.ciphertext) or entry.input.startswith("random:")
    assert fingerprint is not None
    if value is None:
        return entry.input == f"random:{fingerprint[:16]}"
    plain = value if isinstance(value, bytes) else None
    if entry.input.startswith("scrypt:"):  # a lock written before the lock key: checked once, then replaced
        return entry.input == _legacy_digest(fingerprint, place, plain or _value(ctx, place, value))
    if plain is not None:
        return entry.input == _literal_digest(fingerprint, place, plain)
    plain = _value(ctx, place, value)
    key = ctx.lock_key()
    if key is None:
        ctx.warnings.append(f"{place}: sealed again: without a lock key its input cannot be compared with the one "
                            f"that was sealed (set {lockkey.ENV}, or render once to create {lockkey.key_file()})")
        return False
    if entry.input == lockkey.input_mac(key, fingerprint, place, plain):
        return True
    recorded = lockkey.mac_key_id(entry.input)
    if recorded is not None and recorded != lockkey.key_id(key):
        ctx.warnings.append(f"{place}: sealed again: it was sealed with lock key {recorded}, this machine has "
                            f"{lockkey.key_id(key)} (set {lockkey.ENV} to the key that sealed it to keep it)")
    return False


def _record(ctx: Context, fingerprint: str | None, place: str, value: Input, ciphertext: str,
            previous: SealedEntry | None) -> SealedEntry:
    if fingerprint is None:  # status: carried on unchanged
        assert previous is not None
        return SealedEntry(input=previous.input, ciphertext=sha256(ciphertext))
    if value is None:
        return SealedEntry(input=f"random:{fingerprint[:16]}", ciphertext=sha256(ciphertext))
    if isinstance(value, bytes):
        return SealedEntry(input=_literal_digest(fingerprint, place, value), ciphertext=sha256(ciphertext))
    key = ctx.lock_key()
    if key is None:
        return SealedEntry(input="unkeyed", ciphertext=sha256(ciphertext))
    return SealedEntry(input=lockkey.input_mac(key, fingerprint, place, _value(ctx, place, value)),
                       ciphertext=sha256(ciphertext))


def sealed_manifest(ctx: Context, file: str, namespace: str, name: str, values: Mapping[str, Input], *,
                    type: str = "Opaque", labels: Mapping[str, str] | None = None,
                    certificate: LocalFile | None = None, shared: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """A SealedSecret for ``values`` (None = a new random value), re-using the previous ciphertexts that are
    bound to the lock and whose inputs are unchanged."""
    from ..sealing import encrypt_value

    key, fingerprint = _public_key(ctx, certificate) if ctx.read_secrets else (None, None)
    previous = {} if ctx.rotate_secrets else _previous_ciphertext(ctx, file, namespace, name)
    encrypted: dict[str, str] = {}
    for item, value in sorted(values.items()):
        place = f"{namespace}/{name}/{item}"
        fresh = shared is not None and item in shared
        if item in previous and not fresh and _reusable(ctx, file, place, previous[item], fingerprint, value):
            encrypted[item] = previous[item]
        else:
            if key is None:
                raise SecretError(f"{place} has to be sealed again, which needs the certificate and its input")
            plaintext = (shared or {}).get(item) or (_random() if value is None else _value(ctx, place, value))
            encrypted[item] = base64.b64encode(encrypt_value(key, namespace, name, plaintext)).decode("ascii")
        ctx.sealed_digests[place] = _record(ctx, fingerprint, place, value, encrypted[item],
                                            ctx.previous_sealed.get(place))
    template: dict[str, Any] = {"metadata": {"name": name, "namespace": namespace}, "type": type}
    if labels:
        template["metadata"]["labels"] = dict(sorted(labels.items()))
    return {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"encryptedData": encrypted, "template": template}}


def _random() -> bytes:
    return "".join(pyrandom.choice(_ALPHABET) for _ in range(RANDOM_LENGTH)).encode("ascii")


def seal_values(ctx: Context, folder: Folder, namespace: str, name: str, values: Mapping[str, SecretValue]) -> None:
    """Seal user-supplied values (read from env or files) into a SealedSecret in ``folder``."""
    file = f"sealed-{name}.yaml"
    manifest = sealed_manifest(ctx, f"{folder.id}/{file}", namespace, name, dict(values))
    folder.add_manifests(file, [manifest], "Sealed with the cluster's sealed-secrets certificate.")


def seal_random(ctx: Context, folder: Folder, secrets: list[RandomSecret]) -> None:
    """Seal random values; a value shared by several Secrets is the same in each, and is re-sealed
    everywhere as soon as one of them has to be."""
    for secret in secrets:
        file = f"sealed-{secret.name}.yaml"
        values: dict[str, Input] = {}
        shared: dict[str, bytes] = {}
        for item, spec in secret.keys:
            if spec.literal is not None:
                values[item] = spec.literal.encode("utf-8")
            else:
                values[item] = None
                if spec.shared:
                    fresh = _shared_random_fresh(ctx, spec.shared)
                    if fresh is not None:
                        shared[item] = fresh
        manifest = sealed_manifest(ctx, f"{folder.id}/{file}", secret.namespace, secret.name, values,
                                   shared=shared)
        folder.add_manifests(file, [manifest], "Random values, sealed with the cluster's sealed-secrets certificate.")


def _shared_random_fresh(ctx: Context, share: str) -> bytes | None:
    """None if every sealed copy of a shared random value can be re-used, else the one fresh value (decided once
    per render)."""
    if share not in ctx.shared_random:
        ctx.shared_random[share] = _decide_shared(ctx, share)
    return ctx.shared_random[share]


def _decide_shared(ctx: Context, share: str) -> bytes | None:
    """Re-use a shared random value only if every enabled Secret holding it can re-use its ciphertext."""
    if ctx.rotate_secrets:
        return _random()
    fingerprint = _public_key(ctx, None)[1] if ctx.read_secrets else None
    for component_id, secret in REGISTRY:
        if not ctx.profile.spec.kubeflow.on(component_id):
            continue
        for item, spec in secret.keys:
            if spec.shared != share:
                continue
            place = f"{secret.namespace}/{secret.name}/{item}"
            file = f"{component_id}/sealed-{secret.name}.yaml"
            previous = _previous_ciphertext(ctx, file, secret.namespace, secret.name)
            if item not in previous or not _reusable(ctx, file, place, previous[item], fingerprint, None):
                return _random()
    return None


def repository_secret(ctx: Context) -> str:
    """The Argo CD repository Secret of a private fork, sealed."""
    profile = ctx.profile
    credentials = profile.spec.repo.credentials
    assert credentials is not None and credentials.sealed is not None
    sealed = credentials.sealed
    values: dict[str, Input] = {"url": profile.spec.repo.url.encode(), "type": b"git"}
    if sealed.type == "https":
        assert sealed.username is not None and sealed.password is not None
        values["username"] = sealed.username
        values["password"] = sealed.password
    else:
        assert sealed.ssh_private_key is not None
        values["sshPrivateKey"] = sealed.ssh_private_key
    file = "argocd/overlays/private-repo/repository-secret.yaml"
    manifest = sealed_manifest(ctx, file, profile.spec.argocd.namespace, "kubeflow-fork-repository", values,
                               labels={"argocd.argoproj.io/secret-type": "repository"},
                               certificate=sealed.certificate)
    return "# Argo CD's credentials for this fork, sealed with the cluster's sealed-secrets certificate.\n" + dump(
        manifest
    )
