"""The random passwords of in-cluster stores: the pipelines object store and MySQL, Katib's and Model
Registry's databases; and, with an external artifact store, the in-cluster one left out."""

from __future__ import annotations

from dataclasses import dataclass

from .argoworkflows import STORE_SECRET
from .components import customizes
from .context import Context
from .model import Folder
from .randomsecrets import provide, replace_upstream
from .randomspec import RandomSecret, Value, register

OBJECT_STORE = register("pipelines", RandomSecret(
    namespace="kubeflow", name="mlpipeline-minio-artifact", upstream_name="mlpipeline-minio-artifact",
    keys=(("accesskey", Value()), ("secretkey", Value())),
))
#: Kubeflow Pipelines' MySQL: upstream runs it with an empty root password (``MYSQL_ALLOW_EMPTY_PASSWORD``);
#: its API server, cache server and metadata server read the user and password from this Secret.
PIPELINES_DB = register("pipelines", RandomSecret(
    namespace="kubeflow", name="mysql-secret", upstream_name="mysql-secret",
    keys=(("username", Value(literal="root")), ("password", Value())),
))
KATIB_DB = register("katib", RandomSecret(
    namespace="kubeflow", name="katib-mysql-secrets", upstream_name="katib-mysql-secrets",
    keys=(("MYSQL_ROOT_PASSWORD", Value()),),
))


MODEL_REGISTRY_DB = register("model-registry", RandomSecret(
    namespace="kubeflow", name="model-registry-db-secrets", upstream_name="model-registry-db-secrets",
    keys=(("MYSQL_USER_NAME", Value(literal="root")), ("MYSQL_ROOT_PASSWORD", Value())),
    upstream_namespaced=False,
))


@dataclass(frozen=True)
class ArtifactStore:
    """The S3 store Kubeflow Pipelines keeps artifacts in: the release's in-cluster one or the profile's, and the
    kubeflow Secret holding its keys."""

    endpoint: str  # host[:port]
    bucket: str
    region: str | None
    insecure: bool
    secret: str
    keys: tuple[str, str]  # the access key's key and the secret key's key in ``secret``
    in_cluster: bool

    @property
    def url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.endpoint}"


def artifact_store(ctx: Context) -> ArtifactStore:
    """Where Kubeflow Pipelines, Argo Workflows and whatever else shares their artifacts keeps them."""
    store = ctx.profile.spec.pipelines.s3
    if store is None:
        release_store = ctx.release.object_store
        return ArtifactStore(release_store["endpoint"], release_store["bucket"], None, release_store["insecure"],
                             release_store["secret"], ("accesskey", "secretkey"), in_cluster=True)
    access, secret = store.credentials.pair().keys
    return ArtifactStore(store.endpoint, store.bucket, store.region, store.insecure,
                         store.credentials.existing_secret or STORE_SECRET, (access, secret), in_cluster=False)


@customizes("model-registry")
def model_registry_database(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "model-registry-secrets", "kubeflow", [MODEL_REGISTRY_DB])


@customizes("pipelines")
def object_store(ctx: Context, folder: Folder) -> None:
    if ctx.profile.spec.pipelines.database is not None:
        # an external MySQL server (``databases``): upstream's login leaves, no MySQL runs to have one
        replace_upstream(folder, PIPELINES_DB)
        provide(ctx, folder, "pipelines-secrets", "kubeflow", [OBJECT_STORE])
    else:
        provide(ctx, folder, "pipelines-secrets", "kubeflow", [OBJECT_STORE, PIPELINES_DB])
        _mysql_root_password(ctx, folder)
    if ctx.profile.spec.pipelines.s3 is not None:
        # artifacts go to the external store: the in-cluster one (SeaweedFS or MinIO) does not run
        for item in ctx.release.object_store["inCluster"]:
            folder.add_patch({"$patch": "delete", "apiVersion": item["apiVersion"], "kind": item["kind"],
                              "metadata": {"name": item["name"], "namespace": "kubeflow"}})


def _mysql_root_password(ctx: Context, folder: Folder) -> None:
    """MySQL initialises its root user with the generated password instead of none."""
    database = ctx.release.pipelines_database
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": database["deployment"], "namespace": "kubeflow"},
                      "spec": {"template": {"spec": {"containers": [{"name": database["container"], "env": [
                          {"name": "MYSQL_ALLOW_EMPTY_PASSWORD", "$patch": "delete"},
                          {"name": "MYSQL_ROOT_PASSWORD",
                           "valueFrom": {"secretKeyRef": {"name": PIPELINES_DB.name, "key": "password"}}},
                      ]}]}}}})


@customizes("katib")
def katib_database(ctx: Context, folder: Folder) -> None:
    if ctx.profile.spec.katib.database is not None:
        replace_upstream(folder, KATIB_DB)  # an external MySQL server (``databases``)
    else:
        provide(ctx, folder, "katib-secrets", "kubeflow", [KATIB_DB])
