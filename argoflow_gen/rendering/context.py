"""The state of one render: the profile, its release, and the folders, Applications and notes built so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Release, release
from ..profile import Profile
from .model import App, Folder


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
    sealed_digests: dict[str, str] = field(default_factory=dict)
    previous: Mapping[str, str] = field(default_factory=dict)  # files of the previous render, by path
    previous_sealed: Mapping[str, str] = field(default_factory=dict)  # its lock's sealed digests
    rotate_secrets: bool = False
    certificates: dict[str, Any] = field(default_factory=dict)
    shared_random: dict[str, bytes | None] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: Profile, previous: Mapping[str, str] | None = None, rotate_secrets: bool = False) -> Context:
        previous = previous or {}
        sealed: Mapping[str, str] = {}
        lock_text = previous.get(".argoflow-gen/lock.yaml")
        if lock_text:
            from ..lockfile import parse_lock

            sealed = parse_lock(lock_text, ".argoflow-gen/lock.yaml").sealed
        return cls(profile=profile, release=release(profile.kubeflow.version), previous=previous,
                   previous_sealed=sealed, rotate_secrets=rotate_secrets)

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
