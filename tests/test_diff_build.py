"""The resource level with real kustomize (kustomize-offline): builds, the run cache, failures, the bump."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from argoflow_gen.cli import cli
from argoflow_gen.cli.diff import diff_command
from argoflow_gen.diff import (
    Diff,
    build_trees,
    compare,
    format_json,
    format_markdown,
    format_text,
    profile_pair,
)
from argoflow_gen.diff.remoteref import RefusedRemote, Remote, parse_remote
from argoflow_gen.errors import DiffError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_OFFLINE = ROOT.parent / "shared" / "upstream" / "kustomize-offline"
DATA = Path(__file__).resolve().parent / "data" / "diff"
IMAGES = "spec.notebooks.images=[ghcr.io/example/jupyter-scipy:v2.0.0]"
SEALED = "spec.kubeflow.components.sealed-secrets.enabled=true"

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def offline_gitconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The git config of kustomize-offline: upstream URLs resolve to the bundled repositories."""
    text = subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True, check=True).stdout
    path = tmp_path_factory.mktemp("git") / "gitconfig"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, offline_gitconfig: Path) -> None:
    """The run cache clones with the environment's git config: point it at the bundled repositories."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(offline_gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    if "diff" not in cli.commands:  # registered for this test only, as cli.py will register it for good
        monkeypatch.setitem(cli.commands, "diff", diff_command)
    monkeypatch.chdir(DATA)  # profile paths in labels stay short and machine-independent
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["diff", *args, "--kustomize", str(KUSTOMIZE_OFFLINE)], catch_exceptions=False)

    return invoke


# ------------------------------------------------------------------------------------ remote references


@pytest.mark.parametrize(("entry", "expected"), [
    ("https://github.com/kubeflow/manifests//common/dex/base?ref=v1.11.0",
     Remote("", "https://github.com/kubeflow/manifests", "v1.11.0", "common/dex/base")),
    ("https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3",
     Remote("", "https://github.com/argoproj/argo-workflows", "v3.7.3", "manifests/base/crds/minimal")),
    ("github.com/kubernetes-sigs/lws//config/default?ref=v0.7.0",
     Remote("", "https://github.com/kubernetes-sigs/lws", "v0.7.0", "config/default")),
    ("git@github.com:org/repo.git//deploy?ref=main&timeout=90s",
     Remote("", "git@github.com:org/repo.git", "main", "deploy")),
    ("ssh://git@example.com/team/repo.git/base?ref=abc123",
     Remote("", "ssh://git@example.com/team/repo.git", "abc123", "base")),
    ("https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml", None),  # no ref
    ("../common/dex/base", None),
    ("https://example.com/team/repo/base?ref=v1", None),  # where the repository ends is unknown
])
def test_remote_references(entry: str, expected: Remote | None) -> None:
    found = parse_remote(entry, allow_ssh=True)
    if expected is None:
        assert found is None
    else:
        assert found == Remote(entry, expected.url, expected.ref, expected.path)


@pytest.mark.parametrize(("entry", "reason"), [
    ("https://github.com/org/repo//base?ref=--upload-pack=touch%20/tmp/pwned", "is not a plain branch"),
    ("https://github.com/org/repo//base?ref=-oProxyCommand=x", "is not a plain branch"),
    ("file:///repo//../../../../etc/secret.yaml?ref=main", "the 'file' transport is refused"),
    ("git::file:///srv/repo//base?ref=main", "the 'file' transport is refused"),
    ("ext::sh -c touch% /tmp/pwned//base?ref=main", "spaces, control or shell characters"),
    ("ext::ssh//base?ref=main", "getter is refused"),
    ("http://example.com/org/repo.git//base?ref=main", "the 'http' transport is refused"),
    ("git://example.com/org/repo.git//base?ref=main", "the 'git' transport is refused"),
    ("https://github.com/org/repo//../../escape?ref=main", "leaves it"),
    ("https://127.0.0.1/org/repo.git//base?ref=main", "not a DNS name"),
    ("https://localhost.localdomain/org/repo.git//base?ref=main", "not a DNS name"),
    ("https://user:token@github.com/org/repo//base?ref=main", "credentials in a remote URL"),
    ("https://github.com/org/repo//base?ref=main&upload-pack=x", "not one kustomize reads"),
    ("git@github.com:org/repo.git//deploy?ref=main", "ssh remotes are refused"),
    ("https://github.com/org/repo//base?ref=a..b", "is not a plain branch"),
])
def test_hostile_remote_references_are_refused(entry: str, reason: str) -> None:
    with pytest.raises(RefusedRemote, match=re.escape(reason)):
        parse_remote(entry)


# ------------------------------------------------------------------------------------------------ builds


@pytest.mark.kustomize
def test_unchanged_applications_are_built_once_and_shared() -> None:
    tree = dict(render(load_profile(str(DATA / "bump-1.11.0.yaml"))))
    calls: list[tuple[int, int, str]] = []
    old, new = build_trees(tree, dict(tree), kustomize=str(KUSTOMIZE_OFFLINE),
                           progress=lambda done, total, name: calls.append((done, total, name)))
    assert sorted(old.manifests) == ["istio-namespace", "jupyter-web-app", "kubeflow", "kubeflow-namespace",
                                     "kubeflow-roles", "trainer"]
    assert all(old.manifests[name] is new.manifests[name] for name in old.manifests)
    assert [done for done, _total, _name in calls] == [1, 2, 3, 4, 5, 6]  # six builds, not twelve
    kinds = {document["kind"] for document in old.manifests["trainer"]}
    assert {"CustomResourceDefinition", "Deployment"} <= kinds
    assert old.namespaces["trainer"] == "kubeflow-system"


@pytest.mark.kustomize
def test_a_remote_file_resource_is_built_from_the_cache() -> None:
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ns}\n"
           "spec: {source: {repoURL: https://git.example.com/f.git, path: ns}, destination: {namespace: x}}\n")
    tree = {"argocd-applications/ns.yaml": app, "ns/kustomization.yaml": (
        "resources:\n- https://github.com/kubeflow/manifests//common/kubeflow-namespace/base/namespace.yaml"
        "?ref=v1.11.0\n")}
    (built,) = build_trees(tree, kustomize=str(KUSTOMIZE_OFFLINE))
    assert [(document["kind"], document["metadata"]["name"]) for document in built.manifests["ns"]] == [
        ("Namespace", "kubeflow"), ("Namespace", "kubeflow-system")]  # the two of upstream's namespace.yaml


@pytest.mark.kustomize
def test_a_build_failure_is_an_error_not_no_differences(run: Run, tmp_path: Path) -> None:
    fork = tmp_path / "fork"
    render(load_profile(str(DATA / "bump-1.11.0.yaml"))).write(fork)
    custom = fork / "jupyter-web-app" / "custom" / "kustomization.yaml"
    custom.write_text(custom.read_text().replace("resources: []", "resources: [missing.yaml]"))
    result = run("bump-1.11.0.yaml", "--set", IMAGES, "--against", str(fork), "--build")  # changes jupyter-web-app
    assert result.exit_code == 2
    assert result.stderr.startswith("kustomize build failed:\n  jupyter-web-app (")
    assert "missing.yaml" in result.stderr
    assert result.stderr.endswith("(a diff is never reported for something that could not be built)\n")
    assert result.stdout.startswith("argoflow-gen diff: ")  # the head goes out before anything is built
    assert "No differences" not in result.stdout and "\nfiles: " not in result.stdout  # no summary, ever


@pytest.mark.kustomize
def test_an_application_broken_on_both_sides_alike_is_not_built(run: Run, tmp_path: Path) -> None:
    """Its inputs are the same on both sides: it cannot differ, so it is neither built nor compared."""
    fork = tmp_path / "fork"
    render(load_profile(str(DATA / "bump-1.11.0.yaml"))).write(fork)
    custom = fork / "jupyter-web-app" / "custom" / "kustomization.yaml"
    custom.write_text(custom.read_text().replace("resources: []", "resources: [missing.yaml]"))
    result = run("bump-1.11.0.yaml", "--against", str(fork), "--build")
    assert result.exit_code == 0, result.output
    assert "No differences." in result.stdout


def test_a_missing_kustomize_command_is_an_error() -> None:
    tree = dict(render(load_profile(str(DATA / "bump-1.11.0.yaml"))))
    with pytest.raises(DiffError, match=r"^kustomize command not found: no-such-kustomize \(install kubectl"):
        build_trees(tree, kustomize="no-such-kustomize --flag")


@pytest.mark.kustomize
def test_spawner_image_change_with_build(run: Run, snapshot: Any) -> None:
    result = run("--old", "bump-1.11.0.yaml", "--old-set", SEALED, "--new", "bump-1.11.0.yaml", "--set", SEALED,
                 "--set", IMAGES, "--build", "--format", "markdown")
    assert result.exit_code == 1, result.output
    assert result.stderr == ""  # no progress bar off a terminal
    markdown = result.stdout
    assert "| `jupyter-web-app` | – | 0 / 0 / 1 | 0 / 0 / 1 |" in markdown
    assert "#### ~ `ConfigMap kubeflow/jupyter-web-app-config-<hash>`" in markdown
    assert "+     value: ghcr.io/example/jupyter-scipy:v2.0.0" in markdown
    assert "Not built: `sealed-secrets` (Helm chart source)" in markdown
    assert "Deployment" not in markdown  # its reference to the renamed ConfigMap is normalised
    assert markdown == snapshot


@pytest.mark.kustomize
def test_identical_builds_exit_0(run: Run) -> None:
    result = run("--old", "bump-1.11.0.yaml", "--new", "bump-1.11.0.yaml", "--build")
    assert result.exit_code == 0, result.output
    assert "No differences." in result.stdout


# ---------------------------------------------------------------------------------- the Kubeflow bump


@pytest.fixture(scope="module")
def bump(offline_gitconfig: Path) -> Diff:
    """Kubeflow 1.10.2 -> 1.11.0 (trainer replaces the training operator), built on both sides."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(offline_gitconfig))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        pair = profile_pair([str(DATA / "bump-1.10.2.yaml")], [str(DATA / "bump-1.11.0.yaml")])
        return compare(pair, build=True, kustomize=str(KUSTOMIZE_OFFLINE)).with_labels("1.10.2", "1.11.0")


@pytest.mark.kustomize
def test_kubeflow_bump_counts_per_application(bump: Diff) -> None:
    counts = {group: (bump.file_counts(group), bump.resource_counts(group)) for group in bump.groups()}
    resources = {group: (value[1].added, value[1].removed, value[1].changed) for group, value in counts.items()}
    assert resources["trainer"] == (39, 0, 0)
    assert resources["training-operator"] == (0, 16, 0)
    assert resources["kubeflow"] == (1, 1, 0)  # the app-of-apps: one Application in, one out
    files = {group: (value[0].added, value[0].removed, value[0].changed) for group, value in counts.items()}
    assert files["trainer"] == (3, 0, 0) and files["training-operator"] == (0, 3, 0)
    app_of_apps = {str(change.key): change.status for change in bump.resources_of("kubeflow")}
    assert app_of_apps == {"Application.argoproj.io argocd/trainer": "added",
                           "Application.argoproj.io argocd/training-operator": "removed"}
    trainer_kinds = {change.key.kind for change in bump.resources_of("trainer")}
    assert {"CustomResourceDefinition", "Deployment", "ClusterTrainingRuntime"} <= trainer_kinds


@pytest.mark.kustomize
def test_kubeflow_bump_reports(bump: Diff, snapshot: Any) -> None:
    markdown = format_markdown(bump)
    assert len(markdown) <= 65_536
    assert "| `trainer` | secrets, CRDs, RBAC, workloads | 3 / 0 / 0 | 39 / 0 / 0 |" in markdown
    assert "| `training-operator` | secrets, CRDs, RBAC, workloads | 0 / 3 / 0 | 0 / 16 / 0 |" in markdown
    summary = markdown[: markdown.index("<details>")]
    headers = [line for line in format_text(bump).splitlines() if line.startswith("# ") or line.startswith("files:")]
    document = json.loads(format_json(bump))
    assert document["differences"] is True and document["built"] is True
    groups = {group["application"]: {level: "{added} / {removed} / {changed}".format(**group[level])
                                     for level in ("files", "resources")}
              for group in document["summary"]["groups"]}
    assert {"summary": summary, "text headers": headers, "json groups": groups} == snapshot


@pytest.mark.kustomize
def test_two_revisions_with_build(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the fork's CI workflow runs: --repo with --build, the base at the merge-base."""
    for key, value in {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "Test",
                       "GIT_COMMITTER_EMAIL": "t@example.com"}.items():
        monkeypatch.setenv(key, value)
    top = tmp_path / "fork"
    top.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    render(load_profile(str(DATA / "bump-1.11.0.yaml"))).write(top, force=True)
    git("add", "-A")
    git("commit", "--quiet", "-m", "base")
    git("switch", "--quiet", "-c", "change")
    render(load_profile(str(DATA / "bump-1.11.0.yaml"), overrides=[IMAGES])).write(top, force=True)
    git("commit", "--quiet", "-am", "images")
    result = run("--repo", str(top), "--build", "--format", "json")
    assert result.exit_code == 1, result.output
    resources = [(entry["application"], entry["kind"]) for entry in json.loads(result.stdout)["entries"]
                 if entry["type"] == "resource"]
    assert resources == [("jupyter-web-app", "ConfigMap")]
    assert re.match(r"merge-base with main \([0-9a-f]{12}\)", json.loads(result.stdout)["old"])


@pytest.mark.kustomize
def test_the_comment_on_a_release_bump_of_the_full_preset_keeps_what_matters(offline_gitconfig: Path,
                                                                              snapshot: Any) -> None:
    """The pull-request comment of 1.10.2 -> 1.11.0 of preset:full: the profile change first, and the largest
    Applications (pipelines, kserve, trainer) and the app-of-apps kept, in full or in brief, within GitHub's
    limit."""
    repo = "spec.repo.url=https://github.com/acme/kubeflow-fork.git"
    pair = profile_pair(["preset:full"], ["preset:full"], old_overrides=[repo, "spec.kubeflow.version=1.10.2"],
                        new_overrides=[repo, "spec.kubeflow.version=1.11.0"])
    diff = compare(pair, build=True, kustomize=str(KUSTOMIZE_OFFLINE)).with_labels("1.10.2", "1.11.0")
    markdown = format_markdown(diff, full="https://github.com/acme/kubeflow-fork/actions/runs/1")
    assert len(markdown) <= 65_536
    head = markdown[: markdown.index("<details>")]
    assert head.index("**Upgrade risks**") < head.index("**Profile changes**") < head.index("| Application |")
    assert "object store switches from minio to seaweedfs" in head
    assert "training-operator is removed, with its CRDs" in head
    assert "| `spec.kubeflow.version` | `1.10.2` | `1.11.0` |" in head
    assert "**Applications added:** `trainer`" in head and "**Applications removed:** `training-operator`" in head
    sections = re.findall(r"<details><summary><code>([^<]+)</code>", markdown)
    for name in ("pipelines", "kserve", "trainer", "kubeflow"):  # kubeflow: the app-of-apps
        assert name in sections, name
    assert "left out" not in markdown
    assert markdown == snapshot
