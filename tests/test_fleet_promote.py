"""fleet promote: the target's own layer files are edited in place (comments kept) until it runs what the source
runs, the fleet's spec.perCluster keys aside; --check and --dry-run write nothing; a promotion that would leave an
invalid profile puts every file back; bad requests get located errors."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.api import fleet_diff, fleet_promote
from argoflow_gen.cli import cli
from argoflow_gen.errors import ProfileError
from argoflow_gen.fleet import cluster_profile, load_fleet, render_fleet

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "fleet"
IMAGE = "ghcr.io/acme/notebooks/jupyter-scipy:2026.11"
API = (EXAMPLE / "clusters" / "prod.yaml").read_text().splitlines()[0]  # the profile format the example is in


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    """The example, with dev ahead of prod: prod holds back the release, dev turns the Spark operator off."""
    source = tmp_path / "fleet-src"
    shutil.copytree(EXAMPLE, source)
    _edit(source / "fleet.yaml", "    - spec.notebooks.culling\n",
          "    - spec.notebooks.culling\n    - spec.notebooks.images\n")
    _edit(source / "clusters" / "prod.yaml", "  notebooks:\n",
          "  kubeflow:\n    version: \"1.10.2\"   # held back until promoted\n  notebooks:\n")
    with (source / "clusters" / "dev.yaml").open("a") as handle:
        handle.write("  kubeflow:\n    components:\n      spark-operator: {enabled: false}   # not used here yet\n")
    return source / "fleet.yaml"


def _digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _promote(fleet_file: Path, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["fleet", "promote", str(fleet_file), "dev", "prod", *extra])


def test_promote_brings_the_target_to_what_the_source_runs(fleet_file: Path, tmp_path: Path, snapshot: Any) -> None:
    repo = tmp_path / "repo"
    render_fleet(load_fleet(fleet_file)).write(repo)
    assert cluster_profile(load_fleet(fleet_file), load_fleet(fleet_file).cluster("prod")).spec.kubeflow.version \
        == "1.10.2"

    result = _promote(fleet_file)
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot(name="output")
    prod = (fleet_file.parent / "clusters" / "prod.yaml").read_text()
    assert prod == snapshot(name="prod.yaml")
    assert "domain: kubeflow.prod.acme.internal" in prod and "idleMinutes: 720" in prod  # its own, kept
    fleet = load_fleet(fleet_file)
    promoted = cluster_profile(fleet, fleet.cluster("prod"))
    assert promoted.spec.kubeflow.version == "1.11.0"
    assert promoted.spec.kubeflow.components["spark-operator"].enabled is False
    # the change reaches prod; dev only in the folders prod now renders alike and so shares with it
    changes = {change.cluster: change for change in fleet_diff(fleet_file, repo).clusters}
    assert set(changes) == {"dev", "prod", "(hub: fleet)"}
    dev, rendered = changes["dev"], render_fleet(fleet, fork=repo).files
    assert {path.split("/")[0] for path in dev.added} == {"shared"}
    for path in dev.removed:  # moved, as it was, into a shared folder
        _, _, component, name = path.split("/", 3)
        assert any(shared.startswith(f"shared/{component}-") and shared.endswith(f"/{name}")
                   and rendered[shared] == (repo / path).read_text() for shared in dev.added), path
    for path in dev.changed:  # each now a kustomization over its shared folder
        assert path.endswith("/kustomization.yaml") and "(shared with other clusters)" in rendered[path], path
    again = _promote(fleet_file, "--check")
    assert again.exit_code == 0 and again.stdout == "prod already runs what dev runs\n"
    verbose = _promote(fleet_file, "--check", "-v")
    assert verbose.stdout == ("prod already runs what dev runs\n"
                              "  same   spec.kubeflow.components.spark-operator.enabled\n")


def test_check_and_dry_run_write_nothing(fleet_file: Path) -> None:
    before = _digests(fleet_file.parent)
    checked = _promote(fleet_file, "--check")
    assert checked.exit_code == 1
    assert "  remove spec.kubeflow.version: \"1.10.2\" (the base's value then applies)\n" in checked.stdout
    assert "+      spark-operator:\n+        enabled: false\n" in checked.stdout
    dry = _promote(fleet_file, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout == checked.stdout
    assert _digests(fleet_file.parent) == before


def test_a_promotion_that_would_leave_an_invalid_profile_puts_the_files_back(fleet_file: Path) -> None:
    with (fleet_file.parent / "clusters" / "dev.yaml").open("a") as handle:  # dev's default is in dev's images
        handle.write(f"  notebooks:\n    images: [{IMAGE}]\n    defaultImage: {IMAGE}\n")
    before = _digests(fleet_file.parent)
    with pytest.raises(ProfileError, match=r"defaultImage .* is not one of images"):
        fleet_promote(fleet_file, "dev", "prod")
    assert _digests(fleet_file.parent) == before


def test_bad_requests_get_located_errors(fleet_file: Path, snapshot: Any) -> None:
    unknown = CliRunner().invoke(cli, ["fleet", "promote", str(fleet_file), "dev", "staging"])
    assert unknown.exit_code == 2
    _edit(fleet_file.parent / "clusters" / "prod.yaml", API, "apiVersion: argoflow-gen/v0")
    formats = _promote(fleet_file)
    assert formats.exit_code == 2
    itself = CliRunner().invoke(cli, ["fleet", "promote", str(fleet_file), "dev", "dev"])
    assert itself.exit_code == 2
    folder = str(fleet_file.parent)
    assert [result.stderr.replace(folder, "FLEET") for result in (unknown, formats, itself)] == snapshot
    assert "Traceback" not in unknown.output + formats.output + itself.output


def test_promote_never_writes_through_a_symlinked_folder(fleet_file: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.move(fleet_file.parent / "clusters", outside)
    (fleet_file.parent / "clusters").symlink_to(outside)  # a pull request can carry a symlink
    before = _digests(outside)
    result = _promote(fleet_file)
    assert result.exit_code == 2
    assert "is a symlink" in result.stderr and "Traceback" not in result.output
    assert _digests(outside) == before


def test_a_value_is_removed_from_every_layer_of_the_target_that_sets_it(fleet_file: Path) -> None:
    folder = fleet_file.parent
    (folder / "clusters" / "prod-pins.yaml").write_text(
        f"{API}\nkind: Profile\nmetadata: {{name: prod-pins}}\n"
        "spec:\n  kubeflow:\n    version: \"1.10.2\"   # the platform's pin\n"
        "  notebooks: {culling: {enabled: false}}\n")
    _edit(fleet_file, "layers: [clusters/prod.yaml]", "layers: [clusters/prod-pins.yaml, clusters/prod.yaml]")
    promotion = fleet_promote(fleet_file, "dev", "prod")
    assert [(change.action, change.path, change.file.removeprefix(f"{folder}/")) for change in promotion.changes] \
        == [("set", "spec.kubeflow.components.spark-operator.enabled", "clusters/prod.yaml"),
            ("remove", "spec.kubeflow.version", "clusters/prod-pins.yaml"),
            ("remove", "spec.kubeflow.version", "clusters/prod.yaml")]
    assert "version" not in (folder / "clusters" / "prod-pins.yaml").read_text()
    assert "culling: {enabled: false}" in (folder / "clusters" / "prod-pins.yaml").read_text()  # per cluster
    fleet = load_fleet(fleet_file)
    assert cluster_profile(fleet, fleet.cluster("prod")).spec.kubeflow.version == "1.11.0"
