"""Reading a fork's state files from disk (bounded, through the gate), the pristine copy and the journal."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import StateError
from .gate import NotRegular, check_relative, exists_no_follow, is_real_folder, read_bounded, symlink_on_the_way
from .lock import Lock, parse_lock
from .names import (
    COMMITTED,
    JOURNAL,
    LOCK_FILE,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_JOURNAL_BYTES,
    MAX_LOCK_BYTES,
    MAX_PRISTINE_BYTES,
    PRISTINE,
    STATE_DIR,
    STATE_IGNORE,
)

_STATE_TARGETS = (*COMMITTED, STATE_IGNORE)  # the only files of the state folder a journal may move or delete
_STAGED = re.compile(rf"{re.escape(STATE_DIR)}/staging/[0-9]{{5,6}}")
#: What ``current_text`` returns for a path that holds something other than a readable regular file.
NOT_REGULAR = "\0not-a-regular-file"
UNREADABLE = "\0unreadable"


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def require_state_folder(directory: Path) -> bool:
    """Whether ``directory`` has a state folder; a StateError if ``.argoflow-gen`` is there but is not a real
    folder (a symlink, a file): argoflow-gen never follows it anywhere."""
    state = Path(directory) / STATE_DIR
    if not exists_no_follow(state):
        return False
    if not is_real_folder(state):
        raise StateError(f"{state} is not a folder (a symlink or a file)",
                         hint="remove it; argoflow-gen keeps its state in a real folder inside the fork")
    return True


def _read_state(directory: Path, relative: str, limit: int) -> str | None:
    if not require_state_folder(directory):
        return None
    path = Path(directory) / relative
    try:
        raw = read_bounded(path, limit, what=relative)
    except NotRegular:
        raise StateError(f"{path} is not a regular file (a symlink, a folder or a special file)",
                         hint="restore it from git") from None
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise StateError(f"{path} is not UTF-8 text", hint="restore it from git") from None


def read_lock(directory: Path) -> Lock | None:
    """The lock of an earlier render in ``directory``, None if there is none."""
    text = _read_state(directory, LOCK_FILE, MAX_LOCK_BYTES)
    if text is None:
        return None
    lock = parse_lock(text, str(Path(directory) / LOCK_FILE))
    if len(lock.files) + len(lock.seeds) > MAX_ENTRIES:
        raise StateError(f"{Path(directory) / LOCK_FILE} lists more than {MAX_ENTRIES} files")
    return lock


# ------------------------------------------------------------------------------------------- pristine


def pristine_text(files: Mapping[str, str]) -> str:
    """The generated files, as rendered, in one deterministic JSON document."""
    kept = {path: text for path, text in sorted(files.items()) if path not in (PRISTINE, LOCK_FILE)}
    return json.dumps(kept, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


def parse_pristine(text: str, file: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise StateError(f"{file} is damaged (not JSON)", hint="restore it from git") from None
    if not isinstance(data, dict) or len(data) > MAX_ENTRIES:
        raise StateError(f"{file} is damaged (not a mapping of paths to texts)", hint="restore it from git")
    pristine = {}
    for path, content in data.items():
        if not isinstance(content, str):
            raise StateError(f"{file}: the text of {str(path)[:200]!r} is not a string", hint="restore it from git")
        pristine[check_relative(path, source=file)] = content
    return pristine


def read_pristine(directory: Path) -> dict[str, str] | None:
    text = _read_state(directory, PRISTINE, MAX_PRISTINE_BYTES)
    return None if text is None else parse_pristine(text, str(Path(directory) / PRISTINE))


# -------------------------------------------------------------------------------------------- journal


@dataclass(frozen=True)
class Journal:
    """A committed write: staged files to move into place, and files to delete."""

    moves: tuple[tuple[str, str], ...]
    deletes: tuple[str, ...]


def format_journal(journal: Journal) -> str:
    return json.dumps({"moves": [list(move) for move in journal.moves], "deletes": list(journal.deletes)})


def parse_journal(text: str, file: str) -> Journal:
    hint = "it was not written by argoflow-gen: delete it after checking the folder"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise StateError(f"{file} is damaged (not JSON)", hint=hint) from None
    moves_raw = data.get("moves") if isinstance(data, dict) else None
    deletes_raw = data.get("deletes") if isinstance(data, dict) else None
    if not isinstance(moves_raw, list) or not isinstance(deletes_raw, list) \
            or len(moves_raw) + len(deletes_raw) > MAX_ENTRIES:
        raise StateError(f"{file} is damaged (not a journal of moves and deletions)", hint=hint)
    moves = []
    for move in moves_raw:
        if not (isinstance(move, list) and len(move) == 2 and isinstance(move[0], str)
                and _STAGED.fullmatch(move[0])):
            raise StateError(f"{file}: a move that does not start from the staging folder: {str(move)[:200]}",
                             hint=hint)
        moves.append((move[0], check_relative(move[1], source=file, hint=hint)))
    deletes = tuple(check_relative(path, source=file, hint=hint) for path in deletes_raw)
    targets = [target for _staged, target in moves] + list(deletes)
    if any(target == STATE_DIR or (target.startswith(f"{STATE_DIR}/") and target not in _STATE_TARGETS)
           for target in targets):
        raise StateError(f"{file}: a move or deletion inside {STATE_DIR}/ that is not a state file", hint=hint)
    return Journal(tuple(moves), deletes)


def read_journal(directory: Path) -> Journal | None:
    text = _read_state(directory, JOURNAL, MAX_JOURNAL_BYTES)
    return None if text is None else parse_journal(text, str(Path(directory) / JOURNAL))


def pending_write(directory: Path) -> bool:
    """Whether a committed write waits to be finished (a journal exists). Reads nothing else."""
    return require_state_folder(directory) and exists_no_follow(Path(directory) / JOURNAL)


# ----------------------------------------------------------------------------------------- fork files


def current_text(directory: Path, relative: str, known: set[str] | None = None) -> str | None:
    """The text of the fork's file at a gated ``relative`` path: None if absent, NOT_REGULAR for a symlink,
    folder or special file (or a path through a symlinked folder), UNREADABLE for one that cannot be read
    as UTF-8 text within MAX_FILE_BYTES. ``known``: one operation's memo of real folders (``symlink_on_the_way``)."""
    if symlink_on_the_way(directory, relative, known) is not None:
        return NOT_REGULAR
    try:
        raw = read_bounded(f"{os.fspath(directory)}/{relative}", MAX_FILE_BYTES)
    except NotRegular:
        return NOT_REGULAR
    except (StateError, OSError):
        return UNREADABLE
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return UNREADABLE

