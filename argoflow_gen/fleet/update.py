"""Re-render a fleet into its folder, keeping the users' edits: the three-way update of one fork, over the
fleet's whole tree.

The base is the fleet's pristine copy (every generated file of the last render, shared folders and the hub's
files included); each cluster's own state files (``clusters/NAME/.argoflow-gen/``) are rewritten like the fleet's
lock, never merged, and deleted with their cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..regenerate import STATE_FILES, UpdateResult, update_with
from ..state import STATE_DIR
from ..tree import Tree
from .load import load_fleet
from .render import render_fleet


def is_fleet_state(path: str) -> bool:
    """The fleet's state files and each cluster's (``clusters/NAME/.argoflow-gen/...``)."""
    parts = path.split("/")
    return path in STATE_FILES or (len(parts) > 3 and parts[0] == "clusters" and parts[2] == STATE_DIR)


def update_fleet(fleet_file: str | Path, repo: str | Path, *, dry_run: bool = False, allow_dirty: bool = False,
                 restore: Iterable[str] = ()) -> UpdateResult:
    """Render ``fleet_file`` into ``repo`` (holding an earlier render of the fleet), three-way merging every
    generated file edited by hand; conflicts leave markers. One transaction of the writer; ``dry_run`` writes,
    locks and recovers nothing."""
    fleet = load_fleet(fleet_file)

    def renderer(previous: Mapping[str, str], read_only: bool) -> Tree:
        return render_fleet(fleet, previous=previous, read_only=read_only, fork=Path(repo))

    return update_with(Path(repo), renderer, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore,
                       state=is_fleet_state)
