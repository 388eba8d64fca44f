"""Plain multi-document YAML reading for diffs: built manifests and generated files, no positions.

A diff reads megabytes of kustomize output, where only speed matters: ``argoflow_gen.yamlio`` reads it with
ruamel's C parser (ruamel.yaml.clib: the 10 MB of upstream's example in about 2.5 s, against 26 s in pure
Python). Timestamps stay strings.
"""

from __future__ import annotations

import re
from typing import Any

from ..yamlio import InvalidYaml, load_all_plain

#: Files of a pull request are hostile: aliases that multiply (a "billion laughs") would make every later
#: comparison walk billions of values. A text with anchors or aliases is counted as it expands.
MAX_VALUES = 2_000_000
_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*][^\s,\]}]")


class YamlError(ValueError):
    """A text that is not YAML."""


def load_all(text: str) -> list[Any]:
    """Every non-empty document of ``text`` as plain data. Raises ``YamlError`` if it is not YAML, or if its
    aliases expand it past MAX_VALUES values."""
    try:
        documents = load_all_plain(text)
    except InvalidYaml as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise YamlError(f"{type(exc).__name__}: {exc}") from None
    if _ALIAS.search(text):
        _count(documents)
    return documents


def _count(documents: list[Any]) -> None:
    budget = MAX_VALUES
    stack: list[Any] = list(documents)
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise YamlError(f"aliases expand the text to more than {MAX_VALUES} values")
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


_SEPARATOR = "\n---\n"


def load_stream(text: str, memo: dict[str, Any]) -> list[Any]:
    """Like ``load_all`` for kustomize output, but each document text is read once per ``memo``.

    Both sides of a diff mostly hold the same documents: reading each distinct text once, and sharing the
    result, halves the reading and lets comparisons stop at ``is``. A stream that does not split cleanly
    on ``---`` lines is read whole.
    """
    body = text[4:] if text.startswith("---\n") else text
    chunks = body.split(_SEPARATOR)
    documents = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        if chunk not in memo:
            parsed = load_all(chunk)
            if len(parsed) != 1:
                return load_all(text)
            memo[chunk] = parsed[0]
        documents.append(memo[chunk])
    return documents
