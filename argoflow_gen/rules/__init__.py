"""Cross-field rules: what JSON Schema cannot say about a profile. Each rule yields located problems."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import catalog
from ..profile.formats import SCP_URL, git_url_problem
from ..schema import Problem
from ..yamlio import JsonPath
from .common import problem as _p
from .identity import _auth
from .infra import _addons
from .tenancy import _profiles
from .workloads import _argo_workflows, _images, _monitoring, _notebooks, _pipelines

#: The block of settings each DNS-01 solver of ``spec.ingress.tls.letsencrypt`` reads.
DNS01_BLOCKS = {"dns01-cloudflare": "cloudflareApiToken", "dns01-route53": "route53", "dns01-clouddns": "cloudDNS",
                "dns01-azuredns": "azureDNS"}
#: Host names reserved for examples (RFC 2606): a repository there is a placeholder nobody can clone.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
EXAMPLE_TLDS = ("example", "invalid")


def check(spec: Mapping[str, Any], written: Mapping[str, Any]) -> list[Problem]:
    """Every cross-field problem of the effective ``spec``; ``written`` is the spec as the layers wrote it."""
    problems: list[Problem] = []
    for rule in (_components, _images, _repo, _registry, _ingress, _auth, _notebooks, _pipelines, _profiles,
                 _secrets, _extra_applications, _argo_workflows, _monitoring, _addons):
        problems.extend(rule(spec, written))
    return problems


def _components(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    version = spec["kubeflow"]["version"]
    release = catalog.release(version)
    asked = written.get("kubeflow", {}).get("components", {})
    for cid, entry in asked.items():
        base: JsonPath = ("spec", "kubeflow", "components", cid)
        if cid not in release.components:
            if entry.get("enabled") is True or any(k != "enabled" for k in entry):
                others = catalog.versions_with(cid)
                yield _p(base, f"component {cid!r} does not exist in Kubeflow {version}",
                         f"it exists in Kubeflow {', '.join(others)}" if others else "")
            continue
        spec_ = release.components[cid]
        for option, choice in entry.items():
            if option in spec_.options or option not in ("variant", "mode"):
                if option in spec_.options and choice not in spec_.options[option].choices:
                    have = catalog.versions_with_choice(cid, option, choice)
                    hint = (f"{option} {choice!r} exists in Kubeflow {', '.join(have)}" if have
                            else f"choose one of: {', '.join(spec_.options[option].choices)}")
                    yield _p((*base, option), f"{option} {choice!r} is not available in Kubeflow {version}",
                             hint)
                continue
            yield _p((*base, option), f"component {cid!r} has no {option} option")
    oauth = spec["kubeflow"]["components"].get("oauth2-proxy", {})
    path: JsonPath = ("spec", "kubeflow", "components", "oauth2-proxy")
    if oauth.get("enabled") and oauth.get("variant") == "m2m-dex-and-eks" and not oauth.get("eksIssuer"):
        yield _p((*path, "variant"), "variant m2m-dex-and-eks needs eksIssuer",
                 "set eksIssuer to the cluster's OIDC issuer URL (aws eks describe-cluster ... .identity.oidc.issuer)")
    if oauth.get("eksIssuer") and oauth.get("variant") != "m2m-dex-and-eks":
        yield _p((*path, "eksIssuer"), "eksIssuer is only used by variant m2m-dex-and-eks")
    mode_a = written.get("pipelines", {}).get("mode")
    mode_b = asked.get("pipelines", {}).get("mode")
    if mode_a and mode_b and mode_a != mode_b:
        yield _p(("spec", "pipelines", "mode"),
                 f"{mode_a!r} disagrees with spec.kubeflow.components.pipelines.mode {mode_b!r}",
                 "set the mode in one place")
    names = set(spec["kubeflow"]["components"])
    for index, app in enumerate(spec.get("extraApplications", [])):
        if app.get("name") in names or app.get("name") in ("argocd", "kubeflow"):
            yield _p(("spec", "extraApplications", index, "name"),
                     f"{app['name']!r} is already the name of a generated Application")


def is_example_host(host: str) -> bool:
    """Is ``host`` a name reserved for examples (kubeflow.example.com, git.acme.example)?"""
    host = host.lower().rstrip(".")
    if host in EXAMPLE_DOMAINS or host.endswith(tuple(f".{domain}" for domain in EXAMPLE_DOMAINS)):
        return True
    return host.rpartition(".")[2] in EXAMPLE_TLDS


def example_host(url: str) -> str | None:
    """The host of a git URL if it is a name reserved for examples (git.example.com), else None."""
    from urllib.parse import urlsplit

    scp = SCP_URL.fullmatch(url)
    host = scp.group("host") if scp else urlsplit(url).hostname or ""
    return host.lower() if is_example_host(host) else None


def _repo(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    repo = spec["repo"]
    base: JsonPath = ("spec", "repo")
    host = example_host(repo["url"])
    if host:
        yield _p((*base, "url"), f"{host} is an example host name: Argo CD cannot pull the fork from it",
                 "set spec.repo.url to your fork's git URL, e.g. "
                 "--set spec.repo.url=https://github.com/ORG/kubeflow-gitops.git")
    credentials = repo.get("credentials")
    if repo["private"] and not credentials:
        yield _p((*base, "private"), "a private repository needs credentials",
                 "set spec.repo.credentials.existingSecret or spec.repo.credentials.sealed")
    if credentials and not repo["private"]:
        yield _p((*base, "credentials"), "credentials are given but spec.repo.private is false",
                 "set spec.repo.private: true")
    sealed = (credentials or {}).get("sealed")
    if not sealed:
        return
    path: JsonPath = (*base, "credentials", "sealed")
    url = repo["url"]
    is_https = url.startswith("https://")
    if sealed["type"] == "https":
        if not is_https:
            yield _p((*path, "type"), "type https needs an https:// repository URL", f"spec.repo.url is {url}")
        for key in ("username", "password"):
            if key not in sealed:
                yield _p((*path, key), "required key is missing", "type https needs username and password")
        if "sshPrivateKey" in sealed:
            yield _p((*path, "sshPrivateKey"), "sshPrivateKey is only used with type ssh")
    else:
        if is_https or git_url_problem(url) is not None:
            yield _p((*path, "type"), "type ssh needs an ssh:// or git@host:org/repo.git URL",
                     f"spec.repo.url is {url}")
        if "sshPrivateKey" not in sealed:
            yield _p((*path, "sshPrivateKey"), "required key is missing", "type ssh needs sshPrivateKey")
        for key in ("username", "password"):
            if key in sealed:
                yield _p((*path, key), f"{key} is only used with type https")
    if "certificate" not in sealed and not spec["secrets"].get("certificate"):
        yield _p((*path, "certificate"), "required key is missing",
                 "name the sealed-secrets certificate here or in spec.secrets.certificate")


def _registry(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    registry = spec.get("registry", {})
    if (registry.get("mirror") or registry.get("mappings")) and not spec["repo"]["vendor"]:
        yield _p(("spec", "registry"), "a mirror rewrites the manifests the fork holds, and without vendoring Argo CD "
                 "fetches upstream's at sync time", "set spec.repo.vendor: true")


def _ingress(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    ingress = spec.get("ingress", {})
    tls = ingress.get("tls", {})
    base: JsonPath = ("spec", "ingress", "tls")
    mode = tls.get("mode")
    if mode == "letsencrypt" and "letsencrypt" not in tls:
        yield _p((*base, "mode"), "mode letsencrypt needs spec.ingress.tls.letsencrypt",
                 "set at least letsencrypt.email")
    if "letsencrypt" in tls and mode != "letsencrypt":
        yield _p((*base, "letsencrypt"), f"letsencrypt settings are given but mode is {mode}",
                 "set mode: letsencrypt, or remove the letsencrypt block")
    if mode == "existing-secret" and "secretName" not in tls:
        yield _p((*base, "mode"), "mode existing-secret needs spec.ingress.tls.secretName")
    if "secretName" in tls and mode != "existing-secret":
        yield _p((*base, "secretName"), f"secretName is only used with mode existing-secret, not {mode}")
    if mode != "none" and not ingress.get("domain"):
        yield _p(("spec", "ingress", "domain"), f"TLS mode {mode} needs a domain",
                 "set spec.ingress.domain, or spec.ingress.tls.mode: none")
    le = tls.get("letsencrypt", {})
    solver = le.get("solver")
    for provider_solver, block in DNS01_BLOCKS.items():
        if solver == provider_solver and block not in le:
            yield _p((*base, "letsencrypt", "solver"), f"solver {solver} needs {block}",
                     f"set spec.ingress.tls.letsencrypt.{block}")
        if block in le and solver != provider_solver:
            yield _p((*base, "letsencrypt", block), f"{block} is only used by solver {provider_solver}",
                     f"set solver: {provider_solver}, or remove {block}")
    azure = le.get("azureDNS", {})
    if "managedIdentity" in azure and "servicePrincipal" in azure:
        yield _p((*base, "letsencrypt", "azureDNS", "managedIdentity"),
                 "set only one of managedIdentity, servicePrincipal")
    if ingress.get("domain") in ingress.get("extraHosts", []):
        yield _p(("spec", "ingress", "extraHosts"), "repeats spec.ingress.domain")


def _secret_refs(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """Every secret reference in the spec, found by shape: a mapping with existingSecret or sealed."""
    if isinstance(value, Mapping):
        named = path and path[-1] in ("clientSecret", "credentials", "cloudflareApiToken", "passwordHashFrom",
                                      "serviceAccountKey", "bindPW")
        named = named or path[-2:] == ("azureDNS", "config")
        if named and path[:2] != ("spec", "repo"):
            yield path, value
            return
        for key, item in value.items():
            yield from _secret_refs(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_refs(item, (*path, index))


def uses_sealing(spec: Mapping[str, Any]) -> bool:
    """Does anything in the profile produce a SealedSecret?"""
    if spec["secrets"]["randomSecrets"] == "sealed":
        return True
    if (spec["repo"].get("credentials") or {}).get("sealed"):
        return True
    return any("sealed" in ref for _path, ref in _secret_refs(spec, ("spec",)))


def _secrets(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    certificate = spec["secrets"].get("certificate")
    for path, ref in _secret_refs(spec, ("spec",)):
        if ("existingSecret" in ref) == ("sealed" in ref):
            yield _p(path, "set exactly one of existingSecret, sealed",
                     "a secret value is never written in the profile")
        elif "sealed" in ref and not certificate:
            yield _p((*path, "sealed"), "sealing needs spec.secrets.certificate",
                     "save the controller's certificate with `kubeseal --fetch-cert > sealed-secrets.pem`")
    if spec["secrets"]["randomSecrets"] == "sealed" and not certificate:
        yield _p(("spec", "secrets", "randomSecrets"), "sealed needs spec.secrets.certificate",
                 "save the controller's certificate with `kubeseal --fetch-cert > sealed-secrets.pem`")
    asked = written.get("kubeflow", {}).get("components", {}).get("sealed-secrets", {})
    if uses_sealing(spec) and asked.get("enabled") is False:
        yield _p(("spec", "kubeflow", "components", "sealed-secrets", "enabled"),
                 "the profile seals secrets, so the sealed-secrets controller is needed",
                 "remove enabled: false")


def _extra_applications(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, app in enumerate(spec.get("extraApplications", [])):
        path: JsonPath = ("spec", "extraApplications", index)
        if ("path" in app) == ("source" in app):
            yield _p(path, "set exactly one of path, source")
        source = app.get("source", {})
        if source and ("path" in source) == ("chart" in source):
            yield _p((*path, "source"), "set exactly one of path, chart")
        if app["name"] in seen:
            yield _p((*path, "name"), f"repeats the name of spec.extraApplications[{seen[app['name']]}]")
        seen.setdefault(app["name"], index)

