"""Library entry points that tie the stages together (used by the CLI, usable without it)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .loader import load_profile
from .render import render
from .writer import Plan


def render_to(profiles: Iterable[str | Path], overrides: Iterable[str], output: str | Path, *,
              dry_run: bool = False, check: bool = False, force: bool = False) -> Plan:
    """Load the profiles, render them, and write (or, with ``dry_run``/``check``, only plan) the tree."""
    profile = load_profile(*profiles, overrides=overrides)
    tree = render(profile)
    if dry_run or check:
        return tree.plan(output)
    return tree.write(output, force=force)
