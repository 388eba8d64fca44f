"""Remote bases made local for the builds of one run, and the remote half of each build's inputs.

kustomize clones a repository for every remote reference it meets, in every build: thirty Applications over
kubeflow/manifests would clone it thirty times per side. Instead, ``Localiser.prepare`` checks each
(repository, commit) out once per run (``repos``), and rewrites every remote reference of the kustomizations
a build reaches (in the tree and, transitively, in the checkouts) into a relative path to its checkout;
kustomize then reads only local files. Only what the folders asked for is fetched.

For each folder it also tells what the build reaches remotely: the commits (``Reach.commits``), and whether
a reference is left for kustomize to fetch itself (no ``ref``: a release asset; or a Helm chart), which
nothing pins: such a build is never kept across runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DiffError
from . import confine
from .remote import RefusedRemote, Remote, entries_of, kustomization, kustomization_file, looks_remote, parse_remote
from .repos import Repositories


@dataclass(frozen=True)
class Reach:
    """What a build reaches beyond its tree: (URL, commit) of each repository, and whether anything is unpinned."""

    commits: frozenset[tuple[str, str]]
    unpinned: bool
    weight: int = 0  # bytes of the files under the folders it reaches: what the build reads, at most


@dataclass
class _Node:
    """One folder a build reaches: the local folders and remote bases its kustomization names."""

    local: list[Path]
    remotes: list[Remote]
    unpinned: bool
    files: dict[Path, int]  # the files under the folder, and their sizes
    targets: list[Path] = field(default_factory=list)  # the folders the remotes became


class Localiser:
    """Makes the remote bases of the folders it is given local, once per run."""

    def __init__(self, repos: Repositories, wrappers: Path, *, allow_ssh: bool = False) -> None:
        self.repos = repos
        self.wrappers = wrappers
        self.allow_ssh = allow_ssh
        self._nodes: dict[Path, _Node] = {}
        self._found: dict[tuple[str, str], tuple[str, Path]] = {}
        self._checkouts: dict[Path, str] = {}  # checkout -> how errors name it

    def prepare(self, starts: Iterable[tuple[Path, Path]]) -> dict[Path, Reach]:
        """For each (folder, root of its tree): make what it reaches local; its Reach, by resolved folder."""
        starts = [(folder.resolve(), root.resolve()) for folder, root in starts]
        frontier = list(starts)
        while frontier:
            fresh = []
            while frontier:
                folder, root = frontier.pop()
                if folder in self._nodes:
                    continue
                node = self._scan(folder, root)
                self._nodes[folder] = node
                frontier.extend((child, root) for child in node.local)
                if node.remotes:
                    fresh.append(folder)
            wanted = {(remote.url, remote.ref) for folder in fresh for remote in self._nodes[folder].remotes}
            found = self.repos.checkouts(wanted)
            self._found.update(found)
            self._checkouts.update((checkout.resolve(), f"{url} at {ref}: ") for (url, ref), (_commit, checkout)
                                   in sorted(found.items(), reverse=True))
            for folder in sorted(fresh):
                node = self._nodes[folder]
                for target, root in self._rewrite(folder, node.remotes):
                    node.targets.append(target.resolve())
                    frontier.append((target.resolve(), root.resolve()))
        return {folder: self._reach(folder) for folder, _root in starts}

    def _scan(self, folder: Path, root: Path) -> _Node:
        file = kustomization_file(folder)
        if file is not None and root in self._checkouts:  # the trees were checked whole, before anything
            confine.check(root, allow_ssh=self.allow_ssh, label=self._checkouts[root], files=[file])
        document = kustomization(folder)
        local: list[Path] = []
        remotes: list[Remote] = []
        unpinned = bool(document.get("helmCharts"))
        for entry in entries_of(document):
            if not looks_remote(entry):
                target = (folder / entry).resolve()
                if target.is_dir() and target.is_relative_to(root):
                    local.append(target)
                continue
            try:
                remote = parse_remote(entry, allow_ssh=self.allow_ssh)
            except RefusedRemote as refused:
                where = folder.relative_to(root) if folder.is_relative_to(root) else folder.name
                raise DiffError(f"refusing the remote base {entry.strip()[:200]!r} in {where}: {refused}",
                                hint="remote bases are fetched over https only (--allow-ssh adds ssh)") from None
            if remote is None:
                unpinned = True
            else:
                remotes.append(remote)
        files = {path: path.stat().st_size for path in folder.rglob("*") if path.is_file() and ".git" not in path.parts}
        return _Node(local, remotes, unpinned, files)

    def _rewrite(self, folder: Path, remotes: list[Remote]) -> list[tuple[Path, Path]]:
        file = kustomization_file(folder)
        assert file is not None
        text = file.read_text(encoding="utf-8")
        targets = []
        for remote in sorted(remotes, key=lambda remote: -len(remote.entry)):  # longest first: no prefix clash
            target, root = self._target(remote)
            targets.append((target, root))
            text = text.replace(remote.entry, os.path.relpath(target, folder))
        file.write_text(text, encoding="utf-8")
        return targets

    def _target(self, remote: Remote) -> tuple[Path, Path]:
        commit, checkout = self._found[(remote.url, remote.ref)]
        target = (checkout / remote.path) if remote.path else checkout
        if target.is_dir():
            return target, checkout
        if target.is_file():  # a remote file: wrapped in a kustomization of its own
            digest = hashlib.sha256(f"{remote.url}\0{commit}\0{remote.path}".encode()).hexdigest()[:16]
            wrapper = self.wrappers / digest
            if not wrapper.exists():
                wrapper.mkdir(parents=True)
                shutil.copyfile(target, wrapper / target.name)
                (wrapper / "kustomization.yaml").write_text(f"resources:\n- {target.name}\n", encoding="utf-8")
            return wrapper, wrapper
        raise DiffError(f"{remote.entry}: {remote.path or '/'} is not in {remote.url} at {remote.ref}")

    def _reach(self, start: Path) -> Reach:
        commits: set[tuple[str, str]] = set()
        unpinned = False
        files: dict[Path, int] = {}
        seen: set[Path] = set()
        stack = [start]
        while stack:
            folder = stack.pop()
            if folder in seen or folder not in self._nodes:
                continue
            seen.add(folder)
            node = self._nodes[folder]
            unpinned = unpinned or node.unpinned
            files.update(node.files)
            commits.update((remote.url, self._found[(remote.url, remote.ref)][0]) for remote in node.remotes)
            stack.extend(node.local)
            stack.extend(node.targets)
        return Reach(frozenset(commits), unpinned, sum(files.values()))
