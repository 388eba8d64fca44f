"""The order in which Argo CD would apply a built tree: one sync per Application, in sync-wave order.

Argo CD's own install comes first (the Application whose build defines the Application CRD: the fork's
README applies that folder by hand before anything else), then the app-of-apps (it creates the
Applications), then the Applications wave by wave, lowest first (the Application health check makes a wave
wait for the one before), by name within a wave. Inside one sync, Argo CD (gitops-engine) orders resources
by phase (PreSync hooks, Sync, PostSync hooks), then by the resource's own ``argocd.argoproj.io/sync-wave``,
then by kind in the order Helm installs, then by name; kinds outside that list come last, ordered by name
alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..diff import _yaml
from ..diff.apps import Application, applications
from ..diff.build import Built
from ..diff.model import NotBuilt

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
HELM_HOOK = "helm.sh/hook"

#: gitops-engine's kind order within one phase and wave (Helm's install order).
KIND_ORDER = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
    "CronJob", "IngressClass", "Ingress", "APIService",
)
_KIND_RANK = {kind: index - len(KIND_ORDER) for index, kind in enumerate(KIND_ORDER)}  # unknown kinds: 0
PHASES = ("PreSync", "Sync", "PostSync")
_HELM_PHASES = {"pre-install": "PreSync", "pre-upgrade": "PreSync", "post-install": "PostSync",
                "post-upgrade": "PostSync"}


@dataclass(frozen=True)
class Item:
    """One resource of one sync, with the sync options that apply to it."""

    application: str
    wave: int  # the Application's wave
    phase: str  # PreSync, Sync or PostSync
    resource_wave: int
    obj: Mapping[str, Any]
    hook: bool
    delete_policies: frozenset[str]
    options: frozenset[str]  # the Application's sync options, overridden by the resource's own

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace", "") or "")

    def label(self) -> str:
        """``Kind namespace/name`` (or ``Kind name``), for messages."""
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"

    def option(self, name: str) -> bool:
        return f"{name}=true" in self.options


@dataclass(frozen=True)
class Sync:
    """One Application's sync: its wave, destination namespace, options and ordered resources."""

    application: str
    wave: int
    namespace: str
    options: frozenset[str]
    items: tuple[Item, ...]
    stage: int = 2  # 0: Argo CD's own install, 1: the app-of-apps, 2: the Applications, by wave


@dataclass(frozen=True)
class Plan:
    syncs: tuple[Sync, ...]
    not_built: tuple[NotBuilt, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for sync in self.syncs for item in sync.items)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _options(text: Any) -> list[str]:
    if isinstance(text, str):
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(text, list):
        return [str(part).strip() for part in text if str(part).strip()]
    return []


def merge_options(base: Sequence[str], override: Sequence[str]) -> frozenset[str]:
    """The Application's options with the resource's own winning, option by option."""
    merged = {option.split("=", 1)[0]: option for option in base}
    merged.update({option.split("=", 1)[0]: option for option in override})
    return frozenset(merged.values())


def _phase(annotations: Mapping[str, Any]) -> tuple[str, bool] | None:
    """(phase, is a hook), or None for a resource Argo CD does not apply in a sync."""
    hooks = _options(annotations.get(HOOK))
    if hooks:
        for hook in hooks:
            if hook in PHASES:
                return hook, True
        return None  # Skip, SyncFail, PostDelete: not applied by a successful sync
    helm = _options(annotations.get(HELM_HOOK))
    if helm:
        for hook in helm:
            if hook in _HELM_PHASES:
                return _HELM_PHASES[hook], True
        return None
    return "Sync", False


def _items(name: str, wave: int, options: Sequence[str], manifests: Sequence[Mapping[str, Any]]) -> list[Item]:
    items = []
    for obj in manifests:
        metadata = obj.get("metadata") or {}
        annotations = metadata.get("annotations") or {}
        phase = _phase(annotations)
        if phase is None:
            continue
        items.append(Item(
            application=name, wave=wave, phase=phase[0], resource_wave=_int(annotations.get(SYNC_WAVE)), obj=obj,
            hook=phase[1], delete_policies=frozenset(_options(annotations.get(HOOK_DELETE_POLICY))),
            options=merge_options(options, _options(annotations.get(SYNC_OPTIONS))),
        ))
    items.sort(key=lambda item: (PHASES.index(item.phase), item.resource_wave, _KIND_RANK.get(item.kind, 0),
                                 item.name))
    return items


def _installs_argocd(manifests: Sequence[Mapping[str, Any]]) -> bool:
    return any(obj.get("kind") == "CustomResourceDefinition"
               and (obj.get("metadata") or {}).get("name") == "applications.argoproj.io" for obj in manifests)


def sync_of(application: str, wave: int, namespace: str, options: Sequence[str],
            manifests: Sequence[Mapping[str, Any]]) -> Sync:
    """One Application's sync of ``manifests``, ordered as Argo CD orders them."""
    return Sync(application, wave, namespace, frozenset(options), tuple(_items(application, wave, options, manifests)))


def _document(tree: Mapping[str, str], app: Application) -> Mapping[str, Any]:
    for document in _yaml.load_all(tree[app.file]):
        if isinstance(document, Mapping) and (document.get("metadata") or {}).get("name") == app.name:
            return document
    return {}


def plan(tree: Mapping[str, str], built: Built, extra: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) \
        -> Plan:
    """Every sync of a built tree, in the order Argo CD runs them. ``extra`` adds manifests built another way
    (a Helm chart source, built with ``helm template``), by Application name."""
    manifests = {**built.manifests, **(extra or {})}
    syncs: list[Sync] = []
    for app in applications(tree).values():
        if app.name not in manifests:
            continue
        document = _document(tree, app)
        metadata = document.get("metadata") or {}
        spec = document.get("spec") or {}
        options = _options((spec.get("syncPolicy") or {}).get("syncOptions"))
        wave = _int((metadata.get("annotations") or {}).get(SYNC_WAVE))
        rank = 0 if _installs_argocd(manifests[app.name]) else 1 if "/" not in app.file else 2
        sync = sync_of(app.name, wave, app.namespace, options, manifests[app.name])
        syncs.append(dataclasses.replace(sync, stage=rank))
    syncs.sort(key=lambda sync: (sync.stage, sync.wave, sync.application))
    not_built = tuple(entry for entry in built.not_built if entry.application not in manifests)
    return Plan(tuple(syncs), not_built)
