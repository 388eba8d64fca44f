"""Upgrade simulation on a real kube-apiserver: preset:full installed at 1.10.2 (as the install simulation
does), then the 1.11.0 render of the same profile synced over it the way Argo CD would. Every change must be
accepted: immutable fields (selectors, StatefulSet volumeClaimTemplates, Job templates) and CRD versions
still stored must be handled by the tree itself. `argoflow-gen update` of the 1.10.2 fork to 1.11.0 gives
that same tree, so the sync covers it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.diff.apps import applications
from argoflow_gen.diff.sources import read_folder
from argoflow_gen.update import update

from .conftest import Kustomize
from .installer import clients, install
from .kubesim import ArgoCD
from .tier import offline_git, rendered_and_built, sync_plan, write_fork

pytestmark = pytest.mark.apiserver


def test_upgrade_from_1_10_2_to_1_11_0_is_accepted(kube_server: Any, tier_cache: Path, kustomize: Kustomize,
                                                    sealing_keys: tuple[Any, Path], tmp_path: Path) -> None:
    old_tree, old_built = rendered_and_built("full-1.10.2", sealing_keys[1], kustomize, tmp_path)
    new_tree, new_built = rendered_and_built("full-1.11.0", sealing_keys[1], kustomize, tmp_path)
    old_plan = sync_plan(old_tree, old_built, tmp_path)
    with offline_git(tier_cache) as gitconfig:
        installed = install(old_tree, old_plan, kube_server, tmp_path / "old", gitconfig, "1.10.2")
    assert not installed.refused, installed.failure()
    new_plan = sync_plan(new_tree, new_built, tmp_path)
    admin, controller = clients(kube_server, new_plan)
    with admin, controller:
        upgraded = ArgoCD(admin, controller).sync_plan(new_plan)
    assert not upgraded.refused, upgraded.failure()
    assert upgraded.retried == []
    assert len(upgraded.outcomes) >= len(new_plan.items) - len(upgraded.webhooks)
    recreated = sorted(outcome.item.label() for outcome in upgraded.outcomes if outcome.action == "recreated")
    print(f"upgrade: {upgraded.applied} objects, recreated: {recreated}")


def test_update_across_releases_gives_the_tree_the_upgrade_syncs(kustomize: Kustomize,
                                                                 sealing_keys: tuple[Any, Path],
                                                                 tmp_path: Path) -> None:
    old_tree, _ = rendered_and_built("full-1.10.2", sealing_keys[1], kustomize, tmp_path)
    new_tree, new_built = rendered_and_built("full-1.11.0", sealing_keys[1], kustomize, tmp_path)
    fork = write_fork(old_tree, tmp_path / "fork")
    result = update(["preset:full"], ["spec.kubeflow.version=1.11.0"], fork, allow_dirty=True)
    assert not result.conflicts
    updated = read_folder(fork)
    built_folders = {app.folder for app in applications(new_tree).values() if app.folder}
    assert {path: updated.get(path) for path in new_tree if not path.startswith(".argoflow-gen/")} == \
        {path: text for path, text in new_tree.items() if not path.startswith(".argoflow-gen/")}
    leftovers = sorted(set(updated) - set(new_tree))
    assert all(not any(path.startswith(f"{folder}/") for folder in built_folders if folder != ".")
               for path in leftovers), leftovers
    assert set(new_built.manifests) == {app.name for app in applications(new_tree).values() if app.folder}
