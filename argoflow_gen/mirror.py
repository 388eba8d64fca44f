"""Mirrored images (``spec.registry``): every image a vendored fork names, rewritten to the mirror.

The fork holds every manifest Argo CD syncs once it is vendored (``spec.repo.vendor``), so the mirror is applied
to the files themselves: each image reference is replaced in the text where it is written, found the way
``argoflow-gen images`` finds images in the built manifests (an ``image`` key, a reference with a tag or a digest
inside any text, an ``image`` key inside embedded JSON or YAML, the Istio injector's ``hub``), and the names a
kustomization's ``images:`` transformer matches are rewritten alike, so that its new tags still apply. Only
references are replaced: every other byte of a file stays as written (re-emitting upstream YAML could change
what a reader makes of it, such as an octal file mode).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .images import IN_TEXT, KEYED, split_name, usable
from .profile.platform import Registry
from .state import STATE_DIR
from .yamlio import InvalidYaml, load_all_plain, spans

#: Files that are not manifests: the fork's own documents and state.
_SKIPPED = (f"{STATE_DIR}/", ".github/")
_SKIPPED_FILES = ("README.md", ".gitattributes")
_ESCAPED_QUOTE = r"""(?:\\?["'])?"""
_HUB = re.compile(r"""(\\?"hub\\?"\s*:\s*\\?")([^"\\\s]+)(\\?")""")
_YAML = (".yaml", ".yml")


class Mirror:
    """Where the images of each registry are pulled from: per prefix (longest first), else under the mirror."""

    def __init__(self, registry: Registry) -> None:
        self.mirror = registry.mirror
        self.mappings = sorted(registry.mappings.items(), key=lambda item: (-len(item[0]), item[0]))
        self.targets = tuple(target for target in (registry.mirror, *registry.mappings.values()) if target)

    def name(self, name: str) -> str:
        """An image name (no tag, no digest) as the mirror serves it; unchanged when nothing maps it."""
        full = "/".join(split_name(name))
        if any(full.startswith(f"{target}/") for target in self.targets):
            return name
        for prefix, target in self.mappings:
            if full == prefix or full.startswith(f"{prefix}/"):
                return target + full[len(prefix):]
        return f"{self.mirror}/{full}" if self.mirror else name

    def reference(self, reference: str) -> str:
        """A whole reference (``name[:tag][@digest]``) as the mirror serves it, its tag and digest kept."""
        rest, at, digest = reference.partition("@")
        head, slash, last = rest.rpartition("/")
        name, colon, tag = last.partition(":")
        return self.name(f"{head}{slash}{name}") + f"{colon}{tag}{at}{digest}"

    def hub(self, hub: str) -> str:
        """A registry and path that images are named under (Istio's ``hub``): mapped as a name would be."""
        return self.name(f"{hub}/x")[:-2] if "/" in hub else hub


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(its key, the string) for every string of a document."""
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            yield from _strings(child, str(child_key))
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child, "")
    elif isinstance(value, str):
        yield key, value


def _keyed_values(documents: list[Any]) -> set[str]:
    """Every value an ``image`` key holds: in a document, or inside a string that embeds YAML or JSON."""
    found = set()
    for document in documents:
        for key, text in _strings(document):
            if key == "image" and usable(text.strip()):
                found.add(text.strip())
            found.update(match.group(1) for match in KEYED.finditer(text))
    return found


def _keyed(text: str, value: str, replace: Callable[[str], str]) -> str:
    """``image: VALUE`` (plain, quoted, in flow style or in escaped JSON) with its value replaced."""
    pattern = re.compile(rf"""(\bimage{_ESCAPED_QUOTE}\s*[:=]\s*{_ESCAPED_QUOTE})({re.escape(value)})"""
                         rf"""(?={_ESCAPED_QUOTE}\s*(?:[,}}\]\n]|#|$))""", re.MULTILINE)
    return pattern.sub(lambda match: match.group(1) + replace(match.group(2)), text)


def _kustomization_images(text: str, documents: list[Any], mirror: Mirror) -> str:
    """The ``name`` and ``newName`` of each ``images:`` entry of a kustomization, as the mirror serves them."""
    names: set[str] = set()
    for document in documents:
        entries = document.get("images") if isinstance(document, Mapping) else None
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping):
                names.update(value for key in ("name", "newName") if isinstance(value := entry.get(key), str))
    if not names:
        return text
    try:
        entry = spans(text)[("images",)]
    except (InvalidYaml, KeyError):
        return text
    block = text[entry.key_start:entry.value_end]
    for name in sorted(names, key=len, reverse=True):
        pattern = re.compile(rf"""(\b(?:name|newName):\s*["']?)({re.escape(name)})(?=["']?\s*(?:[,}}\n]|#|$))""",
                             re.MULTILINE)
        block = pattern.sub(lambda match: match.group(1) + mirror.name(match.group(2)), block)
    return text[:entry.key_start] + block + text[entry.value_end:]


def rewrite(path: str, text: str, mirror: Mirror) -> str:
    """One file of the fork with every image reference it writes replaced by the mirror's."""
    documents: list[Any] = []
    if path.endswith(_YAML):
        try:
            documents = load_all_plain(text)
        except InvalidYaml:
            documents = []
    text = IN_TEXT.sub(lambda match: mirror.reference(match.group(1)) if match.group(1) else match.group(0), text)
    for value in sorted(_keyed_values(documents), key=len, reverse=True):
        text = _keyed(text, value, mirror.reference)
    text = _HUB.sub(lambda match: match.group(1) + mirror.hub(match.group(2)) + match.group(3), text)
    if posixpath.basename(path) in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        text = _kustomization_images(text, documents, mirror)
    return text


def mirrored(files: Mapping[str, str], registry: Registry) -> dict[str, str]:
    """The files of a (vendored) fork with every image reference rewritten to the mirror."""
    mirror = Mirror(registry)
    out = {}
    for path, text in files.items():
        skipped = path.startswith(_SKIPPED) or path in _SKIPPED_FILES
        out[path] = text if skipped else rewrite(path, text, mirror)
    return out


__all__ = ["Mirror", "mirrored", "rewrite"]
