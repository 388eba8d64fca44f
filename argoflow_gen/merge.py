"""Three-way merges of one file: base (what the generator wrote last time), ours (the fork now), theirs (the
new render).

YAML files are merged by structure: documents matched by kind/namespace/name, mappings key by key, list items
by their merge key (or, for plain values, by identity), the user's comments kept through a ruamel.yaml
round-trip of *ours*. When both sides changed the same value differently, or a file is not YAML, the merge is
textual (``git merge-file``), which writes the standard conflict markers.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .process import run
from .yamlio import dump_commented, load_all_commented

_LITERAL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*=")
MERGE_KEYS = ("name", "path", "containerPort", "mountPath", "key", "ip", "type", "topologyKey", "devicePath")


@dataclass(frozen=True)
class Merged:
    text: str
    conflict: bool
    how: str  # "yaml", "text"


class _Conflict(Exception):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _identity(document: Any, index: int) -> Any:
    if isinstance(document, dict) and "kind" in document:
        meta = document.get("metadata") or {}
        api = str(document.get("apiVersion", ""))
        group = api.split("/")[0] if "/" in api else ""
        return (group, str(document["kind"]), str(meta.get("namespace", "")), str(meta.get("name", "")))
    return ("#", index)


def _merge_key(*lists: list[Any]) -> str | None:
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in MERGE_KEYS:
        if all(key in item for item in items):
            for items_ in lists:
                values = [_plain(item[key]) for item in items_]
                if len(values) != len({repr(v) for v in values}):
                    break
            else:
                return key
    return None


def _merge_value(base: Any, ours: Any, theirs: Any) -> Any:
    """The merged value; ``ours`` (a ruamel object, with the user's comments) is updated in place where it can."""
    pb, po, pt = _plain(base), _plain(ours), _plain(theirs)
    if po == pt:
        return ours
    # recurse even when only the generator changed something, so the user's comments in ours survive
    if isinstance(ours, dict) and isinstance(theirs, dict) and isinstance(base, dict | type(None)):
        return _merge_mapping(base or {}, ours, theirs)
    if isinstance(ours, list) and isinstance(theirs, list) and isinstance(base, list | type(None)):
        return _merge_list(base or [], ours, theirs)
    if pt == pb:
        return ours
    if po == pb:
        return theirs
    raise _Conflict


def _merge_mapping(base: dict[str, Any], ours: Any, theirs: dict[str, Any]) -> Any:
    for key in list(theirs):
        if key in ours:
            merged = _merge_value(base.get(key), ours[key], theirs[key])
            if merged is not ours[key]:
                ours[key] = merged
        elif key not in base:
            ours[key] = theirs[key]  # added by the generator
        elif _plain(base[key]) != _plain(theirs[key]):
            raise _Conflict  # the user removed what the generator changed
    for key in list(ours):
        if key not in theirs and key in base:
            if _plain(ours[key]) == _plain(base[key]):
                del ours[key]  # removed by the generator, untouched by the user
            else:
                raise _Conflict
    return ours


def _merge_list(base: list[Any], ours: Any, theirs: list[Any]) -> Any:
    key = _merge_key(base, ours, theirs)

    def ident(item: Any) -> Any:
        if key:
            return repr(_plain(item[key]))
        if isinstance(item, str) and _LITERAL.match(item):  # kustomize literals: KEY=VALUE, matched by KEY
            return "literal:" + item.split("=", 1)[0]
        return repr(_plain(item))

    base_by = {ident(item): item for item in base}
    theirs_by = {ident(item): item for item in theirs}
    ours_ids = [ident(item) for item in ours]
    if key is None:
        # Items without a merge key are known only by their value: an item that both sides changed shows
        # up as removed on each side, with a new item added on each. Keeping both would keep the user's
        # stale copy beside the new one, silently: that is a conflict.
        removed_by_both = set(base_by) - set(ours_ids) - set(theirs_by)
        added_by_ours = set(ours_ids) - set(base_by) - set(theirs_by)
        added_by_theirs = set(theirs_by) - set(base_by) - set(ours_ids)
        if removed_by_both and added_by_ours and added_by_theirs:
            raise _Conflict
    result: list[Any] = []
    for item, item_id in zip(list(ours), ours_ids, strict=True):
        if item_id in theirs_by:
            result.append(_merge_value(base_by.get(item_id), item, theirs_by[item_id]))
        elif item_id in base_by:
            if _plain(item) != _plain(base_by[item_id]):
                raise _Conflict  # the user edited an item the generator dropped
            continue  # dropped by the generator
        else:
            result.append(item)  # the user's own item
    for item_id, item in theirs_by.items():
        if item_id not in ours_ids and item_id not in base_by:
            position = _position_after(theirs, item, result, ident)
            result.insert(position, item)
    # edit in place, index by index, so that comments ruamel attached to positions stay where they were
    for index, item in enumerate(result):
        if index < len(ours):
            if ours[index] is not item:
                ours[index] = item
        else:
            ours.append(item)
    while len(ours) > len(result):
        ours.pop()
    return ours


def _position_after(theirs: list[Any], item: Any, result: list[Any], ident: Callable[[Any], Any]) -> int:
    """Insert a new item after the item that precedes it in the new render, or at the end."""
    index = next(i for i, candidate in enumerate(theirs) if candidate is item)
    if index == 0:
        return 0
    before = ident(theirs[index - 1])
    for position, candidate in enumerate(result):
        if ident(candidate) == before:
            return position + 1
    return len(result)


def merge_yaml(base: str, ours: str, theirs: str) -> str:
    """A structural merge; raises _Conflict when both sides changed the same value differently."""
    try:
        base_docs = load_all_commented(base)
        ours_docs = load_all_commented(ours)
        theirs_docs = load_all_commented(theirs)
    except Exception as exc:
        raise _Conflict from exc
    base_by = {_identity(d, i): d for i, d in enumerate(base_docs)}
    theirs_by = {_identity(d, i): d for i, d in enumerate(theirs_docs)}
    out = []
    ours_ids = []
    for index, document in enumerate(ours_docs):
        identity = _identity(document, index)
        ours_ids.append(identity)
        if identity in theirs_by:
            out.append(_merge_value(base_by.get(identity), document, theirs_by[identity]))
        elif identity in base_by:
            if _plain(document) != _plain(base_by[identity]):
                raise _Conflict
        else:
            out.append(document)
    for identity, document in theirs_by.items():
        if identity not in ours_ids and identity not in base_by:
            out.append(document)
    head = _leading_comment(ours)
    if not out:
        raise _Conflict
    text = dump_commented(out)
    # the generator's header comment (it names the release) replaces the one the fork had
    if head and text.startswith(head):
        text = text[len(head):]
    return _leading_comment(theirs) + text


def _leading_comment(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            lines.append(line)
        else:
            break
    return "".join(lines)


def merge_text(base: str, ours: str, theirs: str, path: str) -> tuple[str, bool]:
    """``git merge-file``: the merged text and whether it has conflict markers."""
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(folder) / name
            file.write_text(text, encoding="utf-8")
            files.append(str(file))
        result = run(
            ["git", "merge-file", "-p", "-L", f"{path} (yours)", "-L", f"{path} (last render)",
             "-L", f"{path} (new render)", "--", *files],
            timeout=120,
        )
    if result.returncode < 0 or result.returncode > 127 or result.timed_out or result.overflowed:
        from .errors import UpdateError

        raise UpdateError(f"git merge-file failed on {path}: {result.error_text()}")
    return result.stdout.decode("utf-8", "replace"), result.returncode > 0


def merge_file(path: str, base: str, ours: str, theirs: str) -> Merged:
    if path.endswith((".yaml", ".yml")):
        try:
            return Merged(merge_yaml(base, ours, theirs), False, "yaml")
        except _Conflict:
            pass
    text, conflict = merge_text(base, ours, theirs, path)
    return Merged(text, conflict, "text")
