"""The lock file of a render, ``.argoflow-gen/lock.yaml``: what was generated, from what, with which hashes.

No timestamps and no absolute paths, so the same profile and generator give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import OutputError
from .yamlio import dump, load_all_plain

HEADER = "# Written by argoflow-gen at every render; do not edit. `argoflow-gen status` reads it.\n"


@dataclass(frozen=True)
class Lock:
    generator: str
    kubeflow: str
    profile: str
    digest: str
    files: Mapping[str, str] = field(default_factory=dict)
    seeds: Mapping[str, str] = field(default_factory=dict)
    sealed: Mapping[str, str] = field(default_factory=dict)  # keyed digests of sealed inputs, never values


def format_lock(lock: Lock) -> str:
    document: dict[str, Any] = {
        "generator": lock.generator,
        "kubeflow": lock.kubeflow,
        "profile": {"name": lock.profile, "digest": lock.digest},
        "files": dict(sorted(lock.files.items())),
        "seeds": dict(sorted(lock.seeds.items())),
    }
    if lock.sealed:
        document["sealed"] = dict(sorted(lock.sealed.items()))
    return HEADER + dump(document)


def parse_lock(text: str, file: str) -> Lock:
    try:
        (data,) = load_all_plain(text)
        return Lock(
            generator=str(data["generator"]),
            kubeflow=str(data["kubeflow"]),
            profile=str(data["profile"]["name"]),
            digest=str(data["profile"]["digest"]),
            files={str(k): str(v) for k, v in (data.get("files") or {}).items()},
            seeds={str(k): str(v) for k, v in (data.get("seeds") or {}).items()},
            sealed={str(k): str(v) for k, v in (data.get("sealed") or {}).items()},
        )
    except Exception as exc:
        raise OutputError(f"{file} is not a lock file argoflow-gen can read ({type(exc).__name__})",
                          hint="restore it from git, or render into a new folder") from None
