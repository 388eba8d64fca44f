"""The root command: its options, the shared ones (-q/-v, PROFILE... and --set), and how an error becomes its
message and exit code (a crash, a report file)."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ArgoflowError
from ..version import __version__

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
LAZY_COMMANDS = {"diff": ("argoflow_gen.cli.diff", "diff_command"),
                 "fleet": ("argoflow_gen.cli.fleet", "fleet_command"),
                 "verify": ("argoflow_gen.cli.verify", "verify_command")}


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


def build_cache(cache_dir: Path | None, no_cache: bool) -> Path | None:
    """The build cache folder that --cache-dir and --no-cache ask for (None: none)."""
    if no_cache and cache_dir is not None:
        raise click.UsageError("--cache-dir and --no-cache do not go together")
    if no_cache:
        return None
    from ..diff.store import default_cache_dir

    return cache_dir or default_cache_dir()


def update_options(func: F) -> F:
    """--dry-run, --format, --allow-dirty and --restore, shared by the three-way updates (of a fork, of a fleet)."""
    for option in (
            click.option("--restore", multiple=True, metavar="PATH", help="Bring back a generated file you deleted."),
            click.option("--allow-dirty", is_flag=True, help="Run even if the git work tree has uncommitted changes."),
            click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]),
                         default="text", show_default=True,
                         help="The format of the --dry-run diff (as for argoflow-gen diff)."),
            click.option("--dry-run", is_flag=True, help="Print what would change, as a diff; write nothing.")):
        func = option(func)
    return func


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



def main() -> None:
    cli(prog_name="argoflow-gen")
