"""Library entry points that tie the stages together (used by the CLI, usable without it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import OutputError
from .images import Image, list_images
from .loader import load_profile
from .planner import Plan, read_generated, refuse_pending
from .state import pending_write
from .vendor import render_fork
from .writer import refusal, transaction


@dataclass(frozen=True)
class Rendered:
    """What ``render_to`` did (or, read-only, would do), and what the render found."""

    plan: Plan
    findings: tuple[str, ...] = ()  # security findings (a sealed value replaced by hand): --check fails on them
    warnings: tuple[str, ...] = ()


def render_to(profiles: Iterable[str | Path], overrides: Iterable[str], output: str | Path, *,
              dry_run: bool = False, check: bool = False, force: bool = False,
              rotate_secrets: bool = False) -> Rendered:
    """Load the profiles, render them, and write (or, with ``dry_run``/``check``, only plan) the tree.

    Sealed values of an earlier render in ``output`` are re-used while they are bound to its lock and their
    inputs are unchanged. ``dry_run`` and ``check`` write, lock and recover nothing.
    """
    profile = load_profile(*profiles, overrides=overrides)
    output = Path(output)
    read_only = dry_run or check
    if read_only:
        refuse_pending(output)
    elif pending_write(output):  # finish or undo an interrupted write first
        with transaction(output):
            pass
    tree = render_fork(profile, previous=read_generated(output), rotate_secrets=rotate_secrets, read_only=read_only)
    if not read_only:
        return Rendered(tree.write(output, force=force), tree.findings, tree.warnings)
    plan = tree.plan(output)
    refused = refusal(plan)
    if dry_run and refused is not None and not force:  # what the real render would say
        raise refused
    return Rendered(plan, tree.findings, tree.warnings)


def images_of(tree: Mapping[str, str], *, kustomize: str | None = None, jobs: int | None = None,
              cache_dir: Path | None = None) -> tuple[list[Image], tuple[tuple[str, str], ...]]:
    """Every image a tree's Applications run, from their builds; and the Applications not built (a Helm chart,
    say: their images are not listed), as (name, reason). ``cache_dir`` keeps builds across runs, shared with
    ``diff --build`` (see ``argoflow_gen.diff.store``)."""
    from .diff.build import DEFAULT_KUSTOMIZE, build_tree

    built = build_tree(tree, kustomize=kustomize or DEFAULT_KUSTOMIZE, jobs=jobs, cache_dir=cache_dir)
    return list_images(built.manifests), tuple((item.application, item.reason) for item in built.not_built)


def render_fleet_to(fleet_file: str | Path, output: str | Path, *, dry_run: bool = False, check: bool = False,
                    force: bool = False) -> Rendered:
    """Load a fleet file, render every cluster, and write (or, with ``dry_run``/``check``, only plan) the tree."""
    from .fleet import load_fleet, render_fleet

    fleet = load_fleet(fleet_file)
    output = Path(output)
    read_only = dry_run or check
    if read_only:
        refuse_pending(output)
    elif pending_write(output):
        with transaction(output):
            pass
    tree = render_fleet(fleet, previous=read_generated(output), read_only=read_only, fork=output)
    if not read_only:
        return Rendered(tree.write(output, force=force), tree.findings, tree.warnings)
    plan = tree.plan(output)
    refused = refusal(plan)
    if dry_run and refused is not None and not force:
        raise refused
    return Rendered(plan, tree.findings, tree.warnings)


def fleet_diff(fleet_file: str | Path, repo: str | Path) -> Any:
    """Which clusters rendering ``fleet_file`` would change in the fleet's folder ``repo``, and how (a
    ``FleetChanges``): the generated files, as the fleet's lock lists them, against the render. Read-only: no
    secret input is read (sealed values bound to the lock are carried on)."""
    from .fleet import load_fleet, render_fleet
    from .fleet.compare import compare_fleet

    fleet = load_fleet(fleet_file)
    repo = Path(repo)
    refuse_pending(repo)
    old = dict(read_generated(repo))
    tree = render_fleet(fleet, previous=old, read_only=True, read_secrets=False, fork=repo)
    return compare_fleet(fleet, tree.files, old)


def fleet_status(fleet_file: str | Path, repo: str | Path) -> tuple[Any, Any]:
    """(edited, drift) of a fleet's folder: the generated files changed or deleted by hand since the last
    render (a ``FleetChanges`` from the render, as its pristine copy holds it, to the files as they are), and
    what rendering the fleet file now would change (``fleet_diff``). Read-only; reads no secret input."""
    from .fleet import load_fleet
    from .fleet.compare import compare_fleet
    from .state import PRISTINE, current_text, read_pristine

    fleet = load_fleet(fleet_file)
    repo = Path(repo)
    refuse_pending(repo)
    rendered = read_pristine(repo)
    if rendered is None:
        raise OutputError(f"{repo} holds no earlier render of a fleet (no {PRISTINE})",
                          hint=f"render it first: argoflow-gen fleet render {fleet_file} -o {repo}")
    as_is = {path: text for path in rendered if (text := current_text(repo, path)) is not None}
    return compare_fleet(fleet, as_is, rendered), fleet_diff(fleet_file, repo)


def fleet_update(fleet_file: str | Path, repo: str | Path, *, dry_run: bool = False, allow_dirty: bool = False,
                 restore: Iterable[str] = ()) -> Any:
    """Re-render a fleet into its folder ``repo``, three-way merging the generated files edited by hand (an
    ``UpdateResult``, as ``argoflow_gen.regenerate.update`` gives for one fork); ``dry_run`` writes nothing."""
    from .fleet.update import update_fleet

    return update_fleet(fleet_file, repo, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore)


def fleet_promote(fleet_file: str | Path, source: str, target: str, *, check: bool = False) -> Any:
    """Bring cluster ``target``'s own profile layers to what cluster ``source`` runs (a ``Promotion``): every value
    under spec but the fleet's ``spec.perCluster`` keys, edited in place keeping comments; ``check`` writes
    nothing. See ``argoflow_gen.fleet.promote``."""
    from .fleet.promote import promote

    return promote(fleet_file, source, target, check=check)


def fleet_explain(fleet_file: str | Path, key: str | None = None, *, cluster: str | None = None) \
        -> list[tuple[str, Any, str]]:
    """(dotted path, value, origin) of every effective value of a fleet file, or with ``cluster`` of that cluster's
    profile (its base, its layers, what the fleet decides), optionally at or under ``key``."""
    from .fleet.explain import explain_fleet

    return explain_fleet(fleet_file, key, cluster=cluster)
