"""Regenerate a fork without losing its edits (``update``), and report its drift (``status``).

The base of every three-way merge is the pristine copy of the last render that the fork itself carries
(``.argoflow-gen/pristine.json``): no older generator is ever re-run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SecretError, UpdateError
from .loader import load_profile
from .merge import merge_file
from .rendering import render
from .tree import Tree
from .writer import (
    LOCK_FILE,
    PRISTINE,
    PROFILE_RECORD,
    _current,
    folder_lock,
    read_generated,
    read_previous,
    read_pristine,
    recover,
    sha256,
    write_file,
)

STATE_FILES = (LOCK_FILE, PRISTINE, PROFILE_RECORD)


@dataclass(frozen=True)
class UpdateResult:
    """What an update did (or, with ``dry_run``, would do), file by file."""

    replaced: tuple[str, ...] = ()  # unedited generated files, now the new render
    merged: tuple[str, ...] = ()  # edited files merged with the new render
    conflicts: tuple[str, ...] = ()  # merged with conflict markers
    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    kept_deleted: tuple[str, ...] = ()  # generated files the user deleted: they stay deleted
    kept_edited: tuple[str, ...] = ()  # no longer generated, but edited: kept
    restored: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()  # generated files already as the new render has them
    texts: Mapping[str, str | None] = field(default_factory=dict)  # the new content of every changed path
    before: Mapping[str, str | None] = field(default_factory=dict)  # their content in the fork now

    def diff(self) -> Any:
        """The changes as a ``argoflow_gen.diff.Diff`` of files, for the diff command's formats."""
        from .diff import diff_trees

        old = {path: text for path, text in self.before.items() if text is not None}
        new = {path: text for path, text in self.texts.items() if text is not None}
        return diff_trees(old, new, old_label="fork", new_label="updated")

    @property
    def changes(self) -> bool:
        return bool(self.replaced or self.merged or self.conflicts or self.created or self.deleted or self.restored)


def _git_dirty(directory: Path) -> list[str] | None:
    """Uncommitted changes under ``directory`` if it is in a git work tree; None if it is not."""
    try:
        inside = subprocess.run(["git", "-C", str(directory), "rev-parse", "--is-inside-work-tree"],
                                capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    status = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--", "."],
                            capture_output=True, text=True, check=False)
    return [line for line in status.stdout.splitlines() if line.strip()]


def plan_update(base: Mapping[str, str], tree: Tree, directory: Path,
                restore: Iterable[str] = ()) -> UpdateResult:
    """Decide, file by file, how the new render meets the fork: replace, merge, create, delete or keep."""
    theirs = {path: text for path, text in tree.files.items() if path not in STATE_FILES}
    restore = set(restore)
    replaced: list[str] = []
    merged: list[str] = []
    conflicts: list[str] = []
    created: list[str] = []
    deleted: list[str] = []
    kept_deleted: list[str] = []
    kept_edited: list[str] = []
    restored: list[str] = []
    unchanged: list[str] = []
    texts: dict[str, str | None] = {}
    for path in sorted(set(base) | set(theirs)):
        if path in STATE_FILES:
            continue
        ours = _current(directory / path)
        old = base.get(path)
        new = theirs.get(path)
        if ours is not None and ours.startswith("\0"):
            raise UpdateError(f"{path} in the fork is not a regular file", hint="replace it with a file or delete it")
        if new is None:  # the generator no longer produces it
            if ours is None:
                continue
            if ours == old:
                deleted.append(path)
                texts[path] = None
            else:
                kept_edited.append(path)
            continue
        if ours is None:
            if old is None:
                created.append(path)
                texts[path] = new
            elif path in restore:
                restored.append(path)
                texts[path] = new
            else:
                kept_deleted.append(path)
            continue
        if ours == new:
            unchanged.append(path)
            continue
        if old is None or ours == old:
            if old is None and ours != new:  # the user's own file where the generator now writes one
                result = merge_file(path, "", ours, new)
                (conflicts if result.conflict else merged).append(path)
                texts[path] = result.text
                continue
            replaced.append(path)
            texts[path] = new
            continue
        result = merge_file(path, old, ours, new)
        (conflicts if result.conflict else merged).append(path)
        texts[path] = result.text
    for path, text in tree.seeds.items():
        if _current(directory / path) is None and path not in base:
            created.append(path)
            texts[path] = text
    for path in restore:
        if path not in base and path not in theirs:
            raise UpdateError(f"--restore {path}: the generator does not write that file")
    before = {path: _current(directory / path) for path in texts}
    return UpdateResult(tuple(replaced), tuple(merged), tuple(conflicts), tuple(sorted(created)), tuple(deleted),
                        tuple(kept_deleted), tuple(kept_edited), tuple(restored), tuple(unchanged), texts, before)


def update(profiles: Iterable[str | Path], overrides: Iterable[str], directory: str | Path, *,
           dry_run: bool = False, allow_dirty: bool = False, restore: Iterable[str] = (),
           rotate_secrets: bool = False) -> UpdateResult:
    """Re-render into an existing fork, three-way merging the user's edits. Conflicts leave markers."""
    directory = Path(directory)
    if read_previous(directory) is None:
        raise UpdateError(f"{directory} holds no earlier render (no {LOCK_FILE})",
                          hint="render it first: argoflow-gen render PROFILE... -o DIR")
    if not allow_dirty and not dry_run:
        dirty = _git_dirty(directory)
        if dirty:
            raise UpdateError(f"{directory} has uncommitted changes ({len(dirty)} paths)",
                              hint="commit or stash them first, so the update can be reviewed and undone; "
                                   "or pass --allow-dirty")
    profile = load_profile(*profiles, overrides=overrides)
    if not dry_run:
        recover(directory)
    base = read_pristine(directory)
    if base is None:
        raise UpdateError(f"{directory} has no {PRISTINE}", hint="it was rendered by an older argoflow-gen; "
                          "re-render once with render --force after committing your work")
    tree = render(profile, previous=read_generated(directory), rotate_secrets=rotate_secrets)
    result = plan_update(base, tree, directory, restore)
    if dry_run:
        return result
    with folder_lock(directory):
        for path, text in result.texts.items():
            target = directory / path
            if text is None:
                target.unlink()
            else:
                write_file(target, text)
        for path in STATE_FILES:
            write_file(directory / path, tree.files[path])
    return result


@dataclass(frozen=True)
class Status:
    edited: tuple[str, ...]
    deleted: tuple[str, ...]
    rerender_changes: tuple[str, ...] | None  # None when the recorded profile cannot be re-rendered here
    note: str = ""
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.edited or self.deleted or self.rerender_changes)


def status(directory: str | Path) -> Status:
    """Which generated files the user changed, and whether re-rendering the recorded profile would change any."""
    directory = Path(directory)
    previous = read_previous(directory)
    if previous is None:
        raise UpdateError(f"{directory} holds no earlier render (no {LOCK_FILE})")
    edited, deleted = [], []
    for path, digest in sorted(previous.files.items()):
        if path in STATE_FILES:
            continue
        current = _current(directory / path)
        if current is None:
            deleted.append(path)
        elif sha256(current) != digest:
            edited.append(path)
    pristine = read_pristine(directory) or {}
    note = ""
    changes: tuple[str, ...] | None
    try:
        profile = load_profile(directory / PROFILE_RECORD)
        tree = render(profile, previous=read_generated(directory))
        changes = tuple(sorted(
            path for path in set(tree.files) | set(pristine)
            if path not in STATE_FILES and tree.files.get(path) != pristine.get(path)
        ))
    except SecretError as error:
        changes, note = None, f"re-render not checked: {error}"
    return Status(tuple(edited), tuple(deleted), changes, note, len(previous.files))
