"""The component catalog: what each Kubeflow release ships, read from data files (one per release).

Adding a Kubeflow release is a data change: a new ``data/kubeflow-<version>.json``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

_DATA = "argoflow_gen.data"


def _read_json(name: str) -> Any:
    return json.loads(resources.files(_DATA).joinpath(name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Choice:
    """One alternative of a component option (an istio variant, a pipelines mode)."""

    name: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    name: str
    default: str
    choices: Mapping[str, Choice]
    description: str = ""


@dataclass(frozen=True)
class HelmSource:
    repo_url: str
    chart: str
    target_revision: str
    values: Mapping[str, Any]
    #: the images the chart runs: the values key that holds each (as ``registry`` and ``repository``), and the image
    images: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ComponentSpec:
    """What the catalog knows of one component at one release."""

    id: str
    title: str
    description: str  # what the profile's reference says of it
    namespace: str
    wave: int
    default: bool
    paths: tuple[str, ...] = ()
    server_side_apply: bool = False
    ignore: tuple[str, ...] = ()
    retry: bool = False
    options: Mapping[str, Option] = field(default_factory=dict)
    helm: HelmSource | None = None

    def paths_for(self, chosen: Mapping[str, str]) -> tuple[str, ...]:
        """The upstream paths, given the chosen value of each option."""
        paths = list(self.paths)
        for name, option in self.options.items():
            paths.extend(option.choices[chosen.get(name) or option.default].paths)
        return tuple(paths)


@dataclass(frozen=True)
class ArgoCDSpec:
    repo_url: str
    install: str
    install_ha: str
    wave: int


@dataclass(frozen=True)
class KubernetesRange:
    """The Kubernetes minor versions a release supports, inclusive ("1.31" to "1.33"), and where that is said."""

    min: str
    max: str
    source: str

    @staticmethod
    def _minor(version: str) -> tuple[int, int]:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)

    def contains(self, major: int, minor: int) -> bool:
        return self._minor(self.min) <= (major, minor) <= self._minor(self.max)


@dataclass(frozen=True)
class Release:
    """One Kubeflow release: its components and the upstream defaults the generator starts from."""

    version: str
    ref: str
    repo_url: str
    example_objects: int
    kubernetes: KubernetesRange
    argo_workflows: str
    job_image: str
    object_store: Mapping[str, Any]
    argo_server: Mapping[str, Any]  # the Argo Server manifests at argo_workflows, and how they fit KFP's controller
    pipelines_database: Mapping[str, Any]  # KFP's MySQL: where it is, the image that has its client, who uses it
    katib_database: Mapping[str, Any]  # Katib's MySQL: its objects, and how the db-manager is told where it is
    gateway_prefixes: tuple[str, ...]  # the path prefixes Kubeflow's own routes take on kubeflow-gateway
    kserve_ingress: Mapping[str, Any]
    notebooks: Mapping[str, Any]
    spawner_config: Mapping[str, Any]
    dashboard_links: Mapping[str, Any]  # the Central Dashboard's links as upstream's overlay deploys them
    dashboard_link_components: Mapping[str, str]  # a link's path prefix -> the component that serves it
    components: Mapping[str, ComponentSpec]
    argocd: ArgoCDSpec
    ignore_sets: Mapping[str, tuple[Mapping[str, Any], ...]]

    def remote(self, path: str) -> str:
        """The kustomize remote URL of an upstream path at this release's exact tag."""
        return f"{self.repo_url}//{path}?ref={self.ref}"


def _component(cid: str, raw: Mapping[str, Any]) -> ComponentSpec:
    options = {
        name: Option(
            name=name,
            default=spec["default"],
            choices=MappingProxyType(
                {key: Choice(key, tuple(choice["paths"])) for key, choice in spec["choices"].items()}
            ),
            description=spec["description"],
        )
        for name, spec in raw.get("options", {}).items()
    }
    helm = raw.get("helm")
    return ComponentSpec(
        id=cid,
        title=raw["title"],
        description=raw["description"],
        namespace=raw["namespace"],
        wave=int(raw["wave"]),
        default=bool(raw["default"]),
        paths=tuple(raw.get("paths", ())),
        server_side_apply=bool(raw.get("serverSideApply", False)),
        ignore=tuple(raw.get("ignore", ())),
        retry=bool(raw.get("retry", False)),
        options=MappingProxyType(options),
        helm=HelmSource(helm["repoURL"], helm["chart"], helm["targetRevision"], helm.get("values", {}),
                        MappingProxyType(dict(helm.get("images", {}))))
        if helm
        else None,
    )


VERSIONS: tuple[str, ...] = ("1.11.0", "1.10.2")


@functools.cache
def _platform() -> Mapping[str, Any]:
    data: Mapping[str, Any] = _read_json("platform.json")
    return data


@functools.cache
def release(version: str) -> Release:
    """The catalog of one Kubeflow release (``KeyError`` for an unknown version)."""
    if version not in VERSIONS:
        raise KeyError(version)
    raw = _read_json(f"kubeflow-{version}.json")
    platform = _platform()
    components = {cid: _component(cid, spec) for cid, spec in raw["components"].items()}
    components.update({cid: _component(cid, spec) for cid, spec in platform["components"].items()})
    argocd = platform["argocd"]
    return Release(
        version=raw["kubeflow"],
        ref=raw["ref"],
        repo_url=raw["repoURL"],
        example_objects=int(raw["exampleObjects"]),
        kubernetes=KubernetesRange(**raw["kubernetes"]),
        argo_workflows=raw["argoWorkflows"],
        job_image=raw["jobImage"],
        object_store=MappingProxyType(raw["objectStore"]),
        argo_server=MappingProxyType(raw["argoServer"]),
        pipelines_database=MappingProxyType(raw["pipelinesDatabase"]),
        katib_database=MappingProxyType(raw["katibDatabase"]),
        gateway_prefixes=tuple(raw["gatewayPrefixes"]),
        kserve_ingress=MappingProxyType(raw["kserveIngress"]),
        notebooks=MappingProxyType(raw["notebooks"]),
        spawner_config=MappingProxyType(raw["spawnerConfig"]),
        dashboard_links=MappingProxyType(raw["dashboardLinks"]),
        dashboard_link_components=MappingProxyType(raw["dashboardLinkComponents"]),
        components=MappingProxyType(components),
        argocd=ArgoCDSpec(argocd["repoURL"], argocd["install"], argocd["installHA"], int(argocd["wave"])),
        ignore_sets=MappingProxyType(
            {name: tuple(rules) for name, rules in platform["ignoreSets"].items()}
        ),
    )


def every_component() -> dict[str, ComponentSpec]:
    """Each component id of any release, newest release first, with the newest release's spec of it."""
    found: dict[str, ComponentSpec] = {}
    for version in VERSIONS:
        for cid, spec in release(version).components.items():
            found.setdefault(cid, spec)
    return found


def every_choice(component_id: str, option: str) -> tuple[str, ...]:
    """The choices of a component option in any release, newest release's first."""
    found: dict[str, None] = {}
    for version in VERSIONS:
        spec = release(version).components.get(component_id)
        if spec and option in spec.options:
            found.update(dict.fromkeys(spec.options[option].choices))
    return tuple(found)


def versions_with(component_id: str) -> tuple[str, ...]:
    """The Kubeflow releases whose catalog has this component."""
    return tuple(version for version in VERSIONS if component_id in release(version).components)


def versions_with_choice(component_id: str, option: str, choice: str) -> tuple[str, ...]:
    found = []
    for version in VERSIONS:
        spec = release(version).components.get(component_id)
        if spec and option in spec.options and choice in spec.options[option].choices:
            found.append(version)
    return tuple(found)


@dataclass(frozen=True)
class AddonOption:
    """A typed option of an add-on: its schema, and the Helm values path it sets."""

    name: str
    description: str
    pattern: str
    values: str  # the values path the option's value goes to
    also: Mapping[str, Any] = field(default_factory=dict)  # values set with it (a volume's access mode)


@dataclass(frozen=True)
class AddonSpec:
    """A platform add-on beside Kubeflow (``data/addons.json``): a Helm chart at a pinned version, where it runs,
    the values the generator gives it, the Secrets you create for it and its typed options."""

    id: str
    title: str
    description: str
    helm: HelmSource
    namespace: str
    wave: int
    server_side_apply: bool = False
    secrets: tuple[Mapping[str, Any], ...] = ()
    options: Mapping[str, AddonOption] = field(default_factory=dict)
    along: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # values set when another add-on runs
    #: its route on the Kubeflow gateway (``route``: prefix, Service, port), its pods (``pods``), who else may call
    #: them (``principals``) and, where its namespace's NetworkPolicies would keep callers out, from where
    #: (``networkPolicy``: ingress peers)
    access: Mapping[str, Any] = field(default_factory=dict)
    manifests: tuple[Mapping[str, Any], ...] = ()  # objects beside the chart, in its namespace
    #: where the Kubeflow Pipelines artifact store goes in its values, and its ServiceAccount (the store admits it)
    artifact_store: Mapping[str, Any] = field(default_factory=dict)
    pod_default: Mapping[str, Any] = field(default_factory=dict)  # a PodDefault for notebooks in every profile
    extras_after_chart: bool = False  # its folder's objects need the chart's CRDs and webhooks: sync a wave later


@functools.cache
def addons() -> Mapping[str, AddonSpec]:
    """Every add-on, by id, in the data file's order."""
    found = {}
    for aid, raw in _read_json("addons.json").items():
        helm = raw["helm"]
        options = {name: AddonOption(name, option["description"], option["pattern"], option["values"],
                                     option.get("also", {}))
                   for name, option in raw.get("options", {}).items()}
        found[aid] = AddonSpec(
            id=aid, title=raw["title"], description=raw["description"],
            helm=HelmSource(helm["repoURL"], helm["chart"], helm["targetRevision"], helm.get("values", {}),
                            MappingProxyType(dict(helm.get("images", {})))),
            namespace=raw["namespace"], wave=int(raw["wave"]), server_side_apply=bool(raw.get("serverSideApply")),
            secrets=tuple(raw.get("secrets", ())), options=MappingProxyType(options),
            along=MappingProxyType(dict(raw.get("along", {}))), access=MappingProxyType(dict(raw.get("access", {}))),
            manifests=tuple(raw.get("manifests", ())),
            artifact_store=MappingProxyType(dict(raw.get("artifactStore", {}))),
            pod_default=MappingProxyType(dict(raw.get("podDefault", {}))),
            extras_after_chart=bool(raw.get("extrasAfterChart")))
    return MappingProxyType(found)
