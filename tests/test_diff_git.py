"""Two revisions of a fork in git: read without touching the working tree, the index or HEAD."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK

IMAGES = "spec.notebooks.images=[ghcr.io/example/jupyter-scipy:v2.0.0]"
COMMIT = re.compile(r"\(([0-9a-f]{12})\)")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")

Run = Callable[..., Result]




@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fixed identity and clock, and no user or system git config."""
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    for key, value in {"GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1",
                       "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
                       "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}.items():
        monkeypatch.setenv(key, value)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                            env=os.environ)
    return result.stdout.strip()


def write_render(folder: Path, *overrides: str) -> None:
    """Render into the fork's folder, as a user does (the previous render is updated in place)."""
    tree = render(load_profile("preset:minimal", overrides=[FORK, "spec.repo.path=deploy", *overrides]))
    tree.write(folder, force=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fork with the tree in deploy/: main holds one render, feature a second one with new images."""
    top = tmp_path / "fork"
    top.mkdir()
    git(top, "init", "--quiet", "--initial-branch=main")
    (top / ".gitignore").write_text(".argoflow-gen/write.lock\n")
    write_render(top / "deploy")
    git(top, "add", "-A")
    git(top, "commit", "--quiet", "-m", "Render the minimal platform")
    git(top, "switch", "--quiet", "-c", "feature")
    write_render(top / "deploy", IMAGES)
    git(top, "add", "-A")
    git(top, "commit", "--quiet", "-m", "Use our own notebook image")
    return top


def state(repo: Path) -> tuple[str, str, str, str]:
    """What a diff must leave alone: HEAD, the index and working tree status, the worktrees."""
    return (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain", "--untracked-files=all"),
            git(repo, "worktree", "list", "--porcelain"), git(repo, "stash", "list"))


def normalised(text: str) -> str:
    return DIGEST.sub("sha256:<digest>", COMMIT.sub("(<commit>)", text))


def test_two_revisions(run: Run, repo: Path, snapshot: Any) -> None:
    before = state(repo)
    results = {name: run("--repo", str(repo / "deploy"), "--base", "main", "--head", "feature", "--format", name)
               for name in ("text", "markdown", "json")}
    assert state(repo) == before
    for result in results.values():
        assert result.exit_code == 1, result.output
    entries = json.loads(results["json"].stdout)["entries"]
    assert [(entry["application"], entry["path"]) for entry in entries if not entry["state"]] == [
        ("jupyter-web-app", "jupyter-web-app/spawner_ui_config.yaml")]
    main = git(repo, "rev-parse", "main")[:12]
    assert json.loads(results["json"].stdout)["old"] == f"main ({main})"
    assert "+    value: ghcr.io/example/jupyter-scipy:v2.0.0" in results["markdown"].stdout
    assert {name: normalised(result.stdout) for name, result in results.items()} == snapshot


def test_the_same_revision_twice_exit_0(run: Run, repo: Path) -> None:
    result = run("--repo", str(repo / "deploy"), "--base", "feature", "--head", "feature")
    assert result.exit_code == 0, result.output


def test_head_defaults_to_the_working_tree(run: Run, repo: Path) -> None:
    custom = repo / "deploy" / "jupyter-web-app" / "custom" / "kustomization.yaml"
    custom.write_text(custom.read_text() + "commonLabels:\n  team: ml\n")  # edited, not staged
    (repo / "deploy" / "jupyter-web-app" / "custom" / "patch.yaml").write_text("kind: Deployment\n")  # untracked
    (repo / "deploy" / "debug.log").write_text("ignored\n")
    (repo / ".gitignore").write_text(".argoflow-gen/write.lock\n*.log\n")
    before = state(repo)
    result = run("--repo", str(repo / "deploy"), "--base", "feature", "--format", "json")
    assert state(repo) == before
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["new"] == "working tree"
    assert [(entry["path"], entry["change"]) for entry in document["entries"]] == [
        ("jupyter-web-app/custom/kustomization.yaml", "changed"),
        ("jupyter-web-app/custom/patch.yaml", "added"),
    ]


def test_base_defaults_to_the_merge_base_with_the_default_branch(run: Run, repo: Path) -> None:
    git(repo, "switch", "--quiet", "main")  # main moves on after feature branched off
    (repo / "deploy" / "later.txt").write_text("on main\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "A later change on main")
    git(repo, "switch", "--quiet", "feature")
    result = run("--repo", str(repo / "deploy"), "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["old"].startswith("merge-base with main (")
    paths = [entry["path"] for entry in document["entries"] if not entry["state"]]
    assert paths == ["jupyter-web-app/spawner_ui_config.yaml"]  # not later.txt


def test_a_clone_finds_its_default_branch_through_origin_head(run: Run, repo: Path, tmp_path: Path) -> None:
    git(repo, "switch", "--quiet", "main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(repo), str(clone)], check=True, env=os.environ)
    git(clone, "switch", "--quiet", "feature")
    result = run("--repo", str(clone / "deploy"), "--format", "json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["old"].startswith("merge-base with origin/main (")


def test_errors_name_the_problem(run: Run, repo: Path, tmp_path: Path) -> None:
    result = run("--repo", str(repo / "deploy"), "--base", "no-such-branch")
    assert result.exit_code == 2
    assert result.stderr == \
        f"'no-such-branch' is not a revision of {repo} (fetch it first, e.g. git fetch origin main)\n"
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run("--repo", str(plain))
    assert result.exit_code == 2
    assert result.stderr == f"{plain} is not in a git repository (--repo names a folder of a git clone of the fork)\n"
