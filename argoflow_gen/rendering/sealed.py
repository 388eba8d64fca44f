"""SealedSecrets written by the generator, offline, kept stable across renders.

A sealed value is re-used from the previous render while its input is unchanged, so re-rendering does not
churn the tree. The lock file records, per sealed key, a keyed digest of the input (scrypt, salted with the
certificate's fingerprint and the key's place) - never the value. Random values are re-used while the
certificate is the same; ``rotate_secrets`` makes new ones.
"""

from __future__ import annotations

import hashlib
import os
import secrets as pyrandom
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SecretError
from ..profile import SecretValue
from ..yamlio import dump
from .context import Context
from .model import Folder
from .randomsecrets import RandomSecret

_ALPHABET = string.ascii_letters + string.digits
RANDOM_LENGTH = 32


def read_value(value: SecretValue) -> bytes:
    """The plaintext of a secret input: an environment variable or a file; never the profile text."""
    if value.env:
        found = os.environ.get(value.env)
        if found is None:
            raise SecretError(f"environment variable {value.env} is not set",
                              hint="export it before rendering; its value is sealed, never written")
        if not found:
            raise SecretError(f"environment variable {value.env} is empty")
        return found.encode("utf-8")
    assert value.file is not None
    try:
        data = Path(value.file).read_bytes()
    except OSError as exc:
        raise SecretError(f"cannot read secret file {value.written}: {exc.strerror}") from None
    if not data:
        raise SecretError(f"secret file {value.written} is empty")
    return data


def _public_key(ctx: Context, certificate: Path | None) -> Any:
    from ..sealing import load_certificate

    path = certificate or ctx.profile.secrets.certificate
    if path is None:
        raise SecretError("sealing needs the sealed-secrets certificate", hint="set spec.secrets.certificate")
    cached = ctx.certificates.get(str(path))
    if cached is not None:
        return cached
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise SecretError(f"cannot read the sealed-secrets certificate {path}: {exc.strerror}",
                          hint="save it with: kubeseal --fetch-cert > sealed-secrets.pem") from None
    key = load_certificate(pem, str(path))
    from cryptography.hazmat.primitives import serialization

    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ctx.certificates[str(path)] = (key, hashlib.sha256(der).hexdigest())
    return ctx.certificates[str(path)]


def _digest(fingerprint: str, place: str, value: bytes | None) -> str:
    if value is None:
        return f"random:{fingerprint[:16]}"
    salt = f"{fingerprint}/{place}".encode()
    derived = hashlib.scrypt(value, salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt:" + derived.hex()


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
                    found: Mapping[str, str] = data.get("spec", {}).get("encryptedData", {})
                    return found
    except Exception:
        return {}
    return {}


def sealed_manifest(ctx: Context, file: str, namespace: str, name: str, values: Mapping[str, bytes | None], *,
                    type: str = "Opaque", labels: Mapping[str, str] | None = None,
                    certificate: Path | None = None, shared: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """A SealedSecret for ``values`` (None = a new random value), re-using the previous ciphertexts."""
    from ..sealing import encrypt_value

    key, fingerprint = _public_key(ctx, certificate)
    previous = {} if ctx.rotate_secrets else _previous_ciphertext(ctx, file, namespace, name)
    encrypted: dict[str, str] = {}
    import base64

    for item, value in sorted(values.items()):
        place = f"{namespace}/{name}/{item}"
        digest = _digest(fingerprint, place, value)
        ctx.sealed_digests[place] = digest
        if item in previous and ctx.previous_sealed.get(place) == digest and (shared is None or item not in shared):
            encrypted[item] = previous[item]
            continue
        plaintext = value if value is not None else (shared or {}).get(item) or _random()
        encrypted[item] = base64.b64encode(encrypt_value(key, namespace, name, plaintext)).decode("ascii")
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
    manifest = sealed_manifest(ctx, f"{folder.id}/{file}", namespace, name,
                               {key: read_value(value) for key, value in values.items()})
    folder.add_manifests(file, [manifest], "Sealed with the cluster's sealed-secrets certificate.")


def seal_random(ctx: Context, folder: Folder, secrets: list[RandomSecret]) -> None:
    """Seal random values; a value shared by several Secrets is the same in each, and is re-sealed
    everywhere as soon as one of them has to be."""
    for secret in secrets:
        file = f"sealed-{secret.name}.yaml"
        values: dict[str, bytes | None] = {}
        shared: dict[str, bytes] = {}
        for item, spec in secret.keys:
            if spec.literal is not None:
                values[item] = spec.literal.encode("utf-8")
            else:
                values[item] = None
                if spec.shared:
                    fresh = ctx.shared_random_fresh(spec.shared)
                    if fresh is not None:
                        shared[item] = fresh
        manifest = sealed_manifest(ctx, f"{folder.id}/{file}", secret.namespace, secret.name, values,
                                   shared=shared)
        folder.add_manifests(file, [manifest], "Random values, sealed with the cluster's sealed-secrets certificate.")


def decide_shared(ctx: Context, share: str) -> bytes | None:
    """Re-use a shared random value only if every enabled Secret holding it can re-use its ciphertext."""
    from .randomsecrets import REGISTRY

    if ctx.rotate_secrets:
        return _random()
    _key, fingerprint = _public_key(ctx, None)
    for component_id, secret in REGISTRY:
        if not ctx.profile.kubeflow.on(component_id):
            continue
        for item, spec in secret.keys:
            if spec.shared != share:
                continue
            place = f"{secret.namespace}/{secret.name}/{item}"
            previous = _previous_ciphertext(ctx, f"{component_id}/sealed-{secret.name}.yaml", secret.namespace,
                                            secret.name)
            if item not in previous or ctx.previous_sealed.get(place) != _digest(fingerprint, place, None):
                return _random()
    return None


def repository_secret(ctx: Context) -> str:
    """The Argo CD repository Secret of a private fork, sealed."""
    profile = ctx.profile
    credentials = profile.repo.credentials
    assert credentials is not None and credentials.sealed is not None
    sealed = credentials.sealed
    values: dict[str, bytes | None] = {"url": profile.repo.url.encode(), "type": b"git"}
    if sealed.type == "https":
        assert sealed.username is not None and sealed.password is not None
        values["username"] = read_value(sealed.username)
        values["password"] = read_value(sealed.password)
    else:
        assert sealed.ssh_private_key is not None
        values["sshPrivateKey"] = read_value(sealed.ssh_private_key)
    file = "argocd/overlays/private-repo/repository-secret.yaml"
    manifest = sealed_manifest(ctx, file, profile.argocd.namespace, "kubeflow-fork-repository", values,
                               labels={"argocd.argoproj.io/secret-type": "repository"},
                               certificate=sealed.certificate)
    return "# Argo CD's credentials for this fork, sealed with the cluster's sealed-secrets certificate.\n" + dump(
        manifest
    )
