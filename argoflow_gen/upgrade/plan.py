"""What a sync from one render to another does to a cluster's state, as an ordered runbook.

From the built manifests of both sides (the diff engine's builds) and the release catalogs, it finds, sorted by
risk: objects the API server refuses to patch (immutable fields) and whether the new tree already recreates them;
volumes and StatefulSets removed (their data goes with them when Argo CD prunes); an object store switched
between releases; CRD versions that stop being served or stored; database-backed components whose version
changes (back up first); Applications removed with the CRDs their users' objects live in. What the facts are
(immutable fields, databases, store migrations) is data: ``argoflow_gen/data/upgrade.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .backup import backup_jobs
from .facts import facts

RISKS = ("high", "medium", "low")
Manifests = Mapping[str, Sequence[Mapping[str, Any]]]
Key = tuple[str, str, str, str]  # group, kind, namespace, name


@dataclass(frozen=True)
class Step:
    """One thing the upgrade does to state: how risky, what, which objects, what to do before and check after."""

    risk: str
    category: str  # refused, data, store, crd, database, component
    title: str
    objects: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    handled: str = ""  # how the new tree already gets past it, if it does


@dataclass(frozen=True)
class Refusal:
    """A change the API server refuses to apply as a patch."""

    key: Key
    field: str
    handled: bool

    def __str__(self) -> str:
        group, kind, namespace, name = self.key
        return f"{kind}{'.' + group if group else ''} {namespace + '/' if namespace else ''}{name}: {self.field}"


@dataclass(frozen=True)
class UpgradePlan:
    old_version: str
    new_version: str
    steps: tuple[Step, ...]
    refusals: tuple[Refusal, ...] = ()
    backup_jobs: str = ""

    @property
    def high(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.risk == "high")


#: The kinds a plan reads besides those with immutable fields (volumes, databases and the Services in front
#: of them, CRDs); of any group, as the steps match kinds by name.
_READ_KINDS = frozenset({"PersistentVolumeClaim", "StatefulSet", "CustomResourceDefinition", "Deployment", "Service"})


@functools.lru_cache(maxsize=1)
def _kinds_read() -> frozenset[str]:
    return _READ_KINDS | {rule.rsplit("/", 1)[-1] for rule in facts()["immutable"]}


def reads(document: Mapping[str, Any]) -> bool:
    """Whether ``plan_upgrade`` looks at ``document``: the plan of only such documents (with every Application
    named) is the plan of all, so a caller may keep just these."""
    return str(document.get("kind", "")) in _kinds_read()


def key_of(document: Mapping[str, Any]) -> Key:
    api = str(document.get("apiVersion", ""))
    metadata = document.get("metadata") if isinstance(document.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    return (api.split("/")[0] if "/" in api else "", str(document.get("kind", "")),
            str(metadata.get("namespace", "") or ""), str(metadata.get("name", "")))


def index(manifests: Manifests) -> dict[Key, tuple[str, Mapping[str, Any]]]:
    """Every object by key, with the Application that builds it."""
    return {key_of(document): (application, document)
            for application, documents in manifests.items() for document in documents}


def named(key: Key) -> str:
    group, kind, namespace, name = key
    return f"{kind}{'.' + group if group else ''} {namespace + '/' if namespace else ''}{name}"


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _sync_options(document: Mapping[str, Any]) -> set[str]:
    annotations = _get(document, "metadata.annotations") or {}
    text = str(annotations.get("argocd.argoproj.io/sync-options", "")) if isinstance(annotations, Mapping) else ""
    return {option.strip() for option in text.split(",") if option.strip()}


def refusals(old: Mapping[Key, tuple[str, Mapping[str, Any]]],
             new: Mapping[Key, tuple[str, Mapping[str, Any]]]) -> list[Refusal]:
    """Changes of immutable fields, object by object; ``handled`` when the new object is replaced by Argo CD."""
    rules: Mapping[str, Sequence[Mapping[str, str]]] = facts()["immutable"]
    found = []
    for key in sorted(set(old) & set(new)):
        group, kind, _namespace, _name = key
        for rule in rules.get(f"{group}/{kind}", ()):
            before, after = _get(old[key][1], rule["path"]), _get(new[key][1], rule["path"])
            if before is not None and after != before:
                options = _sync_options(new[key][1])
                found.append(Refusal(key, rule["path"], bool({"Replace=true", "Force=true"} & options)))
    return found


def _remedy(refusal: Refusal) -> str:
    group, kind, namespace, name = refusal.key
    rule = next(rule for rule in facts()["immutable"][f"{group}/{kind}"] if rule["path"] == refusal.field)
    text: str = facts()["remedies"][rule["remedy"]]
    return text.format(kind=kind.lower(), name=name, namespace=f" -n {namespace}" if namespace else "")


def _refused_steps(found: Sequence[Refusal]) -> list[Step]:
    steps = []
    for refusal in found:
        if refusal.handled:
            steps.append(Step("medium", "refused", f"{refusal}: immutable, changed: the object is deleted and "
                              "created again by the sync", (named(refusal.key),),
                              handled="Replace=true on the object in the new tree"))
        else:
            steps.append(Step("high", "refused", f"{refusal}: immutable, changed: the API server refuses the "
                              "patch and the sync stops there", (named(refusal.key),), before=(_remedy(refusal),)))
    return steps


def _data_steps(old: Mapping[Key, Any], new: Mapping[Key, Any]) -> list[Step]:
    steps = []
    for key in sorted(set(old) - set(new)):
        if key[1] in ("PersistentVolumeClaim", "StatefulSet"):
            steps.append(Step("high", "data", f"{named(key)} is removed: Argo CD deletes it, and its data, when it "
                              "prunes", (named(key),),
                              before=(f"back up what {named(key)} holds, or keep it: add the annotation "
                                      "argocd.argoproj.io/sync-options: Prune=false to it first",)))
    for key in sorted(set(new) - set(old)):
        if key[1] in ("PersistentVolumeClaim", "StatefulSet"):
            steps.append(Step("low", "data", f"{named(key)} is created (empty)", (named(key),),
                              after=(f"{named(key)} is Bound / Ready",)))
    return steps


def _store_step(old_store: Mapping[str, Any] | None, new_store: Mapping[str, Any] | None) -> list[Step]:
    if not old_store or not new_store or old_store.get("kind") == new_store.get("kind"):
        return []
    switch = f"{old_store.get('kind')}->{new_store.get('kind')}"
    how = facts()["stores"].get(switch, "copy the objects of the old store into the new one before the sync")
    return [Step("high", "store", f"the pipelines' object store switches from {old_store.get('kind')} to "
                 f"{new_store.get('kind')}: artifacts are not moved by the sync",
                 (f"PersistentVolumeClaim {old_store.get('pvc')}", f"PersistentVolumeClaim {new_store.get('pvc')}"),
                 before=(how,), after=("open a past run's artifacts in the Pipelines UI",))]


def _versions(document: Mapping[str, Any]) -> dict[str, tuple[bool, bool]]:
    versions = _get(document, "spec.versions") or []
    return {str(item.get("name")): (bool(item.get("served")), bool(item.get("storage")))
            for item in versions if isinstance(item, Mapping)}


def _crd_steps(old: Mapping[Key, Any], new: Mapping[Key, Any], removed: set[str]) -> list[Step]:
    """CRD version changes; a CRD removed with its Application (``removed``) is that Application's step."""
    steps = []
    for key in sorted(k for k in set(old) | set(new) if k[1] == "CustomResourceDefinition"):
        name = key[3]
        if key not in new and old[key][0] in removed:
            continue
        if key not in new:
            steps.append(Step("high", "crd", f"CRD {name} is removed: every object of it is deleted with it",
                              (named(key),), before=(f"export or finish them: kubectl get {name} -A -o yaml",)))
            continue
        if key not in old:
            continue
        before, after = _versions(old[key][1]), _versions(new[key][1])
        gone = sorted(set(before) - set(after))
        unserved = sorted(v for v in after if before.get(v, (False, False))[0] and not after[v][0])
        old_storage = next((v for v, (_s, storage) in before.items() if storage), "")
        new_storage = next((v for v, (_s, storage) in after.items() if storage), "")
        if gone:
            steps.append(Step("high", "crd", f"CRD {name} drops version(s) {', '.join(gone)}: objects stored in them "
                              "must be rewritten first, or the API server refuses the CRD", (named(key),),
                              before=(f"rewrite every object in the new storage version: kubectl get {name} -A -o json "
                                      "| kubectl replace -f -, then remove the old versions from its "
                                      "status.storedVersions",)))
        if unserved:
            steps.append(Step("medium", "crd", f"CRD {name} stops serving {', '.join(unserved)}: clients using it "
                              "fail", (named(key),)))
        if old_storage and new_storage and old_storage != new_storage:
            steps.append(Step("medium", "crd", f"CRD {name} stores {new_storage} instead of {old_storage}: existing "
                              f"objects stay stored as {old_storage} until they are written again", (named(key),),
                              after=(f"before a later release drops {old_storage}: kubectl get {name} -A -o json | "
                                     "kubectl replace -f -",)))
    return steps


def _image(document: Mapping[str, Any]) -> str:
    containers = _get(document, "spec.template.spec.containers") or []
    return str(containers[0].get("image", "")) if containers and isinstance(containers[0], Mapping) else ""


def _database_steps(old: Mapping[Key, Any], new: Mapping[Key, Any],
                    release_changes: bool) -> list[tuple[Step, Mapping[str, Any]]]:
    """A database whose component changes version (a release bump), or whose server image changes."""
    steps = []
    for database in facts()["databases"]:
        key = ("apps", "Deployment", database["namespace"], database["deployment"])
        if key not in old or key not in new:
            continue
        images = (_image(old[key][1]), _image(new[key][1]))
        if images[0] == images[1] and not release_changes:
            continue
        steps.append((Step("medium", "database",
                           f"{database['component']}: the database behind {database['what']} is upgraded with its "
                           f"component ({' -> '.join(images) if images[0] != images[1] else 'same server'}); the "
                           "component migrates its schema when it starts",
                           (named(key),),
                           before=(f"back up {named(key)}: apply the backup Job argoflow-gen-backup-"
                                   f"{database['deployment']} (below) and wait for it to complete",),
                           after=(f"{named(key)} is Available, and {database['component']}'s UI lists what it "
                                  "listed before",)), database))
    return steps


def _component_steps(old_manifests: Manifests, new_manifests: Manifests,
                     old: Mapping[Key, Any]) -> list[Step]:
    steps = []
    for application in sorted(set(old_manifests) - set(new_manifests)):
        crds = sorted(key[3] for key, (owner, _doc) in old.items()
                      if owner == application and key[1] == "CustomResourceDefinition")
        if crds:
            steps.append(Step("high", "component", f"{application} is removed, with its CRDs: every object of "
                              f"{', '.join(crds)} is deleted when Argo CD prunes them",
                              tuple(f"CustomResourceDefinition {crd}" for crd in crds),
                              before=(f"finish or export what users created with {application}: "
                                      + "; ".join(f"kubectl get {crd} -A -o yaml" for crd in crds),)))
        else:
            steps.append(Step("medium", "component", f"{application} is removed", ()))
    for application in sorted(set(new_manifests) - set(old_manifests)):
        steps.append(Step("low", "component", f"{application} is added", (),
                          after=(f"the Application {application} is Synced and Healthy",)))
    return steps


def plan_upgrade(old_manifests: Manifests, new_manifests: Manifests, *, old_version: str, new_version: str,
                 old_store: Mapping[str, Any] | None = None, new_store: Mapping[str, Any] | None = None,
                 object_store: Mapping[str, Any] | None = None) -> UpgradePlan:
    """The runbook of a sync from ``old_manifests`` to ``new_manifests`` (Application -> built documents).

    ``old_store``/``new_store`` are the in-cluster object stores of both renders (None with an external one);
    ``object_store`` is where backups are written (the store the cluster runs before the sync).
    """
    old, new = index(old_manifests), index(new_manifests)
    found = refusals(old, new)
    databases = _database_steps(old, new, old_version != new_version)
    steps = [*_refused_steps(found), *_data_steps(old, new), *_store_step(old_store, new_store),
             *_crd_steps(old, new, set(old_manifests) - set(new_manifests)), *(step for step, _db in databases),
             *_component_steps(old_manifests, new_manifests, old)]
    order = {category: index for index, category in enumerate(("store", "refused", "data", "database", "crd",
                                                                "component"))}
    steps.sort(key=lambda step: (RISKS.index(step.risk), order[step.category], step.title))
    jobs = backup_jobs([database for _step, database in databases], old, object_store, old_version, new_version)
    return UpgradePlan(old_version, new_version, tuple(steps), tuple(found), jobs)
