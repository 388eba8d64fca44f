"""Profile formats: v1alpha1 files are read as v1beta1 (each layer on its own, problems still placed in the file
that wrote them), and `argoflow-gen migrate` rewrites them in place, keeping every comment and the rest of the
text, into files that render the identical tree."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from argoflow_gen import migrations
from argoflow_gen.cli import cli
from argoflow_gen.errors import ProfileError
from argoflow_gen.fleet import load_fleet, render_fleet
from argoflow_gen.loader import load_profile, resolve
from argoflow_gen.rendering import render
from argoflow_gen.yamlio import load

from .conftest import FORK, ROOT

OLD = Path(__file__).resolve().parent / "data" / "migrate" / "v1alpha1"
PRESETS = sorted(path.stem for path in (ROOT / "profiles" / "v1alpha1").glob("*.yaml"))
EXAMPLES = ["quickstart.yaml", "production.yaml", "fleet/base.yaml", "fleet/clusters/dev.yaml",
            "fleet/clusters/hub.yaml", "fleet/clusters/prod.yaml"]


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _comments(text: str) -> list[str]:
    """Each comment of a text, from its ``#`` (the test files have no ``#`` inside values)."""
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


def test_presets_ship_in_both_formats_and_each_v1beta1_preset_is_its_v1alpha1_preset_migrated() -> None:
    newest = sorted(path.stem for path in (ROOT / "profiles").glob("*.yaml"))
    assert sorted(set(newest) - set(PRESETS)) == ["platform"]  # presets made after v1alpha1 exist only in v1beta1
    for name in PRESETS:
        old = (ROOT / "profiles" / "v1alpha1" / f"{name}.yaml").read_text(encoding="utf-8")
        assert old.count("apiVersion: argoflow-gen/v1alpha1") == 1
        new = migrations.text(old, f"{name}.yaml")
        assert new == (ROOT / "profiles" / f"{name}.yaml").read_text(encoding="utf-8"), name
        assert _comments(new) == _comments(old)


@pytest.mark.parametrize("release", ["1.11.0", "1.10.2"])
@pytest.mark.parametrize("name", [name for name in PRESETS if name != "private-repo-sealed"])  # sealing is random
def test_a_v1alpha1_preset_renders_the_tree_of_its_v1beta1_preset(name: str, release: str) -> None:
    overrides = [FORK, f"spec.kubeflow.version={release}"]
    old = render(load_profile(ROOT / "profiles" / "v1alpha1" / f"{name}.yaml", overrides=overrides))
    new = render(load_profile(f"preset:{name}", overrides=overrides))
    assert old.files == new.files
    assert old.seeds == new.seeds


def test_shipped_examples_are_their_v1alpha1_versions_migrated_with_every_comment() -> None:
    for example in EXAMPLES:
        old = (OLD / example).read_text(encoding="utf-8")
        new = (ROOT / "examples" / example).read_text(encoding="utf-8")
        assert "argoflow-gen/v1alpha1" in old and "argoflow-gen/v1beta1" in new
        assert migrations.text(old, example) == new, example
        assert _comments(new) == _comments(old), example


def test_migrate_rewrites_the_examples_in_place_into_files_that_render_the_identical_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for example in EXAMPLES:
        shutil.copy(OLD / example, tmp_path / "examples" / example)
    monkeypatch.chdir(tmp_path)
    before = {name: render(load_profile(f"examples/{name}")) for name in ("quickstart.yaml", "production.yaml")}
    fleet_before = render_fleet(load_fleet("examples/fleet/fleet.yaml"))

    result = _invoke("migrate", "examples/quickstart.yaml", "examples/production.yaml")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "examples/quickstart.yaml: migrated argoflow-gen/v1alpha1 -> argoflow-gen/v1beta1 "
        "(spec.auth -> spec.identity, spec.profiles -> spec.tenancy.profiles)\n"
        "examples/production.yaml: migrated argoflow-gen/v1alpha1 -> argoflow-gen/v1beta1 "
        "(spec.auth -> spec.identity, spec.profiles -> spec.tenancy.profiles)\n")
    clusters = [f"examples/fleet/clusters/{name}.yaml" for name in ("hub", "dev", "prod")]
    result = _invoke("migrate", "examples/fleet/fleet.yaml")  # a fleet file stands for its profiles' layers
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "examples/fleet/base.yaml: migrated argoflow-gen/v1alpha1 -> argoflow-gen/v1beta1 (spec.auth -> spec.identity)",
        *[f"{cluster}: migrated argoflow-gen/v1alpha1 -> argoflow-gen/v1beta1 (no key moves)" for cluster in clusters]]

    for example in EXAMPLES:
        assert (tmp_path / "examples" / example).read_bytes() == (ROOT / "examples" / example).read_bytes()
    for name, tree in before.items():
        after = render(load_profile(f"examples/{name}"))
        assert after.files == tree.files and after.seeds == tree.seeds
        assert tree.warnings[0].startswith(f"examples/{name}: argoflow-gen/v1alpha1 is an older profile format")
        assert not [warning for warning in after.warnings if "older profile format" in warning]
    assert render_fleet(load_fleet("examples/fleet/fleet.yaml")).files == fleet_before.files
    assert _invoke("migrate", "--check", *clusters).exit_code == 0


def test_validate_on_an_old_file_names_the_command_that_migrates_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(OLD / "quickstart.yaml", tmp_path / "cluster.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "cluster.yaml"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == "cluster.yaml: valid profile quickstart (Kubeflow 1.11.0, 29 components)\n"
    assert result.stderr == (
        "warning: cluster.yaml: argoflow-gen/v1alpha1 is an older profile format, read as argoflow-gen/v1beta1: "
        "`argoflow-gen migrate cluster.yaml` rewrites the file as argoflow-gen/v1beta1, keeping its comments\n")
    assert CliRunner().invoke(cli, ["validate", "-q", "cluster.yaml"]).output == ""


def test_check_writes_nothing_and_says_which_files_would_change(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "base.yaml").write_text(
        "apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nextends: [preset:base]\n"
        "spec:\n  profiles:   # the teams\n  - name: ml\n    owner: admin@example.com\n")
    (tmp_path / "cluster.yaml").write_text(
        "# the cluster\napiVersion: argoflow-gen/v1beta1\nkind: Profile\nmetadata: {name: c}\n"
        "extends: [teams/base.yaml]\n")
    monkeypatch.chdir(tmp_path)
    before = (tmp_path / "teams" / "base.yaml").read_bytes()
    result = _invoke("migrate", "--check", "-v", "cluster.yaml")
    assert result.exit_code == 1
    assert (tmp_path / "teams" / "base.yaml").read_bytes() == before
    assert result.output == (
        "teams/base.yaml: would migrate argoflow-gen/v1alpha1 -> argoflow-gen/v1beta1 "
        "(spec.profiles -> spec.tenancy.profiles)\n"
        "--- a/teams/base.yaml\n+++ b/teams/base.yaml\n"
        "@@ -1,7 +1,8 @@\n"
        "-apiVersion: argoflow-gen/v1alpha1\n+apiVersion: argoflow-gen/v1beta1\n"
        " kind: Profile\n extends: [preset:base]\n spec:\n"
        "-  profiles:   # the teams\n-  - name: ml\n-    owner: admin@example.com\n"
        "+  tenancy:\n+    profiles:   # the teams\n+    - name: ml\n+      owner: admin@example.com\n"
        "cluster.yaml: argoflow-gen/v1beta1 already\n")
    assert _invoke("migrate", "cluster.yaml").exit_code == 0
    assert _invoke("migrate", "--check", "cluster.yaml").output == (
        "teams/base.yaml: argoflow-gen/v1beta1 already\ncluster.yaml: argoflow-gen/v1beta1 already\n")


MIGRATIONS = {
    "flow": "apiVersion: 'argoflow-gen/v1alpha1'\nkind: Profile\nspec: {auth: {users: []}, profiles: [{name: a}]}\n",
    "wide-indent": ("apiVersion: \"argoflow-gen/v1alpha1\"  # the format\nkind: Profile\nspec:\n"
                    "    # who logs in\n    \"auth\":\n        users: []\n    profiles:\n"
                    "        -   name: a   # the first team\n            owner: a@acme.io\n\n"
                    "    # the last key's comment\n    secrets: {}\n"),
    "block-scalar": ("apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nspec:\n  profiles:\n  - name: a\n"
                     "    note: |\n      two\n        lines\n  # trailing comment\n"),
    "profiles-last": "apiVersion: argoflow-gen/v1alpha1\nspec:\n  profiles: []",
    "no-moves": "apiVersion: argoflow-gen/v1alpha1 # keep\nkind: Profile\nspec:\n  ingress: {}\n",
}


@pytest.mark.parametrize("name", sorted(MIGRATIONS))
def test_text_migration_edits_only_the_moved_keys(name: str, text_snapshot: object) -> None:
    old = MIGRATIONS[name]
    new = migrations.text(old, f"{name}.yaml")
    assert load(new, "new").data == migrations.document(load(old, "old")).data
    assert _comments(new) == _comments(old)
    assert new == text_snapshot


def test_a_key_at_both_its_old_and_new_place_is_a_located_error_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "both.yaml"
    path.write_text("apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nspec:\n  auth: {}\n  identity: {}\n")
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["migrate", "both.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith("both.yaml:5:13: spec.identity: argoflow-gen/v1alpha1 has no spec.identity: it "
                                    "is written at spec.auth in this format")
    assert path.read_bytes() == before


def test_problems_in_an_old_file_are_placed_where_it_wrote_them(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {name: old}\n"
                    "extends: [preset:base]\nspec:\n  repo: {url: 'https://git.acme.io/kf.git'}\n"
                    "  profiles:\n    - name: Team_A\n      owner: admin@example.com\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert [issue.format() for issue in caught.value.issues] == [
        f"{path}:8:13: spec.tenancy.profiles[0].name: \"Team_A\" is not a DNS-1123 label (lower-case letters, "
        "digits and '-', starting and ending with a letter or digit, at most 63 characters)"]


def test_an_old_layer_extends_the_preset_of_its_own_format(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {name: c}\nextends: [preset:base]\n"
        "spec: {repo: {url: 'https://git.acme.io/kf.git'}}\n")
    resolution = resolve([tmp_path / "cluster.yaml"])
    labels = [layer.label for layer in resolution.merged.layers]
    assert labels == ["preset:base (v1alpha1)", str(tmp_path / "cluster.yaml")]
    assert [layer.version for layer in resolution.merged.layers] == ["argoflow-gen/v1alpha1"] * 2
    assert str(resolution.origin(("spec", "repo", "revision"))) == "preset:base (v1alpha1):11:15"
    assert str(resolution.origin(("spec", "identity", "users", 0, "email"))) == "preset:base (v1alpha1):16:16"
    assert resolution.data["apiVersion"] == "argoflow-gen/v1beta1"


def test_a_preset_newer_than_an_old_layers_format_is_read_in_the_newest(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {name: c}\nextends: [preset:platform]\n"
        "spec: {repo: {url: 'https://git.acme.io/kf.git'}}\n")
    resolution = resolve([tmp_path / "cluster.yaml"])
    assert [layer.label for layer in resolution.merged.layers][:3] == [
        "preset:base", "preset:full", "preset:platform"]
    assert set(resolution.data["spec"]["addons"]) == {"monitoring", "mlflow"}


def test_an_unknown_format_and_an_old_key_in_the_new_format_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("apiVersion: argoflow-gen/v2\nkind: Profile\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.issues[0].format() == (
        f"{path}:1:13: apiVersion: must be 'argoflow-gen/v1beta1', not 'argoflow-gen/v2' (older formats are read "
        "too (argoflow-gen/v1alpha1); `argoflow-gen migrate FILE` rewrites them)")
    with pytest.raises(ProfileError) as caught:
        load_profile("preset:minimal", overrides=[FORK, "spec.auth.admin=ada@acme.io"])
    assert caught.value.issues[0].format() == (
        "--set:2:1: spec.auth: unknown key (argoflow-gen/v1beta1 moved it to spec.identity; `argoflow-gen migrate "
        "FILE` rewrites a file of an older format)")


def test_migrate_writes_through_a_symbolic_link_and_keeps_the_file_mode(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nspec:\n  auth: {users: []}\n")
    target.chmod(0o640)
    (tmp_path / "link.yaml").symlink_to(target)
    monkeypatch.chdir(tmp_path)
    assert _invoke("migrate", "link.yaml").exit_code == 0
    assert (tmp_path / "link.yaml").is_symlink()
    assert target.read_text() == "apiVersion: argoflow-gen/v1beta1\nkind: Profile\nspec:\n  identity: {users: []}\n"
    assert target.stat().st_mode & 0o777 == 0o640


def test_every_move_names_a_key_of_the_older_format_and_a_key_of_the_newer() -> None:
    from argoflow_gen.schema import profile_schema

    properties = profile_schema()["properties"]["spec"]["properties"]
    for step in migrations.STEPS:
        for move in step.moves:
            assert move.source[-1] not in properties
            assert move.target[1] in properties
            assert re.fullmatch(r"argoflow-gen/v1\w+", step.target)
