"""Let's Encrypt that can succeed: the HTTP-01 solver is reachable through Istio and the gateway's login, and
DNS-01 works with four DNS providers. ClusterIssuers are checked against the real cert-manager CRD the tree
installs (both releases ship cert-manager v1.16.1), and policies against the real kustomize build."""

from __future__ import annotations

import base64
import fnmatch
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from argoflow_gen import load_profile, render
from argoflow_gen.catalog import VERSIONS

from .conftest import FORK, Kustomize, load_yaml_documents, unseal

LETSENCRYPT = (FORK, "spec.ingress.domain=kubeflow.acme.internal",
               "spec.ingress.tls.letsencrypt.email=ops@acme.internal")
CHALLENGE = "/.well-known/acme-challenge/3sKq9XvJd1LWv0s_K2Xz"
ISTIO_INGRESS_CLASS = "istio"  # meshConfig.ingressClass default; ingressControllerMode STRICT honours it
UUID = "3f2b8c1e-9d4a-4c6b-8e2f-1a7d5c9b0e43"
TENANT = "9a1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
PROVIDERS = {
    "dns01-cloudflare": ("cloudflareApiToken: {existingSecret: cf, key: token}",
                         "cloudflareApiToken: {sealed: {env: DNS_TOKEN}}"),
    "dns01-route53": ("route53: {region: eu-west-1, hostedZoneID: Z2ABCDEFGHIJKL, "
                      "credentials: {existingSecret: aws-dns, accessKeyKey: id, secretKeyKey: key}}",
                      "route53: {region: eu-west-1, role: 'arn:aws:iam::123456789012:role/dns', "
                      "credentials: {sealed: {accessKey: {env: DNS_ID}, secretKey: {env: DNS_TOKEN}}}}"),
    "dns01-clouddns": ("cloudDNS: {project: acme-dns-1234, serviceAccountKey: {existingSecret: gcp-dns}}",
                       "cloudDNS: {project: acme-dns-1234, hostedZoneName: acme-internal, "
                       "serviceAccountKey: {sealed: {env: DNS_TOKEN}}}"),
    "dns01-azuredns": (f"azureDNS: {{subscriptionID: {UUID}, resourceGroupName: dns, managedIdentity: "
                       f"{{clientID: {UUID}}}}}",
                       f"azureDNS: {{subscriptionID: {UUID}, resourceGroupName: dns, hostedZoneName: "
                       f"acme.internal, environment: AzurePublicCloud, servicePrincipal: {{clientID: {UUID}, "
                       f"tenantID: {TENANT}, clientSecret: {{sealed: {{env: DNS_TOKEN}}}}}}}}"),
}


@pytest.fixture(scope="module")
def issuer_schemas(tmp_path_factory: pytest.TempPathFactory, kustomize: Kustomize) -> dict[str, Any]:
    """The ClusterIssuer CRD's schema, from the cert-manager the tree installs, per release."""
    schemas = {}
    for version in VERSIONS:
        root = tmp_path_factory.mktemp(f"cert-manager-{version}")
        render(load_profile("preset:minimal", overrides=[FORK, f"spec.kubeflow.version={version}"])).write(root)
        (crd,) = [d for d in kustomize.build_objects(root / "cert-manager") if d["kind"] == "CustomResourceDefinition"
                  and d["metadata"]["name"] == "clusterissuers.cert-manager.io"]
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
        schemas[version] = served["schema"]["openAPIV3Schema"]
    return schemas


def _certificate_documents(tree: Any) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in load_yaml_documents(tree["kubeflow-istio-resources/certificate.yaml"])
            if d["kind"] != "SealedSecret"}


def _istio_serves(ingress_solver: dict[str, Any], tree: Any) -> bool:
    """Would Istio's ingress controller (STRICT mode, ingress class "istio") serve the solver's Ingress?"""
    if ingress_solver.get("class") == ISTIO_INGRESS_CLASS:
        return True  # the kubernetes.io/ingress.class annotation, honoured without an IngressClass object
    name = ingress_solver.get("ingressClassName")
    for text in tree.values():
        if "kind: IngressClass" in text:
            for document in load_yaml_documents(text):
                if (document.get("kind") == "IngressClass" and document["metadata"]["name"] == name
                        and document["spec"]["controller"] == "istio.io/ingress-controller"):
                    return True
    return False


@pytest.mark.parametrize("version", VERSIONS)
def test_the_http01_solver_is_an_ingress_istio_serves(version: str, issuer_schemas: dict[str, Any]) -> None:
    tree = render(load_profile("preset:letsencrypt", overrides=[*LETSENCRYPT, f"spec.kubeflow.version={version}"]))
    issuer = _certificate_documents(tree)["ClusterIssuer"]
    jsonschema.validate(issuer, issuer_schemas[version])
    (solver,) = issuer["spec"]["acme"]["solvers"]
    assert _istio_serves(solver["http01"]["ingress"], tree)


def _exempt(policy: dict[str, Any], path: str) -> bool:
    """Is a request for ``path`` (no token, no cookie) outside every rule of an Istio AuthorizationPolicy?"""
    for rule in policy["spec"]["rules"]:
        operations = [target["operation"] for target in rule.get("to", [])]
        if not operations or not any(any(fnmatch.fnmatchcase(path, p) for p in op.get("notPaths", []))
                                     for op in operations):
            return False
    return True


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_the_challenge_passes_the_gateway_unauthenticated_and_unredirected(version: str, tmp_path: Path,
                                                                           kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:letsencrypt", overrides=[*LETSENCRYPT, f"spec.kubeflow.version={version}"]))
    tree.write(tmp_path / "fork")
    policies = [d for d in kustomize.build_objects(tmp_path / "fork/oauth2-proxy")
                if d["kind"] == "AuthorizationPolicy" and d["metadata"]["namespace"] == "istio-system"]
    gateway_policies = [p for p in policies if p["spec"].get("action") in ("CUSTOM", "DENY")]
    assert {p["metadata"]["name"] for p in gateway_policies} == {"istio-ingressgateway-oauth2-proxy",
                                                                  "istio-ingressgateway-require-jwt"}
    for policy in gateway_policies:
        assert _exempt(policy, CHALLENGE), policy["metadata"]["name"]
        assert not _exempt(policy, "/jupyter/"), policy["metadata"]["name"]  # the rest still needs a login
    (gateway,) = [d for d in kustomize.build_objects(tmp_path / "fork/kubeflow-istio-resources")
                  if d["kind"] == "Gateway"]
    (plain,) = [s for s in gateway["spec"]["servers"] if s["port"]["number"] == 80]
    assert not plain.get("tls", {}).get("httpsRedirect"), "port 80 must answer the challenge before TLS exists"


@pytest.mark.kustomize
def test_dns01_keeps_port_80_redirecting_and_the_login_on_every_path(tmp_path: Path, kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:letsencrypt", overrides=[
        *LETSENCRYPT, "spec.ingress.tls.letsencrypt.solver=dns01-cloudflare",
        "spec.ingress.tls.letsencrypt.cloudflareApiToken={existingSecret: cf}"]))
    tree.write(tmp_path / "fork")
    (gateway,) = [d for d in kustomize.build_objects(tmp_path / "fork/kubeflow-istio-resources")
                  if d["kind"] == "Gateway"]
    (plain,) = [s for s in gateway["spec"]["servers"] if s["port"]["number"] == 80]
    assert plain["tls"] == {"httpsRedirect": True}
    oauth2 = tree["oauth2-proxy/kustomization.yaml"]
    assert "acme-challenge" not in oauth2


def _dns_tree(tmp_path: Path, solver: str, block: str, certificate: Path | None, version: str) -> Any:
    sealing = f"  secrets: {{certificate: {certificate}}}\n" if certificate else ""
    (tmp_path / "dns.yaml").write_text(
        "apiVersion: argoflow-gen/v1beta1\nkind: Profile\nmetadata: {name: dns}\nextends: [preset:full]\n"
        f"spec:\n  repo: {{url: https://git.acme.internal/platform/kubeflow-gitops.git}}\n{sealing}"
        f"  kubeflow: {{version: '{version}'}}\n"
        "  ingress:\n    domain: kubeflow.acme.internal\n    tls:\n      mode: letsencrypt\n      letsencrypt:\n"
        f"        email: ops@acme.internal\n        solver: {solver}\n        {block}\n")
    return render(load_profile(tmp_path / "dns.yaml"))


def _readme_keys(readme: str, namespace: str, name: str) -> list[str]:
    """The keys the fork README lists for the Secret ``namespace/name`` the user creates."""
    for line in readme.splitlines():
        if line.startswith(f"- `{namespace}/{name}` (keys: "):
            return line.split("(keys: ", 1)[1].split(")", 1)[0].split(", ")
    raise AssertionError(f"the README does not list {namespace}/{name}")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("solver", sorted(PROVIDERS))
def test_each_dns01_provider_with_a_secret_you_create(solver: str, version: str, tmp_path: Path,
                                                     issuer_schemas: dict[str, Any]) -> None:
    tree = _dns_tree(tmp_path, solver, PROVIDERS[solver][0], None, version)
    documents = _certificate_documents(tree)
    jsonschema.validate(documents["ClusterIssuer"], issuer_schemas[version])
    (found,) = documents["ClusterIssuer"]["spec"]["acme"]["solvers"]
    provider = next(iter(found["dns01"].values()))
    references = [value for key, value in provider.items() if key.endswith("SecretRef")]
    for reference in references:  # each Secret it reads is one the README tells the user to create
        assert reference["key"] in _readme_keys(tree["README.md"], "cert-manager", reference["name"]), reference
    if solver == "dns01-azuredns":
        assert provider["managedIdentity"] == {"clientID": UUID} and not references
    else:
        assert references
    # a DNS-01 issuer can sign the wildcard KServe's NAME-NAMESPACE.DOMAIN hosts need
    assert "*.kubeflow.acme.internal" in documents["Certificate"]["spec"]["dnsNames"]


@pytest.mark.parametrize("solver", sorted(PROVIDERS))
def test_each_dns01_provider_with_sealed_credentials(solver: str, tmp_path: Path, sealing_keys: tuple[Any, Path],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     issuer_schemas: dict[str, Any]) -> None:
    private_key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "cert.pem")
    monkeypatch.setenv("DNS_TOKEN", "s3cret-dns-token")
    monkeypatch.setenv("DNS_ID", "AKIAEXAMPLEID")
    tree = _dns_tree(tmp_path, solver, PROVIDERS[solver][1], tmp_path / "cert.pem", VERSIONS[0])
    documents = load_yaml_documents(tree["kubeflow-istio-resources/certificate.yaml"])
    issuer = next(d for d in documents if d["kind"] == "ClusterIssuer")
    jsonschema.validate(issuer, issuer_schemas[VERSIONS[0]])
    provider = next(iter(issuer["spec"]["acme"]["solvers"][0]["dns01"].values()))
    references = {key: value for key, value in provider.items() if key.endswith("SecretRef")}
    assert references
    sealed = {d["metadata"]["name"]: d for d in load_yaml_documents(
        "\n---\n".join(text for path, text in tree.items()
                       if path.startswith("kubeflow-istio-resources/sealed-"))) if d["kind"] == "SealedSecret"}
    for reference in references.values():
        document = sealed[reference["name"]]
        assert document["metadata"]["namespace"] == "cert-manager"
        value = unseal(private_key, "cert-manager", reference["name"],
                       base64.b64decode(document["spec"]["encryptedData"][reference["key"]]))
        assert value in (b"s3cret-dns-token", b"AKIAEXAMPLEID")
    assert "s3cret-dns-token" not in "".join(tree.values())


@pytest.mark.parametrize(("overrides", "wildcard"), [
    ((), True),  # self-signed: the issuer signs anything
    (("spec.ingress.tls.mode=letsencrypt", "spec.ingress.tls.letsencrypt.email=ops@acme.internal"), False),
    (("spec.ingress.domain=kubeflow",), False),  # no wildcard over a single label
    (("spec.kubeflow.components.kserve.enabled=false",), False),  # no model hosts to cover
])
def test_the_gateway_certificate_covers_kserve_hosts_where_it_can(overrides: tuple[str, ...], wildcard: bool) -> None:
    profile = load_profile("preset:full", overrides=[FORK, "spec.ingress.domain=kubeflow.acme.internal", *overrides])
    tree = render(profile)
    names = _certificate_documents(tree)["Certificate"]["spec"]["dnsNames"]
    assert (f"*.{profile.spec.ingress.domain}" in names) is wildcard
    (patch,) = [p for p in load_yaml_documents(tree["kubeflow-istio-resources/kustomization.yaml"])[0]["patches"]
                if "/spec/servers/-" in p["patch"]]
    (operation,) = load_yaml_documents(patch["patch"])[0]
    assert operation["value"]["hosts"] == names  # the HTTPS server answers exactly the names it has a cert for


def test_example_names_render_but_never_silently(tmp_path: Path) -> None:
    """preset:base's host name and the letsencrypt preset's e-mail are placeholders: a render says so."""
    from click.testing import CliRunner

    from argoflow_gen.cli import cli

    result = CliRunner().invoke(cli, ["render", "preset:letsencrypt", "--set", FORK, "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: spec.ingress.domain: kubeflow.example.com is an example host name: users reach Kubeflow there "
        "only through an entry in their hosts file, and Let's Encrypt will not issue a certificate for it (set "
        "your own domain)",
        "warning: spec.ingress.tls.letsencrypt.email: Let's Encrypt refuses an account e-mail at example.com (set "
        "your own address)",
    ]
    quiet = CliRunner().invoke(cli, ["render", "preset:letsencrypt", "--set", FORK, "-q", "-o", str(tmp_path / "b")])
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    own = CliRunner().invoke(cli, ["render", "preset:letsencrypt", *LETSENCRYPT_SET, "-o", str(tmp_path / "c")])
    assert (own.exit_code, own.stderr) == (0, "")


LETSENCRYPT_SET = [item for pair in (("--set", value) for value in LETSENCRYPT) for item in pair]
