"""The infrastructure add-ons: MetalLB's address pools in its folder (built with the offline kustomize, checked
against the CRDs its chart brings), and ExternalDNS's provider, zone and credentials in its chart (built with
`helm template` offline and the Application's values)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.tree import Tree

from .conftest import FORK, Kustomize, load_yaml_documents, unseal
from .tier import ADDON_SETTINGS, helm_template

DOMAIN = "spec.ingress.domain=kubeflow.acme.internal"
#: each provider: its settings with a Secret the user creates, and with sealed credentials
PROVIDERS = {
    "cloudflare": ("cloudflareApiToken: {existingSecret: cf, key: token}",
                   "cloudflareApiToken: {sealed: {env: DNS_TOKEN}}"),
    "aws": ("route53: {region: eu-west-1, hostedZoneID: Z2ABCDEFGHIJKL, role: 'arn:aws:iam::123456789012:role/dns', "
            "credentials: {existingSecret: r53, accessKeyKey: id, secretKeyKey: key}}",
            "route53: {region: eu-west-1, credentials: {sealed: {accessKey: {env: DNS_ID}, "
            "secretKey: {env: DNS_TOKEN}}}}"),
    "google": ("cloudDNS: {project: acme-dns-1234, serviceAccountKey: {existingSecret: gcp}}",
               "cloudDNS: {project: acme-dns-1234, serviceAccountKey: {sealed: {env: DNS_TOKEN}}}"),
    "azure": ("azureDNS: {config: {existingSecret: azure, key: config.json}}",
              "azureDNS: {config: {sealed: {env: DNS_TOKEN}}}"),
}


def _tree(*overrides: str) -> Tree:
    return render(load_profile("preset:minimal", overrides=[FORK, DOMAIN, *overrides]))


def _app(tree: Tree, name: str) -> dict[str, Any]:
    (app,) = load_yaml_documents(tree.files[f"argocd-applications/{name}.yaml"])
    return dict(app)


def _dns(settings: str) -> str:
    return f"spec.addons.external-dns={{{settings}}}"


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [item for item in objects if item["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {"container": container, "volumes": deployment["spec"]["template"]["spec"].get("volumes", [])}


@pytest.mark.kustomize
def test_metallbs_pools_and_advertisements_are_built_in_its_folder_and_fit_the_charts_crds(
        tmp_path: Path, kustomize: Kustomize) -> None:
    tree = _tree(f"spec.addons.metallb={ADDON_SETTINGS['metallb']}")
    tree.write(tmp_path / "fork")
    built = load_yaml_documents(kustomize.build(tmp_path / "fork" / "addons" / "metallb"))
    found = {(item["kind"], item["metadata"]["name"]): item for item in built}
    assert sorted(found) == [("BGPAdvertisement", "spare"), ("IPAddressPool", "gateway"), ("IPAddressPool", "spare"),
                             ("L2Advertisement", "gateway")]
    assert found["IPAddressPool", "gateway"]["spec"] == {"addresses": ["192.168.10.240-192.168.10.250"]}
    assert found["IPAddressPool", "spare"]["spec"] == {"addresses": ["10.20.0.0/28"], "autoAssign": False}
    assert found["L2Advertisement", "gateway"]["spec"] == {"ipAddressPools": ["gateway"]}
    assert {item["metadata"]["namespace"] for item in built} == {"metallb-system"}
    # the chart brings the CRDs (and the webhook that checks the pools): the folder syncs a wave after it
    chart = _app(tree, "metallb")
    extras = _app(tree, "metallb-extras")
    assert extras["spec"]["source"]["path"].endswith("addons/metallb")
    assert int(extras["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) == int(
        chart["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) + 1
    objects = helm_template(chart["spec"]["source"], "metallb", "metallb-system", tmp_path)
    crds = {item["spec"]["names"]["kind"]: item for item in objects if item["kind"] == "CustomResourceDefinition"}
    for item in built:
        (version,) = [v for v in crds[item["kind"]]["spec"]["versions"] if v["name"] == "v1beta1"]
        jsonschema.validate(item, version["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_externaldns_publishes_the_gateways_hosts_in_the_provider_with_the_users_secret(
        provider: str, tmp_path: Path) -> None:
    tree = _tree(_dns(f"provider: {provider}, {PROVIDERS[provider][0]}"))
    app = _app(tree, "external-dns")
    built = _container(helm_template(app["spec"]["source"], "external-dns", "external-dns", tmp_path))
    container = built["container"]
    args = container["args"]
    assert f"--provider={provider}" in args
    assert "--domain-filter=kubeflow.acme.internal" in args
    assert "--source=istio-gateway" in args and "--source=service" in args
    assert "--txt-owner-id=minimal" in args
    env = {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}
    mounts = {mount["name"]: mount["mountPath"] for mount in container.get("volumeMounts", [])}
    volumes = {volume["name"]: volume.get("secret") for volume in built["volumes"]}
    readme = tree.files["README.md"]
    if provider == "cloudflare":
        assert env["CF_API_TOKEN"] == {"secretKeyRef": {"name": "cf", "key": "token"}}
        assert "kubectl create secret generic cf -n external-dns --from-file=token=" in readme
    elif provider == "aws":
        assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert env["AWS_ACCESS_KEY_ID"] == {"secretKeyRef": {"name": "r53", "key": "id"}}
        assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "r53", "key": "key"}}
        assert "--zone-id-filter=Z2ABCDEFGHIJKL" in args
        assert "--aws-assume-role=arn:aws:iam::123456789012:role/dns" in args
    elif provider == "google":
        assert "--google-project=acme-dns-1234" in args
        assert env["GOOGLE_APPLICATION_CREDENTIALS"] == "/etc/secrets/google/key.json"
        assert mounts["google-credentials"] == "/etc/secrets/google"
        assert volumes["google-credentials"] == {"secretName": "gcp", "items": [{"key": "key.json",
                                                                                  "path": "key.json"}]}
    else:
        assert mounts["azure-config"] == "/etc/kubernetes"
        assert volumes["azure-config"] == {"secretName": "azure", "items": [{"key": "config.json",
                                                                            "path": "azure.json"}]}
    assert "addons/external-dns/kustomization.yaml" not in tree.files  # nothing sealed, nothing beside the chart


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_externaldns_sealed_credentials_decrypt_and_never_appear_in_plain_text(
        provider: str, tmp_path: Path, sealing_keys: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    private_key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "cert.pem")
    monkeypatch.setenv("DNS_TOKEN", "s3cret-dns-token")
    monkeypatch.setenv("DNS_ID", "AKIAEXAMPLEID")
    tree = _tree(f"spec.secrets.certificate={tmp_path / 'cert.pem'}",
                 _dns(f"provider: {provider}, {PROVIDERS[provider][1]}"))
    app = _app(tree, "external-dns")
    values = app["spec"]["source"]["helm"]["valuesObject"]
    references = [item["valueFrom"]["secretKeyRef"] for item in values.get("env", []) if "valueFrom" in item]
    references += [{"name": volume["secret"]["secretName"], "key": item["key"]}
                   for volume in values.get("extraVolumes", []) for item in volume["secret"]["items"]]
    assert references
    sealed = {d["metadata"]["name"]: d for path, text in tree.files.items()
              if path.startswith("addons/external-dns/sealed-") for d in load_yaml_documents(text)}
    for reference in references:
        document = sealed[reference["name"]]
        assert document["metadata"]["namespace"] == "external-dns"
        value = unseal(private_key, "external-dns", reference["name"],
                       base64.b64decode(document["spec"]["encryptedData"][reference["key"]]))
        assert value in (b"s3cret-dns-token", b"AKIAEXAMPLEID")
    assert _app(tree, "external-dns-extras")["spec"]["source"]["path"].endswith("addons/external-dns")
    text = "".join(tree.files.values())
    assert "s3cret-dns-token" not in text and "AKIAEXAMPLEID" not in text
