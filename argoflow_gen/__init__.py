"""argoflow-gen: a typed profile in, a fork-ready Kubeflow-on-Argo-CD GitOps repository out."""

from __future__ import annotations

from .errors import (
    ArgoflowError,
    DifferencesFound,
    InputError,
    Issue,
    OutputError,
    ProfileError,
    RenderError,
    SecretError,
)

__version__ = "0.1.0"

__all__ = [
    "ArgoflowError",
    "DifferencesFound",
    "InputError",
    "Issue",
    "OutputError",
    "ProfileError",
    "RenderError",
    "SecretError",
    "__version__",
]
