"""Vendored upstream: with every remote base copied into the fork, each Application builds with no network
and no git URL rewriting at all (an empty git config, no bundle), to exactly what the remote bases build."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.diff.confine import path_values
from argoflow_gen.diff.remoteref import looks_remote
from argoflow_gen.errors import RenderError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.state import LOCK_FILE, parse_lock, sha256
from argoflow_gen.tree import Tree
from argoflow_gen.vendor import vendored

from .conftest import FORK, Kustomize, load_yaml_documents

pytestmark = pytest.mark.kustomize

PRESETS = ["base", "minimal", "full", "letsencrypt", "kind-local", "platform"]


def _isolated(folder: Path, empty: Path, cache: Path) -> str:
    """kubectl kustomize with an empty git config: a remote base left anywhere fails the build."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    for line in (folder / "kustomization.yaml").read_text().splitlines():  # the vendored folders it names
        if "vendor/" in line:
            digest.update(line.encode())
    cached = cache / f"{digest.hexdigest()}.yaml"
    if cached.exists():
        return cached.read_text()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True, env=env,
                            check=False, timeout=300)
    assert result.returncode == 0, f"{folder}: {result.stderr[-2000:]}"
    cached.write_text(result.stdout)
    return result.stdout


def _kustomization(text: str) -> dict[str, Any]:
    """A kustomization as kustomize reads it (upstream writes a bare `=`, a string to kustomize)."""
    documents = load_yaml_documents(re.sub(r": =$", ': "="', text, flags=re.MULTILINE))
    return documents[0] if documents and isinstance(documents[0], dict) else {}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_a_vendored_fork_builds_alone(preset: str, version: str, tmp_path: Path, kustomize: Kustomize,
                                      offline_git: Path, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = render(load_profile(f"preset:{preset}", overrides=[FORK, f"spec.kubeflow.version={version}"]))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(offline_git))  # the fetch reads the bundle, as a mirror would
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    files = vendored(tree.files)
    remote = [(path, value) for path, text in files.items() if path.endswith("kustomization.yaml")
              for _field, value in path_values(_kustomization(text)) if looks_remote(value)]
    assert not remote, remote[:5]
    assert any(path.startswith(f"vendor/kubeflow-manifests/v{version}/") for path in files)
    lock = parse_lock(files[LOCK_FILE], LOCK_FILE)
    assert lock.files == {path: sha256(text) for path, text in files.items() if path != LOCK_FILE}
    vendored_root = tmp_path / "vendored"
    Tree(files=files, seeds=tree.seeds).write(vendored_root)
    plain_root = tmp_path / "plain"
    tree.write(plain_root)
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    cache = tmp_path_factory.getbasetemp() / "vendored-builds"
    cache.mkdir(exist_ok=True)
    folders = sorted(path.parent.relative_to(plain_root) for path in plain_root.glob("*/kustomization.yaml")
                     if path.parent.name != "argocd-applications")
    folders += [Path("argocd/base"), Path("argocd/overlays/private-repo")]
    assert len(folders) >= 15
    for folder in folders:
        assert _isolated(vendored_root / folder, empty, cache) == kustomize.build(plain_root / folder), folder


def test_vendoring_refuses_a_base_that_leaves_its_repository(tmp_path: Path, offline_git: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(offline_git))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    files = {"x/kustomization.yaml":
             "resources:\n- https://github.com/kubeflow/manifests//common/../../etc?ref=v1.11.0\n"}
    with pytest.raises(RenderError, match="cannot vendor"):
        vendored(files)
    files = {"x/kustomization.yaml": "resources:\n- http://github.com/kubeflow/manifests/raw/file.yaml\n"}
    with pytest.raises(RenderError, match="https only"):
        vendored(files)


def test_a_profile_that_vendors_stays_vendored_through_check_status_and_diff(
        tmp_path: Path, offline_git: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from argoflow_gen import render_to, status
    from argoflow_gen.diff import against_folder

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(offline_git))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    overrides = [FORK, "spec.repo.vendor=true"]
    fork = tmp_path / "fork"
    render_to(["preset:minimal"], overrides, fork)
    assert "- ../vendor/kubeflow-manifests/v1.11.0/" in (fork / "jupyter-web-app" / "kustomization.yaml").read_text()
    assert (fork / "vendor" / "argoproj-argo-cd" / "v3.5.1" / "manifests" / "cluster-install").is_dir()
    assert not render_to(["preset:minimal"], overrides, fork, check=True).plan.changes
    assert status(fork).clean
    pair = against_folder(["preset:minimal"], overrides, fork)
    assert dict(pair.old) == {path: text for path, text in pair.new.items() if path in pair.old}
    without = render_to(["preset:minimal"], [FORK], fork, check=True).plan
    assert any(path.startswith("vendor/") for path in without.delete)  # turning it off removes vendor/
