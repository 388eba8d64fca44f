"""Argo Workflows as part of the platform: the Argo Server (UI and API) next to the workflow-controller that
Kubeflow Pipelines installs - never a second controller - with single sign-on through the in-cluster Dex, the
workflow archive, the artifact store shared with Kubeflow Pipelines, metrics, and the fork's workflows/ folder.

Where things go (this module holds what they share: names, ports and the questions every part asks):

- ``argo-workflows/`` (``argoserver``): the server from argoproj/argo-workflows at the release's Argo version,
  its route on the Kubeflow gateway, and its metrics; the SSO RBAC ServiceAccounts and its half of the Dex
  client secret (``argosso``).
- ``pipelines/`` (``workflowcontroller``): what configures the controller Kubeflow Pipelines owns:
  ``workflow-controller-configmap`` (``sso``, ``persistence``, ``metricsConfig``, ``artifactRepository``) and
  Kubeflow Pipelines' object store.
- ``dex/`` (``argosso``): the ``argo-server`` static client's secret; the client itself joins Dex's config.
- ``workflows/`` (``argoserver``): the user's WorkflowTemplates and CronWorkflows, seeded once, synced by its
  own Application.

How the pieces agree. The server runs with ``--basehref <path>`` and plain HTTP; the gateway route matches
``<path>``, strips it (the server serves from ``/``) and drops the ``Authorization`` header oauth2-proxy adds
(Argo would take that Dex token for a Kubernetes token). Argo's SSO uses Dex's in-cluster issuer with the
relative redirect ``<path>oauth2/callback``, which is also the static client's redirect URI in Dex. Dex
publishes its login URL under the in-cluster issuer, which no browser can reach; a small Lua filter on the
server's sidecar turns that redirect into the gateway's ``/dex/`` route, as oauth2-proxy's ``login_url``
does for Kubeflow itself.
"""

from __future__ import annotations

from typing import Any

from ..profile import KeyPair, Profile, SecretValue
from .context import Context, ExpectedSecret
from .model import Folder
from .randomspec import RandomSecret, Value
from .sealed import seal_values

NAMESPACE = "kubeflow"
SERVER_PORT = 2746
CONTROLLER_METRICS_PORT = 9090
ISTIO_METRICS_PORT = 15020  # Istio's merged metrics (prometheus.io annotations are rewritten to it)
GATEWAY = "kubeflow/kubeflow-gateway"
GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
CONFIGMAP = "workflow-controller-configmap"
ARCHIVE_SECRET = "argo-workflows-archive-db"
ARCHIVE_DATABASE = "argo_workflows"
ARCHIVE_USER = "argo_workflows"
ARCHIVE_TABLE = "argo_workflows"
ARCHIVE_INIT = "argo-workflows-archive-db"
STORE_SECRET = "artifact-store-credentials"  # the name of a sealed S3 key pair
WORKFLOWS_DIR = "workflows"
WORKFLOWS_APP = "workflows"
SKIP_DRY_RUN = {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}
ARCHIVE_DB = RandomSecret(
    namespace=NAMESPACE, name=ARCHIVE_SECRET, upstream_name="",
    keys=(("username", Value(literal=ARCHIVE_USER)), ("password", Value())),
)



def enabled(profile: Profile) -> bool:
    return profile.spec.kubeflow.on("argo-workflows")


def namespaced(ctx: Context) -> bool:
    """Does Kubeflow Pipelines run a namespaced controller (that only watches its own namespace)?"""
    return ctx.profile.spec.pipelines.mode in ctx.release.argo_server["namespacedModes"]


def metrics_exposed(profile: Profile) -> bool:
    return enabled(profile) and profile.spec.argo_workflows.metrics and profile.spec.monitoring.prometheus != "none"


def key_pair(ctx: Context, folder: Folder, pair: KeyPair, sealed_name: str, purpose: str) -> str:
    """The name of the kubeflow Secret holding ``pair``: the user's, or one sealed into ``folder``."""
    if pair.sealed is not None:
        values: dict[str, SecretValue] = dict(zip(pair.keys, pair.sealed, strict=True))
        seal_values(ctx, folder, NAMESPACE, sealed_name, values)
        return sealed_name
    name = pair.existing_secret or ""
    ctx.expected_secrets.append(ExpectedSecret(namespace=NAMESPACE, name=name, keys=pair.keys, purpose=purpose))
    return name


def secret_key_ref(name: str, key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


def metrics_annotations(port: int) -> dict[str, str]:
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}

