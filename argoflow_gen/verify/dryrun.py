"""A server-side dry run of every sync of a plan, in wave order, changing nothing.

A dry run keeps nothing, so what an earlier wave would create does not exist while a later wave is judged:

- an object whose namespace does not exist yet, but is created by an earlier object of the plan, is judged
  in namespace ``default`` instead (schemas, defaulting and validation do not depend on the namespace) and
  noted; if ``default`` holds an object of that name, it is left unjudged;
- an object whose kind is served only once a CRD of the plan exists is left unjudged and noted;
- an object whose namespace or CRD comes only from a later wave, or from nothing in the plan, is a problem,
  as are the server's refusals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .client import Client, Resources, split_api_version
from .plan import Item, Plan
from .report import Counts, Finding
from .sync import apply_item

SUBSTITUTE = "default"


@dataclass(frozen=True)
class _Source:
    index: int
    wave: int
    application: str

    def said(self) -> str:
        return f"wave {self.wave} ({self.application})"


@dataclass
class _Walk:
    client: Client
    resources: Resources
    namespaces: set[str]
    created_namespaces: dict[str, _Source] = field(default_factory=dict)
    created_kinds: dict[tuple[str, str, str], _Source] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    deferred: dict[tuple[str, int, str], list[str]] = field(default_factory=dict)  # (app, wave, said) -> kinds
    moved: dict[tuple[str, int, str, str], int] = field(default_factory=dict)  # (app, wave, ns, said) -> objects
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("objects", "accepted", "substituted", "deferred", "refused"), 0))


def _index(plan: Plan, walk: _Walk) -> None:
    """Where each namespace and each CRD-served kind is first created in the plan."""
    position = 0
    for sync in plan.syncs:
        if "CreateNamespace=true" in sync.options and sync.namespace:
            walk.created_namespaces.setdefault(sync.namespace, _Source(position, sync.wave, sync.application))
        for item in sync.items:
            source = _Source(position, sync.wave, sync.application)
            if item.kind == "Namespace":
                walk.created_namespaces.setdefault(item.name, source)
            elif item.kind == "CustomResourceDefinition":
                extra = Resources()
                extra.add_crd(item.obj)
                for key in extra.known:
                    walk.created_kinds.setdefault(key, source)
            position += 1


def dry_run(client: Client, plan: Plan) -> tuple[list[Finding], Counts]:
    """Judge every object of the plan with the server's dry run; returns the findings and the counts."""
    listing = client.get("/api/v1/namespaces") or {}
    walk = _Walk(client, client.resources(),
                 {str(item["metadata"]["name"]) for item in listing.get("items") or []})
    _index(plan, walk)
    position = 0
    for sync in plan.syncs:
        for item in sync.items:
            walk.counts["objects"] += 1
            _judge(walk, item, sync.namespace, position)
            position += 1
    for (application, wave, namespace, said), moved in walk.moved.items():
        walk.findings.append(Finding("dry-run", "note", f"{moved} object(s) judged in namespace {SUBSTITUTE}: "
                                     f"namespace {namespace} is created by {said}", application, wave))
    for (application, wave, said), kinds in walk.deferred.items():
        listed = ", ".join(f"{kinds.count(kind)} {kind}" for kind in sorted(set(kinds)))
        walk.findings.append(Finding("dry-run", "note", f"{len(kinds)} object(s) not judged ({listed}): their CRD is "
                                     f"created by {said}", application, wave))
    return walk.findings, Counts(**walk.counts)


def _finding(item: Item, severity: str, message: str, hint: str = "") -> Finding:
    return Finding("dry-run", "problem" if severity == "problem" else "note", message, item.application, item.wave,
                   item.label(), hint)


def _judge(walk: _Walk, item: Item, destination: str, position: int) -> None:
    api_version = str(item.obj.get("apiVersion", ""))
    resource = walk.resources.find(api_version, item.kind)
    if resource is None:
        group, version = split_api_version(api_version)
        source = walk.created_kinds.get((group, version, item.kind))
        if source is not None and source.index < position:
            walk.counts["deferred"] += 1
            walk.deferred.setdefault((item.application, item.wave, source.said()), []).append(item.kind)
        elif source is not None:
            walk.counts["refused"] += 1
            walk.findings.append(_finding(item, "problem", f"its CRD is created only by {source.said()}, after it",
                                          "give the Application a later sync wave"))
        else:
            walk.counts["refused"] += 1
            walk.findings.append(_finding(item, "problem", f"the cluster does not serve {item.kind} in {api_version}, "
                                          "and no CRD of the tree defines it"))
        return
    namespace = (item.namespace or destination) if resource.namespaced else ""
    if namespace and namespace not in walk.namespaces:
        source = walk.created_namespaces.get(namespace)
        if source is None or source.index > position:
            walk.counts["refused"] += 1
            said = f"only by {source.said()}, after it" if source else "by nothing in the tree"
            walk.findings.append(_finding(item, "problem", f"namespace {namespace} does not exist and is created "
                                          f"{said}", "create it in an earlier wave"))
            return
        _substitute(walk, item, namespace, source)
        return
    outcome = apply_item(walk.client, walk.resources, item, destination, dry_run=True)
    if outcome.refused and outcome.reason == "Invalid" and item.option("Force"):
        walk.counts["accepted"] += 1
        walk.findings.append(_finding(item, "note", f"Argo CD will delete and re-create it (Force=true): the server "
                                      f"refuses the change in place: {outcome.message}"))
        return
    _count(walk, item, outcome.refused, outcome.message)


def _count(walk: _Walk, item: Item, refused: bool, message: str, prefix: str = "") -> None:
    if refused:
        walk.counts["refused"] += 1
        walk.findings.append(_finding(item, "problem", f"{prefix}refused by the server: {message}"))
    else:
        walk.counts["accepted"] += 1


def _substitute(walk: _Walk, item: Item, namespace: str, source: _Source) -> None:
    """Judge an object whose namespace an earlier wave creates in namespace default instead."""
    resource = walk.resources.find(str(item.obj.get("apiVersion", "")), item.kind)
    assert resource is not None
    if walk.client.request("GET", resource.path(item.name, SUBSTITUTE)).status != 404:
        walk.counts["deferred"] += 1
        walk.findings.append(_finding(item, "note", f"not judged: namespace {namespace} is created by "
                                      f"{source.said()}, and {SUBSTITUTE} holds an object of that name"))
        return
    metadata: Mapping[str, Any] = item.obj.get("metadata") or {}
    moved = dataclasses.replace(item, obj={**item.obj, "metadata": {**metadata, "namespace": SUBSTITUTE}})
    outcome = apply_item(walk.client, walk.resources, moved, SUBSTITUTE, dry_run=True)
    if not outcome.refused:
        walk.counts["accepted"] += 1
        walk.counts["substituted"] += 1
        key = (item.application, item.wave, namespace, source.said())
        walk.moved[key] = walk.moved.get(key, 0) + 1
        return
    _count(walk, item, True, outcome.message, f"(judged in namespace {SUBSTITUTE}: {namespace} is created by "
                                              f"{source.said()}) ")
