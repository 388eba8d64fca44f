"""spec.ci: where the fork's CI workflows install argoflow-gen from, and which profile layers its check job
renders with."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from argoflow_gen import ProfileError, __version__, load_profile, render

from .conftest import FORK

WORKFLOW = ".github/workflows/argoflow-gen-diff.yaml"
GIT = "https://git.acme.internal/tools/argoflow-gen.git"
INDEX = "https://pypi.acme.internal/simple"


def _workflow(*overrides: str) -> dict[str, Any]:
    tree = render(load_profile("preset:base", overrides=[FORK, *overrides]), read_only=True)
    document: dict[str, Any] = YAML(typ="safe", pure=True).load(tree[WORKFLOW])
    return document


def _step(document: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = document["jobs"][job]["steps"]
    return next(step for step in steps if step.get("name") == name)


@pytest.mark.parametrize(("generator", "env"), [
    (None, {"ARGOFLOW_GEN_REQUIREMENT": f"argoflow-gen=={__version__}"}),
    ("{pip: 'argoflow-gen>=0.1,<0.2'}", {"ARGOFLOW_GEN_REQUIREMENT": "argoflow-gen>=0.1,<0.2"}),
    (f"{{git: '{GIT}', ref: v0.2.0}}", {"ARGOFLOW_GEN_REQUIREMENT": f"argoflow-gen @ git+{GIT}@v0.2.0"}),
    (f"{{index: '{INDEX}'}}", {"ARGOFLOW_GEN_REQUIREMENT": f"argoflow-gen=={__version__}", "PIP_INDEX_URL": INDEX}),
])
def test_both_jobs_install_argoflow_gen_from_where_the_profile_says(generator: str | None,
                                                                    env: dict[str, str]) -> None:
    document = _workflow(*([f"spec.ci.generator={generator}"] if generator else []))

    assert document["env"] == {**env, "FORK_PATH": "."}
    install = 'python -m pip install "$ARGOFLOW_GEN_REQUIREMENT"'  # pip reads PIP_INDEX_URL from the environment
    assert [_step(document, job, "Install argoflow-gen")["run"] for job in ("diff", "check")] == [install, install]


def _run(tmp_path: Path, script: str, env: dict[str, str]) -> list[str]:
    """Run a step's script with bash, as the runner would, with a stand-in argoflow-gen that records its argv."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "argoflow-gen").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {tmp_path}/argv\n')
    (tools / "argoflow-gen").chmod(0o755)
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, check=True,
                   env={**os.environ, **env, "PATH": f"{tools}:{os.environ['PATH']}"})
    return (tmp_path / "argv").read_text().splitlines()


def test_the_check_job_renders_the_profiles_layers_when_given(tmp_path: Path) -> None:
    document = _workflow("spec.ci.profiles=[clusters/base.yaml, clusters/prod.yaml]")
    check = _step(document, "check", "The generated files are what the profiles render")

    assert document["env"]["ARGOFLOW_GEN_PROFILES"] == "clusters/base.yaml\nclusters/prod.yaml"
    assert _run(tmp_path, check["run"], {k: str(v) for k, v in document["env"].items()}) == [
        "render", "--check", "-o", ".", "--", "clusters/base.yaml", "clusters/prod.yaml"]


def test_without_profiles_the_check_job_compares_with_the_recorded_profile() -> None:
    document = _workflow()

    assert "ARGOFLOW_GEN_PROFILES" not in document["env"]
    check = _step(document, "check", "The generated files are what the recorded profile renders")
    assert check["run"] == 'argoflow-gen status --repo "$FORK_PATH" -v'


@pytest.mark.parametrize(("value", "message"), [
    ("{pip: --index-url=https://evil.example/simple}", '"--index-url=https://evil.example/simple" is not a pip '
                                                       "requirement on argoflow-gen"),
    (f"{{pip: argoflow-gen, index: '{INDEX}'}}", "set only one of: pip, git, index (found pip, index)"),
    ("{}", "set one of: pip, git, index"),
    (f"{{git: '{GIT}'}}", "ref"),
    (f"{{git: '{GIT}', ref: --upload-pack=x}}", '"--upload-pack=x" is not a tag, branch or commit'),
    ("{index: 'http://pypi.acme.internal/simple'}", "is not an https:// URL"),
])
def test_a_generator_source_is_checked(value: str, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("preset:base", overrides=[FORK, f"spec.ci.generator={value}"])

    assert "spec.ci.generator" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize("path", ["../x.yaml", "/etc/x.yaml", "-x.yaml", "a/./b.yaml", "a b.yaml"])
def test_profiles_are_files_of_the_fork(path: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("preset:base", overrides=[FORK, f"spec.ci.profiles=['{path}']"])

    assert f'spec.ci.profiles[0]: "{path}" is not a profile file of the fork' in str(caught.value)
