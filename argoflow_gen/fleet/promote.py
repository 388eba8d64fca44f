"""Promote what one cluster of a fleet runs to another, as a reviewable change to the target's own layer files.

Both clusters start from the fleet's ``spec.base``; what they run differs only by their own layers. Promoting
``SRC`` to ``DST`` makes DST's own layers say what SRC's say, under ``spec``, except the keys the fleet file
names in ``spec.perCluster`` (and ``metadata``, always a cluster's own): every such value SRC's layers set is
set in DST's (in the file that sets it already, else in DST's last layer), and every such value only DST's set
is removed, so that DST follows the base as SRC does. Kubeflow's release and the generator's version are
profile values like any other, and go with them. The files are edited in place, keeping their comments,
quotes and order; ``check`` leaves them as they are. A promotion across two formats of the profile file
(``apiVersion``) or two different ``extends`` is refused: its result would not be what SRC runs.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Issue, ProfileError
from ..layers import PRESET_PREFIX
from ..state import confine
from ..writer import write_file
from ..yamlio import JsonPath, dump_commented, format_path, load, load_all_commented
from .load import load_fleet, read_text
from .model import Cluster, Fleet

_MISSING = object()


@dataclass(frozen=True)
class Change:
    """One value of DST's layers: ``set`` to SRC's, or ``remove``d (SRC's layers do not set it)."""

    action: str
    path: str
    before: Any  # DST's value as its layers set it (None: not set)
    after: Any  # SRC's value (None for a removal)
    file: str  # the layer file of DST that changes


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    changes: tuple[Change, ...]
    texts: Mapping[str, tuple[str, str]]  # DST's layer file -> (its text, its text once promoted)
    kept: tuple[str, ...]  # keys of spec.perCluster where the two clusters differ: left as they are
    differences: tuple[str, ...] = ()  # keys still apart once written (see ``promote``)
    same: tuple[str, ...] = ()  # values both clusters' layers already set alike

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class _Layer:
    file: str
    text: str
    data: Mapping[str, Any]
    commented: Any  # ruamel's round-trip mapping, edited in place


def _cluster(fleet: Fleet, name: str, role: str) -> Cluster:
    names = [cluster.name for cluster in fleet.clusters]
    if name not in names:
        raise ProfileError([Issue(f"{role} {name!r}: no cluster of fleet {fleet.name!r} has that name",
                                  file=fleet.file, path="spec.clusters", hint=f"one of: {', '.join(names)}")])
    return fleet.cluster(name)


def _layers(fleet: Fleet, cluster: Cluster) -> list[_Layer]:
    layers = []
    for index, source in enumerate(cluster.layers):
        if source.startswith(PRESET_PREFIX):
            raise ProfileError([Issue(f"cluster {cluster.name!r} has {source} as a layer of its own: promote reads "
                                      "and edits the clusters' own layer files", file=fleet.file,
                                      path=f"spec.clusters[{fleet.clusters.index(cluster)}].layers[{index}]",
                                      hint="move the preset into spec.base, or into a file the cluster extends")])
        text = read_text(source, "profile layer")
        document = load(text, source)
        documents = load_all_commented(text)
        commented = documents[0] if len(documents) == 1 else None
        if not isinstance(document.data, dict) or not isinstance(commented, dict):
            raise ProfileError([Issue("a profile layer must be a mapping", file=source, line=1, column=1)])
        layers.append(_Layer(source, text, document.data, commented))
    if not layers:
        raise ProfileError([Issue(f"cluster {cluster.name!r} has no layer of its own to promote into",
                                  file=fleet.file, path=f"spec.clusters[{fleet.clusters.index(cluster)}].layers",
                                  hint="give it a profile file of its own (layers: [clusters/NAME.yaml])")])
    return layers


def _leaves(data: Any, prefix: JsonPath) -> dict[JsonPath, Any]:
    """Every value below ``prefix``, by path: mappings are walked into, lists and scalars are values (the merge
    rule of layers: mappings merge key by key, everything else is replaced)."""
    if not isinstance(data, dict) or not data:
        return {prefix: data}
    found: dict[JsonPath, Any] = {}
    for key, value in data.items():
        found.update(_leaves(value, (*prefix, key)))
    return found


def _values(layers: Sequence[_Layer]) -> dict[JsonPath, tuple[Any, _Layer]]:
    """What a cluster's own layers set under spec, by path: the value and the (last) layer that sets it."""
    found: dict[JsonPath, tuple[Any, _Layer]] = {}
    for layer in layers:
        spec = layer.data.get("spec")
        if spec is None:
            continue
        for path, value in _leaves(spec, ("spec",)).items():
            for other in [known for known in found if known[:len(path)] == path or path[:len(known)] == known]:
                del found[other]  # a value replaces what an earlier layer set at, below or above it
            found[path] = (value, layer)
    return found


def _kept(path: JsonPath, per_cluster: Sequence[JsonPath]) -> bool:
    return any(path[:len(key)] == key for key in per_cluster)


def _same_layering(source: Sequence[_Layer], target: Sequence[_Layer]) -> None:
    for key in ("apiVersion", "extends"):
        mine: list[Any] = [layer.data.get(key) for layer in source if key in layer.data]
        theirs: list[Any] = [layer.data.get(key) for layer in target if key in layer.data]
        if key == "apiVersion":
            mine, theirs = sorted(set(map(str, mine))), sorted(set(map(str, theirs)))
        if mine != theirs:
            layer = target[-1]
            position = load(layer.text, layer.file).position((key,))
            raise ProfileError([Issue(f"the source's layers have {key} {mine or 'none'}, these {theirs or 'none'}: "
                                      "copying their values would not give what the source runs",
                                      file=layer.file, line=position[0], column=position[1], path=key,
                                      hint="migrate both to the newest format first: argoflow-gen migrate FILE..."
                                      if key == "apiVersion"
                                      else "give both the same extends, or move what they extend into spec.base")])


def _node(commented: Any, path: JsonPath) -> Any:
    node = commented
    for key in path:
        node = node[key]
    return node


def _set(commented: Any, path: JsonPath, value: Any) -> None:
    node = commented
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def _remove(commented: Any, path: JsonPath) -> None:
    parents = [commented]
    for key in path[:-1]:
        parents.append(parents[-1][key])
    del parents[-1][path[-1]]
    for depth in range(len(path) - 1, 0, -1):  # mappings the removal left empty go too
        if parents[depth]:
            break
        del parents[depth - 1][path[depth - 1]]


def plan_promotion(fleet: Fleet, source: str, target: str) -> Promotion:
    """What promoting cluster ``source`` to ``target`` changes in the target's layer files; reads, writes nothing."""
    if source == target:
        raise ProfileError([Issue(f"cannot promote cluster {source!r} to itself", file=fleet.file,
                                  path="spec.clusters")])
    mine = _layers(fleet, _cluster(fleet, source, "source"))
    theirs = _layers(fleet, _cluster(fleet, target, "target"))
    _same_layering(mine, theirs)
    per_cluster = [tuple(key.split(".")) for key in fleet.per_cluster]
    wanted, present = _values(mine), _values(theirs)
    changes: list[Change] = []
    differ = [path for path in {*wanted, *present}
              if wanted.get(path, (_MISSING,))[0] != present.get(path, (_MISSING,))[0]]
    kept = [key for key in fleet.per_cluster if any(_kept(path, [tuple(key.split("."))]) for path in differ)]
    setting = [path for path in sorted(wanted, key=format_path)
               if not _kept(path, per_cluster) and (path not in present or present[path][0] != wanted[path][0])]
    for path in setting:  # where the target already sets it, in that file: its place and comment stay
        value, layer = wanted[path]
        into = present[path][1] if path in present else theirs[-1]
        _set(into.commented, path, copy.deepcopy(_node(layer.commented, path)))
        changes.append(Change("set", format_path(path), present[path][0] if path in present else None, value,
                              into.file))
    for path in sorted(present, key=format_path):
        overlaps = any(path[:len(other)] == other or other[:len(path)] == path for other in setting)
        if path not in wanted and not _kept(path, per_cluster) and not overlaps:  # (a set replaced the others)
            value, last = present[path]
            for layer in theirs:  # from every layer that sets it: an earlier one's value would show through
                if path in _leaves(layer.data.get("spec"), ("spec",)):
                    _remove(layer.commented, path)
                    changes.append(Change("remove", format_path(path), value if layer is last else
                                          _leaves(layer.data.get("spec"), ("spec",))[path], None, layer.file))
    texts = {layer.file: (layer.text, dump_commented([layer.commented])) for layer in theirs
             if any(change.file == layer.file for change in changes)}
    same = sorted(format_path(path) for path in wanted if path in present and path not in differ)
    return Promotion(source, target, tuple(changes), texts, tuple(kept), same=tuple(same))


def promote(fleet_file: str | Path, source: str, target: str, *, check: bool = False) -> Promotion:
    """Promote cluster ``source`` of the fleet to cluster ``target``: edit the target's own layer files in place
    (each atomically), or with ``check`` only say what would change. The target's profile is loaded once written;
    if it is invalid (a rule between a promoted value and one the target keeps), every file is put back as it
    was and the ProfileError says why."""
    fleet = load_fleet(fleet_file)
    promotion = plan_promotion(fleet, source, target)
    if check or not promotion.changes:
        return promotion
    root = Path(fleet.file).resolve().parent
    for file in promotion.texts:  # never written through a symlinked folder, out of the fleet's folder
        confine(root, os.path.relpath(file, root), source=fleet.file)
    written: list[str] = []
    try:
        for file, (_before, after) in promotion.texts.items():
            write_file(Path(file), after)
            written.append(file)
        differences = _differences(fleet, source, target)
    except BaseException:
        for file in written:
            write_file(Path(file), promotion.texts[file][0])
        raise
    if differences:  # what the layers cannot say alike (a value a cluster's own layers cannot remove)
        return Promotion(promotion.source, promotion.target, promotion.changes, promotion.texts, promotion.kept,
                         tuple(differences), promotion.same)
    return promotion


def _differences(fleet: Fleet, source: str, target: str) -> list[str]:
    """The keys outside spec.perCluster (and what the fleet sets) where the two clusters' profiles still differ."""
    from ..profile import thaw
    from .render import cluster_profile, fleet_overrides

    profiles = {name: thaw(cluster_profile(fleet, fleet.cluster(name)).resolved) for name in (source, target)}
    ignored = [tuple(key.split(".")) for key in fleet.per_cluster] + [
        tuple(expression.partition("=")[0].split(".")) for expression in fleet_overrides(fleet, fleet.cluster(source))]
    mine, theirs = (_leaves(profiles[name].get("spec", {}), ("spec",)) for name in (source, target))
    return sorted(format_path(path) for path in {*mine, *theirs}
                  if not _kept(path, ignored) and mine.get(path, _MISSING) != theirs.get(path, _MISSING))


def _shown(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def format_promotion(promotion: Promotion, *, base: Path | None = None, verbose: bool = False) -> str:
    """The changes, one line each, then a unified diff of every file (paths relative to ``base``); ``verbose``
    lists the values both already set alike too."""
    alike = "".join(f"  same   {key}\n" for key in promotion.same) if verbose else ""
    if not promotion.changes:
        return f"{promotion.target} already runs what {promotion.source} runs\n{alike}"
    lines = [f"promote {promotion.source} -> {promotion.target}: {len(promotion.changes)} value(s)"]
    for change in promotion.changes:
        what = f"{_shown(change.before)} -> {_shown(change.after)}" if change.action == "set" and \
            change.before is not None else _shown(change.after) if change.action == "set" else \
            f"{_shown(change.before)} (the base's value then applies)"
        lines.append(f"  {change.action:6} {change.path}: {what}")
    lines.extend(f"  kept   {key} (spec.perCluster)" for key in promotion.kept)
    lines.extend(f"  still apart: {key}" for key in promotion.differences)
    lines.extend(alike.splitlines())
    diff: list[str] = []
    for file, (before, after) in promotion.texts.items():
        shown = str(Path(file).relative_to(base)) if base and Path(file).is_relative_to(base) else file
        diff.extend(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                         f"a/{shown}", f"b/{shown}"))
    return "\n".join(lines) + "\n\n" + "".join(diff)
