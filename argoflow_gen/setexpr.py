"""``--set spec.a.b=VALUE``: a command-line expression as a profile layer of its own (VALUE is YAML), placed at
its own line (the expression's index) and column, like a file's values."""

from __future__ import annotations

import re
from typing import Any

from .errors import Issue, ProfileError
from .layers import Layer
from .yamlio import Document, JsonPath, load

_PLAIN_STRING = re.compile(r'"[A-Za-z0-9._/:@+-]*"')  # a double-quoted YAML string with nothing to unescape


def parse_value(text: str) -> Any:
    """A ``--set`` value: YAML, as a plain value (no positions). Invalid YAML is taken as a string."""
    if text in ("true", "false"):  # what a fleet sets for each cluster, read without a YAML parser
        return text == "true"
    if _PLAIN_STRING.fullmatch(text):
        return text[1:-1]
    try:
        document = load(text, "--set")
    except ProfileError:
        return text
    return document.data


_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^."]+)')


def parse_set(expression: str, index: int) -> Layer:
    """``spec.a.b=VALUE`` (VALUE is YAML) as a layer of its own. Keys with dots can be quoted: a."b.c"."""
    label = "--set"
    origin_line = index + 1
    if "=" not in expression:
        raise ProfileError([Issue(f"--set {expression!r} has no '='", file=label, line=origin_line, column=1,
                                  hint="write --set spec.ingress.domain=kubeflow.example.com")])
    dotted, _, raw_value = expression.partition("=")
    keys: list[str] = []
    position = 0
    while position < len(dotted):
        match = _SEGMENT.match(dotted, position)
        if not match:
            raise ProfileError([Issue(f"--set key {dotted!r} is not a dotted path", file=label,
                                      line=origin_line, column=position + 1)])
        keys.append(match.group(1) if match.group(1) is not None else match.group(2))
        position = match.end()
        if position < len(dotted):
            if dotted[position] != ".":
                raise ProfileError([Issue(f"--set key {dotted!r} is not a dotted path", file=label,
                                          line=origin_line, column=position + 1)])
            position += 1
    if not keys or any(not key for key in keys):
        raise ProfileError([Issue(f"--set key {dotted!r} is empty", file=label, line=origin_line, column=1)])
    value = parse_value(raw_value)
    numbers: dict[JsonPath, str] = {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        numbers[tuple(keys)] = raw_value.strip()  # 1.10 stays 1.10 in messages
    data: Any = value
    for key in reversed(keys):
        data = {key: data}
    column = len(dotted) + 2
    values: dict[JsonPath, tuple[int, int]] = {}
    keys_pos: dict[JsonPath, tuple[int, int]] = {}
    for depth in range(1, len(keys) + 1):
        keys_pos[tuple(keys[:depth])] = (origin_line, 1)
        values[tuple(keys[:depth])] = (origin_line, column)
    _positions_below(value, tuple(keys), values, origin_line, column)
    return Layer(Document(data=data, file=label, values=values, keys=keys_pos, numbers=numbers), base=None,
                 label=label)


def _positions_below(value: Any, path: JsonPath, into: dict[JsonPath, tuple[int, int]],
                     line: int, column: int) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            into[(*path, key)] = (line, column)
            _positions_below(item, (*path, key), into, line, column)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            into[(*path, index)] = (line, column)
            _positions_below(item, (*path, index), into, line, column)
