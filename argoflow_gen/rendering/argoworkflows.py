"""Argo Workflows as part of the platform: the Argo Server (UI and API) next to the workflow-controller that
Kubeflow Pipelines installs - never a second controller - with single sign-on through the in-cluster Dex, the
workflow archive, the artifact store shared with Kubeflow Pipelines, metrics, and the fork's workflows/ folder.

Where things go:

- ``argo-workflows/``: the server from argoproj/argo-workflows at the release's Argo version, its route on
  the Kubeflow gateway, the SSO RBAC ServiceAccounts, and its half of the Dex client secret.
- ``pipelines/``: what configures the controller Kubeflow Pipelines owns: ``workflow-controller-configmap``
  (``sso``, ``persistence``, ``metricsConfig``, ``artifactRepository``) and Kubeflow Pipelines' object store.
- ``dex/``: the ``argo-server`` static client's secret (the client itself is in Dex's config, render/auth.py).
- ``workflows/``: the user's WorkflowTemplates and CronWorkflows, seeded once, synced by its own Application.

How the pieces agree. The server runs with ``--basehref <path>`` and plain HTTP; the gateway route matches
``<path>``, strips it (the server serves from ``/``) and drops the ``Authorization`` header oauth2-proxy adds
(Argo would take that Dex token for a Kubernetes token). Argo's SSO uses Dex's in-cluster issuer with the
relative redirect ``<path>oauth2/callback``, which is also the static client's redirect URI in Dex. Dex
publishes its login URL under the in-cluster issuer, which no browser can reach; a small Lua filter on the
server's sidecar turns that redirect into the gateway's ``/dex/`` route, as oauth2-proxy's ``login_url``
does for Kubeflow itself.
"""

from __future__ import annotations

import json
from typing import Any

from ..profile import ArgoSubjects, KeyPair, Profile, SecretValue
from ..templating import render_template
from ..yamlio import dump
from .applications import sync_policy
from .auth import DEX_ISSUER, DEX_NAMESPACE
from .components import customizes
from .context import Context, ExpectedSecret
from .model import App, Folder
from .randomsecrets import RandomSecret, Value, provide, register
from .userprofiles import default_profiles

NAMESPACE = "kubeflow"
CLIENT_ID = "argo-server"
SSO_SECRET = "argo-server-sso"
DEX_SECRET_ENV = "ARGO_SERVER_CLIENT_SECRET"
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

#: The client secret, in Dex's namespace (Dex reads it from the environment) ...
DEX_SIDE = register("dex", RandomSecret(
    namespace=DEX_NAMESPACE, name=SSO_SECRET, upstream_name="",
    keys=(("client-secret", Value(shared=SSO_SECRET)),),
))
#: ... and beside the server, which reads both keys through the sso section of the controller's ConfigMap.
SERVER_SIDE = register("argo-workflows", RandomSecret(
    namespace=NAMESPACE, name=SSO_SECRET, upstream_name="",
    keys=(("client-id", Value(literal=CLIENT_ID)),
          ("client-secret", Value(shared=SSO_SECRET, copy_from=(DEX_NAMESPACE, SSO_SECRET, "client-secret")))),
))
ARCHIVE_DB = RandomSecret(
    namespace=NAMESPACE, name=ARCHIVE_SECRET, upstream_name="",
    keys=(("username", Value(literal=ARCHIVE_USER)), ("password", Value())),
)

#: What the SSO roles may do. The server acts with the matched ServiceAccount's permissions.
ARGO_RESOURCES = ["workflows", "workflowtemplates", "cronworkflows", "clusterworkflowtemplates",
                  "workfloweventbindings", "eventsources", "sensors"]
READ = ["get", "list", "watch"]
POD_RULE = {"apiGroups": [""], "resources": ["pods", "pods/log", "events"], "verbs": READ}
ROLE_RULES = {
    "admin": [{"apiGroups": ["argoproj.io"], "resources": ARGO_RESOURCES,
               "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}, POD_RULE],
    "read-only": [{"apiGroups": ["argoproj.io"], "resources": ARGO_RESOURCES, "verbs": READ}, POD_RULE],
}


# ------------------------------------------------------------------------------------- what agrees with what


def enabled(profile: Profile) -> bool:
    return profile.spec.kubeflow.on("argo-workflows")


def _callback_path(profile: Profile) -> str:
    """The SSO redirect URL: relative, so it works on every host the gateway serves."""
    return profile.spec.argo_workflows.path + "oauth2/callback"


def _namespaced(ctx: Context) -> bool:
    """Does Kubeflow Pipelines run a namespaced controller (that only watches its own namespace)?"""
    return ctx.profile.spec.pipelines.mode in ctx.release.argo_server["namespacedModes"]


def metrics_exposed(profile: Profile) -> bool:
    return enabled(profile) and profile.spec.argo_workflows.metrics and profile.spec.monitoring.prometheus != "none"


def dex_static_client(profile: Profile) -> dict[str, Any]:
    """The argo-server client in Dex's staticClients; its secret comes from the environment."""
    return {"id": CLIENT_ID, "name": "Argo Workflows", "secretEnv": DEX_SECRET_ENV,
            "redirectURIs": [_callback_path(profile)]}


def sso_config(ctx: Context) -> dict[str, Any]:
    """The ``sso`` section of workflow-controller-configmap, which the server reads."""
    return {
        "issuer": DEX_ISSUER,
        "clientId": {"name": SSO_SECRET, "key": "client-id"},
        "clientSecret": {"name": SSO_SECRET, "key": "client-secret"},
        "redirectUrl": _callback_path(ctx.profile),
        "scopes": ["email", "groups", "profile"],
        "sessionExpiry": ctx.profile.spec.argo_workflows.sso.session_expiry,
        "rbac": {"enabled": True},
    }


def _workflows_namespace(ctx: Context) -> str:
    """Where the workflows/ folder's objects go unless they name a namespace."""
    chosen = ctx.profile.spec.argo_workflows.gitops.namespace
    if chosen:
        return chosen
    if _namespaced(ctx):
        return NAMESPACE
    profiles = default_profiles(ctx)
    return profiles[0].name if profiles else NAMESPACE


# ------------------------------------------------------------------------------------------------ helpers


def _remote(ctx: Context, path: str) -> str:
    server = ctx.release.argo_server
    return f"{server['repoURL']}//{path}?ref={ctx.release.argo_workflows}"


def key_pair(ctx: Context, folder: Folder, pair: KeyPair, sealed_name: str, purpose: str) -> str:
    """The name of the kubeflow Secret holding ``pair``: the user's, or one sealed into ``folder``."""
    if pair.sealed is not None:
        from .sealed import seal_values

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


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ---------------------------------------------------------------------------------------------------- dex


@customizes("dex")
def dex_client_secret(ctx: Context, folder: Folder) -> None:
    """Dex's half of the argo-server client secret, in the environment the static client reads it from."""
    if not enabled(ctx.profile):
        return
    folder.add_patch({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dex", "namespace": DEX_NAMESPACE},
        "spec": {"template": {"spec": {"containers": [
            {"name": "dex", "env": [{"name": DEX_SECRET_ENV, **secret_key_ref(SSO_SECRET, "client-secret")}]}]}}},
    })
    provide(ctx, folder, "dex-argo-server-secret", DEX_NAMESPACE, [DEX_SIDE], upstream=False)


# ----------------------------------------------------------------------------------------------- pipelines


@customizes("argo-workflows")
def server(ctx: Context, folder: Folder) -> None:
    profile = ctx.profile
    argo = profile.spec.argo_workflows
    spec = ctx.release.argo_server
    rbac = spec["namespaceRBAC"] if _namespaced(ctx) else spec["clusterRBAC"]
    folder.files["upstream/kustomization.yaml"] = (
        "# Generated by argoflow-gen; rewritten at every render. The Argo Server of Argo Workflows\n"
        f"# {ctx.release.argo_workflows}, the version Kubeflow Pipelines runs. Only the server: the\n"
        "# workflow-controller and the CRDs belong to the pipelines Application.\n"
        + dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": NAMESPACE,
                "resources": [_remote(ctx, spec["server"]), _remote(ctx, rbac)]})
    )
    folder.resources.append("upstream")
    folder.add_patch(_server_patch(ctx))
    folder.add_manifests("argo-server.yaml", _exposure(ctx),
                         "The server's route on the Kubeflow gateway, and what admits the gateway to it.")
    accounts = _sso_accounts(ctx)
    if accounts:
        folder.add_manifests("sso-rbac.yaml", accounts,
                             "Who may do what in Argo Workflows: the server acts with the ServiceAccount whose "
                             "rule matches the login (spec.argoWorkflows.sso.rbac).")
    provide(ctx, folder, "argo-server-sso-secret", NAMESPACE, [SERVER_SIDE], upstream=False)
    if metrics_exposed(profile):
        scraping = profile.spec.monitoring.prometheus
        folder.add_manifests("metrics.yaml", _metrics(ctx),
                             f"Prometheus scraping of the controller and the server ({scraping}).")
    if argo.gitops.enabled:
        _workflows(ctx)


def _server_args(ctx: Context) -> list[str]:
    argo = ctx.profile.spec.argo_workflows
    args = ["server", "--auth-mode=sso"]
    if argo.client_tokens:
        args.append("--auth-mode=client")
    args += ["--secure=false", f"--basehref={argo.path}"]  # TLS ends at the gateway; the mesh encrypts the rest
    if _namespaced(ctx):
        args.append("--namespaced")
    return args


def _server_patch(ctx: Context) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": {"sidecar.istio.io/inject": "true"}}
    if metrics_exposed(ctx.profile) and ctx.profile.spec.monitoring.prometheus == "annotations":
        metadata["annotations"] = metrics_annotations(SERVER_PORT)
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "argo-server", "namespace": NAMESPACE},
        "spec": {"template": {"metadata": metadata, "spec": {
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "argo-server",
                "image": ctx.release.argo_server["image"],
                "args": _server_args(ctx),
                "readinessProbe": {"httpGet": {"scheme": "HTTP"}},
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
            }],
        }}},
    }


def _route(ctx: Context) -> dict[str, Any]:
    """The VirtualService: the path (its prefix stripped, oauth2-proxy's Authorization header dropped)."""
    argo = ctx.profile.spec.argo_workflows
    path = argo.path
    destination = {"host": f"argo-server.{NAMESPACE}.svc.cluster.local", "port": {"number": SERVER_PORT}}
    http: list[dict[str, Any]] = [
        {"name": "argo-server-slash", "match": [{"uri": {"exact": path.rstrip("/")}}], "redirect": {"uri": path}},
        {"name": "argo-server", "match": [{"uri": {"prefix": path}}], "rewrite": {"uri": "/"},
         "headers": {"request": {"remove": ["authorization"]}}, "route": [{"destination": destination}]},
    ]
    hosts = ["*"]
    if argo.host:
        # a host of its own does not get the '*' routes: bring Dex and oauth2-proxy's login to it
        hosts = [argo.host]
        http = [
            {"name": "argo-server-root", "match": [{"uri": {"exact": "/"}}], "redirect": {"uri": path}},
            *http,
            {"name": "dex", "match": [{"uri": {"prefix": "/dex/"}}],
             "route": [{"destination": {"host": f"dex.{DEX_NAMESPACE}.svc.cluster.local", "port": {"number": 5556}}}]},
            {"name": "oauth2-proxy", "match": [{"uri": {"prefix": "/oauth2/"}}],
             "route": [{"destination": {"host": "oauth2-proxy.oauth2-proxy.svc.cluster.local",
                                        "port": {"number": 80}}}]},
        ]
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"name": "argo-server", "namespace": NAMESPACE},
            "spec": {"gateways": [GATEWAY], "hosts": hosts, "http": http}}


def _dex_redirect_filter() -> dict[str, Any]:
    """Dex announces its login page under the in-cluster issuer; send browsers to the gateway's /dex/ route."""
    internal = DEX_ISSUER.rstrip("/") + "/"
    code = (
        "function envoy_on_response(response_handle)\n"
        f"  local internal = {_lua_string(internal)}\n"
        "  local location = response_handle:headers():get(\"location\")\n"
        "  if location ~= nil and string.sub(location, 1, #internal) == internal then\n"
        f"    response_handle:headers():replace(\"location\", {_lua_string('/dex/')} .. "
        "string.sub(location, #internal + 1))\n"
        "  end\n"
        "end\n"
    )
    return {
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": "argo-server-dex-login", "namespace": NAMESPACE},
        "spec": {
            "workloadSelector": {"labels": {"app": "argo-server"}},
            "configPatches": [{
                "applyTo": "HTTP_FILTER",
                "match": {"context": "SIDECAR_INBOUND", "listener": {"filterChain": {"filter": {
                    "name": "envoy.filters.network.http_connection_manager",
                    "subFilter": {"name": "envoy.filters.http.router"}}}}},
                "patch": {"operation": "INSERT_BEFORE", "value": {
                    "name": "envoy.filters.http.lua",
                    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                                     "defaultSourceCode": {"inlineString": code}}}},
            }],
        },
    }


def _exposure(ctx: Context) -> list[dict[str, Any]]:
    documents = [
        _route(ctx),
        {"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "argo-server", "namespace": NAMESPACE},
         "spec": {"action": "ALLOW", "selector": {"matchLabels": {"app": "argo-server"}},
                  "rules": [{"from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}],
                             "to": [{"operation": {"ports": [str(SERVER_PORT)]}}]}]}},
        _dex_redirect_filter(),
    ]
    if ctx.profile.spec.kubeflow.on("network-policies"):
        documents.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "argo-server", "namespace": NAMESPACE},
            "spec": {"podSelector": {"matchLabels": {"app": "argo-server"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [
                         {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}},
                         {"podSelector": {}}]}]},
        })
    return documents


def _rbac_rule(subjects: ArgoSubjects) -> str:
    """An Argo SSO RBAC rule (an expr expression over the login's claims); values are JSON string literals."""
    parts = []
    if subjects.users:
        parts.append(f"email in {json.dumps(list(subjects.users))}")
    if subjects.groups:  # no groups claim at all must not be an error
        parts.append(f"(groups != nil && any(groups, {{# in {json.dumps(list(subjects.groups))}}}))")
    return " || ".join(parts)


def _sso_accounts(ctx: Context) -> list[dict[str, Any]]:
    rbac = ctx.profile.spec.argo_workflows.sso.rbac
    accounts: list[tuple[str, str, str, str]] = []  # name, rule, precedence, role
    if rbac.admin:
        accounts.append(("argo-workflows-admin", _rbac_rule(rbac.admin), "2", "admin"))
    if rbac.read_only:
        accounts.append(("argo-workflows-read-only", _rbac_rule(rbac.read_only), "1", "read-only"))
    if rbac.others == "read-only":
        accounts.append(("argo-workflows-everyone", "true", "0", "read-only"))
    cluster = not _namespaced(ctx)
    role_kind = "ClusterRole" if cluster else "Role"
    labels = {"app.kubernetes.io/part-of": "argo-workflows", "app.kubernetes.io/managed-by": "argoflow-gen"}
    documents: list[dict[str, Any]] = []
    for role in sorted({role for *_rest, role in accounts}):
        metadata: dict[str, Any] = {"name": f"argo-workflows-sso-{role}", "labels": labels}
        if not cluster:
            metadata["namespace"] = NAMESPACE
        documents.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": role_kind, "metadata": metadata,
                          "rules": ROLE_RULES[role]})
    for name, rule, precedence, role in accounts:
        documents.append({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels,
                                       "annotations": {"workflows.argoproj.io/rbac-rule": rule,
                                                       "workflows.argoproj.io/rbac-rule-precedence": precedence}}})
        # the server reads the account's token from this Secret (Kubernetes makes none by itself since 1.24)
        documents.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                          "metadata": {"name": f"{name}.service-account-token", "namespace": NAMESPACE,
                                       "labels": labels, "annotations": {"kubernetes.io/service-account.name": name}}})
        binding: dict[str, Any] = {"name": name, "labels": labels}
        if not cluster:
            binding["namespace"] = NAMESPACE
        documents.append({"apiVersion": "rbac.authorization.k8s.io/v1",
                          "kind": "ClusterRoleBinding" if cluster else "RoleBinding", "metadata": binding,
                          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind,
                                      "name": f"argo-workflows-sso-{role}"},
                          "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]})
    return documents


def _metrics(ctx: Context) -> list[dict[str, Any]]:
    """Annotations are on the pods (Istio merges them into its own endpoint, port 15020); ServiceMonitors
    scrape the pods directly, past the mesh's deny-all default."""
    profile = ctx.profile
    documents: list[dict[str, Any]] = []
    targets = [("workflow-controller", CONTROLLER_METRICS_PORT), ("argo-server", SERVER_PORT)]
    service_monitors = profile.spec.monitoring.prometheus == "serviceMonitor"
    if service_monitors:
        for app, port in targets:
            name = f"{app}-metrics"
            labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "argo-workflows"}
            documents.append({"apiVersion": "v1", "kind": "Service",
                              "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
                              "spec": {"selector": {"app": app},
                                       "ports": [{"name": "metrics", "port": port, "targetPort": port,
                                                  "appProtocol": "http"}]}})
            documents.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                              "metadata": {"name": app, "namespace": NAMESPACE,
                                           "labels": {**labels, **profile.spec.monitoring.service_monitor_labels},
                                           "annotations": SKIP_DRY_RUN},
                              "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                                       "namespaceSelector": {"matchNames": [NAMESPACE]},
                                       "endpoints": [{"port": "metrics", "path": "/metrics", "scheme": "http",
                                                      "interval": "30s"}]}})
            documents.append({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
                              "metadata": {"name": name, "namespace": NAMESPACE},
                              "spec": {"action": "ALLOW", "selector": {"matchLabels": {"app": app}},
                                       "rules": [{"to": [{"operation": {"ports": [str(port)], "methods": ["GET"],
                                                                        "paths": ["/metrics"]}}]}]}})
    if profile.spec.kubeflow.on("network-policies"):
        for app, port in targets:
            documents.append({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": f"{app}-metrics", "namespace": NAMESPACE},
                "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"namespaceSelector": {}}],
                                      "ports": [{"port": port if service_monitors else ISTIO_METRICS_PORT,
                                                 "protocol": "TCP"}]}]},
            })
    return documents


# ------------------------------------------------------------------------------------ the workflows/ folder


def _workflows(ctx: Context) -> None:
    """The workflows/ folder (seeded once: the user's from then on) and the Application that syncs it."""
    profile = ctx.profile
    namespace = _workflows_namespace(ctx)
    account = "pipeline-runner" if _namespaced(ctx) else "default-editor"
    ctx.seeds[f"{WORKFLOWS_DIR}/kustomization.yaml"] = render_template(
        "workflows/kustomization.yaml.j2", namespace=namespace, app=WORKFLOWS_APP)
    ctx.seeds[f"{WORKFLOWS_DIR}/xgboost-training.yaml"] = render_template(
        "workflows/xgboost-training.yaml.j2", service_account=account)
    ctx.seeds[f"{WORKFLOWS_DIR}/xgboost-nightly.yaml"] = render_template("workflows/xgboost-nightly.yaml.j2")
    wave = int(ctx.release.argo_server["workflowsWave"])
    ctx.apps.append(App(
        name=WORKFLOWS_APP, namespace=namespace, wave=wave,
        source={"repoURL": profile.spec.repo.url, "targetRevision": profile.spec.repo.revision,
                "path": profile.spec.repo.join(WORKFLOWS_DIR)},
        sync_policy=sync_policy(profile),
        annotations={"argocd.argoproj.io/sync-wave": str(wave)},
    ))
