"""Argo Workflows, the controller's side: what configures the workflow-controller that Kubeflow Pipelines
installs (never a second one), written into the ``pipelines/`` folder: ``workflow-controller-configmap``
(``sso``, ``persistence``, ``metricsConfig``, ``artifactRepository``), the workflow archive's database, and the
object store shared with Kubeflow Pipelines. The server's side is in ``argoserver``, single sign-on in ``argosso``.
"""

from __future__ import annotations

from typing import Any

from ..yamlemit import dump
from .argosso import sso_config
from .argoworkflows import (
    ARCHIVE_DATABASE,
    ARCHIVE_DB,
    ARCHIVE_INIT,
    ARCHIVE_SECRET,
    ARCHIVE_TABLE,
    CONFIGMAP,
    CONTROLLER_METRICS_PORT,
    NAMESPACE,
    STORE_SECRET,
    enabled,
    key_pair,
    metrics_annotations,
    metrics_exposed,
    secret_key_ref,
)
from .components import customizes
from .context import Context
from .model import Folder
from .randomsecrets import RESTRICTED_CONTAINER, provide
from .storage import artifact_store


@customizes("pipelines")
def controller(ctx: Context, folder: Folder) -> None:
    """The controller Kubeflow Pipelines runs, configured for the server, the archive, metrics and the store."""
    profile = ctx.profile
    data: dict[str, str] = {}
    if enabled(profile):
        data["sso"] = dump(sso_config(ctx))
        if profile.spec.argo_workflows.archive.enabled:
            data["persistence"] = dump(_archive(ctx, folder))
        if metrics_exposed(profile):
            data["metricsConfig"] = dump({"enabled": True, "path": "/metrics", "port": CONTROLLER_METRICS_PORT,
                                          "secure": False})
            if profile.spec.monitoring.prometheus == "annotations":
                folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                                  "metadata": {"name": "workflow-controller", "namespace": NAMESPACE},
                                  "spec": {"template": {"metadata": {
                                      "annotations": metrics_annotations(CONTROLLER_METRICS_PORT)}}}})
    if profile.spec.pipelines.s3 is not None:
        data["artifactRepository"] = dump(_external_store(ctx, folder))
    if data:
        folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": CONFIGMAP, "namespace": NAMESPACE}, "data": data})


def _artifact_repository(ctx: Context) -> dict[str, Any]:
    """The controller's default artifact repository, as the profile's artifact store says."""
    store = artifact_store(ctx)
    s3: dict[str, Any] = {"endpoint": store.endpoint, "bucket": store.bucket}
    if store.region:
        s3["region"] = store.region
    s3.update({"insecure": store.insecure, "keyFormat": ctx.release.object_store["keyFormat"],
               "accessKeySecret": {"name": store.secret, "key": store.keys[0]},
               "secretKeySecret": {"name": store.secret, "key": store.keys[1]}})
    return {"archiveLogs": True, "s3": s3}


def _external_store(ctx: Context, folder: Folder) -> dict[str, Any]:
    """Kubeflow Pipelines' object store moved to the profile's S3 store: the bucket, the API server's
    endpoint and keys, the UI's keys for s3:// artifacts; and the controller's artifact repository."""
    store = ctx.profile.spec.pipelines.s3
    assert store is not None
    pair = store.credentials.pair()
    secret = key_pair(ctx, folder, pair, STORE_SECRET,
                       f"the access key pair of S3 bucket {store.bucket} at {store.endpoint}; Argo reads it "
                       "from the namespace each workflow runs in, so create it there too")
    access, secret_key = pair.keys
    host, _, port = store.endpoint.partition(":")
    port = port or ("80" if store.insecure else "443")
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "pipeline-install-config", "namespace": NAMESPACE},
                      "data": {"bucketName": store.bucket}})
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "ml-pipeline", "namespace": NAMESPACE},
                      "spec": {"template": {"spec": {"containers": [{"name": "ml-pipeline-api-server", "env": [
                          {"name": "OBJECTSTORECONFIG_HOST", "value": host},
                          {"name": "OBJECTSTORECONFIG_PORT", "value": port},
                          {"name": "OBJECTSTORECONFIG_SECURE", "value": "false" if store.insecure else "true"},
                          {"name": "OBJECTSTORECONFIG_REGION", "value": store.region},
                          {"name": "OBJECTSTORECONFIG_ACCESSKEY", **secret_key_ref(secret, access)},
                          {"name": "OBJECTSTORECONFIG_SECRETACCESSKEY", **secret_key_ref(secret, secret_key)},
                      ]}]}}}})
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "ml-pipeline-ui", "namespace": NAMESPACE},
                      "spec": {"template": {"spec": {"containers": [{"name": "ml-pipeline-ui", "env": [
                          {"name": "AWS_ACCESS_KEY_ID", **secret_key_ref(secret, access)},
                          {"name": "AWS_SECRET_ACCESS_KEY", **secret_key_ref(secret, secret_key)},
                          {"name": "AWS_REGION", "value": store.region},
                          {"name": "AWS_S3_ENDPOINT", "value": host},
                          {"name": "AWS_PORT", "value": port},
                          {"name": "AWS_SSL", "value": "false" if store.insecure else "true"},
                      ]}]}}}})
    return _artifact_repository(ctx)


def _archive(ctx: Context, folder: Folder) -> dict[str, Any]:
    """The ``persistence`` section: Kubeflow Pipelines' MySQL (a database and user of its own, made by a
    Job), or the profile's database."""
    archive = ctx.profile.spec.argo_workflows.archive
    persistence: dict[str, Any] = {
        "connectionPool": {"maxIdleConns": 10, "maxOpenConns": 0, "connMaxLifetime": "0s"},
        # Kubeflow Pipelines reads status.nodes from the Workflow objects: keep them there
        "nodeStatusOffLoad": False,
        "archive": True,
    }
    if archive.ttl:
        persistence["archiveTTL"] = archive.ttl
    database = archive.database
    if database is None:
        kfp = ctx.release.pipelines_database
        provide(ctx, folder, "argo-workflows-archive-secret", NAMESPACE, [ARCHIVE_DB], upstream=False)
        folder.add_manifests("argo-workflows-archive.yaml", _archive_init(ctx),
                             "A database and user of their own for the Argo Workflows archive, in Kubeflow "
                             "Pipelines' MySQL.")
        persistence["mysql"] = {
            "host": kfp["host"], "port": kfp["port"], "database": ARCHIVE_DATABASE, "tableName": ARCHIVE_TABLE,
            "userNameSecret": {"name": ARCHIVE_SECRET, "key": "username"},
            "passwordSecret": {"name": ARCHIVE_SECRET, "key": "password"},
        }
        return persistence
    login = database.credentials.pair()
    secret = key_pair(ctx, folder, login, ARCHIVE_SECRET,
                       f"the user of the Argo Workflows archive database {database.database} at {database.host}")
    user_key, password_key = login.keys
    settings: dict[str, Any] = {
        "host": database.host, "port": database.server_port, "database": database.database,
        "tableName": database.table_name,
        "userNameSecret": {"name": secret, "key": user_key},
        "passwordSecret": {"name": secret, "key": password_key},
    }
    if database.type == "postgresql":
        if database.ssl:
            settings.update({"ssl": True, "sslMode": "require"})
        persistence["postgresql"] = settings
    else:
        if database.ssl:
            settings["options"] = {"tls": "true"}
        persistence["mysql"] = settings
    return persistence


_ARCHIVE_SCRIPT = """\
set -eu
esc() { printf '%s' "$1" | sed "s/'/''/g"; }
until mysql --connect-timeout=5 -h "$DB_HOST" -P "$DB_PORT" -u "$ROOT_USER" -e 'SELECT 1' >/dev/null; do
  echo "waiting for $DB_HOST:$DB_PORT"; sleep 5
done
user=$(esc "$ARCHIVE_USER"); password=$(esc "$ARCHIVE_PASSWORD")
mysql -h "$DB_HOST" -P "$DB_PORT" -u "$ROOT_USER" <<SQL
CREATE DATABASE IF NOT EXISTS \\`$ARCHIVE_DATABASE\\`;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \\`$ARCHIVE_DATABASE\\`.* TO '$user'@'%';
SQL
echo "database $ARCHIVE_DATABASE and user $ARCHIVE_USER are ready"
"""


def _archive_init(ctx: Context) -> list[dict[str, Any]]:
    """A Job that creates the archive's database and user in Kubeflow Pipelines' MySQL (idempotent), and the
    mesh policy that lets it, the controller and the server reach MySQL."""
    kfp = ctx.release.pipelines_database
    labels = {"app.kubernetes.io/name": ARCHIVE_INIT, "app.kubernetes.io/managed-by": "argoflow-gen"}
    controller_sa = ctx.release.argo_server["controllerServiceAccount"]
    principals = [f"cluster.local/ns/{NAMESPACE}/sa/{name}"
                  for name in (controller_sa, "argo-server", ARCHIVE_INIT)]
    env = [
        {"name": "DB_HOST", "value": kfp["host"]},
        {"name": "DB_PORT", "value": str(kfp["port"])},
        {"name": "ROOT_USER", **secret_key_ref(kfp["rootSecret"], "username")},
        {"name": "MYSQL_PWD", **secret_key_ref(kfp["rootSecret"], "password")},
        {"name": "ARCHIVE_DATABASE", "value": ARCHIVE_DATABASE},
        {"name": "ARCHIVE_USER", **secret_key_ref(ARCHIVE_SECRET, "username")},
        {"name": "ARCHIVE_PASSWORD", **secret_key_ref(ARCHIVE_SECRET, "password")},
        {"name": "HOME", "value": "/tmp"},
    ]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
         "metadata": {"name": ARCHIVE_INIT, "namespace": NAMESPACE, "labels": labels}},
        {"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "mysql-argo-workflows", "namespace": NAMESPACE, "labels": labels},
         "spec": {"action": "ALLOW", "selector": {"matchLabels": {"app": "mysql"}},
                  "rules": [{"from": [{"source": {"principals": principals}}]}]}},
        {"apiVersion": "batch/v1", "kind": "Job",
         "metadata": {"name": ARCHIVE_INIT, "namespace": NAMESPACE, "labels": labels,
                      # in the wave of MySQL and the controller: the controller waits for this user
                      "annotations": {"argocd.argoproj.io/hook": "Sync",
                                      "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
                                      "argocd.argoproj.io/sync-wave": "0"}},
         "spec": {"backoffLimit": 10, "template": {
             # in the mesh (MySQL only admits known principals), with Istio's native sidecar so the Job ends
             "metadata": {"labels": {**labels, "sidecar.istio.io/inject": "true"},
                          "annotations": {"sidecar.istio.io/nativeSidecar": "true"}},
             "spec": {
                 "serviceAccountName": ARCHIVE_INIT,
                 "restartPolicy": "OnFailure",
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "runAsGroup": 999,
                                     "seccompProfile": {"type": "RuntimeDefault"}},
                 "containers": [{
                     "name": "create-database",
                     "image": kfp["image"],
                     "command": ["/bin/sh", "-c", _ARCHIVE_SCRIPT],
                     "env": env,
                     "securityContext": RESTRICTED_CONTAINER,
                     "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                     "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "256Mi"}},
                 }],
                 "volumes": [{"name": "tmp", "emptyDir": {}}],
             },
         }}},
    ]


# ------------------------------------------------------------------------------------------ the server
