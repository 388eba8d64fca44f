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
import urllib.parse
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import DiffError
from ..process import run
from ..state.gate import problem
from . import _yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_ENTRY_FIELDS = ("resources", "components", "bases", "generators", "transformers", "validators")
_KNOWN_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
_SCP = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<tail>.*)$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})+(?::[0-9]{{1,5}})?")
_REPO_PATH = re.compile(r"[A-Za-z0-9_~+-][A-Za-z0-9_.~+-]*(?:/[A-Za-z0-9_.~+-]+)*")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/-]{0,199}")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_QUERY_KEYS = {"ref", "version", "timeout", "submodules"}


class RefusedRemote(ValueError):
    """A remote reference argoflow-gen will not fetch (a transport, host, ref or path it does not accept)."""


@dataclass(frozen=True)
class Remote:
    """A remote kustomize reference: the repository to clone, the ref ("" when kustomize fetches it itself),
    and the path inside it."""

    entry: str  # as written in the kustomization
    url: str
    ref: str
    path: str


def looks_remote(entry: str) -> bool:
    """Whether kustomize would fetch ``entry`` rather than read a local path."""
    text = entry.strip()
    return ("://" in text or bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*::", text)) or bool(_SCP.match(text))
            or text.split("/", 1)[0] in _KNOWN_HOSTS)


def _check_ref(ref: str) -> str:
    if not _REF.fullmatch(ref) or ".." in ref or "//" in ref or ref.endswith(("/", ".lock", ".")) or "@{" in ref:
        raise RefusedRemote(f"the ref {ref[:100]!r} is not a plain branch, tag or commit name")
    return ref


def _check_host(host: str) -> str:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not _HOST.fullmatch(host) or name.lower() in ("localhost", "localhost.localdomain") \
            or re.fullmatch(r"[0-9.]+", name):
        raise RefusedRemote(f"the host {host[:100]!r} is not a DNS name (IP addresses and localhost are refused)")
    return host


def parse_remote(entry: str, *, allow_ssh: bool = False) -> Remote | None:
    """The repository, ref and path of a remote base to check out once per run; None for a local path, or for
    a remote reference kustomize fetches itself (no ``ref``, or no known end of the repository path, once
    checked like any other). A remote reference that is not
    https (or ssh, where ``allow_ssh``), or whose host, repository, path or ref could be misread (an option,
    a path out of the repository, a local transport), raises RefusedRemote: it is data, never a command."""
    text = entry.strip()
    if not looks_remote(text):
        return None
    if any(ord(char) < 33 or char in "\\'\"`$;|<>" for char in text):
        raise RefusedRemote("a remote reference with spaces, control or shell characters")
    base, _, query = text.partition("?")
    params = urllib.parse.parse_qs(query, keep_blank_values=True) if query else {}
    unknown = sorted(set(params) - _QUERY_KEYS)
    if unknown:
        raise RefusedRemote(f"the query parameter {unknown[0]!r} is not one kustomize reads")
    refs = params.get("ref") or params.get("version") or [""]
    ref = _check_ref(refs[0]) if refs[0] else ""
    if base.startswith("git::"):
        base = base[len("git::"):]
    elif re.match(r"[A-Za-z][A-Za-z0-9+.-]*::", base):
        raise RefusedRemote(f"the {base.split('::')[0][:20]!r} getter is refused (https only)")
    scp = _SCP.match(base) if "://" not in base else None
    if scp:
        if not allow_ssh:
            raise RefusedRemote("ssh remotes are refused (https only, unless ssh is allowed)")
        if not _USER.fullmatch(scp["user"]):
            raise RefusedRemote(f"the ssh user {scp['user'][:50]!r} is not a plain name")
        prefix, host, tail, separator = f"{scp['user']}@", _check_host(scp["host"]), scp["tail"], ":"
    elif "://" in base:
        scheme, rest = base.split("://", 1)
        if scheme == "ssh" and allow_ssh:
            user, at, rest = rest.rpartition("@") if "@" in rest.split("/", 1)[0] else ("", "", rest)
            if at and not _USER.fullmatch(user):
                raise RefusedRemote(f"the ssh user {user[:50]!r} is not a plain name")
            prefix = f"ssh://{user}{at}"
        elif scheme == "https":
            prefix = "https://"
        else:
            raise RefusedRemote(f"the {scheme[:20]!r} transport is refused (https only"
                                + (", or ssh)" if allow_ssh else "; ssh where allowed)"))
        host, _, tail = rest.partition("/")
        if "@" in host:
            raise RefusedRemote("credentials in a remote URL are refused")
        host, separator = _check_host(host), "/"
    else:  # github.com/org/repo/... without a scheme: kustomize reads it as https
        host, _, tail = base.partition("/")
        prefix, separator = "https://", "/"
    if "//" in tail:
        repo, path = tail.split("//", 1)
    elif ".git/" in tail:
        repo, path = tail.split(".git/", 1)
        repo += ".git"
    elif tail.endswith(".git") or not ref:
        repo, path = tail, ""
    elif host.split("@")[-1] in _KNOWN_HOSTS and tail.count("/") >= 1:
        parts = tail.split("/")
        repo, path = "/".join(parts[:2]), "/".join(parts[2:])
    else:
        repo, path = tail, ""
        ref = ""  # where the repository ends is unknown: kustomize fetches it itself
    repo, path = repo.strip("/"), path.strip("/")
    if not repo or not _REPO_PATH.fullmatch(repo) or any(part in (".", "..") for part in repo.split("/")):
        raise RefusedRemote(f"the repository path {repo[:100]!r} is not a plain path")
    if path and (problem(path) is not None or not _REPO_PATH.fullmatch(path)):
        raise RefusedRemote(f"the path {path[:100]!r} inside the repository leaves it or is not a plain path")
    if not ref:
        return None  # checked, and left to kustomize (a release asset, or a repository without a ref)
    return Remote(entry=text, url=f"{prefix}{host}{separator}{repo}", ref=ref, path=path)


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
        from .confine import check

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
