"""Two trees in, one Diff out: the file level always, the resource level when asked to build."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from .apps import applications
from .build import BUILD_TIMEOUT, DEFAULT_KUSTOMIZE, Progress, settings
from .files import diff_trees
from .model import ApplicationDiff, Diff
from .pairs import Kept, build_changes, not_built
from .profile import profile_changes
from .sealedcheck import findings
from .sources import Pair
from .upgrades import plan_reads, release_changes, upgrade_risks


class Listener(Protocol):
    """Told how a diff goes: the file level first, then (building) each Application as it is compared."""

    def files(self, diff: Diff) -> None: ...

    def pending(self, names: Sequence[str]) -> None: ...

    def application(self, name: str, changes: ApplicationDiff | None) -> None: ...

    def finished(self, diff: Diff) -> None: ...


def compare(pair: Pair, *, build: bool = False, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
            progress: Progress | None = None, allow_ssh: bool = False, timeout: float = BUILD_TIMEOUT,
            cache_dir: Path | None = None, max_memory: int | None = None, listener: Listener | None = None) -> Diff:
    """The diff of a pair of trees; with ``build``, also of every Application's built manifests.

    Only the Applications whose inputs differ are built (see ``pairs``); ``cache_dir`` keeps builds and
    fetched repositories across runs (see ``store``); ``max_memory`` (bytes) bounds the memory of the run
    and its builds (see ``budget``). An Application not built on either side (a Helm
    chart, say) is listed as not built and left out of the resource level, so that a change of source kind
    does not show its resources as removed. A change of Kubeflow release also builds the Applications that
    cannot differ, for its upgrade plan (``upgrades``). ``listener`` is told the file level before anything is built,
    and each Application as soon as it is compared (``stream`` writes a report that way).
    """
    diff = diff_trees(pair.old, pair.new, old_label=pair.old_label, new_label=pair.new_label)
    old_apps, new_apps = set(applications(pair.old)), set(applications(pair.new))
    diff = replace(diff, findings=findings(pair.old, pair.new), profile=profile_changes(pair.old, pair.new),
                   added_applications=tuple(sorted(new_apps - old_apps)),
                   removed_applications=tuple(sorted(old_apps - new_apps)))
    if not build:
        if listener is not None:
            listener.files(diff)
            listener.finished(diff)
        return diff
    run = settings(2, kustomize=kustomize, jobs=jobs, progress=progress, labels=[pair.old_label, pair.new_label],
                   allow_ssh=allow_ssh, timeout=timeout, cache_dir=cache_dir, max_memory=max_memory)
    if listener is not None:
        listener.files(replace(diff, built=True, not_built=not_built(pair.old, pair.new)))
    kept = Kept(plan_reads) if release_changes(pair) else None  # a release bump: its upgrade plan too
    resources = build_changes(pair.old, pair.new, run, on_start=listener.pending if listener else None,
                              on_compared=listener.application if listener else None, kept=kept)
    final = diff.with_resources(resources)
    if kept is not None:
        final = replace(final, upgrade=upgrade_risks(pair, *kept.manifests()))
    if listener is not None:
        listener.finished(final)
    return final
