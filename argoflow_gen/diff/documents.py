"""Built manifests as data, and as the lines a cache entry keeps: one JSON document per line.

Reading YAML is the slow part of a build (seconds for megabytes); reading the same documents as JSON takes a
hundredth of that. Documents are shared within a run: the same text, YAML or JSON, is read once and gives
the same object, so that comparing the two sides of a diff mostly stops at ``is``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _yaml
from ._yaml import YamlError, load_all

__all__ = ["BadEntry", "Document", "Memo", "YamlError", "decode", "encode", "load_all", "parse"]

Document = Mapping[str, Any]


@dataclass
class Memo:
    """Documents read so far: by YAML text, and by JSON line."""

    texts: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, Any] = field(default_factory=dict)


class BadEntry(ValueError):
    """Lines that are not the documents of a build."""


def parse(output: str, memo: Memo) -> list[Document]:
    """The documents of a build's output (the mappings: kustomize prints nothing else)."""
    documents = _yaml.load_stream(output, memo.texts)
    return [document for document in documents if isinstance(document, Mapping)]


def encode(documents: Sequence[Document], memo: Memo) -> tuple[list[Document], list[str] | None]:
    """The documents, each replaced by the one read before from the same JSON line, and their lines; no lines
    when JSON would not give the documents back exactly (keys that are not strings, say)."""
    shared: list[Document] = []
    lines: list[str] | None = []
    for document in documents:
        try:
            line = json.dumps(document)
        except (TypeError, ValueError, RecursionError):  # a set, say: kept, never stored
            shared.append(document)
            lines = None
            continue
        known = memo.lines.get(line)
        if known is not None:
            shared.append(known)
        elif json.loads(line) == document:  # JSON keeps every type == tells apart, and changes other keys
            memo.lines[line] = document
            shared.append(document)
        else:
            shared.append(document)
            lines = None
        if lines is not None:
            lines.append(line)
    return shared, lines


def decode(lines: Sequence[str], memo: Memo) -> list[Document]:
    """The documents of a cache entry's lines; BadEntry if a line is not a JSON mapping."""
    documents: list[Document] = []
    for line in lines:
        document = memo.lines.get(line)
        if document is None:
            try:
                document = json.loads(line)
            except ValueError as exc:
                raise BadEntry(str(exc)) from None
            if not isinstance(document, dict):
                raise BadEntry("a line is not a mapping")
            memo.lines[line] = document
        documents.append(document)
    return documents
