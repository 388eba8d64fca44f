"""The typed fleet: what a fleet file declares, after validation and defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

IN_CLUSTER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class Credentials:
    """How the hub's Argo CD authenticates to a remote cluster (exactly one way)."""

    existing_secret: str | None = None
    token_file: Path | None = None
    token_env: str | None = None
    token_written: str = ""  # the token's source as the fleet file names it, for messages
    aws: Mapping[str, str] | None = None
    exec: Mapping[str, object] | None = None
    ca_file: Path | None = None

    @property
    def sealed(self) -> bool:
        return self.token_file is not None or self.token_env is not None


@dataclass(frozen=True)
class Cluster:
    name: str
    labels: Mapping[str, str]
    layers: tuple[str, ...]  # profile sources over the fleet's base (paths resolved, or preset:NAME)
    server: str = IN_CLUSTER
    credentials: Credentials | None = None

    @property
    def remote(self) -> bool:
        return self.server != IN_CLUSTER


@dataclass(frozen=True)
class RolloutStep:
    match_labels: Mapping[str, str]
    max_update: int | str | None = None


@dataclass(frozen=True)
class Fleet:
    name: str
    description: str
    path: str  # the fleet's folder in the repository
    base: tuple[str, ...]
    hub: str
    deploy: str  # applicationSet or appOfApps
    rollout: tuple[RolloutStep, ...]
    clusters: tuple[Cluster, ...]
    file: str = ""
    digest: str = ""  # of the fleet file's resolved data
    per_cluster: tuple[str, ...] = ()  # profile keys (dotted) each cluster keeps for itself when promoting
    resolved: Mapping[str, object] = field(default_factory=dict)

    def cluster(self, name: str) -> Cluster:
        return next(cluster for cluster in self.clusters if cluster.name == name)

    def folder(self, cluster: str) -> str:
        """The cluster's tree, relative to the fleet's folder."""
        return f"clusters/{cluster}"

    def repo_path(self, relative: str) -> str:
        """A folder of the fleet's tree as a path in the repository."""
        if self.path in ("", "."):
            return relative
        return f"{self.path}/{relative}" if relative != "." else self.path
