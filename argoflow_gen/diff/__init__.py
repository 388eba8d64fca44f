"""Diffs for review: what a profile edit, a generator upgrade or a Kubeflow bump does to a fork.

Two levels: ``diff_trees`` compares generated files; ``diff_resources`` compares the manifests each
Application builds to (``build_trees`` builds them with kustomize). Both return a ``Diff``, which
``format_text``, ``format_markdown`` and ``format_json`` turn into a report. ``compare`` (in ``review``) ties
it together for a ``Pair`` of trees from ``profile_pair``, ``against_folder`` or ``revision_pair``, building only the
Applications that can differ (a ``cache_dir`` keeps builds across runs); a ``ReportStream`` passed as its
``listener`` writes the text or json report while the Applications are compared.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import Built, build_tree, build_trees
    from .files import diff_trees
    from .formats import format_json, format_text
    from .markdown import MARKER, MAX_MARKDOWN, format_markdown
    from .model import (
        ApplicationDiff,
        Counts,
        Diff,
        FieldChange,
        FileChange,
        Masked,
        NotBuilt,
        ResourceChange,
        ResourceKey,
    )
    from .resources import diff_resources
    from .review import compare
    from .sources import Pair, against_folder, profile_pair, revision_pair
    from .store import default_cache_dir
    from .stream import ReportStream

#: Where each public name lives. Imported on first use: importing one module of the package (``diff.remote``
#: for vendoring, say) does not import the whole review stack, which itself renders forks.
_LAZY = {
    "Built": "build", "build_tree": "build", "build_trees": "build", "compare": "review", "diff_trees": "files",
    "format_json": "formats", "format_text": "formats", "MARKER": "markdown", "MAX_MARKDOWN": "markdown",
    "format_markdown": "markdown", "ApplicationDiff": "model", "Counts": "model", "Diff": "model",
    "FieldChange": "model", "FileChange": "model", "Masked": "model", "NotBuilt": "model",
    "ResourceChange": "model", "ResourceKey": "model", "diff_resources": "resources", "Pair": "sources",
    "against_folder": "sources", "profile_pair": "sources", "revision_pair": "sources",
    "default_cache_dir": "store", "ReportStream": "stream",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "MARKER",
    "MAX_MARKDOWN",
    "ApplicationDiff",
    "Built",
    "Counts",
    "Diff",
    "FieldChange",
    "FileChange",
    "Masked",
    "NotBuilt",
    "Pair",
    "ReportStream",
    "ResourceChange",
    "ResourceKey",
    "against_folder",
    "build_tree",
    "build_trees",
    "compare",
    "default_cache_dir",
    "diff_resources",
    "diff_trees",
    "format_json",
    "format_markdown",
    "format_text",
    "profile_pair",
    "revision_pair",
]
