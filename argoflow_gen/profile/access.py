"""Access: how users reach Kubeflow (the gateway, TLS, Let's Encrypt) and who can log in."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from .common import (
    AccessKeys,
    DnsSubdomain,
    Email,
    Hostname,
    HttpsUrl,
    NonEmpty,
    SecretRef,
    Uuid,
)
from .connectors import Connector
from .declare import prop, record, scalar

#: Where each ``server`` shorthand of Let's Encrypt points.
ACME_SERVERS = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}


@record()
class Route53:
    """DNS-01 through AWS Route53; no credentials: the ambient ones of cert-manager's pod (IRSA, the node)."""

    region: str = prop("an AWS region such as us-east-1", required=True, pattern="^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    hosted_zone_id: str | None = prop(
        "a Route53 hosted zone ID such as Z2ABCDEFGHIJKL (found from the domain when left out)", key="hostedZoneID",
        pattern="^[A-Z0-9]{1,32}$", default=None)
    role: str | None = prop(
        "an IAM role ARN for cert-manager to assume, such as arn:aws:iam::123456789012:role/dns",
        pattern="^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", default=None)
    credentials: AccessKeys | None = prop(
        "an IAM access key pair, in namespace cert-manager; leave it out to use cert-manager's ambient AWS "
        "credentials (IRSA, EKS Pod Identity, the node's instance profile)", default=None)


@record()
class CloudDNS:
    """DNS-01 through Google Cloud DNS; no key: the ambient identity of cert-manager's pod (Workload Identity)."""

    project: str = prop("a Google Cloud project ID such as acme-dns-1234", required=True,
                        pattern="^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    hosted_zone_name: str | None = prop(
        "a Cloud DNS managed zone name such as acme-example (found from the domain when left out)",
        pattern="^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", default=None)
    service_account_key: SecretRef | None = prop(
        "a service account's JSON key, in namespace cert-manager (key key.json unless given); leave it out to use "
        "cert-manager's ambient identity (Workload Identity)", default=None)


@record(min_properties=1, max_properties=1)
class ManagedIdentity:
    client_id: Uuid | None = prop("an Azure client ID (a UUID)", key="clientID", default=None)
    resource_id: str | None = prop("an Azure resource ID such as /subscriptions/.../userAssignedIdentities/NAME",
                                   key="resourceID", pattern="^/subscriptions/.+", default=None)


@record()
class AzureServicePrincipal:
    client_id: Uuid = prop("an Azure client ID (a UUID)", key="clientID", required=True)
    tenant_id: Uuid = prop("an Azure tenant ID (a UUID)", key="tenantID", required=True)
    client_secret: SecretRef = prop(
        "the service principal's secret, in namespace cert-manager (key client-secret unless given)", required=True)


@record()
class AzureDNS:
    """DNS-01 through Azure DNS: a service principal, a managed identity, or the pod's ambient identity."""

    subscription_id: Uuid = prop("an Azure subscription ID (a UUID)", key="subscriptionID", required=True)
    resource_group_name: str = prop("an Azure resource group name", required=True, pattern=r"^[-\w._()]{1,90}$")
    hosted_zone_name: Hostname | None = prop(
        "the DNS zone, such as acme.example.com (found from the domain when left out)", default=None)
    environment: str | None = prop(
        "the Azure cloud (AzurePublicCloud when left out)", default=None,
        enum=("AzurePublicCloud", "AzureChinaCloud", "AzureGermanCloud", "AzureUSGovernmentCloud"))
    managed_identity: Annotated[Mapping[str, str], ManagedIdentity] | None = prop(
        "a user-assigned managed identity: exactly one of clientID or resourceID", default=None)
    service_principal: AzureServicePrincipal | None = prop("a service principal", default=None)


@record()
class LetsEncrypt:
    email: Email = prop("the ACME account e-mail", required=True)
    server: str = prop("staging, production, or an ACME directory URL", default="staging", format="acme-server")
    solver: str = prop(
        "how the ACME challenge is answered: http01 (Let's Encrypt reaches the gateway on port 80; no wildcard "
        "names) or DNS-01 through Cloudflare, AWS Route53, Google Cloud DNS or Azure DNS (the matching block below)",
        default="http01", enum=("http01", "dns01-cloudflare", "dns01-route53", "dns01-clouddns", "dns01-azuredns"))
    cloudflare_api_token: SecretRef | None = prop(
        "the Cloudflare API token (solver dns01-cloudflare), in namespace cert-manager", default=None)
    route53: Route53 | None = prop("AWS Route53 (solver dns01-route53)", default=None,
                                   example="{region: us-east-1, credentials: {existingSecret: route53-credentials}}")
    cloud_dns: CloudDNS | None = prop("Google Cloud DNS (solver dns01-clouddns)", key="cloudDNS", default=None)
    azure_dns: AzureDNS | None = prop(
        "Azure DNS (solver dns01-azuredns); with neither servicePrincipal nor managedIdentity, cert-manager's ambient "
        "identity (AKS workload identity)", key="azureDNS", default=None)

    @property
    def directory(self) -> str:
        """The ACME directory URL ``server`` names."""
        return ACME_SERVERS.get(self.server, self.server)


@record()
class TLS:
    mode: str = prop("where the gateway's certificate comes from", default="self-signed",
                     enum=("self-signed", "letsencrypt", "existing-secret", "none"))
    letsencrypt: LetsEncrypt | None = prop("Let's Encrypt settings (mode letsencrypt)", default=None)
    secret_name: DnsSubdomain | None = prop("a kubernetes.io/tls Secret in istio-system (mode existing-secret)",
                                            default=None)


IP = r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$"
Cidr = Annotated[str, scalar(type="string", description="an address range, as CIDR (10.0.0.0/8)",
                             pattern=r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)/[0-9]{1,3}$")]


@record()
class Gateway:
    load_balancer_ip: str | None = prop("the address the cloud load balancer takes (where the provider honours it)",
                                        key="loadBalancerIP", default=None, pattern=IP)
    load_balancer_source_ranges: tuple[Cidr, ...] = prop(
        "the client address ranges the load balancer admits", default=(), unique_items=True)
    annotations: Mapping[str, str] = prop(
        "annotations of the gateway Service (a cloud load balancer's type, scheme or certificate)",
        default_factory=lambda: MappingProxyType({}))
    external_traffic_policy: str | None = prop(
        "Local keeps the client's source address (and skips a hop); Cluster spreads traffic over every node",
        default=None, enum=("Cluster", "Local"))
    min_replicas: int | None = prop("the fewest gateway pods (its autoscaler's minimum)", default=None, minimum=1,
                                    maximum=100)
    max_replicas: int | None = prop("the most gateway pods (its autoscaler's maximum)", default=None, minimum=1,
                                    maximum=100)
    trusted_proxies: int | None = prop(
        "proxies in front of the gateway whose X-Forwarded-For it trusts (Istio's numTrustedProxies)",
        default=None, minimum=0, maximum=10)


@record()
class Ingress:
    domain: Hostname | None = prop("the host name Kubeflow is served at", default=None)
    extra_hosts: tuple[Hostname, ...] = prop(
        "further host names served by the gateway and named in its certificate", default=(), unique_items=True)
    service_type: str = prop("the type of the istio-ingressgateway Service", default="ClusterIP",
                             enum=("ClusterIP", "NodePort", "LoadBalancer"), example="LoadBalancer")
    tls: TLS = prop("TLS on the Kubeflow gateway", default_factory=TLS,
                    example="{mode: letsencrypt, letsencrypt: {email: admin@example.com, server: production}}")
    gateway: Gateway = prop("the istio-ingressgateway's Service and pods", default_factory=Gateway,
                            example="{loadBalancerSourceRanges: [10.0.0.0/8], externalTrafficPolicy: Local}")

    @property
    def hosts(self) -> tuple[str, ...]:
        return ((self.domain,) if self.domain else ()) + self.extra_hosts


@record(unknown_keys={"password": "plaintext passwords are not accepted: run `argoflow-gen hash-password` and put "
                                  "the result in passwordHash"})
class User:
    email: Email = prop("the login, and the Kubeflow user id", required=True)
    username: str = prop("the display name", required=True, min_length=1, max_length=253)
    password_hash: str | None = prop(
        "a bcrypt hash ($2a$, $2b$ or $2y$); make one with `argoflow-gen hash-password`", format="bcrypt-hash",
        default=None)
    password_hash_from: SecretRef | None = prop("read the bcrypt hash from a Secret instead of the profile",
                                                default=None)


@record()
class OIDC:
    issuer: HttpsUrl = prop("the provider's issuer URL", required=True)
    client_id: str = prop("the OAuth client id registered with the provider", required=True, min_length=1)
    client_secret: SecretRef = prop(required=True)
    name: str = prop("the button label on the login page", default="Single sign-on", min_length=1)
    scopes: tuple[NonEmpty, ...] = prop("extra scopes to request", default=(), unique_items=True)


@record()
class Identity:
    users: tuple[User, ...] = prop("static Dex users", default=())
    oidc: OIDC | None = prop("an external OpenID Connect provider, connected through Dex (Dex connector id oidc)",
                             default=None)
    connectors: tuple[Connector, ...] = prop(
        "identity providers Dex connects (besides oidc): each an id, a button label, and one of oidc, github, "
        "gitlab, google, microsoft, ldap or saml", default=(),
        example="[{id: github, name: GitHub, github: {clientID: Iv1.0123456789abcdef, clientSecret: "
                "{existingSecret: dex-github}, orgs: [{name: acme, teams: [ml-platform]}]}}]")
    admin: Email | None = prop("the Kubeflow cluster admin (KFAM); defaults to the first user", default=None)
    session_lifetime: str | None = prop(
        "how long a login lasts, such as 8h or 90m: Dex's ID tokens and oauth2-proxy's cookie expire together "
        "(24h when left out, as upstream)", default=None, pattern="^([1-9][0-9]*h)?([1-9][0-9]*m)?$", min_length=2,
        example="8h")

