"""The state of one render: the profile, its release, and the folders, Applications and notes built so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Release, release
from ..profile import Profile
from ..state import LOCK_FILE, SealedEntry, parse_lock
from .model import App, Folder, Target


@dataclass(frozen=True)
class ExpectedSecret:
    """A Secret the user must create before syncing, named in the fork's README."""

    namespace: str
    name: str
    keys: tuple[str, ...]
    purpose: str
    type: str = "Opaque"
    labels: tuple[tuple[str, str], ...] = ()
    literals: tuple[tuple[str, str], ...] = ()  # keys whose (public) value the generator knows
    hashes: tuple[tuple[str, str], ...] = ()  # keys holding the bcrypt hash of a user's password: (key, e-mail)


@dataclass
class Context:
    profile: Profile
    release: Release
    folders: dict[str, Folder] = field(default_factory=dict)
    apps: list[App] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)
    expected_secrets: list[ExpectedSecret] = field(default_factory=list)
    generated_secrets: list[str] = field(default_factory=list)  # "namespace/name" made in the cluster
    sealed_digests: dict[str, SealedEntry] = field(default_factory=dict)
    previous: Mapping[str, str] = field(default_factory=dict)  # files of the previous render, by path
    previous_sealed: Mapping[str, SealedEntry] = field(default_factory=dict)  # its lock's sealed digests
    previous_rotation: int = 0
    rotate_secrets: bool = False
    read_secrets: bool = True  # False: never read a secret input; carry on every sealed value bound to the lock
    create_lock_key: bool = False  # whether a missing lock key may be made (by commands that write)
    target: Target = field(default_factory=Target)
    findings: list[str] = field(default_factory=list)  # security findings: shown first, fail --check
    warnings: list[str] = field(default_factory=list)
    _lock_key: list[bytes | None] = field(default_factory=list)
    certificates: dict[str, Any] = field(default_factory=dict)
    shared_random: dict[str, bytes | None] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: Profile, previous: Mapping[str, str] | None = None, rotate_secrets: bool = False,
           read_secrets: bool = True, create_lock_key: bool = False, target: Target | None = None) -> Context:
        previous = previous or {}
        sealed: Mapping[str, SealedEntry] = {}
        rotation = 0
        lock_text = previous.get(LOCK_FILE)
        if lock_text:
            lock = parse_lock(lock_text, LOCK_FILE)
            sealed, rotation = lock.sealed, lock.rotation
        return cls(profile=profile, release=release(profile.kubeflow.version), previous=previous,
                   previous_sealed=sealed, previous_rotation=rotation, rotate_secrets=rotate_secrets,
                   read_secrets=read_secrets, create_lock_key=create_lock_key, target=target or Target())

    def lock_key(self) -> bytes | None:
        """The user's lock key (``argoflow_gen.lockkey``), looked up once per render."""
        if not self._lock_key:
            from .. import lockkey

            self._lock_key.append(lockkey.load(create=self.create_lock_key))
        return self._lock_key[0]

    def shared_random_fresh(self, share: str) -> bytes | None:
        """None if every sealed copy of a shared random value can be re-used, else the one fresh value."""
        if share not in self.shared_random:
            from .sealed import decide_shared

            self.shared_random[share] = decide_shared(self, share)
        return self.shared_random[share]

    def folder(self, component_id: str) -> Folder | None:
        """The folder of an enabled component (None when the component is off)."""
        return self.folders.get(component_id)

    @property
    def tls(self) -> bool:
        return self.profile.ingress.tls.mode != "none"
