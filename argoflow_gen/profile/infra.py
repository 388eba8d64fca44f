"""The settings of the infrastructure add-ons: MetalLB's address pools and ExternalDNS's DNS provider."""

from __future__ import annotations

from typing import Annotated

from .common import AccessKeys, DnsSubdomain, SecretRef
from .declare import prop, record, scalar

_IPV4 = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
_IPV6 = r"[0-9a-fA-F:]*:[0-9a-fA-F:.]*"
#: A CIDR, or a range of addresses FROM-TO of one family (checked further by the rules).
AddressRange = Annotated[str, scalar(
    type="string", description="a CIDR such as 192.168.10.0/24, or a range such as 192.168.10.240-192.168.10.250",
    pattern=rf"^(?:(?:{_IPV4}|{_IPV6})/[0-9]{{1,3}}|{_IPV4} ?- ?{_IPV4}|{_IPV6} ?- ?{_IPV6})$")]


@record()
class AddressPool:
    """An IPAddressPool of MetalLB, and how it is announced to the network."""

    name: DnsSubdomain = prop("the pool's name", required=True)
    addresses: tuple[AddressRange, ...] = prop(
        "the addresses MetalLB gives LoadBalancer Services: CIDRs or FROM-TO ranges", required=True, min_items=1,
        unique_items=True)
    auto_assign: bool | None = prop(
        "hand out its addresses to any Service (false: only to Services that ask for this pool)", default=None)
    advertisement: str = prop(
        "l2: answer ARP/NDP for the addresses on the local network; bgp: announce them to the BGP peers you "
        "configure (BGPPeer objects); none: you write the advertisement yourself", default="l2",
        enum=("l2", "bgp", "none"))


@record()
class DnsRoute53:
    """AWS Route53; without credentials, the ambient ones of ExternalDNS's pod (IRSA, the node)."""

    region: str = prop("an AWS region such as us-east-1", required=True, pattern="^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    hosted_zone_id: str | None = prop(
        "a Route53 hosted zone ID such as Z2ABCDEFGHIJKL: only records in that zone are managed",
        key="hostedZoneID", pattern="^[A-Z0-9]{1,32}$", default=None)
    role: str | None = prop(
        "an IAM role ARN to assume, such as arn:aws:iam::123456789012:role/dns",
        pattern="^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", default=None)
    credentials: AccessKeys | None = prop(
        "an IAM access key pair, in namespace external-dns; leave it out to use the pod's ambient AWS credentials",
        default=None)


@record()
class DnsCloudDNS:
    """Google Cloud DNS; without a key, the ambient identity of ExternalDNS's pod (Workload Identity)."""

    project: str = prop("a Google Cloud project ID such as acme-dns-1234", required=True,
                        pattern="^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    service_account_key: SecretRef | None = prop(
        "a service account's JSON key, in namespace external-dns (key key.json unless given)", default=None)


@record()
class DnsAzure:
    """Azure DNS: ExternalDNS reads its azure.json (tenantId, subscriptionId, resourceGroup and a service
    principal's aadClientId/aadClientSecret, or useManagedIdentityExtension) from a Secret."""

    config: SecretRef = prop(
        "the azure.json file, in namespace external-dns (key azure.json unless given)", required=True)


PROVIDERS = ("cloudflare", "aws", "google", "azure")
#: The block of settings each provider reads (the keys Let's Encrypt's DNS-01 solvers use).
PROVIDER_BLOCKS = {"cloudflare": "cloudflareApiToken", "aws": "route53", "google": "cloudDNS", "azure": "azureDNS"}
