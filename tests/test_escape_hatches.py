"""Escape hatches reach the built manifests: patches, extra resources, scheduling, extra Applications."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import load_profile, render

from .conftest import Kustomize, load_yaml_documents

PROFILE = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {name: hatches}
extends: [preset:minimal]
spec:
  repo: {url: https://git.acme.internal/platform/kubeflow-gitops.git}
  scheduling:
    nodeSelector: {pool: system}
  kubeflow:
    components:
      jupyter-web-app:
        scheduling:
          nodeSelector: {pool: web}
          tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
          priorityClassName: high
        patches:
          - patch:
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: jupyter-web-app-deployment, namespace: kubeflow}
              spec: {replicas: 2}
          - target: {kind: Service, name: jupyter-web-app-service}
            patch:
              - {op: add, path: /metadata/labels/team, value: ml-platform}
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: team-notes, namespace: kubeflow}
            data: {owner: "ml-platform"}
  extraApplications:
    - name: dashboards
      path: extras/dashboards
      namespace: monitoring
      syncWave: 70
    - name: cert-exporter
      namespace: monitoring
      source:
        repoURL: https://charts.example.com
        chart: cert-exporter
        targetRevision: 3.1.0
        helm: {valuesObject: {replicas: 1}}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Any:
    (tmp_path / "hatches.yaml").write_text(PROFILE)
    rendered = render(load_profile(tmp_path / "hatches.yaml"))
    rendered.write(tmp_path / "fork")
    return tmp_path / "fork"


@pytest.mark.kustomize
def test_patches_resources_and_scheduling_are_built(tree: Path, kustomize: Kustomize) -> None:
    built = kustomize.build_objects(tree / "jupyter-web-app")
    deployment = next(d for d in built if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2
    assert pod["nodeSelector"] == {"pool": "web"}  # the component's own scheduling wins over the global one
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]
    assert pod["priorityClassName"] == "high"
    service = next(d for d in built if d["kind"] == "Service")
    assert service["metadata"]["labels"]["team"] == "ml-platform"
    notes = next(d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "team-notes")
    assert notes["data"] == {"owner": "ml-platform"}
    dex = next(d for d in kustomize.build_objects(tree / "dex") if d["kind"] == "Deployment")
    assert dex["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "system"}  # the global scheduling


def test_extra_applications_join_the_app_of_apps(tree: Path) -> None:
    listed = load_yaml_documents((tree / "kustomization.yaml").read_text())[0]["resources"]
    assert "argocd-applications/dashboards.yaml" in listed
    assert "argocd-applications/cert-exporter.yaml" in listed
    (dashboards,) = load_yaml_documents((tree / "argocd-applications" / "dashboards.yaml").read_text())
    assert dashboards["spec"]["source"]["path"] == "extras/dashboards"
    assert dashboards["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "70"
    assert dashboards["spec"]["destination"]["namespace"] == "monitoring"
    (chart,) = load_yaml_documents((tree / "argocd-applications" / "cert-exporter.yaml").read_text())
    assert chart["spec"]["source"] == {"repoURL": "https://charts.example.com", "chart": "cert-exporter",
                                       "targetRevision": "3.1.0", "helm": {"valuesObject": {"replicas": 1}}}


IMAGES = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {name: images}
extends: [preset:minimal]
spec:
  repo: {url: https://git.acme.internal/platform/kubeflow-gitops.git}
  kubeflow:
    version: "VERSION"
    components:
      jupyter-web-app:
        images:
          - {name: ghcr.io/kubeflow/kubeflow/jupyter-web-app, newName: registry.acme.io/kf/jupyter-web-app,
             newTag: v1.10.0-acme.1}
      katib:
        enabled: true
        images:
          - name: ghcr.io/kubeflow/katib/katib-ui
            digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""


@pytest.mark.kustomize
@pytest.mark.parametrize("version", ["1.11.0", "1.10.2"])
def test_image_overrides_replace_the_components_images(version: str, tmp_path: Path,
                                                       kustomize: Kustomize) -> None:
    (tmp_path / "images.yaml").write_text(IMAGES.replace("VERSION", version))
    render(load_profile(tmp_path / "images.yaml")).write(tmp_path / "fork")

    def images(folder: str, deployment: str) -> list[str]:
        built = kustomize.build_objects(tmp_path / "fork" / folder)
        (found,) = [d for d in built if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment]
        return [container["image"] for container in found["spec"]["template"]["spec"]["containers"]]

    assert images("jupyter-web-app", "jupyter-web-app-deployment") == [
        "registry.acme.io/kf/jupyter-web-app:v1.10.0-acme.1"]
    assert images("katib", "katib-ui") == [
        "ghcr.io/kubeflow/katib/katib-ui@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
    untouched = images("katib", "katib-controller")
    assert untouched and all(image.startswith("ghcr.io/kubeflow/katib/katib-controller:") for image in untouched)
