"""Field-level diff of two plain values (parsed YAML/JSON): mappings by key, lists by merge key.

A list of mappings is matched by the first merge key (``name``, ``containerPort``, ``mountPath``, ...) that
every item of both lists has and that is unique within each list, as Kubernetes strategic merge does; a
reorder of matched items is reported, never hidden (the order of ``env`` matters). A list of unique
scalars is compared as a set plus its order. Other lists are aligned with a sequence matcher.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Hashable, Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from .model import FieldChange

#: Merge keys, in the order they are tried.
MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "key", "ip", "type", "topologyKey", "port",
              "path", "uid")

Step = str | int | tuple[str, Any]  # a mapping key, a list index, or (merge key, value) of a list item
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_PLAIN_VALUE = re.compile(r"[^\]\[\s\"=]+")


def format_path(path: Sequence[Step]) -> str:
    """``("spec", "containers", ("name", "app"), "image")`` -> ``spec.containers[name=app].image``."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif isinstance(step, tuple):
            key, value = step
            shown = str(value) if not isinstance(value, str) or _PLAIN_VALUE.fullmatch(value) else json.dumps(value)
            text += f"[{key}={shown}]"
        elif _PLAIN_KEY.fullmatch(step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step, ensure_ascii=False)}]"
    return text


def diff_values(old: Any, new: Any, path: Sequence[Step] = ()) -> list[FieldChange]:
    """Every change from ``old`` to ``new``, in a deterministic order (keys sorted, lists in order)."""
    return list(_diff(old, new, tuple(path)))


def equal(old: Any, new: Any) -> bool:
    """Equal as data, where ``true`` is not ``1`` and ``1`` is not ``1.0`` (Python's ``==`` says they are)."""
    if old is new:
        return True
    if old != new:
        return False
    if isinstance(old, (Mapping, list)):
        try:  # the C encoder keeps the types that == conflates, at the speed of ==
            return _canonical(old) == _canonical(new)
        except TypeError:  # keys that are not all strings
            return _strictly_equal(old, new)
    return type(old) is type(new)


def _strictly_equal(old: Any, new: Any) -> bool:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_strictly_equal(old[key], new[key]) for key in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_strictly_equal(a, b) for a, b in zip(old, new, strict=True))
    return type(old) is type(new) and old == new


def _diff(old: Any, new: Any, path: tuple[Step, ...]) -> Iterator[FieldChange]:
    if equal(old, new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        yield from _diff_mappings(old, new, path)
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path)
    else:
        yield FieldChange(format_path(path), "changed", old, new)


def _diff_mappings(old: Mapping[str, Any], new: Mapping[str, Any], path: tuple[Step, ...]) -> Iterator[FieldChange]:
    for key in sorted({*old, *new}, key=str):
        child = (*path, key)
        if key not in new:
            yield FieldChange(format_path(child), "removed", old=old[key])
        elif key not in old:
            yield FieldChange(format_path(child), "added", new=new[key])
        else:
            yield from _diff(old[key], new[key], child)


def merge_key(old: Sequence[Any], new: Sequence[Any]) -> str | None:
    """The first merge key every item of both lists has, unique within each list; None if there is none."""
    if not old and not new:
        return None
    if not all(isinstance(item, Mapping) for item in (*old, *new)):
        return None
    for key in MERGE_KEYS:
        if all(key in item and isinstance(item[key], Hashable) for item in (*old, *new)) and \
                len({_hashable(item[key]) for item in old}) == len(old) and \
                len({_hashable(item[key]) for item in new}) == len(new):
            return key
    return None


def _hashable(value: Any) -> Any:
    return (type(value).__name__, value)


def _diff_lists(old: list[Any], new: list[Any], path: tuple[Step, ...]) -> Iterator[FieldChange]:
    key = merge_key(old, new)
    if key is not None:
        yield from _diff_keyed(old, new, key, path)
        return
    if _unique_scalars(old) and _unique_scalars(new):
        yield from _diff_scalar_sets(old, new, path)
        return
    yield from _diff_sequences(old, new, path)


def _diff_keyed(old: list[Any], new: list[Any], key: str, path: tuple[Step, ...]) -> Iterator[FieldChange]:
    old_items = {_hashable(item[key]): item for item in old}
    new_items = {_hashable(item[key]): item for item in new}
    old_order = [_hashable(item[key]) for item in old if _hashable(item[key]) in new_items]
    new_order = [_hashable(item[key]) for item in new if _hashable(item[key]) in old_items]
    if old_order != new_order:
        yield FieldChange(format_path(path), "reordered", old=[value for _type, value in old_order],
                          new=[value for _type, value in new_order])
    for item in old:
        if _hashable(item[key]) not in new_items:
            yield FieldChange(format_path((*path, (key, item[key]))), "removed", old=item)
    for item in new:
        marker = _hashable(item[key])
        child = (*path, (key, item[key]))
        if marker not in old_items:
            yield FieldChange(format_path(child), "added", new=item)
        else:
            yield from _diff(old_items[marker], item, child)


def _unique_scalars(items: list[Any]) -> bool:
    if not all(isinstance(item, (str, int, float, bool)) or item is None for item in items):
        return False
    return len({_hashable(item) for item in items}) == len(items)


def _diff_scalar_sets(old: list[Any], new: list[Any], path: tuple[Step, ...]) -> Iterator[FieldChange]:
    old_set = {_hashable(item) for item in old}
    new_set = {_hashable(item) for item in new}
    common_old = [item for item in old if _hashable(item) in new_set]
    common_new = [item for item in new if _hashable(item) in old_set]
    where = format_path(path)
    if common_old != common_new:
        yield FieldChange(where, "reordered", old=common_old, new=common_new)
    for item in old:
        if _hashable(item) not in new_set:
            yield FieldChange(where, "removed", old=item)
    for item in new:
        if _hashable(item) not in old_set:
            yield FieldChange(where, "added", new=item)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _diff_sequences(old: list[Any], new: list[Any], path: tuple[Step, ...]) -> Iterator[FieldChange]:
    old_text = [_canonical(item) for item in old]
    new_text = [_canonical(item) for item in new]
    if Counter(old_text) == Counter(new_text):
        yield FieldChange(format_path(path), "reordered", old=list(range(len(old))),
                          new=[_first_unused(old_text, text, index, new_text) for index, text in enumerate(new_text)])
        return
    matcher = SequenceMatcher(None, old_text, new_text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                yield from _diff(old[i1 + offset], new[j1 + offset], (*path, j1 + offset))
            continue
        for index in range(i1, i2):
            yield FieldChange(format_path((*path, index)), "removed", old=old[index])
        for index in range(j1, j2):
            yield FieldChange(format_path((*path, index)), "added", new=new[index])


def _first_unused(old_text: list[str], text: str, new_index: int, new_text: list[str]) -> int:
    """For a pure reorder: the old position of the ``new_index``-th item (duplicates taken in order)."""
    seen = new_text[:new_index].count(text)
    positions = [index for index, item in enumerate(old_text) if item == text]
    return positions[seen]
