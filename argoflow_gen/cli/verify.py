"""``argoflow-gen verify``: parses arguments, calls ``verify``, prints the report. Exit 0 no problems, 1
problems found, 2 an error (no kubeconfig, no connection, a build that fails)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ..diff.build import DEFAULT_KUSTOMIZE
from ..diff.store import default_cache_dir
from ..verify.report import format_json, format_markdown, format_text
from ..verify.run import verify


@click.command("verify")
@click.argument("profiles", nargs=-1, required=True, metavar="PROFILE...")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override one value, as the topmost layer (VALUE is YAML).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The kubeconfig to read [default: $KUBECONFIG, else ~/.kube/config].")
@click.option("--context", default=None, help="The kubeconfig context [default: its current context].")
@click.option("--kustomize", default=DEFAULT_KUSTOMIZE, show_default=True, metavar="CMD",
              help="The command that builds a kustomization folder, given as its last argument.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Builds at once [default: the number of cores].")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Keep builds and fetched repositories in DIR across runs, shared with diff --build [default: "
                   "argoflow-gen/diff in the user cache folder; ARGOFLOW_GEN_NO_CACHE=1 turns it off].")
@click.option("--no-cache", is_flag=True, help="Keep no builds across runs.")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for a terminal, markdown for a pull request or ticket, json for tools.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@click.option("-v", "--verbose", is_flag=True, help="List the notes too (what could not be judged yet), not just "
              "the problems (text format; the others always list them).")
def verify_command(profiles: Sequence[str], overrides: Sequence[str], kubeconfig: Path | None, context: str | None,
                   kustomize: str, jobs: int | None, cache_dir: Path | None, no_cache: bool, output_format: str,
                   quiet: bool, verbose: bool) -> None:
    """Check, read-only, that the fork the profiles render would install on a cluster.

    Preflight: the Kubernetes version against the release's range, a default StorageClass, a cert-manager,
    Istio or Argo CD that would conflict, the sealed-secrets certificate against the running controller,
    LoadBalancer capacity. Then a server-side dry run of every Application's objects, in sync-wave order.
    Nothing in the cluster changes.

    Exit status: 0 no problems, 1 problems found, 2 an error.

    \b
    Examples:
      argoflow-gen verify my-cluster.yaml --context prod
      argoflow-gen verify preset:full --set spec.kubeflow.version=1.11.0 --format markdown > verify.md
    """
    if no_cache and cache_dir is not None:
        raise click.UsageError("--cache-dir and --no-cache do not go together")
    cache = None if no_cache else (cache_dir or default_cache_dir())
    report = verify(profiles, overrides, kubeconfig=kubeconfig, context=context, kustomize=kustomize, jobs=jobs,
                    cache_dir=cache)
    if not quiet:
        if output_format == "text":
            click.echo(format_text(report, notes=verbose), nl=False)
        else:
            click.echo((format_markdown if output_format == "markdown" else format_json)(report), nl=False)
    if not report.clean:
        raise SystemExit(1)
