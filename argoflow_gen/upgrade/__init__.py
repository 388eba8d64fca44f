"""Upgrades without fear: what a sync to another Kubeflow release does to a cluster's state, as a runbook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .plan import Refusal, Step, UpgradePlan, plan_upgrade
from .report import format_json, format_markdown, format_text

__all__ = ["Refusal", "Step", "UpgradePlan", "format_json", "format_markdown", "format_text", "plan_for",
           "plan_upgrade"]


def _store(profile: Any) -> Mapping[str, Any] | None:
    """The in-cluster object store a render runs (None when artifacts go to an external store)."""
    from ..catalog import release

    if profile.spec.pipelines.s3 is not None or not profile.spec.kubeflow.on("pipelines"):
        return None
    return release(profile.spec.kubeflow.version).object_store


def plan_for(profiles: Iterable[str | Path], overrides: Iterable[str], target: str, *, kustomize: str | None = None,
             jobs: int | None = None, cache_dir: Path | None = None) -> UpgradePlan:
    """The plan of moving the render of ``profiles`` to Kubeflow ``target``: both renders built, compared
    (``cache_dir`` keeps the builds across runs, shared with ``diff --build``)."""
    from ..diff.build import DEFAULT_KUSTOMIZE, build_trees
    from ..loader import load_profile
    from ..rendering import render

    profiles, overrides = list(profiles), list(overrides)
    old_profile = load_profile(*profiles, overrides=overrides)
    new_profile = load_profile(*profiles, overrides=[*overrides, f"spec.kubeflow.version={target}"])
    old_tree = render(old_profile, read_only=True)
    new_tree = render(new_profile, previous=dict(old_tree), read_only=True)
    old, new = build_trees(dict(old_tree), dict(new_tree), kustomize=kustomize or DEFAULT_KUSTOMIZE, jobs=jobs,
                           labels=[old_profile.spec.kubeflow.version, target], cache_dir=cache_dir)
    old_store = _store(old_profile)
    if old_profile.spec.pipelines.s3 is not None:
        s3 = old_profile.spec.pipelines.s3
        backups: Mapping[str, Any] | None = {"endpoint": s3.endpoint, "bucket": s3.bucket, "insecure": s3.insecure,
                                             "secret": "mlpipeline-minio-artifact"}
    else:
        backups = old_store
    return plan_upgrade(old.manifests, new.manifests, old_version=old_profile.spec.kubeflow.version, new_version=target,
                        old_store=old_store, new_store=_store(new_profile), object_store=backups)
