"""Dex's connectors and the groups claim: the Dex config a profile renders is one Dex reads (checked against a JSON
Schema of Dex's own config structure, ``data/dex/config.schema.json``), its secrets reach Dex's environment from
Secrets (sealed or the user's), and the built components carry the groups claim to Kubeflow."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.cli import cli
from argoflow_gen.errors import SecretError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK, Kustomize, load_yaml_documents, unseal

DEX_SCHEMA = json.loads((Path(__file__).parent / "data" / "dex" / "config.schema.json").read_text(encoding="utf-8"))
HASH_SUFFIX = re.compile(r"-[a-z0-9]{10}$")
PRIVATE_KEY = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"

GITHUB = ("{id: github, name: GitHub, github: {clientID: Iv1.0123456789abcdef, clientSecret: {sealed: {env: "
          "GITHUB_SECRET}}, orgs: [{name: acme, teams: [ml-platform, data]}, {name: acme-labs}], teamNameField: slug}}")
LDAP = ("{id: corp-ldap, name: Acme directory, ldap: {host: 'ldap.acme.io:636', bindDN: 'cn=dex,ou=services,dc=acme,"
        "dc=io', bindPW: {existingSecret: dex-ldap}, rootCA: ldap-ca.pem, userSearch: {baseDN: 'ou=people,dc=acme,"
        "dc=io', username: uid, filter: (objectClass=person), nameAttr: cn}, groupSearch: {baseDN: 'ou=groups,dc=acme,"
        "dc=io', filter: (objectClass=groupOfNames), userMatchers: [{userAttr: DN, groupAttr: member}]}}}")
OTHERS = [
    "{id: keycloak, name: Acme SSO, oidc: {issuer: 'https://sso.acme.io/realms/acme', clientID: kubeflow, "
    "clientSecret: {existingSecret: dex-keycloak}, scopes: [groups], groupsClaim: roles, emailClaim: mail, "
    "userIDClaim: preferred_username, allowedGroups: [ml]}}",
    "{id: gitlab, name: GitLab, gitlab: {clientID: gl, clientSecret: {existingSecret: dex-gitlab}, groups: [ml]}}",
    "{id: google, name: Google, google: {clientID: g, clientSecret: {existingSecret: dex-google}, hostedDomains: "
    "[acme.io], groups: [ml@acme.io], adminEmail: it@acme.io, serviceAccountKey: {sealed: {file: sa.json}}}}",
    "{id: entra, name: Microsoft, microsoft: {clientID: m, clientSecret: {sealed: {env: ENTRA_SECRET}}, tenant: "
    "acme.onmicrosoft.com, groups: [ml], onlySecurityGroups: true}}",
    "{id: saml, name: Acme SAML, saml: {ssoURL: 'https://idp.acme.io/sso', ca: ldap-ca.pem, groupsAttr: groups}}",
]


def _connectors(*entries: str) -> str:
    return f"spec.identity.connectors=[{', '.join(entries)}]"


def _profile_args(version: str, *entries: str) -> list[str]:
    return [FORK, f"spec.kubeflow.version={version}", "spec.secrets.certificate=sealed-secrets.pem",
            "spec.ingress.domain=kubeflow.acme.io", _connectors(*entries)]


@pytest.fixture
def identity_env(sealed_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sealed working folder, with a CA file for the connectors and their sealed secrets in the environment."""
    (sealed_env / "ldap-ca.pem").write_bytes((sealed_env / "sealed-secrets.pem").read_bytes())
    (sealed_env / "sa.json").write_text('{"type": "service_account", "private_key": "k"}\n')
    monkeypatch.setenv("GITHUB_SECRET", "gh-client-s3cret")
    monkeypatch.setenv("ENTRA_SECRET", "entra-client-s3cret")
    return sealed_env


def _find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and HASH_SUFFIX.sub("", d["metadata"]["name"]) == name]
    assert len(found) == 1, f"{len(found)} {kind} {name}"
    return found[0]


def _built(kustomize: Kustomize, folder: Path, version: str, *entries: str) -> tuple[Path, dict[str, Any]]:
    tree = render(load_profile("preset:base", overrides=_profile_args(version, *entries)))
    tree.write(folder)
    dex = kustomize.build_objects(folder / "dex")
    (config,) = load_yaml_documents(_find(dex, "ConfigMap", "dex")["data"]["config.yaml"])
    return folder, config


def _secret_env(dex: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """The Secret key each $VAR of the connectors comes from, asserting every one is set in Dex's pod (Dex
    expands an unset variable to nothing)."""
    (container,) = [c for c in _find(dex, "Deployment", "dex")["spec"]["template"]["spec"]["containers"]
                    if c["name"] == "dex"]
    env = {item["name"]: item.get("valueFrom", {}).get("secretKeyRef") for item in container.get("env", [])}
    named = set(re.findall(r"\$([A-Z_][A-Z0-9_]*)", json.dumps(config["connectors"])))
    assert named <= set(env), named - set(env)
    return {name: env[name] for name in named}


def _errors(config: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(DEX_SCHEMA)
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(config))


def test_the_dex_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(DEX_SCHEMA)


# ------------------------------------------------------------------------------- GitHub + LDAP, built


@pytest.mark.parametrize("version", VERSIONS)
def test_github_and_ldap_render_a_dex_config_dex_accepts_and_build(
        version: str, identity_env: Path, kustomize: Kustomize, sealing_keys: tuple[Any, Path]) -> None:
    root, config = _built(kustomize, identity_env / "fork", version, GITHUB, LDAP)

    assert _errors(config) == []
    github, ldap = config["connectors"]
    assert (github["type"], github["id"], github["name"]) == ("github", "github", "GitHub")
    assert github["config"] == {
        "clientID": "Iv1.0123456789abcdef", "clientSecret": "$DEX_CONNECTOR_GITHUB_CLIENT_SECRET",
        "redirectURI": "https://kubeflow.acme.io/dex/callback",
        "orgs": [{"name": "acme", "teams": ["ml-platform", "data"]}, {"name": "acme-labs"}],
        "loadAllGroups": False, "teamNameField": "slug", "useLoginAsID": False,
    }
    assert (ldap["type"], ldap["id"]) == ("ldap", "corp-ldap")
    assert ldap["config"]["bindPW"] == "$DEX_CONNECTOR_CORP_LDAP_BIND_PW"
    assert base64.b64decode(ldap["config"]["rootCAData"]) == (identity_env / "ldap-ca.pem").read_bytes()
    assert ldap["config"]["groupSearch"] == {
        "baseDN": "ou=groups,dc=acme,dc=io", "filter": "(objectClass=groupOfNames)", "scope": "sub",
        "nameAttr": "cn", "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}]}
    assert config["enablePasswordDB"] is True  # preset:base's static user logs in beside the connectors
    dex = kustomize.build_objects(root / "dex")

    env = _secret_env(dex, config)
    assert set(env) >= {"DEX_CONNECTOR_GITHUB_CLIENT_SECRET", "DEX_CONNECTOR_CORP_LDAP_BIND_PW"}
    assert env["DEX_CONNECTOR_CORP_LDAP_BIND_PW"] == {"name": "dex-ldap", "key": "bind-password"}
    sealed_ref = env["DEX_CONNECTOR_GITHUB_CLIENT_SECRET"]
    assert sealed_ref == {"name": "dex-static-passwords-sealed", "key": "DEX_CONNECTOR_GITHUB_CLIENT_SECRET"}

    # the sealed client secret decrypts, under the controller's key, to the value the environment gave
    sealed = _find(dex, "SealedSecret", "dex-static-passwords-sealed")
    blob = base64.b64decode(sealed["spec"]["encryptedData"][sealed_ref["key"]])
    assert unseal(sealing_keys[0], "auth", "dex-static-passwords-sealed", blob) == b"gh-client-s3cret"
    text = "\n".join((root / path).read_text() for path in ("dex/kustomization.yaml", "README.md"))
    assert "gh-client-s3cret" not in text

    # the Secret the user creates is in the fork's README, with its key
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "dex-ldap" in readme and "bind-password" in readme


@pytest.mark.parametrize("version", VERSIONS)
def test_the_groups_claim_reaches_kubeflow(version: str, identity_env: Path, kustomize: Kustomize) -> None:
    """oauth2-proxy asks Dex for groups, and the gateway turns Dex's groups claim into kubeflow-groups."""
    root, _config = _built(kustomize, identity_env / "fork", version, GITHUB, LDAP)
    proxy = kustomize.build_objects(root / "oauth2-proxy")
    settings = _find(proxy, "ConfigMap", "oauth2-proxy")["data"]["oauth2_proxy.cfg"]
    (scope,) = re.findall(r'^scope = "([^"]*)"', settings, re.MULTILINE)
    assert "groups" in scope.split()
    jwt = _find(proxy, "RequestAuthentication", "dex-jwt")["spec"]["jwtRules"][0]
    assert jwt["issuer"] == "http://dex.auth.svc.cluster.local:5556/dex"
    assert {"header": "kubeflow-groups", "claim": "groups"} in jwt["outputClaimToHeaders"]
    assert {"header": "kubeflow-userid", "claim": "email"} in jwt["outputClaimToHeaders"]


def test_every_connector_type_renders_a_config_dex_accepts(identity_env: Path, kustomize: Kustomize) -> None:
    root, config = _built(kustomize, identity_env / "fork", VERSIONS[-1], GITHUB, LDAP, *OTHERS)

    assert _errors(config) == []
    sealed = {"name": "dex-static-passwords-sealed"}
    assert _secret_env(kustomize.build_objects(root / "dex"), config) == {
        "DEX_CONNECTOR_GITHUB_CLIENT_SECRET": {**sealed, "key": "DEX_CONNECTOR_GITHUB_CLIENT_SECRET"},
        "DEX_CONNECTOR_CORP_LDAP_BIND_PW": {"name": "dex-ldap", "key": "bind-password"},
        "DEX_CONNECTOR_KEYCLOAK_CLIENT_SECRET": {"name": "dex-keycloak", "key": "client-secret"},
        "DEX_CONNECTOR_GITLAB_CLIENT_SECRET": {"name": "dex-gitlab", "key": "client-secret"},
        "DEX_CONNECTOR_GOOGLE_CLIENT_SECRET": {"name": "dex-google", "key": "client-secret"},
        "DEX_CONNECTOR_ENTRA_CLIENT_SECRET": {**sealed, "key": "DEX_CONNECTOR_ENTRA_CLIENT_SECRET"},
    }
    by_id = {entry["id"]: entry for entry in config["connectors"]}
    assert [entry["type"] for entry in config["connectors"]] == [
        "github", "ldap", "oidc", "gitlab", "google", "microsoft", "saml"]
    keycloak = by_id["keycloak"]["config"]
    assert keycloak["insecureEnableGroups"] is True
    assert keycloak["scopes"] == ["openid", "profile", "email", "groups"]
    assert keycloak["claimMapping"] == {"email": "mail", "groups": "roles"}
    assert keycloak["overrideClaimMapping"] is True  # else Dex keeps a standard email or groups claim
    assert (keycloak["userIDKey"], keycloak["allowedGroups"]) == ("preferred_username", ["ml"])
    assert by_id["google"]["config"]["domainToAdminEmail"] == {"*": "it@acme.io"}
    # the service account key is a file in Dex's pod, from the sealed Secret, where the config says it is
    pod = _find(kustomize.build_objects(root / "dex"), "Deployment", "dex")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "connector-google"]
    assert volume["secret"] == {"secretName": "dex-static-passwords-sealed",
                                "items": [{"key": "DEX_CONNECTOR_GOOGLE_SERVICE_ACCOUNT_KEY", "path": "key.json"}]}
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "connector-google"]
    assert by_id["google"]["config"]["serviceAccountFilePath"] == f"{mount['mountPath']}/key.json"
    assert mount["readOnly"] is True
    assert by_id["saml"]["config"]["groupsAttr"] == "groups"
    assert base64.b64decode(by_id["saml"]["config"]["caData"]).startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_oidc_shorthand_and_connectors_render_side_by_side(identity_env: Path) -> None:
    profile = load_profile("preset:base", overrides=[
        *_profile_args(VERSIONS[-1], GITHUB),
        "spec.identity.oidc={issuer: 'https://login.acme.io', clientId: kubeflow, clientSecret: {existingSecret: o}}"])
    tree = render(profile)
    (config,) = load_yaml_documents(_dex_configmap(tree["dex/kustomization.yaml"]))

    assert _errors(config) == []
    assert [c["id"] for c in config["connectors"]] == ["oidc", "github"]
    assert config["connectors"][0]["config"]["clientSecret"] == "$OIDC_CONNECTOR_CLIENT_SECRET"


def _dex_configmap(kustomization: str) -> str:
    """The config.yaml of the ConfigMap patch in the dex folder (rendered, not built)."""
    for document in load_yaml_documents(kustomization):
        for patch in document.get("patches", []):
            for body in load_yaml_documents(patch.get("patch", "")) if isinstance(patch.get("patch"), str) else []:
                if isinstance(body, dict) and body.get("kind") == "ConfigMap":
                    return str(body["data"]["config.yaml"])
    raise AssertionError("no ConfigMap patch in dex/kustomization.yaml")


# ----------------------------------------------------------------------------------- the schema can fail


@pytest.mark.parametrize(("break_it", "expected"), [
    (lambda c: c["connectors"][1]["config"].pop("host"), "connectors/1/config: 'host' is a required property"),
    (lambda c: c["connectors"][0]["config"].update(teamNameFeild="slug"),
     "connectors/0/config: Additional properties are not allowed ('teamNameFeild' was unexpected)"),
    (lambda c: c["connectors"][0]["config"].update(loadAllGroups="yes"),
     "connectors/0/config/loadAllGroups: 'yes' is not of type 'boolean'"),
    (lambda c: c["connectors"][1].update(type="ldapp"),
     "connectors/1/type: 'ldapp' is not one of ['github', 'gitlab', 'google', 'ldap', 'microsoft', 'oidc', 'saml']"),
    (lambda c: c.update(connector=[]), ": Additional properties are not allowed ('connector' was unexpected)"),
])
def test_the_dex_schema_rejects_a_broken_config(
        break_it: Any, expected: str, identity_env: Path, kustomize: Kustomize) -> None:
    _root, config = _built(kustomize, identity_env / "fork", VERSIONS[-1], GITHUB, LDAP)
    assert _errors(config) == []
    break_it(config)
    assert expected in _errors(config)


# ------------------------------------------------------------------------------------ refusals and rules


def test_connectors_alone_let_users_log_in(identity_env: Path) -> None:
    """No static user, and an admin and a profile owner the profile does not list: they log in through GitHub."""
    profile = load_profile("preset:base", overrides=[
        *_profile_args(VERSIONS[-1], GITHUB), "spec.identity.users=[]", "spec.identity.admin=ops@acme.io",
        "spec.tenancy.profiles=[{name: ml, owner: ada@acme.io}]"])
    assert [c.connector_id for c in profile.spec.identity.connectors] == ["github"]
    assert profile.spec.identity.connectors[0].type == "github"
    (config,) = load_yaml_documents(_dex_configmap(render(profile)["dex/kustomization.yaml"]))
    assert config["enablePasswordDB"] is False and "staticPasswords" not in config
    assert _errors(config) == []


def test_a_sealed_connector_secret_needs_the_certificate(identity_env: Path) -> None:
    args = [FORK, _connectors(GITHUB)]
    result = CliRunner().invoke(cli, ["validate", "preset:base", *[a for o in args for a in ("--set", o)]])
    assert result.exit_code == 2
    assert ("spec.identity.connectors[0].github.clientSecret.sealed: sealing needs spec.secrets.certificate"
            in result.output)


@pytest.mark.parametrize(("make", "reason"), [
    ("symlink", " is not a regular file"), ("fifo", " is not a regular file"),
    ("missing", ": No such file or directory"), ("not-pem", " holds no PEM certificate"),
    ("private-key", " holds a private key"),
])
def test_a_certificate_file_that_is_not_a_regular_pem_file_is_refused(
        make: str, reason: str, identity_env: Path) -> None:
    target = identity_env / "ldap-ca.pem"
    target.unlink()
    if make == "symlink":
        target.symlink_to(identity_env / "sealed-secrets.pem")
    elif make == "fifo":
        os.mkfifo(target)
    elif make == "not-pem":
        target.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    elif make == "private-key":  # a bundle with its key: the key must never reach the tree
        target.write_bytes((identity_env / "sealed-secrets.pem").read_bytes() + PRIVATE_KEY)
    profile = load_profile("preset:base", overrides=_profile_args(VERSIONS[-1], LDAP))
    with pytest.raises(SecretError, match=re.escape(f"the CA of LDAP connector corp-ldap (ldap-ca.pem){reason}")):
        render(profile)

    result = CliRunner().invoke(cli, ["render", "preset:base", *[a for o in _profile_args(VERSIONS[-1], LDAP)
                                                                for a in ("--set", o)], "-o", "out"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (identity_env / "out").exists()


def test_only_the_certificates_of_a_ca_file_reach_the_tree(identity_env: Path) -> None:
    certificate = (identity_env / "sealed-secrets.pem").read_bytes()
    (identity_env / "ldap-ca.pem").write_bytes(b"# Acme root CA\n" + certificate + b"\nsubject=acme\n" + certificate)
    tree = render(load_profile("preset:base", overrides=_profile_args(VERSIONS[-1], LDAP)))
    (config,) = load_yaml_documents(_dex_configmap(tree["dex/kustomization.yaml"]))
    assert base64.b64decode(config["connectors"][0]["config"]["rootCAData"]) == certificate + certificate


def test_status_never_reads_a_certificate_file_and_carries_the_rendered_one(identity_env: Path) -> None:
    """status re-renders from the fork's recorded profile without reading its inputs: the CA in the tree
    stands for itself (a FIFO there now would block a reader, and is refused by one)."""
    from argoflow_gen import render_to, status

    fork = identity_env / "fork"
    render_to(["preset:base"], _profile_args(VERSIONS[-1], LDAP), fork)
    (identity_env / "ldap-ca.pem").unlink()
    os.mkfifo(identity_env / "ldap-ca.pem")

    found = status(fork)
    assert (found.note, found.rerender_changes) == ("", ())
    assert found.clean

    kustomization = fork / "dex" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("rootCAData:", "rootCADatum:"))
    found = status(fork)
    assert found.rerender_changes is None
    assert "the CA of LDAP connector corp-ldap (ldap-ca.pem) is not read here" in found.note


# ------------------------------------------------------------------------------------------ session lifetime


@pytest.mark.parametrize("version", VERSIONS)
def test_the_session_lifetime_sets_dex_tokens_and_the_proxy_cookie_alike(
        version: str, identity_env: Path, kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:base", overrides=[*_profile_args(version, GITHUB),
                                                         "spec.identity.sessionLifetime=8h"]))
    root = identity_env / "fork"
    tree.write(root)
    dex = kustomize.build_objects(root / "dex")
    (config,) = load_yaml_documents(_find(dex, "ConfigMap", "dex")["data"]["config.yaml"])
    assert _errors(config) == []
    assert config["expiry"] == {"idTokens": "8h"}
    proxy = kustomize.build_objects(root / "oauth2-proxy")
    (container,) = _find(proxy, "Deployment", "oauth2-proxy")["spec"]["template"]["spec"]["containers"]
    assert container["args"][-1] == "--cookie-expire=8h"
    assert "--config=/etc/oauth2_proxy/oauth2_proxy.cfg" in container["args"]  # the flag overrides the file's 24h


def test_without_a_session_lifetime_upstream_keeps_its_24_hours(identity_env: Path) -> None:
    tree = render(load_profile("preset:base", overrides=_profile_args(VERSIONS[-1], GITHUB)))
    assert "cookie-expire" not in tree["oauth2-proxy/kustomization.yaml"]
    assert "expiry" not in _dex_configmap(tree["dex/kustomization.yaml"])


# ------------------------------------------------------------------------------------------ the API server


@pytest.mark.apiserver
def test_the_api_server_accepts_dex_with_every_connector_type(
        identity_env: Path, kustomize: Kustomize, kube_server: Any) -> None:
    """Dex's built objects with every connector's env, volume and mount, applied to a real API server (the
    kinds it knows without CRDs) as Argo CD syncs them."""
    from argoflow_gen.verify.client import Client
    from argoflow_gen.verify.kubeconfig import load_credentials
    from argoflow_gen.verify.plan import sync_of

    from .kubesim import ArgoCD, Report

    root, _config = _built(kustomize, identity_env / "fork", VERSIONS[-1], GITHUB, LDAP, *OTHERS)
    built = kustomize.build_objects(root / "dex")
    core = ("v1", "apps", "batch", "rbac.authorization.k8s.io")
    objects = [d for d in built if d["apiVersion"].split("/")[0] in core]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "auth"}}
    assert {d["kind"] for d in objects} >= {"ConfigMap", "Deployment"}
    with Client(load_credentials(kube_server.kubeconfig)) as admin:
        outcomes = ArgoCD(admin).sync(sync_of("dex", 0, "auth", [], [namespace, *objects]), Report())
    refused = [f"{outcome.item.label()}: {outcome.message}" for outcome in outcomes if outcome.refused]
    assert not refused, refused
    assert len(outcomes) == len(objects) + 1
