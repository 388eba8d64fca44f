"""Credentials a profile names by reference: a Secret the user creates (listed in the fork's install steps), or
values read at render time and sealed into a folder of the tree."""

from __future__ import annotations

from ..profile import KeyPair, SecretRef
from .context import Context, ExpectedSecret
from .model import Folder
from .sealed import seal_values


def secret_ref(ctx: Context, folder: Folder, namespace: str, ref: SecretRef, sealed_name: str, default_key: str,
               purpose: str) -> tuple[str, str]:
    """(name, key) of the Secret holding one credential: sealed into ``folder``, or the user's."""
    if ref.sealed is not None:
        seal_values(ctx, folder, namespace, sealed_name, {default_key: ref.sealed})
        return sealed_name, default_key
    name, key = ref.existing_secret or "", ref.key or default_key
    ctx.expected_secrets.append(ExpectedSecret(namespace=namespace, name=name, keys=(key,), purpose=purpose))
    return name, key


def key_pair(ctx: Context, folder: Folder, namespace: str, pair: KeyPair, sealed_name: str, purpose: str) -> str:
    """The name of the Secret holding a key pair: sealed into ``folder``, or the user's."""
    if pair.sealed is not None:
        seal_values(ctx, folder, namespace, sealed_name, dict(zip(pair.keys, pair.sealed, strict=True)))
        return sealed_name
    name = pair.existing_secret or ""
    ctx.expected_secrets.append(ExpectedSecret(namespace=namespace, name=name, keys=pair.keys, purpose=purpose))
    return name
