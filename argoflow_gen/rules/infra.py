"""Cross-field rules of the infrastructure add-ons: MetalLB's address pools, ExternalDNS's provider."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from ..profile.infra import PROVIDER_BLOCKS
from ..schema import Problem
from ..yamlio import JsonPath
from .common import problem as _p

ADDONS: JsonPath = ("spec", "addons")
Span = tuple[int, int, int]  # (IP version, first address, last address)


def _addons(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    addons = spec.get("addons", {})
    metallb, dns = addons.get("metallb"), addons.get("external-dns")
    if metallb is not None and metallb.get("enabled") is not False:
        yield from _metallb(spec, metallb)
    if dns is not None and dns.get("enabled") is not False:
        yield from _external_dns(dns)


def span(address: str) -> Span | None:
    """The addresses a CIDR or a FROM-TO range covers, or None when it is not a valid one."""
    try:
        if "/" in address:
            network = ipaddress.ip_network(address, strict=False)
            return network.version, int(network.network_address), int(network.broadcast_address)
        first, last = (ipaddress.ip_address(part.strip()) for part in address.split("-"))
    except ValueError:
        return None
    if first.version != last.version or int(first) > int(last):
        return None
    return first.version, int(first), int(last)


def _metallb(spec: Mapping[str, Any], metallb: Mapping[str, Any]) -> Iterator[Problem]:
    base: JsonPath = (*ADDONS, "metallb")
    pools = metallb.get("addressPools", [])
    if not pools:
        service_type = spec.get("ingress", {}).get("serviceType")
        yield _p(base, "MetalLB has no addressPools: it would give LoadBalancer Services no address",
                 "add addressPools: [{name: default, addresses: [FROM-TO]}], the addresses the gateway takes with "
                 f"spec.ingress.serviceType: LoadBalancer, now {service_type}")
        return
    names: dict[str, int] = {}
    taken: list[tuple[Span, JsonPath]] = []
    for index, pool in enumerate(pools):
        path: JsonPath = (*base, "addressPools", index)
        if pool["name"] in names:
            yield _p((*path, "name"), f"repeats the name of addressPools[{names[pool['name']]}]")
        names.setdefault(pool["name"], index)
        for number, address in enumerate(pool["addresses"]):
            where: JsonPath = (*path, "addresses", number)
            found = span(address)
            if found is None:
                yield _p(where, f"{address!r} is not a valid CIDR or range of addresses",
                         "a CIDR such as 192.168.10.0/24, or FROM-TO with FROM not after TO, both IPv4 or both IPv6")
                continue
            other = next((at for have, at in taken if have[0] == found[0] and have[1] <= found[2]
                          and found[1] <= have[2]), None)
            if other is not None:
                yield _p(where, f"{address} overlaps addressPools[{other[4]}].addresses[{other[6]}]",
                         "MetalLB refuses pools whose addresses overlap")
            taken.append((found, where))


def _external_dns(dns: Mapping[str, Any]) -> Iterator[Problem]:
    base: JsonPath = (*ADDONS, "external-dns")
    provider = dns.get("provider")
    if provider is None:
        yield _p(base, "ExternalDNS needs a provider", "set provider: cloudflare, aws, google or azure, with its block")
    for name, block in PROVIDER_BLOCKS.items():
        if provider == name and block not in dns:
            yield _p((*base, "provider"), f"provider {name} needs {block}", f"set spec.addons.external-dns.{block}")
        if block in dns and provider != name:
            yield _p((*base, block), f"{block} is only used by provider {name}",
                     f"set provider: {name}, or remove {block}")
