"""The profile's JSON Schema (2020-12), derived from the declarations.

The schema is still what validates a profile and what editors load; it is generated from the model and
committed as data (``argoflow_gen/data/profile.schema.json``). ``scripts/regenerate`` rewrites it, and a test
fails when the committed file and the model disagree.
"""

from __future__ import annotations

import json
from typing import Any

from .declare import Field, Keyed, Shape, fields, info, shape
from .spec import Profile

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://argoflow-gen.dev/schemas/profile/v1beta1.json"
TITLE = "argoflow-gen Profile"

_PYTHON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}

Defs = dict[str, Any]


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a profile, from its declarations."""
    defs: Defs = {}
    root = _record(Profile, defs)
    description = root.pop("description")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, "title": TITLE, "description": description, **root,
            "$defs": defs}


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(profile_schema(), indent=2) + "\n"


def record_schema(kind: type) -> dict[str, Any]:
    """A record's object schema on its own (its ``$ref``s name the profile schema's ``$defs``)."""
    return _record(kind, {})


def _record(kind: type, defs: Defs, only: str | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record's object schema. ``only`` picks the fields of one key of a mapping with known keys, whose
    ``options`` take the place of the field that receives them."""
    declared = info(kind)
    properties: dict[str, Any] = {}
    for item in fields(kind):
        if item.declared.mapping_key:
            continue
        if item.declared.options:
            properties.update(options or {})
            continue
        if item.declared.only and only not in item.declared.only:
            continue
        properties[item.key] = _field(item, defs)
    node: dict[str, Any] = {"type": "object"}
    if not declared.additional:
        node["additionalProperties"] = False
    node["properties"] = properties
    required = [item.key for item in fields(kind) if item.declared.required]
    if required:
        node["required"] = required
    node.update(_evaluated(declared.keywords))
    if declared.description:
        node["description"] = declared.description
    return node


def _field(item: Field, defs: Defs) -> dict[str, Any]:
    declared = item.declared
    found = shape(item.kind)
    node = _keyed(found, declared.keys(), defs) if declared.keys is not None else _value(found, defs)
    if declared.description:
        node["description"] = declared.description
    if declared.schema_default:
        node["default"] = declared.default
    node.update(_evaluated(declared.keywords))
    return node


def _keyed(found: Shape, keys: Any, defs: Defs) -> dict[str, Any]:
    """A mapping whose keys are known (the catalog's component ids): one property per key."""
    assert found.kind == "map" and found.item is not None and found.item.kind == "record"
    properties = {}
    for entry in keys:
        assert isinstance(entry, Keyed)
        node = _record(found.item.python, defs, only=entry.key, options=dict(entry.options))
        node["description"] = entry.description
        properties[entry.key] = node
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _value(found: Shape, defs: Defs) -> dict[str, Any]:
    """The schema of a value of this shape: a ``$ref`` for a named type or record, else inline."""
    if found.shaped_as is not None:
        return _named_or_inline(found.shaped_as, defs)
    if found.scalar is not None:
        keywords = _evaluated(found.scalar.keywords)
        if found.scalar.name is None:
            return keywords
        defs.setdefault(found.scalar.name, keywords)
        return {"$ref": f"#/$defs/{found.scalar.name}"}
    if found.kind == "record":
        return _named_or_inline(found.python, defs)
    if found.kind == "list":
        assert found.item is not None
        return {"type": "array", "items": _value(found.item, defs)}
    if found.kind == "map":
        assert found.item is not None
        return {"type": "object", "additionalProperties": _value(found.item, defs)}
    if found.kind == "literal":
        values = list(found.python)
        return {"const": values[0]} if len(values) == 1 else {"enum": values}
    if found.kind == "literal-or-record":
        (constant, *_), kind = found.python
        return {"if": {"type": "string"}, "then": {"const": constant}, "else": _named_or_inline(kind, defs)}
    if found.kind == "scalar" and found.python in _PYTHON_TYPES:
        return {"type": _PYTHON_TYPES[found.python]}
    if found.kind == "any":
        return {}
    raise TypeError(f"no JSON Schema for {found}")


def _named_or_inline(kind: type, defs: Defs) -> dict[str, Any]:
    name = info(kind).name
    if name is None:
        return _record(kind, defs)
    if name not in defs:
        defs[name] = {}  # reserved first: a record may (indirectly) contain itself
        defs[name] = _record(kind, defs)
    return {"$ref": f"#/$defs/{name}"}


def _evaluated(keywords: Any) -> dict[str, Any]:
    """Keywords whose values may be computed when the schema is made (an enum from the release catalog)."""
    out = {}
    for name, value in keywords.items():
        value = value() if callable(value) else value
        out[name] = list(value) if isinstance(value, tuple) else value
    return out
