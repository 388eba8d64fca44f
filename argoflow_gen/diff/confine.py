"""Kustomizations of a pull request are data: before anything is built, every path they name must stay inside
the tree (or the checkout) that holds them, and every remote base must be one argoflow-gen accepts.

kustomize itself refuses files outside a kustomization's folder, but not folders: ``resources: [/home/x]``
or ``../../../../etc`` would build (and show in a pull-request comment) whatever kustomization sits there.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import DiffError
from . import _yaml
from .remoteref import KUSTOMIZATION_FILES, RefusedRemote, looks_remote, parse_remote

#: Fields whose string items are paths or remote references (or, for generators and the like, inline YAML).
_LISTS = ("resources", "components", "bases", "crds", "configurations", "generators", "transformers",
          "validators", "patchesStrategicMerge")
_REMOTE_OK = ("resources", "components", "bases", "generators", "transformers", "validators")
_GENERATORS = ("configMapGenerator", "secretGenerator")


def path_values(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, value) for every path-like value of a kustomization."""
    for field in _LISTS:
        values = document.get(field)
        if isinstance(values, list):
            yield from ((field, value) for value in values if isinstance(value, str))
    for field in ("patches", "patchesJson6902", "replacements"):
        values = document.get(field)
        if isinstance(values, list):
            yield from ((f"{field}[].path", item["path"]) for item in values
                        if isinstance(item, Mapping) and isinstance(item.get("path"), str))
    openapi = document.get("openapi")
    if isinstance(openapi, Mapping) and isinstance(openapi.get("path"), str):
        yield "openapi.path", openapi["path"]
    for field in _GENERATORS:
        generators = document.get(field)
        if not isinstance(generators, list):
            continue
        for generator in generators:
            if not isinstance(generator, Mapping):
                continue
            for key in ("files", "envs"):
                values = generator.get(key)
                if isinstance(values, list):
                    yield from ((f"{field}[].{key}", value.split("=", 1)[-1]) for value in values
                                if isinstance(value, str))
            if isinstance(generator.get("env"), str):
                yield f"{field}[].env", generator["env"]
    helm = document.get("helmGlobals")
    if isinstance(helm, Mapping) and isinstance(helm.get("chartHome"), str):
        yield "helmGlobals.chartHome", helm["chartHome"]
    charts = document.get("helmCharts")
    if isinstance(charts, list):
        for chart in charts:
            if isinstance(chart, Mapping):
                if isinstance(chart.get("valuesFile"), str):
                    yield "helmCharts[].valuesFile", chart["valuesFile"]
                for extra in chart.get("additionalValuesFiles") or []:
                    if isinstance(extra, str):
                        yield "helmCharts[].additionalValuesFiles", extra


def problems(root: Path, *, allow_ssh: bool = False, label: str = "", files: Iterable[Path] | None = None) -> list[str]:
    """What is wrong with the kustomizations under ``root`` (or with ``files``, kustomizations under it): each
    line names the file and the value."""
    found = []
    chosen = sorted(files) if files is not None else [file for name in KUSTOMIZATION_FILES
                                                      for file in sorted(root.rglob(name))]
    for file in chosen:
        relative = file.relative_to(root).as_posix()
        try:
            documents = _yaml.load_shared(file.read_text(encoding="utf-8"))
        except (_yaml.YamlError, OSError, UnicodeDecodeError):
            continue  # kustomize reports it, with its own words
        if not documents or not isinstance(documents[0], Mapping):
            continue
        folder = posixpath.dirname(relative)
        for field, value in path_values(documents[0]):
            reason = _problem(field, value, folder, allow_ssh)
            if reason:
                found.append(f"{label}{relative}: {field}: {value.strip()[:200]!r}: {reason}")
    return found


def _problem(field: str, value: str, folder: str, allow_ssh: bool) -> str:
    text = value.strip()
    if "\n" in text or (field.split("[")[0] in ("generators", "transformers", "validators", "patchesStrategicMerge")
                        and ": " in text):
        return ""  # inline YAML, not a path
    if looks_remote(text):
        if field not in _REMOTE_OK:
            return "a remote reference where kustomize reads a local file"
        try:
            parse_remote(text, allow_ssh=allow_ssh)
        except RefusedRemote as refused:
            return str(refused)
        return ""
    if "\0" in text:
        return "a NUL character"
    if os.path.isabs(text):
        return "an absolute path: only paths inside the tree are built"
    joined = posixpath.normpath(posixpath.join(folder, text))
    if joined == ".." or joined.startswith("../"):
        return "leaves the tree: only paths inside it are built"
    return ""


def check(root: Path, *, allow_ssh: bool = False, label: str = "", files: Iterable[Path] | None = None) -> None:
    """Raise a DiffError listing every problem of the kustomizations under ``root`` (or of ``files``); nothing
    is built then."""
    found = problems(root, allow_ssh=allow_ssh, label=label, files=files)
    if found:
        raise DiffError("refusing to build:\n  " + "\n  ".join(found[:20])
                        + (f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""),
                        hint="a kustomization may only name paths inside the fork and https remote bases")


def is_inline(field: str, value: str) -> bool:
    """Whether a path-like value of ``field`` is inline YAML rather than a path."""
    text = value.strip()
    return "\n" in text or (field.split("[")[0] in ("generators", "transformers", "validators",
                                                    "patchesStrategicMerge") and ": " in text)
