"""``argoflow-gen diff``: parses arguments, calls the library, prints one report. Exit 0 no differences,
1 differences, 2 an error (the main group turns ArgoflowError into its message and exit code).

Registered in the main CLI with ``cli.add_command(diff_command, "diff")``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import click

from ..diff.budget import DEFAULT_BUDGET, MIB
from ..diff.build import BUILD_TIMEOUT, DEFAULT_KUSTOMIZE
from ..diff.formats import JSON_LAYOUT, text_layout
from ..diff.markdown import format_markdown
from ..diff.review import compare
from ..diff.sources import Pair, against_folder, profile_pair, revision_pair
from ..diff.store import default_cache_dir
from ..diff.stream import ReportStream

SUMMARY_LIMIT = 1_000_000  # GitHub's limit on a job summary is 1 MiB

_SET_HELP = ("Override one value of the profiles (with --old/--new: of the new set), as the topmost layer: "
             "--set spec.kubeflow.version=1.11.0 (VALUE is YAML).")


class _ProgressBar:
    """A one-line progress bar on a terminal's stderr, erased when the builds are done."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, done: int, total: int, name: str) -> None:
        filled = int(30 * done / total) if total else 30
        line = f"building [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {name}"[:100]
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        if done == total:
            self.clear()
        self.stream.flush()

    def clear(self) -> None:
        """Erase the bar (before the report writes to the same terminal); the next build draws it again."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _usage(message: str) -> click.UsageError:
    return click.UsageError(message)


def _pair(profiles: Sequence[str], old: Sequence[str], new: Sequence[str], overrides: Sequence[str],
          old_overrides: Sequence[str], against: Path | None, repo: Path | None, base: str | None,
          head: str | None) -> Pair:
    modes = [name for name, used in (("--old/--new", bool(old or new)), ("--against", against is not None),
                                     ("--repo", repo is not None)) if used]
    if len(modes) != 1:
        raise _usage("give exactly one of: --old PROFILE... --new PROFILE..., PROFILE... --against DIR, "
                     "--repo DIR" + (f" (got {' and '.join(modes)})" if modes else ""))
    if (base or head) and repo is None:
        raise _usage("--base and --head go with --repo")
    if old_overrides and not (old or new):
        raise _usage("--old-set goes with --old/--new")
    if repo is not None:
        if profiles or overrides:
            raise _usage("--repo compares two revisions of a fork; it takes no PROFILE and no --set")
        return revision_pair(repo, base, head)
    if against is not None:
        if not profiles:
            raise _usage("--against DIR needs the profiles to render: PROFILE... --against DIR")
        return against_folder(profiles, overrides, against)
    if profiles:
        raise _usage("with --old/--new, name every profile with --old or --new")
    if not old or not new:
        raise _usage("give both --old PROFILE and --new PROFILE")
    return profile_pair(old, new, old_overrides=old_overrides, new_overrides=overrides)


@click.command("diff")
@click.argument("profiles", nargs=-1, metavar="[PROFILE...]")
@click.option("--old", "old", multiple=True, metavar="PROFILE", help="A profile of the old side (repeatable).")
@click.option("--new", "new", multiple=True, metavar="PROFILE", help="A profile of the new side (repeatable).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=_SET_HELP)
@click.option("--old-set", "old_overrides", multiple=True, metavar="KEY=VALUE",
              help="Override one value of the old profile set (with --old/--new).")
@click.option("--against", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Compare the fork in DIR with what rendering PROFILE... into it would make.")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Compare two revisions of the fork whose folder is DIR, without touching its working tree.")
@click.option("--base", metavar="REF", help="With --repo: the old revision [default: the merge-base with the "
              "default branch].")
@click.option("--head", metavar="REF", help="With --repo: the new revision [default: the working tree].")
@click.option("--build", is_flag=True, help="Also build every Application with kustomize and diff the resources.")
@click.option("--kustomize", "kustomize", default=DEFAULT_KUSTOMIZE, show_default=True, metavar="CMD",
              help="The command that builds a kustomization folder, given as its last argument.")
@click.option("--allow-ssh", is_flag=True, help="With --build: fetch remote bases over ssh too (default: https only).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="With --build: keep builds and fetched repositories in DIR across runs [default: argoflow-gen/diff "
                   "in the user cache folder; ARGOFLOW_GEN_NO_CACHE=1 turns it off].")
@click.option("--no-cache", is_flag=True, help="With --build: keep nothing across runs.")
@click.option("--max-memory", type=click.IntRange(min=0), default=DEFAULT_BUDGET // MIB, show_default=True,
              metavar="MIB", help="With --build: start builds only while this run and its builds fit in MIB "
                                  "(each build gets a share as a soft limit); 0 for no limit.")
@click.option("--build-timeout", type=click.FloatRange(min=1), default=BUILD_TIMEOUT, show_default=True,
              metavar="SECONDS", help="With --build: stop a build that runs longer (a fetch stops after 300 s).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Builds at once [default: the number of cores].")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for a terminal, markdown for a pull-request comment, json for tools.")
@click.option("-U", "--unified", "context", type=click.IntRange(min=0), default=3, show_default=True,
              metavar="N", help="Lines of context in text diffs.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the text format (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--full-report-url", metavar="URL", default=None,
              help="With --format markdown: where the whole report is (a CI run), named when sections are cut.")
@click.option("--summary", "summary", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also append the whole markdown report, up to 1 MiB, to FILE (a CI job summary).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing, not even progress; the exit code tells.")
@click.option("-v", "--verbose", is_flag=True, help="With --build: name every build as it finishes, on stderr.")
def diff_command(profiles: Sequence[str], old: Sequence[str], new: Sequence[str], overrides: Sequence[str],
                 old_overrides: Sequence[str], against: Path | None, repo: Path | None, base: str | None,
                 head: str | None, build: bool, kustomize: str, allow_ssh: bool, cache_dir: Path | None, no_cache: bool,
                 max_memory: int, build_timeout: float, jobs: int | None,
                 output_format: str, context: int, color: str, full_report_url: str | None, summary: Path | None,
                 quiet: bool, verbose: bool) -> None:
    """Show what a change does to the fork: generated files, and with --build every Application's resources.

    Exit status: 0 no differences, 1 differences, 2 an error (a build that fails is an error).

    \b
    Examples:
      argoflow-gen diff --old my-cluster.yaml --old-set spec.kubeflow.version=1.10.2 --new my-cluster.yaml
      argoflow-gen diff my-cluster.yaml --against fork/
      argoflow-gen diff --repo . --base origin/main --build --format markdown > diff.md
    """
    if no_cache and cache_dir is not None:
        raise _usage("--cache-dir and --no-cache do not go together")
    pair = _pair(profiles, old, new, overrides, old_overrides, against, repo, base, head)
    cache = None if no_cache or not build else (cache_dir or default_cache_dir())
    bar: _ProgressBar | None = None
    progress: Any = None
    if build and not quiet:
        if verbose:
            progress = lambda done, total, name: click.echo(f"built {name} ({done}/{total})", err=True)  # noqa: E731
        elif sys.stderr.isatty():
            progress = bar = _ProgressBar(sys.stderr)
    painted = color == "always" or (color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    listener = None
    if not quiet and output_format != "markdown":  # text and json go out group by group, as they are known

        def write(text: str) -> None:
            if bar is not None:
                bar.clear()
            click.echo(text, nl=False, color=painted or None)

        layout = JSON_LAYOUT if output_format == "json" else text_layout(context, painted)
        listener = ReportStream(write, layout)
    result = compare(pair, build=build, kustomize=kustomize, jobs=jobs, progress=progress, allow_ssh=allow_ssh,
                     timeout=build_timeout, cache_dir=cache, max_memory=max_memory * MIB or None, listener=listener)
    if not quiet and output_format == "markdown":
        click.echo(format_markdown(result, full=full_report_url), nl=False)
    if summary is not None:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(format_markdown(result, limit=SUMMARY_LIMIT))
    if result.has_differences:
        raise SystemExit(1)
