"""A release bump in a diff: the upgrade plan's steps, so that the PR comment leads with its high risks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import StateError
from ..state import LOCK_FILE, PROFILE_RECORD, parse_lock
from . import _yaml
from .sources import Pair


def _version(tree: Mapping[str, str]) -> str | None:
    text = tree.get(LOCK_FILE)
    if text is None:
        return None
    try:
        return parse_lock(text, LOCK_FILE).kubeflow
    except StateError:
        return None


def _store(tree: Mapping[str, str], version: str) -> Mapping[str, Any] | None:
    """The in-cluster object store of a tree's release; None without Pipelines, or when its recorded profile
    uses an external store."""
    from ..catalog import VERSIONS, release

    if version not in VERSIONS or "argocd-applications/pipelines.yaml" not in tree:
        return None
    try:
        (record,) = _yaml.load_all(tree.get(PROFILE_RECORD, "")) or [{}]
    except (_yaml.YamlError, ValueError):
        record = {}
    spec = record.get("spec") if isinstance(record, Mapping) else None
    pipelines = spec.get("pipelines") if isinstance(spec, Mapping) else None
    if isinstance(pipelines, Mapping) and pipelines.get("s3"):
        return None
    return release(version).object_store


def release_changes(pair: Pair) -> bool:
    """Whether the pair moves to another Kubeflow release (it then has an upgrade plan)."""
    old_version, new_version = _version(pair.old), _version(pair.new)
    return bool(old_version and new_version and old_version != new_version)


def plan_reads(document: Mapping[str, Any]) -> bool:
    """Whether an upgrade plan reads ``document``: a plan of the manifests it reads is the plan of all."""
    from ..upgrade.plan import reads

    return reads(document)


def upgrade_risks(pair: Pair, old: Mapping[str, Sequence[Mapping[str, Any]]],
                  new: Mapping[str, Sequence[Mapping[str, Any]]]) -> Any:
    """The upgrade plan of a change of Kubeflow release (None when the release is the same)."""
    from ..upgrade import plan_upgrade

    if not release_changes(pair):
        return None
    old_version, new_version = _version(pair.old), _version(pair.new)
    assert old_version and new_version
    old_store = _store(pair.old, old_version)
    return plan_upgrade(old, new, old_version=old_version, new_version=new_version, old_store=old_store,
                        new_store=_store(pair.new, new_version), object_store=old_store)
