"""Property tests: profiles drawn from the schema's own options and the catalog's value spaces.

Every valid profile renders; every rendered YAML file parses; every Application validates against the Argo CD
CRD schema; rendering is deterministic; render -> write -> check finds nothing to change. And free text arrives
in the output exactly as written, as a string.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from argoflow_gen import ProfileError, load_profile, render
from argoflow_gen.catalog import VERSIONS, release
from argoflow_gen.schema import profile_schema
from argoflow_gen.templating import markdown_text
from argoflow_gen.yamlemit import dump

from .conftest import SCHEMAS, Kustomize, load_yaml_documents

HASH = "$2y$12$abcdefghijklmnopqrstuu5Yp0M5xfnfxnbJ5gWTXwSTnJrGdTuK2"
SPEC = profile_schema()["properties"]["spec"]["properties"]


def _enum(*path: str) -> list[Any]:
    node: Any = SPEC
    for part in path:
        node = node[part] if part in node else node["properties"][part]
    return list(node["enum"])


@st.composite
def profiles(draw: Any) -> dict[str, Any]:
    version = draw(st.sampled_from(VERSIONS))
    catalog = release(version)
    components: dict[str, Any] = {}
    for cid, spec in catalog.components.items():
        entry: dict[str, Any] = {"enabled": draw(st.booleans())}
        for name, option in spec.options.items():
            entry[name] = draw(st.sampled_from(sorted(option.choices)))
        components[cid] = entry
    if components.get("oauth2-proxy", {}).get("variant") == "m2m-dex-and-eks":
        components["oauth2-proxy"]["eksIssuer"] = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"
    users = [{"email": f"user{i}@example.org", "username": f"user{i}",
              **({"passwordHash": HASH} if draw(st.booleans())
                 else {"passwordHashFrom": {"existingSecret": "dex-hashes", "key": f"user{i}"}})}
             for i in range(draw(st.integers(1, 3)))]
    auth: dict[str, Any] = {"users": users}
    if draw(st.booleans()):
        auth["oidc"] = {"issuer": "https://login.example.org", "clientId": "kubeflow",
                        "clientSecret": {"existingSecret": "oidc-client"}}
    mode = draw(st.sampled_from(_enum("ingress", "tls", "mode")))
    tls: dict[str, Any] = {"mode": mode}
    if mode == "existing-secret":
        tls["secretName"] = "gateway-cert"
    if mode == "letsencrypt":
        solver = draw(st.sampled_from(["http01", "dns01-cloudflare"]))
        tls["letsencrypt"] = {"email": "ops@example.org", "server": draw(st.sampled_from(["staging", "production"])),
                              "solver": solver}
        if solver == "dns01-cloudflare":
            tls["letsencrypt"]["cloudflareApiToken"] = {"existingSecret": "cloudflare", "key": "token"}
    images = draw(st.lists(st.sampled_from(["ghcr.io/acme/scipy:1", "ghcr.io/acme/torch:2", "quay.io/x/y:3"]),
                           min_size=1, max_size=3, unique=True))
    spec: dict[str, Any] = {
        "repo": {"url": "https://github.com/acme/kf.git", "path": draw(st.sampled_from([".", "clusters/prod"])),
                 "revision": draw(st.sampled_from(["main", "v1.2.3", "release/2025"]))},
        "argocd": {"manage": draw(st.booleans()), "ha": draw(st.booleans()),
                   "version": draw(st.sampled_from(_enum("argocd", "version"))),
                   "syncPolicy": {"automated": draw(st.booleans()), "prune": draw(st.booleans()),
                                  "selfHeal": draw(st.booleans())}},
        "kubeflow": {"version": version, "components": components},
        "ingress": {"domain": "kubeflow.example.org", "serviceType": draw(st.sampled_from(_enum("ingress",
                                                                                               "serviceType"))),
                    "tls": tls},
        "identity": auth,
        "notebooks": {"images": images, "culling": {"enabled": draw(st.booleans()),
                                                    "idleMinutes": draw(st.integers(1, 10000))}},
        "tenancy": {"profiles": [{"name": f"team-{i}", "owner": users[i % len(users)]["email"],
                                  "resourceQuota": {"cpu": str(draw(st.integers(1, 64)))}}
                                 for i in range(draw(st.integers(0, 2)))]},
    }
    if draw(st.booleans()):
        spec["repo"]["private"] = True
        spec["repo"]["credentials"] = {"existingSecret": "fork-credentials"}
    if draw(st.booleans()):
        spec["scheduling"] = {"nodeSelector": {"pool": "system"}}
    return {"apiVersion": "argoflow-gen/v1beta1", "kind": "Profile", "metadata": {"name": "drawn"}, "spec": spec}


def _check(document: dict[str, Any], validator: Any, folder: Path) -> None:
    (folder / "profile.yaml").write_text(dump(document))
    try:
        profile = load_profile(folder / "profile.yaml")
    except ProfileError:
        reject()  # the property is about valid profiles; the health check fails if most draws are invalid
    tree = render(profile)
    assert dict(render(profile)) == dict(tree)  # deterministic
    for path, text in tree.items():
        if path.endswith((".yaml", ".yml")):
            documents = load_yaml_documents(text)
            assert documents, path
            if path.startswith("argocd-applications/") or path == "kubeflow.yaml":
                validator.validate(documents[0])
    tree.write(folder / "fork")
    assert not tree.plan(folder / "fork").changes  # render -> write -> check exits 0


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    (crd,) = load_yaml_documents((SCHEMAS / "argocd-application-crd.yaml").read_text())
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")["schema"]["openAPIV3Schema"]
    return jsonschema.Draft7Validator(schema)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(document=profiles())
def test_every_drawn_profile_renders_parses_validates_and_checks(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(document, _validator(), Path(folder))


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(document=profiles())
def test_many_drawn_profiles(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(document, _validator(), Path(folder))


AWKWARD = ["{{ .Values.secret }}", "{% raw %}x{% endraw %}", "multi\nline\ntext", "key: value", "hash # comment",
           "'single'", '"double"', "back\\slash", "*star", "&anchor", "!tag", "%percent", "ünïcødé ✓", "yes", "on",
           "no", "Off", "~", "null", "0x1f", "1.10", "- dash", "trailing space "]
NO_SPACE = [s for s in AWKWARD if not any(c.isspace() for c in s)]


def _free_text_profile(folder: Path, text: str, revision: str) -> Any:
    document = {
        "apiVersion": "argoflow-gen/v1beta1", "kind": "Profile",
        "metadata": {"name": "awkward", "description": text},
        "extends": ["preset:minimal"],
        "spec": {
            "repo": {"url": "https://github.com/acme/kf.git", "revision": revision},
            "identity": {"users": [{"email": "ada@example.org", "username": text, "passwordHash": HASH}],
                         "oidc": {"issuer": "https://login.example.org", "clientId": text, "name": text,
                                  "clientSecret": {"existingSecret": "oidc"}}},
        },
    }
    (folder / "awkward.yaml").write_text(dump(document))
    return render(load_profile(folder / "awkward.yaml"))


def _dex_config(kustomization: str) -> dict[str, Any]:
    patches = load_yaml_documents(kustomization)[0]["patches"]
    configmap = next(load_yaml_documents(p["patch"])[0] for p in patches if "config.yaml" in p["patch"])
    config: dict[str, Any] = load_yaml_documents(configmap["data"]["config.yaml"])[0]
    return config


@pytest.mark.parametrize("text", AWKWARD)
def test_free_text_arrives_exactly_as_written(text: str, tmp_path: Path) -> None:
    revision = text if text in NO_SPACE else "main"
    tree = _free_text_profile(tmp_path, text, revision)
    (root,) = load_yaml_documents(tree["kubeflow.yaml"])
    assert root["metadata"]["annotations"]["argoflow-gen/description"] == text
    assert root["spec"]["source"]["targetRevision"] == revision
    (app,) = load_yaml_documents(tree["argocd-applications/dex.yaml"])
    assert app["spec"]["source"]["targetRevision"] == revision
    config = _dex_config(tree["dex/kustomization.yaml"])
    assert config["staticPasswords"][0]["username"] == text
    assert config["connectors"][0]["name"] == text
    assert config["connectors"][0]["config"]["clientID"] == text
    assert markdown_text(text) in tree["README.md"]  # free text is inert Markdown there: it shows as written


@pytest.mark.kustomize
def test_free_text_survives_a_kustomize_build(tmp_path: Path, kustomize: Kustomize) -> None:
    text = "{{ x }} # yes: on \\ 'q' \"d\" ✓\nsecond line"
    tree = _free_text_profile(tmp_path, text, "main")
    tree.write(tmp_path / "fork")
    built = kustomize.build_objects(tmp_path / "fork" / "dex")
    configmap = next(d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "dex")
    config = load_yaml_documents(configmap["data"]["config.yaml"])[0]
    assert config["staticPasswords"][0]["username"] == text
    assert config["connectors"][0]["name"] == text
