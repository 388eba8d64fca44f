"""The one module that writes files.

A tree is written as one transaction: every new file is first staged inside ``.argoflow-gen/staging``, then
a journal naming every move and deletion is committed with one atomic rename, then the moves are applied.
A write interrupted before the commit is rolled back, one interrupted after it is rolled forward, by the
next command that opens the folder: the folder always ends up holding the complete old tree or the complete
new one. This protects against a killed process; like git's own working-tree writes, files are not fsynced
one by one. Files the generator does not own are never touched; a folder lock keeps two writers apart;
nothing is written through a symlink.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError

STATE_DIR = ".argoflow-gen"
LOCK_FILE = f"{STATE_DIR}/lock.yaml"
PRISTINE = f"{STATE_DIR}/pristine.json"  # the generated files as rendered: the base of three-way updates
PROFILE_RECORD = f"{STATE_DIR}/profile.yaml"
STATE_IGNORE = f"{STATE_DIR}/.gitignore"
STATE_IGNORE_TEXT = "# Working files of a write in progress; never committed.\n/write.lock\n/staging/\n/journal.json*\n"
_JOURNAL = f"{STATE_DIR}/journal.json"
_STAGING = f"{STATE_DIR}/staging"
_MUTEX = f"{STATE_DIR}/write.lock"
LOCK_WAIT_SECONDS = 120.0


def pristine_text(files: Mapping[str, str]) -> str:
    """The generated files, as rendered, in one deterministic JSON document."""
    kept = {path: text for path, text in sorted(files.items()) if path not in (PRISTINE, LOCK_FILE)}
    return json.dumps(kept, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def read_pristine(directory: Path) -> dict[str, str] | None:
    path = Path(directory) / PRISTINE
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise OutputError(f"{path} is damaged", hint="restore it from git") from None
    return {str(k): str(v) for k, v in data.items()}


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_file(path: Path, text: str) -> None:
    """Write one file atomically (a temporary file beside it, fsync, rename)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Plan:
    """What writing a tree into a folder does, file by file (paths relative to the folder)."""

    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    seed: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()  # generated files changed by hand since the last render
    foreign: tuple[str, ...] = ()  # files not written by the generator that the tree would replace
    kept: tuple[str, ...] = ()  # files no longer generated, kept because they were edited

    @property
    def changes(self) -> bool:
        return bool(self.create or self.update or self.delete or self.seed)

    def rows(self) -> list[tuple[str, str]]:
        """(action, path) for every file, sorted by path."""
        rows = [(action, path) for action in ("create", "update", "unchanged", "delete", "seed", "kept")
                for path in getattr(self, action)]
        return sorted(rows, key=lambda row: (row[1], row[0]))


@dataclass(frozen=True)
class Previous:
    """What the lock file of an earlier render says: generated files and seeds, with their hashes."""

    files: Mapping[str, str] = field(default_factory=dict)
    seeds: Mapping[str, str] = field(default_factory=dict)


def read_previous(directory: Path) -> Previous | None:
    """The lock of an earlier render in ``directory``, or None if there is none."""
    lock = directory / LOCK_FILE
    if lock.is_symlink() or not lock.is_file():
        return None
    from .lockfile import parse_lock

    parsed = parse_lock(lock.read_text(encoding="utf-8"), str(lock))
    return Previous(files=parsed.files, seeds=parsed.seeds)


class Generated(Mapping[str, str]):
    """The generated files of an earlier render in a folder (as its lock lists them), by path, each read
    only when asked for: a render needs a few of them (its sealed values), not all."""

    def __init__(self, directory: Path, paths: Iterable[str]) -> None:
        self.directory = directory
        self.paths = tuple(paths)
        self._read: dict[str, str | None] = {}

    def _text(self, relative: str) -> str | None:
        if relative not in self._read:
            text = _current(self.directory / relative) if relative in self.paths else None
            self._read[relative] = None if text is None or text.startswith("\0") else text
        return self._read[relative]

    def __getitem__(self, relative: str) -> str:
        text = self._text(relative)
        if text is None:
            raise KeyError(relative)
        return text

    def __iter__(self) -> Iterator[str]:
        return (relative for relative in self.paths if self._text(relative) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def read_generated(directory: Path) -> Mapping[str, str]:
    """The generated files of an earlier render in ``directory`` (as its lock lists them), by path."""
    directory = Path(directory)
    previous = read_previous(directory) if directory.is_dir() else None
    if previous is None:
        return {}
    return Generated(directory, [*previous.files, LOCK_FILE])


def _current(path: Path) -> str | None:
    """The text of a regular file, None if absent; a symlink or folder reads as a sentinel."""
    try:
        if path.is_symlink() or path.is_dir():
            return "\0not-a-regular-file"
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, OSError):
        return "\0unreadable"


def _check_inside(directory: Path, relative: str) -> None:
    """Refuse a path that leaves the folder or passes through a symlink."""
    parts = relative.split("/")
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OutputError(f"refusing to write {relative!r}: not a plain path inside the output folder")
    probe = directory
    for part in parts[:-1]:
        probe = probe / part
        if probe.is_symlink():
            raise OutputError(f"refusing to write {relative}: {probe} is a symlink",
                              hint="the generator never writes through symlinks; replace it with a folder")


def classify(directory: Path) -> str:
    """'missing', 'empty', 'render' (holds an earlier render) or 'other'."""
    if not directory.exists():
        return "missing"
    if not directory.is_dir():
        return "other"
    if (directory / LOCK_FILE).is_file() or (directory / _JOURNAL).is_file():
        return "render"
    entries = [entry for entry in directory.iterdir() if entry.name not in (".git", STATE_DIR)]
    return "empty" if not entries else "other"


def plan(files: Mapping[str, str], seeds: Mapping[str, str], directory: Path) -> Plan:
    """Compare a tree with a folder, without writing anything."""
    directory = Path(directory)
    if classify(directory) in ("missing", "empty"):  # nothing to compare: every file is new
        return Plan(create=tuple(sorted(files)), seed=tuple(sorted(seeds)))
    previous = read_previous(directory) if directory.is_dir() else None
    old = previous.files if previous else {}
    create, update, unchanged, delete, seed, edited, foreign, kept = ([] for _ in range(8))
    for relative, text in files.items():
        current = _current(directory / relative)
        if current is None:
            create.append(relative)
        elif current == text:
            unchanged.append(relative)
        else:
            update.append(relative)
            if relative == LOCK_FILE and previous is not None:
                continue  # the lock is rewritten by every render; it never lists itself
            if relative not in old:
                foreign.append(relative)
            elif sha256(current) != old[relative]:
                edited.append(relative)
    for relative in seeds:
        if _current(directory / relative) is None:
            seed.append(relative)
    for relative, digest in old.items():
        if relative in files or relative in seeds:
            continue
        current = _current(directory / relative)
        if current is None:
            continue
        if sha256(current) == digest:
            delete.append(relative)
        else:
            kept.append(relative)
    return Plan(*(tuple(sorted(group)) for group in (create, update, unchanged, delete, seed, edited, foreign, kept)))


@contextlib.contextmanager
def folder_lock(directory: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the folder's write lock; a second writer waits up to ``wait`` seconds, then fails cleanly."""
    import fcntl

    state = directory / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    handle = open(directory / _MUTEX, "a+b")  # noqa: SIM115 - held for the duration of the context
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(f"{directory} is being written by another argoflow-gen process",
                                      hint="wait for it to finish and run again") from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()


def recover(directory: Path) -> str | None:
    """Finish or undo an interrupted write. Returns 'rolled forward', 'rolled back' or None."""
    journal = directory / _JOURNAL
    staging = directory / _STAGING
    if journal.is_file():
        entries = json.loads(journal.read_text(encoding="utf-8"))
        made: set[Path] = set()
        for staged, target in entries["moves"]:
            source = directory / staged
            if source.exists():
                destination = directory / target
                if destination.parent not in made:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    made.add(destination.parent)
                os.replace(source, destination)
        for target in entries["deletes"]:
            with contextlib.suppress(FileNotFoundError):
                (directory / target).unlink()
            _prune_empty(directory, (directory / target).parent)
        shutil.rmtree(staging, ignore_errors=True)
        journal.unlink()
        return "rolled forward"
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
        return "rolled back"
    return None


def _prune_empty(directory: Path, folder: Path) -> None:
    """Remove folders left empty by a deletion, up to (not including) the output folder."""
    top = directory.resolve()
    while folder.resolve() != top and folder.is_dir() and not folder.is_symlink():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def write_tree(files: Mapping[str, str], seeds: Mapping[str, str], directory: Path, *,
               force: bool = False) -> Plan:
    """Write ``files`` (owned by the generator) and ``seeds`` (written once, then the user's) to ``directory``.

    Refuses, leaving everything as it was: a non-empty folder that holds no earlier render (unless
    ``force``), generated files edited by hand or files of the user's in the way (unless ``force``),
    paths through symlinks. Files the generator does not own are kept.
    """
    directory = Path(directory)
    kind = classify(directory)
    if kind == "other" and not force:
        raise OutputError(f"{directory} is not empty and holds no earlier render",
                          hint="choose an empty or new folder, or pass --force to render into it anyway")
    for relative in [*files, *seeds]:
        _check_inside(directory, relative)
    if kind == "missing" and _write_new_folder(files, seeds, directory):
        return Plan(create=tuple(sorted(files)), seed=tuple(sorted(seeds)))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    try:
        with folder_lock(directory):
            recover(directory)
            result = plan(files, seeds, directory)
            blocked = result.edited + result.foreign
            if blocked and not force:
                listing = ", ".join(blocked[:10]) + (" ..." if len(blocked) > 10 else "")
                raise OutputError(
                    f"{len(blocked)} file(s) would be overwritten but were not written by the last render "
                    f"or were edited since: {listing}",
                    hint="use `argoflow-gen update` to merge your edits, or --force to overwrite them",
                )
            _apply(directory, files, seeds, result)
            return result
    except OSError as exc:
        raise OutputError(f"cannot write to {directory}: {exc.strerror or exc}",
                          hint="the folder was left as it was") from None


def _write_new_folder(files: Mapping[str, str], seeds: Mapping[str, str], directory: Path) -> bool:
    """A folder that does not exist yet is built beside it and renamed into place: one atomic step, and
    half the file operations of a journaled write. False if another writer created the folder first."""
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".argoflow-gen", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    try:
        made: set[Path] = {temporary}
        for relative, text in (*files.items(), *seeds.items()):
            target = temporary / relative
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            _stage(target, text)
        os.chmod(temporary, 0o777 & ~_umask())
        os.rename(temporary, directory)
        return True
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and directory.exists():
            return False  # created meanwhile: fall back to the journaled write, under the folder lock
        raise OutputError(f"cannot write to {directory}: {exc.strerror or exc}",
                          hint="nothing was written") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _stage(path: Path, text: str) -> None:
    """Write one staged file (the one place a tree's bytes reach the disk)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _apply(directory: Path, files: Mapping[str, str], seeds: Mapping[str, str], result: Plan) -> None:
    if not result.changes:
        return
    staging = directory / _STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    moves: list[tuple[str, str]] = []
    try:
        wanted = [(relative, files[relative]) for relative in (*result.create, *result.update)]
        wanted += [(relative, seeds[relative]) for relative in result.seed]
        for index, (relative, text) in enumerate(wanted):
            staged = f"{_STAGING}/{index:05d}"
            _stage(directory / staged, text)
            moves.append((staged, relative))
        journal: dict[str, Any] = {"moves": moves, "deletes": list(result.delete)}
        pending = directory / f"{_JOURNAL}.tmp"
        _stage(pending, json.dumps(journal))
        os.replace(pending, directory / _JOURNAL)  # the commit point
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (directory / f"{_JOURNAL}.tmp").unlink()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
            raise OutputError(f"cannot write to {directory}: {exc.strerror}",
                              hint="the folder was left as it was") from None
        raise
    recover(directory)
