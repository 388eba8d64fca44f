"""``argoflow-gen migrate``: rewrite a stack of profile files in the newest format, each file on its own.

The stack is every file the named profiles extend, followed through ``extends`` as a render reads them; presets
are left alone (they ship in every format). Each file of an older format is rewritten in place, its comments
and the rest of its text kept (``migrations.text``); nothing is written unless every file of the stack can be
migrated.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import migrations
from .layers import PRESET_PREFIX, collect, decode
from .writer import write_file


@dataclass(frozen=True)
class Migrated:
    """One file of the stack: the format it is written in, the keys its migration moves, and its text before and
    after (equal when it is already in the newest format)."""

    file: str
    version: str
    moves: tuple[migrations.Move, ...]
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """The change as a unified diff, for review."""
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            f"a/{self.file}", f"b/{self.file}"))


def plan(sources: Iterable[str | Path]) -> list[Migrated]:
    """Every file of the stacks of ``sources``, lowest layer first, each once, with its migrated text; a fleet
    file stands for every profile layer it names. Raises ProfileError (located) when a file cannot be read or
    migrated; nothing is written."""
    seen: set[Path] = set()
    found: list[Migrated] = []
    for layer in collect(_profiles(sources)):
        if layer.base is None:  # a preset
            continue
        path = Path(layer.label).resolve()
        if path in seen:
            continue
        seen.add(path)
        before = decode(path.read_bytes(), layer.label)
        after = migrations.text(before, layer.label)
        moves = tuple(migrations.changes(_data(before, layer.label)))
        found.append(Migrated(layer.label, layer.version, moves, before, after))
    return found


def _profiles(sources: Iterable[str | Path]) -> list[str]:
    """The sources, with each fleet file replaced by its base and its clusters' layers (as paths from here)."""
    from .fleet import load_fleet

    found: list[str] = []
    for source in map(str, sources):
        path = Path(source)
        if source.startswith(PRESET_PREFIX) or not path.is_file() or _kind(source) != "Fleet":
            found.append(source)
            continue
        fleet = load_fleet(path)
        for layer in (*fleet.base, *(layer for cluster in fleet.clusters for layer in cluster.layers)):
            found.append(layer if layer.startswith(PRESET_PREFIX) else os.path.relpath(layer))
    return found


def _kind(file: str) -> object:
    data = _data(decode(Path(file).read_bytes(), file), file)
    return data.get("kind") if isinstance(data, dict) else None


def _data(text: str, file: str) -> object:
    from .yamlio import load

    return load(text, file).data


def write(files: Iterable[Migrated]) -> None:
    """Rewrite each changed file in place (atomically; through a symbolic link to its target), keeping its mode."""
    for migrated in files:
        if not migrated.changed:
            continue
        path = Path(migrated.file).resolve()
        mode = os.stat(path).st_mode & 0o7777
        write_file(path, migrated.after)
        os.chmod(path, mode)


__all__ = ["Migrated", "plan", "write"]
