"""The generated kustomizations really build, with real kustomize (offline), and reproduce upstream."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS, release
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK, Kustomize, load_yaml_documents

pytestmark = pytest.mark.kustomize

HASH_SUFFIX = re.compile(r"-[2456789bcdfghkmt]{10}$")  # kustomize's name hash alphabet
HASH = "$2y$12$abcdefghijklmnopqrstuu5Yp0M5xfnfxnbJ5gWTXwSTnJrGdTuK2"
PRESETS = ["base", "minimal", "full", "letsencrypt", "kind-local"]


def key(document: dict[str, Any]) -> tuple[str, str, str, str]:
    """group/kind/namespace/name, with kustomize's hash suffix on generated names taken off."""
    api = document["apiVersion"]
    group = api.split("/")[0] if "/" in api else ""
    meta = document["metadata"]
    return group, document["kind"], meta.get("namespace", ""), HASH_SUFFIX.sub("", meta["name"])


def write(tree: Any, folder: Path) -> Path:
    tree.write(folder)
    return folder


def component_folders(root: Path) -> list[Path]:
    return sorted(path.parent for path in root.glob("*/kustomization.yaml")
                  if path.parent.name not in ("argocd", "argocd-applications"))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_kustomization_builds(preset: str, version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    tree = render(load_profile(f"preset:{preset}", overrides=[FORK, f"spec.kubeflow.version={version}"]))
    root = write(tree, tmp_path / "fork")
    folders = component_folders(root)
    assert len(folders) >= 15
    for folder in [*folders, root / "argocd" / "base", root / "argocd" / "overlays" / "private-repo"]:
        assert "\nkind: " in "\n" + kustomize.build(folder), folder
    applications = kustomize.build_objects(root)
    assert {doc["kind"] for doc in applications} == {"Application"}


def upstream_example(version: str, tmp_path: Path, kustomize: Kustomize) -> list[dict[str, Any]]:
    wrapper = tmp_path / f"example-{version}"
    wrapper.mkdir()
    (wrapper / "kustomization.yaml").write_text(
        f"resources:\n- {release(version).remote('example')}\n", encoding="utf-8"
    )
    return kustomize.build_objects(wrapper)


#: What the generated tree deliberately changes against upstream's example, with everything on.
REMOVED = {
    ("", "Secret", "auth", "dex-passwords"),  # the published default password hash
    ("", "Secret", "auth", "dex-oidc-client"),  # published client secret, now made in the cluster
    ("", "Secret", "oauth2-proxy", "oauth2-proxy"),  # published client and cookie secrets
    ("", "Secret", "kubeflow", "mlpipeline-minio-artifact"),  # minio/minio123
    ("", "Secret", "kubeflow", "katib-mysql-secrets"),  # the password "test"
    ("", "Secret", "kubeflow", "mysql-secret"),  # root with an empty password
    ("kubeflow.org", "Profile", "", "kubeflow-user-example-com"),  # upstream's default user
}
ADDED_PROFILE = ("kubeflow.org", "Profile", "", "kubeflow-admin-example-com")
JOBS = ("dex-secrets", "oauth2-proxy-secrets", "pipelines-secrets", "katib-secrets")


@pytest.mark.parametrize("version", VERSIONS)
def test_union_of_applications_reproduces_upstream_example(version: str, tmp_path: Path,
                                                           kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:base", overrides=[FORK, f"spec.kubeflow.version={version}"]))
    root = write(tree, tmp_path / "fork")
    union: dict[tuple[str, str, str, str], str] = {}
    for folder in component_folders(root):
        for document in kustomize.build_objects(folder):
            identity = key(document)
            assert identity not in union, f"{identity} is built by both {union[identity]} and {folder.name}"
            union[identity] = folder.name
    example = {key(document) for document in upstream_example(version, tmp_path, kustomize)}
    assert len(example) == release(version).example_objects
    added = set(union) - example
    removed = example - set(union)
    assert removed == REMOVED
    expected_added = {ADDED_PROFILE, ("cert-manager.io", "Certificate", "istio-system", "kubeflow-gateway")}
    namespaces = {"dex-secrets": ["auth"], "oauth2-proxy-secrets": ["oauth2-proxy", "auth"],
                  "pipelines-secrets": ["kubeflow"], "katib-secrets": ["kubeflow"]}
    for job, role_namespaces in namespaces.items():
        home = role_namespaces[0]
        expected_added |= {("", "ServiceAccount", home, job), ("batch", "Job", home, job)}
        for namespace in role_namespaces:
            expected_added |= {("rbac.authorization.k8s.io", "Role", namespace, job),
                               ("rbac.authorization.k8s.io", "RoleBinding", namespace, job)}
    assert added == expected_added


def _find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for document in documents:
        if document["kind"] == kind and HASH_SUFFIX.sub("", document["metadata"]["name"]) == name:
            return document
    raise AssertionError(f"no {kind} {name}")


def test_profile_values_reach_the_built_manifests(tmp_path: Path, kustomize: Kustomize) -> None:
    images = ["registry.example.com/notebooks/scipy:2.0", "registry.example.com/notebooks/torch:2.0"]
    profile = load_profile("preset:base", overrides=[
        FORK,
        f"spec.notebooks.images={images}",
        "spec.notebooks.workspaceVolume={size: 20Gi, storageClass: fast-ssd}",
        "spec.notebooks.culling={enabled: true, idleMinutes: 90}",
        f"spec.identity.users=[{{email: ada@example.org, username: ada, passwordHash: '{HASH}'}}]",
        "spec.ingress.domain=ml.example.org",
        "spec.ingress.serviceType=LoadBalancer",
        "spec.tenancy.profiles=[{name: team-a, owner: ada@example.org, resourceQuota: {cpu: '8', memory: 32Gi}}]",
    ])
    root = write(render(profile), tmp_path / "fork")

    spawner = _find(kustomize.build_objects(root / "jupyter-web-app"), "ConfigMap", "jupyter-web-app-config")
    form = load_yaml_documents(spawner["data"]["spawner_ui_config.yaml"])[0]["spawnerFormDefaults"]
    assert form["image"]["options"] == images
    assert form["image"]["value"] == images[0]
    claim = form["workspaceVolume"]["value"]["newPvc"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "20Gi"
    assert claim["storageClassName"] == "fast-ssd"

    controller = _find(kustomize.build_objects(root / "notebook-controller"), "ConfigMap", "notebook-controller-config")
    assert controller["data"]["ENABLE_CULLING"] == "true"
    assert controller["data"]["CULL_IDLE_TIME"] == "90"

    dex = kustomize.build_objects(root / "dex")
    config = load_yaml_documents(_find(dex, "ConfigMap", "dex")["data"]["config.yaml"])[0]
    assert config["staticPasswords"] == [
        {"email": "ada@example.org", "username": "ada", "userID": config["staticPasswords"][0]["userID"],
         "hash": HASH}
    ]
    deployment = _find(dex, "Deployment", "dex")
    assert [item["secretRef"]["name"] for item in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]] \
        == ["dex-oidc-client"]

    gateway = _find(kustomize.build_objects(root / "kubeflow-istio-resources"), "Gateway", "kubeflow-gateway")
    https = [server for server in gateway["spec"]["servers"] if server["port"]["number"] == 443]
    hosts = ["ml.example.org", "*.ml.example.org"]  # with KServe's NAME-NAMESPACE.ml.example.org hosts
    assert https == [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts,
                      "tls": {"mode": "SIMPLE", "credentialName": "kubeflow-gateway-tls"}}]
    certificate = _find(kustomize.build_objects(root / "kubeflow-istio-resources"), "Certificate", "kubeflow-gateway")
    assert certificate["spec"]["dnsNames"] == hosts

    service = _find(kustomize.build_objects(root / "istio"), "Service", "istio-ingressgateway")
    assert service["spec"]["type"] == "LoadBalancer"

    kfam = _find(kustomize.build_objects(root / "profiles"), "ConfigMap", "profiles-config")
    assert kfam["data"]["ADMIN"] == "ada@example.org"

    profiles = [doc for doc in kustomize.build_objects(root / "user-namespace") if doc["kind"] == "Profile"]
    assert profiles == [{"apiVersion": "kubeflow.org/v1beta1", "kind": "Profile", "metadata": {"name": "team-a"},
                         "spec": {"owner": {"kind": "User", "name": "ada@example.org"},
                                  "resourceQuotaSpec": {"hard": {"requests.cpu": "8",
                                                                 "requests.memory": "32Gi"}}}}]

    domain = _find(kustomize.build_objects(root / "knative-serving"), "ConfigMap", "config-domain")
    assert domain["data"]["ml.example.org"] == ""
    assert "example.com" not in domain["data"]
    kserve = _find(kustomize.build_objects(root / "kserve"), "ConfigMap", "inferenceservice-config")
    assert '"ingressDomain": "ml.example.org"' in kserve["data"]["ingress"]
    assert '"urlScheme": "https"' in kserve["data"]["ingress"]


def test_no_upstream_default_secret_survives_the_build(tmp_path: Path, kustomize: Kustomize) -> None:
    """The published defaults (Dex password hash, OIDC client and cookie secrets, minio/minio123, Katib's
    database password) are in no built object of any Application."""
    defaults = [
        "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72",
        "pUBnBOY80SnXgjibTYM9ZWNzY2xreNGQok",
        "7d16fee92f8d11b8940b081b3f8b8acb",
        "minio123",
        "dGVzdA==",
        "user@example.com",
    ]
    for version in VERSIONS:
        root = write(render(load_profile("preset:full", overrides=[FORK, f"spec.kubeflow.version={version}"])),
                     tmp_path / version)
        for folder in component_folders(root):
            built = kustomize.build(folder)
            for value in defaults:
                assert value not in built, f"{value} in {folder.name} at {version}"


@pytest.mark.parametrize("version", ["v2.14.21", "v3.5.1"])
def test_argocd_install_builds_in_both_releases_and_ha(version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    for ha in ("false", "true"):
        tree = render(load_profile("preset:minimal", overrides=[FORK, f"spec.argocd.version={version}",
                                                                 f"spec.argocd.ha={ha}"]))
        root = write(tree, tmp_path / f"fork-{ha}")
        built = kustomize.build_objects(root / "argocd" / "base")
        names = {(d["kind"], d["metadata"]["name"]) for d in built}
        assert ("Namespace", "argocd") in names
        config = next(d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "argocd-cm")
        assert "resource.customizations.health.argoproj.io_Application" in config["data"]
        assert (("StatefulSet", "argocd-redis-ha-server") in names) == (ha == "true")
        assert all(d["metadata"].get("namespace", "argocd") == "argocd" for d in built if d["kind"] != "Namespace")
