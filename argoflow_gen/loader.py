"""load → merge → validate → typed Profile. ``load_profile`` is the one entry point."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalog, rules, schema
from .errors import Issue, ProfileError
from .layers import DEFAULT, Layer, Merged, Resolution, collect, merge
from .profile import Profile
from .profile.convert import convert, frozen
from .setexpr import parse_set
from .yamlio import JsonPath, format_path

CATALOG_DEFAULT = "default"


def _is_block(merged: Merged, path: JsonPath) -> bool:
    """Is the merged value at ``path`` a mapping or a list (whose text starts on the line after its key)?"""
    value: Any = merged.data
    for part in path:
        in_map = isinstance(value, dict) and part in value
        in_list = isinstance(value, list) and isinstance(part, int) and part < len(value)
        if not (in_map or in_list):
            return False
        value = value[part]
    return isinstance(value, (dict, list))


def _place(problem: schema.Problem, merged: Merged) -> Issue:
    path = problem.path
    if (problem.at_key or _is_block(merged, path)) and path in merged.key_origins:
        origin = merged.key_origins[path]
    elif path in merged.origins:
        origin = merged.origins[path]
    else:  # a missing key: the nearest parent that was written (a key, or an item of a list)
        probe = path[:-1]
        while probe and probe not in merged.key_origins and not (
            isinstance(probe[-1], int) and probe in merged.origins
        ):
            probe = probe[:-1]
        origin = merged.key_origins.get(probe) or merged.origins[probe] if probe else merged.root
    return Issue(problem.message, file=origin.file, line=origin.line, column=origin.column,
                 path=format_path(path), hint=problem.hint)


def _raise(problems: Sequence[schema.Problem], merged: Merged) -> None:
    files = [layer.document.file for layer in reversed(merged.layers)]
    placed = []
    seen = set()
    for problem in problems:
        issue = _place(problem, merged)
        key = (issue.file, issue.line, issue.column, issue.path, issue.message)
        if key in seen:
            continue
        seen.add(key)
        placed.append((problem.rank, files.index(issue.file) if issue.file in files else len(files),
                       issue.line, issue.column, issue.path, issue))
    placed.sort(key=lambda row: row[:5])
    raise ProfileError([row[-1] for row in placed])


def raise_problems(problems: Sequence[schema.Problem], merged: Merged) -> None:
    """Raise ProfileError with every problem placed at the file, line and column that wrote its path."""
    _raise(problems, merged)


def layers_of(sources: Iterable[str | Path], overrides: Iterable[str] = ()) -> list[Layer]:
    layers = collect(sources)
    layers.extend(parse_set(expression, index) for index, expression in enumerate(overrides))
    return layers


def resolve(sources: Iterable[str | Path], overrides: Iterable[str] = ()) -> Resolution:
    """Layers merged, validated and completed with every default; raises ProfileError with all problems."""
    sources = list(sources)
    if not sources:
        raise ProfileError([Issue("no profile given", hint="name a profile file or preset:NAME")])
    merged = merge(layers_of(sources, overrides))
    problems = schema.validate(merged)
    if problems:
        _raise([*problems, *_rules_despite(problems, merged)], merged)
    data, _filled = schema.with_defaults(merged.data)
    spec = data["spec"]
    written = merged.data.get("spec", {})
    _complete(spec, written)
    problems = rules.check(spec, written)
    if problems:
        _raise(problems, merged)
    return Resolution(data=data, merged=merged)


def _rules_despite(found: Sequence[schema.Problem], merged: Merged) -> list[schema.Problem]:
    """The cross-field problems of data that already has schema problems, so that every problem is reported
    at once. Rules assume schema-valid data: any rule that trips over the invalid parts is skipped, and a
    problem at or around a path the schema already reported is left out (it would only echo it)."""
    try:
        data, _filled = schema.with_defaults(merged.data)
        spec = data["spec"]
        _complete(spec, merged.data.get("spec", {}))
        problems = rules.check(spec, merged.data.get("spec", {}))
    except Exception:  # the schema problems are reported either way
        return []
    reported = [problem.path for problem in found]

    def overlaps(path: JsonPath) -> bool:
        return any(path[:len(other)] == other or other[:len(path)] == path for other in reported)

    return [problem for problem in problems if not overlaps(problem.path)]


def _complete(spec: dict[str, Any], written: Mapping[str, Any]) -> None:
    """Fill what depends on the Kubeflow release: components, notebook defaults, derived values (``written``
    is the spec as the layers wrote it, to tell a default from a choice)."""
    release = catalog.release(spec["kubeflow"]["version"])
    asked = spec["kubeflow"].get("components", {})
    components: dict[str, Any] = {}
    for cid, component in release.components.items():
        entry = {"enabled": component.default, **copy.deepcopy(asked.get(cid, {}))}
        for name, option in component.options.items():
            entry.setdefault(name, option.default)
        entry.setdefault("syncWave", component.wave)
        components[cid] = entry
    for cid, entry in asked.items():  # ids of other releases stay visible to the rules
        components.setdefault(cid, copy.deepcopy(entry))
    spec["kubeflow"]["components"] = components
    pipelines = spec.setdefault("pipelines", {"artifactStore": "default"})
    if "pipelines" in components:
        written_mode = asked.get("pipelines", {}).get("mode")
        mode = pipelines.get("mode") or written_mode or components["pipelines"]["mode"]
        pipelines["mode"] = mode
        if not written_mode:
            components["pipelines"]["mode"] = mode
    notebooks = copy.deepcopy(dict(release.notebooks))
    for key, value in spec.get("notebooks", {}).items():
        if isinstance(value, dict) and isinstance(notebooks.get(key), dict):
            notebooks[key] = {**notebooks[key], **value}
        else:
            notebooks[key] = value
    if "images" in spec.get("notebooks", {}) and "defaultImage" not in spec["notebooks"]:
        notebooks["defaultImage"] = notebooks["images"][0]
    spec["notebooks"] = notebooks
    identity = spec.setdefault("identity", {})
    if "admin" not in identity and identity.get("users"):
        identity["admin"] = identity["users"][0]["email"]
    if components.get("argo-workflows", {}).get("enabled"):
        _complete_argo_workflows(spec)
    monitoring = spec.get("addons", {}).get("monitoring")
    if monitoring is not None and monitoring.get("enabled") is not False \
            and "prometheus" not in written.get("monitoring", {}):
        spec.setdefault("monitoring", {})["prometheus"] = "serviceMonitor"  # the monitoring add-on's Prometheus
    sealing_wanted = rules.uses_sealing(spec) and "sealed-secrets" in components
    if sealing_wanted and asked.get("sealed-secrets", {}).get("enabled") is not False:
        components["sealed-secrets"]["enabled"] = True


def _complete_argo_workflows(spec: dict[str, Any]) -> None:
    """Argo Workflows' derived values: its own host joins the gateway's hosts, and the Kubeflow admin is its
    admin unless the profile names one."""
    argo = spec.setdefault("argoWorkflows", {})
    ingress = spec.setdefault("ingress", {})
    host = argo.get("host")
    if host and host != ingress.get("domain") and host not in ingress.get("extraHosts", []):
        ingress["extraHosts"] = [*ingress.get("extraHosts", []), host]
    rbac = argo.setdefault("sso", {}).setdefault("rbac", {})
    admin = spec.get("identity", {}).get("admin")
    if "admin" not in rbac and admin:
        rbac["admin"] = {"users": [admin]}


def explain(resolution: Resolution, key: str | None = None) -> list[tuple[str, Any, str]]:
    """(dotted path, value, origin) for every effective leaf value, optionally under one dotted key."""
    rows: list[tuple[str, Any, str]] = []

    def walk(value: Any, path: JsonPath) -> None:
        if isinstance(value, Mapping) and value:
            for child_key, item in value.items():
                walk(item, (*path, child_key))
            return
        if isinstance(value, list) and value and any(isinstance(item, (dict, list)) for item in value):
            for index, item in enumerate(value):
                walk(item, (*path, index))
            return
        origin = resolution.origin(path)
        rows.append((format_path(path), value, CATALOG_DEFAULT if origin is DEFAULT else str(origin)))

    walk(resolution.data, ())
    if key:
        rows = [row for row in rows if row[0] == key or row[0].startswith(key + ".") or row[0].startswith(key + "[")]
    return rows


def load_profile(*sources: str | Path, overrides: Iterable[str] = ()) -> Profile:
    """Read, merge and validate profile layers into a typed Profile.

    ``sources`` are profile files or ``preset:NAME``; ``overrides`` are ``spec.x.y=VALUE`` strings applied
    on top (VALUE is YAML). Raises ``ProfileError`` listing every problem, each with its file and line.
    """
    return typed(resolve(sources, overrides))


@dataclass(frozen=True)
class _Origins:
    resolution: Resolution

    def base(self, path: JsonPath) -> Path:
        """The folder a relative path written at ``path`` resolves against: its layer's (cwd for a default)."""
        origin = self.resolution.origin(path)
        return origin.base if origin.base is not None else Path.cwd()


def typed(resolution: Resolution) -> Profile:
    """The typed Profile of a resolution. It sees the release's components only, each with the profile-wide
    scheduling under its own (key by key); the resolved data and its digest are the resolution's, unchanged."""
    data = resolution.data
    spec = data["spec"]
    release = catalog.release(spec["kubeflow"]["version"])
    shared = spec.get("scheduling", {})
    components = {cid: {**entry, "scheduling": {**shared, **entry.get("scheduling", {})}}
                  for cid, entry in spec["kubeflow"]["components"].items() if cid in release.components}
    view = {**data, "spec": {**spec, "kubeflow": {**spec["kubeflow"], "components": components}}}
    notices = tuple(notice for layer in resolution.merged.layers if (notice := layer.notice))
    return convert(Profile, view, _Origins(resolution), digest=digest(data), resolved=frozen(data), notices=notices)


def digest(data: Mapping[str, Any]) -> str:
    """The sha256 of resolved profile data, as the lock file records it."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
