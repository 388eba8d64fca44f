"""Sealed values in a change: the one thing a reviewer cannot read, so the diff checks them.

Anyone can seal a value of their choosing with the cluster's public certificate. A SealedSecret whose
ciphertext is not the one its lock records, or whose ciphertext changed while the input the lock records
did not (and no rotation was asked for), was sealed by someone other than argoflow-gen: each is a
security finding, shown first in every format.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import StateError
from ..state import LOCK_FILE, Lock, parse_lock, sha256
from . import _yaml


def _lock(tree: Mapping[str, str]) -> tuple[Lock | None, str]:
    text = tree.get(LOCK_FILE)
    if text is None:
        return None, ""
    try:
        return parse_lock(text, LOCK_FILE), ""
    except StateError as error:
        return None, str(error)


def ciphertexts(tree: Mapping[str, str], paths: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """place (``namespace/name/key``) -> (file, ciphertext) of every SealedSecret in the tree's files (those of
    ``paths`` when given: the generated files a lock lists)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(paths if paths is not None else tree):
        text = tree.get(path)
        if text is None or not path.endswith((".yaml", ".yml")) or "SealedSecret" not in text:
            continue
        try:
            documents = _yaml.load_all(text)
        except _yaml.YamlError:
            continue
        for document in documents:
            if not isinstance(document, Mapping) or document.get("kind") != "SealedSecret":
                continue
            metadata = document.get("metadata")
            spec = document.get("spec")
            if not isinstance(metadata, Mapping) or not isinstance(spec, Mapping):
                continue
            data = spec.get("encryptedData")
            if not isinstance(data, Mapping):
                continue
            for key, value in data.items():
                if isinstance(value, str):
                    found[f"{metadata.get('namespace', '')}/{metadata.get('name', '')}/{key}"] = (path, value)
    return found


def findings(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[str, ...]:
    """Security findings about the sealed values of ``new``, compared with ``old``."""
    new_lock, problem = _lock(new)
    if problem:
        return (f"the lock cannot be read, so no sealed value can be checked: {problem}",)
    if new_lock is None:
        return ()
    old_lock, _ = _lock(old)
    now = ciphertexts(new, new_lock.files)
    before = ciphertexts(old, old_lock.files) if old_lock is not None else {}
    found = []
    for place, (file, ciphertext) in sorted(now.items()):
        entry = new_lock.sealed.get(place)
        if entry is None:
            found.append(f"{file}: the sealed value {place} is not recorded in the lock")
            continue
        if entry.ciphertext and sha256(ciphertext) != entry.ciphertext:
            found.append(f"{file}: the sealed value {place} is not the ciphertext the lock records: it was "
                         "replaced without argoflow-gen")
            continue
        if old_lock is None or place not in before or before[place][1] == ciphertext:
            continue
        previous = old_lock.sealed.get(place)
        rotated = new_lock.rotation > old_lock.rotation  # --rotate-secrets seals every value again
        if previous is not None and previous.input == entry.input and not rotated:
            found.append(f"{file}: the sealed value {place} changed while its input did not (and no rotation "
                         "was asked for): check who sealed it")
    return tuple(found)
