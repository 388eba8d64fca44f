"""Regenerating a fork keeps its edits: three-way merges, conflicts, deletions, status."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.cli import cli
from argoflow_gen.merge import merge_file

from .conftest import Kustomize, load_yaml_documents

BASE = ["preset:minimal", "--set", "spec.repo.url=https://github.com/acme/kf.git"]


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def fork(tmp_path: Path) -> Path:
    folder = tmp_path / "fork"
    result = run("render", *BASE, "--set", "spec.kubeflow.version=1.10.2", "-o", str(folder))
    assert result.exit_code == 0, result.output
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def update(folder: Path, *extra: str) -> Any:
    return run("update", *BASE, "--set", "spec.kubeflow.version=1.11.0", *extra, "--repo", str(folder),
               "--allow-dirty")


@pytest.mark.kustomize
def test_update_to_a_new_release_keeps_every_edit(fork: Path, kustomize: Kustomize) -> None:
    jwa = fork / "jupyter-web-app" / "kustomization.yaml"
    edit(jwa, "configMapGenerator:", "# spawner images are reviewed by the platform team\nconfigMapGenerator:")
    controller = fork / "notebook-controller" / "kustomization.yaml"
    edit(controller, "CULL_IDLE_TIME=1440", "CULL_IDLE_TIME=60")
    (fork / "extras").mkdir()
    (fork / "extras" / "quota.yaml").write_text("apiVersion: v1\nkind: ResourceQuota\n")
    old_lock = load_yaml_documents((fork / ".argoflow-gen/lock.yaml").read_text())[0]

    result = update(fork, "--set", "spec.ingress.domain=ml.acme.example")
    assert result.exit_code == 0, result.output
    assert "merged        jupyter-web-app/kustomization.yaml" in result.stdout
    assert "merged        notebook-controller/kustomization.yaml" in result.stdout

    merged = jwa.read_text()
    assert "# spawner images are reviewed by the platform team\nconfigMapGenerator:" in merged
    assert "upstream/overlays/istio?ref=v1.11.0" in merged
    assert "(Kubeflow 1.11.0)" in merged.splitlines()[0]
    literals = load_yaml_documents(controller.read_text())[0]["configMapGenerator"][0]["literals"]
    assert literals == ["ENABLE_CULLING=false", "CULL_IDLE_TIME=60"]
    assert "?ref=v1.11.0" in controller.read_text()
    assert (fork / "extras" / "quota.yaml").read_text() == "apiVersion: v1\nkind: ResourceQuota\n"

    lock = load_yaml_documents((fork / ".argoflow-gen/lock.yaml").read_text())[0]
    assert (old_lock["kubeflow"], lock["kubeflow"]) == ("1.10.2", "1.11.0")
    assert lock["profile"]["digest"] != old_lock["profile"]["digest"]
    gateway = load_yaml_documents((fork / "kubeflow-istio-resources" / "certificate.yaml").read_text())[-1]
    assert gateway["spec"]["dnsNames"] == ["ml.acme.example"]

    for folder in ("jupyter-web-app", "notebook-controller", "kubeflow-istio-resources", "dex"):
        assert kustomize.build_objects(fork / folder)
    built = kustomize.build_objects(fork / "notebook-controller")
    config = next(d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("notebook-"))
    assert config["data"]["CULL_IDLE_TIME"] == "60"

    status = run("status", "--repo", str(fork))
    assert status.stdout.splitlines()[:2] == ["edited    jupyter-web-app/kustomization.yaml",
                                              "edited    notebook-controller/kustomization.yaml"]


def test_a_colliding_edit_leaves_conflict_markers_and_exit_1(fork: Path) -> None:
    controller = fork / "notebook-controller" / "kustomization.yaml"
    edit(controller, "CULL_IDLE_TIME=1440", "CULL_IDLE_TIME=60")
    result = update(fork, "--set", "spec.notebooks.culling={enabled: true, idleMinutes: 30}")
    assert result.exit_code == 1
    assert "conflict      notebook-controller/kustomization.yaml" in result.stdout
    assert "1 file(s) have conflict markers" in result.stderr
    text = controller.read_text()
    assert "<<<<<<< notebook-controller/kustomization.yaml (yours)" in text
    assert "CULL_IDLE_TIME=60" in text
    assert "CULL_IDLE_TIME=30" in text
    assert ">>>>>>> notebook-controller/kustomization.yaml (new render)" in text


def test_a_deleted_generated_file_stays_deleted_until_restored(fork: Path) -> None:
    (fork / "argocd-applications" / "volumes-web-app.yaml").unlink()
    result = update(fork)
    assert result.exit_code == 0
    assert "kept deleted  argocd-applications/volumes-web-app.yaml" in result.stdout
    assert not (fork / "argocd-applications" / "volumes-web-app.yaml").exists()
    restored = update(fork, "--restore", "argocd-applications/volumes-web-app.yaml")
    assert restored.exit_code == 0
    assert "restored      argocd-applications/volumes-web-app.yaml" in restored.stdout
    assert (fork / "argocd-applications" / "volumes-web-app.yaml").exists()


def test_a_file_no_longer_generated_is_removed_only_if_unedited(fork: Path) -> None:
    edit(fork / "volumes-web-app" / "kustomization.yaml", "components:", "# mine\ncomponents:")
    result = update(fork, "--set", "spec.kubeflow.components.volumes-web-app.enabled=false",
                    "--set", "spec.kubeflow.components.tensorboards-web-app.enabled=false")
    assert result.exit_code == 0
    assert "kept edited   volumes-web-app/kustomization.yaml" in result.stdout
    assert "deleted       argocd-applications/volumes-web-app.yaml" in result.stdout
    assert (fork / "volumes-web-app" / "kustomization.yaml").exists()
    assert not (fork / "argocd-applications" / "volumes-web-app.yaml").exists()


def test_status_reports_drift_exactly(fork: Path) -> None:
    clean = run("status", "--repo", str(fork))
    assert clean.exit_code == 0
    assert clean.stdout == f"{fork}: clean\n"
    edit(fork / "dex" / "kustomization.yaml", "components:", "# tuned\ncomponents:")
    (fork / "argocd-applications" / "dex.yaml").unlink()
    (fork / "mine.txt").write_text("not generated")
    drifted = run("status", "--repo", str(fork))
    assert drifted.exit_code == 1
    assert drifted.stdout == "edited    dex/kustomization.yaml\ndeleted   argocd-applications/dex.yaml\n"


def test_update_refuses_a_dirty_git_tree(fork: Path) -> None:
    subprocess.run(["git", "init", "-q", str(fork)], check=True)
    subprocess.run(["git", "-C", str(fork), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(fork), "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "r"],
                   check=True)
    (fork / "notes.md").write_text("wip")  # the user's own files, and the profile edit, do not count
    (fork / "clusters").mkdir()
    (fork / "clusters" / "cluster.yaml").write_text("spec: {ingress: {domain: ml.acme.example}}\n")
    same = run("update", *BASE, "--set", "spec.kubeflow.version=1.10.2", "--repo", str(fork))
    assert same.exit_code == 0, same.output
    dex = fork / "dex" / "kustomization.yaml"
    dex.write_text(dex.read_text() + "# wip\n")
    result = run("update", *BASE, "--repo", str(fork))
    assert result.exit_code == 2
    assert "uncommitted changes to generated files: dex/kustomization.yaml" in result.stderr
    assert "--allow-dirty" in result.stderr


def test_update_dry_run_files_changes_under_their_application(fork: Path) -> None:
    result = run("update", *BASE, "--set", "spec.kubeflow.version=1.11.0", "--repo", str(fork), "--dry-run",
                 "--format", "json")
    assert result.exit_code == 1
    owners = {entry["path"]: entry["application"] for entry in json.loads(result.stdout)["entries"]}
    assert owners["dex/kustomization.yaml"] == "dex"
    assert owners["jupyter-web-app/kustomization.yaml"] == "jupyter-web-app"


def test_diff_against_a_fork_does_not_list_the_generators_state_as_added(fork: Path) -> None:
    result = run("diff", *BASE, "--set", "spec.kubeflow.version=1.11.0", "--against", str(fork), "--format", "json")
    assert result.exit_code == 1
    paths = [entry["path"] for entry in json.loads(result.stdout)["entries"] if entry["type"] == "file"]
    assert ".argoflow-gen/pristine.json" not in paths and ".argoflow-gen/profile.yaml" not in paths


def test_update_dry_run_writes_nothing(fork: Path) -> None:
    before = {p: p.read_bytes() for p in fork.rglob("*") if p.is_file() and "write.lock" not in p.name}
    result = run("update", *BASE, "--set", "spec.kubeflow.version=1.11.0", "--repo", str(fork), "--dry-run")
    assert result.exit_code == 1  # changes would be made, as diff reports them
    assert "replaced      dex/kustomization.yaml" in result.stdout
    assert "-- https://github.com/kubeflow/manifests//common/dex/overlays/oauth2-proxy?ref=v1.10.2" in result.stdout
    assert "+- https://github.com/kubeflow/manifests//common/dex/overlays/oauth2-proxy?ref=v1.11.0" in result.stdout
    markdown = run("update", *BASE, "--set", "spec.kubeflow.version=1.11.0", "--repo", str(fork), "--dry-run",
                   "--format", "markdown")
    assert markdown.stdout.startswith("<!-- argoflow-gen-diff -->")
    assert "dex/kustomization.yaml" in markdown.stdout
    after = {p: p.read_bytes() for p in fork.rglob("*") if p.is_file() and "write.lock" not in p.name}
    assert after == before


def test_text_files_merge_with_git_merge_file() -> None:
    base = "a\nb\nc\nd\ne\n"
    merged = merge_file("notes.md", base, "a\nB\nc\nd\ne\n", "a\nb\nc\nd\nE\n")
    assert (merged.text, merged.conflict, merged.how) == ("a\nB\nc\nd\nE\n", False, "text")
    clash = merge_file("notes.md", base, "a\nX\nc\nd\ne\n", "a\nY\nc\nd\ne\n")
    assert clash.conflict
    assert "<<<<<<< notes.md (yours)" in clash.text


def test_yaml_merge_matches_list_items_by_merge_key() -> None:
    base = "spec:\n  containers:\n  - name: a\n    image: a:1\n  - name: b\n    image: b:1\n"
    ours = "spec:\n  containers:\n  - name: b\n    image: b:1  # pinned by us\n  - name: a\n    image: a:1\n"
    theirs = ("spec:\n  containers:\n  - name: a\n    image: a:2\n  - name: b\n    image: b:1\n"
              "  - name: c\n    image: c:1\n")
    merged = merge_file("deploy.yaml", base, ours, theirs)
    assert not merged.conflict
    assert merged.how == "yaml"  # ours' order kept; the new item goes after its predecessor in the new render
    assert load_yaml_documents(merged.text)[0]["spec"]["containers"] == [
        {"name": "b", "image": "b:1"}, {"name": "c", "image": "c:1"}, {"name": "a", "image": "a:2"}]
    assert "# pinned by us" in merged.text
