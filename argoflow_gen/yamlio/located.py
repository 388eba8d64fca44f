"""A profile layer read with ruamel.yaml's round-trip loader, because it keeps the line and column of every key and
value: plain Python data plus a position map, every failure a located error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import Issue, ProfileError
from ..yamlemit import double_quoted

#: Limits on what a YAML document may be. They are stated in the README.
MAX_NODES = 100_000
MAX_DEPTH = 40

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column


def format_path(path: JsonPath) -> str:
    """``("spec", "users", 0, "email")`` -> ``spec.users[0].email``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{double_quoted(part)}]"
    return text


@dataclass(frozen=True)
class Document:
    """A parsed YAML document: plain data plus where each key and value was written."""

    data: Any
    file: str
    values: Mapping[JsonPath, Position] = field(default_factory=dict)
    keys: Mapping[JsonPath, Position] = field(default_factory=dict)
    numbers: Mapping[JsonPath, str] = field(default_factory=dict)  # numbers as they were written

    def position(self, path: JsonPath) -> Position:
        """Where ``path`` was written; for a path that is not there, its nearest written parent."""
        return nearest(path, self.values, self.keys)


def nearest(path: JsonPath, values: Mapping[JsonPath, Position], keys: Mapping[JsonPath, Position]) -> Position:
    """The position of ``path``'s value (or key), or of its nearest parent that has one; else 1:1."""
    probe = tuple(path)
    while probe:
        if probe in values:
            return values[probe]
        if probe in keys:
            return keys[probe]
        probe = probe[:-1]
    return (1, 1)


def _error(file: str, message: str, line: int = 0, column: int = 0, hint: str = "") -> ProfileError:
    return ProfileError([Issue(message, file=file, line=line, column=column, hint=hint)])


def _loader() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class _Constructor(RoundTripConstructor):
        """Timestamps stay the strings they were written as."""

        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            return self.construct_scalar(node)

    _Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def load(text: str, file: str) -> Document:
    """Parse one YAML document into plain data with positions. Every failure is a located ProfileError."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = _loader()
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        hint = ""
        if "duplicate key" in problem or "duplicate key" in str(exc):
            problem = _duplicate_message(str(exc))
            hint = "each key may appear once in a mapping"
        elif exc.problem and "constructor" in exc.problem:
            hint = "only plain YAML is accepted; language-specific tags are refused"
        elif exc.problem and exc.context and exc.problem.startswith("but "):
            problem = f"{exc.context}, {exc.problem}"
            if "another document" in exc.problem:
                hint = "a profile file holds one document; put each layer in a file of its own and use extends"
        elif exc.problem and exc.context and exc.context.startswith("while ") and exc.context_mark:
            start = exc.context_mark
            problem += f" {exc.context} that starts at line {start.line + 1}, column {start.column + 1}"
        if problem == "mapping values are not allowed here":
            hint = "quote a value that contains ': ', or check the indentation"
        if "'\\t'" in problem:
            hint = "indent with spaces; YAML does not allow tabs there"
        raise _error(file, f"YAML: {problem}", line, column, hint) from None
    except RecursionError:
        raise _error(file, f"YAML nesting is deeper than {MAX_DEPTH} levels", 1, 1) from None
    except YAMLError as exc:
        raise _error(file, f"YAML: {exc}".strip(), 1, 1) from None
    converter = _Converter(file, text)
    data = converter.convert(raw, (), 1)
    return Document(data=data, file=file, values=converter.values, keys=converter.keys,
                    numbers=converter.numbers)


def _duplicate_message(text: str) -> str:
    match = re.search(r'found duplicate key "([^"]*)"', text)
    return f'duplicate key "{match.group(1)}"' if match else "duplicate key"


class _Converter:
    """ruamel round-trip objects -> plain data, with positions, tag checks and size limits."""

    def __init__(self, file: str, text: str = "") -> None:
        self.file = file
        self.lines = text.split("\n")
        self.values: dict[JsonPath, Position] = {}
        self.keys: dict[JsonPath, Position] = {}
        self.numbers: dict[JsonPath, str] = {}
        self.nodes = 0

    def _token(self, path: JsonPath) -> str | None:
        position = self.values.get(path)
        if not position or position[0] > len(self.lines):
            return None
        match = re.match(r"[^\s,\]}#]+", self.lines[position[0] - 1][position[1] - 1:])
        return match.group(0) if match else None

    def _count(self, path: JsonPath, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line, column = self._alias_at(path)
            raise _error(
                self.file, f"document expands to more than {MAX_NODES} values", line, column,
                "YAML aliases that multiply are refused",
            )
        if depth > MAX_DEPTH:
            line, column = self._where(path)
            raise _error(self.file, f"nesting is deeper than {MAX_DEPTH} levels", line, column)

    def _where(self, path: JsonPath) -> Position:
        return nearest(path, self.values, self.keys)

    def _alias_at(self, path: JsonPath) -> Position:
        """Where the expansion of ``path`` first jumps back to text written earlier: the collection that
        holds the multiplying alias."""
        previous: Position | None = None
        for depth in range(1, len(path) + 1):
            position = self.values.get(path[:depth])
            if position is None:
                continue
            if previous is not None and position < previous:
                return previous
            previous = position
        return self._where(path)

    def _check_tag(self, node: Any, path: JsonPath) -> None:
        tag = getattr(node, "tag", None)
        value = getattr(tag, "value", None) if tag is not None else None
        if value and value not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            line, column = self._where(path)
            raise _error(
                self.file, f"YAML tag {value.replace('tag:yaml.org,2002:', '!!')} is not allowed",
                line, column, "only plain YAML is accepted; remove the tag",
            )

    def convert(self, node: Any, path: JsonPath, depth: int) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

        self._count(path, depth)
        if isinstance(node, CommentedMap):
            self._check_tag(node, path)
            out: dict[str, Any] = {}
            for key in node:
                kline, kcol = node.lc.key(key)
                vline, vcol = node.lc.value(key)
                child: JsonPath = (*path, str(key))
                self.keys[child] = (kline + 1, kcol + 1)
                self.values[child] = (vline + 1, vcol + 1)
                if not isinstance(key, str):
                    raise _error(
                        self.file, f"mapping key {key!r} is not a string", kline + 1, kcol + 1,
                        "quote the key",
                    )
                out[key] = self.convert(node[key], child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            self._check_tag(node, path)
            items = []
            for index, item in enumerate(node):
                line, column = node.lc.item(index)
                child = (*path, index)
                self.values[child] = (line + 1, column + 1)
                items.append(self.convert(item, child, depth + 1))
            return items
        if isinstance(node, TaggedScalar):
            if getattr(node.tag, "value", None) == "tag:yaml.org,2002:str":
                return str(node.value)
            self._check_tag(node, path)
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, (int, float)):
            token = self._token(path)
            if token:
                self.numbers[path] = token
            return int(node) if isinstance(node, int) else float(node)
        if isinstance(node, str):
            return str(node)
        line, column = self._where(path)
        raise _error(self.file, f"unsupported YAML value {node!r}", line, column)


class InvalidYaml(ValueError):
    """A text that is not YAML (ruamel.yaml's message)."""
