"""Upgrade simulation on a real kube-apiserver: preset:full installed at 1.10.2 (as the install simulation
does), then the 1.11.0 render of the same profile synced over it the way Argo CD would. Every change must be
accepted: immutable fields (selectors, StatefulSet volumeClaimTemplates, Job templates) and CRD versions
still stored must be handled by the tree itself. `argoflow-gen update` of the 1.10.2 fork to 1.11.0 gives
that same tree, so the sync covers it too.

The upgrade plan is held to the server: each object the sync applies is first sent as a dry-run patch without
``Replace``/``Force``, and the objects the server refuses as invalid must be exactly those whose immutable fields
the plan says change. Three objects get an immutable change planted (a Deployment's selector, a RoleBinding's
role, a claim's access modes), so that the comparison is not between two empty sets."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import update
from argoflow_gen.diff.apps import applications
from argoflow_gen.diff.sources import read_folder
from argoflow_gen.upgrade.plan import Key, index, key_of, plan_upgrade
from argoflow_gen.verify.client import Client, Resources
from argoflow_gen.verify.plan import Item
from argoflow_gen.verify.sync import apply_item

from .conftest import FORK, Kustomize
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
    planted = _planted(old_built.manifests, new_built.manifests)
    assert {key[1] for key in planted} == {"Deployment", "RoleBinding", "PersistentVolumeClaim"}, planted.keys()
    predicted = {refusal.key for refusal in plan_upgrade(
        old_built.manifests, _with(new_built.manifests, planted), old_version="1.10.2", new_version="1.11.0").refusals}
    refused_without_replace: dict[Key, str] = {}
    admin, controller = clients(kube_server, new_plan)
    with admin, controller:
        argocd = ArgoCD(admin, controller)
        argocd.probe = _probe(controller, argocd.resources, planted, refused_without_replace)
        upgraded = argocd.sync_plan(new_plan)
    assert not upgraded.refused, upgraded.failure()
    assert set(planted) <= predicted
    assert set(refused_without_replace) == predicted, refused_without_replace
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
    result = update(["preset:full"], ["spec.kubeflow.version=1.11.0", FORK], fork, allow_dirty=True)
    assert not result.conflicts
    updated = read_folder(fork)
    built_folders = {app.folder for app in applications(new_tree).values() if app.folder}
    assert {path: updated.get(path) for path in new_tree if not path.startswith(".argoflow-gen/")} == \
        {path: text for path, text in new_tree.items() if not path.startswith(".argoflow-gen/")}
    leftovers = sorted(set(updated) - set(new_tree))
    assert all(not any(path.startswith(f"{folder}/") for folder in built_folders if folder != ".")
               for path in leftovers), leftovers
    assert set(new_built.manifests) == {app.name for app in applications(new_tree).values() if app.folder}


def _planted(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[Key, Mapping[str, Any]]:
    """One object of each kind below that both releases have, with an immutable field changed."""
    def selector(document: dict[str, Any]) -> bool:
        labels = {"argoflow-gen.io/probe": "upgrade"}
        document["spec"]["selector"].setdefault("matchLabels", {}).update(labels)
        document["spec"]["template"].setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        return True

    def role(document: dict[str, Any]) -> bool:
        document["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": "view" if document["roleRef"].get("name") != "view" else "edit"}
        return True

    def access(document: dict[str, Any]) -> bool:
        modes = document["spec"].get("accessModes") or []
        document["spec"]["accessModes"] = ["ReadOnlyMany"] if modes != ["ReadOnlyMany"] else ["ReadWriteOnce"]
        return bool(modes)

    changes = {"Deployment": selector, "RoleBinding": role, "PersistentVolumeClaim": access}
    before, after = index(old), index(new)
    planted: dict[Key, Mapping[str, Any]] = {}
    for key in sorted(set(before) & set(after)):
        change = changes.get(key[1])
        options = str(((after[key][1].get("metadata") or {}).get("annotations") or {})
                      .get("argocd.argoproj.io/sync-options", ""))
        if change is None or any(found[1] == key[1] for found in planted) or "Replace=true" in options:
            continue
        document = copy.deepcopy(dict(after[key][1]))
        if change(document):
            planted[key] = document
    return planted


def _with(manifests: Mapping[str, Any], planted: Mapping[Key, Mapping[str, Any]]) -> dict[str, list[Any]]:
    return {app: [planted.get(key_of(document), document) for document in documents]
            for app, documents in manifests.items()}


def _probe(controller: Client, resources: Resources, planted: Mapping[Key, Mapping[str, Any]],
           refused: dict[Key, str]) -> Callable[[Item, str], None]:
    """Before each resource is applied: would the server take it as a plain patch (planted change included)?"""
    def probe(item: Item, destination: str) -> None:
        if item.hook:
            return
        key = key_of(item.obj)
        bare = dataclasses.replace(item, obj=planted.get(key, item.obj),
                                   options=frozenset(option for option in item.options
                                                     if option not in ("Replace=true", "Force=true")))
        outcome = apply_item(controller, resources, bare, destination, dry_run=True)
        if outcome.refused and outcome.reason == "Invalid":
            refused[key] = outcome.message

    return probe
