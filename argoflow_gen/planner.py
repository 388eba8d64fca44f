"""Read-only: what writing a tree into a folder would do (``plan``), and the files of an earlier render.

Every path passes the trust gate of ``argoflow_gen.state``; nothing here writes, locks or recovers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError
from .state import (
    JOURNAL,
    LOCK_FILE,
    STATE_DIR,
    confine,
    current_text,
    is_real_folder,
    pending_write,
    read_lock,
    require_state_folder,
    sha256,
)
from .state.gate import exists_no_follow


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


class Generated(Mapping[str, str]):
    """The generated files of an earlier render in a folder (as its lock lists them), by path, each read
    only when asked for (bounded, through the gate): a render needs a few of them (its sealed values)."""

    def __init__(self, directory: Path, paths: Iterable[str]) -> None:
        self.directory = directory
        self.paths = tuple(paths)
        self._listed = frozenset(self.paths)
        self._read: dict[str, str | None] = {}

    def _text(self, relative: str) -> str | None:
        if relative not in self._read:
            text = current_text(self.directory, relative) if relative in self._listed else None
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
    lock = read_lock(directory) if is_real_folder(directory) else None
    if lock is None:
        return {}
    return Generated(directory, [*lock.files, LOCK_FILE])


def refuse_pending(directory: Path) -> None:
    """A read-only command never replays an interrupted write: it says one is pending instead."""
    if pending_write(directory):
        raise OutputError(f"{directory} has an interrupted write waiting to be finished ({JOURNAL})",
                          hint="run the render again without --check or --dry-run to finish it; "
                               "read-only commands never replay it")


def classify(directory: Path) -> str:
    """'missing', 'empty', 'render' (holds an earlier render) or 'other'."""
    directory = Path(directory)
    if not exists_no_follow(directory):
        return "missing"
    if not directory.is_dir():
        return "other"
    if require_state_folder(directory) and (exists_no_follow(directory / LOCK_FILE)
                                            or exists_no_follow(directory / JOURNAL)):
        return "render"
    entries = [entry for entry in directory.iterdir() if entry.name not in (".git", STATE_DIR)]
    return "empty" if not entries else "other"


def plan(files: Mapping[str, str], seeds: Mapping[str, str], directory: Path) -> Plan:
    """Compare a tree with a folder, without writing anything."""
    directory = Path(directory)
    known: set[str] = set()  # folders seen to be real folders, during this plan only
    for relative in [*files, *seeds]:
        confine(directory, relative, source="the rendered tree", known=known)
    if classify(directory) in ("missing", "empty"):  # nothing to compare: every file is new
        return Plan(create=tuple(sorted(files)), seed=tuple(sorted(seeds)))
    previous = read_lock(directory)
    old = previous.files if previous else {}
    create, update, unchanged, delete, seed, edited, foreign, kept = ([] for _ in range(8))
    for relative, text in files.items():
        current = current_text(directory, relative, known)
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
        if current_text(directory, relative, known) is None:
            seed.append(relative)
    for relative, digest in old.items():
        if relative in files or relative in seeds:
            continue
        current = current_text(directory, relative, known)
        if current is None:
            continue
        if sha256(current) == digest:
            delete.append(relative)
        else:
            kept.append(relative)
    return Plan(*(tuple(sorted(group)) for group in (create, update, unchanged, delete, seed, edited, foreign, kept)))
