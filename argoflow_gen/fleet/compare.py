"""Which clusters a change to a fleet touches, and how: every changed file of the fleet's tree, attributed to
the clusters it reaches (a cluster's own folder, a shared folder its components build on, its Secret on the
hub), and the Applications whose folders changed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..escape import md_code, md_text
from ..rendering.applications import APPLICATIONS_DIR
from .model import Fleet

HUB_LEVEL = "(hub: fleet)"
_SHARED_USE = re.compile(r"^- (?:\.\./)+(shared/[^/\s]+)$", re.MULTILINE)
_SHARED_SOURCE = re.compile(r"^    path: (?:\S*/)?(shared/[^/\s]+)$", re.MULTILINE)  # an Application syncing one


@dataclass(frozen=True)
class ClusterChanges:
    cluster: str
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    applications: tuple[str, ...] = ()  # component folders whose files (own or shared) changed

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


@dataclass(frozen=True)
class FleetChanges:
    fleet: str
    clusters: tuple[ClusterChanges, ...] = field(default_factory=tuple)  # only clusters with changes, fleet order

    @property
    def touched(self) -> tuple[str, ...]:
        return tuple(change.cluster for change in self.clusters if change.cluster != HUB_LEVEL)


def _users(files: Mapping[str, str], prefix: str) -> dict[str, set[tuple[str, str]]]:
    """shared folder -> {(cluster, component)} whose overlay kustomization builds on it, or whose Application
    syncs it."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path, text in files.items():
        parts = path.split("/")
        if len(parts) == 4 and parts[0] == prefix and parts[3] == "kustomization.yaml":
            for shared in _SHARED_USE.findall(text):
                found.setdefault(shared, set()).add((parts[1], parts[2]))
        elif len(parts) == 4 and parts[0] == prefix and parts[2] == APPLICATIONS_DIR:
            for shared in _SHARED_SOURCE.findall(text):
                found.setdefault(shared, set()).add((parts[1], parts[3].removesuffix(".yaml")))
    return found


def compare_fleet(fleet: Fleet, new: Mapping[str, str], old: Mapping[str, str]) -> FleetChanges:
    """The changes from ``old`` (the fleet's files as they are) to ``new`` (its render), by cluster."""
    users = {**_users(old, "clusters")}
    for shared, found in _users(new, "clusters").items():
        users.setdefault(shared, set()).update(found)
    rows: dict[str, dict[str, set[str]]] = {}

    def note(cluster: str, kind: str, path: str, component: str | None) -> None:
        entry = rows.setdefault(cluster, {"added": set(), "changed": set(), "removed": set(), "apps": set()})
        entry[kind].add(path)
        if component:
            entry["apps"].add(component)

    for path in sorted(set(new) | set(old)):
        if new.get(path) == old.get(path):
            continue
        kind = "added" if path not in old else "removed" if path not in new else "changed"
        parts = path.split("/")
        if parts[0] == "clusters" and len(parts) > 2:
            component = parts[2] if len(parts) > 3 and not parts[2].startswith(".") and \
                parts[2] != "argocd-applications" else None
            note(parts[1], kind, path, component)
        elif parts[0] == "shared" and len(parts) > 2:
            for cluster, component in sorted(users.get(f"shared/{parts[1]}", set())):
                note(cluster, kind, path, component)
        elif parts[0] == "fleet" and len(parts) == 3 and parts[1] == "clusters":
            note(parts[2].removesuffix(".yaml"), kind, path, None)
        else:
            note(HUB_LEVEL, kind, path, None)
    order = [cluster.name for cluster in fleet.clusters]
    names = sorted(rows, key=lambda name: (name == HUB_LEVEL, order.index(name) if name in order else len(order),
                                           name))
    return FleetChanges(fleet.name, tuple(
        ClusterChanges(name, tuple(sorted(rows[name]["added"])), tuple(sorted(rows[name]["changed"])),
                       tuple(sorted(rows[name]["removed"])), tuple(sorted(rows[name]["apps"])))
        for name in names))


def format_fleet_text(changes: FleetChanges, *, verbose: bool = False) -> str:
    if not changes.clusters:
        return f"fleet {changes.fleet}: no changes\n"
    lines = [f"fleet {changes.fleet}: {len(changes.touched)} cluster(s) touched"]
    for change in changes.clusters:
        apps = f"; components: {', '.join(change.applications)}" if change.applications else ""
        lines.append(f"  {change.cluster}: {len(change.added)} added, {len(change.changed)} changed, "
                     f"{len(change.removed)} removed{apps}")
        if verbose:
            for kind, paths in (("+", change.added), ("~", change.changed), ("-", change.removed)):
                lines.extend(f"    {kind} {path}" for path in paths)
    return "\n".join(lines) + "\n"


def format_fleet_markdown(changes: FleetChanges) -> str:
    if not changes.clusters:
        return f"### Fleet {md_text(changes.fleet)}: no changes\n"
    lines = [f"### Fleet {md_text(changes.fleet)}: {len(changes.touched)} cluster(s) touched", "",
             "| Cluster | Added | Changed | Removed | Components |", "|---|---|---|---|---|"]
    for change in changes.clusters:
        lines.append(f"| {md_text(change.cluster)} | {len(change.added)} | {len(change.changed)} | "
                     f"{len(change.removed)} | {', '.join(md_code(app) for app in change.applications) or '-'} |")
    for change in changes.clusters:
        lines += ["", f"<details><summary>{md_text(change.cluster)}: {change.count} file(s)</summary>", ""]
        for kind, paths in (("added", change.added), ("changed", change.changed), ("removed", change.removed)):
            lines.extend(f"- {kind} {md_code(path)}" for path in paths)
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def format_fleet_json(changes: FleetChanges) -> str:
    document = {"schema": "argoflow-gen/fleet-diff/v1", "fleet": changes.fleet, "touched": list(changes.touched),
                "clusters": [{"cluster": change.cluster, "added": list(change.added), "changed": list(change.changed),
                              "removed": list(change.removed), "components": list(change.applications)}
                             for change in changes.clusters]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
