"""argoflow-gen: a typed profile in, a fork-ready Kubeflow-on-Argo-CD GitOps repository out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    ArgoflowError,
    DifferencesFound,
    DiffError,
    InputError,
    Issue,
    OutputError,
    ProfileError,
    RenderError,
    SecretError,
    UpdateError,
    VerifyError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .diff import diff_resources, diff_trees
    from .loader import load_profile
    from .profile import Profile
    from .rendering import render
    from .tree import Tree
    from .writer import Plan

_LAZY = {
    "load_profile": ("loader", "load_profile"),
    "Profile": ("profile", "Profile"),
    "render": ("rendering", "render"),
    "Tree": ("tree", "Tree"),
    "Plan": ("writer", "Plan"),
    "diff_trees": ("diff", "diff_trees"),
    "diff_resources": ("diff", "diff_resources"),
}


def __getattr__(name: str) -> Any:
    """The public API is imported on first use, so that `argoflow-gen --version` starts fast."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ArgoflowError",
    "DiffError",
    "DifferencesFound",
    "InputError",
    "Issue",
    "OutputError",
    "Plan",
    "Profile",
    "ProfileError",
    "RenderError",
    "SecretError",
    "Tree",
    "UpdateError",
    "VerifyError",
    "__version__",
    "diff_resources",
    "diff_trees",
    "load_profile",
    "render",
]
