"""Resource-level diff of built manifests, grouped per Application.

Resources are keyed by group/kind/namespace/name; an apiVersion change is a field change. A resource
without a namespace takes its Application's destination namespace unless its kind is cluster-scoped: a
built-in cluster-scoped kind, or the kind of a CRD with ``scope: Cluster`` in any build (never a built-in
namespaced kind). kustomize's hash suffixes on generated ConfigMap and Secret names (``name-5t7fk9m2bd``)
are normalised to ``name-<hash>``, in the names and in every reference to them, so that a changed hash
alone is not a change.
Secret ``data``/``stringData`` are compared decoded and only reported with byte counts; a SealedSecret
whose ciphertexts changed is reported as re-sealed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .fields import diff_values, equal
from .model import ApplicationDiff, Diff, FieldChange, Masked, NotBuilt, ResourceChange, ResourceKey

HASH_PLACEHOLDER = "<hash>"
_HASHED = re.compile(r"^(?P<base>.+)-(?P<hash>[2456789bcdfghkmt]{10})$")  # kustomize's hash alphabet

#: Kinds that are never namespaced (CRDs with ``scope: Cluster`` found in the builds are added).
CLUSTER_SCOPED = frozenset({
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "FlowSchema", "IngressClass",
    "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "MutatingWebhookConfiguration", "Namespace",
    "Node", "PersistentVolume", "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration",
    "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration", "VolumeAttachment", "VolumeSnapshotClass",
})

#: Built-in kinds that are always namespaced: no CRD makes them cluster-scoped (a CRD cannot redefine them).
NAMESPACED = frozenset({
    "ConfigMap", "ControllerRevision", "CronJob", "CSIStorageCapacity", "DaemonSet", "Deployment", "Endpoints",
    "EndpointSlice", "Event", "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange", "NetworkPolicy",
    "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet", "ReplicationController",
    "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount", "StatefulSet",
})

Manifest = Mapping[str, Any]


def diff_resources(old: Mapping[str, Sequence[Manifest]], new: Mapping[str, Sequence[Manifest]], *,
                   namespaces: Mapping[str, str] | None = None, old_namespaces: Mapping[str, str] | None = None,
                   not_built: Iterable[NotBuilt] = ()) -> Diff:
    """Compare the built manifests of each Application (name -> resources) of two sides.

    ``namespaces`` gives each Application's destination namespace, the default of its namespaced resources
    (``old_namespaces`` those of the old side, if they differ). An Application on one side only has all its
    resources added or removed. ``not_built`` is passed through to the Diff.
    """
    namespaces = namespaces or {}
    old_namespaces = namespaces if old_namespaces is None else old_namespaces
    cluster_kinds = CLUSTER_SCOPED | _cluster_scoped_crds([*old.values(), *new.values()])
    applications = []
    for name in sorted({*old, *new}):
        before, after = old.get(name, ()), new.get(name, ())
        if before is after:
            continue  # the same build on both sides
        changes = diff_application(name, before, after, old_namespaces.get(name, namespaces.get(name, "")),
                                   namespaces.get(name, old_namespaces.get(name, "")), cluster_kinds)
        if changes is not None:
            applications.append(changes)
    return Diff(applications=tuple(applications), not_built=tuple(not_built), built=True)


def diff_application(name: str, before: Sequence[Manifest], after: Sequence[Manifest], old_namespace: str,
                     new_namespace: str, cluster_kinds: frozenset[str]) -> ApplicationDiff | None:
    """The changes of one Application between its two builds; None when there are none. ``cluster_kinds``
    are the kinds never namespaced (``cluster_scoped``)."""
    changes = _diff_application(_index(before, old_namespace, cluster_kinds),
                                _index(after, new_namespace, cluster_kinds))
    return ApplicationDiff(name, tuple(changes)) if changes else None


def cluster_scoped(builds: Iterable[Sequence[Manifest]]) -> frozenset[str]:
    """The kinds never namespaced: the built-in ones and those of the CRDs with ``scope: Cluster`` in ``builds``."""
    return CLUSTER_SCOPED | _cluster_scoped_crds(builds)


def unsettled_kinds(manifests: Sequence[Manifest], default_namespace: str, cluster_kinds: frozenset[str]) -> set[str]:
    """The kinds whose scope decides a key of ``manifests`` and is not known yet: the kinds of resources without
    a namespace (which take ``default_namespace`` unless their kind is in ``cluster_kinds``)."""
    if not default_namespace:
        return set()
    found = set()
    for manifest in manifests:
        if not isinstance(manifest, Mapping):
            continue
        metadata = manifest.get("metadata") or {}
        namespace = str(metadata.get("namespace", "") or "") if isinstance(metadata, Mapping) else ""
        kind = str(manifest.get("kind", ""))
        if not namespace and kind not in cluster_kinds and kind not in NAMESPACED:
            found.add(kind)
    return found


def _cluster_scoped_crds(sides: Iterable[Sequence[Manifest]]) -> frozenset[str]:
    kinds = set()
    for manifests in sides:
        for manifest in manifests:
            if isinstance(manifest, Mapping) and manifest.get("kind") == "CustomResourceDefinition":
                spec = manifest.get("spec") or {}
                if isinstance(spec, Mapping) and spec.get("scope") == "Cluster":
                    kind = (spec.get("names") or {}).get("kind")
                    if isinstance(kind, str) and kind not in NAMESPACED:
                        kinds.add(kind)
    return frozenset(kinds)


# ------------------------------------------------------------------------------------------ identity


class _Side:
    """One side of one Application: resources by key, and the hashed names it generated."""

    def __init__(self) -> None:
        self.resources: dict[ResourceKey, Manifest] = {}
        self.hashed: dict[str, str] = {}  # full generated name -> name-<hash>


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _index(manifests: Sequence[Manifest], default_namespace: str, cluster_kinds: frozenset[str]) -> _Side:
    side = _Side()
    for manifest in manifests:
        if not isinstance(manifest, Mapping):
            continue
        metadata = manifest.get("metadata") or {}
        kind = str(manifest.get("kind", ""))
        name = str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""
        namespace = str(metadata.get("namespace", "") or "") if isinstance(metadata, Mapping) else ""
        if not namespace and kind not in cluster_kinds:
            namespace = default_namespace
        match = _HASHED.match(name) if kind in ("ConfigMap", "Secret") else None
        if match:
            normal = f"{match['base']}-{HASH_PLACEHOLDER}"
            side.hashed[name] = normal
            name = normal
        key = ResourceKey(_group(str(manifest.get("apiVersion", ""))), kind, namespace, name)
        number = 2
        unique = key
        while unique in side.resources:  # a plain folder of manifests may repeat a resource
            unique = ResourceKey(key.group, key.kind, key.namespace, f"{key.name}#{number}")
            number += 1
        side.resources[unique] = manifest
    return side


def _normalise(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` with every string that is a generated hashed name replaced by its normal form."""
    if not names:
        return value
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {key: _normalise(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item, names) for item in value]
    return value


# ------------------------------------------------------------------------------------------- compare


def _diff_application(old: _Side, new: _Side) -> list[ResourceChange]:
    changes = []
    for key in sorted({*old.resources, *new.resources}, key=lambda k: (k.kind, k.group, k.namespace, k.name)):
        before, after = old.resources.get(key), new.resources.get(key)
        if before is None and after is not None:
            document = mask(_normalise(after, new.hashed))
            changes.append(ResourceChange(key, "added", str(after.get("apiVersion", "")), document=document))
        elif after is None and before is not None:
            document = mask(_normalise(before, old.hashed))
            changes.append(ResourceChange(key, "removed", str(before.get("apiVersion", "")), document=document))
        elif before is not None and after is not None and not equal(before, after):
            change = _changed(key, _normalise(before, old.hashed), _normalise(after, new.hashed), before, after)
            if change is not None:
                changes.append(change)
    return changes


def _changed(key: ResourceKey, before: Manifest, after: Manifest, raw_before: Manifest,
             raw_after: Manifest) -> ResourceChange | None:
    notes = []
    old_name = str((raw_before.get("metadata") or {}).get("name", ""))
    new_name = str((raw_after.get("metadata") or {}).get("name", ""))
    if old_name != new_name:  # a Secret's hash is of its data: not shown
        notes.append("name hash changed" if key.kind == "Secret" else f"name hash changed: {old_name} -> {new_name}")
    fields: list[FieldChange] = []
    if key.kind == "Secret" and not key.group:
        fields += _secret_fields(before, after)
        before, after = _without(before, ("data",), ("stringData",)), _without(after, ("data",), ("stringData",))
    elif key.kind == "SealedSecret":
        fields += _sealed_fields(before, after)
        before, after = _without(before, ("spec", "encryptedData")), _without(after, ("spec", "encryptedData"))
    fields += diff_values(before, after)
    if not fields:
        return None  # only a name hash differed
    fields.sort(key=lambda change: _field_order(change.path))
    return ResourceChange(key, "changed", str(raw_after.get("apiVersion", "")), fields=tuple(fields),
                          notes=tuple(notes))


def _field_order(path: str) -> tuple[int, str]:
    top = path.split(".", 1)[0].split("[", 1)[0]
    rank = {"apiVersion": 0, "kind": 1, "metadata": 2}.get(top, 3)
    return rank, path


def _without(manifest: Manifest, *paths: tuple[str, ...]) -> dict[str, Any]:
    copy = dict(manifest)
    for path in paths:
        holder: dict[str, Any] = copy
        for step in path[:-1]:
            child = holder.get(step)
            if not isinstance(child, Mapping):
                break
            holder[step] = dict(child)
            holder = holder[step]
        else:
            holder.pop(path[-1], None)
    return copy


# ------------------------------------------------------------------------------------------- secrets


def _secret_values(manifest: Manifest) -> dict[str, bytes]:
    """A Secret's values, decoded: ``data`` (base64) overlaid with ``stringData`` (as the API server does)."""
    values: dict[str, bytes] = {}
    data = manifest.get("data") or {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            text = "" if value is None else str(value)
            try:
                values[str(key)] = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                values[str(key)] = text.encode("utf-8")
    string_data = manifest.get("stringData") or {}
    if isinstance(string_data, Mapping):
        for key, value in string_data.items():
            values[str(key)] = ("" if value is None else str(value)).encode("utf-8")
    return values


def _secret_fields(before: Manifest, after: Manifest) -> list[FieldChange]:
    old, new = _secret_values(before), _secret_values(after)
    changes = []
    for key in sorted({*old, *new}):
        path = f"data[{key}]" if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else f"data.{key}"
        if key not in new:
            changes.append(FieldChange(path, "removed", old=Masked(len(old[key]))))
        elif key not in old:
            changes.append(FieldChange(path, "added", new=Masked(len(new[key]))))
        elif old[key] != new[key]:
            changes.append(FieldChange(path, "changed", Masked(len(old[key])), Masked(len(new[key]))))
    return changes


def _sealed_fields(before: Manifest, after: Manifest) -> list[FieldChange]:
    def encrypted(manifest: Manifest) -> Mapping[str, Any]:
        spec = manifest.get("spec") or {}
        data = spec.get("encryptedData") if isinstance(spec, Mapping) else None
        return data if isinstance(data, Mapping) else {}

    old, new = encrypted(before), encrypted(after)
    changes = []
    for key in sorted({*old, *new}, key=str):
        path = f"spec.encryptedData.{key}"
        if key not in new:
            changes.append(FieldChange(path, "removed", old=Masked(len(str(old[key])))))
        elif key not in old:
            changes.append(FieldChange(path, "added", new=Masked(len(str(new[key])))))
        elif old[key] != new[key]:
            changes.append(FieldChange(path, "re-sealed", Masked(len(str(old[key]))), Masked(len(str(new[key])))))
    return changes


def mask(manifest: Any) -> Any:
    """A resource with its secret values replaced by ``Masked`` sizes: Secret data and stringData,
    SealedSecret encryptedData. Anything else is returned as it is."""
    if not isinstance(manifest, Mapping):
        return manifest
    kind = manifest.get("kind")
    if kind == "Secret" and "/" not in str(manifest.get("apiVersion", "v1")):
        masked = dict(manifest)
        for field in ("data", "stringData"):
            values = manifest.get(field)
            if isinstance(values, Mapping):
                decoded = _secret_values({field: values})
                masked[field] = {str(key): Masked(len(decoded[str(key)])) for key in values}
        return masked
    if kind == "SealedSecret":
        spec = manifest.get("spec")
        if isinstance(spec, Mapping) and isinstance(spec.get("encryptedData"), Mapping):
            masked_spec = dict(spec)
            masked_spec["encryptedData"] = {str(key): Masked(len(str(value)))
                                            for key, value in spec["encryptedData"].items()}
            return {**manifest, "spec": masked_spec}
    return manifest

