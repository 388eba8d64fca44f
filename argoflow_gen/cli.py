"""Command line: parses arguments, calls one library function per command, formats errors."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="argoflow-gen")
def cli() -> None:
    """Render a fork-ready GitOps repository that runs Kubeflow on Argo CD."""


def main() -> None:
    cli()
