"""What upgrades are known to do, as data (``data/upgrade.json``): immutable fields, databases that migrate,
the image that uploads backups."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any


@functools.lru_cache(maxsize=1)
def facts() -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = json.loads(
        resources.files("argoflow_gen.data").joinpath("upgrade.json").read_text(encoding="utf-8"))
    return loaded
