"""Argo Workflows' single sign-on through the in-cluster Dex: the ``argo-server`` static client in Dex's config,
both halves of its client secret, the ``sso`` section the server reads, and the ServiceAccounts a login is
matched to (``spec.argoWorkflows.sso``)."""

from __future__ import annotations

import json
from typing import Any

from ..profile import ArgoSubjects, Profile
from .argoworkflows import NAMESPACE, enabled, namespaced, secret_key_ref
from .auth import DEX_ISSUER, DEX_NAMESPACE, dex_client
from .components import customizes
from .context import Context
from .model import Folder
from .randomsecrets import provide
from .randomspec import RandomSecret, Value, register

CLIENT_ID = "argo-server"
SSO_SECRET = "argo-server-sso"
DEX_SECRET_ENV = "ARGO_SERVER_CLIENT_SECRET"

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



def callback_path(profile: Profile) -> str:
    """The SSO redirect URL: relative, so it works on every host the gateway serves."""
    return profile.spec.argo_workflows.path + "oauth2/callback"


@dex_client("argo-workflows")
def dex_static_client(profile: Profile) -> dict[str, Any]:
    """The argo-server client in Dex's staticClients; its secret comes from the environment."""
    return {"id": CLIENT_ID, "name": "Argo Workflows", "secretEnv": DEX_SECRET_ENV,
            "redirectURIs": [callback_path(profile)]}


def sso_config(ctx: Context) -> dict[str, Any]:
    """The ``sso`` section of workflow-controller-configmap, which the server reads."""
    return {
        "issuer": DEX_ISSUER,
        "clientId": {"name": SSO_SECRET, "key": "client-id"},
        "clientSecret": {"name": SSO_SECRET, "key": "client-secret"},
        "redirectUrl": callback_path(ctx.profile),
        "scopes": ["email", "groups", "profile"],
        "sessionExpiry": ctx.profile.spec.argo_workflows.sso.session_expiry,
        "rbac": {"enabled": True},
    }


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


def _rbac_rule(subjects: ArgoSubjects) -> str:
    """An Argo SSO RBAC rule (an expr expression over the login's claims); values are JSON string literals."""
    parts = []
    if subjects.users:
        parts.append(f"email in {json.dumps(list(subjects.users))}")
    if subjects.groups:  # no groups claim at all must not be an error
        parts.append(f"(groups != nil && any(groups, {{# in {json.dumps(list(subjects.groups))}}}))")
    return " || ".join(parts)


def sso_accounts(ctx: Context) -> list[dict[str, Any]]:
    rbac = ctx.profile.spec.argo_workflows.sso.rbac
    accounts: list[tuple[str, str, str, str]] = []  # name, rule, precedence, role
    if rbac.admin:
        accounts.append(("argo-workflows-admin", _rbac_rule(rbac.admin), "2", "admin"))
    if rbac.read_only:
        accounts.append(("argo-workflows-read-only", _rbac_rule(rbac.read_only), "1", "read-only"))
    if rbac.others == "read-only":
        accounts.append(("argo-workflows-everyone", "true", "0", "read-only"))
    cluster = not namespaced(ctx)
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

