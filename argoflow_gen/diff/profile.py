"""What changed in the profile: the resolved profiles the two trees record, compared key by key.

A reviewer reads this first: ``spec.kubeflow.version: 1.10.2 → 1.11.0`` says more than a thousand lines of
built manifests. The records come from the trees (``.argoflow-gen/profile.yaml``), so this works for every
input mode, and they are hostile like any file of a pull request: read with the diff's bounded YAML reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..state import PROFILE_RECORD
from ..yamlemit import dump_inline
from ..yamlio import format_path
from . import _yaml

#: Keys whose values are not shown, only that they changed.
_HIDDEN = ("passwordHash",)
_WIDTH = 120


@dataclass(frozen=True)
class ProfileChange:
    """One key of the resolved profile: ``old``/``new`` as short inline YAML, None where absent."""

    path: str
    old: str | None
    new: str | None

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


def _record(tree: Mapping[str, str]) -> Mapping[str, Any] | None:
    text = tree.get(PROFILE_RECORD)
    if text is None:
        return None
    try:
        documents = _yaml.load_all(text)
    except _yaml.YamlError:
        return None
    return documents[0] if len(documents) == 1 and isinstance(documents[0], Mapping) else None


def _leaves(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(value, Mapping) and value:
        for key, child in value.items():
            yield from _leaves(child, (*path, str(key)))
    else:
        yield path, value


def _shown(path: tuple[str | int, ...], value: Any) -> str:
    if any(str(part) in _HIDDEN for part in path):
        return "(hidden)"
    text = value if isinstance(value, str) else dump_inline(value)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def profile_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[ProfileChange, ...]:
    """Every key of the recorded profile whose value differs, in the order of the new record."""
    before, after = _record(old), _record(new)
    if before is None or after is None:
        return ()
    old_leaves = dict(_leaves(before, ()))
    new_leaves = dict(_leaves(after, ()))
    changes = []
    for path in [*new_leaves, *(path for path in old_leaves if path not in new_leaves)]:
        if old_leaves.get(path, ...) == new_leaves.get(path, ...):
            continue
        changes.append(ProfileChange(
            format_path(path),
            _shown(path, old_leaves[path]) if path in old_leaves else None,
            _shown(path, new_leaves[path]) if path in new_leaves else None,
        ))
    return tuple(changes)
