"""What the profile says of the infrastructure add-ons beyond their options:

- MetalLB: the address pools, as ``IPAddressPool`` objects with their ``L2Advertisement`` or ``BGPAdvertisement``,
  in the add-on's folder (the chart brings their CRDs, and its webhook validates them: the folder's Application
  syncs a wave after the chart's, see ``extrasAfterChart`` in ``data/addons.json``);
- ExternalDNS: the provider, its settings and credentials (a Secret the user creates, or one sealed into the
  add-on's folder), the gateway's domain as the only zone it touches, and the owner of its records.
"""

from __future__ import annotations

from typing import Any

from ..profile.addons import Addon
from .context import Context
from .credentials import key_pair, secret_ref
from .model import Folder

METALLB = "metallb.io/v1beta1"
ADVERTISEMENTS = {"l2": "L2Advertisement", "bgp": "BGPAdvertisement"}
GOOGLE_KEY = "/etc/secrets/google"
AZURE_CONFIG = "/etc/kubernetes"  # where ExternalDNS reads azure.json by default


def address_pools(addon: Addon, namespace: str) -> list[dict[str, Any]]:
    """MetalLB's pools, and for each the advertisement that announces it."""
    documents: list[dict[str, Any]] = []
    for pool in addon.address_pools:
        spec: dict[str, Any] = {"addresses": [address.replace(" ", "") for address in pool.addresses]}
        if pool.auto_assign is not None:
            spec["autoAssign"] = pool.auto_assign
        documents.append({"apiVersion": METALLB, "kind": "IPAddressPool",
                          "metadata": {"name": pool.name, "namespace": namespace}, "spec": spec})
    for pool in addon.address_pools:
        if pool.advertisement in ADVERTISEMENTS:
            documents.append({"apiVersion": METALLB, "kind": ADVERTISEMENTS[pool.advertisement],
                              "metadata": {"name": pool.name, "namespace": namespace},
                              "spec": {"ipAddressPools": [pool.name]}})
    return documents


def _env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _mounted(values: dict[str, Any], volume: str, secret: str, key: str, file: str, path: str) -> None:
    """One key of a Secret as a read-only file ``path/file`` of ExternalDNS's container."""
    values["extraVolumes"] = [{"name": volume, "secret": {"secretName": secret, "items": [{"key": key, "path": file}]}}]
    values["extraVolumeMounts"] = [{"name": volume, "mountPath": path, "readOnly": True}]


def dns_values(ctx: Context, addon: Addon, namespace: str, folder: Folder) -> dict[str, Any]:
    """ExternalDNS's values for its provider; sealed credentials go into ``folder``."""
    if addon.provider is None:
        return {}
    profile = ctx.profile
    values: dict[str, Any] = {"provider": {"name": addon.provider},
                              "txtOwnerId": addon.txt_owner_id or profile.metadata.name}
    if profile.spec.ingress.domain:
        values["domainFilters"] = [profile.spec.ingress.domain]
    env: list[dict[str, Any]] = []
    args: list[str] = []
    if addon.cloudflare_api_token is not None:
        name, key = secret_ref(ctx, folder, namespace, addon.cloudflare_api_token, "cloudflare-api-token",
                               "api-token", "the Cloudflare API token ExternalDNS publishes the gateway's hosts with")
        env.append(_env("CF_API_TOKEN", name, key))
    if addon.route53 is not None:
        route53 = addon.route53
        env.append({"name": "AWS_DEFAULT_REGION", "value": route53.region})
        if route53.credentials is not None:
            pair = route53.credentials.pair("access-key-id", "secret-access-key")
            name = key_pair(ctx, folder, namespace, pair, "route53-credentials",
                            "the AWS access key pair ExternalDNS publishes the gateway's hosts in Route53 with")
            env += [_env("AWS_ACCESS_KEY_ID", name, pair.keys[0]), _env("AWS_SECRET_ACCESS_KEY", name, pair.keys[1])]
        if route53.hosted_zone_id:
            args.append(f"--zone-id-filter={route53.hosted_zone_id}")
        if route53.role:
            args.append(f"--aws-assume-role={route53.role}")
    if addon.cloud_dns is not None:
        args.append(f"--google-project={addon.cloud_dns.project}")
        if addon.cloud_dns.service_account_key is not None:
            name, key = secret_ref(ctx, folder, namespace, addon.cloud_dns.service_account_key,
                                   "clouddns-service-account", "key.json",
                                   "the Google service account key ExternalDNS publishes the gateway's hosts in "
                                   "Cloud DNS with")
            _mounted(values, "google-credentials", name, key, "key.json", GOOGLE_KEY)
            env.append({"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{GOOGLE_KEY}/key.json"})
    if addon.azure_dns is not None:
        name, key = secret_ref(ctx, folder, namespace, addon.azure_dns.config, "azure-config", "azure.json",
                               "the azure.json (tenant, subscription, resource group and identity) ExternalDNS "
                               "publishes the gateway's hosts in Azure DNS with")
        _mounted(values, "azure-config", name, key, "azure.json", AZURE_CONFIG)
    if env:
        values["env"] = env
    if args:
        values["extraArgs"] = args
    return values


def infra_settings(ctx: Context, addon: Addon, namespace: str, folder: Folder) -> dict[str, Any]:
    """The values an infrastructure add-on's settings give its chart; the objects they make go into ``folder``."""
    if addon.address_pools:
        folder.add_manifests("address-pools.yaml", address_pools(addon, namespace),
                             "The addresses MetalLB gives LoadBalancer Services, and how it announces them.")
    return dns_values(ctx, addon, namespace, folder)
