"""The platform: the fork's repository, Argo CD, the Kubeflow release and its components, how secrets reach the
cluster, and the user's own Applications."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Annotated, Any

from .. import catalog
from .common import (
    AnyObject,
    DnsLabel,
    DnsSubdomain,
    GitUrl,
    HttpsUrl,
    ImageOverride,
    LocalPath,
    ManifestData,
    NonEmpty,
    Patch,
    RepoPath,
    Scheduling,
    SecretValue,
    Wave,
)
from .declare import Keyed, prop, record, scalar


@record()
class SealedCredentials:
    certificate: LocalPath | None = prop(
        "the sealed-secrets controller's public certificate (kubeseal --fetch-cert); defaults to "
        "spec.secrets.certificate", default=None)
    type: str = prop("how Argo CD authenticates", required=True, enum=("https", "ssh"))
    username: SecretValue | None = prop(default=None)
    password: SecretValue | None = prop(default=None)
    ssh_private_key: SecretValue | None = prop(default=None)


@record(min_properties=1, max_properties=1)
class RepoCredentials:
    existing_secret: DnsSubdomain | None = prop("an Argo CD repository Secret you create yourself", default=None)
    sealed: SealedCredentials | None = prop("seal the repository credentials into the tree", default=None)


@record()
class Repo:
    url: GitUrl = prop("the git URL Argo CD pulls the fork from: https://, ssh:// or git@host:org/repo.git",
                       required=True)
    revision: str = prop("the branch, tag or commit Argo CD follows", default="main", min_length=1,
                         pattern=r"^[^\s]+$")
    path: RepoPath = prop("the folder of the fork that holds the generated tree ('.' is the repository root)",
                          default=".", example="clusters/NAME")
    private: bool = prop("the repository needs credentials", default=False, example="true")
    credentials: RepoCredentials | None = prop(
        "how Argo CD reads a private repository: exactly one of existingSecret or sealed", default=None)
    vendor: bool = prop("copy the upstream files every component needs into the fork (vendor/), so that Argo CD "
                        "syncs from the fork alone: no GitHub at sync time; the render fetches them with git and "
                        "your git config", default=False, example="true")

    def join(self, folder: str) -> str:
        """A folder of the generated tree as a path from the repository root."""
        return folder if self.path == "." else f"{self.path}/{folder}" if folder != "." else self.path


@record()
class SyncPolicy:
    automated: bool = prop("sync automatically when the fork changes", default=True)
    prune: bool = prop("delete what the fork no longer contains", default=True)
    self_heal: bool = prop("revert changes made in the cluster", default=True)


@record()
class ArgoCD:
    namespace: DnsLabel = prop("the namespace Argo CD runs in", default="argocd")
    project: DnsSubdomain = prop("the Argo CD project of every Application", default="default")
    manage: bool = prop("include an Application that keeps Argo CD itself in sync", default=True)
    version: str = prop("the Argo CD release its own manifests come from", default="v3.5.1",
                        enum=("v3.5.1", "v2.14.21"))
    ha: bool = prop("install the high-availability variant of Argo CD", default=False)
    sync_policy: SyncPolicy = prop("the sync policy of every Application", default_factory=SyncPolicy)


def _components() -> Iterator[Keyed]:
    """Every component id of any release, with its description and its options' choices (all releases')."""
    for cid, spec in catalog.every_component().items():
        options = {name: {"type": "string", "description": option.description,
                          "enum": list(catalog.every_choice(cid, name))}
                   for name, option in spec.options.items()}
        yield Keyed(cid, spec.description, options)


DashboardTarget = Annotated[str, scalar(
    "dashboardLink", type="string", pattern=r"^(/[^\s]*|https?://[^\s]+)$",
    description="a path on the Kubeflow host (/grafana/) or an http(s) URL")]


@record()
class MenuLink:
    text: NonEmpty = prop("the entry's label", required=True)
    link: DashboardTarget = prop("where it leads", required=True)
    icon: str | None = prop("a Material or Kubeflow icon name (book, launch, kubeflow:katib)", default=None)


@record()
class InfoLink:
    text: NonEmpty = prop("the entry's title", required=True)
    link: DashboardTarget = prop("where it leads", required=True)
    desc: str = prop("a line under the title", default="")


@record()
class DashboardLinks:
    """Entries the Central Dashboard shows besides upstream's own, which stay as they are."""

    menu: tuple[MenuLink, ...] = prop("sidebar entries opened inside the dashboard", default=())
    external: tuple[MenuLink, ...] = prop("sidebar entries opened in a new tab", default=())
    quick: tuple[InfoLink, ...] = prop("quick shortcuts on the home page", default=())
    documentation: tuple[InfoLink, ...] = prop("documentation entries on the home page", default=())

    def __bool__(self) -> bool:
        return bool(self.menu or self.external or self.quick or self.documentation)


@record()
class Component:
    """A component of the release: the catalog says what it is; the profile says whether and how it runs."""

    id: str = prop(mapping_key=True)
    enabled: bool = prop("deploy this component", completed=True)
    sync_wave: Wave = prop("override the Argo CD sync wave of its Application", completed=True)
    patches: tuple[Patch, ...] = prop("kustomize patches added to the component's kustomization", default=())
    resources: tuple[ManifestData, ...] = prop("extra manifests added to the component", default=())
    scheduling: Scheduling = prop(default_factory=Scheduling)
    images: tuple[ImageOverride, ...] = prop(
        "images of the component replaced: another registry or name, a tag, or a digest (kustomize images)",
        default=())
    options: Mapping[str, str] = prop(options=True, default_factory=lambda: MappingProxyType({}))
    eks_issuer: HttpsUrl | None = prop("the EKS cluster's OIDC issuer URL (variant m2m-dex-and-eks)",
                                       only=("oauth2-proxy",), default=None)
    links: DashboardLinks = prop("the dashboard's links besides upstream's (add-ons behind the gateway are added "
                                 "to its external links)", only=("central-dashboard",),
                                 default_factory=DashboardLinks)
    registration_flow: bool | None = prop("let new users create their own profile from the dashboard",
                                          only=("central-dashboard",), default=None)
    chart_version: str | None = prop("the sealed-secrets Helm chart version", only=("sealed-secrets",),
                                     pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$", default=None)


@record()
class Kubeflow:
    version: str = prop("the Kubeflow release", default=catalog.VERSIONS[0], enum=catalog.VERSIONS)
    components: Mapping[str, Component] = prop(
        "which components run; each defaults to what the release's upstream example enables", completed=True,
        keys=_components, unknown_key_hint="run `argoflow-gen explain PROFILE spec.kubeflow.components` to list "
        "the components", example="{kserve: {enabled: false}, pipelines: {mode: multi-user}}")

    @property
    def enabled(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components.values() if c.enabled)

    def on(self, component_id: str) -> bool:
        component = self.components.get(component_id)
        return bool(component and component.enabled)


_REGISTRY_PATH = (r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|localhost)(?::[0-9]+)?"
                  r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
RegistryPath = Annotated[str, scalar(
    "registryPath", type="string", pattern=f"^{_REGISTRY_PATH}$",
    description="a registry host, with an optional port and path, such as registry.corp.example:5000/kubeflow")]


@record()
class Registry:
    mirror: RegistryPath | None = prop(
        "where every image is pulled from instead of its own registry: REGISTRY/REPOSITORY:TAG becomes "
        "MIRROR/REGISTRY/REPOSITORY:TAG (Docker Hub's short names made explicit: docker.io/library/NAME); needs "
        "spec.repo.vendor", default=None, example="registry.corp.example/kubeflow")
    mappings: Mapping[str, RegistryPath] = prop(
        "per registry, or registry and path prefix, where its images are pulled from instead (the longest "
        "prefix wins, and wins over mirror): ghcr.io/kubeflow/x becomes registry.corp.example/ghcr/kubeflow/x",
        default_factory=lambda: MappingProxyType({}), property_names={"pattern": f"^{_REGISTRY_PATH}$"},
        example="{ghcr.io: registry.corp.example/ghcr, docker.io: registry.corp.example/hub}")

    @property
    def enabled(self) -> bool:
        return bool(self.mirror or self.mappings)


@record()
class Secrets:
    certificate: LocalPath | None = prop(
        "the sealed-secrets controller's public certificate (kubeseal --fetch-cert), for every sealed secret",
        default=None)
    random_secrets: str = prop(
        "how secrets that only have to be random are made: generate (in the cluster, never in git) or sealed (by "
        "the generator, needs certificate)", default="generate", enum=("generate", "sealed"))


@record()
class ExtraSource:
    repo_url: NonEmpty = prop("a git or Helm repository URL", key="repoURL", required=True)
    target_revision: NonEmpty = prop(required=True)
    path: NonEmpty | None = prop(default=None)
    chart: NonEmpty | None = prop(default=None)
    helm: AnyObject | None = prop("an Argo CD helm source block", default=None)


@record(description="one of your own Applications, joined to the app-of-apps", min_properties=3)
class ExtraApplication:
    name: DnsLabel = prop(required=True)
    path: RepoPath | None = prop("a folder of the fork holding a kustomization or plain manifests", default=None)
    source: Annotated[Mapping[str, Any], ExtraSource] | None = prop("a remote source", default=None)
    namespace: DnsLabel = prop(required=True)
    sync_wave: Wave = prop(default=10)
    server_side_apply: bool = prop("apply with ServerSideApply=true", default=False)


_VERSION_SPEC = r"(===?|~=|!=|<=?|>=?) *[A-Za-z0-9.*+!_-]+ *"
ProfileFile = Annotated[str, scalar(
    type="string", pattern="^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$",
    description="a profile file of the fork, relative to the repository root, such as clusters/prod.yaml")]


@record(exactly_one=("pip", "git", "index"), requires={"git": "ref", "ref": "git"})
class CiGenerator:
    pip: str | None = prop(
        "a pip requirement on argoflow-gen, such as argoflow-gen==0.1.0 or argoflow-gen>=0.1,<0.2", default=None,
        pattern=rf"^argoflow-gen *({_VERSION_SPEC}(, *{_VERSION_SPEC})*)?$")
    git: HttpsUrl | None = prop("a git repository to install argoflow-gen from, at ref", default=None)
    ref: str | None = prop("a tag, branch or commit of that repository, such as v0.1.0", default=None,
                           pattern="^[A-Za-z0-9_][A-Za-z0-9_./+-]{0,199}$")
    index: HttpsUrl | None = prop(
        "a private package index to install this generator's version from, such as https://pypi.acme.io/simple",
        default=None)


@record()
class CI:
    generator: CiGenerator | None = prop(
        "where the fork's CI workflows install argoflow-gen from: exactly one of pip (a requirement, from PyPI), git "
        "with ref, or index (a private package index); default: this generator's version from PyPI", default=None)
    profiles: tuple[ProfileFile, ...] = prop(
        "the profile layers the check job renders with `argoflow-gen render --check` (a profile that seals values "
        "needs their inputs in the job); default: it runs `argoflow-gen status`, against the profile the lock "
        "recorded", default=(), unique_items=True)
