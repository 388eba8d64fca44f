"""External MySQL servers for Kubeflow Pipelines and Katib: the component's in-cluster MySQL leaves the build,
and its servers are pointed at the profile's host and port, with the user and password from a Secret the user
creates or from one sealed into the tree. Which objects and variables that takes is release data
(``pipelinesDatabase`` and ``katibDatabase`` in the catalog)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..profile import KatibDatabase, MysqlServer
from .argoworkflows import NAMESPACE, key_pair, secret_key_ref
from .components import customizes
from .context import Context
from .model import Folder


@customizes("pipelines", "katib")
def external_database(ctx: Context, folder: Folder) -> None:
    """The component's in-cluster MySQL leaves the build; its clients get the profile's server and login (a Secret
    of the user's, or ``<component>-database`` sealed)."""
    pipelines = folder.id == "pipelines"
    database = ctx.profile.spec.pipelines.database if pipelines else ctx.profile.spec.katib.database
    if database is None:
        return
    known = ctx.release.pipelines_database if pipelines else ctx.release.katib_database
    for item in known["inCluster"]:
        if ctx.profile.spec.pipelines.mode not in item.get("pipelinesModes", (ctx.profile.spec.pipelines.mode,)):
            continue  # an object only some Kubeflow Pipelines installs have
        folder.add_patch({"$patch": "delete", "apiVersion": item["apiVersion"], "kind": item["kind"],
                          "metadata": {"name": item["name"], "namespace": NAMESPACE}})
    pair = database.credentials.pair()
    what = ("Kubeflow Pipelines' MySQL server" if isinstance(database, MysqlServer)
            else f"Katib's MySQL database {database.database} at")
    secret = key_pair(ctx, folder, pair, f"{folder.id}-database",
                      f"the user of {what} {database.host}:{database.port}")
    user, password = (secret_key_ref(secret, key) for key in pair.keys)
    if isinstance(database, KatibDatabase):
        _katib(folder, known, database, user, password)
    else:
        _pipelines(folder, known, database, user, password)


def _env(folder: Folder, deployment: str, container: str, env: list[dict[str, Any]]) -> None:
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": deployment, "namespace": NAMESPACE},
                      "spec": {"template": {"spec": {"containers": [{"name": container, "env": env}]}}}})


def _pipelines(folder: Folder, known: Mapping[str, Any], database: MysqlServer, user: dict[str, Any],
               password: dict[str, Any]) -> None:
    """The API server, the cache server and the ML Metadata server read host and port from the install config."""
    config = known["config"]
    data = {key: database.host for key in config["hostKeys"]}
    data.update({key: str(database.port) for key in config["portKeys"]})
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": config["configMap"], "namespace": NAMESPACE}, "data": data})
    for client in known["clients"]:
        env = [{"name": name, **user} for name in client["username"]]
        env += [{"name": name, **password} for name in client["password"]]
        _env(folder, client["deployment"], client["container"], env)


def _katib(folder: Folder, known: Mapping[str, Any], database: KatibDatabase, user: dict[str, Any],
           password: dict[str, Any]) -> None:
    """Katib's db-manager reads everything from its environment."""
    names = known["env"]
    _env(folder, known["deployment"], known["container"], [
        {"name": names["username"], **user},
        {"name": names["password"], **password},
        {"name": names["host"], "value": database.host},
        {"name": names["port"], "value": str(database.port)},
        {"name": names["database"], "value": database.database},
    ])
