"""argoflow-gen: a typed profile in, a fork-ready Kubeflow-on-Argo-CD GitOps repository out.

The library, stage by stage (each name is importable from ``argoflow_gen``):

- profiles: ``load_profile(*sources, overrides=())`` -> ``Profile`` (frozen); ``ProfileError`` lists every problem
- render: ``render(profile)`` -> ``Tree`` (path -> text, in memory); ``Tree.plan(dir)`` / ``Tree.write(dir)``
  -> ``Plan``; ``render_to(profiles, overrides, dir, dry_run=, check=, force=)`` does all three
- review: ``profile_pair``, ``against_folder``, ``revision_pair`` -> ``Pair``; ``compare(pair, build=)`` -> ``Diff``
  (``build_trees`` builds each Application with kustomize); ``format_text``, ``format_markdown``, ``format_json``
- regenerate: ``update(profiles, overrides, dir, dry_run=)`` -> ``UpdateResult``; ``status(dir)`` -> ``Status``
- fleets: ``load_fleet(file)`` -> ``Fleet``; ``render_fleet(fleet)`` -> ``Tree``; ``render_fleet_to(file, dir)``;
  ``fleet_diff(file, dir)`` -> which clusters a change touches; ``fleet_update(file, dir)`` -> ``UpdateResult``;
  ``fleet_promote(file, src, dst)`` brings one cluster's layers to what another runs;
  ``fleet_explain(file, key, cluster=)`` says where each value comes from
- errors: every error derives from ``ArgoflowError`` and knows its exit code

Names are imported on first use, so that ``argoflow-gen --version`` starts fast.
"""

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
    StateError,
    UpdateError,
    VerifyError,
)
from .version import __version__

if TYPE_CHECKING:
    from .api import Rendered, fleet_diff, fleet_explain, fleet_promote, fleet_update, render_fleet_to, render_to
    from .diff import (
        Diff,
        Pair,
        against_folder,
        build_trees,
        diff_resources,
        diff_trees,
        format_json,
        format_markdown,
        format_text,
        profile_pair,
        revision_pair,
    )
    from .diff.review import compare
    from .fleet import Fleet, load_fleet, render_fleet
    from .loader import load_profile
    from .planner import Plan
    from .profile import Profile
    from .regenerate import Status, UpdateResult, status, update
    from .rendering import render
    from .tree import Tree

_LAZY = {
    "load_profile": "loader",
    "Profile": "profile",
    "render": "rendering",
    "Tree": "tree",
    "Plan": "planner",
    "render_to": "api",
    "Rendered": "api",
    "Diff": "diff",
    "Pair": "diff",
    "against_folder": "diff",
    "build_trees": "diff",
    "compare": "diff.review",
    "diff_resources": "diff",
    "diff_trees": "diff",
    "format_json": "diff",
    "format_markdown": "diff",
    "format_text": "diff",
    "profile_pair": "diff",
    "revision_pair": "diff",
    "update": "regenerate",
    "status": "regenerate",
    "UpdateResult": "regenerate",
    "Status": "regenerate",
    "Fleet": "fleet",
    "load_fleet": "fleet",
    "render_fleet": "fleet",
    "render_fleet_to": "api",
    "fleet_diff": "api",
    "fleet_update": "api",
    "fleet_promote": "api",
    "fleet_explain": "api",
}


def __getattr__(name: str) -> Any:
    """The public API is imported on first use, so that `argoflow-gen --version` starts fast."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """Every public name, loaded or not, so that ``help(argoflow_gen)`` and completion list them."""
    return sorted({*globals(), *__all__})


__all__ = [
    "ArgoflowError",
    "Diff",
    "DiffError",
    "DifferencesFound",
    "Fleet",
    "InputError",
    "Issue",
    "OutputError",
    "Pair",
    "Plan",
    "Profile",
    "ProfileError",
    "RenderError",
    "Rendered",
    "SecretError",
    "StateError",
    "Status",
    "Tree",
    "UpdateError",
    "UpdateResult",
    "VerifyError",
    "__version__",
    "against_folder",
    "build_trees",
    "compare",
    "diff_resources",
    "diff_trees",
    "fleet_diff",
    "fleet_explain",
    "fleet_promote",
    "fleet_update",
    "format_json",
    "format_markdown",
    "format_text",
    "load_fleet",
    "load_profile",
    "profile_pair",
    "render",
    "render_fleet",
    "render_fleet_to",
    "render_to",
    "revision_pair",
    "status",
    "update",
]
