"""Profile layers: read files and presets, follow ``extends``, apply ``--set``, merge with provenance.

The merge rule, written once (``merge``): mappings merge key by key, lists and scalars are replaced
whole, and a later layer wins over an earlier one.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from . import migrations
from .errors import Issue, ProfileError
from .yamlio import Document, JsonPath, format_path, load

PRESET_PREFIX = "preset:"
API_VERSION = migrations.LATEST
KIND = "Profile"
MAX_LAYERS = 64

#: The largest profile file read. It is stated in the README.
MAX_FILE_BYTES = 1024 * 1024


def _error(file: str, message: str, line: int = 0, column: int = 0, hint: str = "") -> ProfileError:
    return ProfileError([Issue(message, file=file, line=line, column=column, hint=hint)])


def decode(raw: bytes, file: str) -> str:
    """Bytes to text: UTF-8 only, and no larger than MAX_FILE_BYTES."""
    if len(raw) > MAX_FILE_BYTES:
        raise _error(
            file,
            f"file is {len(raw)} bytes, over the limit of {MAX_FILE_BYTES} bytes",
            1,
            1,
            "a profile is a small configuration file; split it into layers with `extends`",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _error(
            file, f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded", line, column,
            "save the file as UTF-8",
        ) from None


@dataclass(frozen=True)
class Origin:
    """Where a value was written: a file (or ``--set``), a 1-based line and column, and the layer's folder."""

    file: str
    line: int
    column: int
    base: Path | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


DEFAULT = Origin("default", 0, 0)


@dataclass(frozen=True)
class Layer:
    """One parsed layer, in the newest format. ``base`` is the folder its relative paths resolve against (None
    for presets); ``version`` is the format it was written in."""

    document: Document
    base: Path | None
    label: str
    version: str = API_VERSION

    @property
    def notice(self) -> str | None:
        """What to tell the user of a file of theirs written in an older format (nothing for presets)."""
        if self.version == API_VERSION or self.base is None:
            return None
        return migrations.notice(self.label, self.version)


@dataclass(frozen=True)
class Merged:
    """The merged profile data and, for every path, the layer position that wrote it."""

    data: dict[str, Any]
    origins: dict[JsonPath, Origin]
    key_origins: dict[JsonPath, Origin]
    layers: tuple[Layer, ...]

    def written(self, path: JsonPath) -> str | None:
        """A number exactly as the layer that wrote it spelled it (``1.10``, not ``1.1``)."""
        origin = self.origins.get(tuple(path))
        for layer in reversed(self.layers):
            if origin and layer.document.file == origin.file and path in layer.document.numbers:
                return layer.document.numbers[path]
        return None

    def origin(self, path: JsonPath) -> Origin:
        """Where ``path`` was written, or its nearest written parent; ``DEFAULT`` if nothing was."""
        probe = tuple(path)
        while probe:
            if probe in self.origins:
                return self.origins[probe]
            probe = probe[:-1]
        return DEFAULT

    @property
    def root(self) -> Origin:
        """The top of the topmost file layer: where a problem with no better place is reported."""
        for layer in reversed(self.layers):
            if layer.label != "--set":
                return Origin(layer.document.file, 1, 1, layer.base)
        return DEFAULT


@dataclass(frozen=True)
class Resolution:
    """The effective profile data (merged, validated, defaults filled), and where each value came from."""

    data: Mapping[str, Any]
    merged: Merged

    def origin(self, path: JsonPath) -> Origin:
        """Where ``path`` was written, or ``DEFAULT`` if a default filled it."""
        if path in self.merged.origins:
            return self.merged.origins[path]
        return DEFAULT


@functools.lru_cache(maxsize=4)
def preset_names(version: str = API_VERSION) -> tuple[str, ...]:
    """The presets of a format (a preset newer than an older format is read in the newest by its layers)."""
    folder = resources.files("argoflow_gen.profiles")
    if version != API_VERSION:
        folder = folder.joinpath(migrations.short(version))
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


def preset_summary(name: str) -> str:
    """The first comment line of a preset file: what it is for."""
    for line in read_preset(name).splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def preset_extends(name: str) -> list[str]:
    """The layers a preset extends, as it names them."""
    from .yamlio import load

    data = load(read_preset(name), f"preset:{name}").data
    extends = data.get("extends", []) if isinstance(data, dict) else []
    return [str(entry) for entry in extends]


@functools.lru_cache(maxsize=64)
def read_preset(name: str, version: str = API_VERSION) -> str:
    """A preset's text in a format: presets of the newest format are at the top of the folder, those of older
    formats in a folder named after it (``v1alpha1/``), so that a layer's ``preset:NAME`` is in its own format."""
    folder = resources.files("argoflow_gen.profiles")
    if version != API_VERSION:
        folder = folder.joinpath(migrations.short(version))
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def _issue(message: str, origin: Origin | None, path: JsonPath = (), hint: str = "") -> Issue:
    if origin is None:
        return Issue(message, path=format_path(path), hint=hint)
    return Issue(message, file=origin.file, line=origin.line, column=origin.column,
                 path=format_path(path), hint=hint)


def _open_source(source: str, shown_dir: str | None, chain: Sequence[str], at: Origin | None,
                 version: str = API_VERSION) -> tuple[str, str, Path | None, str]:
    """(label, text, base folder, identity) of one source; a located error if it cannot be read.

    ``shown_dir`` is the folder of the layer that named this source, as the user wrote it (None for a
    source from the command line or a preset), so that messages show paths the way the user knows them. A
    preset is read in ``version``, the format of the layer that names it.
    """
    is_preset = source.startswith(PRESET_PREFIX)
    label = os.path.normpath(os.path.join(shown_dir, source)) if shown_dir is not None and not is_preset else source
    via = " -> ".join([*chain, label])

    def fail(message: str, hint: str = "") -> ProfileError:
        if at is None:  # named on the command line: the message is about that file as a whole
            return ProfileError([Issue(message, file=label, hint=hint)])
        return ProfileError([_issue(f"{message}: {via}", at, ("extends",), hint)])

    if is_preset:
        name = source[len(PRESET_PREFIX):]
        if name not in preset_names():
            from difflib import get_close_matches

            close = get_close_matches(name, preset_names(), n=1)
            hint = f"did you mean preset:{close[0]}?" if close else "run `argoflow-gen presets` to list them"
            raise fail("unknown preset", hint)
        if version != API_VERSION and name in preset_names(version):
            label = f"{source} ({migrations.short(version)})"
            return label, read_preset(name, version), None, label
        return source, read_preset(name), None, source
    path = Path(label)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("profile file not found") from None
    except IsADirectoryError:
        raise fail("is a folder, not a profile file") from None
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror}") from None
    resolved = path.resolve()
    return label, decode(raw, label), resolved.parent, str(resolved)


@functools.lru_cache(maxsize=512)
def _parsed(text: str, label: str) -> tuple[Document, list[str], str]:
    """A layer's text parsed and checked once per process (presets and shared bases recur across a fleet's
    profiles): its document in the newest format, its ``extends`` and the format it was written in. Nothing
    downstream mutates a Document's data: merging deep-copies it."""
    document = load(text, label)
    extends = _check_layer(document)
    return migrations.document(document), extends, migrations.version_of(document.data)


def _check_layer(document: Document) -> list[str]:
    """Checks that apply to each layer on its own; returns its ``extends`` entries."""
    data = document.data
    if data is None:
        raise ProfileError([Issue("the document is empty", file=document.file, line=1, column=1,
                                  hint="a profile is a mapping with apiVersion, kind, metadata and spec")])
    if not isinstance(data, dict):
        raise ProfileError([Issue(f"a profile must be a mapping, not a {_type_name(data)}",
                                  file=document.file, line=1, column=1)])
    issues = []
    if "apiVersion" in data and data["apiVersion"] not in migrations.VERSIONS:
        line, column = document.position(("apiVersion",))
        older = ", ".join(migrations.VERSIONS[:-1])
        issues.append(Issue(f"must be {API_VERSION!r}, not {data['apiVersion']!r}", file=document.file,
                            line=line, column=column, path="apiVersion",
                            hint=f"older formats are read too ({older}); `argoflow-gen migrate FILE` rewrites them"))
    if "kind" in data and data["kind"] != KIND:
        line, column = document.position(("kind",))
        issues.append(Issue(f"must be {KIND!r}, not {data['kind']!r}", file=document.file,
                            line=line, column=column, path="kind"))
    extends = data.get("extends", [])
    if not isinstance(extends, list) or not all(isinstance(e, str) and e for e in extends):
        line, column = document.position(("extends",))
        issues.append(Issue("must be a list of file paths or preset:NAME entries", file=document.file,
                            line=line, column=column, path="extends"))
        extends = []
    if issues:
        raise ProfileError(issues)
    return list(extends)


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def collect(sources: Iterable[str | Path]) -> list[Layer]:
    """Every layer, lowest first: for each source its ``extends`` (depth first), then the source itself."""
    layers: list[Layer] = []

    def visit(source: str, shown_dir: str | None, keys: list[str], labels: list[str],
              at: Origin | None, version: str = API_VERSION) -> None:
        label, text, base, key = _open_source(source, shown_dir, labels, at, version)
        if key in keys:
            cycle = " -> ".join([*labels[keys.index(key):], label])
            raise ProfileError([_issue(f"loop: {cycle}", at, ("extends",),
                                       "a profile cannot extend itself, directly or through others")])
        if len(keys) >= MAX_LAYERS or len(layers) >= MAX_LAYERS:
            raise ProfileError([_issue(f"more than {MAX_LAYERS} layers", at, ("extends",))])
        document, extends, written = _parsed(text, label)
        child_dir = None if base is None else os.path.dirname(label)
        for index, entry in enumerate(extends):
            line, column = document.position(("extends", index))
            origin = Origin(label, line, column, base)
            visit(entry, child_dir, [*keys, key], [*labels, label], origin, written)
        layers.append(Layer(document=document, base=base, label=label, version=written))

    for source in sources:
        visit(str(source), None, [], [], None)
    return layers


def merge(layers: Sequence[Layer]) -> Merged:
    """THE merge rule: maps merge deeply, lists and scalars are replaced, later layers win."""
    from deepmerge import Merger

    merger = Merger([(dict, ["merge"]), (list, ["override"])], ["override"], ["override"])
    data: dict[str, Any] = {}
    origins: dict[JsonPath, Origin] = {}
    key_origins: dict[JsonPath, Origin] = {}
    for layer in layers:
        body = {key: value for key, value in layer.document.data.items() if key != "extends"}
        data = merger.merge(data, copy.deepcopy(body))
        _record(layer, body, (), origins, key_origins)
    return Merged(data=data, origins=origins, key_origins=key_origins, layers=tuple(layers))


def _record(layer: Layer, value: Any, path: JsonPath, origins: dict[JsonPath, Origin],
            key_origins: dict[JsonPath, Origin]) -> None:
    document = layer.document
    written_before = path in origins  # an earlier layer wrote here (and so, maybe, below)
    if path:
        line, column = document.values.get(path, document.position(path))
        origins[path] = Origin(document.file, line, column, layer.base)
        if path in document.keys:
            kline, kcol = document.keys[path]
            key_origins[path] = Origin(document.file, kline, kcol, layer.base)
    if isinstance(value, dict):
        for key, item in value.items():
            _record(layer, item, (*path, key), origins, key_origins)
        return
    # a list or a scalar replaces whatever earlier layers wrote below this path (every path below one was
    # written is recorded with it: where nothing was written, nothing is below)
    depth = len(path)
    for table in (origins, key_origins) if written_before or not path else ():
        for stale in [p for p in table if len(p) > depth and p[:depth] == path]:
            del table[stale]
    if isinstance(value, list):
        for index, item in enumerate(value):
            _record(layer, item, (*path, index), origins, key_origins)
