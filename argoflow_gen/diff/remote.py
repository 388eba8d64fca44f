"""The run cache of remote kustomize bases.

kustomize clones a repository for every remote reference it meets (``https://github.com/ORG/REPO//PATH
?ref=REF``), in every build: thirty Applications over kubeflow/manifests clone it thirty times per side.
``Cache.localise`` instead checks out each (repository, ref) once per run, with git and the git config of
the environment (so ``url.<local>.insteadOf`` mirrors apply), and rewrites every remote reference of the
kustomizations to build, and of the kustomizations they reach inside the checkouts, into a relative path
to the checkout. kustomize then reads only local files. References without a ``ref`` (plain HTTP files
such as release assets) are left to kustomize.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import DiffError
from ..process import run
from . import _yaml
from .confine import check
from .remoteref import KUSTOMIZATION_FILES, RefusedRemote, Remote, looks_remote, parse_remote

_ENTRY_FIELDS = ("resources", "components", "bases", "generators", "transformers", "validators")


def kustomization_file(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def entries(folder: Path) -> list[str]:
    """The resources, components, bases, generators, transformers and validators of a kustomization."""
    file = kustomization_file(folder)
    if file is None:
        return []
    try:
        documents = _yaml.load_all(file.read_text(encoding="utf-8"))
    except (_yaml.YamlError, OSError, UnicodeDecodeError):
        return []  # kustomize reports it, with its own words
    if not documents or not isinstance(documents[0], Mapping):
        return []
    found: list[str] = []
    for field in _ENTRY_FIELDS:
        values = documents[0].get(field)
        if isinstance(values, list):
            found.extend(value for value in values if isinstance(value, str))
    return found


def local_folders(folder: Path, within: Path) -> list[Path]:
    """``folder`` and every local folder its kustomization reaches, inside ``within``, sorted."""
    seen: set[Path] = set()
    stack = [folder.resolve()]
    root = within.resolve()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for entry in entries(current):
            if looks_remote(entry):
                continue
            target = (current / entry).resolve()
            if target.is_dir() and target.is_relative_to(root) and target not in seen:
                stack.append(target)
    return sorted(seen)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60]


def git_environment() -> dict[str, str]:
    """The environment for git: the user's, never prompting, never aimed at another repository."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


class Cache:
    """Checkouts of remote bases under ``root``, one per (repository, ref), made on demand."""

    def __init__(self, root: Path, *, jobs: int = 4, allow_ssh: bool = False, timeout: float = 300.0) -> None:
        self.root = root
        self.jobs = max(jobs, 1)
        self.allow_ssh = allow_ssh
        self.timeout = timeout
        self._checkouts: dict[tuple[str, str], Path] = {}
        self._scanned: set[Path] = set()

    def localise(self, roots: Iterable[Path]) -> None:
        """Rewrite every remote reference of the kustomizations under ``roots`` (recursively), and of those
        they reach in the checkouts, to a relative path to a checkout made once."""
        pending = sorted({file for root in roots for name in KUSTOMIZATION_FILES for file in root.rglob(name)})
        while pending:
            remotes = {file: self._remotes(file) for file in pending if file not in self._scanned}
            self._scanned.update(pending)
            wanted = sorted({(remote.url, remote.ref) for found in remotes.values() for remote in found}
                            - set(self._checkouts))
            if wanted:
                with ThreadPoolExecutor(max_workers=min(self.jobs, len(wanted))) as pool:
                    for key, path in zip(wanted, pool.map(self._checkout, wanted), strict=True):
                        self._checkouts[key] = path
            reached: set[Path] = set()
            for file, found in remotes.items():
                if found:
                    reached.update(self._rewrite(file, found))
            reachable = {kustomization_file(local) for folder in reached for local in local_folders(folder, self.root)}
            pending = sorted({file for file in reachable if file is not None} - self._scanned)

    def checkout(self, url: str, ref: str) -> Path:
        """The checkout of ``url`` at ``ref`` (``HEAD``: the default branch), made once. ``url`` and ``ref``
        must come from ``parse_remote`` or be checked as strictly."""
        if (url, ref) not in self._checkouts:
            self._checkouts[(url, ref)] = self._checkout((url, ref))
        return self._checkouts[(url, ref)]

    def _remotes(self, file: Path) -> list[Remote]:
        found = []
        for entry in entries(file.parent):
            try:
                remote = parse_remote(entry, allow_ssh=self.allow_ssh)
            except RefusedRemote as refused:
                where = file.relative_to(self.root) if file.is_relative_to(self.root) else file.name
                raise DiffError(f"refusing the remote base {entry.strip()[:200]!r} in {where}: {refused}",
                                hint="remote bases are fetched over https only (--allow-ssh adds ssh)") from None
            if remote is not None:
                found.append(remote)
        return found

    def _rewrite(self, file: Path, remotes: list[Remote]) -> list[Path]:
        text = file.read_text(encoding="utf-8")
        targets = []
        for remote in sorted(remotes, key=lambda remote: -len(remote.entry)):  # longest first: no prefix clash
            target = self._target(remote)
            targets.append(target)
            text = text.replace(remote.entry, os.path.relpath(target, file.parent))
        file.write_text(text, encoding="utf-8")
        return targets

    def _target(self, remote: Remote) -> Path:
        checkout = self._checkouts[(remote.url, remote.ref)]
        target = (checkout / remote.path) if remote.path else checkout
        if target.is_dir():
            return target
        if target.is_file():  # a remote file: wrapped in a kustomization of its own
            digest = hashlib.sha256(f"{remote.url}\0{remote.ref}\0{remote.path}".encode()).hexdigest()[:12]
            wrapper = self.root / "files" / digest
            if not wrapper.exists():
                wrapper.mkdir(parents=True)
                shutil.copyfile(target, wrapper / target.name)
                (wrapper / "kustomization.yaml").write_text(f"resources:\n- {target.name}\n", encoding="utf-8")
            return wrapper
        raise DiffError(f"{remote.entry}: {remote.path or '/'} is not in {remote.url} at {remote.ref}")

    def _checkout(self, key: tuple[str, str]) -> Path:
        url, ref = key
        digest = hashlib.sha256(f"{url}\0{ref}".encode()).hexdigest()[:8]
        name = "-".join(url.rstrip("/").rsplit("/", 2)[-2:])
        destination = self.root / "repos" / f"{_slug(name)}-{_slug(ref)}-{digest}"
        destination.mkdir(parents=True)
        env = git_environment()
        allowed = ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always"]
        if self.allow_ssh:
            allowed += ["-c", "protocol.ssh.allow=always"]
        # url and ref are checked by parse_remote; --end-of-options keeps them from ever reading as options
        steps = [
            ["git", "init", "--quiet", "--", str(destination)],
            ["git", "-C", str(destination), "fetch", "--quiet", "--no-tags", "--depth=1", "--end-of-options",
             url, ref],
            ["git", "-C", str(destination), "-c", "advice.detachedHead=false", "-c", "core.symlinks=false",
             "checkout", "--quiet", "FETCH_HEAD", "--"],
        ]
        for step in steps:
            self._git(step, env, url, ref)
        if (destination / ".gitmodules").is_file():
            self._git(["git", "-C", str(destination), *allowed, "-c", "core.symlinks=false", "submodule", "update",
                       "--init", "--recursive", "--depth=1"], env, url, ref)
        check(destination, allow_ssh=self.allow_ssh, label=f"{url} at {ref}: ")
        return destination

    def _git(self, argv: list[str], env: Mapping[str, str], url: str, ref: str) -> None:
        try:
            result = run(argv, env=env, timeout=self.timeout, max_output=1 << 20)
        except FileNotFoundError:
            raise DiffError("git is not installed", hint="kustomize needs it for remote bases too") from None
        if result.timed_out:
            raise DiffError(f"cannot fetch {url} at {ref}: git took longer than {self.timeout:.0f} s")
        if result.returncode != 0:
            raise DiffError(f"cannot fetch {url} at {ref}: {result.error_text(3)}",
                            hint="check the network, the ref, and your git credentials")
