"""Two trees in, one Diff out: the file level always, the resource level when asked to build."""

from __future__ import annotations

from dataclasses import replace

from .apps import applications
from .build import BUILD_TIMEOUT, DEFAULT_KUSTOMIZE, Progress, build_trees
from .files import diff_trees
from .model import Diff, NotBuilt
from .profile import profile_changes
from .resources import diff_resources
from .sealedcheck import findings
from .sources import Pair
from .upgrades import upgrade_risks


def compare(pair: Pair, *, build: bool = False, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
            progress: Progress | None = None, allow_ssh: bool = False, timeout: float = BUILD_TIMEOUT) -> Diff:
    """The diff of a pair of trees; with ``build``, also of every Application's built manifests.

    An Application not built on either side (a Helm chart, say) is listed as not built and left out of the
    resource level, so that a change of source kind does not show its resources as removed.
    """
    diff = diff_trees(pair.old, pair.new, old_label=pair.old_label, new_label=pair.new_label)
    old_apps, new_apps = set(applications(pair.old)), set(applications(pair.new))
    diff = replace(diff, findings=findings(pair.old, pair.new), profile=profile_changes(pair.old, pair.new),
                   added_applications=tuple(sorted(new_apps - old_apps)),
                   removed_applications=tuple(sorted(old_apps - new_apps)))
    if not build:
        return diff
    old, new = build_trees(pair.old, pair.new, kustomize=kustomize, jobs=jobs, progress=progress,
                           labels=[pair.old_label, pair.new_label], allow_ssh=allow_ssh, timeout=timeout)
    not_built = {item.application: item for item in (*old.not_built, *new.not_built)}
    old_manifests = {name: docs for name, docs in old.manifests.items() if name not in not_built}
    new_manifests = {name: docs for name, docs in new.manifests.items() if name not in not_built}
    resources = diff_resources(old_manifests, new_manifests, namespaces=new.namespaces,
                               old_namespaces=old.namespaces,
                               not_built=tuple(NotBuilt(name, item.reason) for name, item in not_built.items()))
    return replace(diff.with_resources(resources), upgrade=upgrade_risks(pair, old_manifests, new_manifests))
