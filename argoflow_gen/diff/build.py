"""Build every Application of one or more trees into its manifests, as Argo CD's repo-server would.

Each tree is written to a scratch folder and checked (``confine``); the remote bases the builds reach are
checked out once per run (``localise``); each Application's folder is then built with kustomize
(``kubectl kustomize`` unless another command is given), in parallel across cores. A folder without a
kustomization is read as a plain directory of manifests, as Argo CD does. Builds whose inputs are the same
run once and share their result; with ``cache_dir``, results are kept across runs (``store``). Any failure
is a ``DiffError``: a diff never reports "no differences" for something it could not build.

``pairs`` builds the two sides of a diff, and only what can differ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .apps import applications
from .documents import Memo
from .engine import Engine, Progress, Settings, Unit, workspace
from .kustomize import BUILD_TIMEOUT, DEFAULT_KUSTOMIZE, MAX_BUILD_OUTPUT, kustomize_command
from .model import NotBuilt

__all__ = ["BUILD_TIMEOUT", "DEFAULT_KUSTOMIZE", "MAX_BUILD_OUTPUT", "Built", "Progress", "build_tree",
           "build_trees", "kustomize_command", "settings"]


@dataclass(frozen=True)
class Built:
    """The manifests of every built Application of a tree, its destination namespaces, what was not built."""

    manifests: Mapping[str, Sequence[Mapping[str, Any]]]
    namespaces: Mapping[str, str]
    not_built: tuple[NotBuilt, ...] = ()


def settings(count: int, *, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
             progress: Progress | None = None, labels: Sequence[str] = (), allow_ssh: bool = False,
             timeout: float = BUILD_TIMEOUT, cache_dir: Path | None = None, max_memory: int | None = None) -> Settings:
    """The settings of a run over ``count`` trees (checks the kustomize command)."""
    names = list(labels) or (["old", "new"] if count == 2 else [f"tree {i + 1}" for i in range(count)])
    return Settings(tuple(kustomize_command(kustomize)), max(jobs or os.cpu_count() or 1, 1), timeout, allow_ssh,
                    None if cache_dir is None else Path(cache_dir), progress, tuple(names), max_memory)


def build_trees(*trees: Mapping[str, str], kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
                progress: Progress | None = None, labels: Sequence[str] = (), allow_ssh: bool = False,
                timeout: float = BUILD_TIMEOUT, cache_dir: Path | None = None,
                max_memory: int | None = None) -> tuple[Built, ...]:
    """Build every Application of each tree; builds with identical inputs run once and share one result.

    The trees are untrusted (a pull request): nothing is built until every kustomization names only paths
    inside its tree and remote bases argoflow-gen accepts (https; ssh with ``allow_ssh``); each build runs
    at most ``timeout`` seconds and prints at most MAX_BUILD_OUTPUT bytes. ``labels`` name the trees in
    error messages (default: old, new). ``cache_dir`` keeps builds and fetched repositories across runs
    (see ``store``); without it, nothing outlives the run. ``max_memory`` (bytes) bounds the memory of the
    run and the builds it runs at once (see ``budget``).
    """
    run = settings(len(trees), kustomize=kustomize, jobs=jobs, progress=progress, labels=labels,
                   allow_ssh=allow_ssh, timeout=timeout, cache_dir=cache_dir, max_memory=max_memory)
    apps = [applications(tree) for tree in trees]
    collected: list[dict[str, Sequence[Mapping[str, Any]]]] = [{} for _ in trees]
    memos: dict[str, Memo] = {}

    def done(unit: Unit, found: list[Mapping[str, Any]]) -> None:
        collected[unit.side][unit.application.name] = found

    with workspace(trees, run) as space:
        units = [space.unit(side, app) for side, found in enumerate(apps) for app in found.values()
                 if app.folder is not None]
        Engine(space).run(units, done, lambda unit: memos.setdefault(unit.application.name, Memo()))
    return tuple(
        Built(manifests=dict(sorted(manifests.items())),
              namespaces={app.name: app.namespace for app in found.values()},
              not_built=tuple(NotBuilt(app.name, app.reason) for app in found.values() if app.folder is None))
        for found, manifests in zip(apps, collected, strict=True))


def build_tree(tree: Mapping[str, str], *, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
               progress: Progress | None = None, allow_ssh: bool = False, timeout: float = BUILD_TIMEOUT,
               cache_dir: Path | None = None, max_memory: int | None = None) -> Built:
    """Build every Application of one tree."""
    (built,) = build_trees(tree, kustomize=kustomize, jobs=jobs, progress=progress, labels=["tree"],
                           allow_ssh=allow_ssh, timeout=timeout, cache_dir=cache_dir, max_memory=max_memory)
    return built
