"""The platform add-ons beside Kubeflow (``spec.addons``): which run, and with what. The catalog
(``data/addons.json``) says which chart each is and the options it takes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from .. import catalog
from .common import AnyObject, SecretRef, Wave
from .declare import Keyed, prop, record
from .infra import PROVIDERS, AddressPool, DnsAzure, DnsCloudDNS, DnsRoute53


def _addons() -> Iterator[Keyed]:
    """Every add-on id, with its description and its typed options."""
    for aid, spec in catalog.addons().items():
        options = {name: {"type": "string", "description": option.description, "pattern": option.pattern}
                   for name, option in spec.options.items()}
        yield Keyed(aid, spec.description, options)


@record()
class Addon:
    """An add-on: the catalog says which Helm chart at which version; the profile says whether and how it runs."""

    id: str = prop(mapping_key=True)
    enabled: bool | None = prop("install it: naming an add-on turns it on, false (in a later layer, say) turns it off",
                                default=None)
    sync_wave: Wave | None = prop("override the Argo CD sync wave of its Application", default=None)
    values: AnyObject = prop("Helm values merged over those argoflow-gen sets (for anything its options do not say)",
                             default_factory=lambda: MappingProxyType({}))
    options: Mapping[str, str] = prop(options=True, default_factory=lambda: MappingProxyType({}))
    address_pools: tuple[AddressPool, ...] = prop(
        "the addresses MetalLB gives LoadBalancer Services (the gateway's, with spec.ingress.serviceType: "
        "LoadBalancer), as IPAddressPools with their advertisements", only=("metallb",), default=())
    provider: str | None = prop("the DNS provider the gateway's host names are published in (with its block below)",
                                only=("external-dns",), enum=PROVIDERS, default=None)
    cloudflare_api_token: SecretRef | None = prop(
        "a Cloudflare API token with Zone:Read and DNS:Edit (provider cloudflare), in namespace external-dns "
        "(key api-token unless given)", only=("external-dns",), default=None)
    route53: DnsRoute53 | None = prop("AWS Route53 (provider aws)", only=("external-dns",), default=None)
    cloud_dns: DnsCloudDNS | None = prop("Google Cloud DNS (provider google)", key="cloudDNS", only=("external-dns",),
                                         default=None)
    azure_dns: DnsAzure | None = prop("Azure DNS (provider azure)", key="azureDNS", only=("external-dns",),
                                      default=None)
    txt_owner_id: str | None = prop(
        "the owner ExternalDNS marks its records with, so that two clusters sharing a zone leave each other's "
        "alone (default: the profile's name)", key="txtOwnerId", only=("external-dns",), min_length=1,
        pattern="^[-._a-zA-Z0-9]+$", default=None)

    @property
    def on(self) -> bool:
        return self.enabled is not False


ADDONS = prop(
    "platform add-ons beside Kubeflow, each a Helm chart at a pinned version",
    default_factory=lambda: MappingProxyType({}),
    keys=_addons, unknown_key_hint="the add-ons: " + ", ".join(catalog.addons()),
    example="{monitoring: {retention: 15d, storage: 50Gi}, logging: {}}")
