"""File-level diff of two trees (relative path -> text).

A YAML file whose text changed but whose documents are equal data (comments, key order, quoting,
indentation) is "formatting only": labelled, not shown as content. A YAML file holding a Secret or a
SealedSecret (or a kustomization with secretGenerator literals) is compared with those values masked and
shown re-serialised; the env files and files a secretGenerator reads are shown with their values masked. No
secret value reaches a report. Files of the generator's state (``.argoflow-gen/``) are marked as such.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ..state import STATE_DIR
from . import _yaml
from .apps import applications, owner
from .fields import equal
from .model import Diff, FileChange, Masked
from .remoteref import KUSTOMIZATION_FILES
from .resources import mask
from .show import dump_value

_YAML_SUFFIXES = (".yaml", ".yml")
_SENSITIVE = re.compile(r"^\s*(?:kind:\s*[\"']?(?:Secret|SealedSecret)[\"']?\s*$|secretGenerator:)", re.MULTILINE)
MASKED_HEADER = "# Secret values masked by argoflow-gen diff; the documents are shown re-serialised.\n"
SAME_SIZE_NOTE = "# (a Secret value changed; its size did not)\n"


def diff_trees(old: Mapping[str, str], new: Mapping[str, str], *, old_label: str = "old",
               new_label: str = "new") -> Diff:
    """Every file added, removed, changed or changed in formatting only, from ``old`` to ``new``.

    Each change names the Application it belongs to (see ``apps.owner``), read from the new tree, or the
    old one for a file that was removed.
    """
    old_apps, new_apps = applications(old), applications(new)
    sources = {**_secret_sources(old), **_secret_sources(new)}
    changes = []
    for path in sorted({*old, *new}):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        group = owner(path, new_apps) if after is not None else owner(path, old_apps)
        state = path.startswith(f"{STATE_DIR}/")
        if before is None or after is None:
            text = after if before is None else before
            assert text is not None
            shown = _masked_text(path, text, sources)
            changes.append(FileChange(
                path, "added" if before is None else "removed", group,
                old=None if before is None else (shown if shown is not None else before),
                new=None if after is None else (shown if shown is not None else after),
                masked=shown is not None, state=state))
            continue
        if _same_data(path, before, after):
            changes.append(FileChange(path, "formatting", group))
            continue
        old_masked, new_masked = _masked_text(path, before, sources), _masked_text(path, after, sources)
        if old_masked is not None or new_masked is not None:
            old_shown = old_masked if old_masked is not None else _reserialised(path, before)
            new_shown = new_masked if new_masked is not None else _reserialised(path, after)
            if old_shown == new_shown:  # a value changed, not its size: say so, since nothing else will
                new_shown += SAME_SIZE_NOTE
            changes.append(FileChange(path, "changed", group, old_shown, new_shown, masked=True, state=state))
        else:
            changes.append(FileChange(path, "changed", group, before, after, state=state))
    return Diff(files=tuple(changes), old_label=old_label, new_label=new_label)


def _is_yaml(path: str) -> bool:
    return path.endswith(_YAML_SUFFIXES) or posixpath.basename(path) in KUSTOMIZATION_FILES


def _documents(path: str, text: str) -> list[Any] | None:
    if not _is_yaml(path):
        return None
    try:
        return _yaml.load_all(text)
    except _yaml.YamlError:
        return None


def _same_data(path: str, before: str, after: str) -> bool:
    old, new = _documents(path, before), _documents(path, after)
    return old is not None and new is not None and equal(old, new)


def _mask_document(document: Any) -> Any:
    if isinstance(document, Mapping) and document.get("kind") in ("Kustomization", "Component"):
        generators = document.get("secretGenerator")
        if isinstance(generators, list):
            masked = []
            for generator in generators:
                if isinstance(generator, Mapping) and isinstance(generator.get("literals"), list):
                    literals = [_mask_literal(item) for item in generator["literals"]]
                    generator = {**generator, "literals": literals}
                masked.append(generator)
            return {**document, "secretGenerator": masked}
        return document
    return mask(document)


def _mask_literal(item: Any) -> Any:
    if isinstance(item, str) and "=" in item:
        key, value = item.split("=", 1)
        return f"{key}={Masked(len(value.encode('utf-8')))}"
    return item


def _secret_sources(tree: Mapping[str, str]) -> dict[str, str]:
    """The files kustomize secretGenerators of the tree read: path -> "env" (KEY=VALUE lines) or "file"."""
    found: dict[str, str] = {}
    for path, text in tree.items():
        if posixpath.basename(path) not in KUSTOMIZATION_FILES or "secretGenerator" not in text:
            continue
        try:
            documents = _yaml.load_all(text)
        except _yaml.YamlError:
            continue
        folder = posixpath.dirname(path)
        for document in documents:
            generators = document.get("secretGenerator") if isinstance(document, Mapping) else None
            for generator in generators if isinstance(generators, list) else []:
                if not isinstance(generator, Mapping):
                    continue
                envs = [*_strings(generator.get("envs")), *_strings([generator.get("env")])]
                files = [entry.split("=", 1)[-1] for entry in _strings(generator.get("files"))]
                for kind, entries in (("env", envs), ("file", files)):
                    for entry in entries:
                        found[posixpath.normpath(posixpath.join(folder, entry))] = kind
    return found


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _masked_source(text: str, kind: str) -> str:
    header = "# The source of a kustomize secretGenerator: values masked by argoflow-gen diff.\n"
    if kind == "file":
        return header + f"{Masked(len(text.encode('utf-8')))}\n"
    lines = []
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        secret_line = equals and not line.lstrip().startswith("#")
        lines.append(f"{key}={Masked(len(value.encode('utf-8')))}" if secret_line else line)
    return header + "".join(f"{line}\n" for line in lines)


def _masked_text(path: str, text: str, sources: Mapping[str, str]) -> str | None:
    """The file with its secret values masked (re-serialised if YAML), or None if it holds none."""
    if path in sources:
        return _masked_source(text, sources[path])
    if not _SENSITIVE.search(text):
        return None
    documents = _documents(path, text)
    if documents is None:
        if _is_yaml(path):  # it may hold secrets but cannot be read: show nothing of it
            return f"# Not shown: not valid YAML, and it may hold Secret values ({len(text.encode())} bytes).\n"
        return None
    masked = [_mask_document(document) for document in documents]
    if masked == documents:
        return None
    return MASKED_HEADER + _dump_all(masked)


def _reserialised(path: str, text: str) -> str:
    """The other side of a masked file, re-serialised the same way so that the two compare line by line."""
    documents = _documents(path, text)
    if documents is None:
        return text
    return MASKED_HEADER + _dump_all(documents)


def _dump_all(documents: list[Any]) -> str:
    return "---\n".join(dump_value(document) for document in documents)
