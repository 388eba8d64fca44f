"""Plain YAML streams, fast (ruamel's C parser), without positions: built manifests, and the state files the
generator wrote, read as untrusted strings."""

from __future__ import annotations

from typing import Any

from .located import MAX_DEPTH, MAX_NODES, InvalidYaml

#: The deepest nesting ``load_all_plain`` reads. ruamel's C composer recurses on the C stack once per level and
#: crashes the process (a segmentation fault) near 25,000 levels, which sixty kilobytes of ``- - - ...`` reach;
#: Kubernetes objects stay far below this (upstream's deepest CRD schema: 34 levels).
MAX_PLAIN_DEPTH = 1000


def load_all_plain(text: str) -> list[Any]:
    """Every document of a YAML stream as plain data, fast (ruamel's C parser), without positions.

    For reading megabytes of built manifests; profiles go through ``load``. Timestamps stay strings.
    Raises ``InvalidYaml`` on invalid YAML, and on nesting deeper than MAX_PLAIN_DEPTH.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import SafeConstructor

    class _Constructor(SafeConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            return self.construct_scalar(node)

        def construct_yaml_binary(self, node: Any) -> Any:
            return self.construct_scalar(node)

    from ruamel.yaml.error import YAMLError

    _Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)
    _Constructor.add_constructor("tag:yaml.org,2002:binary", _Constructor.construct_yaml_binary)
    # a bare `=` (YAML 1.1's value key, in some CRDs' enums) is the string "=", as Go's YAML readers take it
    _Constructor.add_constructor("tag:yaml.org,2002:value", _Constructor.construct_yaml_binary)
    _check_depth(text)
    for pure in (False, True):  # the C parser (ruamel.yaml.clib) first; the YAML 1.2 one where it is stricter
        reader = YAML(typ="safe", pure=pure)
        reader.Constructor = _Constructor
        try:
            return [document for document in reader.load_all(text) if document is not None]
        except YAMLError as exc:
            if pure:
                raise InvalidYaml(str(exc)) from None
        except RecursionError:
            raise InvalidYaml("nesting too deep for the Python reader") from None
    raise AssertionError("unreachable")


def _check_depth(text: str) -> None:
    """Refuse ``text`` if its nesting passes MAX_PLAIN_DEPTH, found by the C parser's events, which keeps its own
    stack (it stops at the first level too deep: its time grows with the depth). A text it cannot parse is left
    to the reader, which says why."""
    if text.count("[") + text.count("{") + text.count("\n") + text.count("-") + text.count("?") < MAX_PLAIN_DEPTH:
        return  # each level opens with one of these (a bracket, a line, a "- " or "? " indicator)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

    depth = 0
    try:
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_PLAIN_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark is not None else 0
                    raise InvalidYaml(f"nesting deeper than {MAX_PLAIN_DEPTH} levels (line {line})")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return


def load_strings(text: str, file: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """One YAML document of a data file argoflow-gen wrote (a lock), read as untrusted input: mappings, lists
    and strings only (every scalar is returned as the text it holds), no anchors, aliases or tags, no
    duplicate keys, at most ``max_nodes`` values and ``max_depth`` levels. Fast: ruamel's C parser, events
    only. Raises ``ValueError`` with a short reason."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )

    stack: list[Any] = []
    keys: list[str | None] = []
    result: Any = None
    documents = nodes = 0
    try:
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ValueError("more than one YAML document")
                continue
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                raise ValueError("YAML anchors and aliases are not allowed")
            tag = getattr(event, "tag", None)
            if tag not in (None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                raise ValueError(f"YAML tag {tag} is not allowed")
            if isinstance(event, MappingStartEvent | SequenceStartEvent | ScalarEvent):
                nodes += 1
                if nodes > max_nodes:
                    raise ValueError(f"more than {max_nodes} values")
                if isinstance(event, ScalarEvent):
                    value: Any = event.value
                else:
                    if len(stack) >= max_depth:
                        raise ValueError(f"nesting deeper than {max_depth} levels")
                    value = {} if isinstance(event, MappingStartEvent) else []
                if stack and isinstance(stack[-1], dict):
                    if keys[-1] is None:
                        if not isinstance(event, ScalarEvent):
                            raise ValueError("a mapping key is not a string")
                        if value in stack[-1]:
                            raise ValueError(f"duplicate key {value!r}")
                        keys[-1] = value
                        continue
                    stack[-1][keys[-1]] = value
                    keys[-1] = None
                elif stack:
                    stack[-1].append(value)
                else:
                    result = value
                if not isinstance(event, ScalarEvent):
                    stack.append(value)
                    keys.append(None)
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                stack.pop()
                keys.pop()
            elif isinstance(event, StreamEndEvent):
                break
    except YAMLError as exc:
        raise ValueError(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return result
