"""Commands that make or keep up a fork: render, update, status."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import cli, profile_arguments, update_options, verbosity

if TYPE_CHECKING:
    from ..regenerate import UpdateResult

_REASONS = {"create": "the profiles render it; it is missing", "update": "differs from what the profiles render",
            "delete": "no longer rendered", "seed": "yours once written; it is missing",
            "kept": "no longer rendered; kept because you edited it", "unchanged": ""}


def _plan_lines(plan: Any, verbose: bool) -> list[str]:
    """One line per file of a plan, with the reason (every file with ``verbose``, else the changes)."""
    edited, foreign = set(plan.edited), set(plan.foreign)
    lines = []
    for action, path in plan.rows():
        if action == "unchanged" and not verbose:
            continue
        reason = ("you edited it since the last render" if path in edited
                  else "not written by the last render" if path in foreign else _REASONS[action])
        lines.append(f"{action:9} {path}" + (f"  ({reason})" if reason else ""))
    return lines


def _report(findings: Sequence[str], warnings: Sequence[str], quiet: bool) -> None:
    """Security findings always, on stderr; warnings unless quiet."""
    for finding in findings:
        click.echo(f"security: {finding}", err=True)
    if not quiet:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)


@cli.command()
@profile_arguments
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder of the fork to write (spec.repo.path of the repository).")
@click.option("--dry-run", is_flag=True, help="Print what would be created, updated or deleted; write nothing.")
@click.option("--check", is_flag=True, help="Exit 1 if the folder differs from what the profiles render.")
@click.option("--force", is_flag=True, help="Write into a folder that holds no earlier render, or over edits.")
@click.option("--rotate-secrets", is_flag=True, help="Seal new random values instead of re-using the sealed ones.")
@verbosity
def render(profiles: Sequence[str], overrides: Sequence[str], output: Path, dry_run: bool, check: bool,
           force: bool, rotate_secrets: bool, quiet: bool, verbose: bool) -> None:
    """Render the fork-ready GitOps tree of the profiles into a folder.

    \b
    Example:
      argoflow-gen render preset:full --set spec.repo.url=https://github.com/me/kf.git -o fork
    """
    from ..api import render_to

    rendered = render_to(profiles, overrides, output, dry_run=dry_run, check=check, force=force,
                         rotate_secrets=rotate_secrets)
    outcome = rendered.plan
    _report(rendered.findings, rendered.warnings, quiet)
    if check:
        if outcome.changes or rendered.findings:
            for line in _plan_lines(outcome, verbose):
                click.echo(line)
            command = shlex.join(["argoflow-gen", "render", *profiles,
                                  *(part for value in overrides for part in ("--set", value)), "-o", str(output)])
            fix = f"to bring it up to date, run: {command}"
            if outcome.edited:
                fix += f" (files you edited: argoflow-gen update ... --repo {shlex.quote(str(output))} keeps them)"
            click.echo(f"{output}: out of date: {len(outcome.rows()) - len(outcome.unchanged)} file(s) differ from "
                       f"what the profiles render; {fix}", err=True)
            raise SystemExit(1)
        if not quiet:
            click.echo(f"{output}: up to date")
        return
    if dry_run:
        for line in _plan_lines(outcome, verbose):
            click.echo(line)
        return
    if verbose:
        for action, path in outcome.rows():
            click.echo(f"{action:9} {path}")
    if not quiet:
        counts = {name: len(getattr(outcome, name)) for name in ("create", "update", "delete", "unchanged", "seed")}
        click.echo(f"{output}: {counts['create'] + counts['seed']} created, {counts['update']} updated, "
                   f"{counts['delete']} deleted, {counts['unchanged']} unchanged")


@cli.command()
@profile_arguments
@click.option("--repo", "repo", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fork's folder holding an earlier render (spec.repo.path of the repository).")
@update_options
@click.option("--rotate-secrets", is_flag=True, help="Seal new random values instead of re-using the sealed ones.")
@verbosity
def update(profiles: Sequence[str], overrides: Sequence[str], repo: Path, dry_run: bool, output_format: str,
           allow_dirty: bool, restore: Sequence[str], rotate_secrets: bool, quiet: bool, verbose: bool) -> None:
    """Re-render into a fork, keeping your edits: a three-way merge per file.

    Unedited generated files are replaced; edited ones are merged (YAML by structure, other files with
    git merge-file). Conflicts get standard markers and exit code 1. Files you deleted stay deleted.

    \b
    Example:
      argoflow-gen update preset:full my-cluster.yaml --set spec.kubeflow.version=1.11.0 --repo .
    """
    from ..regenerate import update as run_update

    result = run_update(profiles, overrides, repo, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore,
                        rotate_secrets=rotate_secrets)
    report_update(result, repo, dry_run=dry_run, output_format=output_format, quiet=quiet, verbose=verbose)


def report_update(result: UpdateResult, repo: Path, *, dry_run: bool, output_format: str, quiet: bool,
                  verbose: bool) -> None:
    """Print what an update did (or would do) file by file, and exit 1 on conflicts (or, dry, on changes)."""
    rows = [(action, path) for action in ("conflicts", "merged", "replaced", "created", "deleted", "restored",
                                          "kept_deleted", "kept_edited") for path in getattr(result, action)]
    labels = {"conflicts": "conflict", "kept_deleted": "kept deleted", "kept_edited": "kept edited"}
    if dry_run and output_format != "text":
        from ..diff import format_json, format_markdown

        click.echo((format_json if output_format == "json" else format_markdown)(result.diff()), nl=False)
        raise SystemExit(1 if result.changes else 0)
    for action, path in sorted(rows, key=lambda row: row[1]):
        if quiet and action != "conflicts":
            continue
        click.echo(f"{labels.get(action, action):13} {path}")
    if verbose:
        click.echo(f"{len(result.unchanged)} generated files unchanged")
    if dry_run:
        from ..diff import format_text

        click.echo()
        click.echo(format_text(result.diff()), nl=False)
        if result.conflicts:
            click.echo(f"{len(result.conflicts)} file(s) would get conflict markers", err=True)
        raise SystemExit(1 if result.changes else 0)
    if result.conflicts:
        click.echo(f"{len(result.conflicts)} file(s) have conflict markers: resolve them, then commit", err=True)
        raise SystemExit(1)
    if not quiet:
        click.echo(f"{repo}: updated" if result.changes else f"{repo}: already up to date")


@cli.command()
@click.option("--repo", "repo", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The fork's folder holding an earlier render.")
@verbosity
def status(repo: Path, quiet: bool, verbose: bool) -> None:
    """Show generated files you changed (drift) and whether re-rendering the recorded profile changes any.

    Exit code 0 if the fork is clean, 1 if anything drifted or would change, 2 if the recorded profile
    could not be re-rendered (the fork is then not reported clean). Never reads a secret input, never writes.

    \b
    Example:
      argoflow-gen status --repo .
    """
    from ..regenerate import status as fork_status

    report = fork_status(repo)
    _report(report.findings, (), quiet)
    if quiet:
        raise SystemExit(0 if report.clean else 1 if report.checked_all else 2)
    if verbose:
        click.echo(f"{report.checked} generated files checked")
    for path in report.edited:
        click.echo(f"edited    {path}")
    for path in report.deleted:
        click.echo(f"deleted   {path}")
    for path in report.rerender_changes or ():
        click.echo(f"stale     {path}  (re-rendering the recorded profile changes it)")
    if not report.checked_all:
        click.echo(f"{repo}: not checked: {report.note}", err=True)
        raise SystemExit(2)
    if report.clean:
        click.echo(f"{repo}: clean")
        return
    raise SystemExit(1)
