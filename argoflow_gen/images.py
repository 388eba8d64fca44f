"""Every container image a fork runs, from its built manifests: those in pod specs, and those controllers start
later, named in ConfigMaps, arguments, environment variables and custom resources (the KFP driver and launcher,
Argo's executor, the Istio proxy, Knative's queue-proxy, the spawner's notebook images, Katib's collectors,
KServe and trainer runtimes).

Three ways an image is found, each with where it was found:
- ``field``: any ``image`` key of any object (pod specs, and custom resources shaped like them);
- ``text``: a string (an argument, an environment value, a ConfigMap's data) holding something shaped like an
  image reference with a tag or a digest;
- ``istio``: the sidecar injector's values, where hub, image and tag are kept apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+|localhost)(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"sha256:[0-9a-f]{64}"
#: A whole string that is an image reference.
REFERENCE = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?")
#: An image reference inside text: a registry host or a namespace, and a tag or a digest.
IN_TEXT = re.compile(
    rf"(?<![\w./:@-])((?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})+(?::{_TAG}(?:@{_DIGEST})?|@{_DIGEST}))(?![\w/@-])")
#: An ``image`` key inside embedded YAML or JSON (a ConfigMap's template): any reference, even a bare name.
KEYED = re.compile(
    rf"""(?:^|[\s{{,])["']?image["']?\s*[:=]\s*["']?((?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*"""
    rf"""(?::{_TAG})?(?:@{_DIGEST})?)["']?\s*(?:$|[,}}\n])""", re.MULTILINE)


@dataclass(frozen=True, order=True)
class Reference:
    """Where an image is named: the Application, the object, the field and how it was found."""

    application: str
    kind: str
    namespace: str
    name: str
    path: str
    how: str  # field, text or istio


@dataclass(frozen=True)
class Image:
    """One image, as the manifests name it, split into its parts (Docker Hub names made explicit)."""

    reference: str
    registry: str
    repository: str
    tag: str
    digest: str
    references: tuple[Reference, ...] = field(default=())


def split_name(path: str) -> tuple[str, str]:
    """(registry, repository) of an image name without tag or digest; Docker Hub's defaults filled in."""
    first = path.split("/", 1)[0]
    if "/" in path and ("." in first or ":" in first or first == "localhost"):
        registry, repository = path.split("/", 1)
        return registry, repository
    return "docker.io", path if "/" in path else f"library/{path}"


def parse_image(text: str) -> tuple[str, str, str, str]:
    """(registry, repository, tag, digest) of an image reference; Docker Hub's defaults filled in."""
    rest, _, digest = text.partition("@")
    head, _, last = rest.rpartition("/")
    name, _, tag = last.partition(":")
    registry, repository = split_name(f"{head}/{name}" if head else name)
    return registry, repository, tag or ("" if digest else "latest"), digest


def usable(value: str) -> bool:
    return bool(value) and "{{" not in value and "$(" not in value and REFERENCE.fullmatch(value) is not None


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, bool]]:
    """(path, string, is an ``image`` key) for every string of a document."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if isinstance(child, str):
                yield child_path, child, key == "image"
            else:
                yield from _walk(child, child_path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            if isinstance(child, str):
                yield f"{path}[{index}]", child, False
            else:
                yield from _walk(child, f"{path}[{index}]")


def _pinned(reference: str) -> bool:
    """Whether a reference names a tag or a digest (a bare name inside text is a part, not an image)."""
    return "@" in reference or ":" in reference.rsplit("/", 1)[-1]


_VERSION_KEYS = ("defaultImageVersion", "tag", "version")


def _versioned(text: str) -> Iterator[str]:
    """Images kept as a name and a version apart in embedded JSON (KServe's explainers and agents)."""
    if not text.lstrip().startswith(("{", "[")):
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            image = value.get("image")
            version = next((value[key] for key in _VERSION_KEYS if isinstance(value.get(key), str)), None)
            if isinstance(image, str) and version and usable(image) and not _pinned(image):
                yield f"{image}:{version}"
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _istio(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    data = document.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("values"), str):
        return
    try:
        values = json.loads(data["values"])
    except ValueError:
        return
    glob = values.get("global") if isinstance(values, dict) else None
    if not isinstance(glob, dict) or not isinstance(glob.get("hub"), str) or not isinstance(glob.get("tag"), str):
        return
    for section in ("proxy", "proxy_init"):
        image = glob.get(section, {}).get("image") if isinstance(glob.get(section), dict) else None
        if isinstance(image, str) and image:
            full = image if "/" in image else f"{glob['hub']}/{image}:{glob['tag']}"
            yield f"data.values.global.{section}.image", full


def found_in(application: str, document: Mapping[str, Any]) -> Iterator[tuple[str, Reference]]:
    """(image, where) for every image one document names."""
    metadata = document.get("metadata") if isinstance(document.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    where = (application, str(document.get("kind", "")), str(metadata.get("namespace", "")),
             str(metadata.get("name", "")))
    for path, text, is_image in _walk(document, ""):
        if is_image:
            value = text.strip()
            if usable(value):
                yield value, Reference(*where, path, "field")
            continue
        seen = set()
        for image in (*(match.group(1) for match in IN_TEXT.finditer(text)),
                      *(match.group(1) for match in KEYED.finditer(text) if _pinned(match.group(1))),
                      *_versioned(text)):
            if image not in seen:
                seen.add(image)
                yield image, Reference(*where, path, "text")
    if document.get("kind") == "ConfigMap" and "sidecar-injector" in str(metadata.get("name", "")):
        for path, image in _istio(document):
            yield image, Reference(*where, path, "istio")


def list_images(manifests: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Image]:
    """Every image the built manifests (Application -> documents) name, sorted, each with every reference."""
    found: dict[str, set[Reference]] = {}
    for application, documents in sorted(manifests.items()):
        for document in documents:
            for image, reference in found_in(application, document):
                found.setdefault(image, set()).add(reference)
    return [Image(image, *parse_image(image), references=tuple(sorted(references)))
            for image, references in sorted(found.items())]


def format_list(images: Sequence[Image]) -> str:
    """One image per line: the input of a `skopeo copy` / `crane copy` loop."""
    return "".join(f"{image.reference}\n" for image in images)


def format_json(images: Sequence[Image], not_built: Sequence[tuple[str, str]] = ()) -> str:
    document = {
        "schema": "argoflow-gen.images/v1",
        "images": [{"image": image.reference, "registry": image.registry, "repository": image.repository,
                    "tag": image.tag, "digest": image.digest or None,
                    "references": [{"application": ref.application, "kind": ref.kind, "namespace": ref.namespace,
                                    "name": ref.name, "path": ref.path, "how": ref.how}
                                   for ref in image.references]}
                   for image in images],
        "notBuilt": [{"application": name, "reason": reason} for name, reason in not_built],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
