"""The fork's pull-request workflow (templates/pr-diff-workflow.yaml.j2): its YAML, values and scripts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.diff import MARKER
from argoflow_gen.templating import render_template

TRICKY = 'argoflow-gen @ git+https://github.com/me/argoflow-gen@v1.2 ; python_version >= "3.11" # ${{ x }}'


def workflow(requirement: str = "argoflow-gen==0.1.0", repo_path: str = ".") -> tuple[str, dict[str, Any]]:
    from ruamel.yaml import YAML

    text = render_template("pr-diff-workflow.yaml.j2", generator_requirement=requirement, repo_path=repo_path)
    return text, YAML(typ="safe", pure=True).load(text)  # YAML 1.2: `on` is a key, not true


def step(document: dict[str, Any], name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = document["jobs"]["diff"]["steps"]
    return next(item for item in steps if item.get("name") == name)


def test_the_workflow(snapshot: Any) -> None:
    text, document = workflow()
    assert document["on"] == {"pull_request": None}
    assert document["permissions"] == {"contents": "read", "pull-requests": "write"}
    job = document["jobs"]["diff"]
    assert job["steps"][0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}
    assert job["env"] == {"ARGOFLOW_GEN_REQUIREMENT": "argoflow-gen==0.1.0", "FORK_PATH": "."}
    diff = step(document, "Diff the pull request against its base")
    assert diff["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert 'argoflow-gen diff --repo "$FORK_PATH" --base "origin/$BASE_REF" --build --format markdown > diff.md' \
        in diff["run"]
    post = step(document, "Post the diff, or update the comment posted before")
    assert f'startswith("{MARKER}")' in post["run"]
    assert text == snapshot


@pytest.mark.parametrize(("requirement", "repo_path"), [(TRICKY, "deploy/kubeflow"), ("argoflow-gen", "a b/'c'")])
def test_values_arrive_as_written(requirement: str, repo_path: str) -> None:
    _text, document = workflow(requirement, repo_path)
    assert document["jobs"]["diff"]["env"] == {"ARGOFLOW_GEN_REQUIREMENT": requirement, "FORK_PATH": repo_path}


def _script(tmp_path: Path, name: str, stub: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run one step's script with bash, as the runner would, with ``stub`` standing in for the tools."""
    _text, document = workflow()
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    for tool in ("argoflow-gen", "gh"):
        (tools / tool).write_text(f"#!/bin/bash\necho \"{tool} $*\" >> {tmp_path}/calls\n{stub}\n")
        (tools / tool).chmod(0o755)
    return subprocess.run(["bash", "-e", "-c", step(document, name)["run"]], cwd=tmp_path, capture_output=True,
                          text=True, check=False,
                          env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "FORK_PATH": ".", **env})


@pytest.mark.parametrize(("status", "expected"), [(0, 0), (1, 0), (2, 2), (3, 3)])
def test_differences_are_not_a_failure_but_errors_are(tmp_path: Path, status: int, expected: int) -> None:
    result = _script(tmp_path, "Diff the pull request against its base", f"echo report; exit {status}",
                     BASE_REF="main")
    assert result.returncode == expected
    assert (tmp_path / "diff.md").read_text() == "report\n"
    assert (tmp_path / "calls").read_text() == \
        "argoflow-gen diff --repo . --base origin/main --build --format markdown\n"


@pytest.mark.parametrize(("found", "expected"), [
    ("", ["gh api repos/me/fork/issues/7/comments --paginate --jq",
          "gh pr comment 7 --repo me/fork --body-file diff.md"]),
    ("123", ["gh api repos/me/fork/issues/7/comments --paginate --jq",
             "gh api --method PATCH repos/me/fork/issues/comments/123 -F body=@diff.md"]),
])
def test_the_comment_is_posted_once_then_updated(tmp_path: Path, found: str, expected: list[str]) -> None:
    stub = f'if [ "$2" = "repos/me/fork/issues/7/comments" ]; then echo "{found}"; fi'
    result = _script(tmp_path, "Post the diff, or update the comment posted before", stub,
                     REPOSITORY="me/fork", PULL_REQUEST="7", GH_TOKEN="t")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [call.split(" .[]")[0].rstrip() for call in calls] == expected
