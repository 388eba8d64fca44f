"""What Argo CD does with the tree over its life: the order things arrive in, and what deleting the app-of-apps
removes. Argo CD's rules are applied as its documentation states them: a cascade delete removes an
Application's resources in reverse wave order, except those annotated ``Delete=false``; an Application
without ``resources-finalizer.argocd.argoproj.io`` is deleted alone, its resources left in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import load_profile, render
from argoflow_gen.catalog import VERSIONS

from .conftest import load_yaml_documents

URL = ["spec.repo.url=https://github.com/acme/kubeflow-gitops.git"]
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def _applications(tree: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for path, text in tree.items():
        if path.startswith("argocd-applications/") or path == "kubeflow.yaml":
            (document,) = load_yaml_documents(text)
            found[document["metadata"]["name"]] = document
    return found


def _sync_options(resource: dict[str, Any]) -> set[str]:
    annotation = resource["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
    return {option.strip() for option in annotation.split(",") if option.strip()}


def _cascade_delete(applications: dict[str, dict[str, Any]], name: str) -> set[str]:
    """The Applications that a cascade delete of ``name`` removes, and recursively what they remove."""
    removed: set[str] = set()
    parent = applications[name]
    if FINALIZER not in parent["metadata"].get("finalizers", []):
        return {name}
    removed.add(name)
    if name == "kubeflow":  # the app-of-apps deploys every other Application
        for child, document in applications.items():
            if child != "kubeflow" and "Delete=false" not in _sync_options(document):
                removed.add(child)
    return removed


@pytest.mark.parametrize("version", VERSIONS)
def test_deleting_the_app_of_apps_never_deletes_argo_cd(version: str) -> None:
    tree = render(load_profile("preset:full", overrides=[*URL, f"spec.kubeflow.version={version}"]))
    applications = _applications(tree)
    argocd = applications["argocd"]
    assert FINALIZER not in argocd["metadata"].get("finalizers", []), "deleting it would delete Argo CD"
    assert "Delete=false" in _sync_options(argocd), "a cascade delete of the app-of-apps would remove it"
    removed = _cascade_delete(applications, "kubeflow")
    assert "argocd" not in removed
    # everything else still goes, with its resources: an uninstall leaves no Kubeflow behind
    assert removed == set(applications) - {"argocd"}
    assert all(FINALIZER in applications[name]["metadata"]["finalizers"] for name in removed)


def test_without_a_managed_argo_cd_there_is_no_argocd_application() -> None:
    tree = render(load_profile("preset:minimal", overrides=[*URL, "spec.argocd.manage=false"]))
    assert "argocd" not in _applications(tree)


EXTRAS = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {name: extras}
extends: [preset:minimal]
spec:
  repo: {url: https://github.com/acme/kubeflow-gitops.git, path: clusters/prod}
  extraApplications:
    - {name: dashboards, path: extras/dashboards, namespace: monitoring, syncWave: 70}
    - name: cert-exporter
      namespace: exporters
      source: {repoURL: https://charts.example.com, chart: cert-exporter, targetRevision: 3.1.0}
"""


def test_extra_applications_create_their_namespace_and_their_folder(tmp_path: Path) -> None:
    (tmp_path / "extras.yaml").write_text(EXTRAS)
    tree = render(load_profile(tmp_path / "extras.yaml"))
    applications = _applications(tree)
    for name in ("dashboards", "cert-exporter"):
        assert "CreateNamespace=true" in applications[name]["spec"]["syncPolicy"]["syncOptions"], name
    assert applications["dashboards"]["spec"]["source"]["path"] == "clusters/prod/extras/dashboards"
    # the folder the Application syncs exists after the first render: seeded once, then the user's
    readme = tree.seeds["extras/dashboards/README.md"]
    assert "`dashboards`" in readme and "`monitoring`" in readme
    tree.write(tmp_path / "fork")
    assert (tmp_path / "fork/extras/dashboards/README.md").is_file()
    (tmp_path / "fork/extras/dashboards/README.md").write_text("mine\n")
    render(load_profile(tmp_path / "extras.yaml")).write(tmp_path / "fork")
    assert (tmp_path / "fork/extras/dashboards/README.md").read_text() == "mine\n"


def test_the_production_example_syncs_a_folder_that_exists() -> None:
    root = Path(__file__).resolve().parent.parent
    tree = render(load_profile(root / "examples/production.yaml"))
    for name, application in _applications(tree).items():
        source = application["spec"]["source"]
        if "chart" in source or source["repoURL"] != "git@github.com:acme/platform-gitops.git":
            continue
        folder = source["path"].removeprefix("clusters/prod").lstrip("/") or "."
        assert folder == "." or any(path.startswith(folder + "/") for path in tree), f"{name}: {folder} is missing"


def test_sealed_secrets_syncs_before_the_sealed_repository_credentials(sealing_keys: tuple[Any, Path],
                                                                         tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The argocd Application syncs the overlay holding the SealedSecret; its CRD comes with the chart."""
    _key, certificate = sealing_keys
    monkeypatch.chdir(certificate.parent)
    monkeypatch.setenv("GIT_USERNAME", "robot")
    monkeypatch.setenv("GIT_PASSWORD", "token")
    tree = render(load_profile("preset:private-repo-sealed", overrides=URL))
    applications = _applications(tree)
    assert applications["argocd"]["spec"]["source"]["path"] == "argocd/overlays/private-repo"
    assert "SealedSecret" in tree["argocd/overlays/private-repo/repository-secret.yaml"]

    def wave(name: str) -> int:
        return int(applications[name]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])

    assert wave("sealed-secrets") < wave("argocd")
