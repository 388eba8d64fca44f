"""Let's Encrypt: the ClusterIssuer and how it answers the ACME challenge.

HTTP-01: cert-manager makes a solver Ingress of class ``istio`` (the ``kubernetes.io/ingress.class``
annotation, which Istio's ingress controller serves on the ingress gateway without an IngressClass object),
and the gateway's oauth2-proxy policies let ``/.well-known/acme-challenge/`` through unauthenticated. Port 80
is not redirected to HTTPS, so the challenge is reachable before a certificate exists and at every renewal.

DNS-01: Cloudflare, AWS Route53, Google Cloud DNS or Azure DNS; credentials are a Secret the user creates
in namespace ``cert-manager`` (the ClusterIssuer's resource namespace), one sealed into the tree, or none
(the ambient identity of cert-manager's pod).
"""

from __future__ import annotations

from typing import Any

from ..profile import KeyPair, LetsEncrypt, SecretRef
from .components import customizes
from .context import Context
from .credentials import key_pair, secret_ref
from .model import Folder

ACME_ISSUER = "kubeflow-letsencrypt"
SECRET_NAMESPACE = "cert-manager"  # where cert-manager reads a ClusterIssuer's Secrets
CHALLENGE_PATH = "/.well-known/acme-challenge/*"
#: The gateway's policies that would answer the challenge with a login page or a 403.
GATEWAY_POLICIES = ("istio-ingressgateway-oauth2-proxy", "istio-ingressgateway-require-jwt")


def http01(ctx: Context) -> bool:
    tls = ctx.profile.spec.ingress.tls
    return tls.mode == "letsencrypt" and tls.letsencrypt is not None and tls.letsencrypt.solver == "http01"


def wildcard_allowed(ctx: Context) -> bool:
    """Can the gateway's certificate name ``*.DOMAIN``? Not when Let's Encrypt validates by HTTP-01: it issues
    wildcards only against a DNS-01 challenge. (A certificate the user brings is theirs to make cover it.)"""
    return ctx.profile.spec.ingress.tls.mode != "none" and not http01(ctx)


def cluster_issuer(ctx: Context, folder: Folder) -> dict[str, Any]:
    le = ctx.profile.spec.ingress.tls.letsencrypt
    assert le is not None
    return {
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": ACME_ISSUER},
        "spec": {"acme": {"email": le.email, "server": le.directory,
                          "privateKeySecretRef": {"name": f"{ACME_ISSUER}-account-key"},
                          "solvers": [_solver(ctx, folder, le)]}},
    }


def _solver(ctx: Context, folder: Folder, le: LetsEncrypt) -> dict[str, Any]:
    if le.solver == "http01":
        return {"http01": {"ingress": {"class": "istio"}}}
    if le.solver == "dns01-cloudflare":
        assert le.cloudflare_api_token is not None
        name, key = _secret(ctx, folder, le.cloudflare_api_token, "cloudflare-api-token", "api-token",
                            "the Cloudflare API token cert-manager answers DNS-01 challenges with")
        return {"dns01": {"cloudflare": {"apiTokenSecretRef": {"name": name, "key": key}}}}
    if le.solver == "dns01-route53":
        return {"dns01": {"route53": _route53(ctx, folder, le)}}
    if le.solver == "dns01-clouddns":
        return {"dns01": {"cloudDNS": _cloud_dns(ctx, folder, le)}}
    return {"dns01": {"azureDNS": _azure_dns(ctx, folder, le)}}


def _route53(ctx: Context, folder: Folder, le: LetsEncrypt) -> dict[str, Any]:
    route53 = le.route53
    assert route53 is not None
    settings: dict[str, Any] = {"region": route53.region}
    if route53.hosted_zone_id:
        settings["hostedZoneID"] = route53.hosted_zone_id
    if route53.role:
        settings["role"] = route53.role
    if route53.credentials is not None:
        pair = route53.credentials.pair("access-key-id", "secret-access-key")
        name = _pair(ctx, folder, pair, "route53-credentials",
                     "the AWS access key pair cert-manager answers DNS-01 challenges in Route53 with")
        access, secret = pair.keys
        settings["accessKeyIDSecretRef"] = {"name": name, "key": access}
        settings["secretAccessKeySecretRef"] = {"name": name, "key": secret}
    return settings


def _cloud_dns(ctx: Context, folder: Folder, le: LetsEncrypt) -> dict[str, Any]:
    cloud_dns = le.cloud_dns
    assert cloud_dns is not None
    settings: dict[str, Any] = {"project": cloud_dns.project}
    if cloud_dns.hosted_zone_name:
        settings["hostedZoneName"] = cloud_dns.hosted_zone_name
    if cloud_dns.service_account_key is not None:
        name, key = _secret(ctx, folder, cloud_dns.service_account_key, "clouddns-service-account", "key.json",
                            "the Google service account key cert-manager answers DNS-01 challenges in Cloud DNS "
                            "with")
        settings["serviceAccountSecretRef"] = {"name": name, "key": key}
    return settings


def _azure_dns(ctx: Context, folder: Folder, le: LetsEncrypt) -> dict[str, Any]:
    azure = le.azure_dns
    assert azure is not None
    settings: dict[str, Any] = {"subscriptionID": azure.subscription_id, "resourceGroupName": azure.resource_group_name}
    if azure.hosted_zone_name:
        settings["hostedZoneName"] = azure.hosted_zone_name
    if azure.environment:
        settings["environment"] = azure.environment
    if azure.service_principal is not None:
        principal = azure.service_principal
        name, key = _secret(ctx, folder, principal.client_secret, "azuredns-client-secret", "client-secret",
                            f"the secret of Azure service principal {principal.client_id}, with which "
                            "cert-manager answers DNS-01 challenges in Azure DNS")
        settings.update({"clientID": principal.client_id, "tenantID": principal.tenant_id,
                         "clientSecretSecretRef": {"name": name, "key": key}})
    elif azure.managed_identity is not None:
        settings["managedIdentity"] = dict(azure.managed_identity)
    return settings


def _secret(ctx: Context, folder: Folder, ref: SecretRef, sealed_name: str, default_key: str,
            purpose: str) -> tuple[str, str]:
    return secret_ref(ctx, folder, SECRET_NAMESPACE, ref, sealed_name, default_key, purpose)


def _pair(ctx: Context, folder: Folder, pair: KeyPair, sealed_name: str, purpose: str) -> str:
    return key_pair(ctx, folder, SECRET_NAMESPACE, pair, sealed_name, purpose)


@customizes("oauth2-proxy")
def challenge_path(ctx: Context, folder: Folder) -> None:
    """Let Let's Encrypt's HTTP-01 request through the gateway's login (CUSTOM) and token (DENY) policies."""
    if not http01(ctx):
        return
    for name in GATEWAY_POLICIES:
        folder.add_patch([{"op": "add", "path": "/spec/rules/0/to/0/operation/notPaths/-", "value": CHALLENGE_PATH}],
                         {"group": "security.istio.io", "kind": "AuthorizationPolicy", "name": name,
                          "namespace": "istio-system"})
