"""The typed, immutable Profile: built once from validated, defaulted data; nothing downstream sees a dict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

ACME_SERVERS = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}


def _frozen(value: Any) -> Any:
    """Deep read-only copy of plain data: mappings become MappingProxyType, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The plain (dict/list) form of frozen data, for writing it out."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class SecretValue:
    """Where a secret value is read at render time: an environment variable or a file."""

    env: str | None = None
    file: Path | None = None
    written: str = ""  # the file path as the profile wrote it, for messages

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.written}"


@dataclass(frozen=True)
class SecretRef:
    """A secret only the user knows: a Secret they create, or a value sealed at render time."""

    existing_secret: str | None = None
    key: str | None = None
    sealed: SecretValue | None = None


@dataclass(frozen=True)
class SealedCredentials:
    certificate: Path
    type: str
    username: SecretValue | None
    password: SecretValue | None
    ssh_private_key: SecretValue | None


@dataclass(frozen=True)
class RepoCredentials:
    existing_secret: str | None = None
    sealed: SealedCredentials | None = None


@dataclass(frozen=True)
class Repo:
    url: str
    revision: str
    path: str  # "." for the repository root
    private: bool
    credentials: RepoCredentials | None

    def join(self, folder: str) -> str:
        """A folder of the generated tree as a path from the repository root."""
        return folder if self.path == "." else f"{self.path}/{folder}" if folder != "." else self.path


@dataclass(frozen=True)
class SyncPolicy:
    automated: bool
    prune: bool
    self_heal: bool


@dataclass(frozen=True)
class ArgoCD:
    namespace: str
    project: str
    manage: bool
    version: str
    ha: bool
    sync_policy: SyncPolicy


@dataclass(frozen=True)
class Scheduling:
    node_selector: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tolerations: tuple[Mapping[str, Any], ...] = ()
    affinity: Mapping[str, Any] | None = None
    priority_class_name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.node_selector or self.tolerations or self.affinity or self.priority_class_name)


@dataclass(frozen=True)
class Patch:
    patch: Any  # a YAML string, a frozen mapping (strategic merge) or a tuple (JSON 6902)
    target: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Component:
    id: str
    enabled: bool
    wave: int
    options: Mapping[str, str]
    patches: tuple[Patch, ...] = ()
    resources: tuple[Mapping[str, Any], ...] = ()
    scheduling: Scheduling = field(default_factory=Scheduling)
    eks_issuer: str | None = None
    registration_flow: bool | None = None
    chart_version: str | None = None


@dataclass(frozen=True)
class Kubeflow:
    version: str
    components: Mapping[str, Component]

    @property
    def enabled(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components.values() if c.enabled)

    def on(self, component_id: str) -> bool:
        component = self.components.get(component_id)
        return bool(component and component.enabled)


@dataclass(frozen=True)
class KeyPair:
    """Two secret values that belong together (an access key pair, a database user): the keys of a Secret the
    user creates, or two values sealed at render time."""

    existing_secret: str | None
    keys: tuple[str, str]  # the two keys, in that Secret or in the sealed one
    sealed: tuple[SecretValue, SecretValue] | None = None


@dataclass(frozen=True)
class Route53:
    """DNS-01 through AWS Route53; no credentials: the ambient ones of cert-manager's pod (IRSA, the node)."""

    region: str
    hosted_zone_id: str | None = None
    role: str | None = None
    credentials: KeyPair | None = None


@dataclass(frozen=True)
class CloudDNS:
    """DNS-01 through Google Cloud DNS; no key: the ambient identity of cert-manager's pod (Workload Identity)."""

    project: str
    hosted_zone_name: str | None = None
    service_account_key: SecretRef | None = None


@dataclass(frozen=True)
class AzureServicePrincipal:
    client_id: str
    tenant_id: str
    client_secret: SecretRef


@dataclass(frozen=True)
class AzureDNS:
    """DNS-01 through Azure DNS: a service principal, a managed identity, or the pod's ambient identity."""

    subscription_id: str
    resource_group: str
    hosted_zone_name: str | None = None
    environment: str | None = None
    service_principal: AzureServicePrincipal | None = None
    managed_identity: Mapping[str, str] | None = None  # {clientID} or {resourceID}


@dataclass(frozen=True)
class LetsEncrypt:
    email: str
    server: str  # the ACME directory URL
    solver: str  # http01 or dns01-<provider>
    cloudflare_api_token: SecretRef | None
    route53: Route53 | None = None
    cloud_dns: CloudDNS | None = None
    azure_dns: AzureDNS | None = None


@dataclass(frozen=True)
class TLS:
    mode: str
    letsencrypt: LetsEncrypt | None
    secret_name: str | None


@dataclass(frozen=True)
class Ingress:
    domain: str | None
    extra_hosts: tuple[str, ...]
    service_type: str
    tls: TLS

    @property
    def hosts(self) -> tuple[str, ...]:
        return ((self.domain,) if self.domain else ()) + self.extra_hosts


@dataclass(frozen=True)
class User:
    email: str
    username: str
    password_hash: str | None
    password_hash_from: SecretRef | None


@dataclass(frozen=True)
class OIDC:
    issuer: str
    client_id: str
    client_secret: SecretRef
    name: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Auth:
    users: tuple[User, ...]
    oidc: OIDC | None
    admin: str | None


@dataclass(frozen=True)
class Resource:
    default: str
    limit_factor: str


@dataclass(frozen=True)
class GpuVendor:
    limits_key: str
    ui_name: str


@dataclass(frozen=True)
class Notebooks:
    images: tuple[str, ...]
    vscode_images: tuple[str, ...]
    rstudio_images: tuple[str, ...]
    default_image: str
    allow_custom_image: bool
    hide_registry: bool
    hide_tag: bool
    image_pull_policy: str
    cpu: Resource
    memory: Resource
    gpu_vendors: tuple[GpuVendor, ...]
    gpu_default: str
    workspace_size: str
    workspace_storage_class: str | None
    culling_enabled: bool
    culling_idle_minutes: int


@dataclass(frozen=True)
class S3Store:
    endpoint: str
    bucket: str
    region: str
    insecure: bool
    credentials: KeyPair


@dataclass(frozen=True)
class Pipelines:
    mode: str
    s3: S3Store | None


@dataclass(frozen=True)
class ArgoSubjects:
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)


@dataclass(frozen=True)
class ArgoRBAC:
    admin: ArgoSubjects = field(default_factory=ArgoSubjects)
    read_only: ArgoSubjects = field(default_factory=ArgoSubjects)
    others: str = "none"  # none | read-only


@dataclass(frozen=True)
class ArchiveDatabase:
    type: str  # postgresql | mysql
    host: str
    port: int
    database: str
    table_name: str
    ssl: bool
    credentials: KeyPair


@dataclass(frozen=True)
class Archive:
    enabled: bool = False
    ttl: str = "30d"
    database: ArchiveDatabase | None = None  # None: Kubeflow Pipelines' MySQL


@dataclass(frozen=True)
class ArgoWorkflows:
    """spec.argoWorkflows: the Argo Server and UI next to the controller Kubeflow Pipelines runs."""

    host: str | None = None
    path: str = "/argo/"
    client_tokens: bool = False
    session_expiry: str = "10h"
    rbac: ArgoRBAC = field(default_factory=ArgoRBAC)
    archive: Archive = field(default_factory=Archive)
    metrics: bool = True
    gitops: bool = True
    gitops_namespace: str | None = None


@dataclass(frozen=True)
class Monitoring:
    prometheus: str = "none"  # none | annotations | serviceMonitor
    service_monitor_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class UserProfile:
    name: str
    owner: str
    resource_quota: Mapping[str, str]


@dataclass(frozen=True)
class Secrets:
    certificate: Path | None
    random_secrets: str


@dataclass(frozen=True)
class ExtraApplication:
    name: str
    namespace: str
    sync_wave: int
    server_side_apply: bool
    path: str | None
    source: Mapping[str, Any] | None


@dataclass(frozen=True)
class Profile:
    """A validated deployment description. Build it with ``argoflow_gen.load_profile``."""

    name: str
    description: str
    repo: Repo
    argocd: ArgoCD
    kubeflow: Kubeflow
    ingress: Ingress
    auth: Auth
    notebooks: Notebooks
    pipelines: Pipelines
    profiles: tuple[UserProfile, ...]
    secrets: Secrets
    extra_applications: tuple[ExtraApplication, ...]
    digest: str  # sha256 of the resolved profile, as recorded in the lock file
    resolved: Mapping[str, Any]  # the resolved profile data (frozen), as recorded for regeneration
    argo_workflows: ArgoWorkflows = field(default_factory=ArgoWorkflows)
    monitoring: Monitoring = field(default_factory=Monitoring)
