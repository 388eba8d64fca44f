"""What a render builds before it becomes text: component folders and Applications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..yamlemit import dump


@dataclass
class Folder:
    """One component folder of the tree while it is being assembled (paths relative to the folder)."""

    id: str
    title: str
    namespace: str | None = None
    resources: list[str] = field(default_factory=list)
    generators: list[dict[str, Any]] = field(default_factory=list)
    secret_generators: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def add_manifests(self, name: str, documents: list[dict[str, Any]], comment: str = "") -> None:
        """A file of manifests, listed as a resource of the kustomization."""
        header = f"# {comment}\n" if comment else ""
        self.files[name] = header + "---\n".join(dump(document) for document in documents)
        self.resources.append(name)

    def add_text(self, name: str, text: str) -> None:
        """A file of manifests already written as YAML, listed as a resource of the kustomization."""
        self.files[name] = text
        self.resources.append(name)

    def add_patch(self, patch: Any, target: dict[str, Any] | None = None) -> None:
        """An inline patch: a strategic-merge mapping or a JSON 6902 list, written as YAML text."""
        text = patch if isinstance(patch, str) else dump(patch).rstrip("\n")
        entry: dict[str, Any] = {"patch": text}
        if target:
            entry["target"] = target
        self.patches.append(entry)


@dataclass
class App:
    """One Argo CD Application of the tree."""

    name: str
    namespace: str
    wave: int
    source: dict[str, Any]
    sync_policy: dict[str, Any]
    ignore_differences: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    cascade: bool = True  # deleting the Application deletes what it deployed (Argo CD's resources finalizer)


@dataclass(frozen=True)
class Target:
    """Where a render's Applications run, when that is not decided by the profile alone: in a fleet, a cluster's
    Applications live in the hub's Argo CD, named after the cluster, and target its API server."""

    name_prefix: str = ""
    server: str = "https://kubernetes.default.svc"
    argocd_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # argocd-cmd-params-cm
    pristine: bool = True  # the tree carries its pristine copy (a fleet keeps one for all its clusters instead)
    installs_argocd: bool = True  # False for a fleet's cluster other than the hub: the hub's Argo CD deploys it
