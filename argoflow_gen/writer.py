"""The one module that writes files.

A tree is written as one transaction: every new file is first staged inside ``.argoflow-gen/staging``, then
a journal naming every move and deletion is committed with one atomic rename, then the moves are applied.
A write interrupted before the commit is rolled back, one interrupted after it is rolled forward, by the
next command that writes to the folder: the folder always ends up holding the complete old tree or the
complete new one. This protects against a killed process; like git's own working-tree writes, files are
not fsynced one by one. Files the generator does not own are never touched; a folder lock keeps two writers
apart, from planning to commit; nothing is written through a symlink, and every path (from a render, a
lock or a journal) passes the trust gate of ``argoflow_gen.state``. Read-only commands never come here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .errors import OutputError, StateError
from .planner import Plan, classify, plan
from .state import (
    JOURNAL,
    MUTEX,
    STAGING,
    STATE_DIR,
    Journal,
    confine,
    format_journal,
    is_real_folder,
    read_journal,
    require_state_folder,
)
from .state.gate import exists_no_follow

LOCK_WAIT_SECONDS = 120.0
PENDING = f"{JOURNAL}.tmp"  # the journal being written, before the commit point renames it into place


def write_file(path: Path, text: str) -> None:
    """Write one file of the user's (not part of a tree) atomically: a temporary file beside it, fsync,
    rename; the user's umask applies."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, 0o666 & ~_umask())
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


@contextlib.contextmanager
def folder_lock(directory: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the folder's write lock; a second writer waits up to ``wait`` seconds, then fails cleanly."""
    import fcntl

    wait = LOCK_WAIT_SECONDS if wait is None else wait
    if not require_state_folder(directory):
        (directory / STATE_DIR).mkdir(parents=True, exist_ok=True)
        require_state_folder(directory)
    try:
        fd = os.open(directory / MUTEX, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise OutputError(f"cannot lock {directory}: {exc.strerror}",
                          hint=f"{MUTEX} must be a regular file the user can write") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(f"{directory} is being written by another argoflow-gen process",
                                      hint="wait for it to finish and run again") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def recover(directory: Path) -> str | None:
    """Finish or undo an interrupted write. Returns 'rolled forward', 'rolled back' or None.

    Call it holding the folder lock. The journal is read through the gate: a journal that names a path
    outside the folder, or a move that does not start in the staging folder, is refused before anything
    is moved or deleted.
    """
    directory = Path(directory)
    if not require_state_folder(directory):
        return None
    journal = read_journal(directory)
    staging = directory / STAGING
    if journal is not None:
        known: set[str] = set()
        for target in [target for _staged, target in journal.moves] + list(journal.deletes):
            confine(directory, target, source=str(directory / JOURNAL), known=known)
        made: set[Path] = set()
        for staged, target in journal.moves:
            source = directory / staged
            if exists_no_follow(source):
                destination = directory / target
                if destination.parent not in made:
                    _make_folders(directory, target)
                    made.add(destination.parent)
                os.replace(source, destination)
        for target in journal.deletes:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (directory / target).unlink()
            _prune_empty(directory, target)
        _remove_staging(directory)
        _remove_pending(directory)
        (directory / JOURNAL).unlink()
        return "rolled forward"
    if exists_no_follow(staging) or exists_no_follow(directory / PENDING):  # killed before the commit point
        _remove_staging(directory)
        _remove_pending(directory)
        return "rolled back"
    return None


def _remove_pending(directory: Path) -> None:
    """Remove a journal that was being written when a write stopped (never followed: a symlink is removed)."""
    with contextlib.suppress(FileNotFoundError):
        (directory / PENDING).unlink()


def _remove_staging(directory: Path) -> None:
    staging = directory / STAGING
    if is_real_folder(staging):
        shutil.rmtree(staging, ignore_errors=True)
    elif exists_no_follow(staging):
        staging.unlink()  # a symlink or a file where the staging folder belongs: removed, never followed


def _make_folders(directory: Path, relative: str) -> None:
    """Create the folders of ``relative`` inside ``directory``, refusing to pass through a symlink."""
    probe = directory
    for part in relative.split("/")[:-1]:
        probe = probe / part
        try:
            probe.mkdir()
        except FileExistsError:
            if not is_real_folder(probe):
                raise StateError(f"refusing to write {relative}: {probe} is not a folder (a symlink or a file)",
                                 hint="the generator never writes through symlinks; replace it with a folder") \
                    from None


def _check_folders(directory: Path, relative: str, known: set[str]) -> None:
    """Refuse a path whose folders exist as something other than real folders (``known``: the folders already
    seen to be real ones, during this write)."""
    base = os.fspath(directory)
    folder = ""
    for part in relative.split("/")[:-1]:
        folder = f"{folder}/{part}" if folder else part
        if folder in known:
            continue
        try:
            mode = os.lstat(f"{base}/{folder}").st_mode
        except FileNotFoundError:
            return
        except NotADirectoryError:
            mode = 0
        if not stat.S_ISDIR(mode):
            raise OutputError(f"cannot write {relative}: {directory / folder} is not a folder (a symlink or a file)",
                              hint="the generator never writes through symlinks; move it out of the way")
        known.add(folder)


def _prune_empty(directory: Path, relative: str) -> None:
    """Remove folders left empty by deleting ``relative``, from its own folder up to (never including) the
    output folder; a symlink is never followed or removed."""
    parts = relative.split("/")[:-1]
    while parts:
        folder = directory.joinpath(*parts)
        if not is_real_folder(folder):
            return
        try:
            folder.rmdir()
        except OSError:
            return
        parts.pop()


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
    known: set[str] = set()
    for relative in [*files, *seeds]:
        confine(directory, relative, source="the rendered tree", known=known)
    if kind == "missing" and _write_new_folder(files, seeds, directory):
        return Plan(create=tuple(sorted(files)), seed=tuple(sorted(seeds)))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}") from None
    with transaction(directory):
        result = plan(files, seeds, directory)
        refused = refusal(result)
        if refused is not None and not force:
            raise refused
        writes = {relative: files[relative] for relative in (*result.create, *result.update)}
        writes.update({relative: seeds[relative] for relative in result.seed})
        commit(directory, writes, result.delete)
        return result


def refusal(result: Plan) -> OutputError | None:
    """Why writing ``result`` is refused without --force: generated files edited by hand, or files of the
    user's where the tree writes; None when nothing is in the way."""
    blocked = result.edited + result.foreign
    if not blocked:
        return None
    listing = ", ".join(blocked[:10]) + (" ..." if len(blocked) > 10 else "")
    return OutputError(f"{len(blocked)} file(s) would be overwritten but were not written by the last render "
                       f"or were edited since: {listing}",
                       hint="use `argoflow-gen update` to merge your edits, or --force to overwrite them")


@contextlib.contextmanager
def transaction(directory: Path) -> Iterator[None]:
    """Hold the folder lock and finish or undo any interrupted write first: plan and ``commit`` inside it."""
    directory = Path(directory)
    try:
        with folder_lock(directory):
            recover(directory)
            yield
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
        root = os.fspath(temporary)
        made: set[str] = {""}
        for relative, text in (*files.items(), *seeds.items()):
            folder = relative.rpartition("/")[0]
            if folder not in made:
                os.makedirs(f"{root}/{folder}", exist_ok=True)
                made.add(folder)
            _stage(f"{root}/{relative}", text)
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


def _stage(path: Path | str, text: str) -> None:
    """Write one staged file (the one place a tree's bytes reach the disk)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def commit(directory: Path, writes: Mapping[str, str], deletes: Iterable[str]) -> None:
    """Write ``writes`` and delete ``deletes`` (paths relative to ``directory``) as one transaction.

    Call it inside ``transaction(directory)``. On a full or read-only disk before the commit point, the
    folder is left exactly as it was.
    """
    deletes = tuple(deletes)
    if not writes and not deletes:
        return
    known: set[str] = set()
    for relative in [*writes, *deletes]:
        confine(directory, relative, source="the plan", known=known)
    staging = directory / STAGING
    _remove_staging(directory)
    moves: list[tuple[str, str]] = []
    pending = directory / PENDING
    try:
        staging.mkdir(parents=True)
        for index, (relative, text) in enumerate(writes.items()):
            staged = f"{STAGING}/{index:05d}"
            _stage(directory / staged, text)
            moves.append((staged, relative))
        for _staged, relative in moves:  # checked before the commit point, so that the roll-forward cannot fail
            _check_folders(directory, relative, known)
        _stage(pending, format_journal(Journal(tuple(moves), deletes)))
        os.replace(pending, directory / JOURNAL)  # the commit point
    except OSError as exc:
        _remove_staging(directory)
        with contextlib.suppress(OSError):
            pending.unlink()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
            raise OutputError(f"cannot write to {directory}: {exc.strerror}",
                              hint="the folder was left as it was") from None
        raise
    recover(directory)
