"""The structured Diff: what changed between two trees, file by file and, once built, resource by resource.

Plain frozen records, sorted when they are made, so that every formatter is deterministic. Secret values
never enter a Diff: they are replaced by ``Masked`` (a byte count) before a record is made.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..escape import visible
from .profile import ProfileChange

FileStatus = Literal["added", "removed", "changed", "formatting"]
ResourceStatus = Literal["added", "removed", "changed"]
FieldStatus = Literal["added", "removed", "changed", "reordered", "re-sealed"]

#: The group of files that belong to no Application (README.md, the lock file, the root kustomization).
REPOSITORY = ""
REPOSITORY_TITLE = "(repository files)"


@dataclass(frozen=True)
class Masked:
    """A secret value: only its size is ever shown."""

    size: int

    def __str__(self) -> str:
        return f"*** ({self.size} bytes)"


@dataclass(frozen=True)
class Counts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    formatting: int = 0  # files only: changed text, equal YAML data

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed + self.formatting

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.added + other.added, self.removed + other.removed, self.changed + other.changed,
                      self.formatting + other.formatting)


def _count(statuses: Iterable[str]) -> Counts:
    statuses = list(statuses)
    return Counts(statuses.count("added"), statuses.count("removed"), statuses.count("changed"),
                  statuses.count("formatting"))


@dataclass(frozen=True)
class FileChange:
    """One generated file added, removed, changed, or changed in formatting only.

    ``old``/``new`` are the texts (None when absent); when ``masked``, Secret values in them were replaced
    and the YAML re-serialised, so the texts are no longer the files' bytes. ``state`` marks a file of the
    generator's own state (``.argoflow-gen/``: lock, pristine copies), which reports name but do not show.
    """

    path: str
    status: FileStatus
    application: str = REPOSITORY
    old: str | None = None
    new: str | None = None
    masked: bool = False
    state: bool = False

    def unified(self, context: int = 3) -> list[str]:
        """The unified diff lines (``---``/``+++`` headers, hunks), empty for a formatting-only change."""
        if self.status == "formatting":
            return []
        old = (self.old or "").splitlines()
        new = (self.new or "").splitlines()
        return list(difflib.unified_diff(
            old, new, fromfile="/dev/null" if self.old is None else f"a/{visible(self.path)}",
            tofile="/dev/null" if self.new is None else f"b/{visible(self.path)}", n=max(context, 0), lineterm=""))

    @property
    def line_counts(self) -> tuple[int, int]:
        """(lines added, lines removed)."""
        added = removed = 0
        for line in self.unified(0):
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        return added, removed


@dataclass(frozen=True, order=True)
class ResourceKey:
    """A resource's identity: group/kind/namespace/name (the version is a field, not part of the key)."""

    group: str
    kind: str
    namespace: str
    name: str

    @property
    def kind_group(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind_group} {where}"


@dataclass(frozen=True)
class FieldChange:
    """One change inside a resource. ``path`` is like ``spec.template.spec.containers[name=app].image``.

    ``added``/``removed``: ``new``/``old`` hold the value; ``changed``: both; ``reordered``: the list's item
    keys in their old and new order; ``re-sealed``: a SealedSecret ciphertext changed (sizes only).
    """

    path: str
    status: FieldStatus
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class ResourceChange:
    """A resource added, removed or changed in one Application's build.

    ``document`` is the (masked) resource for an added or removed one; ``notes`` say what was normalised,
    such as a kustomize name hash that changed.
    """

    key: ResourceKey
    status: ResourceStatus
    api_version: str = ""
    fields: tuple[FieldChange, ...] = ()
    document: Any = None
    notes: tuple[str, ...] = ()

    @property
    def resealed(self) -> bool:
        """A SealedSecret whose only changes are new ciphertexts."""
        return bool(self.fields) and all(change.status == "re-sealed" for change in self.fields)


@dataclass(frozen=True)
class ApplicationDiff:
    """The resource changes of one Application, sorted by kind, namespace and name."""

    name: str
    resources: tuple[ResourceChange, ...] = ()

    @property
    def counts(self) -> Counts:
        return _count(change.status for change in self.resources)


@dataclass(frozen=True)
class NotBuilt:
    """An Application whose manifests are not built (a Helm chart, a source outside the fork)."""

    application: str
    reason: str


@dataclass(frozen=True)
class Diff:
    """Everything that differs between two trees.

    ``files`` is the file level. ``applications`` is the resource level, present when ``built``; it only
    holds Applications with changes. ``not_built`` lists Applications whose manifests were not compared.
    """

    files: tuple[FileChange, ...] = ()
    applications: tuple[ApplicationDiff, ...] = ()
    not_built: tuple[NotBuilt, ...] = ()
    built: bool = False
    old_label: str = "old"
    new_label: str = "new"
    findings: tuple[str, ...] = ()  # security findings (a sealed value sealed by someone else): shown first
    profile: tuple[ProfileChange, ...] = ()  # what changed in the recorded profile
    added_applications: tuple[str, ...] = ()
    removed_applications: tuple[str, ...] = ()
    upgrade: Any = None  # argoflow_gen.upgrade.UpgradePlan of a change of Kubeflow release (built diffs only)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple(sorted(self.files, key=lambda change: change.path)))
        object.__setattr__(self, "applications", tuple(sorted(
            (app for app in self.applications if app.resources), key=lambda app: app.name)))
        object.__setattr__(self, "not_built", tuple(sorted(set(self.not_built), key=lambda item: item.application)))

    @property
    def has_differences(self) -> bool:
        return bool(self.files or self.applications or self.findings)

    def with_resources(self, resources: Diff) -> Diff:
        """This file-level diff with the resource level of ``resources`` added."""
        return replace(self, applications=resources.applications, not_built=resources.not_built, built=True)

    def with_labels(self, old_label: str, new_label: str) -> Diff:
        return replace(self, old_label=old_label, new_label=new_label)

    # -------------------------------------------------------------------------------------- grouping

    def groups(self) -> tuple[str, ...]:
        """Every Application with a changed file or resource, sorted; files of no Application last."""
        names = {change.application for change in self.files} | {app.name for app in self.applications}
        ordered = sorted(name for name in names if name != REPOSITORY)
        return (*ordered, REPOSITORY) if REPOSITORY in names else tuple(ordered)

    def files_of(self, group: str) -> tuple[FileChange, ...]:
        return tuple(change for change in self.files if change.application == group)

    def resources_of(self, group: str) -> tuple[ResourceChange, ...]:
        for app in self.applications:
            if app.name == group:
                return app.resources
        return ()

    def file_counts(self, group: str | None = None) -> Counts:
        files = self.files if group is None else self.files_of(group)
        return _count(change.status for change in files)

    def resource_counts(self, group: str | None = None) -> Counts:
        if group is None:
            return sum((app.counts for app in self.applications), Counts())
        return _count(change.status for change in self.resources_of(group))


def title(group: str) -> str:
    """How a group is named in reports."""
    return group if group != REPOSITORY else REPOSITORY_TITLE

