"""The rendered tree: snapshots of every preset at both releases, determinism, and its contract."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.layers import preset_names
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.state import LOCK_FILE, PRISTINE
from argoflow_gen.tree import Tree

from .conftest import FORK, load_yaml_documents

PRESETS = [name for name in preset_names() if name != "base"] + ["base"]
SEALED_VALUE = re.compile(r"^(\s+[A-Za-z0-9_.-]+): [A-Za-z0-9+/]{200,}={0,2}$", re.MULTILINE)
DIGEST = re.compile(r"(random|literal|sha256|hmac-sha256:[0-9a-f]{16}):[0-9a-f]{16,64}")


def render_preset(preset: str, version: str, *extra: str) -> Tree:
    return render(load_profile(f"preset:{preset}", overrides=[FORK, f"spec.kubeflow.version={version}", *extra]))


def normalised(tree: Mapping[str, str], sealed: bool) -> dict[str, str]:
    """The tree without its pristine copy (tested on its own); sealed ciphertexts are random and the test
    certificate is new each run, so they are masked, with their hashes."""
    files = {path: text for path, text in tree.items() if path != PRISTINE}
    if not sealed:
        return files
    return {path: DIGEST.sub(lambda match: f"{match[1].split(':')[0]}:<masked>",
                             SEALED_VALUE.sub(r"\1: <sealed>", text)) for path, text in files.items()}


def test_pristine_copy_holds_every_generated_file() -> None:
    tree = render_preset("full", VERSIONS[0])
    pristine = json.loads(tree[PRISTINE])
    assert pristine == {path: text for path, text in tree.files.items() if path not in (PRISTINE, LOCK_FILE)}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_tree_snapshot(preset: str, version: str, snapshot: Any, sealed_env: Path) -> None:
    tree = render_preset(preset, version)
    assert normalised(tree, preset == "private-repo-sealed") == snapshot


@pytest.mark.parametrize("preset", PRESETS)
def test_render_is_deterministic(preset: str, sealed_env: Path) -> None:
    first = render_preset(preset, VERSIONS[0])
    second = render_preset(preset, VERSIONS[0])
    if preset == "private-repo-sealed":  # sealing is random; the rest is byte-identical
        assert normalised(first, True) == normalised(second, True)
    else:
        assert dict(first) == dict(second)


def _applications(tree: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, text in tree.items():
        if path.startswith("argocd-applications/") or path == "kubeflow.yaml":
            (document,) = load_yaml_documents(text)
            yield path, document


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_applications_match_the_crd_and_their_paths_exist(preset: str, version: str, sealed_env: Path,
                                                          application_validator: Any) -> None:
    tree = render_preset(preset, version)
    folders = {path.rsplit("/", 1)[0] for path in tree if path.endswith("/kustomization.yaml")}
    root = load_profile(f"preset:{preset}", overrides=[FORK]).spec.repo.path
    applications = dict(_applications(tree))
    assert "kubeflow.yaml" in applications
    listed = load_yaml_documents(tree["kustomization.yaml"])[0]["resources"]
    assert sorted(listed) == sorted(p for p in applications if p != "kubeflow.yaml")
    for path, application in applications.items():
        application_validator.validate(application)
        assert application["apiVersion"] == "argoproj.io/v1alpha1"
        assert application["kind"] == "Application"
        source = application["spec"]["source"]
        if "chart" in source:
            continue
        folder = source["path"] if root == "." else source["path"].removeprefix(root + "/")
        if path == "kubeflow.yaml":
            assert source["path"] == root
            continue
        assert folder in folders, f"{path} points at {folder}, which the tree does not have"


@pytest.mark.parametrize("preset", PRESETS)
def test_no_placeholder_survives(preset: str, sealed_env: Path) -> None:
    for version in VERSIONS:
        for path, text in render_preset(preset, version).items():
            for marker in ("<<__", "CHANGEME", "REPLACE_ME", "TODO"):
                assert marker not in text, f"{marker} in {path}"


def test_every_generated_yaml_file_parses(sealed_env: Path) -> None:
    for preset in PRESETS:
        tree = render_preset(preset, VERSIONS[0])
        for path, text in tree.items():
            if path.endswith((".yaml", ".yml")):
                assert load_yaml_documents(text), path


def test_waves_order_dependencies() -> None:
    tree = render_preset("full", "1.11.0")
    waves = {}
    for path, application in _applications(tree):
        if path != "kubeflow.yaml":
            waves[application["metadata"]["name"]] = int(
                application["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
    # the sealed-secrets chart (its CRD) comes before Argo CD's own Application, which may sync a SealedSecret
    assert waves["sealed-secrets"] < waves["argocd"]
    order = [["kubeflow-namespace", "istio-namespace"], ["istio-crds", "cert-manager"],
             ["cert-manager-issuer", "istio"], ["dex", "kubeflow-istio-resources", "cluster-local-gateway"],
             ["oauth2-proxy"], ["knative-serving"], ["jupyter-web-app", "kserve", "pipelines", "trainer"],
             ["user-namespace"]]
    for earlier, later in itertools.pairwise(order):
        assert max(waves[a] for a in earlier) < min(waves[b] for b in later), (earlier, later)
    assert waves["argocd"] < waves["kubeflow-namespace"]


def test_large_crd_components_apply_server_side() -> None:
    tree = render_preset("full", "1.11.0")
    for name in ("kserve", "spark-operator", "trainer", "ray"):
        (application,) = load_yaml_documents(tree[f"argocd-applications/{name}.yaml"])
        assert "ServerSideApply=true" in application["spec"]["syncPolicy"]["syncOptions"], name
    (dashboard,) = load_yaml_documents(tree["argocd-applications/central-dashboard.yaml"])
    assert "syncOptions" not in dashboard["spec"]["syncPolicy"]


def test_argocd_health_check_for_applications_is_on() -> None:
    tree = render_preset("base", "1.11.0")
    (config,) = load_yaml_documents(tree["argocd/base/argocd-cm.yaml"])
    assert "obj.status.health.status" in config["data"]["resource.customizations.health.argoproj.io_Application"]


def test_repo_path_prefixes_every_application() -> None:
    tree = render_preset("base", "1.11.0", "spec.repo.path=clusters/prod", "spec.repo.revision=release-1")
    for path, application in _applications(tree):
        source = application["spec"]["source"]
        if "chart" in source:
            continue
        assert source["path"].startswith("clusters/prod"), path
        assert source["targetRevision"] == "release-1"
