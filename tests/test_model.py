"""The profile model is declared once (``argoflow_gen/profile/``): the committed JSON Schema and the README's
reference are what the declarations derive, and the typed profile holds every value of the resolved profile at
the attribute its key path names."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import catalog
from argoflow_gen.loader import load_profile
from argoflow_gen.profile import LocalFile, Profile, SecretRef
from argoflow_gen.profile.common import DnsLabel, NonEmpty
from argoflow_gen.profile.declare import fields, is_record, prop, record, shape
from argoflow_gen.profile.derived import derived_files
from argoflow_gen.profile.to_schema import profile_schema, record_schema
from argoflow_gen.yamlio import format_path

from .conftest import FORK

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EVERY_KEY = "profiles/valid/every-key.yaml"
#: What one profile cannot hold at once, each set over preset:base.
ALTERNATIVES = {
    "oidc": ["spec.identity.oidc={issuer: 'https://login.acme.io', clientId: kubeflow, name: Acme, scopes: [groups],"
             " clientSecret: {sealed: {file: oidc-secret}}}", "spec.secrets.certificate=sealed-secrets.pem"],
    "clouddns": ["spec.ingress.tls.mode=letsencrypt",
                 "spec.ingress.tls.letsencrypt={email: ops@acme.io, solver: dns01-clouddns, cloudDNS: {project: "
                 "acme-dns-1234, hostedZoneName: acme, serviceAccountKey: {existingSecret: gcp, key: key.json}}}"],
    "azure-principal": ["spec.ingress.tls.mode=letsencrypt",
                        "spec.ingress.tls.letsencrypt={email: ops@acme.io, solver: dns01-azuredns, azureDNS: {"
                        "subscriptionID: 12345678-1234-1234-1234-123456789012, resourceGroupName: dns, hostedZoneName: "
                        "acme.io, environment: AzureChinaCloud, servicePrincipal: {clientID: "
                        "12345678-1234-1234-1234-123456789012, tenantID: 12345678-1234-1234-1234-123456789012, "
                        "clientSecret: {existingSecret: azure}}}}"],
    "azure-identity": ["spec.ingress.tls.mode=letsencrypt",
                       "spec.ingress.tls.letsencrypt={email: ops@acme.io, solver: dns01-azuredns, azureDNS: {"
                       "subscriptionID: 12345678-1234-1234-1234-123456789012, resourceGroupName: dns, "
                       "managedIdentity: {resourceID: /subscriptions/x/userAssignedIdentities/dns}}}"],
    "cloudflare": ["spec.ingress.tls.mode=letsencrypt",
                   "spec.ingress.tls.letsencrypt={email: ops@acme.io, solver: dns01-cloudflare, "
                   "cloudflareApiToken: {existingSecret: cloudflare}}"],
    "dns-cloudflare": ["spec.addons.external-dns={provider: cloudflare, cloudflareApiToken: {existingSecret: cf}}"],
    "dns-google": ["spec.addons.external-dns={provider: google, cloudDNS: {project: acme-dns-1234, "
                   "serviceAccountKey: {existingSecret: gcp}}}"],
    "dns-azure": ["spec.addons.external-dns={provider: azure, azureDNS: {config: {existingSecret: azure}}}"],
    "existing-secret-tls": ["spec.ingress.tls={mode: existing-secret, secretName: gateway-tls}",
                            "spec.pipelines.mode=standalone"],
    "ssh": ["spec.repo={url: 'git@github.com:acme/kf.git', private: true, credentials: {sealed: {type: ssh, "
            "sshPrivateKey: {env: DEPLOY_KEY}}}}", "spec.secrets.certificate=sealed-secrets.pem"],
    "repo-secret": ["spec.repo={private: true, credentials: {existingSecret: repository}}"],
    "database-sealed": ["spec.kubeflow.components.argo-workflows.enabled=true",
                        "spec.secrets.certificate=sealed-secrets.pem",
                        "spec.argoWorkflows.archive={enabled: true, database: {type: mysql, host: db.acme.io, "
                        "database: argo, credentials: {sealed: {username: {env: DB_USER}, password: {env: DB_PW}}}}}"],
    "s3-secret": ["spec.pipelines.artifactStore={s3: {endpoint: s3.amazonaws.com, bucket: kf-artifacts, "
                  "credentials: {existingSecret: s3, accessKeyKey: a, secretKeyKey: b}}}",
                  "spec.secrets.certificate=sealed-secrets.pem",
                  "spec.ingress.tls={mode: letsencrypt, letsencrypt: {email: ops@acme.io, solver: dns01-route53, "
                  "route53: {region: us-east-1, credentials: {sealed: {accessKey: {env: AWS_KEY}, secretKey: "
                  "{env: AWS_SECRET}}}}}}"],
    "scheduling": ["spec.scheduling={nodeSelector: {pool: all}, priorityClassName: low}"],
    "ci-git": ["spec.ci.generator={git: 'https://git.acme.io/tools/argoflow-gen.git', ref: v0.2.0}"],
    "ci-index": ["spec.ci.generator={index: 'https://pypi.acme.io/simple'}"],
    "subjects": ["spec.identity.oidc={issuer: 'https://login.acme.io', clientId: kubeflow, clientSecret: "
                 "{existingSecret: oidc}}", "spec.kubeflow.components.argo-workflows.enabled=true",
                 "spec.argoWorkflows.sso.rbac.readOnly={groups: [ml-team]}"],
}


# ----------------------------------------------------------------------------------------------- derived


def test_the_committed_schema_and_reference_are_what_the_declarations_derive() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for relative, text in derived_files(readme).items():
        assert (ROOT / relative).read_text(encoding="utf-8") == text, (
            f"{relative} differs from the profile declarations: run `.venv/bin/python scripts/regenerate`"
        )


def test_regenerate_check_passes_on_the_committed_files() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "regenerate"), "--check"],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


@record(description="a sample record", min_properties=1)
class _Sample:
    name: DnsLabel = prop("its name", required=True)
    size: int = prop("how many", default=3, minimum=1)
    tags: tuple[NonEmpty, ...] = prop("free tags", default=(), unique_items=True)
    secret: SecretRef | None = prop("a secret", default=None)


def test_a_declaration_is_its_schema() -> None:
    assert record_schema(_Sample) == {
        "type": "object", "additionalProperties": False, "required": ["name"], "minProperties": 1,
        "description": "a sample record",
        "properties": {
            "name": {"$ref": "#/$defs/dnsLabel", "description": "its name"},
            "size": {"type": "integer", "description": "how many", "default": 3, "minimum": 1},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "free tags",
                     "uniqueItems": True},
            "secret": {"$ref": "#/$defs/secretRef", "description": "a secret"},
        },
    }
    assert _Sample(name="a") == _Sample(name="a", size=3, tags=(), secret=None)  # absent values, typed


@record(exactly_one=("pip", "index"))
class _Choice:
    pip: NonEmpty | None = prop("a requirement", default=None)
    index: NonEmpty | None = prop("an index", default=None)


@pytest.mark.parametrize(("value", "messages"), [
    ({"pip": "a"}, []),
    ({}, ["set one of: pip, index"]),
    ({"pip": "a", "index": "b"}, ["set only one of: pip, index (found pip, index)"]),
])
def test_exactly_one_key_is_declared_and_explained(value: dict[str, str], messages: list[str]) -> None:
    from jsonschema import Draft202012Validator

    from argoflow_gen import schema

    node = record_schema(_Choice)
    assert node["oneOf"] == [{"required": ["pip"]}, {"required": ["index"]}]
    errors = Draft202012Validator(node).iter_errors(value)
    assert [problem.message for error in errors for problem in schema._explain(error, lambda path: None)] == messages


def test_component_ids_and_options_come_from_every_release_catalog() -> None:
    components = profile_schema()["properties"]["spec"]["properties"]["kubeflow"]["properties"]["components"]
    ids = {cid for version in catalog.VERSIONS for cid in catalog.release(version).components}

    assert set(components["properties"]) == ids
    assert components["properties"]["istio"]["properties"]["variant"]["enum"] == ["oauth2-proxy", "gke"]
    assert "eksIssuer" in components["properties"]["oauth2-proxy"]["properties"]
    assert "eksIssuer" not in components["properties"]["istio"]["properties"]


def test_releases_describe_a_shared_component_alike() -> None:
    """The schema takes a component's description from the newest release that has it: they must agree."""
    for cid in catalog.every_component():
        specs = [catalog.release(v).components[cid] for v in catalog.VERSIONS if cid in catalog.release(v).components]
        assert len({spec.description for spec in specs}) == 1, cid
        for name in specs[0].options:
            assert len({spec.options[name].description for spec in specs if name in spec.options}) == 1, (cid, name)


# ----------------------------------------------------------------------------------------- typed profile


def _expected_components(spec: Mapping[str, Any], version: str) -> dict[str, Any]:
    """The components as the typed profile sees them: the release's only, each with the profile-wide
    scheduling under its own, key by key."""
    shared = spec.get("scheduling", {})
    return {cid: {**entry, "scheduling": {**shared, **entry.get("scheduling", {})}}
            for cid, entry in spec["kubeflow"]["components"].items()
            if cid in catalog.release(version).components}


def _mirror(typed: Any, data: Any, path: tuple[Any, ...], seen: set[tuple[type, str]]) -> None:
    """Assert ``typed`` holds ``data``: each key at its attribute, lists as tuples, quantities as strings, local
    files resolved with the path as written; record which declared fields carried a value."""
    where = format_path(path)
    if is_record(type(typed)):
        assert isinstance(data, Mapping), where
        declared = fields(type(typed))
        for item in declared:
            value = getattr(typed, item.attribute)
            if item.declared.mapping_key:
                assert value == path[-1], where
            elif item.declared.options:
                assert dict(value) == {k: v for k, v in data.items() if k not in {f.key for f in declared}}, where
            elif item.key in data:
                seen.add((type(typed), item.attribute))
                _mirror(value, data[item.key], (*path, item.key), seen)
            else:
                assert value in (None, (), {}) or is_record(type(value)), f"{where}.{item.key} has {value!r}"
        return
    if isinstance(typed, LocalFile):
        assert typed.written == data and typed.path.is_absolute(), where
    elif isinstance(typed, tuple):
        assert isinstance(data, list) and len(typed) == len(data), where
        for index, (item, raw) in enumerate(zip(typed, data, strict=True)):
            _mirror(item, raw, (*path, index), seen)
    elif isinstance(typed, Mapping):
        assert isinstance(data, Mapping) and list(typed) == list(data), where
        for key, item in typed.items():
            _mirror(item, data[key], (*path, key), seen)
    elif isinstance(typed, str) and isinstance(data, (int, float)) and not isinstance(data, bool):
        assert typed == str(data), where  # a quantity or a limit factor
    else:
        assert typed == data and type(typed) is type(data), where


def _declared_fields(kind: type, found: set[tuple[type, str]]) -> set[tuple[type, str]]:
    for item in fields(kind):
        if item.declared.mapping_key or item.declared.options:
            continue
        found.add((kind, item.attribute))
        inner = shape(item.kind)
        while inner.item is not None and inner.shaped_as is None:
            inner = inner.item
        nested = inner.python[1] if inner.kind == "literal-or-record" else inner.python
        if is_record(nested) and inner.shaped_as is None and not any(k is nested for k, _ in found):
            _declared_fields(nested, found)
    return found


def test_the_typed_profile_holds_every_declared_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    seen: set[tuple[type, str]] = set()
    cases = {"every-key": ([EVERY_KEY], []), **{name: (["preset:base"], [FORK, *overrides])
                                                  for name, overrides in ALTERNATIVES.items()}}
    for name, (sources, overrides) in cases.items():
        profile = load_profile(*sources, overrides=overrides)
        data = json.loads(json.dumps(dict(profile.resolved), default=dict))  # plain again
        spec = data["spec"]
        spec["kubeflow"]["components"] = _expected_components(spec, spec["kubeflow"]["version"])
        try:
            _mirror(profile, data, (), seen)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None

    missing = {f"{kind.__name__}.{attribute}" for kind, attribute in _declared_fields(Profile, set()) - seen}
    # extends is merged away; a component's enabled and syncWave are always there, the rest is shown above
    assert missing == {"Profile.extends"}


def test_local_files_resolve_against_the_layer_that_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    profile = load_profile(EVERY_KEY)

    assert profile.spec.secrets.certificate == LocalFile(DATA / "profiles" / "valid" / "sealed-secrets.pem",
                                                         "sealed-secrets.pem")
    assert str(profile.spec.secrets.certificate) == str(DATA / "profiles" / "valid" / "sealed-secrets.pem")
