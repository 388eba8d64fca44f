"""The random passwords of in-cluster stores: the pipelines object store and Katib's database."""

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


@customizes("pipelines")
def object_store(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "pipelines-secrets", "kubeflow", [OBJECT_STORE])


@customizes("katib")
def katib_database(ctx: Context, folder: Folder) -> None:
    provide(ctx, folder, "katib-secrets", "kubeflow", [KATIB_DB])
