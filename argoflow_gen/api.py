"""Library entry points that tie the stages together (used by the CLI, usable without it)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .loader import load_profile
from .rendering import render
from .writer import Plan, folder_lock, read_generated, recover


def render_to(profiles: Iterable[str | Path], overrides: Iterable[str], output: str | Path, *,
              dry_run: bool = False, check: bool = False, force: bool = False,
              rotate_secrets: bool = False) -> Plan:
    """Load the profiles, render them, and write (or, with ``dry_run``/``check``, only plan) the tree.

    Sealed values of an earlier render in ``output`` are re-used while their inputs are unchanged.
    """
    profile = load_profile(*profiles, overrides=overrides)
    output = Path(output)
    if (output / ".argoflow-gen").is_dir():  # finish or undo an interrupted write first
        with folder_lock(output):
            recover(output)
    tree = render(profile, previous=read_generated(output), rotate_secrets=rotate_secrets)
    if dry_run or check:
        return tree.plan(output)
    return tree.write(output, force=force)
