"""Fleet → Tree, in memory: each cluster's render under ``clusters/<name>/``, identical folders once under
``shared/``, and at the top what the hub's Argo CD needs to drive them (``fleet.yaml`` and ``fleet/``)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..errors import ProfileError
from ..loader import load_profile
from ..planner import Generated
from ..profile import Profile, thaw
from ..rendering import Target, render
from ..rendering.applications import APPLICATIONS_DIR
from ..state import (
    LOCK_FILE,
    PRISTINE,
    PROFILE_RECORD,
    STATE_DIR,
    STATE_IGNORE,
    STATE_IGNORE_TEXT,
    Lock,
    format_lock,
    parse_lock,
    pristine_text,
    sha256,
)
from ..tree import Tree
from ..version import __version__
from ..yamlemit import dump
from .model import Cluster, Fleet
from .objects import fleet_files, readme
from .secrets import cluster_secret
from .share import Shared, has_custom, overlay, point_at, shared_folders

#: What Argo CD's ApplicationSet controller needs for a progressive rollout.
PROGRESSIVE = {"applicationsetcontroller.enable.progressive.syncs": "true"}


def fleet_overrides(fleet: Fleet, cluster: Cluster) -> list[str]:
    """What the fleet decides for a cluster, as --set expressions: its folder, and whether it manages Argo CD."""
    return [f"spec.repo.path={json.dumps(fleet.repo_path(fleet.folder(cluster.name)))}",
            f"spec.argocd.manage={'true' if cluster.name == fleet.hub else 'false'}"]


def cluster_profile(fleet: Fleet, cluster: Cluster) -> Profile:
    """The profile of one cluster: the fleet's base, the cluster's layers, and what the fleet decides (its
    folder in the repository, and that only the hub manages Argo CD)."""
    return load_profile(*fleet.base, *cluster.layers, overrides=fleet_overrides(fleet, cluster))


class _Below(Mapping[str, str]):
    """The files of one folder of an earlier render, by path relative to it, each read only when asked for (a
    cluster's render reads a few: its lock, its sealed values)."""

    def __init__(self, files: Mapping[str, str], prefix: str, names: list[str]) -> None:
        self._files, self._prefix, self._names = files, prefix, names

    def __getitem__(self, path: str) -> str:
        return self._files[self._prefix + path]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._names if self._prefix + name in self._files)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return bool(self._names)


def _by_folder(files: Mapping[str, str] | None) -> dict[str, list[str]]:
    """The paths of an earlier render under ``clusters/``, by cluster folder (relative to it); listed once, without
    reading a file: a fleet of N clusters is not read N times."""
    names = files.paths if isinstance(files, Generated) else list(files or {})
    found: dict[str, list[str]] = defaultdict(list)
    for path in names:
        top, _, rest = path.partition("/")
        name, _, below = rest.partition("/")
        if top == "clusters" and below:
            found[f"{top}/{name}"].append(below)
    return found


def _check_one_argo_cd(fleet: Fleet, profiles: Mapping[str, Profile]) -> None:
    hub = profiles[fleet.hub]
    for name, profile in profiles.items():
        for what, mine, theirs in (("spec.repo.url", profile.spec.repo.url, hub.spec.repo.url),
                                   ("spec.repo.revision", profile.spec.repo.revision, hub.spec.repo.revision),
                                   ("spec.argocd.namespace", profile.spec.argocd.namespace, hub.spec.argocd.namespace)):
            if mine != theirs:
                from ..errors import Issue

                raise ProfileError([Issue(f"cluster {name!r} has {what} {mine!r}, the hub {theirs!r}",
                                          file=fleet.file, path=what,
                                          hint="one fleet is one repository and one Argo CD: set it in the base")])


def _check_not_vendored(fleet: Fleet, profiles: Mapping[str, Profile]) -> None:
    vendored = [cluster.name for cluster in fleet.clusters if profiles[cluster.name].spec.repo.vendor]
    if vendored:
        from ..errors import Issue

        raise ProfileError([Issue(f"cluster {vendored[0]!r} sets spec.repo.vendor: a fleet does not vendor upstream "
                                  "yet", file=fleet.file, path="spec.repo.vendor",
                                  hint="render the cluster as a fork of its own, or leave vendor off in a fleet")])


def render_fleet(fleet: Fleet, *, previous: Mapping[str, str] | None = None, read_only: bool = False,
                 read_secrets: bool = True, profiles: Mapping[str, Profile] | None = None,
                 fork: Path | None = None) -> Tree:
    """The fleet's whole tree. ``previous`` are the files of an earlier render of the fleet (by path), so that
    sealed values are carried on; ``profiles`` lets a caller pass clusters' profiles it already loaded; ``fork``
    is the fleet's folder, where a cluster's ``custom/`` for a shared component is looked for (else in
    ``previous``, or, when that is an earlier render on disk, in its folder)."""
    loaded = dict(profiles or {})
    for cluster in fleet.clusters:
        if cluster.name not in loaded:
            loaded[cluster.name] = cluster_profile(fleet, cluster)
    _check_one_argo_cd(fleet, loaded)
    _check_not_vendored(fleet, loaded)
    trees: dict[str, Tree] = {}
    previous = {} if previous is None else previous
    folders = _by_folder(previous)
    for cluster in fleet.clusters:
        folder = fleet.folder(cluster.name)
        target = Target(name_prefix=f"{cluster.name}-", server=cluster.server, pristine=False,
                        argocd_params=PROGRESSIVE if cluster.name == fleet.hub and fleet.rollout else {},
                        installs_argocd=cluster.name == fleet.hub)
        below = _Below(previous, f"{folder}/", folders[folder])
        trees[cluster.name] = render(loaded[cluster.name], previous=below, target=target, read_only=read_only,
                                     read_secrets=read_secrets)
    placed = shared_folders(trees)
    by_cluster: dict[str, dict[str, Shared]] = defaultdict(dict)  # cluster -> its component folder -> shared one
    for (name, own), shared in placed.items():
        by_cluster[name][own] = shared
    files: dict[str, str] = {}
    seeds: dict[str, str] = {}
    findings: list[str] = []
    warnings: list[str] = []
    if fork is None and isinstance(previous, Generated):
        fork = previous.directory
    known: set[str] = set()
    for cluster in fleet.clusters:
        tree, folder = trees[cluster.name], fleet.folder(cluster.name)
        moved = by_cluster[cluster.name]
        overlaid = {top for top in moved if has_custom(f"{folder}/{top}", previous, fork, known)}
        for path, text in tree.files.items():
            top, _, rest = path.partition("/")
            if top in moved and rest:
                if rest == "kustomization.yaml":
                    shared = moved[top]
                    files.update({f"{shared.path}/{name}": body for name, body in shared.files.items()})
                    if top in overlaid:
                        files[f"{folder}/{path}"] = overlay(f"{folder}/{top}", shared)
                continue
            if top == APPLICATIONS_DIR and rest.removesuffix(".yaml") in moved:
                component = rest.removesuffix(".yaml")
                if component not in overlaid:  # the Application syncs the shared folder itself
                    text = point_at(text, fleet.repo_path(f"{folder}/{component}"),
                                    fleet.repo_path(moved[component].path))
            files[f"{folder}/{path}"] = text
        seeds.update({f"{folder}/{path}": text for path, text in tree.seeds.items()
                      if path.partition("/")[0] not in moved or path.partition("/")[0] in overlaid})
        findings.extend(f"{cluster.name}: {finding}" for finding in tree.findings)
        warnings.extend(f"{cluster.name}: {warning}" for warning in tree.warnings)
    hub = loaded[fleet.hub]
    previous_text = previous.get(LOCK_FILE)
    previous_lock = parse_lock(previous_text, LOCK_FILE) if previous_text else None
    sealed = {}
    for cluster in fleet.clusters:
        if cluster.remote and cluster.credentials and not cluster.credentials.existing_secret:
            path, text, entries = cluster_secret(fleet, cluster, hub, previous, previous_lock,
                                                 read_only=read_only, read_secrets=read_secrets)
            files[path] = text
            sealed.update(entries)
    files.update(fleet_files(fleet, loaded, sorted(path for path in files if path.startswith("fleet/clusters/"))))
    files["README.md"] = readme(fleet, loaded, placed)
    files[PROFILE_RECORD] = ("# The resolved fleet of this render (every default filled); do not edit.\n"
                             + dump(thaw(fleet.resolved)))
    files[STATE_IGNORE] = STATE_IGNORE_TEXT
    # the base of a three-way update: every generated file but the clusters' state, which every render rewrites
    files[PRISTINE] = pristine_text({path: text for path, text in files.items()
                                     if not (path.startswith("clusters/") and f"/{STATE_DIR}/" in path)})
    digest = hashlib.sha256("\0".join([fleet.digest, *(loaded[c.name].digest for c in fleet.clusters)])
                            .encode("utf-8")).hexdigest()
    lock = Lock(generator=f"argoflow-gen {__version__}",
                kubeflow=",".join(sorted({profile.spec.kubeflow.version for profile in loaded.values()})),
                profile=fleet.name, digest=digest, files={path: sha256(text) for path, text in files.items()},
                seeds={path: sha256(text) for path, text in seeds.items()}, sealed=sealed,
                rotation=previous_lock.rotation if previous_lock else 0)
    files[LOCK_FILE] = format_lock(lock)
    return Tree(files=dict(sorted(files.items())), seeds=dict(sorted(seeds.items())),
                findings=tuple(dict.fromkeys(findings)), warnings=tuple(dict.fromkeys(warnings)))
