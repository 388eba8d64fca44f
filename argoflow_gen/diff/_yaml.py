"""Plain multi-document YAML reading for diffs: built manifests and generated files, no positions.

``argoflow_gen.yamlio`` reads profiles (one document, with positions, through ruamel's round-trip
loader); a diff reads megabytes of kustomize output, where only speed matters. libyaml (through PyYAML)
reads the 10 MB of upstream's example in about 1.4 s, pure-Python ruamel in about 26 s, so libyaml is
used when it is installed and ruamel's safe loader otherwise. Both sides of a diff are always read by
the same loader. Timestamps stay strings, as in ``yamlio``.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any


class YamlError(ValueError):
    """A text that is not YAML."""


@functools.lru_cache(maxsize=1)
def _libyaml_loader() -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        return None
    base = getattr(yaml, "CSafeLoader", None)
    if base is None:
        return None

    class Loader(base):  # type: ignore[misc, valid-type]
        """libyaml's safe loader; timestamps and binaries stay the strings they were written as."""

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    Loader.add_constructor("tag:yaml.org,2002:binary", lambda loader, node: loader.construct_scalar(node))
    return Loader


def _error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = []
    try:
        yaml: Any = importlib.import_module("yaml")
        types.append(yaml.YAMLError)
    except ImportError:
        pass
    from ruamel.yaml.error import YAMLError

    types.append(YAMLError)
    return tuple(types)


def load_all(text: str) -> list[Any]:
    """Every non-empty document of ``text`` as plain data. Raises ``YamlError`` if it is not YAML."""
    loader = _libyaml_loader()
    try:
        if loader is not None:
            yaml: Any = importlib.import_module("yaml")
            documents = list(yaml.load_all(text, Loader=loader))
        else:
            from ruamel.yaml import YAML

            reader = YAML(typ="safe", pure=True)
            reader.constructor.add_constructor(
                "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node))
            documents = list(reader.load_all(text))
    except _error_types() as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise YamlError(f"{type(exc).__name__}: {exc}") from None
    return [document for document in documents if document is not None]


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
