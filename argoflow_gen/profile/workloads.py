"""What runs on the platform: notebooks, pipelines and their artifact store, Argo Workflows, metrics, and the
user namespaces."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal

from .. import catalog
from .common import (
    AccessKeys,
    ArgoSubjects,
    DatabaseLogin,
    DnsLabel,
    DnsSubdomain,
    Email,
    Hostname,
    Image,
    NonEmpty,
    Quantity,
)
from .declare import prop, record, scalar

LimitFactor = Annotated[str, scalar(type=("number", "string"), format="limit-factor",
                                    convert=lambda value, *_: str(value))]
SqlName = Annotated[str, scalar(type="string", pattern="^[A-Za-z_][A-Za-z0-9_]{0,62}$")]


@record()
class Resource:
    default: Quantity = prop(completed=True)
    limit_factor: LimitFactor = prop("limit = request × factor, or none", completed=True)


@record()
class GpuVendor:
    limits_key: str = prop("the resource name, e.g. nvidia.com/gpu", required=True, min_length=1)
    ui_name: str = prop("the name shown", required=True, min_length=1)


@record()
class Gpus:
    vendors: tuple[GpuVendor, ...] = prop("GPU vendors offered", completed=True)
    default: str = prop("the preselected vendor's limitsKey ('' for none)", completed=True)


@record()
class WorkspaceVolume:
    size: Quantity = prop(completed=True)
    storage_class: DnsSubdomain | None = prop(default=None)


@record()
class Culling:
    enabled: bool = prop(completed=True)
    idle_minutes: int = prop(completed=True, minimum=1)


@record()
class Notebooks:
    """The spawner's options: every one is completed from the release's upstream defaults."""

    images: tuple[Image, ...] = prop("Jupyter images offered by the spawner", completed=True, min_items=1,
                                     example="[ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0]",
                                     unique_items=True)
    vscode_images: tuple[Image, ...] = prop("VS Code images offered by the spawner", completed=True,
                                            unique_items=True)
    rstudio_images: tuple[Image, ...] = prop("RStudio images offered by the spawner", completed=True,
                                             unique_items=True)
    default_image: Image = prop("the preselected Jupyter image; one of images", completed=True)
    allow_custom_image: bool = prop("let users type an image of their own", completed=True)
    hide_registry: bool = prop("hide the registry part of image names", completed=True)
    hide_tag: bool = prop("hide the tag part of image names", completed=True)
    image_pull_policy: str = prop("the notebook pods' image pull policy", completed=True,
                                  enum=("Always", "IfNotPresent", "Never"))
    cpu: Resource = prop("CPU request", completed=True)
    memory: Resource = prop("memory request", completed=True)
    gpus: Gpus = prop("GPUs", completed=True)
    workspace_volume: WorkspaceVolume = prop("the workspace volume of new notebooks", completed=True)
    culling: Culling = prop("stop idle notebooks", completed=True, example="{enabled: true, idleMinutes: 720}")


@record()
class S3Store:
    endpoint: str = prop(
        "host[:port] of the S3 API, e.g. s3.eu-west-1.amazonaws.com, minio.example.com:9000, storage.googleapis.com",
        required=True, format="host-port")
    bucket: str = prop("the bucket", required=True, pattern="^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    region: str = prop("the bucket's region", default="us-east-1", min_length=1)
    insecure: bool = prop("talk plain HTTP to the endpoint", default=False)
    credentials: AccessKeys = prop(
        "the access key pair, in namespace kubeflow and in every namespace whose workflows store artifacts",
        required=True)


@record()
class ExternalStore:
    s3: S3Store = prop(
        "an S3 bucket, or one of any store with an S3 API: MinIO, Ceph, or Google Cloud Storage through its "
        "interoperability endpoint storage.googleapis.com with HMAC keys", required=True)


@record()
class MysqlServer:
    """An external MySQL server a component keeps its data in, instead of the MySQL it runs in the cluster."""

    host: Hostname = prop("its host name", required=True)
    port: int = prop("its port", default=3306, minimum=1, maximum=65535)
    credentials: DatabaseLogin = prop("the database user, in namespace kubeflow", required=True)


@record()
class Pipelines:
    mode: str = prop("which Kubeflow Pipelines install (same as spec.kubeflow.components.pipelines.mode)",
                     completed=True, enum=lambda: catalog.every_choice("pipelines", "mode"))
    artifact_store: Literal["default"] | ExternalStore = prop(
        "where pipeline and workflow artifacts go, for Kubeflow Pipelines and Argo Workflows alike: 'default' (the "
        "release's in-cluster store) or an external store that speaks the S3 API", default="default")
    database: MysqlServer | None = prop(
        "an external MySQL server for runs, experiments, the cache and ML Metadata (databases mlpipeline, cachedb "
        "and metadb, which its user creates or may create); without it the release's in-cluster MySQL runs",
        default=None)

    @property
    def s3(self) -> S3Store | None:
        """The external store, or None for the release's in-cluster one."""
        return self.artifact_store.s3 if isinstance(self.artifact_store, ExternalStore) else None


@record()
class KatibDatabase:
    host: Hostname = prop("its host name", required=True)
    port: int = prop("its port", default=3306, minimum=1, maximum=65535)
    database: SqlName = prop("the database", default="katib")
    credentials: DatabaseLogin = prop("the database user, in namespace kubeflow", required=True)


@record()
class Katib:
    database: KatibDatabase | None = prop(
        "an external MySQL server for experiments and trials; without it the release's in-cluster MySQL runs",
        default=None)


@record()
class ArgoRBAC:
    admin: ArgoSubjects = prop(
        "who manages workflows, templates and cron workflows in every namespace; defaults to the Kubeflow admin "
        "(spec.identity.admin)", default_factory=ArgoSubjects)
    read_only: ArgoSubjects = prop("who can see workflows, templates, cron workflows and logs in every namespace",
                                   default_factory=ArgoSubjects)
    others: str = prop("what everyone else who can log in gets", default="none", enum=("none", "read-only"))


@record()
class SSO:
    session_expiry: str = prop("how long an Argo Workflows login lasts, in hours (e.g. 10h)", default="10h",
                               pattern="^[1-9][0-9]*h$")
    rbac: ArgoRBAC = prop("who may do what in the UI and API: matched on the login's e-mail and groups",
                          default_factory=ArgoRBAC)


@record()
class ArchiveDatabase:
    type: str = prop("the database server", required=True, enum=("postgresql", "mysql"))
    host: Hostname = prop("its host name", required=True)
    port: int | None = prop("its port (default 5432 for postgresql, 3306 for mysql)", default=None, minimum=1,
                            maximum=65535)
    database: SqlName = prop("the database", required=True)
    table_name: SqlName = prop("the table of archived workflows", default="argo_workflows")
    ssl: bool = prop("require TLS to the database", default=False)
    credentials: DatabaseLogin = prop("the database user, in namespace kubeflow", required=True)

    @property
    def server_port(self) -> int:
        """``port``, or the default port of the database server."""
        return self.port or (5432 if self.type == "postgresql" else 3306)


@record()
class Archive:
    enabled: bool = prop("keep finished workflows in a database", default=False)
    ttl: str = prop("how long archived workflows are kept, e.g. 30d ('' keeps them forever)", default="30d",
                    pattern="^([1-9][0-9]*[smhd])?$")
    database: ArchiveDatabase | None = prop(
        "an external database; without it the archive goes to Kubeflow Pipelines' MySQL, in a database and user of "
        "its own", default=None)


@record()
class GitOps:
    enabled: bool = prop(
        "a workflows/ folder in the fork for WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows, synced "
        "by its own Application and seeded once with an example", default=True)
    namespace: DnsLabel | None = prop(
        "the namespace its objects go to unless they name one; defaults to the first Kubeflow profile's (kubeflow "
        "with pipelines mode standalone)", default=None)


@record()
class ArgoWorkflows:
    """spec.argoWorkflows: the Argo Server and UI next to the controller Kubeflow Pipelines runs."""

    host: Hostname | None = prop(
        "serve Argo Workflows on this host name of its own (through the Kubeflow gateway, added to its "
        "certificate) instead of under spec.ingress.domain", default=None)
    path: str = prop("the path the UI and API are served under (the server's base href): segments between "
                     "slashes, such as /argo/", default="/argo/", pattern="^/([A-Za-z0-9._~-]+/)+$")
    client_tokens: bool = prop(
        "also accept Kubernetes bearer tokens (auth mode client), for the argo CLI and the API through kubectl "
        "port-forward", default=False)
    sso: SSO = prop("single sign-on through the in-cluster Dex", default_factory=SSO)
    archive: Archive = prop("the workflow archive", default_factory=Archive)
    metrics: bool = prop("expose the workflow-controller's and the server's Prometheus metrics the way "
                         "spec.monitoring.prometheus says", default=True)
    gitops: GitOps = prop("your workflows, in git", default_factory=GitOps)


@record()
class Monitoring:
    prometheus: str = prop(
        "how Prometheus finds the metrics endpoints the tree exposes: prometheus.io annotations on the pods, or "
        "ServiceMonitors (Prometheus Operator); serviceMonitor when the monitoring add-on runs", default="none",
        enum=("none", "annotations", "serviceMonitor"))
    service_monitor_labels: Mapping[str, str] = prop(
        "labels every ServiceMonitor carries, to match the Prometheus Operator's serviceMonitorSelector",
        default_factory=lambda: MappingProxyType({}))


@record()
class ResourceQuota:
    cpu: Quantity | None = prop(default=None)
    memory: Quantity | None = prop(default=None)
    gpu: Quantity | None = prop(default=None)
    storage: Quantity | None = prop(default=None)


def kfam_name(kind: str, subject: str, role: str) -> str:
    """The name Kubeflow's access management gives a contributor's RoleBinding and AuthorizationPolicy: the
    subject's kind, its name and ``clusterrole-ROLE`` joined by '-', lower-cased, every run of characters that
    are not ASCII letters or digits made one '-' (``user-ada-acme-io-clusterrole-edit``)."""
    runs = re.compile(r"[^a-zA-Z0-9]+")
    return runs.sub("-", "-".join((kind, runs.sub("-", subject), "ClusterRole", role)).lower())


@record(exactly_one=("user", "group"))
class Contributor:
    """Someone besides the owner who works in a profile's namespace: one login, or every member of a group."""

    user: Email | None = prop("a login e-mail", default=None)
    group: NonEmpty | None = prop(
        "a group, as the login's groups claim names it (an external provider's, through Dex)", default=None)
    role: str = prop("what they may do in the namespace: Kubeflow's edit or view role", default="edit",
                     enum=("edit", "view"))

    @property
    def kind(self) -> str:
        """``User`` or ``Group``, as a RoleBinding's subject names it."""
        return "User" if self.user is not None else "Group"

    @property
    def subject(self) -> str:
        """The e-mail or the group."""
        return self.user if self.user is not None else self.group or ""

    @property
    def object_name(self) -> str:
        """The name of its RoleBinding and AuthorizationPolicy (``kfam_name``)."""
        return kfam_name(self.kind, self.subject, self.role)


AwsIamRole = Annotated[str, scalar(
    "awsIamRole", type="string", pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$",
    description="an AWS IAM role ARN, such as arn:aws:iam::123456789012:role/kubeflow-team-a")]
GcpServiceAccount = Annotated[str, scalar(
    "gcpServiceAccount", type="string", pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]"
    r"\.iam\.gserviceaccount\.com$",
    description="a Google service account e-mail, such as team-a@my-project.iam.gserviceaccount.com")]


@record()
class UserProfile:
    name: DnsLabel = prop("the Profile and its namespace", required=True)
    owner: Email = prop("the owner's login e-mail", required=True)
    contributors: tuple[Contributor, ...] = prop(
        "who else works in the namespace, as Kubeflow's access management (KFAM) would grant it: users and groups, "
        "each with edit or view", default=())
    resource_quota: Annotated[Mapping[str, Quantity], ResourceQuota] = prop(
        "hard limits of the namespace", default_factory=lambda: MappingProxyType({}))
    aws_iam_role: AwsIamRole | None = prop(
        "the IAM role the namespace's workloads assume (the profile controller's AwsIamForServiceAccount plugin, "
        "annotating its default-editor account; the role's trust policy admits it)", default=None)
    gcp_service_account: GcpServiceAccount | None = prop(
        "the Google service account the namespace's workloads act as (the profile controller's WorkloadIdentity "
        "plugin)", default=None)


@record()
class ProfileDefaults:
    """What every profile gets unless it says otherwise."""

    contributors: tuple[Contributor, ...] = prop(
        "contributors of every profile, before its own (its own entry for the same user or group wins; an entry "
        "naming a profile's owner is left out there)", default=())
    resource_quota: Annotated[Mapping[str, Quantity], ResourceQuota] = prop(
        "hard limits of every namespace; a profile's own limits win, key by key",
        default_factory=lambda: MappingProxyType({}))


@record()
class Tenancy:
    profiles: tuple[UserProfile, ...] = prop(
        "Kubeflow user namespaces (Profiles)", default=(),
        example='[{name: team-a, owner: admin@example.com, contributors: [{group: ml-team, role: edit}], '
                'resourceQuota: {cpu: "16", memory: 64Gi}}]')
    defaults: ProfileDefaults | None = prop("what every profile gets unless it says otherwise", default=None)

    def with_defaults(self, profile: UserProfile) -> UserProfile:
        """``profile`` with the defaults it does not override: the default contributors first (but its owner,
        and any user or group it lists itself), then its own; the default quota under its own, key by key."""
        if self.defaults is None:
            return profile
        own = {(c.kind, c.subject.lower() if c.user else c.subject) for c in profile.contributors}
        inherited = tuple(c for c in self.defaults.contributors
                          if (c.kind, c.subject.lower() if c.user else c.subject) not in own
                          and (c.user or "").lower() != profile.owner.lower())
        quota = MappingProxyType({**self.defaults.resource_quota, **profile.resource_quota})
        return dataclasses.replace(profile, contributors=inherited + profile.contributors, resource_quota=quota)
