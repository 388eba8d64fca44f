"""Diffs for review: what a profile edit, a generator upgrade or a Kubeflow bump does to a fork.

Two levels: ``diff_trees`` compares generated files; ``diff_resources`` compares the manifests each
Application builds to (``build_trees`` builds them with kustomize). Both return a ``Diff``, which
``format_text``, ``format_markdown`` and ``format_json`` turn into a report. ``compare`` ties it together
for a ``Pair`` of trees from ``profile_pair``, ``against_folder`` or ``revision_pair``, building only the
Applications that can differ (a ``cache_dir`` keeps builds across runs); a ``ReportStream`` passed as its
``listener`` writes the text or json report while the Applications are compared.
"""

from __future__ import annotations

from .build import Built, build_tree, build_trees
from .compare import compare
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
from .sources import Pair, against_folder, profile_pair, revision_pair
from .store import default_cache_dir
from .stream import ReportStream

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
