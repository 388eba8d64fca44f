"""The random passwords of in-cluster stores: the pipelines object store and MySQL, Katib's and Model
Registry's databases; and, with an external artifact store, the in-cluster one left out."""

from __future__ import annotations

from .components import customizes
from .context import Context
from .model import Folder
from .randomsecrets import RandomSecret, Value, provide, register

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


@customizes("model-registry")
def model_registry_database(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "model-registry-secrets", "kubeflow", [MODEL_REGISTRY_DB])


@customizes("pipelines")
def object_store(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "pipelines-secrets", "kubeflow", [OBJECT_STORE, PIPELINES_DB])
    database = ctx.release.pipelines_database
    # MySQL initialises its root user with the generated password instead of none
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": database["deployment"], "namespace": "kubeflow"},
                      "spec": {"template": {"spec": {"containers": [{"name": database["container"], "env": [
                          {"name": "MYSQL_ALLOW_EMPTY_PASSWORD", "$patch": "delete"},
                          {"name": "MYSQL_ROOT_PASSWORD",
                           "valueFrom": {"secretKeyRef": {"name": PIPELINES_DB.name, "key": "password"}}},
                      ]}]}}}})
    if ctx.profile.pipelines.s3 is not None:
        # artifacts go to the external store: the in-cluster one (SeaweedFS or MinIO) does not run
        for item in ctx.release.object_store["inCluster"]:
            folder.add_patch({"$patch": "delete", "apiVersion": item["apiVersion"], "kind": item["kind"],
                              "metadata": {"name": item["name"], "namespace": "kubeflow"}})


@customizes("katib")
def katib_database(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "katib-secrets", "kubeflow", [KATIB_DB])
