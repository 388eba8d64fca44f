"""The command line and the library say the same as the README: every command takes -q and -v, the README's
examples do what they say, help(argoflow_gen) lists the API, init writes the schemas its modeline names."""

from __future__ import annotations

import json
import pydoc
import re
import shlex
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner

import argoflow_gen
from argoflow_gen.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.list_commands(None)))  # type: ignore[arg-type]
def test_every_command_takes_quiet_and_verbose(name: str) -> None:
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None
    commands = list(command.commands.values()) if isinstance(command, click.Group) else [command]
    for each in commands:  # a group's commands (fleet render, fleet diff) each take them
        options = {option for param in each.params for option in getattr(param, "opts", [])}
        assert {"-q", "--quiet", "-v", "--verbose"} <= options, (name, each.name)


def test_the_readmes_diff_examples_show_a_difference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme.yaml").write_text(  # the README's running example: preset:full and a fork URL
        "extends: [preset:full]\nspec: {repo: {url: 'https://git.acme.internal/platform/kubeflow.git'}}\n")
    commands = [line for line in README.splitlines() if line.startswith("argoflow-gen diff --old")]
    assert commands
    for line in commands:
        argv = shlex.split(line.split("#")[0])[1:]
        argv = [arg for arg in argv if arg != "--build"]  # the files alone must already differ
        result = CliRunner().invoke(cli, [*argv, "-q"])
        assert result.exit_code == 1, (line, result.output)


def test_help_lists_the_public_api() -> None:
    text = pydoc.render_doc(argoflow_gen, renderer=pydoc.plaintext)
    for name in ("load_profile", "render", "render_to", "compare", "format_markdown", "profile_pair",
                 "revision_pair", "update", "status", "build_trees"):
        assert re.search(rf"^\s+{name}\(", text, re.MULTILINE), name
        assert name in argoflow_gen.__all__
        assert callable(getattr(argoflow_gen, name))


def test_init_writes_the_schemas_its_modeline_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "cluster.yaml"), "-v"])
    assert result.exit_code == 0, result.output
    starter = (tmp_path / "cluster.yaml").read_text()
    named = re.findall(r"\$schema=(\S+)", starter)
    assert named == ["profile.schema.json", "profile-layer.schema.json"]
    for name in named:
        assert (tmp_path / name).is_file(), name
        assert f"wrote {tmp_path / name}" in result.stdout
    valid = CliRunner().invoke(cli, ["validate", str(tmp_path / "cluster.yaml"), "--set",
                                     "spec.repo.url=https://git.acme.internal/platform/kubeflow.git"])
    assert valid.exit_code == 0, valid.output


def test_the_layer_schema_accepts_an_overlay_the_profile_schema_refuses(tmp_path: Path) -> None:
    overlay = {"extends": ["base.yaml"], "spec": {"ingress": {"domain": "ml.acme.example"}}}
    profile_schema = json.loads(CliRunner().invoke(cli, ["schema"]).stdout)
    layer_schema = json.loads(CliRunner().invoke(cli, ["schema", "--layer"]).stdout)
    jsonschema.Draft202012Validator.check_schema(layer_schema)
    assert not list(jsonschema.Draft202012Validator(layer_schema).iter_errors(overlay))
    assert list(jsonschema.Draft202012Validator(profile_schema).iter_errors(overlay))
    wrong = {"spec": {"ingress": {"domian": "typo.example"}}}  # still checked: unknown keys, types
    assert list(jsonschema.Draft202012Validator(layer_schema).iter_errors(wrong))
