"""Remote kustomize bases as data: which entries of a kustomization are remote, and the repository, ref and
path of each (``https://github.com/ORG/REPO//PATH?ref=REF``), or why it is refused.

References without a ``ref`` (plain HTTP files such as release assets) are left to kustomize. ``localise``
makes the others local; ``repos`` fetches them, with git and the git config of the environment (so that
``url.<local>.insteadOf`` mirrors apply).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def kustomization(folder: Path) -> Mapping[str, Any]:
    """The kustomization of ``folder`` as data; empty when there is none or it is not YAML (kustomize reports
    that, with its own words)."""
    file = kustomization_file(folder)
    if file is None:
        return {}
    try:
        documents = _yaml.load_shared(file.read_text(encoding="utf-8"))
    except (_yaml.YamlError, OSError, UnicodeDecodeError):
        return {}
    return documents[0] if documents and isinstance(documents[0], Mapping) else {}


def entries_of(document: Mapping[str, Any]) -> list[str]:
    """The resources, components, bases, generators, transformers and validators of a kustomization."""
    found: list[str] = []
    for field in _ENTRY_FIELDS:
        values = document.get(field)
        if isinstance(values, list):
            found.extend(value for value in values if isinstance(value, str))
    return found


def git_environment() -> dict[str, str]:
    """The environment for git: the user's, never prompting, never aimed at another repository."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                           "GIT_ALTERNATE_OBJECT_DIRECTORIES")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env
