"""Validated, defaulted profile data -> the typed, frozen records: one converter for every record, driven by
the declarations. Keys become attributes, mappings and lists become read-only, and a value type's own
conversion (a quantity to a string, a local path resolved against the layer that wrote it) is applied."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from ..errors import ArgoflowError
from ..yamlio import JsonPath, format_path
from .declare import Shape, fields, shape

T = TypeVar("T")


class Origins(Protocol):
    """Where values were written: the folder a relative path in a value resolves against."""

    def base(self, path: JsonPath) -> Path: ...


def frozen(value: Any) -> Any:
    """Deep read-only copy of plain data: mappings become MappingProxyType, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The plain (dict/list) form of frozen data, for writing it out."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def convert(kind: type[T], data: Mapping[str, Any], origins: Origins, **extra: Any) -> T:
    """The record ``kind`` of validated data; ``extra`` gives the fields that are not part of the profile."""
    made: T = _record(kind, data, (), origins, extra)
    return made


def _record(kind: Any, data: Mapping[str, Any], path: JsonPath, origins: Origins,
            extra: Mapping[str, Any] | None = None, key: str | None = None) -> Any:
    declared = fields(kind)
    known = {item.key for item in declared}
    values = dict(extra or {})
    for item in declared:
        if item.declared.mapping_key:
            values[item.attribute] = key
        elif item.declared.options:
            values[item.attribute] = MappingProxyType({name: v for name, v in data.items() if name not in known})
        elif item.key in data:
            values[item.attribute] = _value(shape(item.kind), data[item.key], (*path, item.key), origins)
        elif not item.has_default:
            raise ArgoflowError(f"{format_path((*path, item.key))} was not completed before the typed profile")
    return kind(**values)


def _value(found: Shape, value: Any, path: JsonPath, origins: Origins, key: str | None = None) -> Any:
    if value is None and found.optional:
        return None
    if found.scalar is not None and found.scalar.convert is not None:
        return found.scalar.convert(value, path, origins)
    if found.kind == "record":
        return _record(found.python, value, path, origins, key=key)
    if found.kind == "literal-or-record":
        return value if isinstance(value, str) else _record(found.python[1], value, path, origins)
    if found.kind == "list":
        assert found.item is not None
        return tuple(_value(found.item, item, (*path, index), origins) for index, item in enumerate(value))
    if found.kind == "map":
        assert found.item is not None
        return MappingProxyType({name: _value(found.item, item, (*path, name), origins, key=name)
                                 for name, item in value.items()})
    return frozen(value)
