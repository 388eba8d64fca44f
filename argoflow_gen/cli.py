"""Command line: parses arguments, calls one library function per command, formats errors.

Exit codes: 0 success, 1 differences found (``--check``, ``diff``), 2 bad input, 3 unexpected failure.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import ArgoflowError

F = TypeVar("F", bound=Callable[..., Any])

SET_HELP = "Override one value, as the topmost layer: --set spec.ingress.domain=kf.example.com (VALUE is YAML)."


def _fail(error: ArgoflowError) -> None:
    click.echo(str(error), err=True)
    raise SystemExit(error.exit_code)


def _crash(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(exc)
        raise SystemExit(3)
    fd, name = tempfile.mkstemp(prefix="argoflow-gen-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as report:
        report.write(f"argoflow-gen {__version__}\nargv: {sys.argv!r}\n\n")
        report.write("".join(traceback.format_exception(exc)))
    click.echo(f"argoflow-gen: unexpected error ({type(exc).__name__}); crash report: {name}", err=True)
    raise SystemExit(3)


#: Commands whose modules are imported only when they run, so that startup stays fast.
LAZY_COMMANDS = {"diff": ("argoflow_gen.diff.command", "diff_command"),
                 "fleet": ("argoflow_gen.fleet.command", "fleet_command"),
                 "verify": ("argoflow_gen.verify.command", "verify_command")}


class Group(click.Group):
    """Turns every ArgoflowError into its message and exit code, and anything else into a crash report."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            import importlib

            module, attribute = LAZY_COMMANDS[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArgoflowError as error:
            _fail(error)
        except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(0) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            _crash(exc, bool(ctx.obj and ctx.obj.get("debug")))
        return None


def verbosity(func: F) -> F:
    """-q/--quiet and -v/--verbose, with the same meaning on every command: quiet prints nothing on success
    (the exit code tells), verbose prints every file or value considered."""
    func = click.option("-v", "--verbose", is_flag=True, help="Print every file considered, not just changes.")(func)
    return click.option("-q", "--quiet", is_flag=True, help="Print nothing on success; the exit code tells.")(func)


def profile_arguments(func: F) -> F:
    """PROFILE... and --set, shared by every command that reads profiles."""
    func = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)(func)
    return click.argument("profiles", nargs=-1, required=True, metavar="PROFILE...")(func)


def build_options(func: F) -> F:
    """--kustomize, -j, --cache-dir and --no-cache, shared by the commands that build Applications."""
    for option in (
            click.option("--no-cache", is_flag=True, help="Keep no builds across runs."),
            click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         metavar="DIR", help="Keep builds and fetched repositories in DIR across runs [default: "
                         "argoflow-gen/diff in the user cache folder; ARGOFLOW_GEN_NO_CACHE=1 turns it off]."),
            click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N", help="Builds at once."),
            click.option("--kustomize", "kustomize", default=None, metavar="CMD",
                         help="The command that builds a kustomization folder [default: kubectl kustomize].")):
        func = option(func)
    return func


def _build_cache(cache_dir: Path | None, no_cache: bool) -> Path | None:
    """The build cache folder that --cache-dir and --no-cache ask for (None: none)."""
    if no_cache and cache_dir is not None:
        raise click.UsageError("--cache-dir and --no-cache do not go together")
    if no_cache:
        return None
    from .diff.store import default_cache_dir

    return cache_dir or default_cache_dir()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="argoflow-gen")
@click.option("--debug", is_flag=True, help="Show a traceback instead of a crash report on unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Render a fork-ready GitOps repository that runs Kubeflow on Argo CD.

    A PROFILE is a YAML file or preset:NAME; several are layered, later ones winning.

    \b
    Example:
      argoflow-gen render preset:full --set spec.repo.url=https://github.com/me/kf.git -o fork
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@profile_arguments
@verbosity
def validate(profiles: Sequence[str], overrides: Sequence[str], quiet: bool, verbose: bool) -> None:
    """Check profiles; print a one-line summary, or every problem with its file and line.

    \b
    Example:
      argoflow-gen validate preset:minimal my-cluster.yaml
    """
    from .loader import load_profile

    profile = load_profile(*profiles, overrides=overrides)
    if quiet:
        return
    enabled = len(profile.kubeflow.enabled)
    click.echo(f"{profiles[-1]}: valid profile {profile.name} "
               f"(Kubeflow {profile.kubeflow.version}, {enabled} components)")
    if verbose:
        for component in profile.kubeflow.enabled:
            click.echo(f"  {component.id} (wave {component.wave})")


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
    from .loader import explain as explain_rows
    from .loader import resolve
    from .yamlio import dump_inline

    if key is None and len(profiles) > 1 and _KEY.fullmatch(profiles[-1]) and not Path(profiles[-1]).exists():
        profiles, key = profiles[:-1], profiles[-1]

    resolution = resolve(profiles, overrides)
    rows = explain_rows(resolution, key)
    if not rows:
        raise click.UsageError(f"no value at or under {key!r}")
    if quiet:
        return
    if verbose:
        for index, layer in enumerate(resolution.merged.layers, start=1):
            click.echo(f"# layer {index}: {layer.label}")
    width = max(len(path) for path, _value, _origin in rows)
    for path, value, origin in rows:
        click.echo(f"{path.ljust(width)}  {dump_inline(value)}  # {origin}")


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

    from .schema import layer_schema_text, reference_markdown, schema_text

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
    from .layers import preset_extends, preset_names, preset_summary

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
    from .starter import write_starter

    written = write_starter(file, preset, force=force)
    if verbose:
        for path in written:
            click.echo(f"wrote {path}")
    if not quiet:
        click.echo(f"wrote {file}; edit it, then run: argoflow-gen validate {file}")


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
    from .api import render_to

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
@click.option("--dry-run", is_flag=True, help="Print what would change, as a diff; write nothing.")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="The format of the --dry-run diff (as for argoflow-gen diff).")
@click.option("--allow-dirty", is_flag=True, help="Run even if the git work tree has uncommitted changes.")
@click.option("--restore", multiple=True, metavar="PATH", help="Bring back a generated file you deleted.")
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
    from .regenerate import update as run_update

    result = run_update(profiles, overrides, repo, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore,
                        rotate_secrets=rotate_secrets)
    rows = [(action, path) for action in ("conflicts", "merged", "replaced", "created", "deleted", "restored",
                                          "kept_deleted", "kept_edited") for path in getattr(result, action)]
    labels = {"conflicts": "conflict", "kept_deleted": "kept deleted", "kept_edited": "kept edited"}
    if dry_run and output_format != "text":
        from .diff import format_json, format_markdown

        click.echo((format_json if output_format == "json" else format_markdown)(result.diff()), nl=False)
        raise SystemExit(1 if result.changes else 0)
    for action, path in sorted(rows, key=lambda row: row[1]):
        if quiet and action != "conflicts":
            continue
        click.echo(f"{labels.get(action, action):13} {path}")
    if verbose:
        click.echo(f"{len(result.unchanged)} generated files unchanged")
    if dry_run:
        from .diff import format_text

        click.echo()
        click.echo(format_text(result.diff()), nl=False)
        if result.conflicts:
            click.echo(f"{len(result.conflicts)} file(s) would get conflict markers", err=True)
        raise SystemExit(1 if result.changes else 0)
    if result.conflicts:
        click.echo(f"{len(result.conflicts)} file(s) have conflict markers: resolve them, then commit", err=True)
        raise SystemExit(1)
    if not quiet and not dry_run:
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
    from .regenerate import status as fork_status

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
    from .api import images_of
    from .images import format_json, format_list

    if (tree is None) == (not profiles):
        raise click.UsageError("give PROFILE... to render, or --tree DIR for a fork on disk (not both)")
    cache = _build_cache(cache_dir, no_cache)
    if tree is not None:
        from .diff.sources import read_folder

        files = read_folder(tree)
    else:
        from .loader import load_profile
        from .rendering import render as render_tree

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
    from .upgrade import format_json, format_markdown, format_text, plan_for
    from .writer import write_file

    plan = plan_for(profiles, overrides, target, kustomize=kustomize, jobs=jobs,
                    cache_dir=_build_cache(cache_dir, no_cache))
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
    """Print the bcrypt hash ($2y$) of a password, for spec.auth.users[].passwordHash.

    Without --stdin it asks twice, without echo. -v names the cost on stderr; -q adds nothing to the hash.

    \b
    Example:
      argoflow-gen hash-password
      printf '%s\\n' "$PASSWORD" | argoflow-gen hash-password --stdin
    """
    from .passwords import hash_password as make_hash

    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if verbose and not quiet:
        click.echo(f"bcrypt, cost {cost}", err=True)
    click.echo(make_hash(password, cost))


def main() -> None:
    cli(prog_name="argoflow-gen")
