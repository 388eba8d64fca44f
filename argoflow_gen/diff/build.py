"""Build every Application of one or more trees into its manifests, as Argo CD's repo-server would.

Each tree is written to a temporary folder; remote bases are checked out once for the run (``remote.Cache``);
each Application's folder is then built with kustomize (``kubectl kustomize`` unless another command is
given), in parallel across cores. A folder without a kustomization is read as a plain directory of
manifests, as Argo CD does. Builds whose inputs are byte-identical on several trees run once and share
their result, so an unchanged Application costs one build, not two. Any failure is a ``DiffError``: a diff
never reports "no differences" for something it could not build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DiffError
from ..process import run
from ..state.gate import problem
from . import _yaml, confine
from .apps import Application, applications
from .model import NotBuilt
from .remote import Cache, kustomization_file, local_folders

DEFAULT_KUSTOMIZE = "kubectl kustomize"
BUILD_TIMEOUT = 600.0  # seconds, per build
MAX_BUILD_OUTPUT = 256 << 20
_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

#: Called after each build with (builds done, builds in all, Application name).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Built:
    """The manifests of every built Application of a tree, its destination namespaces, what was not built."""

    manifests: Mapping[str, Sequence[Mapping[str, Any]]]
    namespaces: Mapping[str, str]
    not_built: tuple[NotBuilt, ...] = ()


@dataclass(frozen=True)
class _Task:
    key: str
    side: int
    application: str
    folder: Path


def kustomize_command(command: str) -> list[str]:
    """The argv that builds a folder (appended last): ``kustomize`` alone means ``kustomize build``."""
    argv = shlex.split(command)
    if not argv:
        raise DiffError("the kustomize command is empty", hint=f"for example --kustomize '{DEFAULT_KUSTOMIZE}'")
    if len(argv) == 1 and os.path.basename(argv[0]) == "kustomize":
        argv.append("build")
    if shutil.which(argv[0]) is None:
        raise DiffError(f"kustomize command not found: {argv[0]}",
                        hint="install kubectl, or name the command with --kustomize CMD")
    return argv


def build_trees(*trees: Mapping[str, str], kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
                progress: Progress | None = None, labels: Sequence[str] = (), allow_ssh: bool = False,
                timeout: float = BUILD_TIMEOUT) -> tuple[Built, ...]:
    """Build every Application of each tree; builds with identical inputs run once and share one result.

    The trees are untrusted (a pull request): nothing is built until every kustomization names only paths
    inside its tree and remote bases argoflow-gen accepts (https; ssh with ``allow_ssh``); each build runs
    at most ``timeout`` seconds and prints at most MAX_BUILD_OUTPUT bytes. ``labels`` name the trees in
    error messages (default: old, new).
    """
    argv = kustomize_command(kustomize)
    names = list(labels) or (["old", "new"] if len(trees) == 2 else [f"tree {i + 1}" for i in range(len(trees))])
    jobs = max(jobs or os.cpu_count() or 1, 1)
    with tempfile.TemporaryDirectory(prefix="argoflow-gen-diff-", dir=_scratch()) as work:
        roots = [Path(work) / f"side-{index}" for index in range(len(trees))]
        for root, tree, name in zip(roots, trees, names, strict=True):
            _write(tree, root)
            confine.check(root, allow_ssh=allow_ssh, label=f"{name}: ")
        Cache(Path(work) / "cache", jobs=jobs, allow_ssh=allow_ssh, timeout=timeout).localise(roots)
        plans = [_plan(tree, root, side) for side, (tree, root) in enumerate(zip(trees, roots, strict=True))]
        unique: dict[str, _Task] = {}
        for _apps, tasks, _direct in plans:
            for task in tasks:
                unique.setdefault(task.key, task)
        ordered = sorted(unique.values(), key=lambda task: (-_weight(task.folder, Path(work)), task.key))
        outputs = _run(ordered, argv, jobs, progress, roots, names, timeout)
    results = []
    for apps, tasks, direct in plans:
        manifests: dict[str, Sequence[Mapping[str, Any]]] = dict(direct)
        for task in tasks:
            manifests[task.application] = outputs[task.key]
        results.append(Built(
            manifests=dict(sorted(manifests.items())),
            namespaces={app.name: app.namespace for app in apps.values()},
            not_built=tuple(NotBuilt(app.name, app.reason) for app in apps.values() if app.folder is None),
        ))
    return tuple(results)


def _scratch() -> str | None:
    """Where the run's trees and checkouts go: memory (/dev/shm) when the user set no TMPDIR and it has room,
    since a run writes and deletes thousands of small files; else the usual temporary folder."""
    if os.environ.get("TMPDIR"):
        return None
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    if stats.f_bavail * stats.f_frsize >= 1 << 30 and os.access("/dev/shm", os.W_OK | os.X_OK):
        return "/dev/shm"
    return None


def build_tree(tree: Mapping[str, str], *, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
               progress: Progress | None = None, allow_ssh: bool = False) -> Built:
    """Build every Application of one tree."""
    (built,) = build_trees(tree, kustomize=kustomize, jobs=jobs, progress=progress, labels=["tree"],
                           allow_ssh=allow_ssh)
    return built


def _write(tree: Mapping[str, str], root: Path) -> None:
    for relative, text in tree.items():
        reason = problem(relative)
        if reason is not None:
            raise DiffError(f"refusing to build a tree holding the path {relative[:200]!r}: {reason}")
        target = root.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _plan(tree: Mapping[str, str], root: Path, side: int) -> tuple[
        dict[str, Application], list[_Task], dict[str, Sequence[Mapping[str, Any]]]]:
    """What to build for one tree: kustomize tasks keyed by their inputs, and plain folders read directly."""
    apps = applications(tree)
    tasks = []
    direct: dict[str, Sequence[Mapping[str, Any]]] = {}
    for app in apps.values():
        if app.folder is None:
            continue
        folder = root / app.folder if app.folder != "." else root
        if kustomization_file(folder) is not None:
            tasks.append(_Task(_inputs_key(folder, root), side, app.name, folder))
        else:
            direct[app.name] = _directory(tree, app)
    return apps, tasks, direct


def _inputs_key(folder: Path, root: Path) -> str:
    """A digest of everything a build of ``folder`` reads in its tree (the checkouts are shared)."""
    digest = hashlib.sha256()
    digest.update(str(folder.relative_to(root)).encode())
    for local in local_folders(folder, root):
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            digest.update(b"\0" + str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _weight(folder: Path, work: Path) -> int:
    """How much a build reads, in bytes: the biggest builds start first, so that none is left alone at the end."""
    return sum(path.stat().st_size for local in local_folders(folder, work) for path in local.glob("*.y*ml"))


def _directory(tree: Mapping[str, str], app: Application) -> list[Mapping[str, Any]]:
    """A folder of plain manifests, read as Argo CD reads a directory source."""
    prefix = "" if app.folder == "." else f"{app.folder}/"
    manifests: list[Mapping[str, Any]] = []
    for path in sorted(tree):
        if not path.startswith(prefix) or not path.endswith(_MANIFEST_SUFFIXES):
            continue
        if "/" in path[len(prefix):] and not app.recurse:
            continue
        try:
            documents = [json.loads(tree[path])] if path.endswith(".json") else _yaml.load_all(tree[path])
        except (ValueError, _yaml.YamlError) as exc:
            raise DiffError(f"{app.name}: {path} is not valid YAML or JSON: {exc}") from None
        manifests.extend(document for document in documents if isinstance(document, Mapping))
    return manifests


def _run(tasks: list[_Task], argv: list[str], jobs: int, progress: Progress | None, roots: list[Path],
         names: list[str], timeout: float) -> dict[str, list[Mapping[str, Any]]]:
    outputs: dict[str, list[Mapping[str, Any]]] = {}
    failures: list[str] = []
    if not tasks:
        return outputs
    memo: dict[str, Any] = {}  # document text -> data, shared by every build of the run
    with ThreadPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        futures: dict[Future[list[Mapping[str, Any]]], _Task] = {
            pool.submit(_build_one, argv, task.folder, memo, timeout): task for task in tasks}
        for done, future in enumerate(as_completed(futures), start=1):
            task = futures[future]
            try:
                outputs[task.key] = future.result()
            except _BuildFailure as failure:
                detail = failure.detail
                for root in roots:
                    detail = detail.replace(f"{root}/", "").replace(str(root), ".")
                failures.append(f"{task.application} ({names[task.side]}): {detail}")
            if progress is not None:
                progress(done, len(tasks), task.application)
    if failures:
        raise DiffError("kustomize build failed:\n  " + "\n  ".join(sorted(failures)),
                        hint="a diff is never reported for something that could not be built")
    return outputs


class _BuildFailure(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _environment() -> dict[str, str]:
    """kustomize's environment: the user's, with Go's garbage collector running 4x less often unless GOGC is
    set (a third less CPU for a short-lived build of large CRDs, for about twice the memory)."""
    return {"GOGC": "400", **os.environ}


def _build_one(argv: list[str], folder: Path, memo: dict[str, Any], timeout: float) -> list[Mapping[str, Any]]:
    try:
        result = run([*argv, str(folder)], env=_environment(), timeout=timeout, max_output=MAX_BUILD_OUTPUT)
    except FileNotFoundError:
        raise _BuildFailure(f"command not found: {argv[0]} (install kubectl, or pass --kustomize CMD)") from None
    if result.timed_out:
        raise _BuildFailure(f"stopped after {timeout:.0f} s (a build may take at most that long)")
    if result.overflowed:
        raise _BuildFailure(f"stopped: the output passed {MAX_BUILD_OUTPUT >> 20} MiB")
    if result.returncode != 0:
        lines = [line for line in result.stderr.decode("utf-8", "replace").strip().splitlines()
                 if not line.startswith("# Warning:")]
        raise _BuildFailure(" ".join(lines[-5:])[-2000:] or f"exit status {result.returncode}")
    try:
        documents = _yaml.load_stream(result.stdout.decode("utf-8", "replace"), memo)
    except _yaml.YamlError as exc:
        raise _BuildFailure(f"the output is not YAML: {exc}") from None
    return [document for document in documents if isinstance(document, Mapping)]
