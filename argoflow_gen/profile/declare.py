"""How a profile field is declared: once, as a field of a frozen record, with everything derived from it.

A record is a frozen, keyword-only dataclass made with ``@record``; each of its fields is made with
``prop``, which carries the field's description, its default, whether it is required and its JSON Schema
constraints. A reusable value type (a DNS label, a secret file) is an ``Annotated`` type whose ``Scalar``
holds its constraints and, when it is named, its place under ``$defs``. From these declarations come the
JSON Schema (``to_schema``), the typed profile (``convert``), the reference and the starter's keys.

Defaults: a scalar default (a string, a number, a boolean) is the JSON Schema default, filled in before
the typed profile is built. ``None``, ``()`` and an empty mapping only say what an absent optional value
is in the typed record; they are not part of the schema.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
PROP = "argoflow_gen.prop"
_RECORD = "__record__"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity, as Annotated's metadata must be hashable
class Scalar:
    """The schema of a value type: JSON Schema keywords, an optional ``$defs`` name, and how a validated value
    becomes its typed form (``convert(value, path, origins)``; by default it stays as it is)."""

    keywords: Mapping[str, Any]
    name: str | None = None
    convert: Callable[..., Any] | None = None


def scalar(name: str | None = None, *, convert: Callable[..., Any] | None = None, **keywords: Any) -> Scalar:
    """A value type's schema: ``scalar("dnsLabel", type="string", format="dns1123-label", description=...)``."""
    return Scalar(keywords=_schema_keywords(keywords), name=name, convert=convert)


@dataclass(frozen=True)
class Keyed:
    """One key of a mapping whose keys are known (a component id, from the release catalog): its description and
    the options its record takes besides the declared fields (name -> JSON Schema)."""

    key: str
    description: str
    options: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Prop:
    """What a field declares besides its Python type."""

    description: str = ""
    key: str | None = None  # the profile's key, when it is not the camelCase of the attribute
    default: Any = None  # a scalar is the schema default; None, () and {} only say what "absent" is
    required: bool = False  # the schema requires it
    completed: bool = False  # never absent once loaded: the loader completes it from the release catalog
    keywords: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # further schema keywords
    mapping_key: bool = False  # receives the key of the mapping that holds the record (a component's id)
    options: bool = False  # receives the keys no field declares (a component's options, from the catalog)
    keys: Callable[[], Iterable[Keyed]] | None = None  # a mapping whose keys are known, and what each takes
    only: tuple[str, ...] = ()  # in a mapping with known keys: the keys whose records have this field
    unknown_key_hint: str = ""  # the hint for an unknown key of this mapping, when no key is close
    example: str = ""  # YAML for the starter profile, which shows this key commented out

    @property
    def schema_default(self) -> bool:
        return isinstance(self.default, (str, int, float, bool)) and self.default is not None


def prop(
    description: str = "",
    *,
    key: str | None = None,
    default: Any = dataclasses.MISSING,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    required: bool = False,
    completed: bool = False,
    mapping_key: bool = False,
    options: bool = False,
    keys: Callable[[], Iterable[Keyed]] | None = None,
    only: tuple[str, ...] = (),
    unknown_key_hint: str = "",
    example: str = "",
    **keywords: Any,
) -> Any:
    """A declared field. ``keywords`` are JSON Schema keywords in snake case (``min_length=1``, ``unique_items``)."""
    declared = Prop(description=description, key=key, default=default, required=required, completed=completed,
                    keywords=_schema_keywords(keywords), mapping_key=mapping_key,
                    options=options, keys=keys, only=only, unknown_key_hint=unknown_key_hint, example=example)
    metadata = {PROP: declared}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RecordInfo:
    """What a record declares as a whole."""

    name: str | None  # its ``$defs`` name, when it is shared
    description: str
    keywords: Mapping[str, Any]  # minProperties, dependentSchemas, ...
    unknown_keys: Mapping[str, str]  # hints for keys that are refused on purpose (a plaintext password)
    additional: bool  # accepts keys it does not declare (a Kubernetes manifest)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(prop, dataclasses.field))
def record(
    name: str | None = None,
    *,
    description: str = "",
    unknown_keys: Mapping[str, str] | None = None,
    additional: bool = False,
    requires: Mapping[str, str] | None = None,
    exactly_one: tuple[str, ...] = (),
    **keywords: Any,
) -> Callable[[type[T]], type[T]]:
    """Make a class a declared record: a frozen, keyword-only dataclass. ``name`` shares its schema under
    ``$defs``; ``requires={"key": "existingSecret"}`` says a key needs another (``dependentSchemas``);
    ``exactly_one=("pip", "git", "index")`` says one of those keys, and only one, is set (``oneOf``)."""
    extra = _schema_keywords(keywords)
    if exactly_one:
        extra["oneOf"] = [{"required": [key]} for key in exactly_one]
    if requires:
        extra["dependentSchemas"] = {key: {"required": [needed]} for key, needed in requires.items()}

    def make(cls: type[T]) -> type[T]:
        made = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        setattr(made, _RECORD, RecordInfo(name, description, extra, dict(unknown_keys or {}), additional))
        return made

    return make


def is_record(kind: Any) -> bool:
    return isinstance(kind, type) and _RECORD in vars(kind)


def info(kind: type) -> RecordInfo:
    found: RecordInfo = vars(kind)[_RECORD]
    return found


@dataclass(frozen=True)
class Field:
    """A declared field, resolved: its attribute, its profile key, its Python type and its declaration."""

    attribute: str
    key: str
    kind: Any
    declared: Prop
    has_default: bool


@functools.cache
def fields(kind: Any) -> tuple[Field, ...]:
    """The declared fields of a record, in order (fields made without ``prop`` are not part of the profile)."""
    module = sys.modules[kind.__module__]
    hints = typing.get_type_hints(kind, globalns=vars(module), include_extras=True)
    found = []
    for item in dataclasses.fields(kind):
        declared = item.metadata.get(PROP)
        if declared is None:
            continue
        has_default = item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
        found.append(Field(item.name, declared.key or camel(item.name), hints[item.name], declared, has_default))
    return tuple(found)


def camel(name: str) -> str:
    """``sync_wave`` -> ``syncWave``."""
    return re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), name)


def _schema_keywords(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """Snake-case keyword arguments as JSON Schema keywords; tuples become lists."""
    return {camel(name): list(value) if isinstance(value, tuple) else value for name, value in keywords.items()}


# ------------------------------------------------------------------------------------------ reading types


@dataclass(frozen=True)
class Shape:
    """A Python type taken apart: what the schema and the converter need to know of it."""

    kind: str  # "scalar", "record", "list", "map", "any", "literal", "literal-or-record"
    python: Any = None  # the plain type (str, int), a record class, or the literal values (with the record)
    scalar: Scalar | None = None  # from an Annotated type
    item: Shape | None = None  # of a list, or the values of a map
    optional: bool = False
    shaped_as: type | None = None  # a map the schema checks against this record (Annotated[Mapping[...], Record])


def shape(kind: Any) -> Shape:
    """Take a field's type apart: ``Annotated``, ``X | None``, ``tuple[X, ...]``, ``Mapping[str, X]``,
    ``Literal[...]``, ``Literal[...] | Record``, a record, a plain type or ``Any``.

    ``Annotated[Mapping[str, X], Record]`` is a mapping kept as it was written (its values typed as ``X``) that
    the schema checks against ``Record``: for values a renderer passes on whole, such as a patch's target."""
    if typing.get_origin(kind) is typing.Annotated:
        inner, *extras = typing.get_args(kind)
        found = shape(inner)
        scalar_ = next((extra for extra in extras if isinstance(extra, Scalar)), None)
        shaped_as = next((extra for extra in extras if is_record(extra)), None)
        return dataclasses.replace(found, scalar=scalar_ or found.scalar, shaped_as=shaped_as or found.shaped_as)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        members = [member for member in typing.get_args(kind) if member is not type(None)]
        optional = len(members) < len(typing.get_args(kind))
        if len(members) == 1:
            return dataclasses.replace(shape(members[0]), optional=optional)
        literals = [m for m in members if typing.get_origin(m) is typing.Literal]
        records = [m for m in members if is_record(m)]
        if len(literals) == 1 and len(records) == 1 and len(members) == 2:
            return Shape("literal-or-record", (typing.get_args(literals[0]), records[0]), optional=optional)
        raise TypeError(f"unsupported union in a profile declaration: {kind}")
    if origin is typing.Literal:
        return Shape("literal", typing.get_args(kind))
    if origin is tuple:
        return Shape("list", tuple, item=shape(typing.get_args(kind)[0]))
    if origin in (Mapping, dict):
        return Shape("map", Mapping, item=shape(typing.get_args(kind)[1]))
    if kind is Any:
        return Shape("any")
    if is_record(kind):
        return Shape("record", kind)
    return Shape("scalar", kind)


def walk(kind: type, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Field, Shape]]:
    """Every declared field under a record, depth first, with its key path (lists and maps as ``[]``/``<key>``)."""
    for item in fields(kind):
        path = (*prefix, item.key)
        found = shape(item.kind)
        yield path, item, found
        inner = found
        while inner.kind in ("list", "map") and inner.item is not None and inner.shaped_as is None:
            path = (*path, "[]" if inner.kind == "list" else "<key>")
            inner = inner.item
        if inner.kind == "record":
            yield from walk(inner.python, path)
        elif inner.kind == "literal-or-record":
            yield from walk(inner.python[1], path)


def declared_at(kind: type, path: tuple[str | int, ...]) -> tuple[type | None, Field | None]:
    """The record at a JSON path of the profile, and the field that holds it (None where nothing is declared)."""
    record_: type | None = kind
    holder: Field | None = None
    found: Shape | None = None
    for part in path:
        if found is not None and found.kind in ("list", "map"):
            found = found.item
        elif record_ is not None and isinstance(part, str):
            holder = next((item for item in fields(record_) if item.key == part), None)
            if holder is None:
                return None, None
            found = shape(holder.kind)
        else:
            return None, None
        record_ = None
        if found is not None and found.kind == "record":
            record_ = found.python
        elif found is not None and found.kind == "literal-or-record":
            record_ = found.python[1]
    return record_, holder


__all__ = ["PROP", "Field", "Keyed", "Prop", "RecordInfo", "Scalar", "Shape", "camel", "declared_at", "fields", "info",
           "is_record", "prop", "record", "scalar", "shape", "walk"]
