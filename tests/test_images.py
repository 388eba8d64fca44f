"""`argoflow-gen images`: every image a fork runs, from its builds, with where each is named."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.cli import cli
from argoflow_gen.images import list_images, parse_image

from .conftest import FORK, KUSTOMIZE_OFFLINE, Kustomize


@pytest.mark.parametrize(("text", "parts"), [
    ("mysql:8.0", ("docker.io", "library/mysql", "8.0", "")),
    ("kserve/agent:v0.15.2", ("docker.io", "kserve/agent", "v0.15.2", "")),
    ("ghcr.io/kubeflow/kfp-driver:2.15.0", ("ghcr.io", "kubeflow/kfp-driver", "2.15.0", "")),
    ("registry.corp:5000/team/app", ("registry.corp:5000", "team/app", "latest", "")),
    ("gcr.io/k/queue@sha256:" + "a" * 64, ("gcr.io", "k/queue", "", "sha256:" + "a" * 64)),
    ("localhost/app:1", ("localhost", "app", "1", "")),
])
def test_image_references_are_split_as_registries_read_them(text: str, parts: tuple[str, ...]) -> None:
    assert parse_image(text) == parts


def test_images_are_found_in_pod_specs_text_and_istio_values() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "kf"},
                  "spec": {"template": {"spec": {
                      "initContainers": [{"name": "init", "image": "busybox:1.36"}],
                      "containers": [{"name": "api", "image": "ghcr.io/acme/api:1.0",
                                      "args": ["--executor-image", "quay.io/argoproj/argoexec:v3.7.3"],
                                      "env": [{"name": "DRIVER", "value": "ghcr.io/kubeflow/kfp-driver:2.15.0"},
                                              {"name": "URL", "value": "https://github.com/kubeflow/manifests"}]},
                                     {"name": "templated", "image": "{{ .ProxyImage }}"}]}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-sidecar-injector"},
              "data": {"values": json.dumps({"global": {"hub": "gcr.io/istio-release", "tag": "1.28.0",
                                                        "proxy": {"image": "proxyv2"}}}),
                       "config": "image: \"{{ .ProxyImage }}\"\nnot an image: 1.2.3\n"}}
    images = {image.reference: image for image in list_images({"app": [deployment, config]})}
    assert sorted(images) == ["busybox:1.36", "gcr.io/istio-release/proxyv2:1.28.0", "ghcr.io/acme/api:1.0",
                              "ghcr.io/kubeflow/kfp-driver:2.15.0", "quay.io/argoproj/argoexec:v3.7.3"]
    (driver,) = images["ghcr.io/kubeflow/kfp-driver:2.15.0"].references
    assert (driver.kind, driver.name, driver.path, driver.how) == (
        "Deployment", "api", "spec.template.spec.containers[0].env[0].value", "text")
    assert images["gcr.io/istio-release/proxyv2:1.28.0"].references[0].how == "istio"


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, kustomize: Kustomize) -> dict[str, Any]:
    """`images --format json` of preset:full 1.11.0, and the raw YAML of its builds (for the independent scan)."""
    folder = tmp_path_factory.mktemp("images")
    config = folder / "gitconfig"
    config.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                                     check=True).stdout)
    fork = folder / "fork"
    assert CliRunner().invoke(cli, ["render", "preset:full", "--set", FORK, "-o", str(fork)]).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(config))
        result = CliRunner().invoke(cli, ["images", "--tree", str(fork), "--format", "json",
                                          "--kustomize", str(KUSTOMIZE_OFFLINE)])
    assert result.exit_code == 0, result.output
    raw = "".join(kustomize.build(path.parent) for path in sorted(fork.glob("*/kustomization.yaml")))
    return {"document": json.loads(result.stdout), "raw": raw, "warnings": result.stderr}


@pytest.mark.kustomize
def test_the_images_controllers_start_later_are_listed(full: dict[str, Any]) -> None:
    images = {entry["image"] for entry in full["document"]["images"]}
    for expected in ("ghcr.io/kubeflow/kfp-driver:2.15.0", "ghcr.io/kubeflow/kfp-launcher:2.15.0",
                     "quay.io/argoproj/argoexec:v3.7.3", "gcr.io/istio-release/proxyv2:1.28.0",
                     "ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0",
                     "ghcr.io/kubeflow/katib/file-metrics-collector:v0.19.0", "kserve/sklearnserver:v0.15.2",
                     "kserve/storage-initializer:v0.15.2", "ghcr.io/kubeflow/trainer/torchtune-trainer:v2.1.0"):
        assert expected in images, expected
    assert any(image.startswith("gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:") for image in images)
    queue = next(entry for entry in full["document"]["images"] if "/serving/cmd/queue@" in entry["image"])
    assert queue["digest"].startswith("sha256:") and queue["tag"] == ""
    assert full["document"]["notBuilt"] == [{"application": "sealed-secrets", "reason": "Helm chart source"}]
    assert "sealed-secrets is not built" in full["warnings"]


@pytest.mark.kustomize
def test_the_list_is_complete_against_an_independent_scan_of_the_built_yaml(full: dict[str, Any]) -> None:
    """Anything in the raw kustomize output shaped like an image with a registry host, or named by an `image:`
    key, is in the list."""
    images = {entry["image"] for entry in full["document"]["images"]}
    qualified = re.findall(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/[a-z0-9._/-]+(?::[\w.-]+(?:@sha256:[0-9a-f]{64})?"
                           r"|@sha256:[0-9a-f]{64})", full["raw"])
    keyed = re.findall(r"^\s*-?\s*image: ['\"]?([^'\"\s{}$]+)['\"]?\s*$", full["raw"], re.MULTILINE)
    scanned = {text.rstrip(".,") for text in qualified + keyed}
    scanned = {text for text in scanned if not text.startswith(("github.com/", "raw.githubusercontent.com/"))
               and "." not in text.rsplit("/", 1)[-1].split(":")[0][-4:]}  # not a file path or a repository URL
    missing = sorted(scanned - images)
    assert not missing, missing
    assert len(images) > 100
