"""The one module that owns the profile's JSON Schema at run time: loading the shipped file (generated from the
declarations in ``argoflow_gen.profile``), validating with it, translating its errors, filling its defaults."""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any

from . import migrations
from .layers import Merged
from .profile import declare
from .profile.formats import FORMATS
from .profile.spec import Profile
from .yamlio import JsonPath, format_path


@functools.lru_cache(maxsize=1)
def schema_text() -> str:
    return resources.files("argoflow_gen.data").joinpath("profile.schema.json").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def profile_schema() -> Mapping[str, Any]:
    """The shipped JSON Schema (2020-12) of a profile."""
    loaded: Mapping[str, Any] = json.loads(schema_text())
    return loaded


def _optional(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _optional(value) for key, value in node.items() if key not in ("required", "dependentRequired")}
    if isinstance(node, list):
        return [_optional(item) for item in node]
    return node


@functools.lru_cache(maxsize=1)
def layer_schema_text() -> str:
    """The JSON Schema of one layer of a profile: the profile's, with nothing required (an overlay layer sets
    only what it changes; the merged profile is validated whole)."""
    schema = _optional(json.loads(schema_text()))
    schema["$id"] = schema["$id"].replace("/profile/", "/profile-layer/")
    schema["title"] = f"{schema['title']} (one layer)"
    schema["description"] = ("One layer of an argoflow-gen profile: any part of a profile, merged over the layers "
                             "it extends. " + schema.get("description", ""))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@functools.lru_cache(maxsize=4)
def _validator(schema_file: str = "profile.schema.json") -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    for name, declared in FORMATS.items():
        checker.checks(name)(_guard(declared.check))
    if schema_file == "profile.schema.json":
        return Draft202012Validator(profile_schema(), format_checker=checker)
    text = resources.files("argoflow_gen.data").joinpath(schema_file).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text), format_checker=checker)


def _guard(check: Any) -> Any:
    def run(value: Any) -> bool:
        if not isinstance(value, (str, int, float)):
            return True  # the type keyword reports wrong types
        return bool(check(value))

    return run


# ------------------------------------------------------------------------------------------ validation


class Problem:
    """A schema violation before it is placed: a path, a message, a hint, and whether it is about a key."""

    def __init__(self, path: JsonPath, message: str, hint: str = "", at_key: bool = False,
                 rank: int = 1) -> None:
        self.path = path
        self.message = message
        self.hint = hint
        self.at_key = at_key
        self.rank = rank


def _cache_marker(data: Any) -> Path | None:
    """Where the fact "this merged data is valid against this schema" is remembered, or None if nowhere.

    Validation is a pure function of the schema and the data; remembering successes spares later runs of
    the same profile the import of jsonschema (about a third of a render's start-up). Failures are never
    remembered (see ``usercache``).
    """
    from .usercache import cache_dir

    folder = cache_dir("valid")
    if folder is None:
        return None
    digest = hashlib.sha256(schema_text().encode("utf-8"))
    digest.update(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return folder / digest.hexdigest()


def validate(merged: Merged) -> list[Problem]:
    """Every schema violation of the merged profile data."""
    marker = _cache_marker(merged.data)
    if marker is not None and marker.exists():
        return []
    problems = validate_against("profile.schema.json", merged)
    if not problems and marker is not None:
        with contextlib.suppress(OSError):
            marker.touch()
    return problems


def validate_against(schema_file: str, merged: Merged) -> list[Problem]:
    """Every violation of merged data against one of the shipped schemas (``data/SCHEMA_FILE``)."""
    problems: list[Problem] = []
    for error in _validator(schema_file).iter_errors(merged.data):
        problems.extend(_explain(error, merged.written))
    typed = {problem.path for problem in problems if problem.rank == 0 and not problem.at_key}
    return [p for p in problems if p.rank == 0 or p.path not in typed]


def _describe(value: Any, written: str | None = None) -> str:
    if written is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return written
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + '..."'


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "null"}


def _type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _explain(error: Any, written: Any) -> Iterator[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    spelled = written(path)
    keyword = error.validator
    schema = error.schema
    value = error.instance
    if keyword == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(k for k in value if k not in schema.get("properties", {})):
            yield Problem((*path, key), "unknown key", _unknown_key_hint(path, key, allowed), at_key=True, rank=0)
        return
    if keyword == "required":
        for key in error.validator_value:
            if key not in value:
                yield Problem((*path, key), "required key is missing", rank=0)
        return
    if keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
        hint = ""
        if "string" in names and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = f'quote it: "{spelled or value}"'
        elif "string" in names and isinstance(value, bool):
            hint = "YAML reads unquoted true and false as booleans; quote it"
        got = _type_word(value)
        if value is not None and not isinstance(value, (dict, list)):
            got += f" ({_describe(value, spelled)})"
        yield Problem(path, f"expected {wanted}, got {got}", hint, rank=0)
        return
    if keyword == "enum":
        options = [str(option) for option in error.validator_value]
        close = get_close_matches(str(value), options, n=1)
        hint = f"did you mean {close[0]!r}?" if close else ""
        yield Problem(path, f"{_describe(value)} is not one of: {', '.join(options)}", hint)
        return
    if keyword == "const":
        yield Problem(path, f"must be {json.dumps(error.validator_value)}, not {_describe(value)}")
        return
    if keyword == "format":
        declared = FORMATS[error.validator_value]
        detail = declared.detail(value) if declared.detail is not None and isinstance(value, str) else None
        yield Problem(path, f"{_describe(value)} {declared.message}{f': {detail}' if detail else ''}", declared.hint)
        return
    if keyword in ("minProperties", "maxProperties"):
        names = [n for n in schema.get("properties", {}) if n != "key"]
        given = [n for n in value if n in names]
        if keyword == "minProperties":
            yield Problem(path, f"set one of: {', '.join(names)}", rank=0)
        else:
            yield Problem(path, f"set only one of: {', '.join(names)} (found {', '.join(given)})")
        return
    if keyword == "oneOf" and all(list(option) == ["required"] and len(option["required"]) == 1
                                  for option in error.validator_value):
        names = [option["required"][0] for option in error.validator_value]  # a record's "exactly one of" keys
        given = [name for name in names if isinstance(value, dict) and name in value]
        if not given:
            yield Problem(path, f"set one of: {', '.join(names)}", rank=0)
        else:
            yield Problem(path, f"set only one of: {', '.join(names)} (found {', '.join(given)})")
        return
    if keyword == "pattern":
        description = schema.get("description", f"a value matching {error.validator_value}")
        yield Problem(path, f"{_describe(value)} is not {description}")
        return
    if keyword == "minItems":
        yield Problem(path, f"needs at least {error.validator_value} item(s)")
        return
    if keyword == "uniqueItems":
        yield Problem(path, "has duplicate items")
        return
    if keyword == "minLength":
        yield Problem(path, "must not be empty" if error.validator_value == 1
                      else f"must be at least {error.validator_value} characters")
        return
    if keyword == "maxLength":
        yield Problem(path, f"is longer than {error.validator_value} characters")
        return
    if keyword in ("minimum", "maximum"):
        word = "at least" if keyword == "minimum" else "at most"
        yield Problem(path, f"must be {word} {error.validator_value}, not {_describe(value)}")
        return
    if keyword == "dependentSchemas":
        for sub in error.context or []:
            yield from _explain(sub, written)
        return
    yield Problem(path, error.message)


def _unknown_key_hint(parent: JsonPath, key: str, allowed: list[str]) -> str:
    """What to say of an unknown key: what its record declares for it, a close key, or the valid keys."""
    record, holder = declare.declared_at(Profile, parent)
    refused = declare.info(record).unknown_keys if record is not None else {}
    if key in refused:
        return refused[key]
    moved = migrations.moved_to((*parent, key))
    if moved is not None:
        return f"{moved[1]} moved it to {moved[0]}; `argoflow-gen migrate FILE` rewrites a file of an older format"
    close = get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if holder is not None and holder.declared.unknown_key_hint:
        return holder.declared.unknown_key_hint
    return f"valid keys: {', '.join(allowed)}" if allowed else ""


# -------------------------------------------------------------------------------------------- defaults


#: Answers about nodes of the shipped schema, by the node's id (the node is kept, so that its id stays its own):
#: every profile of a fleet asks the same questions of the same nodes.
_RESOLVED: dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
_DEFAULTS: dict[int, tuple[Mapping[str, Any], bool]] = {}


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" not in node:
        return node
    known = _RESOLVED.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    root, resolved = profile_schema(), node
    while "$ref" in resolved:
        name = resolved["$ref"].rsplit("/", 1)[-1]
        resolved = {**root["$defs"][name], **{k: v for k, v in resolved.items() if k != "$ref"}}
    _RESOLVED[id(node)] = (node, resolved)
    return resolved


def _has_default(node: Mapping[str, Any]) -> bool:
    known = _DEFAULTS.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    resolved = _resolve(node)
    answer = "default" in resolved or any(_has_default(child)
                                          for child in resolved.get("properties", {}).values())
    _DEFAULTS[id(node)] = (node, answer)
    return answer


def with_defaults(data: Mapping[str, Any]) -> tuple[dict[str, Any], set[JsonPath]]:
    """A copy of valid profile data with every schema default filled in, and the paths that were filled.

    A missing object is created only when it has no required keys and something inside it has a default
    (``spec.argocd.syncPolicy`` is; ``spec.ingress.tls.letsencrypt`` is not).
    """
    out = copy.deepcopy(dict(data))
    filled: set[JsonPath] = set()
    _fill(profile_schema(), out, (), filled)
    return out, filled


def _fill(node: Mapping[str, Any], value: dict[str, Any], path: JsonPath, filled: set[JsonPath]) -> None:
    node = _resolve(node)
    for key, child in node.get("properties", {}).items():
        child = _resolve(child)
        if key not in value:
            if "default" in child:
                value[key] = copy.deepcopy(child["default"])
                filled.add((*path, key))
                continue
            if child.get("type") == "object" and not child.get("required") and _has_default(child):
                value[key] = {}
                filled.add((*path, key))
            else:
                continue
        _fill_inside(child, value[key], (*path, key), filled)


def _fill_inside(node: Mapping[str, Any], value: Any, path: JsonPath, filled: set[JsonPath]) -> None:
    """Defaults below a value: an object, the object branch of an if/then/else, or each object of a list."""
    if isinstance(value, dict):
        target = node if node.get("type") == "object" else _resolve(node.get("else", {}))
        if target.get("type") == "object":
            _fill(target, value, path, filled)
    elif isinstance(value, list) and node.get("type") == "array" and isinstance(node.get("items"), dict):
        items = _resolve(node["items"])
        for index, item in enumerate(value):
            _fill_inside(items, item, (*path, index), filled)


__all__ = ["Problem", "format_path", "profile_schema", "validate", "with_defaults"]
