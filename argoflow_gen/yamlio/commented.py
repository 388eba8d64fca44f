"""A user's file edited in place: ruamel's round-trip objects that keep comments and quotes, and the spans of a
document's keys and values, to edit its text byte for byte."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from .located import InvalidYaml, JsonPath


def _roundtrip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load_all_commented(text: str) -> list[Any]:
    """Every non-empty document of a user's file as ruamel's round-trip objects: dicts and lists that keep
    their comments and quotes, to edit in place and write back with ``dump_commented``. Raises ``InvalidYaml``."""
    from ruamel.yaml.error import YAMLError

    try:
        return [document for document in _roundtrip().load_all(text) if document is not None]
    except YAMLError as exc:
        raise InvalidYaml(str(exc)) from None
    except RecursionError:
        raise InvalidYaml("nesting too deep") from None


def dump_commented(documents: list[Any]) -> str:
    """Documents from ``load_all_commented`` (edited) as text, with their comments, quotes and a 2-space indent;
    one document is written without a ``---``."""
    stream = io.StringIO()
    if len(documents) == 1:
        _roundtrip().dump(documents[0], stream)
    else:
        _roundtrip().dump_all(documents, stream)
    return stream.getvalue()



@dataclass(frozen=True)
class Span:
    """A mapping entry as offsets into its text: the key, the end of its value, the key's column, and whether
    its mapping is written in flow style (``{...}``)."""

    key_start: int
    key_end: int
    value_end: int
    column: int
    flow: bool


def spans(text: str) -> dict[JsonPath, Span]:
    """Every mapping entry of one (valid) YAML document and where it is written. Raises ``InvalidYaml``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    found: dict[JsonPath, Span] = {}

    def walk(node: Any, path: JsonPath) -> None:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                here = (*path, key.value)
                found[here] = Span(key.start_mark.index, key.end_mark.index, value.end_mark.index,
                                   key.start_mark.column, bool(node.flow_style))
                walk(value, here)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    try:
        walk(YAML(typ="safe", pure=True).compose(text), ())
    except YAMLError as exc:
        raise InvalidYaml(str(exc)) from None
    except RecursionError:
        raise InvalidYaml("nesting too deep") from None
    return found
