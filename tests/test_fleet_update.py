"""fleet update: a re-render of the fleet keeps the hand edits of its generated files (a three-way merge per
file, as update does for one fork), reports conflicts the same way, rewrites each cluster's state files, and
removes a cluster that left the fleet without touching what its users own."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from argoflow_gen.api import fleet_diff, fleet_update
from argoflow_gen.cli import cli
from argoflow_gen.fleet import load_fleet, render_fleet

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "fleet"


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "fleet-src"
    shutil.copytree(EXAMPLE, source)
    repo = tmp_path / "repo"
    render_fleet(load_fleet(source / "fleet.yaml")).write(repo)
    return source / "fleet.yaml", repo


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _update(fleet_file: Path, repo: Path, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["fleet", "update", str(fleet_file), "--repo", str(repo), "--allow-dirty",
                                    *extra])


def test_an_update_keeps_hand_edits_and_brings_the_fleet_change(tmp_path: Path) -> None:
    fleet_file, repo = _setup(tmp_path)
    dex = repo / "clusters" / "prod" / "argocd-applications" / "dex.yaml"
    _edit(dex, "spec:\n", "# reviewed by the platform team\nspec:\n")
    (shared,) = [path for path in (repo / "shared").iterdir() if path.name.startswith("dex-")]
    _edit(shared / "kustomization.yaml", "resources:\n", "# shared by every cluster\nresources:\n")
    prod = fleet_file.parent / "clusters" / "prod.yaml"
    _edit(prod, "idleMinutes: 720", "idleMinutes: 600")
    _edit(fleet_file.parent / "base.yaml", "revision: main", "revision: release-1")  # every Application changes

    result = _update(fleet_file, repo)
    assert result.exit_code == 0, result.output
    assert "merged        clusters/prod/argocd-applications/dex.yaml" in result.output
    assert "replaced      clusters/prod/notebook-controller/kustomization.yaml" in result.output
    assert "replaced      clusters/dev/argocd-applications/dex.yaml" in result.output
    assert "shared/" not in result.output  # the edited shared file: the render leaves it as it was, so is the edit
    assert "# reviewed by the platform team\nspec:\n" in dex.read_text()
    assert "targetRevision: release-1" in dex.read_text()
    assert "# shared by every cluster\n" in (shared / "kustomization.yaml").read_text()
    assert "CULL_IDLE_TIME=600" in (repo / "clusters/prod/notebook-controller/kustomization.yaml").read_text()
    # each cluster's state files are the new render's, never merged
    rendered = render_fleet(load_fleet(fleet_file), previous=None)
    for path in ("clusters/prod/.argoflow-gen/lock.yaml", "clusters/prod/.argoflow-gen/profile.yaml"):
        assert (repo / path).read_text() == rendered.files[path], path
    assert "idleMinutes: 600" in (repo / "clusters/prod/.argoflow-gen/profile.yaml").read_text()
    # only the hand edits are left between the fleet file and its folder
    changes = fleet_diff(fleet_file, repo)
    assert {change.cluster: change.changed for change in changes.clusters} == {
        "hub": (f"shared/{shared.name}/kustomization.yaml",), "dev": (f"shared/{shared.name}/kustomization.yaml",),
        "prod": ("clusters/prod/argocd-applications/dex.yaml", f"shared/{shared.name}/kustomization.yaml")}
    again = _update(fleet_file, repo)
    assert again.exit_code == 0 and again.output == f"{repo}: already up to date\n"


def test_a_conflict_is_marked_and_reported(tmp_path: Path, snapshot: Any) -> None:
    fleet_file, repo = _setup(tmp_path)
    controller = repo / "clusters" / "prod" / "notebook-controller" / "kustomization.yaml"
    _edit(controller, "CULL_IDLE_TIME=720", "CULL_IDLE_TIME=700")
    _edit(fleet_file.parent / "clusters" / "prod.yaml", "idleMinutes: 720", "idleMinutes: 600")

    result = _update(fleet_file, repo)
    assert result.exit_code == 1
    assert result.stdout == snapshot
    assert result.stderr == "1 file(s) have conflict markers: resolve them, then commit\n"
    text = controller.read_text()
    assert "<<<<<<<" in text and "CULL_IDLE_TIME=700" in text and "CULL_IDLE_TIME=600" in text


def test_a_dry_run_writes_nothing_and_shows_the_diff(tmp_path: Path) -> None:
    fleet_file, repo = _setup(tmp_path)
    _edit(fleet_file.parent / "clusters" / "dev.yaml", "kubeflow.dev.acme.internal", "ml.dev.acme.internal")
    before = _digests(repo)
    result = _update(fleet_file, repo, "--dry-run")
    assert result.exit_code == 1, result.output
    assert "replaced      clusters/dev/README.md" in result.output
    assert "ml.dev.acme.internal" in result.output  # the diff
    assert _digests(repo) == before  # no file written, none locked


def test_a_cluster_that_leaves_the_fleet_is_removed_but_its_users_files_stay(tmp_path: Path) -> None:
    fleet_file, repo = _setup(tmp_path)
    text = fleet_file.read_text()
    start = text.index("    - name: dev\n")
    fleet_file.write_text(text[:start] + text[text.index("    - name: prod\n"):])
    (repo / "clusters" / "dev" / "notes.md").write_text("the dev cluster's runbook\n")

    result = fleet_update(fleet_file, repo, allow_dirty=True)
    assert "clusters/dev/.argoflow-gen/lock.yaml" not in result.deleted  # a state file: handled apart
    assert "clusters/dev/kustomization.yaml" in result.deleted and "fleet/clusters/dev.yaml" in result.deleted
    left = {str(path.relative_to(repo)) for path in (repo / "clusters/dev").rglob("*") if path.is_file()}
    rendered = render_fleet(load_fleet(EXAMPLE / "fleet.yaml"))
    seeds = {path for path in rendered.seeds if path.startswith("clusters/dev/")}
    assert len(seeds) >= 3 and all(path.endswith("/custom/kustomization.yaml") for path in seeds)
    assert left == {"clusters/dev/notes.md", *seeds}  # the users' files: their own, and the custom/ seeds
    assert not (repo / "clusters" / "dev" / ".argoflow-gen").exists()
    assert fleet_diff(fleet_file, repo).clusters == ()


def test_an_update_needs_an_earlier_render(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fleet", "update", str(EXAMPLE / "fleet.yaml"), "--repo",
                                      str(tmp_path / "none")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'none'} holds no earlier render (no .argoflow-gen/lock.yaml)" in result.stderr
    assert not (tmp_path / "none").exists()
