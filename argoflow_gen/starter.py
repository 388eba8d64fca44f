"""``argoflow-gen init``: a commented starter profile."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .catalog import VERSIONS
from .errors import InputError
from .layers import preset_names
from .profile.examples import example
from .templating import render_template
from .writer import write_file


def starter_text(file_name: str, preset: str) -> str:
    if preset not in preset_names():
        raise InputError(f"unknown preset {preset!r}", hint=f"choose one of: {', '.join(preset_names())}")
    stem = Path(file_name).stem.lower()
    name = re.sub(r"[^a-z0-9-]+", "-", stem).strip("-")[:63].strip("-") or "my-cluster"
    return render_template(
        "starter-profile.yaml.j2", file=file_name, name=name, preset=preset, kubeflow_version=VERSIONS[0],
        example=functools.partial(example, NAME=name),
    )


SCHEMA_FILES = {"profile.schema.json": "schema_text", "profile-layer.schema.json": "layer_schema_text"}


def write_starter(path: Path, preset: str, *, force: bool = False) -> list[Path]:
    """Write the starter profile to ``path``, and beside it the JSON Schemas its modeline (and an overlay
    layer's) names; an existing profile is kept unless ``force``, a schema file is brought up to date.
    Returns the files written."""
    from . import schema

    text = starter_text(path.name, preset)
    if path.exists() and not force:
        raise InputError(f"{path} already exists", hint="choose another name, or pass --force to overwrite it")
    write_file(path, text)
    written = [path]
    for name, function in SCHEMA_FILES.items():
        target = path.parent / name
        content: str = getattr(schema, function)()
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            write_file(target, content)
            written.append(target)
    return written
