"""The profile reference: one Markdown table row per key, from the schema the declarations make (the README
embeds it; ``argoflow-gen schema --format markdown`` prints it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import to_schema
from .declare import fields, shape
from .spec import Profile

_MAX_DEPTH = 8


def reference_markdown() -> str:
    """The profile reference as a Markdown table."""
    schema = to_schema.profile_schema()
    lines = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, node in _rows(schema):
        default = node.get("default")
        shown = "" if default is None else f"`{json.dumps(default)}`"
        description = " ".join(str(node.get("description", "")).split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {_type_of(node, schema)} | {shown} | {description} |")
    return "\n".join(lines) + "\n"


def _keyed_paths() -> dict[str, type]:
    """The dotted paths of mappings whose keys are known (component ids), and the record each key takes."""
    found: dict[str, type] = {}

    def visit(kind: type, prefix: str, depth: int) -> None:
        for item in fields(kind):
            dotted = f"{prefix}.{item.key}" if prefix else item.key
            inner = shape(item.kind)
            if item.declared.keys is not None and inner.item is not None:
                found[dotted] = inner.item.python
            elif inner.kind == "record" and depth < _MAX_DEPTH:
                visit(inner.python, dotted, depth + 1)

    visit(Profile, "", 0)
    return found


def _rows(schema: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    rows: list[tuple[str, Mapping[str, Any]]] = []
    keyed = _keyed_paths()

    def walk(node: Mapping[str, Any], prefix: str, depth: int) -> None:
        node = resolve(node, schema)
        if depth > _MAX_DEPTH:
            return
        for key, child in node.get("properties", {}).items():
            child = resolve(child, schema)
            dotted = f"{prefix}.{key}" if prefix else key
            rows.append((dotted, child))
            if dotted in keyed:
                _walk_keyed(child, keyed[dotted], dotted, depth)
            elif child.get("type") == "object":
                walk(child, dotted, depth + 1)
            elif child.get("type") == "array" and isinstance(child.get("items"), dict):
                walk(child["items"], dotted + "[]", depth + 1)
            elif "else" in child:
                walk(child["else"], dotted, depth + 1)

    def _walk_keyed(node: Mapping[str, Any], record: type, dotted: str, depth: int) -> None:
        """What every key takes, under ``<id>``; then what only some keys take, under their own names."""
        common = to_schema.record_schema(record)
        walk(common, dotted + ".<id>", depth + 1)
        for key, child in node["properties"].items():
            own = {name: item for name, item in child["properties"].items() if name not in common["properties"]}
            if own:
                walk({"properties": own}, f"{dotted}.{key}", depth + 1)

    walk(schema, "", 0)
    return rows


def resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """A node with its ``$ref`` followed (keywords beside the ``$ref`` win)."""
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _type_of(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(str(value) for value in node["enum"])
    if "const" in node:
        return str(node["const"])
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = resolve(node.get("items", {}), schema)
        return f"list of {_type_of(items, schema)}" if items.get("type") != "object" else "list"
    if kind is None and "if" in node:
        return "default or mapping"
    text = str(kind or "any")
    if "format" in node:
        text += f" ({node['format']})"
    return text
