"""`argoflow-gen diff` at the file level, through the CLI: profile sets, a fork on disk, usage errors."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from argoflow_gen.diff import MARKER
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK

#: Both sides of a diff of the minimal preset, on the tests' fork.
OLD = ("--old", "preset:minimal", "--old-set", FORK)
NEW = ("--new", "preset:minimal", "--set", FORK)
IMAGES = "spec.notebooks.images=[ghcr.io/example/jupyter-scipy:v2.0.0, ghcr.io/example/jupyter-pytorch:v2.0.0]"

Run = Callable[..., Result]
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def masked(text: str) -> str:
    """Snapshots hold no file digests: they change with every template, here or in other tests' subjects."""
    return DIGEST.sub("sha256:<digest>", text)




def _formats(run: Run, *args: str) -> dict[str, Result]:
    return {name: run(*args, "--format", name) for name in ("text", "markdown", "json")}


# ------------------------------------------------------------------------------------------ profile sets


def test_identical_profile_sets_exit_0(run: Run, snapshot: Any) -> None:
    results = _formats(run, *OLD, *NEW)
    for result in results.values():
        assert result.exit_code == 0, result.output
    assert "No differences." in results["text"].stdout
    assert results["markdown"].stdout.startswith(MARKER + "\n")
    document = json.loads(results["json"].stdout)
    assert document["differences"] is False and document["entries"] == []
    assert {name: masked(result.stdout) for name, result in results.items()} == snapshot


def test_spawner_image_change(run: Run, snapshot: Any) -> None:
    results = _formats(run, *OLD, *NEW, "--set", IMAGES)
    for result in results.values():
        assert result.exit_code == 1, result.output
    markdown = results["markdown"].stdout
    assert markdown.startswith(MARKER + "\n")
    assert "| `jupyter-web-app` | – | 0 / 0 / 1 |" in markdown
    assert "<details><summary><code>jupyter-web-app</code>: 1 file changed</summary>" in markdown
    assert "+    value: ghcr.io/example/jupyter-scipy:v2.0.0" in markdown
    assert "-    value: ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0" in markdown
    entries = json.loads(results["json"].stdout)["entries"]
    assert [(entry["application"], entry["path"], entry["change"]) for entry in entries if not entry["state"]] == [
        ("jupyter-web-app", "jupyter-web-app/spawner_ui_config.yaml", "changed"),
    ]
    state = [entry["path"] for entry in entries if entry["state"]]
    assert ".argoflow-gen/lock.yaml" in state and all(path.startswith(".argoflow-gen/") for path in state)
    assert "~ .argoflow-gen/lock.yaml (the generator's state: not shown)" in results["text"].stdout
    assert {name: masked(result.stdout) for name, result in results.items()} == snapshot


def test_component_turned_on_adds_its_application_and_folder(run: Run, snapshot: Any) -> None:
    result = run(*OLD, *NEW,
                 "--set", "spec.kubeflow.components.tensorboards-web-app.enabled=true", "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    added = {entry["path"]: entry["application"] for entry in document["entries"] if entry["change"] == "added"}
    assert added == {
        "argocd-applications/tensorboards-web-app.yaml": "tensorboards-web-app",
        "tensorboards-web-app/custom/kustomization.yaml": "tensorboards-web-app",
        "tensorboards-web-app/kustomization.yaml": "tensorboards-web-app",
    }
    changed = {entry["path"] for entry in document["entries"] if entry["change"] == "changed"}
    assert "kustomization.yaml" in changed  # the root kustomization lists the new Application
    assert {entry["change"] for entry in document["entries"]} == {"added", "changed"}
    markdown = run(*OLD, *NEW,
                   "--set", "spec.kubeflow.components.tensorboards-web-app.enabled=true", "--format", "markdown")
    assert "| `tensorboards-web-app` | Applications | 3 / 0 / 0 |" in markdown.stdout
    assert "**Applications added:** `tensorboards-web-app`" in markdown.stdout
    assert "| `spec.kubeflow.components.tensorboards-web-app.enabled` | `false` | `true` |" in markdown.stdout
    assert "+- argocd-applications/tensorboards-web-app.yaml" in markdown.stdout
    assert masked(markdown.stdout) == snapshot


def test_text_context_and_colour(run: Run) -> None:
    plain = run(*OLD, *NEW, "--set", IMAGES, "-U", "0").stdout
    wide = run(*OLD, *NEW, "--set", IMAGES, "-U", "5").stdout
    assert "\x1b[" not in plain
    assert "@@ -10 +10 @@" in plain and len(wide.splitlines()) > len(plain.splitlines())
    coloured = run(*OLD, *NEW, "--set", IMAGES, "--color", "always").stdout
    assert "\x1b[32m+    value: ghcr.io/example/jupyter-scipy:v2.0.0\x1b[0m" in coloured


def test_old_set_applies_to_the_old_side_only(run: Run) -> None:
    result = run(*OLD, "--old-set", IMAGES, *NEW, "--set", IMAGES)
    assert result.exit_code == 0, result.output


def test_quiet_prints_nothing_and_keeps_the_exit_code(run: Run) -> None:
    result = run(*OLD, *NEW, "--set", IMAGES, "--quiet")
    assert (result.exit_code, result.stdout) == (1, "")


# ------------------------------------------------------------------------------------------ against a fork


@pytest.fixture
def fork(tmp_path: Path) -> Path:
    folder = tmp_path / "fork"
    render(load_profile("preset:minimal", overrides=[FORK])).write(folder)
    return folder


def test_against_an_up_to_date_fork_exit_0(run: Run, fork: Path) -> None:
    result = run("preset:minimal", "--set", FORK, "--against", str(fork))
    assert result.exit_code == 0, result.output
    assert "No differences." in result.stdout


def test_against_a_fork_shows_what_a_re_render_changes(run: Run, fork: Path) -> None:
    seed = fork / "jupyter-web-app" / "custom" / "kustomization.yaml"
    seed.write_text(seed.read_text() + "# my own note\n")  # the user's file: a render keeps it
    (fork / "notes.txt").write_text("mine\n")  # not generated: kept
    result = run("preset:minimal", "--set", FORK, "--set", IMAGES, "--against", str(fork), "--format", "json")
    assert result.exit_code == 1, result.output
    changes = {entry["path"]: entry["change"] for entry in json.loads(result.stdout)["entries"] if not entry["state"]}
    assert changes == {"jupyter-web-app/spawner_ui_config.yaml": "changed"}


def test_against_a_fork_with_a_generated_file_deleted(run: Run, fork: Path) -> None:
    (fork / "jupyter-web-app" / "spawner_ui_config.yaml").unlink()
    shutil.rmtree(fork / "volumes-web-app")
    result = run("preset:minimal", "--set", FORK, "--against", str(fork), "--format", "json")
    assert result.exit_code == 1, result.output
    changes = {entry["path"]: entry["change"] for entry in json.loads(result.stdout)["entries"]}
    assert changes == {
        "jupyter-web-app/spawner_ui_config.yaml": "added",
        "volumes-web-app/custom/kustomization.yaml": "added",  # a seed, written again where it is missing
        "volumes-web-app/kustomization.yaml": "added",
    }


def test_against_a_folder_without_a_render_is_an_error(run: Run, tmp_path: Path) -> None:
    (tmp_path / "other.txt").write_text("x")
    result = run("preset:minimal", "--set", FORK, "--against", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path} holds no earlier render (name the folder of a fork written by " \
                            "`argoflow-gen render`)\n"


# ----------------------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(("args", "message"), [
    ((), "give exactly one of: --old PROFILE... --new PROFILE..., PROFILE... --against DIR, --repo DIR"),
    (("--old", "preset:minimal", "--old-set", FORK), "give both --old PROFILE and --new PROFILE"),
    (("--old", "a.yaml", "--new", "b.yaml", "--repo", "."), "give exactly one of: --old PROFILE... --new "
     "PROFILE..., PROFILE... --against DIR, --repo DIR (got --old/--new and --repo)"),
    (("--old", "a.yaml", "--new", "b.yaml", "--base", "main"), "--base and --head go with --repo"),
    (("--repo", ".", "preset:minimal"), "--repo compares two revisions of a fork; it takes no PROFILE and no --set"),
    (("--against", "."), "--against DIR needs the profiles to render: PROFILE... --against DIR"),
    (("preset:minimal", "--old", "a.yaml", "--new", "b.yaml"),
     "with --old/--new, name every profile with --old or --new"),
])
def test_usage_errors_exit_2(run: Run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert f"Error: {message}\n" in result.stderr


def test_an_invalid_profile_exit_2_with_its_location(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoflow-gen/v1beta1\nkind: Profile\nmetadata: {name: x}\nextends: [preset:minimal]\n"
                   "spec:\n  kubeflow:\n    version: '9.9.9'\n")
    result = run(*OLD, "--new", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:7:")
