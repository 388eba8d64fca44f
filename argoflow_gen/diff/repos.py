"""Upstream repositories: each ref resolved to a commit, each commit fetched once into the cache, and
checked out once per run.

A ref is resolved with ``git ls-remote`` (a full commit id is taken as it is). Each repository is a bare
repository of the cache (``repos/<digest of the URL>.git``) into which commits are fetched shallow, by
commit, and kept as ``refs/c/<commit>``, so that a later run finds them without fetching. A run checks each
commit it needs out into its own scratch folder (through git's alternates: the objects are not copied),
without symlinks (``localise`` then refuses it unless every kustomization a build reaches in it passes
``confine``). Without a cache
folder, the bare repositories live in the run's scratch folder and go with it.

URLs and refs were checked by ``parse_remote`` and reach git after ``--end-of-options``; every git command
is bounded in time and output; fetches into one repository are serialised across processes (a lock file).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..errors import DiffError
from ..process import run
from ..state.gate import is_real_folder
from .remote import git_environment

_COMMIT = re.compile(r"[0-9a-f]{40}")
_QUIET = ["-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "advice.detachedHead=false"]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60]


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


class Repositories:
    """Bare repositories under ``store``; checkouts under ``scratch``, one per (URL, commit) per run."""

    def __init__(self, store: Path, scratch: Path, *, allow_ssh: bool = False, timeout: float = 300.0,
                 jobs: int = 4) -> None:
        self.store = store
        self.scratch = scratch
        self.allow_ssh = allow_ssh
        self.timeout = timeout
        self.jobs = max(jobs, 1)
        self._commits: dict[tuple[str, str], str] = {}
        self._checkouts: dict[tuple[str, str], Path] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def checkouts(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, Path]]:
        """(URL, ref) -> (commit, checkout) for every wanted pair: resolved, fetched and checked out as needed."""
        pairs = sorted(set(wanted))
        todo = [pair for pair in pairs if pair not in self._commits]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            resolved = dict(zip(todo, pool.map(self._resolve, todo), strict=True))
            by_url: dict[str, dict[str, str | None]] = {}
            for (url, ref), commit in resolved.items():
                by_url.setdefault(url, {})[ref] = commit
            for found in pool.map(self._fetch, by_url.items()):
                self._commits.update(found)
            missing = sorted({(url, self._commits[(url, ref)], ref) for url, ref in pairs
                              if (url, self._commits[(url, ref)]) not in self._checkouts})
            unique = list({(url, commit): ref for url, commit, ref in missing}.items())
            for key, path in zip(unique, pool.map(self._checkout, unique), strict=True):
                self._checkouts[key[0]] = path
        return {(url, ref): (self._commits[(url, ref)], self._checkouts[(url, self._commits[(url, ref)])])
                for url, ref in pairs}

    # ------------------------------------------------------------------------------------------ resolving

    def _resolve(self, pair: tuple[str, str]) -> str | None:
        """The commit a ref names on the remote (as ``git fetch`` would pick it), None if ls-remote cannot
        tell (an abbreviated commit id, say: the fetch then tells)."""
        url, ref = pair
        if _COMMIT.fullmatch(ref):
            return ref
        output = self._git(["git", "ls-remote", "--end-of-options", url, ref, f"{ref}^{{}}"], url, ref)
        found: dict[str, str] = {}
        for line in output.decode("utf-8", "replace").splitlines():
            commit, _, name = line.partition("\t")
            if _COMMIT.fullmatch(commit):
                found[name] = commit
        for name in (ref, f"refs/{ref}", f"refs/tags/{ref}", f"refs/heads/{ref}", f"refs/remotes/{ref}",
                     f"refs/remotes/{ref}/HEAD"):
            if f"{name}^{{}}" in found:  # an annotated tag: its commit
                return found[f"{name}^{{}}"]
            if name in found:
                return found[name]
        return None

    # ------------------------------------------------------------------------------------------- fetching

    @contextmanager
    def _locked(self, url: str) -> Iterator[Path]:
        """The bare repository of ``url``, made if missing, held by this thread and process alone."""
        with self._guard:
            lock = self._locks.setdefault(url, threading.Lock())
        with lock:
            self.store.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = _digest(url)
            descriptor = os.open(self.store / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield self._bare(self.store / f"{name}.git", url)
            finally:
                os.close(descriptor)

    def _bare(self, path: Path, url: str) -> Path:
        if is_real_folder(path) and (path / "objects").is_dir() and not (path / "objects").is_symlink():
            return path
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
        temporary = Path(tempfile.mkdtemp(dir=self.store, prefix=".tmp-"))
        self._git(["git", "init", "--quiet", "--bare", "--", str(temporary)], url, "")
        os.rename(temporary, path)
        return path

    def _fetch(self, item: tuple[str, Mapping[str, str | None]]) -> dict[tuple[str, str], str]:
        """Fetch the commits of ``refs`` (ref -> resolved commit, or None) not in the cache yet."""
        url, refs = item
        found = {(url, ref): commit for ref, commit in refs.items() if commit is not None}
        with self._locked(url) as bare:
            present = set(self._git(["git", "-C", str(bare), "for-each-ref", "--format=%(objectname)", "refs/c/"],
                                    url, "").decode().split())
            wanted = sorted({commit for commit in found.values() if commit not in present})
            if wanted:
                by_commit = [f"{commit}:refs/c/{commit}" for commit in wanted]
                try:
                    self._git(["git", "-C", str(bare), *_QUIET, "fetch", "--quiet", "--no-tags", "--depth=1",
                               "--end-of-options", url, *by_commit], url, ", ".join(sorted(refs)))
                except DiffError:  # a server that refuses a fetch by commit: by ref, and the commit must match
                    for ref, commit in sorted(refs.items()):
                        if commit in wanted and self._fetch_ref(bare, url, ref) != commit:
                            raise DiffError(f"{url} at {ref}: the ref moved while it was fetched",
                                            hint="run the diff again") from None
            for ref, commit in sorted(refs.items()):
                if commit is None:
                    found[(url, ref)] = self._fetch_ref(bare, url, ref)
        return found

    def _fetch_ref(self, bare: Path, url: str, ref: str) -> str:
        self._git(["git", "-C", str(bare), *_QUIET, "fetch", "--quiet", "--no-tags", "--depth=1", "--end-of-options",
                   url, ref], url, ref)
        commit = self._git(["git", "-C", str(bare), "rev-parse", "--verify", "--quiet", "--end-of-options",
                            "FETCH_HEAD^{commit}"], url, ref).decode().strip()
        if not _COMMIT.fullmatch(commit):
            raise DiffError(f"cannot fetch {url} at {ref}: no commit")
        self._git(["git", "-C", str(bare), "update-ref", f"refs/c/{commit}", commit], url, ref)
        return commit

    # ------------------------------------------------------------------------------------------ checkouts

    def _checkout(self, item: tuple[tuple[str, str], str]) -> Path:
        (url, commit), ref = item
        name = "-".join(url.rstrip("/").rsplit("/", 2)[-2:])
        destination = self.scratch / f"{_slug(name)}-{commit[:12]}-{_digest(url)[:8]}"
        shutil.rmtree(destination, ignore_errors=True)
        self._git(["git", "init", "--quiet", "--", str(destination)], url, ref)
        objects = self.store / f"{_digest(url)}.git" / "objects"
        (destination / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
        checkout = ["git", "-C", str(destination), *_QUIET, "-c", "core.symlinks=false", "checkout", "--quiet",
                    commit, "--"]
        try:
            self._git(checkout, url, ref)
        except DiffError:  # a damaged repository in the cache: fetched again, once
            with self._locked(url) as bare:
                shutil.rmtree(bare, ignore_errors=True)
            self._fetch((url, {ref: commit}))
            self._git(checkout, url, ref)
        if (destination / ".gitmodules").is_file():
            allowed = ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always"]
            if self.allow_ssh:
                allowed += ["-c", "protocol.ssh.allow=always"]
            self._git(["git", "-C", str(destination), *allowed, "-c", "core.symlinks=false", "submodule", "update",
                       "--init", "--recursive", "--depth=1"], url, ref)
        return destination

    def _git(self, argv: list[str], url: str, ref: str) -> bytes:
        try:
            result = run(argv, env=git_environment(), timeout=self.timeout, max_output=1 << 20)
        except FileNotFoundError:
            raise DiffError("git is not installed", hint="kustomize needs it for remote bases too") from None
        where = f"{url} at {ref}" if ref else url
        if result.timed_out:
            raise DiffError(f"cannot fetch {where}: git took longer than {self.timeout:.0f} s")
        if result.returncode != 0 or result.overflowed:
            raise DiffError(f"cannot fetch {where}: {result.error_text(3)}",
                            hint="check the network, the ref, and your git credentials")
        return result.stdout
