"""The trust gate: every path that comes from a fork's files (its state files, a pull request's file names,
a kustomization) passes here before anything is read, written or removed at it.

A relative path passes when it is relative, normalised (no empty, ``.`` or ``..`` part), free of NUL and
within length limits. A folder on the way to it must not be a symlink. Reads are bounded: regular files
only (never a FIFO, a device or a symlink), never more than a stated number of bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import StateError

MAX_PATH_CHARS = 4096
MAX_PART_CHARS = 255
MAX_PARTS = 64


def problem(relative: object) -> str | None:
    """Why ``relative`` is not a plain relative path inside a folder; None when it is one."""
    if not isinstance(relative, str):
        return "not a string"
    if not relative:
        return "empty"
    if "\0" in relative:
        return "contains a NUL character"
    if len(relative) > MAX_PATH_CHARS:
        return f"longer than {MAX_PATH_CHARS} characters"
    if relative.startswith("/"):
        return "absolute"
    parts = relative.split("/")
    if len(parts) > MAX_PARTS:
        return f"deeper than {MAX_PARTS} folders"
    for part in parts:
        if part in ("", ".", ".."):
            return "not normalised (an empty, '.' or '..' part)"
        if len(part) > MAX_PART_CHARS:
            return f"a name longer than {MAX_PART_CHARS} characters"
    return None


def check_relative(relative: object, *, source: str, hint: str = "restore the file from git") -> str:
    """``relative`` if it is a plain relative path; else a StateError naming ``source`` (where it was read)."""
    reason = problem(relative)
    if reason is not None:
        raise StateError(f"{source}: refusing the path {str(relative)[:200]!r}: {reason}", hint=hint)
    assert isinstance(relative, str)
    return relative


def symlink_on_the_way(root: Path, relative: str, known: set[str] | None = None) -> Path | None:
    """The first folder on the way from ``root`` to ``relative`` that is a symlink, if any (the last part,
    the file itself, is not checked: a write replaces it, a read refuses it).

    ``known`` (one operation's memo, never kept past it) holds the folders, relative to ``root``, already seen to
    be real folders: each folder of a tree is then looked at once, not once per file below it."""
    base = os.fspath(root)
    folder = ""
    for part in relative.split("/")[:-1]:
        folder = f"{folder}/{part}" if folder else part
        if known is not None and folder in known:
            continue
        try:
            mode = os.lstat(f"{base}/{folder}").st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(mode):
            return Path(base, folder)
        if known is not None and stat.S_ISDIR(mode):
            known.add(folder)
    return None


def confine(root: Path, relative: object, *, source: str, known: set[str] | None = None) -> Path:
    """``root / relative`` once the gate passes it and no folder on the way is a symlink (``known``: see
    ``symlink_on_the_way``)."""
    checked = check_relative(relative, source=source)
    link = symlink_on_the_way(root, checked, known)
    if link is not None:
        raise StateError(f"refusing {checked}: {link} is a symlink",
                         hint="argoflow-gen never reads or writes through symlinks; replace it with a folder")
    return root / checked


class NotRegular(Exception):
    """The path is a symlink, a folder, a FIFO, a device or a socket."""


def read_bounded(path: Path | str, limit: int, *, what: str = "") -> bytes | None:
    """The bytes of a regular file, None if there is none. A symlink or special file raises NotRegular; a file
    over ``limit`` bytes raises a StateError. Never blocks on a FIFO, never reads more than ``limit + 1``."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegular(str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(str(path))
        if info.st_size > limit:
            raise StateError(f"{what or path} is {info.st_size} bytes, over the limit of {limit} bytes",
                             hint="a file this size was not written by argoflow-gen")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise StateError(f"{what or path} is over the limit of {limit} bytes")
        return data
    finally:
        os.close(fd)


def is_real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder and not a symlink to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def exists_no_follow(path: Path) -> bool:
    try:
        os.lstat(path)
        return True
    except OSError:
        return False
