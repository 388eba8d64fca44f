"""Applying one resource the way Argo CD's sync would, for real or as a server-side dry run.

- ``ServerSideApply=true``: a server-side apply by field manager ``argocd-controller``, conflicts forced.
- otherwise kubectl's client-side apply: the object carries its ``last-applied-configuration`` annotation
  (which is why CRDs past 256 KiB need server-side apply), is created if missing, else patched with a
  merge patch that also removes what the previous apply set and this one drops.
- ``Replace=true``: created if missing, else replaced whole (PUT).
- ``Force=true``: a change the server refuses as invalid (an immutable field) is made by deleting the
  object and creating it again.
- hooks are created; ``BeforeHookCreation`` deletes the previous one first.

Every object gets Argo CD's tracking annotation. Unknown fields are refused (``fieldValidation=Strict``,
kubectl's default) unless the resource says ``Validate=false``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import Client, Resource, Resources, Response
from .plan import Item

FIELD_MANAGER = "argocd-controller"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
TRACKING = "argocd.argoproj.io/tracking-id"


@dataclass(frozen=True)
class Outcome:
    """What the server said to one resource."""

    item: Item
    action: str  # created, configured, replaced, recreated, or refused
    message: str = ""
    reason: str = ""  # the server's reason (Invalid, NotFound, ...) of a refusal
    status: int = 0

    @property
    def refused(self) -> bool:
        return self.action == "refused"


def prepared(item: Item, resource: Resource, destination: str) -> dict[str, Any]:
    """The object as Argo CD sends it: namespaced objects in the destination unless they name one, cluster
    objects without a namespace, and the tracking annotation."""
    obj = copy.deepcopy(dict(item.obj))
    metadata = obj["metadata"] = dict(obj.get("metadata") or {})
    if resource.namespaced:  # as kubectl does, a namespaced object without any namespace goes to default
        metadata["namespace"] = metadata.get("namespace") or destination or "default"
    else:
        metadata.pop("namespace", None)
    group = resource.group
    namespace = metadata.get("namespace", "")
    annotations = metadata["annotations"] = dict(metadata.get("annotations") or {})
    annotations[TRACKING] = f"{item.application}:{group}/{resource.kind}:{namespace}/{metadata.get('name', '')}"
    return obj


def _query(item: Item, dry_run: bool, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    query = [*extra, ("fieldValidation", "Ignore" if "Validate=false" in item.options else "Strict")]
    if dry_run:
        query.append(("dryRun", "All"))
    return query


def _outcome(item: Item, response: Response, action: str) -> Outcome:
    if response.ok:
        return Outcome(item, action, status=response.status)
    return Outcome(item, "refused", response.message, response.reason, response.status)


def _three_way(previous: Any, new: Any) -> Any:
    """A JSON merge patch that sets ``new`` and removes keys the previous apply set that ``new`` drops."""
    if not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {}
    if isinstance(previous, Mapping):
        for key in previous:
            if key not in new:
                patch[key] = None
    for key, value in new.items():
        patch[key] = _three_way(previous.get(key) if isinstance(previous, Mapping) else None, value)
    return patch


def apply_item(client: Client, resources: Resources, item: Item, destination: str, *,
               dry_run: bool) -> Outcome:
    """Apply one resource as Argo CD would; ``dry_run`` asks the server to judge it without keeping it."""
    resource = resources.find(str(item.obj.get("apiVersion", "")), item.kind)
    if resource is None:
        return Outcome(item, "refused", f"the server does not serve {item.kind} in {item.obj.get('apiVersion')} "
                       "(no such kind, or its CRD is not installed)", "NotFound", 404)
    obj = prepared(item, resource, destination)
    namespace = obj["metadata"].get("namespace")
    name = str(obj["metadata"].get("name", ""))
    path = resource.path(name, namespace)
    if item.hook:
        return _hook(client, resource, item, obj, path, dry_run)
    if item.option("Replace"):
        outcome = _replace(client, resource, item, obj, path, dry_run)
    elif item.option("ServerSideApply"):
        response = client.request("PATCH", path, obj, content_type="application/apply-patch+yaml",
                                  query=_query(item, dry_run, ("fieldManager", FIELD_MANAGER), ("force", "true")))
        outcome = _outcome(item, response, "configured")
    else:
        outcome = _client_side(client, resource, item, obj, path, dry_run)
    if outcome.refused and outcome.reason == "Invalid" and item.option("Force") and not dry_run:
        _delete(client, path, dry_run)
        obj["metadata"].pop("resourceVersion", None)
        return _outcome(item, client.request("POST", resource.collection(namespace), obj,
                                             query=_query(item, dry_run)), "recreated")
    return outcome


def _hook(client: Client, resource: Resource, item: Item, obj: dict[str, Any], path: str, dry_run: bool) -> Outcome:
    """Hooks are created anew at each sync; by default (BeforeHookCreation) the previous one is deleted first.
    A dry run cannot delete, so it judges the new hook under a generated name instead."""
    collection = resource.collection(obj["metadata"].get("namespace"))
    if "BeforeHookCreation" in item.delete_policies or not item.delete_policies:
        if dry_run and client.request("GET", path).ok:
            obj["metadata"]["generateName"] = obj["metadata"].pop("name") + "-"
        elif not dry_run:
            _delete(client, path, dry_run)
    return _outcome(item, client.request("POST", collection, obj, query=_query(item, dry_run)), "created")


def _delete(client: Client, path: str, dry_run: bool) -> None:
    query = [("propagationPolicy", "Background")] + ([("dryRun", "All")] if dry_run else [])
    client.request("DELETE", path, query=query)


def _replace(client: Client, resource: Resource, item: Item, obj: dict[str, Any], path: str,
             dry_run: bool) -> Outcome:
    live = client.request("GET", path)
    if live.status == 404:
        return _outcome(item, client.request("POST", resource.collection(obj["metadata"].get("namespace")), obj,
                                             query=_query(item, dry_run)), "created")
    if not live.ok:
        return _outcome(item, live, "replaced")
    obj["metadata"]["resourceVersion"] = live.body["metadata"]["resourceVersion"]
    return _outcome(item, client.request("PUT", path, obj, query=_query(item, dry_run)), "replaced")


def _client_side(client: Client, resource: Resource, item: Item, obj: dict[str, Any], path: str,
                 dry_run: bool) -> Outcome:
    annotations = obj["metadata"]["annotations"]
    annotations.pop(LAST_APPLIED, None)
    annotations[LAST_APPLIED] = json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"
    live = client.request("GET", path)
    if live.status == 404:
        return _outcome(item, client.request("POST", resource.collection(obj["metadata"].get("namespace")), obj,
                                             query=_query(item, dry_run)), "created")
    if not live.ok:
        return _outcome(item, live, "configured")
    previous: Any = None
    live_annotations = ((live.body or {}).get("metadata") or {}).get("annotations") or {}
    if isinstance(live_annotations.get(LAST_APPLIED), str):
        try:
            previous = json.loads(live_annotations[LAST_APPLIED])
        except ValueError:
            previous = None
    patch = _three_way(previous, obj)
    response = client.request("PATCH", path, patch, content_type="application/merge-patch+json",
                              query=_query(item, dry_run))
    return _outcome(item, response, "configured")
