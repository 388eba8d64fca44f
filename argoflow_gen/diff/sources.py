"""The two trees a diff compares, from each input mode.

- two profile sets, rendered in memory (``profile_pair``);
- a profile set against a fork on disk: the folder as it is, and as it would be after re-rendering into it
  (``against_folder``), following the writer's plan: generated files created, updated or deleted, seeds
  only where missing, the user's own files as they are;
- two revisions of a fork, read with git plumbing (``ls-tree``/``cat-file``) so that the working tree,
  the index and HEAD are never touched (``revision_pair``); the head defaults to the working tree and the
  base to the merge-base with the default branch.

The files of the writer's state (journal, staging, folder lock) are not part of a tree; its lock file is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import DiffError, StateError
from ..loader import load_profile
from ..planner import classify
from ..process import run
from ..state import LOCK_FILE, MAX_FILE_BYTES, STATE_DIR, pending_write
from ..state.gate import NotRegular, problem, read_bounded, symlink_on_the_way
from ..vendor import render_fork
from .remote import git_environment

WORKING_TREE = "working tree"
MAX_TREE_BYTES = 1 << 30  # what git may print for one listing or one batch of a fork's files


@dataclass(frozen=True)
class Pair:
    """The two trees to compare, and what each one is."""

    old: Mapping[str, str]
    new: Mapping[str, str]
    old_label: str
    new_label: str


def _ignored(relative: str) -> bool:
    """Whether a file is the writer's private state rather than part of the tree."""
    return (relative.startswith(f"{STATE_DIR}/") and relative != LOCK_FILE) or relative == ".git" \
        or relative.startswith(".git/")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"<binary file: {len(raw)} bytes, sha256:{hashlib.sha256(raw).hexdigest()}>\n"


def _too_large(size: int) -> str:
    return f"<file too large to compare: {size} bytes, over {MAX_FILE_BYTES}>\n"


def _read(path: Path) -> str | None:
    """A file of the fork as text, bounded; None for anything but a regular file (a symlink, a FIFO)."""
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except NotRegular:
        return None
    except StateError:
        return _too_large(path.lstat().st_size)
    return None if raw is None else _text(raw)


def _label(sources: Iterable[str | Path], overrides: Iterable[str]) -> str:
    parts = [str(source) for source in sources] + [f"--set {override}" for override in overrides]
    return " ".join(parts)


# --------------------------------------------------------------------------------------- profile sets


def profile_pair(old: Iterable[str | Path], new: Iterable[str | Path], *, old_overrides: Iterable[str] = (),
                 new_overrides: Iterable[str] = ()) -> Pair:
    """Render two profile sets in memory. The new render re-uses sealed values of the old one where its
    inputs are unchanged, as a re-render of a fork does, so that only real changes show."""
    old, new, old_overrides, new_overrides = list(old), list(new), list(old_overrides), list(new_overrides)
    old_tree = render_fork(load_profile(*old, overrides=old_overrides), read_only=True)
    new_tree = render_fork(load_profile(*new, overrides=new_overrides), previous=dict(old_tree), read_only=True)
    return Pair(dict(old_tree), dict(new_tree), _label(old, old_overrides), _label(new, new_overrides))


# ------------------------------------------------------------------------------------ against a folder


def read_folder(directory: Path) -> dict[str, str]:
    """Every file of a folder (relative path -> text), without git's and the writer's private files."""
    files = {}
    for folder, subfolders, names in os.walk(directory):
        subfolders[:] = sorted(name for name in subfolders if name != ".git")
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(directory).as_posix()
            if not _ignored(relative) and (text := _read(path)) is not None:
                files[relative] = text
    return dict(sorted(files.items()))


def against_folder(profiles: Iterable[str | Path], overrides: Iterable[str], directory: Path) -> Pair:
    """The folder as it is, and as re-rendering the profiles into it would leave it."""
    directory = Path(directory)
    kind = classify(directory)
    if kind != "render":
        reason = {"missing": "does not exist", "empty": "is empty"}.get(kind, "holds no earlier render")
        raise DiffError(f"{directory} {reason}", hint="name the folder of a fork written by `argoflow-gen render`")
    profiles, overrides = list(profiles), list(overrides)
    if pending_write(directory):
        raise DiffError(f"{directory} has an interrupted write waiting to be finished",
                        hint="run argoflow-gen render into it first; diff never replays it")
    current = read_folder(directory)
    tree = render_fork(load_profile(*profiles, overrides=overrides), previous=current, read_only=True)
    plan = tree.plan(directory)
    after = dict(current)
    for relative in plan.delete:
        after.pop(relative, None)
    for relative in (*plan.create, *plan.update):
        if not _ignored(relative):  # the writer's state is not part of a tree, on either side
            after[relative] = tree.files[relative]
    for relative in plan.seed:
        after[relative] = tree.seeds[relative]
    return Pair(current, after, str(directory), f"render of {_label(profiles, overrides)}")


# ---------------------------------------------------------------------------------------- git revisions


def _git(top: Path, *args: str, input_bytes: bytes = b"") -> bytes:
    try:
        result = run(["git", "-C", str(top), *args], input_bytes=input_bytes, env=git_environment(),
                     max_output=MAX_TREE_BYTES)
    except FileNotFoundError:
        raise DiffError("git is not installed", hint="--repo reads revisions with git") from None
    if result.overflowed:
        raise DiffError(f"git {args[0]} in {top} printed more than {MAX_TREE_BYTES >> 20} MiB",
                        hint="a tree this size is not a fork argoflow-gen can compare")
    if result.returncode != 0 or result.timed_out:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {args[0]} failed in {top}: {message[-1] if message else result.returncode}")
    return result.stdout


@dataclass(frozen=True)
class Repository:
    """A fork's git repository, and the folder of the tree inside it."""

    top: Path
    prefix: str  # the tree's folder, relative to the top, with a trailing slash ("" for the root)

    @classmethod
    def at(cls, directory: Path) -> Repository:
        directory = Path(directory)
        if not directory.is_dir():
            raise DiffError(f"{directory} is not a folder", hint="--repo names the folder of the fork")
        try:
            top = _git(directory, "rev-parse", "--show-toplevel").decode().strip()
            prefix = _git(directory, "rev-parse", "--show-prefix").decode().strip()
        except DiffError:
            raise DiffError(f"{directory} is not in a git repository",
                            hint="--repo names a folder of a git clone of the fork") from None
        return cls(Path(top), prefix)

    def commit(self, ref: str) -> str:
        """The commit a ref names; a DiffError naming the ref if there is none."""
        try:
            return _git(self.top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}") \
                .decode().strip()
        except DiffError:
            raise DiffError(f"{ref!r} is not a revision of {self.top}",
                            hint="fetch it first, e.g. git fetch origin main") from None

    def default_branch(self) -> str:
        """origin/HEAD if it is set, else the first of origin/main, origin/master, main, master that exists."""
        try:
            symbolic = _git(self.top, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
            return symbolic.decode().strip()
        except DiffError:
            pass
        for candidate in ("origin/main", "origin/master", "main", "master"):
            try:
                self.commit(candidate)
                return candidate
            except DiffError:
                continue
        raise DiffError(f"cannot find the default branch of {self.top}",
                        hint="name the base revision with --base REF")

    def merge_base(self, ref: str, other: str = "HEAD") -> str:
        commits = self.commit(ref), self.commit(other)
        try:
            return _git(self.top, "merge-base", *commits).decode().strip()
        except DiffError:
            raise DiffError(f"{ref} and {other} have no common ancestor in {self.top}",
                            hint="a shallow clone lacks it: fetch the history, or give --base") from None

    def read(self, ref: str) -> dict[str, str]:
        """The tree's files at a revision, read from git's objects: nothing on disk changes."""
        commit = self.commit(ref)
        listing = _git(self.top, "ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options", commit, "--",
                       self.prefix or ".")
        entries = []
        files = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            mode, kind, sha, size = meta.decode().split()
            relative = path.decode("utf-8", "surrogateescape")[len(self.prefix):]
            if kind != "blob" or mode == "120000" or _ignored(relative):
                continue
            if int(size) > MAX_FILE_BYTES:
                files[relative] = _too_large(int(size))
            else:
                entries.append((relative, sha))
        if not entries:
            return dict(sorted(files.items()))
        batch = _git(self.top, "cat-file", "--batch", input_bytes="".join(f"{sha}\n" for _, sha in entries).encode())
        offset = 0
        for relative, _sha in entries:
            header_end = batch.index(b"\n", offset)
            length = int(batch[offset:header_end].split()[2])
            start = header_end + 1
            files[relative] = _text(batch[start:start + length])
            offset = start + length + 1
        return dict(sorted(files.items()))

    def read_working_tree(self) -> dict[str, str]:
        """The tree's files as they are on disk: tracked and untracked, without those git ignores."""
        listing = _git(self.top, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name",
                       "--", f":(top,literal){self.prefix}" if self.prefix else ":(top)")
        files = {}
        for raw in sorted(set(listing.split(b"\0"))):
            if not raw:
                continue
            name = raw.decode("utf-8", "surrogateescape")
            relative = name[len(self.prefix):]
            if _ignored(relative) or problem(name) is not None:
                continue
            text = _read(self.top / name) if symlink_on_the_way(self.top, name) is None else None
            if text is not None:
                files[relative] = text
        return files


def revision_pair(directory: Path, base: str | None = None, head: str | None = None) -> Pair:
    """The fork at ``base`` and at ``head``: by default the merge-base with the default branch, and the
    working tree."""
    repository = Repository.at(directory)
    if base is None:
        branch = repository.default_branch()
        base_commit = repository.merge_base(branch)
        base_label = f"merge-base with {branch} ({base_commit[:12]})"
    else:
        base_commit = repository.commit(base)
        base_label = f"{base} ({base_commit[:12]})"
    old = repository.read(base_commit)
    if head is None:
        new, head_label = repository.read_working_tree(), WORKING_TREE
    else:
        head_commit = repository.commit(head)
        new, head_label = repository.read(head_commit), f"{head} ({head_commit[:12]})"
    if not old and not new:
        raise DiffError(f"no files under {repository.prefix or '.'} at either revision")
    return Pair(old, new, base_label, head_label)
