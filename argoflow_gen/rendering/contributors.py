"""The contributors of each user namespace, kept in git: the objects Kubeflow's access management (KFAM) creates
when an owner adds a contributor from the dashboard, so the dashboard lists them and Argo CD keeps them.

A user contributor gets exactly KFAM's pair: a RoleBinding to the ClusterRole ``kubeflow-<role>`` and an Istio
AuthorizationPolicy that lets requests through when the gateway's ``kubeflow-userid`` header names the user, both
named ``user-<e-mail>-clusterrole-<role>`` and annotated ``{user, role}``.

A group contributor gets the same pair named ``group-<group>-clusterrole-<role>``, annotated ``{group, role}``
(KFAM lists only bindings annotated ``user`` as the owner's contributors, so the dashboard neither shows nor
removes them): the RoleBinding's subject is the Group, and the AuthorizationPolicy matches the Dex token's
``groups`` claim (Istio matches a list claim when any element does; a header holds the groups comma-joined, which
no policy can test for one group). A claim is known only where the token is checked, so the namespace also gets
a RequestAuthentication with the gateway's own issuers: every token the gateway accepts is accepted there too,
and a request without a token is let through to the policies as before. The gateway forwards the token it checked
(upstream's ``dex-jwt`` and ``m2m-token-issuer`` rules set ``forwardOriginalToken``).
"""

from __future__ import annotations

from typing import Any

from ..profile import UserProfile
from ..profile.workloads import Contributor
from .auth import DEX_ISSUER
from .context import Context

#: What upstream's profiles-config gives KFAM (the same at every release): the header the gateway fills with
#: the login's e-mail, the prefix KFAM puts before it (none behind oauth2-proxy), and the principals its
#: policies admit.
USERID_HEADER = "kubeflow-userid"
USERID_PREFIX = ""
GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
KFP_UI_PRINCIPAL = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
#: The RequestAuthentication a namespace with group contributors gets.
TOKENS = "gateway-jwt"
RBAC = "rbac.authorization.k8s.io"
#: After the Profiles: their controller makes the namespaces.
WAVE = {"argocd.argoproj.io/sync-wave": "1"}
_BEARER = {"fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}], "forwardOriginalToken": True}
_CLUSTER_JWKS = "http://cluster-jwks-proxy.istio-system.svc.cluster.local/openid/v1/jwks"
#: The machine-token issuers each oauth2-proxy variant adds to the gateway (upstream's istio-m2m component and
#: its overlays' patches); ``eks`` stands for the profile's eksIssuer.
M2M_ISSUERS: dict[str, tuple[dict[str, str], ...]] = {
    "m2m-dex-only": (),
    "m2m-dex-and-kind": ({"issuer": "https://kubernetes.default.svc.cluster.local", "jwksUri": _CLUSTER_JWKS},
                         {"issuer": "https://kubernetes.default.svc", "jwksUri": _CLUSTER_JWKS}),
    "m2m-dex-and-eks": ({"issuer": "eks"},),
}


def contributor_objects(ctx: Context, profile: UserProfile) -> list[dict[str, Any]]:
    """The RoleBindings and AuthorizationPolicies of a profile's contributors, then its RequestAuthentication
    when a group is among them."""
    objects: list[dict[str, Any]] = []
    for contributor in profile.contributors:
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                        "metadata": _metadata(profile.name, contributor),
                        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": f"kubeflow-{contributor.role}"},
                        "subjects": [{"apiGroup": RBAC, "kind": contributor.kind, "name": contributor.subject}]})
        objects.append({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
                        "metadata": _metadata(profile.name, contributor), "spec": {"rules": [_rule(contributor)]}})
    if any(contributor.group is not None for contributor in profile.contributors):
        objects.append({"apiVersion": "security.istio.io/v1beta1", "kind": "RequestAuthentication",
                        "metadata": {"name": TOKENS, "namespace": profile.name, "annotations": dict(WAVE)},
                        "spec": {"jwtRules": gateway_rules(ctx)}})
    return objects


def _metadata(namespace: str, contributor: Contributor) -> dict[str, Any]:
    annotations = {"role": contributor.role, contributor.kind.lower(): contributor.subject, **WAVE}
    return {"name": contributor.object_name, "namespace": namespace, "annotations": annotations}


def _rule(contributor: Contributor) -> dict[str, Any]:
    if contributor.user is not None:  # KFAM's rule, as it writes it
        return {"from": [{"source": {"principals": [GATEWAY_PRINCIPAL, KFP_UI_PRINCIPAL]}}],
                "when": [{"key": f"request.headers[{USERID_HEADER}]",
                          "values": [USERID_PREFIX + contributor.user]}]}
    return {"from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}],
            "when": [{"key": "request.auth.claims[groups]", "values": [contributor.subject]}]}


def gateway_rules(ctx: Context) -> list[dict[str, Any]]:
    """The issuers the gateway accepts tokens of (Dex's, and the variant's machine tokens), each read from the
    Authorization header and passed on."""
    component = ctx.profile.spec.kubeflow.components["oauth2-proxy"]
    rules = [{"issuer": DEX_ISSUER, **_BEARER}]
    for issuer in M2M_ISSUERS[component.options.get("variant", "m2m-dex-only")]:
        rule = dict(issuer)
        if rule["issuer"] == "eks":
            rule["issuer"] = component.eks_issuer or ""
        rules.append({**rule, **_BEARER})
    return rules
