"""Remote kustomize bases as data: which entries of a kustomization are remote, and the repository, ref and
path of each (``https://github.com/ORG/REPO//PATH?ref=REF``), or why it is refused.

References without a ``ref`` (plain HTTP files such as release assets) are left to kustomize. ``localise``
makes the others local; ``repos`` fetches them, with git and the git config of the environment (so that
``url.<local>.insteadOf`` mirrors apply).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import _yaml
from .remoteref import KUSTOMIZATION_FILES, RefusedRemote, Remote, looks_remote, parse_remote

__all__ = ["KUSTOMIZATION_FILES", "RefusedRemote", "Remote", "entries_of", "git_environment", "kustomization",
           "kustomization_file", "looks_remote", "parse_remote"]

_ENTRY_FIELDS = ("resources", "components", "bases", "generators", "transformers", "validators")

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
