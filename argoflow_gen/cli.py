"""Command line: parses arguments, calls one library function per command, formats errors.

Exit codes: 0 success, 1 differences found (``--check``, ``diff``), 2 bad input, 3 unexpected failure.
"""

from __future__ import annotations

import os
import re
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
def explain(profiles: Sequence[str], overrides: Sequence[str], key: str | None) -> None:
    """Show every effective value and where it came from (FILE:LINE:COL, or default).

    The last argument may be a KEY (spec.ingress) instead of a profile.

    \b
    Example:
      argoflow-gen explain preset:full my-cluster.yaml spec.ingress
    """
    from .loader import explain as explain_rows
    from .loader import resolve
    from .yamlio import dump_inline

    if key is None and len(profiles) > 1 and _KEY.fullmatch(profiles[-1]) and not Path(profiles[-1]).exists():
        profiles, key = profiles[:-1], profiles[-1]

    rows = explain_rows(resolve(profiles, overrides), key)
    if not rows:
        raise click.UsageError(f"no value at or under {key!r}")
    width = max(len(path) for path, _value, _origin in rows)
    for path, value, origin in rows:
        click.echo(f"{path.ljust(width)}  {dump_inline(value)}  # {origin}")


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["json", "markdown"]), default="json",
              show_default=True, help="json: the JSON Schema; markdown: the profile reference table.")
def schema(output_format: str) -> None:
    """Print the profile's JSON Schema (for editors and the yaml-language-server).

    \b
    Example:
      argoflow-gen schema > profile.schema.json
      argoflow-gen schema --format markdown
    """
    from .schema import reference_markdown, schema_text

    click.echo(schema_text() if output_format == "json" else reference_markdown(), nl=False)


@cli.command()
def presets() -> None:
    """List the built-in presets, one line each.

    \b
    Example:
      argoflow-gen presets
    """
    from .layers import preset_names, preset_summary

    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        click.echo(f"preset:{name.ljust(width)}  {preset_summary(name)}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", default="minimal", show_default=True, help="The preset the profile extends.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init(file: Path, preset: str, force: bool) -> None:
    """Write a commented starter profile to FILE.

    \b
    Example:
      argoflow-gen init my-cluster.yaml --preset full
    """
    from .starter import write_starter

    write_starter(file, preset, force=force)
    click.echo(f"wrote {file}; edit it, then run: argoflow-gen validate {file}")


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

    outcome = render_to(profiles, overrides, output, dry_run=dry_run, check=check, force=force,
                        rotate_secrets=rotate_secrets)
    if check:
        if outcome.changes:
            for action, path in outcome.rows():
                if action != "unchanged" and not quiet:
                    click.echo(f"{action:9} {path}")
            raise SystemExit(1)
        if not quiet:
            click.echo(f"{output}: up to date")
        return
    if dry_run:
        for action, path in outcome.rows():
            if verbose or action != "unchanged":
                click.echo(f"{action:9} {path}")
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
    from .update import update as run_update

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

    Exit code 1 if anything drifted or would change, 0 if the fork is clean.

    \b
    Example:
      argoflow-gen status --repo .
    """
    from .update import status as fork_status

    report = fork_status(repo)
    if quiet:
        raise SystemExit(0 if report.clean else 1)
    if verbose:
        click.echo(f"{report.checked} generated files checked")
    for path in report.edited:
        click.echo(f"edited    {path}")
    for path in report.deleted:
        click.echo(f"deleted   {path}")
    if report.rerender_changes is None:
        click.echo(report.note)
    else:
        for path in report.rerender_changes:
            click.echo(f"stale     {path}  (re-rendering the recorded profile changes it)")
    if report.clean:
        click.echo(f"{repo}: clean")
        return
    raise SystemExit(1)


@cli.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--cost", default=12, show_default=True, type=int, help="The bcrypt cost (work factor), 4 to 31.")
def hash_password(from_stdin: bool, cost: int) -> None:
    """Print the bcrypt hash ($2y$) of a password, for spec.auth.users[].passwordHash.

    Without --stdin it asks twice, without echo.

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
    click.echo(make_hash(password, cost))


def main() -> None:
    cli(prog_name="argoflow-gen")
