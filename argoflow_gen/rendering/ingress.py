"""How users reach Kubeflow: the gateway Service type, the gateway's hosts and TLS server, the certificate
and its issuer, and the Knative/KServe domain."""

from __future__ import annotations

import json
from typing import Any

from .components import customizes
from .context import Context, ExpectedSecret
from .model import Folder

GATEWAY_NAMESPACE = "istio-system"  # Istio resolves credentialName where the gateway workload runs
CERTIFICATE_SECRET = "kubeflow-gateway-tls"
SELF_SIGNED_ISSUER = "kubeflow-self-signing-issuer"
ACME_ISSUER = "kubeflow-letsencrypt"


def tls_secret(ctx: Context) -> str:
    tls = ctx.profile.ingress.tls
    return tls.secret_name if tls.mode == "existing-secret" and tls.secret_name else CERTIFICATE_SECRET


@customizes("istio")
def gateway_service(ctx: Context, folder: Folder) -> None:
    service_type = ctx.profile.ingress.service_type
    if service_type != "ClusterIP":
        folder.add_patch({"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "istio-ingressgateway", "namespace": GATEWAY_NAMESPACE},
                          "spec": {"type": service_type}})


def _issuer(ctx: Context) -> dict[str, Any]:
    tls = ctx.profile.ingress.tls
    le = tls.letsencrypt
    assert le is not None
    if le.solver == "http01":
        solver: dict[str, Any] = {"http01": {"ingress": {"ingressClassName": "istio"}}}
    else:
        token = le.cloudflare_api_token
        assert token is not None
        if token.sealed is not None:
            from .sealed import seal_values

            name, key = "cloudflare-api-token", "api-token"
            seal_values(ctx, ctx.folders["kubeflow-istio-resources"], "cert-manager", name, {key: token.sealed})
        else:
            name, key = token.existing_secret or "", token.key or "api-token"
            ctx.expected_secrets.append(ExpectedSecret(
                namespace="cert-manager", name=name, keys=(key,),
                purpose="the Cloudflare API token cert-manager answers DNS-01 challenges with",
            ))
        solver = {"dns01": {"cloudflare": {"apiTokenSecretRef": {"name": name, "key": key}}}}
    return {
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": ACME_ISSUER},
        "spec": {"acme": {"email": le.email, "server": le.server,
                          "privateKeySecretRef": {"name": f"{ACME_ISSUER}-account-key"},
                          "solvers": [solver]}},
    }


@customizes("kubeflow-istio-resources")
def gateway(ctx: Context, folder: Folder) -> None:
    ingress = ctx.profile.ingress
    mode = ingress.tls.mode
    if mode == "none":
        return
    hosts = list(ingress.hosts)
    server = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts,
              "tls": {"mode": "SIMPLE", "credentialName": tls_secret(ctx)}}
    folder.add_patch([{"op": "add", "path": "/spec/servers/-", "value": server}],
                     {"group": "networking.istio.io", "kind": "Gateway", "name": "kubeflow-gateway"})
    redirect = not (mode == "letsencrypt" and ingress.tls.letsencrypt and ingress.tls.letsencrypt.solver == "http01")
    if redirect:
        folder.add_patch([{"op": "add", "path": "/spec/servers/0/tls", "value": {"httpsRedirect": True}}],
                         {"group": "networking.istio.io", "kind": "Gateway", "name": "kubeflow-gateway"})
    if mode == "existing-secret":
        ctx.expected_secrets.append(ExpectedSecret(
            namespace=GATEWAY_NAMESPACE, name=tls_secret(ctx), keys=("tls.crt", "tls.key"),
            purpose="the gateway's TLS certificate", type="kubernetes.io/tls",
        ))
        return
    documents: list[dict[str, Any]] = []
    issuer = SELF_SIGNED_ISSUER
    if mode == "letsencrypt":
        documents.append(_issuer(ctx))
        issuer = ACME_ISSUER
    documents.append({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "kubeflow-gateway", "namespace": GATEWAY_NAMESPACE},
        "spec": {"secretName": CERTIFICATE_SECRET, "commonName": hosts[0], "dnsNames": hosts,
                 "issuerRef": {"kind": "ClusterIssuer", "name": issuer, "group": "cert-manager.io"}},
    })
    folder.add_manifests("certificate.yaml", documents, f"The gateway's certificate ({mode}).")


@customizes("knative-serving")
def knative_domain(ctx: Context, folder: Folder) -> None:
    domain = ctx.profile.ingress.domain
    if not domain:
        return
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "config-domain", "namespace": "knative-serving"},
                      "data": {"example.com": None, domain: ""}})


@customizes("kserve")
def kserve_domain(ctx: Context, folder: Folder) -> None:
    domain = ctx.profile.ingress.domain
    if not domain:
        return
    ingress = dict(ctx.release.kserve_ingress)
    ingress["ingressDomain"] = domain
    ingress["urlScheme"] = "https" if ctx.tls else "http"
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "inferenceservice-config", "namespace": "kubeflow"},
                      "data": {"ingress": json.dumps(ingress, indent=2)}})
