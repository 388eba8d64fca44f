"""The random passwords of in-cluster stores: the pipelines object store, Katib's and Model Registry's
databases."""

from __future__ import annotations

from .components import customizes
from .context import Context
from .model import Folder
from .randomsecrets import RandomSecret, Value, provide, register

OBJECT_STORE = register("pipelines", RandomSecret(
    namespace="kubeflow", name="mlpipeline-minio-artifact", upstream_name="mlpipeline-minio-artifact",
    keys=(("accesskey", Value()), ("secretkey", Value())),
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
    provide(ctx, folder, "pipelines-secrets", "kubeflow", [OBJECT_STORE])


@customizes("katib")
def katib_database(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "katib-secrets", "kubeflow", [KATIB_DB])
