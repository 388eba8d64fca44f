"""Commands about profiles: validate, explain, schema, presets, init."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .app import cli, profile_arguments, verbosity


@cli.command()
@profile_arguments
@verbosity
def validate(profiles: Sequence[str], overrides: Sequence[str], quiet: bool, verbose: bool) -> None:
    """Check profiles; print a one-line summary, or every problem with its file and line.

    \b
    Example:
      argoflow-gen validate preset:minimal my-cluster.yaml
    """
    from ..loader import load_profile

    profile = load_profile(*profiles, overrides=overrides)
    if quiet:
        return
    for notice in profile.notices:
        click.echo(f"warning: {notice}", err=True)
    enabled = len(profile.spec.kubeflow.enabled)
    click.echo(f"{profiles[-1]}: valid profile {profile.metadata.name} "
               f"(Kubeflow {profile.spec.kubeflow.version}, {enabled} components)")
    if verbose:
        for component in profile.spec.kubeflow.enabled:
            click.echo(f"  {component.id} (wave {component.sync_wave})")


_KEY = re.compile(r"(apiVersion|kind|metadata|spec)([.\[].*)?")


@cli.command()
@profile_arguments
@click.option("--key", "key", default=None, metavar="KEY", help="Only values at or under this dotted key.")
@verbosity
def explain(profiles: Sequence[str], overrides: Sequence[str], key: str | None, quiet: bool, verbose: bool) -> None:
    """Show every effective value and where it came from (FILE:LINE:COL, or default).

    The last argument may be a KEY (spec.ingress) instead of a profile. -q only checks that the profiles
    resolve; -v first lists the layers, lowest first.

    \b
    Example:
      argoflow-gen explain preset:full my-cluster.yaml spec.ingress
    """
    from ..loader import explain as explain_rows
    from ..loader import resolve

    if key is None and len(profiles) > 1 and _KEY.fullmatch(profiles[-1]) and not Path(profiles[-1]).exists():
        profiles, key = profiles[:-1], profiles[-1]

    resolution = resolve(profiles, overrides)
    rows = explain_rows(resolution, key)
    if not rows:
        raise click.UsageError(f"no value at or under {key!r}")
    if quiet:
        return
    for layer in resolution.merged.layers:
        if layer.notice:
            click.echo(f"warning: {layer.notice}", err=True)
    if verbose:
        for index, layer in enumerate(resolution.merged.layers, start=1):
            click.echo(f"# layer {index}: {layer.label}")
    click.echo(format_explained(rows), nl=False)


def format_explained(rows: Sequence[tuple[str, Any, str]]) -> str:
    """``PATH  VALUE  # ORIGIN``, one value a line, paths aligned."""
    from ..yamlemit import dump_inline

    width = max(len(path) for path, _value, _origin in rows)
    return "".join(f"{path.ljust(width)}  {dump_inline(value)}  # {origin}\n" for path, value, origin in rows)


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["json", "markdown"]), default="json",
              show_default=True, help="json: the JSON Schema; markdown: the profile reference table.")
@click.option("--layer", is_flag=True, help="The schema of one layer (an overlay: nothing required).")
@verbosity
def schema(output_format: str, layer: bool, quiet: bool, verbose: bool) -> None:
    """Print the profile's JSON Schema (for editors and the yaml-language-server).

    -q prints nothing (the schema ships with argoflow-gen); -v names the schema's $id on stderr.

    \b
    Example:
      argoflow-gen schema > profile.schema.json
      argoflow-gen schema --layer > profile-layer.schema.json
      argoflow-gen schema --format markdown
    """
    import json

    from ..profile.reference import reference_markdown
    from ..schema import layer_schema_text, schema_text

    text = (layer_schema_text() if layer else schema_text()) if output_format == "json" else reference_markdown()
    if verbose and output_format == "json":
        click.echo(f"# {json.loads(text)['$id']}", err=True)
    if not quiet:
        click.echo(text, nl=False)


@cli.command()
@verbosity
def presets(quiet: bool, verbose: bool) -> None:
    """List the built-in presets, one line each (-q: names only; -v: with the layers each extends).

    \b
    Example:
      argoflow-gen presets
    """
    from ..layers import preset_extends, preset_names, preset_summary

    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        if quiet:
            click.echo(f"preset:{name}")
            continue
        line = f"preset:{name.ljust(width)}  {preset_summary(name)}"
        if verbose:
            line += f"  (extends: {', '.join(preset_extends(name)) or 'nothing'})"
        click.echo(line)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", default="minimal", show_default=True, help="The preset the profile extends.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@verbosity
def init(file: Path, preset: str, force: bool, quiet: bool, verbose: bool) -> None:
    """Write a commented starter profile to FILE, and beside it the JSON Schemas its editor modeline names
    (profile.schema.json, and profile-layer.schema.json for overlay layers).

    \b
    Example:
      argoflow-gen init my-cluster.yaml --preset full
    """
    from ..starter import write_starter

    written = write_starter(file, preset, force=force)
    if verbose:
        for path in written:
            click.echo(f"wrote {path}")
    if not quiet:
        click.echo(f"wrote {file}; edit it, then run: argoflow-gen validate {file}")


@cli.command()
@click.argument("profiles", nargs=-1, required=True, metavar="PROFILE...")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a file is in an older format.")
@verbosity
def migrate(profiles: Sequence[str], check: bool, quiet: bool, verbose: bool) -> None:
    """Rewrite profile files of an older format (apiVersion) in the newest, in place, keeping their comments.

    Every file the PROFILEs extend is migrated on its own; presets are left alone (they ship in every format).
    -v prints each change as a unified diff.

    \b
    Example:
      argoflow-gen migrate my-cluster.yaml
      argoflow-gen migrate --check my-cluster.yaml
    """
    from ..migrate import plan, write
    from ..migrations import LATEST

    files = plan(profiles)
    older = [migrated for migrated in files if migrated.changed]
    if not check:
        write(older)
    if not quiet:
        for migrated in files:
            if not migrated.changed:
                click.echo(f"{migrated.file}: {LATEST} already")
                continue
            moves = ", ".join(f"{'.'.join(map(str, m.source))} -> {'.'.join(map(str, m.target))}"
                              for m in migrated.moves) or "no key moves"
            verb = "would migrate" if check else "migrated"
            click.echo(f"{migrated.file}: {verb} {migrated.version} -> {LATEST} ({moves})")
            if verbose:
                click.echo(migrated.diff(), nl=False)
    if check and older:
        raise SystemExit(1)
