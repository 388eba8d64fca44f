"""The lock file, ``.argoflow-gen/lock.yaml``: what was generated, from what, with which hashes.

No timestamps and no absolute paths, so the same profile and generator give the same bytes. Read as
hostile input: strict YAML (no aliases, tags or duplicate keys), bounded, every path through the gate.

Sealed values are recorded per place (``namespace/name/key``) with two digests, never a value:
``ciphertext`` is the SHA-256 of the ciphertext committed in the tree (it binds the SealedSecret's bytes
to the lock); ``input`` says what was sealed without revealing it: ``random:<certificate>`` for a random
value, or ``hmac-sha256:<key id>:<mac>``, a MAC of the input under the user's lock key, which nobody
without that key can test a guess against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import StateError
from ..yamlemit import dump
from ..yamlio import load_strings
from .gate import check_relative

HEADER = "# Written by argoflow-gen at every render; do not edit. `argoflow-gen status` reads it.\n"
_LIMIT_NODES = 400_000


@dataclass(frozen=True)
class SealedEntry:
    input: str
    ciphertext: str = ""  # empty in locks written before ciphertexts were recorded


@dataclass(frozen=True)
class Lock:
    generator: str
    kubeflow: str
    profile: str
    digest: str
    files: Mapping[str, str] = field(default_factory=dict)
    seeds: Mapping[str, str] = field(default_factory=dict)
    sealed: Mapping[str, SealedEntry] = field(default_factory=dict)
    rotation: int = 0  # how many times the sealed random values were rotated on purpose (--rotate-secrets)


def format_lock(lock: Lock) -> str:
    document: dict[str, Any] = {
        "generator": lock.generator,
        "kubeflow": lock.kubeflow,
        "profile": {"name": lock.profile, "digest": lock.digest},
        "files": dict(sorted(lock.files.items())),
        "seeds": dict(sorted(lock.seeds.items())),
    }
    if lock.rotation:
        document["rotation"] = str(lock.rotation)
    if lock.sealed:
        document["sealed"] = {place: {"input": entry.input, "ciphertext": entry.ciphertext}
                              for place, entry in sorted(lock.sealed.items())}
    return HEADER + dump(document)


def _mapping(value: Any, what: str, file: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateError(f"{file}: {what} is not a mapping", hint="restore the lock from git")
    return value


def _text(value: Any, what: str, file: str) -> str:
    if not isinstance(value, str):
        raise StateError(f"{file}: {what} is not a string", hint="restore the lock from git")
    return value


def parse_lock(text: str, file: str) -> Lock:
    """The lock, or a StateError saying what is wrong with it (nothing is trusted that does not pass)."""
    try:
        data = load_strings(text, file, max_nodes=_LIMIT_NODES)
    except ValueError as exc:
        raise StateError(f"{file} is not a lock file argoflow-gen can read: {exc}",
                         hint="restore it from git, or render into a new folder") from None
    data = _mapping(data, "the document", file)
    profile = _mapping(data.get("profile"), "profile", file)
    paths: dict[str, dict[str, str]] = {}
    for section in ("files", "seeds"):
        entries = _mapping(data.get(section), section, file)
        paths[section] = {
            check_relative(path, source=f"{file}: {section}"): _text(digest, f"{section}[{path!r}]", file)
            for path, digest in entries.items()
        }
    sealed: dict[str, SealedEntry] = {}
    for place, entry in _mapping(data.get("sealed"), "sealed", file).items():
        if isinstance(entry, str):  # written before ciphertexts were recorded
            sealed[place] = SealedEntry(input=entry)
            continue
        entry = _mapping(entry, f"sealed[{place!r}]", file)
        sealed[place] = SealedEntry(input=_text(entry.get("input"), f"sealed[{place!r}].input", file),
                                    ciphertext=_text(entry.get("ciphertext", ""), f"sealed[{place!r}].ciphertext",
                                                     file))
    for key in ("generator", "kubeflow"):
        _text(data.get(key), key, file)
    rotation = _text(data.get("rotation", "0"), "rotation", file)
    if not rotation.isdigit() or len(rotation) > 9:
        raise StateError(f"{file}: rotation is not a number", hint="restore the lock from git")
    return Lock(
        generator=data["generator"],
        kubeflow=data["kubeflow"],
        profile=_text(profile.get("name"), "profile.name", file),
        digest=_text(profile.get("digest"), "profile.digest", file),
        files=paths["files"],
        seeds=paths["seeds"],
        sealed=sealed,
        rotation=int(rotation),
    )
