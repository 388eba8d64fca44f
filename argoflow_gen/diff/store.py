"""The persistent build cache: each build's documents, stored under the digest of its inputs.

The folder is the user's (``--cache-dir``; by default ``argoflow-gen/diff`` in the user cache folder, see
``usercache``); nothing from a tree chooses a path in it: an entry's name is a digest. On a CI runner its
files are data like any other, so every read is bounded, follows no symlink, and checks the entry's own
content hash: an entry that is corrupted, truncated, a symlink or not a file is discarded, and the build
runs again. Entries are written whole to a temporary file and renamed into place.

An entry is one header line, ``argoflow-gen build cache 1 KEY SHA256 SIZE``, then SIZE bytes of JSON lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..errors import StateError
from ..state.gate import NotRegular, is_real_folder, read_bounded, symlink_on_the_way
from ..usercache import cache_dir

MAGIC = "argoflow-gen build cache 1"
MAX_ENTRY_BYTES = 512 << 20
KEEP_UNUSED_SECONDS = 30 * 24 * 3600
_KEY = re.compile(r"[0-9a-f]{64}")


def default_cache_dir() -> Path | None:
    """``<user cache>/argoflow-gen/diff``; None when ``ARGOFLOW_GEN_NO_CACHE`` is set or it cannot be made."""
    return cache_dir("diff")


class BuildStore:
    """Entries under ``root/builds``: ``get`` a verified entry's lines, ``put`` a new one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.discarded = 0  # entries found broken and removed, this run

    def _relative(self, key: str) -> str:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key[:80]!r}")
        return f"builds/{key[:2]}/{key}.jsonl"

    def get(self, key: str) -> list[str] | None:
        """The lines stored for ``key``, or None when there is no sound entry (a broken one is removed)."""
        relative = self._relative(key)
        if symlink_on_the_way(self.root, relative) is not None:
            return None
        path = self.root / relative
        try:
            raw = read_bounded(path, MAX_ENTRY_BYTES)
        except (NotRegular, StateError, OSError):
            self._discard(path)
            return None
        if raw is None:
            return None
        header, newline, payload = raw.partition(b"\n")
        expected = f"{MAGIC} {key} {hashlib.sha256(payload).hexdigest()} {len(payload)}".encode()
        if not newline or header != expected:
            self._discard(path)
            return None
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            self._discard(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path, follow_symlinks=False)  # used: kept by prune
        return text.split("\n")[:-1] if text else []

    def put(self, key: str, lines: Sequence[str]) -> None:
        """Store ``lines`` for ``key``, atomically; a cache that cannot be written is only not written."""
        relative = self._relative(key)
        folder = self.root / relative.rsplit("/", 1)[0]
        payload = "".join(f"{line}\n" for line in lines).encode("utf-8")
        header = f"{MAGIC} {key} {hashlib.sha256(payload).hexdigest()} {len(payload)}\n".encode()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if symlink_on_the_way(self.root, relative) is not None or not is_real_folder(folder):
                return
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(header)
                stream.write(payload)
            os.replace(temporary, folder / f"{key}.jsonl")
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def discard(self, key: str) -> None:
        """Remove the entry of ``key`` (a stored build found unusable)."""
        relative = self._relative(key)
        if symlink_on_the_way(self.root, relative) is None:
            self._discard(self.root / relative)

    def _discard(self, path: Path) -> None:
        self.discarded += 1
        try:
            os.unlink(path)  # a symlink is removed, never followed
        except IsADirectoryError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass

    def prune(self, now: float | None = None) -> int:
        """Remove entries neither read nor written for KEEP_UNUSED_SECONDS; how many were removed."""
        limit = (time.time() if now is None else now) - KEEP_UNUSED_SECONDS
        removed = 0
        builds = self.root / "builds"
        if not is_real_folder(builds):
            return 0
        for folder in os.scandir(builds):
            if not folder.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(folder.path):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
        return removed
