"""What a build reads from its tree, as one digest: the local half of a build's inputs.

For a folder, kustomize reads the files under it, under every folder its kustomization names (resources,
components, ...), and the files its fields name (patches, generators, replacements, ...), which a looser
load restrictor lets reach anywhere in the tree. The digest covers every one of those files by path and
content, so that two folders with equal digests build to the same output wherever their remote bases are
the same; the remote references are part of the kustomizations' text. The remote half (each repository's
commit) is keyed where the checkouts are made (``localise``).

A folder of plain manifests (an Application without a kustomization) is keyed by the files Argo CD reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from .apps import Application
from .confine import path_values
from .remote import kustomization, looks_remote

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class LocalInputs:
    """The local inputs of the folders of one tree written at ``root``; file digests are read once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._digests: dict[Path, bytes] = {}

    def files(self, folder: Path) -> list[Path]:
        """Every file of the tree a build of ``folder`` may read, sorted."""
        found: set[Path] = set()
        seen: set[Path] = set()
        stack = [folder.resolve()]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.update(path for path in current.rglob("*") if path.is_file())
            for target in self._named(current):
                if target.is_dir():
                    stack.append(target)
                elif target.is_file():
                    found.add(target)
        return sorted(found)

    def _named(self, folder: Path) -> list[Path]:
        """The paths inside the tree that the kustomization of ``folder`` names (none without one)."""
        document = kustomization(folder)
        named = []
        for _field, value in path_values(document):
            text = value.strip()
            if not text or "\n" in text or looks_remote(text):
                continue
            try:
                target = (folder / text).resolve()
            except (OSError, ValueError):
                continue
            if target.is_relative_to(self.root):
                named.append(target)
        return named

    def digest(self, folder: Path) -> str:
        """The digest of every local input of a build of ``folder``, with the folder's place in the tree."""
        digest = hashlib.sha256(b"argoflow-gen local inputs 1\0")
        digest.update(folder.resolve().relative_to(self.root).as_posix().encode() + b"\0")
        for path in self.files(folder):
            if path not in self._digests:
                self._digests[path] = hashlib.sha256(path.read_bytes()).digest()
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + self._digests[path])
        return digest.hexdigest()


def plain_files(tree: Mapping[str, str], app: Application) -> list[str]:
    """The files of a folder of plain manifests that Argo CD reads for ``app``, sorted."""
    prefix = "" if app.folder == "." else f"{app.folder}/"
    return [path for path in sorted(tree) if path.startswith(prefix) and path.endswith(MANIFEST_SUFFIXES)
            and (app.recurse or "/" not in path[len(prefix):])]


def plain_digest(tree: Mapping[str, str], app: Application) -> str:
    """The digest of the manifests of a plain folder: the files, their paths and whether it recurses."""
    digest = hashlib.sha256(f"argoflow-gen plain folder 1\0{app.folder}\0{app.recurse}\0".encode())
    for path in plain_files(tree, app):
        digest.update(path.encode() + b"\0" + hashlib.sha256(tree[path].encode()).digest())
    return digest.hexdigest()
