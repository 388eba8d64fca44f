"""The Argo CD Applications of a tree, and the folder of the tree each one builds.

Applications are read from ``argocd-applications/*.yaml`` and from YAML files at the root of the tree (the
app-of-apps, ``kubeflow.yaml``). An Application's ``spec.source.path`` is a path in the repository; the tree
sits at ``spec.repo.path`` of it (``Repo.join``), which is the path of the app-of-apps, since that one syncs
the root of the tree. A source with a Helm chart, or a path that is not a folder of the tree, is not built.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from . import _yaml

APPLICATIONS_DIR = "argocd-applications"


@dataclass(frozen=True)
class Application:
    """One Application of a tree: where it is defined and what it deploys."""

    name: str
    file: str
    folder: str | None  # the folder of the tree it builds ("." for the root), None if not built
    namespace: str  # destination namespace: the default of its namespaced resources
    reason: str = ""  # why it is not built
    recurse: bool = False  # a plain-directory source with ``directory.recurse``


def _candidates(tree: Mapping[str, str]) -> list[str]:
    return sorted(path for path in tree
                  if path.endswith((".yaml", ".yml"))
                  and ((path.startswith(f"{APPLICATIONS_DIR}/") and path.count("/") == 1) or "/" not in path))


def _documents(tree: Mapping[str, str], path: str) -> list[dict[str, object]]:
    try:
        documents = _yaml.load_shared(tree[path])
    except _yaml.YamlError:
        return []
    return [document for document in documents
            if isinstance(document, dict) and document.get("kind") == "Application"
            and str(document.get("apiVersion", "")).startswith("argoproj.io/")]


def _has_folder(tree: Mapping[str, str], folder: str) -> bool:
    prefix = folder.rstrip("/") + "/"
    return any(path.startswith(prefix) for path in tree)


def applications(tree: Mapping[str, str]) -> dict[str, Application]:
    """Every Application of the tree, by name."""
    raw: list[tuple[str, dict[str, object]]] = []
    for path in _candidates(tree):
        raw.extend((path, document) for document in _documents(tree, path))
    repo_path = _repo_path(raw)
    found: dict[str, Application] = {}
    for path, document in raw:
        application = _application(tree, path, document, repo_path)
        if application.name and application.name not in found:
            found[application.name] = application
    return found


def _source(document: Mapping[str, object]) -> Mapping[str, object]:
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        return {}
    source = spec.get("source")
    if isinstance(source, Mapping):
        return source
    sources = spec.get("sources")
    if isinstance(sources, list) and len(sources) == 1 and isinstance(sources[0], Mapping):
        return sources[0]
    return {}


def _repo_path(raw: list[tuple[str, dict[str, object]]]) -> str | None:
    """The tree's path in its repository: the source path of the app-of-apps at the root of the tree."""
    for path, document in raw:
        if "/" in path:
            continue
        source = _source(document)
        if isinstance(source.get("path"), str) and not source.get("chart"):
            return posixpath.normpath(str(source["path"]))
    return None


def _application(tree: Mapping[str, str], path: str, document: Mapping[str, object],
                 repo_path: str | None) -> Application:
    metadata = document.get("metadata")
    name = str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""
    spec = document.get("spec")
    destination = spec.get("destination") if isinstance(spec, Mapping) else None
    namespace = str(destination.get("namespace", "") or "") if isinstance(destination, Mapping) else ""
    source = _source(document)
    if not source:
        return Application(name, path, None, namespace, "no single source")
    if source.get("chart"):
        return Application(name, path, None, namespace, "Helm chart source")
    if not isinstance(source.get("path"), str):
        return Application(name, path, None, namespace, "no source path")
    folder = _folder(tree, posixpath.normpath(str(source["path"])), repo_path)
    if folder is None:
        return Application(name, path, None, namespace, f"source path {source['path']} is not a folder of the tree")
    directory = source.get("directory")
    recurse = isinstance(directory, Mapping) and directory.get("recurse") is True
    return Application(name, path, folder, namespace, recurse=recurse)


def _folder(tree: Mapping[str, str], source_path: str, repo_path: str | None) -> str | None:
    if repo_path is not None:
        if source_path == repo_path:
            return "."
        if repo_path == ".":
            return source_path if _has_folder(tree, source_path) else None
        if source_path.startswith(repo_path + "/"):
            folder = source_path[len(repo_path) + 1:]
            return folder if _has_folder(tree, folder) else None
    parts = source_path.split("/")  # no app-of-apps: the longest tail of the path that is a folder
    for start in range(len(parts)):
        folder = "/".join(parts[start:])
        if folder and folder != "." and _has_folder(tree, folder):
            return folder
    return None


def owner(path: str, apps: Mapping[str, Application]) -> str:
    """The Application a file of the tree belongs to: the one defined in it, else the one building the
    deepest folder holding it, else the one whose folder shares its first segment; "" for none."""
    for app in apps.values():
        if app.file == path:
            return app.name
    best = ""
    depth = -1
    for app in apps.values():
        if app.folder and app.folder != "." and path.startswith(app.folder + "/") and app.folder.count("/") > depth:
            best, depth = app.name, app.folder.count("/")
    if best:
        return best
    top = path.split("/", 1)[0]
    if "/" in path:
        sharing = sorted(app.name for app in apps.values()
                         if app.folder and app.folder != "." and app.folder.split("/", 1)[0] == top)
        if len(sharing) == 1:
            return sharing[0]
    return ""
