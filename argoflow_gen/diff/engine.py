"""The builds of one run: each distinct build once, none that the cache holds, the rest in parallel.

A ``Unit`` is one Application's folder on one side. Its key is the digest of everything its output depends
on: its local inputs (``inputs``), the commits of the repositories it reaches (``localise``) and the
identity of the kustomize command. Units with one key are built once; a key the persistent cache holds
(``store``) is not built at all. A build that reaches something unpinned (``Reach.unpinned``) is built
every run, never stored. Any failed build is a ``DiffError``, raised when the others are done.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DiffError
from ..state.gate import problem
from . import confine, documents, kustomize
from .apps import Application
from .batch import Builders
from .budget import Budget, give_back
from .documents import Document, Memo
from .inputs import LocalInputs, plain_digest
from .localise import Localiser, Reach
from .remote import kustomization_file
from .repos import Repositories
from .store import BuildStore

#: Called after each build with (builds done, builds in all, Application name).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Unit:
    """What to build: an Application's folder on one side (``folder`` None: plain manifests, read directly)."""

    side: int
    application: Application
    folder: Path | None
    local: str  # the digest of its local inputs


@dataclass(frozen=True)
class Settings:
    """How to build: the kustomize argv, builds at once, each build's time limit, the cache."""

    argv: tuple[str, ...]
    jobs: int
    timeout: float
    allow_ssh: bool = False
    cache_dir: Path | None = None
    progress: Progress | None = None
    labels: tuple[str, ...] = ()
    memory: int | None = None  # bytes for the run and the builds it runs at once (``budget``); None: no limit


def scratch() -> str | None:
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


class Workspace:
    """The trees of one run written to a scratch folder and checked, their local inputs, their remote bases."""

    def __init__(self, work: Path, trees: Sequence[Mapping[str, str]], settings: Settings) -> None:
        self.trees = trees
        self.settings = settings
        self.roots = [work / f"side-{index}" for index in range(len(trees))]
        for root, tree, name in zip(self.roots, trees, settings.labels, strict=True):
            _write(tree, root)
            confine.check(root, allow_ssh=settings.allow_ssh, label=f"{name}: ")
        self.inputs = [LocalInputs(root) for root in self.roots]
        store = settings.cache_dir / "repos" if settings.cache_dir is not None else work / "repos"
        repos = Repositories(store, work / "checkouts", allow_ssh=settings.allow_ssh, jobs=settings.jobs)
        self.localiser = Localiser(repos, work / "files", allow_ssh=settings.allow_ssh)
        (work / "checkouts").mkdir()

    def unit(self, side: int, app: Application) -> Unit:
        """The unit that builds ``app`` of one side (an Application with a folder)."""
        assert app.folder is not None
        root = self.roots[side]
        folder = root / app.folder if app.folder != "." else root
        if kustomization_file(folder) is None:
            return Unit(side, app, None, plain_digest(self.trees[side], app))
        return Unit(side, app, folder, self.inputs[side].digest(folder))


@contextmanager
def workspace(trees: Sequence[Mapping[str, str]], settings: Settings) -> Iterator[Workspace]:
    """A Workspace for the run, removed when it ends; then the cache's builds unused for a month go too."""
    with tempfile.TemporaryDirectory(prefix="argoflow-gen-diff-", dir=scratch()) as work:
        yield Workspace(Path(work), trees, settings)
    if settings.cache_dir is not None:
        BuildStore(settings.cache_dir).prune()


def _write(tree: Mapping[str, str], root: Path) -> None:
    for relative, text in tree.items():
        reason = problem(relative)
        if reason is not None:
            raise DiffError(f"refusing to build a tree holding the path {relative[:200]!r}: {reason}")
        target = root.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


Done = Callable[[Unit, list[Document]], None]


class Engine:
    """Runs units of one workspace; ``on_done`` gets each unit's documents, on the calling thread."""

    def __init__(self, space: Workspace) -> None:
        self.space = space
        self.settings = space.settings
        self.store = BuildStore(space.settings.cache_dir) if space.settings.cache_dir is not None else None
        self._identity: str | None = None
        self.done = 0
        self.total = 0

    def run(self, units: Sequence[Unit], on_done: Done, memo: Callable[[Unit], Memo],
            stop: Callable[[], bool] = lambda: False) -> None:
        """Build ``units`` (each distinct key once), calling ``on_done`` as each finishes; stop early (what runs
        is finished) once ``stop()`` says so."""
        for unit in units:
            if unit.folder is None:
                on_done(unit, _plain(self.space.trees[unit.side], unit.application))
        kustomized = [unit for unit in units if unit.folder is not None]
        reach = self.space.localiser.prepare((unit.folder, self.space.roots[unit.side])
                                             for unit in kustomized if unit.folder is not None)
        groups: dict[str, list[Unit]] = {}
        pinned: dict[str, bool] = {}
        weight: dict[str, int] = {}
        for unit in kustomized:
            assert unit.folder is not None
            reached = reach[unit.folder.resolve()]
            key = self._key(unit, reached)
            groups.setdefault(key, []).append(unit)
            pinned[key] = not reached.unpinned
            weight[key] = reached.weight
        self.total += len(groups)
        stored = {key: self._stored(key) if pinned[key] else None for key in groups}
        queue = [key for key in sorted(groups, key=lambda key: (-weight[key], key)) if stored[key] is None]
        budget = Budget(self.settings.memory, self.settings.jobs)
        failures: list[str] = []
        running: dict[Future[str], tuple[str, int]] = {}  # the build, its key and lane
        reading: dict[Future[list[Document]], str] = {}
        lanes = Builders(self.settings.argv)
        with closing(lanes), ThreadPoolExecutor(max_workers=self.settings.jobs) as builders, \
                ThreadPoolExecutor(max_workers=1) as reader:  # YAML is read while the next builds run
            for key, lines in stored.items():
                if lines is not None:
                    reading[reader.submit(self._decode, key, lines, memo(groups[key][0]))] = key
            while queue or running or reading:
                for lane in sorted(set(budget.lanes()) - {lane for _key, lane in running.values()}):
                    if not queue:
                        break
                    heaviest, share = budget.take(lane)
                    key = queue.pop(0 if heaviest else -1)
                    future = builders.submit(lanes.build, lane, groups[key][0].folder, self.settings.timeout, share)
                    running[future] = (key, lane)
                waiting: list[Future[Any]] = [*running, *reading]
                finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for build in [future for future in running if future in finished]:
                    key, _lane = running.pop(build)
                    try:
                        output = build.result()
                    except kustomize.BuildFailure as failure:
                        failures.append(self._failure(groups[key][0], failure.detail))
                        continue
                    if not stop():
                        reading[reader.submit(self._read, key, output, memo(groups[key][0]), pinned[key])] = key
                for read in [future for future in reading if future in finished]:
                    key = reading.pop(read)
                    try:
                        found = read.result()
                    except documents.BadEntry:  # a stored entry that is not what it claims: built again
                        queue.insert(0, key)
                        continue
                    except kustomize.BuildFailure as failure:
                        failures.append(self._failure(groups[key][0], failure.detail))
                        continue
                    if not stop():
                        self._finish(groups[key], found, on_done)
                if stop():
                    queue.clear()
        if failures:
            raise DiffError("kustomize build failed:\n  " + "\n  ".join(sorted(failures)),
                            hint="a diff is never reported for something that could not be built")

    def _finish(self, group: list[Unit], found: list[Document], on_done: Done) -> None:
        self.done += 1
        for unit in group:
            on_done(unit, found)
        if self.settings.progress is not None:
            self.settings.progress(self.done, self.total, group[0].application.name)

    def _failure(self, unit: Unit, detail: str) -> str:
        for root in self.space.roots:
            detail = detail.replace(f"{root}/", "").replace(str(root), ".")
        labels = self.settings.labels
        return f"{unit.application.name} ({labels[unit.side] if unit.side < len(labels) else unit.side}): {detail}"

    def _key(self, unit: Unit, reach: Reach) -> str:
        parts = {"local": unit.local, "commits": sorted(reach.commits), "unpinned": reach.unpinned}
        if self.store is not None and not reach.unpinned:
            if self._identity is None:
                self._identity = kustomize.identity(list(self.settings.argv))
            parts["kustomize"] = self._identity
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def _stored(self, key: str) -> list[str] | None:
        return self.store.get(key) if self.store is not None else None

    def _decode(self, key: str, lines: list[str], memo: Memo) -> list[Document]:
        try:
            return documents.decode(lines, memo)
        except documents.BadEntry:
            assert self.store is not None
            self.store.discard(key)
            raise

    def _read(self, key: str, output: str, memo: Memo, pinned: bool) -> list[Document]:
        try:
            parsed = documents.parse(output, memo)
        except documents.YamlError as exc:
            raise kustomize.BuildFailure(f"the output is not YAML: {exc}") from None
        shared, lines = documents.encode(parsed, memo)
        if self.store is not None and pinned and lines is not None:
            self.store.put(key, lines)
        del output, parsed, lines
        if self.settings.memory is not None:
            give_back()  # the build's text, read and dropped: its memory goes to the next builds' share
        return shared


def _plain(tree: Mapping[str, str], app: Application) -> list[Document]:
    """A folder of plain manifests, read as Argo CD reads a directory source."""
    from .inputs import plain_files

    found: list[Document] = []
    for path in plain_files(tree, app):
        try:
            loaded = [json.loads(tree[path])] if path.endswith(".json") else documents.load_all(tree[path])
        except (ValueError, documents.YamlError) as exc:
            raise DiffError(f"{app.name}: {path} is not valid YAML or JSON: {exc}") from None
        found.extend(document for document in loaded if isinstance(document, Mapping))
    return found
