"""Vendored upstream: the exact upstream files each component needs, copied into the fork, so that Argo CD
syncs from the fork alone (no GitHub, no network at sync time).

Every remote base of the tree's kustomizations (``https://github.com/ORG/REPO//PATH?ref=REF``) is fetched once
per repository and ref, with git and the user's git config (mirrors through ``url.<x>.insteadOf`` apply), and
copied into ``vendor/ORG-REPO/REF/`` with only the files its kustomizations name, followed recursively (local
folders and files, and the remote bases upstream names in turn). A release asset named by URL
(``https://github.com/ORG/REPO/releases/download/...``) is taken from the repository if it holds that path,
else downloaded over https; either way it is wrapped in a kustomization of its own. Every remote reference is
then rewritten to a relative path, in the tree and in the vendored copies: kustomize reads only local files.
What is fetched is hostile like any other input: paths stay inside their checkout, reads are bounded, only
https (and what ``parse_remote`` accepts) is fetched.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .diff import _yaml
from .diff.confine import is_inline, path_values
from .diff.remote import kustomization_file
from .diff.remoteref import RefusedRemote, looks_remote, parse_remote
from .diff.repos import Repositories
from .errors import RenderError
from .mirror import mirrored
from .profile import Profile
from .rendering import render
from .state import LOCK_FILE, PRISTINE, format_lock, parse_lock, pristine_text, sha256
from .state.gate import NotRegular, read_bounded
from .tree import Tree

VENDOR = "vendor"
MAX_FILE_BYTES = 16 << 20
MAX_TOTAL_BYTES = 512 << 20
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
_BARE_EQUALS = re.compile(r"^(\s*[^#\s][^:\n]*:[ \t]*)=[ \t]*$", re.MULTILINE)


def _slug(text: str) -> str:
    return _SLUG.sub("-", text).strip("-")[:80] or "_"


class _Vendor:
    def __init__(self, work: Path, timeout: float) -> None:
        (work / "checkouts").mkdir()
        self.repos = Repositories(work / "repos", work / "checkouts", timeout=timeout)
        self.files: dict[str, str] = {}
        self.total = 0
        self.folders: dict[Path, str] = {}  # checkout folder -> its tree folder (done or in progress)
        self.timeout = timeout

    def _checkout(self, url: str, ref: str) -> Path:
        """The checkout of ``url`` at ``ref`` (``HEAD``: the default branch), fetched once per run."""
        return self.repos.checkouts([(url, ref)])[(url, ref)][1]

    # -- where things go ---------------------------------------------------------------------------------
    @staticmethod
    def _base(url: str, ref: str) -> str:
        org_repo = "-".join(url.rstrip("/").removesuffix(".git").rsplit("/", 2)[-2:])
        return f"{VENDOR}/{_slug(org_repo)}/{_slug(ref)}"

    def _read(self, path: Path, what: str) -> str:
        try:
            raw = read_bounded(path, MAX_FILE_BYTES, what=what)
        except NotRegular:
            raise RenderError(f"cannot vendor {what}: not a regular file") from None
        if raw is None:
            raise RenderError(f"cannot vendor {what}: it does not exist")
        self.total += len(raw)
        if self.total > MAX_TOTAL_BYTES:
            raise RenderError(f"vendoring stopped: over {MAX_TOTAL_BYTES >> 20} MiB of upstream files")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RenderError(f"cannot vendor {what}: not UTF-8 text") from None

    # -- remote references ----------------------------------------------------------------------------------
    def target(self, entry: str, where: str) -> str:
        """The tree folder a remote reference is vendored to (fetched and copied on first use)."""
        try:
            remote = parse_remote(entry)
        except RefusedRemote as refused:
            raise RenderError(f"cannot vendor {entry.strip()[:200]!r} ({where}): {refused}") from None
        if remote is not None:
            checkout = self._checkout(remote.url, remote.ref)
            return self._place(checkout, checkout / remote.path if remote.path else checkout,
                               self._base(remote.url, remote.ref), entry)
        return self._release_asset(entry.strip(), where)

    def _place(self, checkout: Path, target: Path, base: str, entry: str) -> str:
        resolved = target.resolve()
        if not resolved.is_relative_to(checkout.resolve()):
            raise RenderError(f"cannot vendor {entry!r}: it leaves its repository")
        if resolved.is_dir():
            return self.folder(checkout, resolved, base)
        if resolved.is_file():  # a remote file: wrapped in a kustomization of its own
            relative = resolved.relative_to(checkout.resolve()).as_posix()
            return self._wrap(f"{base}/{relative}", resolved.name, self._read(resolved, entry))
        raise RenderError(f"cannot vendor {entry!r}: no such path in the repository")

    def _wrap(self, folder: str, name: str, text: str) -> str:
        self.files[f"{folder}/{name}"] = text
        self.files[f"{folder}/kustomization.yaml"] = f"resources:\n- {name}\n"
        return folder

    def _release_asset(self, url: str, where: str) -> str:
        parts = urllib.parse.urlsplit(url)
        segments = [segment for segment in parts.path.split("/") if segment]
        if parts.scheme != "https" or not parts.hostname or len(segments) < 3 or parts.query or parts.fragment \
                or any(segment in (".", "..") for segment in segments):
            raise RenderError(f"cannot vendor {url[:200]!r} ({where}): only https URLs of files are fetched")
        repository = f"https://{parts.netloc}/{segments[0]}/{segments[1]}"
        path = "/".join(segments[2:])
        base = self._base(repository, "HEAD")
        try:
            checkout = self._checkout(repository, "HEAD")
        except Exception:  # not a repository we can clone: the file itself, over https
            checkout = None
        if checkout is not None and (checkout / path).exists():
            return self._place(checkout, checkout / path, base, url)
        return self._wrap(f"{base}/{path}", "resources.yaml", self._download(url))

    def _download(self, url: str) -> str:
        request = urllib.request.Request(url, headers={"User-Agent": "argoflow-gen"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data: bytes = response.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise RenderError(f"cannot vendor {url}: {error}", hint="check the network, or mirror it") from None
        if len(data) > MAX_FILE_BYTES:
            raise RenderError(f"cannot vendor {url}: over {MAX_FILE_BYTES >> 20} MiB")
        return data.decode("utf-8", errors="strict")

    # -- local closure ----------------------------------------------------------------------------------------
    def folder(self, checkout: Path, folder: Path, base: str) -> str:
        """Copy the kustomization in ``folder`` (inside ``checkout``) and everything it names; its tree folder."""
        tree_folder = posixpath.join(base, folder.relative_to(checkout.resolve()).as_posix()).rstrip("/.") or base
        if folder in self.folders:
            return self.folders[folder]
        self.folders[folder] = tree_folder
        file = kustomization_file(folder)
        if file is None:
            raise RenderError(f"cannot vendor {tree_folder}: upstream has no kustomization there")
        text = self._read(file, f"{tree_folder}/{file.name}")
        self.files[f"{tree_folder}/{file.name}"] = self.localise(text, tree_folder, checkout, folder, base)
        return tree_folder

    def localise(self, text: str, tree_folder: str, checkout: Path | None, folder: Path | None, base: str) -> str:
        """``text`` (a kustomization in ``tree_folder``) with each remote reference rewritten to its vendored
        folder; with a checkout, the local files and folders it names are copied too."""
        try:
            documents = _yaml.load_all(text)
        except Exception as error:  # ruamel's constructor errors are not all YAMLErrors
            try:  # a bare "=" (kustomize reads it as a string; YAML 1.1's value tag to our parser)
                documents = _yaml.load_all(_BARE_EQUALS.sub(r'\1"="', text))
            except Exception:
                raise RenderError(f"cannot vendor {tree_folder}: its kustomization is not YAML ({error})") from None
        document = documents[0] if documents and isinstance(documents[0], Mapping) else {}
        rewrites: dict[str, str] = {}
        for field, value in path_values(document):
            if is_inline(field, value):
                continue
            if looks_remote(value):
                target = self.target(value, f"{tree_folder}: {field}")
                rewrites[value] = posixpath.relpath(target, tree_folder)
            elif checkout is not None and folder is not None:
                self._local(checkout, folder, value.strip(), base, f"{tree_folder}: {field}")
        for entry in sorted(rewrites, key=len, reverse=True):  # longest first: no prefix clash
            text = text.replace(entry, rewrites[entry])
        return text

    def _local(self, checkout: Path, folder: Path, value: str, base: str, where: str) -> None:
        if "\0" in value or posixpath.isabs(value):
            raise RenderError(f"cannot vendor {value[:200]!r} ({where}): not a relative path")
        target = (folder / value).resolve()
        root = checkout.resolve()
        if not target.is_relative_to(root):
            raise RenderError(f"cannot vendor {value[:200]!r} ({where}): it leaves its repository")
        if target.is_dir():
            self.folder(checkout, target, base)
        elif target.is_file():
            path = f"{base}/{target.relative_to(root).as_posix()}"
            if path not in self.files:
                self.files[path] = self._read(target, path)
        else:
            raise RenderError(f"cannot vendor {value[:200]!r} ({where}): upstream has no such file")


def vendor_files(files: Mapping[str, str], *, timeout: float = 300.0) -> dict[str, str]:
    """The files vendoring adds to or changes in ``files`` (a rendered tree's generated files): every remote base
    vendored under ``vendor/``, and each kustomization that names one rewritten to a relative path."""
    with tempfile.TemporaryDirectory(prefix="argoflow-gen-vendor-") as work:
        vendor = _Vendor(Path(work), timeout)
        changed: dict[str, str] = {}
        for path, text in sorted(files.items()):
            if posixpath.basename(path) in ("kustomization.yaml", "kustomization.yml", "Kustomization") \
                    and not path.startswith(f"{VENDOR}/"):
                localised = vendor.localise(text, posixpath.dirname(path) or ".", None, None, "")
                if localised != text:
                    changed[path] = localised
        clash = sorted(set(vendor.files) & set(files))
        if clash:
            raise RenderError(f"cannot vendor: {clash[0]} is a generated file already")
        return {**changed, **vendor.files}


def vendored(files: Mapping[str, str], *, timeout: float = 300.0) -> dict[str, str]:
    """``files`` of a finished render, vendored (``vendor_files``), with its lock and pristine copy restated."""
    return _restate({**files, **vendor_files(files, timeout=timeout)})


def _restate(files: dict[str, str], seeds: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pristine copy and the lock of a tree whose files (and seeds) changed after the render (as ``render``
    makes them)."""
    if LOCK_FILE not in files:
        return dict(sorted(files.items()))
    lock = parse_lock(files[LOCK_FILE], LOCK_FILE)
    body = {path: text for path, text in files.items() if path not in (LOCK_FILE, PRISTINE)}
    if PRISTINE in files:
        body[PRISTINE] = pristine_text(body)
    from dataclasses import replace

    seeded = lock.seeds if seeds is None else {path: sha256(text) for path, text in seeds.items()}
    body[LOCK_FILE] = format_lock(replace(lock, files={path: sha256(text) for path, text in body.items()},
                                          seeds=seeded))
    return dict(sorted(body.items()))



def render_fork(profile: Profile, **options: Any) -> Tree:
    """``rendering.render`` of a profile, vendored when the profile asks for it (``spec.repo.vendor``) and then
    mirrored (``spec.registry``): what every command that renders a fork for writing, checking or comparing uses."""
    tree = render(profile, **options)
    if not profile.spec.repo.vendor:
        return tree
    files, seeds = {**tree.files, **vendor_files(tree.files)}, tree.seeds
    if profile.spec.registry.enabled:
        files, seeds = mirrored(files, profile.spec.registry), mirrored(seeds, profile.spec.registry)
    return Tree(files=_restate(files, seeds), seeds=seeds, findings=tree.findings, warnings=tree.warnings)
