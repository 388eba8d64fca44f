"""The user's cache folder: remembered results of pure computations, never anything a render depends on.

Two things are kept: the fact that a merged profile is valid against the shipped schema (so later runs of
the same profile skip importing jsonschema), and Jinja's compiled templates. Deleting the folder is always
safe. ``ARGOFLOW_GEN_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path | None:
    """``<cache>/argoflow-gen/<kind>``, created if it can be; None when caching is off or impossible."""
    if os.environ.get("ARGOFLOW_GEN_NO_CACHE"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(root) / "argoflow-gen" / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
