"""Commands around a fork: images, upgrade-plan, hash-password."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .app import SET_HELP, build_cache, build_options, cli, profile_arguments, verbosity


@cli.command()
@click.argument("profiles", nargs=-1, metavar="[PROFILE...]")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--tree", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, metavar="DIR",
              help="List the images of the fork in DIR as it is, instead of rendering PROFILE...")
@click.option("--format", "output_format", type=click.Choice(["list", "json"]), default="list", show_default=True,
              help="list: one image per line (for skopeo/crane copy loops); json: each with every reference.")
@build_options
@verbosity
def images(profiles: Sequence[str], overrides: Sequence[str], tree: Path | None, output_format: str,
           kustomize: str | None, jobs: int | None, cache_dir: Path | None, no_cache: bool, quiet: bool,
           verbose: bool) -> None:
    """List every container image the fork runs: in pod specs, and those controllers start later (named in
    ConfigMaps, arguments and custom resources), from every Application's build.

    \b
    Example:
      argoflow-gen images preset:full --set spec.repo.url=https://github.com/me/kf.git
      argoflow-gen images --tree fork --format json > images.json
    """
    from ..api import images_of
    from ..images import format_json, format_list

    if (tree is None) == (not profiles):
        raise click.UsageError("give PROFILE... to render, or --tree DIR for a fork on disk (not both)")
    cache = build_cache(cache_dir, no_cache)
    if tree is not None:
        from ..diff.sources import read_folder

        files = read_folder(tree)
    else:
        from ..loader import load_profile
        from ..rendering import render as render_tree

        files = dict(render_tree(load_profile(*profiles, overrides=overrides), read_only=True))
    found, not_built = images_of(files, kustomize=kustomize, jobs=jobs, cache_dir=cache)
    for name, reason in not_built:
        if not quiet:
            click.echo(f"warning: {name} is not built ({reason}): its images are not listed", err=True)
    click.echo(format_json(found, not_built) if output_format == "json" else format_list(found), nl=False)
    if verbose:
        click.echo(f"{len(found)} images", err=True)


@cli.command("upgrade-plan")
@profile_arguments
@click.option("--to", "target", required=True, metavar="VERSION", help="The Kubeflow release to upgrade to.")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for a terminal, markdown for a pull request, json for tools.")
@click.option("--backup-jobs", "backup_jobs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write the backup Jobs (PreSync hooks) of the databases the upgrade migrates.")
@build_options
@verbosity
def upgrade_plan(profiles: Sequence[str], overrides: Sequence[str], target: str, output_format: str,
                 backup_jobs: Path | None, kustomize: str | None, jobs: int | None, cache_dir: Path | None,
                 no_cache: bool, quiet: bool, verbose: bool) -> None:
    """What upgrading the profiles' fork to another Kubeflow release does to the cluster's state: an ordered
    runbook, most risky first (refused patches, data at risk, store switches, CRD versions, databases).

    Exit status: 0 nothing risky, 1 high-risk steps (read them before the sync), 2 an error.

    \b
    Example:
      argoflow-gen upgrade-plan my-cluster.yaml --to 1.11.0 --backup-jobs backups.yaml
    """
    from ..upgrade import format_json, format_markdown, format_text, plan_for
    from ..writer import write_file

    plan = plan_for(profiles, overrides, target, kustomize=kustomize, jobs=jobs,
                    cache_dir=build_cache(cache_dir, no_cache))
    if backup_jobs is not None and plan.backup_jobs:
        write_file(backup_jobs, plan.backup_jobs)
        if verbose:
            click.echo(f"wrote {backup_jobs}", err=True)
    if not quiet:
        formatter = {"text": format_text, "markdown": format_markdown, "json": format_json}[output_format]
        click.echo(formatter(plan), nl=False)
    if plan.high:
        raise SystemExit(1)


@cli.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--cost", default=12, show_default=True, type=int, help="The bcrypt cost (work factor), 4 to 31.")
@verbosity
def hash_password(from_stdin: bool, cost: int, quiet: bool, verbose: bool) -> None:
    """Print the bcrypt hash ($2y$) of a password, for spec.identity.users[].passwordHash.

    Without --stdin it asks twice, without echo. -v names the cost on stderr; -q adds nothing to the hash.

    \b
    Example:
      argoflow-gen hash-password
      printf '%s\\n' "$PASSWORD" | argoflow-gen hash-password --stdin
    """
    from ..passwords import hash_password as make_hash

    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if verbose and not quiet:
        click.echo(f"bcrypt, cost {cost}", err=True)
    click.echo(make_hash(password, cost))
