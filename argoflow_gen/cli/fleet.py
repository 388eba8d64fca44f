"""``argoflow-gen fleet``: render a fleet, and see which clusters a change touches."""

from __future__ import annotations

from pathlib import Path

import click

from .app import update_options, verbosity


@click.group("fleet")
def fleet_command() -> None:
    """Many clusters from one repository and one Argo CD (the hub's): render a fleet file, diff it.

    \b
    Example:
      argoflow-gen fleet render fleet.yaml -o .
      argoflow-gen fleet diff fleet.yaml --repo . --format markdown
      argoflow-gen fleet update fleet.yaml --repo .
      argoflow-gen fleet promote fleet.yaml staging prod --dry-run
      argoflow-gen fleet explain fleet.yaml spec.kubeflow --cluster prod
    """


@fleet_command.command("render")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fleet's folder in the repository (spec.path).")
@click.option("--dry-run", is_flag=True, help="Print what would be created, updated or deleted; write nothing.")
@click.option("--check", is_flag=True, help="Exit 1 if the folder differs from what the fleet renders.")
@click.option("--force", is_flag=True, help="Write into a folder that holds files argoflow-gen did not write.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success; the exit code tells.")
@click.option("-v", "--verbose", is_flag=True, help="Print every file considered, not just changes.")
def fleet_render(fleet_file: Path, output: Path, dry_run: bool, check: bool, force: bool, quiet: bool,
                 verbose: bool) -> None:
    """Render every cluster of a fleet into one folder: clusters/NAME/, shared/, fleet/ and fleet.yaml.

    \b
    Example:
      argoflow-gen fleet render fleet.yaml -o .
    """
    from ..api import render_fleet_to

    rendered = render_fleet_to(fleet_file, output, dry_run=dry_run, check=check, force=force)
    plan = rendered.plan
    for finding in rendered.findings:
        click.echo(f"security: {finding}", err=True)
    if not quiet:
        for warning in rendered.warnings:
            click.echo(f"warning: {warning}", err=True)
    if check or dry_run:
        changed = [(action, path) for action, path in plan.rows() if verbose or action != "unchanged"]
        for action, path in changed:
            click.echo(f"{action:9} {path}")
        if check and (plan.changes or rendered.findings):
            click.echo(f"{output}: out of date; to bring it up to date, run: argoflow-gen fleet render "
                       f"{fleet_file} -o {output}", err=True)
            raise SystemExit(1)
        if check and not quiet:
            click.echo(f"{output}: up to date")
        return
    if verbose:
        for action, path in plan.rows():
            click.echo(f"{action:9} {path}")
    if not quiet:
        click.echo(f"{output}: {len(plan.create) + len(plan.seed)} created, {len(plan.update)} updated, "
                   f"{len(plan.delete)} deleted, {len(plan.unchanged)} unchanged")


@fleet_command.command("diff")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--repo", "repo", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fleet's folder holding an earlier render.")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for a terminal, markdown for a pull request, json for tools.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@click.option("-v", "--verbose", is_flag=True, help="List every changed file under its cluster (text).")
def fleet_diff_command(fleet_file: Path, repo: Path, output_format: str, quiet: bool, verbose: bool) -> None:
    """Which clusters rendering the fleet would change, and how: one line per cluster (files added, changed,
    removed; the components whose folders change), the fleet's own files last. Read-only.

    Exit status: 0 no changes, 1 changes, 2 an error.

    \b
    Example:
      argoflow-gen fleet diff fleet.yaml --repo . --format markdown
    """
    from ..api import fleet_diff
    from ..fleet.compare import format_fleet_json, format_fleet_markdown, format_fleet_text

    changes = fleet_diff(fleet_file, repo)
    if not quiet:
        if output_format == "text":
            click.echo(format_fleet_text(changes, verbose=verbose), nl=False)
        else:
            click.echo((format_fleet_markdown if output_format == "markdown" else format_fleet_json)(changes),
                       nl=False)
    if changes.clusters:
        raise SystemExit(1)


@fleet_command.command("status")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--repo", "repo", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fleet's folder holding an earlier render.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@click.option("-v", "--verbose", is_flag=True, help="List every file under its cluster.")
def fleet_status_command(fleet_file: Path, repo: Path, quiet: bool, verbose: bool) -> None:
    """Per cluster: the generated files edited or deleted by hand since the last render, and what rendering the
    fleet file now would change. Read-only; reads no secret input.

    Exit status: 0 clean, 1 edits or drift, 2 an error.

    \b
    Example:
      argoflow-gen fleet status fleet.yaml --repo .
    """
    from ..api import fleet_status
    from ..fleet.compare import format_fleet_text

    edited, drift = fleet_status(fleet_file, repo)
    if not quiet:
        if edited.clusters:
            click.echo("edited by hand since the last render:")
            click.echo(format_fleet_text(edited, verbose=verbose), nl=False)
        if drift.clusters:
            click.echo("rendering the fleet file now would change:")
            click.echo(format_fleet_text(drift, verbose=verbose), nl=False)
        if not edited.clusters and not drift.clusters:
            click.echo(f"{repo}: clean: as rendered, and what the fleet file renders")
    if edited.clusters or drift.clusters:
        raise SystemExit(1)


@fleet_command.command("update")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--repo", "repo", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fleet's folder holding an earlier render.")
@update_options
@verbosity
def fleet_update_command(fleet_file: Path, repo: Path, dry_run: bool, output_format: str, allow_dirty: bool,
                         restore: tuple[str, ...], quiet: bool, verbose: bool) -> None:
    """Re-render the fleet into its folder, keeping your edits: a three-way merge per file, as `update` does for
    one fork. Files edited by hand in clusters/, shared/ or fleet/ are merged; conflicts get standard markers and
    exit code 1; files you deleted stay deleted.

    \b
    Example:
      argoflow-gen fleet update fleet.yaml --repo .
    """
    from ..api import fleet_update
    from .fork import report_update

    result = fleet_update(fleet_file, repo, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore)
    report_update(result, repo, dry_run=dry_run, output_format=output_format, quiet=quiet, verbose=verbose)


@fleet_command.command("promote")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("source", metavar="SRC")
@click.argument("target", metavar="DST")
@click.option("--dry-run", is_flag=True, help="Print the change and its diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if DST does not run what SRC runs.")
@verbosity
def fleet_promote_command(fleet_file: Path, source: str, target: str, dry_run: bool, check: bool,
                          quiet: bool, verbose: bool) -> None:
    """Bring cluster DST's own profile layers to what cluster SRC runs: every value under spec (Kubeflow's release,
    the generator, components, settings) but the fleet's spec.perCluster keys. DST's layer files are edited in
    place, comments kept: commit them and render the fleet (fleet update) for review.

    Exit status: 0 done (or nothing to do), 1 with --check when DST differs, 2 an error.

    \b
    Example:
      argoflow-gen fleet promote fleet.yaml staging prod --dry-run
    """
    from ..api import fleet_promote
    from ..fleet.promote import format_promotion

    promotion = fleet_promote(fleet_file, source, target, check=check or dry_run)
    if not quiet:
        click.echo(format_promotion(promotion, base=fleet_file.resolve().parent, verbose=verbose), nl=False)
        if promotion.changed and not (check or dry_run):
            click.echo(f"next: review and commit the change, then argoflow-gen fleet update {fleet_file} --repo DIR",
                       err=True)
    if promotion.differences:
        click.echo(f"{target} still differs from {source} in: {', '.join(promotion.differences)}", err=True)
    if check and promotion.changed:
        raise SystemExit(1)


@fleet_command.command("explain")
@click.argument("fleet_file", metavar="FLEET", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("key", metavar="[KEY]", required=False)
@click.option("--cluster", "cluster", metavar="NAME", default=None,
              help="Explain this cluster's profile (the fleet's base, its layers, what the fleet decides).")
@verbosity
def fleet_explain_command(fleet_file: Path, key: str | None, cluster: str | None, quiet: bool,
                          verbose: bool) -> None:
    """Show every effective value of the fleet file, or with --cluster of one cluster's profile, and where it came
    from (FILE:LINE:COL, default, or the fleet file for what the fleet decides). KEY keeps the values at or under
    a dotted key. -q only checks that the fleet resolves.

    \b
    Example:
      argoflow-gen fleet explain fleet.yaml spec.kubeflow.version --cluster prod
    """
    from ..api import fleet_explain
    from .profiles import format_explained

    rows = fleet_explain(fleet_file, key, cluster=cluster)
    if not rows:
        raise click.UsageError(f"no value at or under {key!r}")
    if not quiet:
        click.echo(format_explained(rows), nl=False)
