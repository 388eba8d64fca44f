"""Regenerate a fork without losing its edits (``update``), and report its drift (``status``).

The base of every three-way merge is the pristine copy of the last render that the fork itself carries
(``.argoflow-gen/pristine.json``): no older generator is ever re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ArgoflowError, StateError, UpdateError
from .loader import load_profile
from .merge import merge_file
from .planner import read_generated, refuse_pending
from .process import run
from .profile import Profile
from .state import (
    COMMITTED,
    LOCK_FILE,
    PRISTINE,
    PROFILE_RECORD,
    Lock,
    current_text,
    read_bounded,
    read_lock,
    read_pristine,
    require_state_folder,
    sha256,
)
from .tree import Tree
from .vendor import render_fork
from .writer import commit, transaction

STATE_FILES = COMMITTED


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
    rendered: Mapping[str, str] = field(default_factory=dict)  # the new render's files, for the diff's context

    def diff(self) -> Any:
        """The changes as a ``argoflow_gen.diff.Diff`` of files, for the diff command's formats."""
        from .diff import diff_trees

        unchanged = {path: text for path, text in self.rendered.items() if path not in STATE_FILES}
        old = {path: text for path, text in {**unchanged, **self.before}.items() if text is not None}
        new = {path: text for path, text in {**unchanged, **self.texts}.items() if text is not None}
        return diff_trees(old, new, old_label="fork", new_label="updated")

    @property
    def changes(self) -> bool:
        return bool(self.replaced or self.merged or self.conflicts or self.created or self.deleted or self.restored)


def _git_dirty(directory: Path, owned: set[str]) -> list[str] | None:
    """Uncommitted changes to the files an update may write (``owned``, relative to ``directory``), if it is in
    a git work tree; None if it is not. Other changes (the profile edit that the update is for, the user's own
    files) do not count."""
    try:
        prefix = run(["git", "-C", str(directory), "rev-parse", "--is-inside-work-tree", "--show-prefix"],
                     timeout=60)
    except FileNotFoundError:
        return None
    lines = prefix.stdout.decode("utf-8", "replace").splitlines()
    if prefix.returncode != 0 or not lines or lines[0] != "true":
        return None
    folder = lines[1] if len(lines) > 1 else ""
    status = run(["git", "-C", str(directory), "status", "--porcelain=v1", "-z", "--no-renames",
                  "--untracked-files=all", "--", "."], timeout=120)
    changed = [record[3:] for record in status.stdout.decode("utf-8", "surrogateescape").split("\0") if record]
    return sorted(path[len(folder):] for path in changed if path.startswith(folder) and path[len(folder):] in owned)


def is_state(path: str) -> bool:
    """Whether ``path`` is a state file of the fork: rewritten by every render, never merged."""
    return path in STATE_FILES


def plan_update(base: Mapping[str, str], tree: Tree, directory: Path, restore: Iterable[str] = (),
                state: Callable[[str], bool] = is_state) -> UpdateResult:
    """Decide, file by file, how the new render meets the fork: replace, merge, create, delete or keep.
    ``state`` tells the state files, which every render rewrites and no update merges."""
    theirs = {path: text for path, text in tree.files.items() if not state(path)}
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
        if state(path):
            continue
        ours = current_text(directory, path)
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
        if ours == new or old == new:  # as rendered, or an edit of a file the new render leaves as it was
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
        if current_text(directory, path) is None and path not in base:
            created.append(path)
            texts[path] = text
    for path in restore:
        if path not in base and path not in theirs:
            raise UpdateError(f"--restore {path}: the generator does not write that file")
    before = {path: current_text(directory, path) for path in texts}
    return UpdateResult(tuple(replaced), tuple(merged), tuple(conflicts), tuple(sorted(created)), tuple(deleted),
                        tuple(kept_deleted), tuple(kept_edited), tuple(restored), tuple(unchanged), texts, before,
                        theirs)


#: Renders the new tree of an update: (the fork's files of the last render, read-only?) -> Tree.
Renderer = Callable[[Mapping[str, str], bool], Tree]


def update(profiles: Iterable[str | Path], overrides: Iterable[str], directory: str | Path, *,
           dry_run: bool = False, allow_dirty: bool = False, restore: Iterable[str] = (),
           rotate_secrets: bool = False) -> UpdateResult:
    """Re-render into an existing fork, three-way merging the user's edits. Conflicts leave markers.

    The update is one transaction of the writer (staged, journaled, under the folder lock from planning to
    commit): a killed or failed update leaves the fork as it was or as the update makes it, never a mix.
    ``dry_run`` writes, locks and recovers nothing.
    """
    directory = Path(directory)
    require_render(directory)
    profile = load_profile(*profiles, overrides=overrides)

    def renderer(previous: Mapping[str, str], read_only: bool) -> Tree:
        return render_fork(profile, previous=previous, rotate_secrets=rotate_secrets, read_only=read_only)

    return update_with(directory, renderer, dry_run=dry_run, allow_dirty=allow_dirty, restore=restore)


def require_render(directory: Path) -> Lock:
    """The lock of the earlier render an update starts from; an UpdateError if there is none."""
    lock = read_lock(directory)
    if lock is None:
        raise UpdateError(f"{directory} holds no earlier render (no {LOCK_FILE})",
                          hint="render it first: argoflow-gen render PROFILE... -o DIR")
    return lock


def update_with(directory: Path, renderer: Renderer, *, dry_run: bool = False, allow_dirty: bool = False,
                restore: Iterable[str] = (), state: Callable[[str], bool] = is_state) -> UpdateResult:
    """The three-way update of a folder holding an earlier render, with the new tree from ``renderer``: for one
    fork (``update``) or a fleet (``argoflow_gen.fleet.update``). ``state`` tells the state files (rewritten,
    never merged; those the new render no longer writes are deleted)."""
    lock = require_render(directory)
    if not allow_dirty and not dry_run:
        owned = {*lock.files, *lock.seeds, *STATE_FILES}
        dirty = _git_dirty(directory, owned)
        if dirty:
            listing = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
            raise UpdateError(f"{directory} has uncommitted changes to generated files: {listing}",
                              hint="commit or stash them first, so the update can be reviewed and undone; "
                                   "or pass --allow-dirty")
    restore = tuple(restore)
    if dry_run:
        refuse_pending(directory)
        return _planned(renderer, directory, restore, state, read_only=True)[0]
    with transaction(directory):
        result, tree = _planned(renderer, directory, restore, state, read_only=False)
        writes = {path: text for path, text in result.texts.items() if text is not None}
        known: set[str] = set()
        writes.update({path: text for path, text in tree.files.items()
                       if state(path) and current_text(directory, path, known) != text})
        gone = [path for path in lock.files if state(path) and path not in tree.files
                and current_text(directory, path, known) is not None]
        commit(directory, writes, [*(path for path, text in result.texts.items() if text is None), *gone])
    return result


def _planned(renderer: Renderer, directory: Path, restore: tuple[str, ...], state: Callable[[str], bool], *,
             read_only: bool) -> tuple[UpdateResult, Tree]:
    base = read_pristine(directory)
    if base is None:
        raise UpdateError(f"{directory} has no {PRISTINE}", hint="it was rendered by an older argoflow-gen; "
                          "re-render once with render --force after committing your work")
    tree = renderer(read_generated(directory), read_only)
    return plan_update(base, tree, directory, restore, state), tree


@dataclass(frozen=True)
class Status:
    edited: tuple[str, ...]
    deleted: tuple[str, ...]
    rerender_changes: tuple[str, ...] | None  # None when the recorded profile cannot be re-rendered here
    note: str = ""
    checked: int = 0
    findings: tuple[str, ...] = ()  # security findings (a sealed value replaced by hand)

    @property
    def checked_all(self) -> bool:
        return self.rerender_changes is not None

    @property
    def clean(self) -> bool:
        return self.checked_all and not (self.edited or self.deleted or self.rerender_changes or self.findings)


def load_record(directory: Path) -> Profile:
    """The resolved profile a fork records (``.argoflow-gen/profile.yaml``), read as hostile input: bounded,
    a regular file, and never a layer that pulls in other files (a resolved profile has no ``extends``)."""
    from .layers import MAX_FILE_BYTES
    from .state.gate import NotRegular
    from .yamlio import load

    path = directory / PROFILE_RECORD
    require_state_folder(directory)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES, what=str(path))
    except NotRegular:
        raise StateError(f"{path} is not a regular file", hint="restore it from git") from None
    if raw is None:
        raise StateError(f"{path} is missing", hint="restore it from git, or render the fork again")
    document = load(raw.decode("utf-8", "replace"), str(path))
    if isinstance(document.data, dict) and "extends" in document.data:
        raise StateError(f"{path}: a recorded profile never extends other files",
                         hint="restore it from git, or render the fork again")
    return load_profile(path)


def status(directory: str | Path) -> Status:
    """Which generated files the user changed, and whether re-rendering the recorded profile would change any.

    Read-only and honest: it never writes, locks or replays anything, never reads a secret input (sealed
    values bound to the lock are carried on as they are), and when it cannot re-render, it says so
    (``rerender_changes`` is None) instead of reporting a clean fork.
    """
    directory = Path(directory)
    refuse_pending(directory)
    previous = read_lock(directory)
    if previous is None:
        raise UpdateError(f"{directory} holds no earlier render (no {LOCK_FILE})")
    edited, deleted = [], []
    for path, digest in sorted(previous.files.items()):
        if path in STATE_FILES:
            continue
        current = current_text(directory, path)
        if current is None:
            deleted.append(path)
        elif sha256(current) != digest:
            edited.append(path)
    note = ""
    changes: tuple[str, ...] | None
    try:
        pristine = read_pristine(directory) or {}
        tree = render_fork(load_record(directory), previous=read_generated(directory), read_only=True,
                      read_secrets=False)
        changes = tuple(sorted(
            path for path in set(tree.files) | set(pristine)
            if path not in STATE_FILES and tree.files.get(path) != pristine.get(path)
        ))
        findings = tree.findings
    except ArgoflowError as error:
        changes, findings, note = None, (), f"re-render not checked: {error}"
    return Status(tuple(edited), tuple(deleted), changes, note, len(previous.files), findings)
