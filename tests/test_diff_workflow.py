"""The fork's pull-request workflow (templates/pr-diff-workflow.yaml.j2): its YAML, values and scripts."""

from __future__ import annotations

import hashlib
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

    text = render_template("pr-diff-workflow.yaml.j2", generator_requirement=requirement, generator_index=None,
                           check_profiles=[], repo_path=repo_path)
    return text, YAML(typ="safe", pure=True).load(text)  # YAML 1.2: `on` is a key, not true


def comment_workflow() -> tuple[str, dict[str, Any]]:
    from ruamel.yaml import YAML

    text = render_template("pr-comment-workflow.yaml.j2")
    return text, YAML(typ="safe", pure=True).load(text)


def step(document: dict[str, Any], name: str, job: str = "diff") -> dict[str, Any]:
    steps: list[dict[str, Any]] = document["jobs"][job]["steps"]
    return next(item for item in steps if item.get("name") == name)


def test_the_workflow(snapshot: Any) -> None:
    text, document = workflow()
    assert document["on"] == {"pull_request": None}
    assert document["permissions"] == {"contents": "read"}  # read-only, whoever opened the pull request
    assert document["env"] == {"ARGOFLOW_GEN_REQUIREMENT": "argoflow-gen==0.1.0", "FORK_PATH": "."}
    job = document["jobs"]["diff"]
    assert job["steps"][0] == {"uses": "actions/checkout@v4",
                               "with": {"fetch-depth": 0, "persist-credentials": False}}
    diff = step(document, "Diff the pull request against its base")
    assert 'argoflow-gen diff --repo "$FORK_PATH" --base "origin/$BASE_REF" --build --format markdown' in diff["run"]
    assert '--summary "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert '--cache-dir "$HOME/.cache/argoflow-gen/diff"' in diff["run"]
    cache = step(document, "Restore the builds of earlier runs (saved again when the job ends)")
    assert cache == {"name": cache["name"], "uses": "actions/cache@v4", "with": {
        "path": "~/.cache/argoflow-gen/diff", "key": "${{ steps.cache-key.outputs.key }}",
        "restore-keys": "${{ steps.cache-key.outputs.prefix }}"}}
    names = [item.get("name", item.get("uses")) for item in job["steps"]]
    assert names.index("Key the build cache on the lock file and the generator") < names.index(cache["name"]) \
        < names.index("Diff the pull request against its base")
    upload = step(document, "Keep the comment for argoflow-gen-comment.yaml")
    assert upload["with"]["name"] == "argoflow-gen-diff"
    check = step(document, "The generated files are what the recorded profile renders", job="check")
    assert check["run"] == 'argoflow-gen status --repo "$FORK_PATH" -v'
    assert text == snapshot


def test_the_comment_workflow(snapshot: Any) -> None:
    text, document = comment_workflow()
    assert document["on"] == {"workflow_run": {"workflows": ["argoflow-gen diff"], "types": ["completed"]}}
    assert document["permissions"] == {"actions": "read", "pull-requests": "write"}
    steps = document["jobs"]["comment"]["steps"]
    assert not any("uses" in item for item in steps)  # nothing of the pull request is checked out or run
    assert f'startswith("{MARKER}")' in steps[0]["run"]
    assert text == snapshot


@pytest.mark.parametrize(("requirement", "repo_path"), [(TRICKY, "deploy/kubeflow"), ("argoflow-gen", "a b/'c'")])
def test_values_arrive_as_written(requirement: str, repo_path: str) -> None:
    _text, document = workflow(requirement, repo_path)
    assert document["env"] == {"ARGOFLOW_GEN_REQUIREMENT": requirement, "FORK_PATH": repo_path}


def _script(tmp_path: Path, document: dict[str, Any], name: str, stub: str, job: str = "diff",
            **env: str) -> subprocess.CompletedProcess[str]:
    """Run one step's script with bash, as the runner would, with ``stub`` standing in for the tools."""
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    for tool in ("argoflow-gen", "gh"):
        (tools / tool).write_text(f"#!/bin/bash\necho \"{tool} $*\" >> {tmp_path}/calls\n{stub}\n")
        (tools / tool).chmod(0o755)
    return subprocess.run(["bash", "-e", "-c", step(document, name, job)["run"]], cwd=tmp_path, capture_output=True,
                          text=True, check=False,
                          env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "FORK_PATH": ".", **env})


@pytest.mark.parametrize(("status", "expected"), [(0, 0), (1, 0), (2, 2), (3, 3)])
def test_differences_are_not_a_failure_but_errors_are(tmp_path: Path, status: int, expected: int) -> None:
    _text, document = workflow()
    result = _script(tmp_path, document, "Diff the pull request against its base", f"echo report; exit {status}",
                     BASE_REF="main", RUN_URL="https://ci.example/run/1", GITHUB_STEP_SUMMARY=str(tmp_path / "sum"),
                     HOME=str(tmp_path / "home"))
    assert result.returncode == expected
    assert (tmp_path / "report" / "comment.md").read_text() == "report\n"
    assert (tmp_path / "calls").read_text() == (
        "argoflow-gen diff --repo . --base origin/main --build --format markdown "
        f"--cache-dir {tmp_path / 'home'}/.cache/argoflow-gen/diff "
        f"--full-report-url https://ci.example/run/1 --summary {tmp_path / 'sum'}\n")


KEY = "Key the build cache on the lock file and the generator"


def _keys(tmp_path: Path, lock: bytes | None) -> dict[str, str]:
    _text, document = workflow()
    if lock is not None:
        (tmp_path / ".argoflow-gen").mkdir(exist_ok=True)
        (tmp_path / ".argoflow-gen" / "lock.yaml").write_bytes(lock)
    output = tmp_path / "output"
    output.unlink(missing_ok=True)
    result = _script(tmp_path, document, KEY, 'echo "argoflow-gen, version 0.1.0"', GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def test_the_cache_is_keyed_on_the_lock_file_and_the_generator(tmp_path: Path) -> None:
    keys = _keys(tmp_path, b"files: {}\n")
    digest = hashlib.sha256(b"files: {}\n").hexdigest()[:32]
    assert keys == {"prefix": "argoflow-gen-diff-0.1.0-", "key": f"argoflow-gen-diff-0.1.0-{digest}"}
    assert _keys(tmp_path, b"files: {a: 1}\n")["key"] != keys["key"]  # another lock, another key: restore-keys


def test_a_lock_file_that_never_ends_is_read_bounded(tmp_path: Path) -> None:
    (tmp_path / ".argoflow-gen").mkdir()
    (tmp_path / ".argoflow-gen" / "lock.yaml").symlink_to("/dev/zero")  # a pull request can commit a symlink
    keys = _keys(tmp_path, None)
    assert keys["key"] == "argoflow-gen-diff-0.1.0-" + hashlib.sha256(b"\0" * 4194304).hexdigest()[:32]


COMMENT = "Post the report, or update the comment posted before"


def _gh(found: str, files: str) -> str:
    """A gh stand-in: the open pull request at the head commit, its files, the artifact, earlier comments."""
    return f"""case "$1 $2" in
  "pr list") echo 7 ;;
  "api repos/me/fork/pulls/7/files") printf '%s\\n' {files} ;;
  "run download") mkdir -p report; echo "the report" > report/comment.md ;;
  "api repos/me/fork/issues/7/comments") echo "{found}" ;;
esac"""


@pytest.mark.parametrize(("found", "expected"), [
    ("", "gh pr comment 7 --repo me/fork --body-file comment.md"),
    ("123", "gh api --method PATCH repos/me/fork/issues/comments/123 -F body=@comment.md"),
])
def test_the_comment_is_posted_once_then_updated(tmp_path: Path, found: str, expected: str) -> None:
    _text, document = comment_workflow()
    result = _script(tmp_path, document, COMMENT, _gh(found, "dex/kustomization.yaml"), job="comment",
                     REPOSITORY="me/fork", RUN_ID="99", HEAD_SHA="abc123", GH_TOKEN="t")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0].startswith("gh pr list --repo me/fork --state open --search abc123")
    assert "gh run download 99 --repo me/fork --name argoflow-gen-diff --dir report" in calls
    assert calls[-1] == expected
    assert (tmp_path / "comment.md").read_text() == "the report\n"


def test_a_pull_request_that_changes_the_diff_workflow_gets_a_warning_not_its_report(tmp_path: Path) -> None:
    _text, document = comment_workflow()
    result = _script(tmp_path, document, COMMENT, _gh("", ".github/workflows/argoflow-gen-diff.yaml"),
                     job="comment", REPOSITORY="me/fork", RUN_ID="99", HEAD_SHA="abc123", GH_TOKEN="t")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text()
    assert "gh run download" not in calls
    comment = (tmp_path / "comment.md").read_text()
    assert comment.startswith(MARKER) and "changes `.github/workflows/argoflow-gen-diff.yaml`" in comment
