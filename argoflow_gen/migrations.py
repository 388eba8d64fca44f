"""Profile format versions, and the migrations between them: data (keys that move) and small functions.

A profile file names its format in ``apiVersion``. Each format but the newest has one ``Step`` to the next, and
a file of an older format goes through every step after it (v1alpha1 → v1beta1 → …). A layer is migrated on its
own: in memory as it is read (``document``: its data and the positions of every key move together, so that
problems are still reported where the file wrote them), or in its file (``text``: the text is edited where the
moved keys are written, so that every comment, quote, blank line and indentation outside them stays byte for
byte). A layer that names no ``apiVersion`` is read as the newest format.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import Issue, ProfileError
from .yamlio import Document, JsonPath, Span, format_path, load, spans

Keys = tuple[str, ...]
T = TypeVar("T")

PREFIX = "argoflow-gen/"
VERSIONS = ("argoflow-gen/v1alpha1", "argoflow-gen/v1beta1")
LATEST = VERSIONS[-1]


@dataclass(frozen=True)
class Move:
    """A key that moves: ``target`` stays under ``source``'s mapping, and may nest it deeper or rename it."""

    source: Keys
    target: Keys
    why: str


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    moves: tuple[Move, ...]


STEPS: tuple[Step, ...] = (
    Step("argoflow-gen/v1alpha1", "argoflow-gen/v1beta1", (
        Move(("spec", "auth"), ("spec", "identity"),
             "who logs in, and how: the place of identity providers and the groups claim"),
        Move(("spec", "profiles"), ("spec", "tenancy", "profiles"),
             "who works where: Profiles beside the defaults every Profile shares"),
    )),
)


def short(version: str) -> str:
    """``argoflow-gen/v1alpha1`` -> ``v1alpha1``."""
    return version.removeprefix(PREFIX)


def version_of(data: Any) -> str:
    """The format a layer is written in (the newest when it names none)."""
    written = data.get("apiVersion") if isinstance(data, dict) else None
    return written if isinstance(written, str) and written in VERSIONS else LATEST


def steps_from(version: str) -> tuple[Step, ...]:
    """The steps from ``version`` to the newest (none from the newest)."""
    return STEPS[VERSIONS.index(version):]


def moved_to(path: JsonPath) -> tuple[str, str] | None:
    """(the new place, the format that moved it) of a key an older format had at ``path``; None if none moved it."""
    for step in STEPS:
        for move in step.moves:
            if tuple(path) == move.source:
                return format_path(move.target), step.target
    return None


def notice(file: str, version: str) -> str:
    """What to tell the user of a file written in an older format."""
    return (f"{file}: {version} is an older profile format, read as {LATEST}: `argoflow-gen migrate {file}` "
            f"rewrites the file as {LATEST}, keeping its comments")


# ------------------------------------------------------------------------------------------- in memory


def document(layer: Document) -> Document:
    """A layer of an older format as the newest format: its data, and the positions of every value and key,
    moved together. Raises a located ProfileError when a key is written both at its old and its new place."""
    version = version_of(layer.data)
    if version == LATEST:
        return layer
    data = copy.deepcopy(layer.data)
    values, keys, numbers = dict(layer.values), dict(layer.keys), dict(layer.numbers)
    for step in steps_from(version):
        for move in step.moves:
            if _move_data(data, move, layer):
                where = layer.keys.get(move.source, layer.position(move.source))
                for depth in range(len(move.source), len(move.target)):  # the keys the move adds
                    values.setdefault(move.target[:depth], where)
                    keys.setdefault(move.target[:depth], where)
                _move_paths(values, move)
                _move_paths(keys, move)
                _move_paths(numbers, move)
    data["apiVersion"] = LATEST
    return Document(data=data, file=layer.file, values=values, keys=keys, numbers=numbers)


def _move_paths(table: dict[JsonPath, T], move: Move) -> None:
    for path in [path for path in table if path[:len(move.source)] == move.source]:
        table[move.target + path[len(move.source):]] = table.pop(path)


def _move_data(data: dict[str, Any], move: Move, layer: Document) -> bool:
    """Move one key in the data, in place, keeping its place among its mapping's keys; False if it is not there."""
    parent_path, key = move.source[:-1], move.source[-1]
    parent = _at(data, parent_path)
    if not isinstance(parent, dict) or key not in parent:
        return False
    head = move.target[len(parent_path)]
    if head in parent:
        raise _conflict(layer, parent_path, head, move)
    value: Any = parent[key]
    for wrapper in reversed(move.target[len(parent_path) + 1:-1]):
        value = {wrapper: value}
    inner = move.target[-1]
    nested = {inner: value} if len(move.target) > len(parent_path) + 1 else value
    replaced = {(head if name == key else name): (nested if name == key else item) for name, item in parent.items()}
    parent.clear()
    parent.update(replaced)
    return True


def _at(data: Any, path: JsonPath) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _conflict(layer: Document, parent: JsonPath, head: str, move: Move) -> ProfileError:
    line, column = layer.position((*parent, head))
    return ProfileError([Issue(
        f"{version_of(layer.data)} has no {format_path((*parent, head))}: it is written at "
        f"{format_path(move.source)} in this format", file=layer.file, line=line, column=column,
        path=format_path((*parent, head)),
        hint=f"keep it at {format_path(move.source)}, or move it yourself and set apiVersion: {LATEST}")])


# ------------------------------------------------------------------------------------------ in a file


def text(source: str, file: str) -> str:
    """A profile file's text in the newest format: each moved key edited where it is written, the apiVersion
    set, and nothing else changed. The result is read back and must hold exactly the data ``document`` gives;
    raises a located ProfileError when the file is not a profile layer or a key is at both places."""
    before = load(source, file)
    wanted = document(before).data
    version = version_of(before.data)
    result = source
    for step in steps_from(version):
        for move in step.moves:
            result = _move_text(result, move)
    if version != LATEST and "apiVersion" in before.data:
        result = _replace_value(result, ("apiVersion",), LATEST)
    after = load(result, file)
    if after.data != wanted:  # an edit this module cannot make in text (it never should)
        raise ProfileError([Issue("cannot be migrated by editing its text", file=file, line=1, column=1,
                                  hint="move the keys listed by `argoflow-gen migrate --check` by hand")])
    return result


def _move_text(source: str, move: Move) -> str:
    found = spans(source)
    entry = found.get(move.source)
    if entry is None:
        return source
    parent_path = move.source[:-1]
    wrappers = move.target[len(parent_path):-1]
    inner = move.target[-1]
    if not wrappers:  # a rename: the key's own text, and nothing else
        return source[:entry.key_start] + inner + source[entry.key_end:]
    if entry.flow:
        opened = "".join(f"{wrapper}: {{" for wrapper in wrappers)
        body = inner + source[entry.key_end:entry.value_end]
        return source[:entry.key_start] + opened + body + "}" * len(wrappers) + source[entry.value_end:]
    step = _indent_step(found, parent_path, entry)
    block, rest = _block(source, entry)
    lines = (inner + block[entry.key_end - entry.key_start:]).split("\n")
    pad = " " * (step * len(wrappers))
    moved = [lines[0], *[(pad + line) if line.strip() else line for line in lines[1:]]]
    heads = "".join(f"{wrapper}:\n{' ' * (entry.column + step * (depth + 1))}"
                    for depth, wrapper in enumerate(wrappers))
    return source[:entry.key_start] + heads + "\n".join(moved) + rest


def _block(source: str, entry: Span) -> tuple[str, str]:
    """A block entry's text from its key to the end of its last line of content (the comments and blank lines
    after it belong to what follows), and the text after that."""
    lines = source[entry.key_start:entry.value_end].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    end = entry.key_start + len("\n".join(lines))
    return source[entry.key_start:end], source[end:]


def _indent_step(found: Mapping[JsonPath, Span], parent_path: JsonPath, entry: Span) -> int:
    """How far the file indents a mapping under its key (2 when the key is at the top)."""
    parent = found.get(parent_path)
    step = entry.column - parent.column if parent is not None else 0
    return step if step > 0 else 2


def _replace_value(source: str, path: JsonPath, value: str) -> str:
    entry = spans(source)[path]
    colon = source.index(":", entry.key_end)
    start = colon + 1 + (len(source[colon + 1:entry.value_end]) - len(source[colon + 1:entry.value_end].lstrip()))
    written = source[start:entry.value_end]
    quote = written[0] if written[:1] in ("'", '"') else ""
    return source[:start] + quote + value + quote + source[entry.value_end:]


def changes(data: Any) -> Iterator[Move]:
    """The moves a layer's migration makes (those whose key it writes)."""
    for step in steps_from(version_of(data)):
        for move in step.moves:
            parent = _at(data, move.source[:-1])
            if isinstance(parent, dict) and move.source[-1] in parent:
                yield move


__all__ = ["LATEST", "STEPS", "VERSIONS", "Move", "Step", "changes", "document", "moved_to", "notice",
           "short", "steps_from", "text", "version_of"]
