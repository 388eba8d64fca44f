"""How users reach Kubeflow: the gateway Service type, the gateway's hosts and TLS server, the certificate
and its issuer, and the Knative/KServe domain."""

from __future__ import annotations

import json
from typing import Any

from ..rules import is_example_host
from .acme import ACME_ISSUER, cluster_issuer, http01, wildcard_allowed
from .components import customizes
from .context import Context, ExpectedSecret
from .model import Folder

GATEWAY_NAMESPACE = "istio-system"  # Istio resolves credentialName where the gateway workload runs
CERTIFICATE_SECRET = "kubeflow-gateway-tls"
SELF_SIGNED_ISSUER = "kubeflow-self-signing-issuer"


def model_hosts(ctx: Context) -> list[str]:
    """``*.DOMAIN`` for KServe's NAME-NAMESPACE.DOMAIN hosts, where a certificate can name it: a domain of at
    least two labels (no wildcard over a top-level name), and no HTTP-01 issuer (which cannot get one)."""
    domain = ctx.profile.spec.ingress.domain
    if not (domain and ctx.profile.spec.kubeflow.on("kserve") and wildcard_allowed(ctx)):
        return []
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return []
    return [f"*.{domain}"]


def tls_secret(ctx: Context) -> str:
    tls = ctx.profile.spec.ingress.tls
    return tls.secret_name if tls.mode == "existing-secret" and tls.secret_name else CERTIFICATE_SECRET


@customizes("istio")
def gateway_service(ctx: Context, folder: Folder) -> None:
    """The gateway Service's type and load balancer settings, its autoscaler's bounds, the proxies it trusts."""
    ingress = ctx.profile.spec.ingress
    settings = ingress.gateway
    metadata: dict[str, Any] = {"name": "istio-ingressgateway", "namespace": GATEWAY_NAMESPACE}
    spec: dict[str, Any] = {}
    if ingress.service_type != "ClusterIP":
        spec["type"] = ingress.service_type
    if settings.load_balancer_ip:
        spec["loadBalancerIP"] = settings.load_balancer_ip
    if settings.load_balancer_source_ranges:
        spec["loadBalancerSourceRanges"] = list(settings.load_balancer_source_ranges)
    if settings.external_traffic_policy:
        spec["externalTrafficPolicy"] = settings.external_traffic_policy
    if settings.annotations:
        metadata["annotations"] = dict(sorted(settings.annotations.items()))
    if spec or "annotations" in metadata:
        folder.add_patch({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec})
    bounds = {key: value for key, value in (("minReplicas", settings.min_replicas),
                                            ("maxReplicas", settings.max_replicas)) if value is not None}
    if bounds:
        folder.add_patch({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                          "metadata": {"name": "istio-ingressgateway", "namespace": GATEWAY_NAMESPACE},
                          "spec": bounds})
    if settings.trusted_proxies is not None:
        topology = json.dumps({"gatewayTopology": {"numTrustedProxies": settings.trusted_proxies}})
        folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                          "metadata": {"name": "istio-ingressgateway", "namespace": GATEWAY_NAMESPACE},
                          "spec": {"template": {"metadata": {"annotations": {"proxy.istio.io/config": topology}}}}})


def warn_example_names(ctx: Context) -> None:
    """Host names reserved for examples (preset:base's kubeflow.example.com) render, but never silently."""
    ingress = ctx.profile.spec.ingress
    le = ingress.tls.letsencrypt if ingress.tls.mode == "letsencrypt" else None
    named = [("spec.ingress.domain", ingress.domain)] if ingress.domain else []
    named += [(f"spec.ingress.extraHosts[{index}]", host) for index, host in enumerate(ingress.extra_hosts)]
    for where, host in named:
        if host and is_example_host(host):
            refused = ", and Let's Encrypt will not issue a certificate for it" if le else ""
            ctx.warnings.append(f"{where}: {host} is an example host name: users reach Kubeflow there only through "
                                f"an entry in their hosts file{refused} (set your own domain)")
    if le and is_example_host(le.email.rpartition("@")[2]):
        ctx.warnings.append(f"spec.ingress.tls.letsencrypt.email: Let's Encrypt refuses an account e-mail at "
                            f"{le.email.rpartition('@')[2]} (set your own address)")


@customizes("kubeflow-istio-resources")
def gateway(ctx: Context, folder: Folder) -> None:
    ingress = ctx.profile.spec.ingress
    mode = ingress.tls.mode
    if mode == "none":
        return
    hosts = [*ingress.hosts, *model_hosts(ctx)]
    server = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts,
              "tls": {"mode": "SIMPLE", "credentialName": tls_secret(ctx)}}
    folder.add_patch([{"op": "add", "path": "/spec/servers/-", "value": server}],
                     {"group": "networking.istio.io", "kind": "Gateway", "name": "kubeflow-gateway"})
    if not http01(ctx):  # HTTP-01 needs port 80 answered as it is, at the first issue and every renewal
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
        documents.append(cluster_issuer(ctx, folder))
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
    domain = ctx.profile.spec.ingress.domain
    if not domain:
        return
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "config-domain", "namespace": "knative-serving"},
                      "data": {"example.com": None, domain: ""}})


@customizes("kserve")
def kserve_domain(ctx: Context, folder: Folder) -> None:
    domain = ctx.profile.spec.ingress.domain
    if not domain:
        return
    ingress = dict(ctx.release.kserve_ingress)
    ingress["ingressDomain"] = domain
    ingress["urlScheme"] = "https" if ctx.tls else "http"
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "inferenceservice-config", "namespace": "kubeflow"},
                      "data": {"ingress": json.dumps(ingress, indent=2)}})
