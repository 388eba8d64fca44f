"""Fleets: the example renders deterministically and builds offline, one Argo CD drives every cluster with
unique Application names, folders rendered alike are written once, fleet diff names exactly the clusters a
change reaches, tokens are sealed for the hub, and bad fleet files get located errors."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.api import fleet_diff
from argoflow_gen.cli import cli
from argoflow_gen.errors import ProfileError
from argoflow_gen.fleet import cluster_profile, load_fleet, render_fleet
from argoflow_gen.rendering import render

from .conftest import ROOT, SCHEMAS, Kustomize, load_yaml_documents, unseal

EXAMPLE = ROOT / "examples" / "fleet"
SERVERS = {"hub": "https://kubernetes.default.svc", "dev": "https://dev.k8s.acme.internal",
           "prod": "https://prod.k8s.acme.internal"}


@pytest.fixture(scope="module")
def example_tree() -> Mapping[str, str]:
    return render_fleet(load_fleet(EXAMPLE / "fleet.yaml"))


def _write(tree: Mapping[str, str], folder: Path) -> Path:
    for path, text in tree.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


def _applications(tree: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, text in tree.items():
        if path.endswith(".yaml") and ("/argocd-applications/" in path or path.startswith("fleet/apps/")):
            found.extend((path, document) for document in load_yaml_documents(text)
                         if isinstance(document, dict) and document.get("kind") == "Application")
    return found


def test_the_example_renders_the_same_bytes_twice(example_tree: Mapping[str, str]) -> None:
    again = render_fleet(load_fleet(EXAMPLE / "fleet.yaml"))
    assert dict(again.items()) == dict(example_tree.items())
    assert {path.split("/")[1] for path in example_tree if path.startswith("clusters/")} == set(SERVERS)


def test_one_argo_cd_drives_every_cluster(example_tree: Mapping[str, str], application_validator: Any) -> None:
    apps = _applications(example_tree)
    names = [document["metadata"]["name"] for _path, document in apps]
    assert len(names) == len(set(names)) > 60
    for path, document in apps:
        cluster = path.split("/")[1]
        assert document["metadata"]["name"].startswith(f"{cluster}-"), path
        assert document["metadata"]["namespace"] == "argocd"
        assert document["spec"]["destination"]["server"] == SERVERS[cluster], path
        folder = document["spec"]["source"].get("path", f"clusters/{cluster}/")
        assert folder.startswith((f"clusters/{cluster}/", "shared/")), path
        assert any(name.startswith(f"{folder}/") for name in example_tree), path  # the folder it syncs exists
        errors = sorted(error.message for error in application_validator.iter_errors(document))
        assert not errors, (path, errors)
    assert sum(1 for path in example_tree if path.endswith("argocd-applications/argocd.yaml")) == 1  # the hub's
    # only the hub installs Argo CD: the other clusters' trees have no argocd/ folder, and their README says so
    assert {path.split("/")[1] for path in example_tree if path.split("/")[2:3] == ["argocd"]} == {"hub"}
    assert "The hub's Argo CD" in example_tree["clusters/dev/README.md"]
    assert "argocd/application-health-check.yaml" not in example_tree["clusters/dev/README.md"]
    assert "applicationsetcontroller.enable.progressive.syncs" in \
        example_tree["clusters/hub/argocd/base/argocd-cmd-params-cm.yaml"]


def _crd_validator(name: str) -> Any:
    import jsonschema

    (crd,) = load_yaml_documents((SCHEMAS / name).read_text())
    (version,) = [version for version in crd["spec"]["versions"] if version["name"] == "v1alpha1"]
    return jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])


def test_the_application_set_matches_its_crd_and_rolls_out_by_label(example_tree: Mapping[str, str]) -> None:
    (appset,) = load_yaml_documents(example_tree["fleet/applicationset.yaml"])
    errors = sorted(error.message for error in _crd_validator("argocd-applicationset-crd.yaml").iter_errors(appset))
    assert not errors, errors
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [element["cluster"] for element in elements] == ["hub", "dev", "prod"]
    steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
    assert [step["matchExpressions"][0]["values"] for step in steps] == [["dev"], ["prod"]]
    assert appset["spec"]["template"]["metadata"]["labels"]["env"] == '{{index .labels "env"}}'
    assert "automated" not in appset["spec"]["template"]["spec"]["syncPolicy"]  # RollingSync drives the syncs
    kustomization = load_yaml_documents(example_tree["fleet/kustomization.yaml"])[0]
    assert kustomization["resources"] == ["applicationset.yaml", "clusters/dev.yaml"]  # prod's Secret is the user's
    (secret,) = load_yaml_documents(example_tree["fleet/clusters/dev.yaml"])
    assert secret["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "cluster"}
    config = json.loads(secret["stringData"]["config"])
    assert config["awsAuthConfig"] == {"clusterName": "ml-dev",
                                       "roleARN": "arn:aws:iam::123456789012:role/argocd-ml-dev"}
    assert "cluster-prod" in example_tree["README.md"]


def test_folders_rendered_alike_are_written_once(example_tree: Mapping[str, str]) -> None:
    shared = {path.split("/")[1] for path in example_tree if path.startswith("shared/")}
    (web_app,) = [name for name in shared if name.startswith("jupyter-web-app-")]
    for cluster in ("hub", "dev", "prod"):  # each cluster's Application syncs the shared folder; no copy of it
        file = f"clusters/{cluster}/argocd-applications/jupyter-web-app.yaml"
        (application,) = load_yaml_documents(example_tree[file])
        assert application["spec"]["source"]["path"] == f"shared/{web_app}"
        assert not [path for path in example_tree if path.startswith(f"clusters/{cluster}/jupyter-web-app/")]
    # prod culls notebooks, dev does not: the notebook controller differs and is each cluster's own, with custom/
    assert "shared/" not in example_tree["clusters/prod/notebook-controller/kustomization.yaml"]
    assert "clusters/prod/notebook-controller/custom/kustomization.yaml" in example_tree
    remote = [path for path in example_tree if path.startswith("clusters/dev/")]
    assert len(remote) < 50, len(remote)  # the Applications, the state, and what dev alone renders
    def component(path: str) -> bool:  # a file of a component folder (not the README, state or Applications)
        return "/" in path and path.split("/")[0] not in (".argoflow-gen", "argocd-applications", "argocd")

    fleet = load_fleet(EXAMPLE / "fleet.yaml")
    alone = sum(len(text) for cluster in fleet.clusters
                for path, text in render(cluster_profile(fleet, cluster)).files.items() if component(path))
    together = sum(len(text) for path, text in example_tree.files.items()
                   if (path.startswith("shared/") or (path.startswith("clusters/")
                       and component(path.split("/", 2)[2]))))
    assert together < 0.75 * alone, (together, alone)


def test_every_cluster_builds_offline(example_tree: Mapping[str, str], kustomize: Kustomize, tmp_path: Path) -> None:
    root = _write(example_tree, tmp_path / "fleet")
    built_shared: set[str] = set()
    for path, document in _applications(example_tree):
        source = document["spec"].get("source") or {}
        folder = source.get("path")
        if not folder or "chart" in source:
            continue
        if folder in built_shared:
            continue  # a shared folder another cluster's Application syncs too
        built_shared.add(folder)
        objects = kustomize.build_objects(root / folder)
        assert objects, path
    for folder in ("fleet",):
        kinds = sorted({document["kind"] for document in kustomize.build_objects(root / folder)})
        assert kinds == ["ApplicationSet", "Secret"]


def _fleet_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "fleet-src"
    shutil.copytree(EXAMPLE, copy)
    return copy


def test_fleet_diff_names_the_clusters_a_change_reaches(tmp_path: Path) -> None:
    source = _fleet_copy(tmp_path)
    repo = tmp_path / "repo"
    render_fleet(load_fleet(source / "fleet.yaml")).write(repo)
    assert fleet_diff(source / "fleet.yaml", repo).clusters == ()
    prod = source / "clusters" / "prod.yaml"
    prod.write_text(prod.read_text().replace("idleMinutes: 720", "idleMinutes: 600"))
    assert fleet_diff(source / "fleet.yaml", repo).touched == ("prod",)
    base = source / "base.yaml"
    base.write_text(base.read_text().replace("  ingress:\n", "  ingress:\n    serviceType: NodePort\n"))
    changes = fleet_diff(source / "fleet.yaml", repo)
    assert changes.touched == ("hub", "dev", "prod")
    result = CliRunner().invoke(cli, ["fleet", "diff", str(source / "fleet.yaml"), "--repo", str(repo),
                                      "--format", "json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["touched"] == ["hub", "dev", "prod"]


def test_a_bearer_token_is_sealed_for_the_hub_and_carried_on(tmp_path: Path, sealing_keys: tuple[Any, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    key, certificate = sealing_keys
    source = _fleet_copy(tmp_path)
    shutil.copy(certificate, source / "sealed-secrets.pem")
    (source / "prod.token").write_text("eyJ-prod-token\n")
    hub = source / "clusters" / "hub.yaml"
    hub.write_text(hub.read_text() + "  secrets:\n    certificate: ../sealed-secrets.pem\n")
    fleet = source / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("existingSecret: cluster-prod   #",
                                               "bearerToken: {file: prod.token}  #"))
    monkeypatch.setenv("ARGOFLOW_GEN_LOCK_KEY", "a-test-lock-key-of-enough-characters-0123456789")
    first = render_fleet(load_fleet(fleet))
    (sealed,) = load_yaml_documents(first["fleet/clusters/prod.yaml"])
    assert sealed["kind"] == "SealedSecret" and sealed["spec"]["template"]["data"]["server"] == SERVERS["prod"]
    config = json.loads(unseal(key, "argocd", "cluster-prod",
                               base64.b64decode(sealed["spec"]["encryptedData"]["config"])))
    assert config["bearerToken"] == "eyJ-prod-token"
    assert "eyJ-prod-token" not in "".join(first.files.values())
    again = render_fleet(load_fleet(fleet), previous=first.files)
    assert again["fleet/clusters/prod.yaml"] == first["fleet/clusters/prod.yaml"]
    (source / "prod.token").unlink()  # a read-only render never reads the token: the lock vouches for it
    carried = render_fleet(load_fleet(fleet), previous=first.files, read_only=True, read_secrets=False)
    assert carried["fleet/clusters/prod.yaml"] == first["fleet/clusters/prod.yaml"]
    (source / "prod.token").write_text("eyJ-rotated\n")
    rotated = render_fleet(load_fleet(fleet), previous=first.files)
    assert rotated["fleet/clusters/prod.yaml"] != first["fleet/clusters/prod.yaml"]


BAD = """\
apiVersion: argoflow-gen/v1alpha1
kind: Fleet
metadata:
  name: acme
spec:
  hub: central
  deploy: appOfApps
  rollout:
    - matchLabels: {env: staging}
  clusters:
    - name: dev
      layers: [../outside.yaml]
    - name: prod
      server: https://prod.k8s.acme.internal
    - name: dev
      credentials: {existingSecret: x}
"""


def test_a_bad_fleet_file_gets_every_problem_located(tmp_path: Path, snapshot: Any) -> None:
    (tmp_path / "fleet.yaml").write_text(BAD)
    with pytest.raises(ProfileError) as caught:
        load_fleet(tmp_path / "fleet.yaml")
    assert str(caught.value).replace(str(tmp_path), "TMP") == snapshot


def test_a_schema_problem_is_located_too(tmp_path: Path, snapshot: Any) -> None:
    (tmp_path / "fleet.yaml").write_text(BAD.replace("deploy: appOfApps", "deploy: appsOfApps")
                                         .replace("name: prod", "name: Prod"))
    with pytest.raises(ProfileError) as caught:
        load_fleet(tmp_path / "fleet.yaml")
    assert str(caught.value).replace(str(tmp_path), "TMP") == snapshot


@pytest.mark.apiserver
def test_the_hub_accepts_the_fleet(example_tree: Mapping[str, str], kube_server: Any, tmp_path: Path) -> None:
    """The ApplicationSet, the cluster Secrets and every cluster's Applications, applied to a real API server
    with Argo CD's CRDs, as the hub's Argo CD syncs them (ServerSideApply, as Argo CD's own install)."""
    from argoflow_gen.verify.client import Client
    from argoflow_gen.verify.kubeconfig import load_credentials
    from argoflow_gen.verify.plan import sync_of

    from .kubesim import ArgoCD, Report

    crds = [document for name in ("argocd-application-crd.yaml", "argocd-applicationset-crd.yaml",
                                  "argocd-appproject-crd.yaml")
            for document in load_yaml_documents((SCHEMAS / name).read_text())]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}
    fleet_objects = [document for path in ("fleet/applicationset.yaml", "fleet/clusters/dev.yaml")
                     for document in load_yaml_documents(example_tree[path])]
    applications = [document for _path, document in _applications(example_tree)]
    with Client(load_credentials(kube_server.kubeconfig)) as admin:
        report = Report()
        argocd = ArgoCD(admin)
        argocd.sync(sync_of("argocd-crds", 0, "argocd", ["ServerSideApply=true"], [*crds, namespace]), report)
        outcomes = argocd.sync(sync_of("fleet", 1, "argocd", [], [*fleet_objects, *applications]), report)
    refused = [f"{outcome.item.label()}: {outcome.message}" for outcome in outcomes if outcome.refused]
    assert not refused, refused
    assert len(outcomes) == len(fleet_objects) + len(applications)


def test_fleet_status_names_hand_edits_by_cluster(tmp_path: Path) -> None:
    from argoflow_gen.api import fleet_status

    repo = tmp_path / "repo"
    render_fleet(load_fleet(EXAMPLE / "fleet.yaml")).write(repo)
    edited, drift = fleet_status(EXAMPLE / "fleet.yaml", repo)
    assert edited.clusters == () and drift.clusters == ()
    application = repo / "clusters" / "prod" / "argocd-applications" / "dex.yaml"
    application.write_text(application.read_text() + "# a hand edit\n")
    (shared,) = [path for path in (repo / "shared").iterdir() if path.name.startswith("jupyter-web-app-")]
    (shared / "spawner_ui_config.yaml").unlink()  # every cluster that builds on it is touched
    edited, _drift = fleet_status(EXAMPLE / "fleet.yaml", repo)
    by_cluster = {change.cluster: change for change in edited.clusters}
    assert by_cluster["prod"].changed == ("clusters/prod/argocd-applications/dex.yaml",)
    assert set(by_cluster) == {"hub", "dev", "prod"}
    assert all(change.removed == (f"shared/{shared.name}/spawner_ui_config.yaml",) for change in edited.clusters)
    result = CliRunner().invoke(cli, ["fleet", "status", str(EXAMPLE / "fleet.yaml"), "--repo", str(repo), "-q"])
    assert result.exit_code == 1 and result.output == ""


def test_a_fleet_refuses_vendoring_it_cannot_share_yet(tmp_path: Path) -> None:
    source = _fleet_copy(tmp_path)
    base = source / "base.yaml"
    base.write_text(base.read_text().replace("    revision: main\n", "    revision: main\n    vendor: true\n"))
    with pytest.raises(ProfileError, match=r"spec\.repo\.vendor: cluster 'hub' sets spec\.repo\.vendor"):
        render_fleet(load_fleet(source / "fleet.yaml"))


CUSTOM = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs: {team: dev-web}
"""


def test_a_cluster_customises_a_shared_component_with_its_own_custom_folder(tmp_path: Path,
                                                                           kustomize: Kustomize) -> None:
    repo = tmp_path / "repo"
    fleet_file = EXAMPLE / "fleet.yaml"
    rendered = CliRunner().invoke(cli, ["fleet", "render", str(fleet_file), "-o", str(repo)])
    assert rendered.exit_code == 0, rendered.output
    folder = repo / "clusters" / "dev" / "jupyter-web-app"
    assert not folder.exists()
    (folder / "custom").mkdir(parents=True)
    (folder / "custom" / "kustomization.yaml").write_text(CUSTOM)
    changes = fleet_diff(fleet_file, repo)  # the next render gives dev its own folder over the shared one
    assert changes.touched == ("dev",) and changes.clusters[0].applications == ("jupyter-web-app",)
    again = CliRunner().invoke(cli, ["fleet", "render", str(fleet_file), "-o", str(repo)])
    assert again.exit_code == 0, again.output
    (overlay,) = load_yaml_documents((folder / "kustomization.yaml").read_text())
    assert overlay["components"] == ["custom"] and overlay["resources"][0].startswith("../../../shared/")
    (application,) = load_yaml_documents((repo / "clusters/dev/argocd-applications/jupyter-web-app.yaml").read_text())
    assert application["spec"]["source"]["path"] == "clusters/dev/jupyter-web-app"
    (hub,) = load_yaml_documents((repo / "clusters/hub/argocd-applications/jupyter-web-app.yaml").read_text())
    assert hub["spec"]["source"]["path"].startswith("shared/")
    objects = kustomize.build_objects(folder)
    assert objects and all(item["metadata"]["labels"]["team"] == "dev-web" for item in objects)
    assert (folder / "custom" / "kustomization.yaml").read_text() == CUSTOM  # the user's, untouched
    assert fleet_diff(fleet_file, repo).clusters == ()
    # a custom/ reached through a symlinked folder is not the cluster's: never followed
    prod = repo / "clusters" / "prod" / "jupyter-web-app"
    prod.mkdir()
    (prod / "custom").symlink_to(folder / "custom")
    assert fleet_diff(fleet_file, repo).clusters == ()
