"""Profile -> Tree, in memory. ``render`` is the one entry point; it never touches the disk."""

from __future__ import annotations

from collections.abc import Mapping

from ..profile import Profile, thaw
from ..state import (
    LOCK_FILE,
    PRISTINE,
    PROFILE_RECORD,
    STATE_IGNORE,
    STATE_IGNORE_TEXT,
    Lock,
    format_lock,
    pristine_text,
    sha256,
)
from ..tree import Tree
from ..version import __version__
from ..yamlemit import dump
from . import (  # noqa: F401 - they register customizers
    acme,
    argocd,
    argoserver,
    argosso,
    argoworkflows,
    auth,
    dashboard,
    databases,
    docs,
    ingress,
    notebooks,
    storage,
    userprofiles,
    workflowcontroller,
)
from .addons import addon_apps
from .applications import argocd_app, component_apps, write_applications
from .components import build_folders, write_folders
from .context import Context
from .model import Target


def render(profile: Profile, *, previous: Mapping[str, str] | None = None, rotate_secrets: bool = False,
           read_only: bool = False, read_secrets: bool = True, target: Target | None = None) -> Tree:
    """The complete fork-ready tree of a profile: every file, as text, keyed by its path in the fork.

    ``previous`` (the files of an earlier render, by path) lets sealed values be re-used instead of re-sealed
    while they are bound to its lock and their inputs are unchanged; ``rotate_secrets`` makes new random
    values anyway. ``read_only`` (for commands that write nothing) never creates the user's lock key;
    ``read_secrets=False`` never reads a secret input and carries on every sealed value bound to the lock.
    ``target`` places the Applications elsewhere than the profile's own cluster (a cluster of a fleet).
    The tree's ``findings`` and ``warnings`` say what the caller should show.
    """
    ctx = Context.of(profile, previous, rotate_secrets, read_secrets=read_secrets, create_lock_key=not read_only,
                     target=target)
    build_folders(ctx)
    ingress.warn_example_names(ctx)
    component_apps(ctx)
    addon_apps(ctx)
    if ctx.target.installs_argocd:
        folder = argocd.build(ctx)
        if profile.spec.argocd.manage:
            argocd_app(ctx, folder)
    write_folders(ctx)
    write_applications(ctx)
    docs.write(ctx)
    ctx.files[PROFILE_RECORD] = (
        "# The resolved profile of this render (every layer merged, every default filled); do not edit.\n"
        + dump(thaw(profile.resolved))
    )
    ctx.files[STATE_IGNORE] = STATE_IGNORE_TEXT
    if ctx.target.pristine:
        ctx.files[PRISTINE] = pristine_text(ctx.files)
    lock = Lock(
        generator=f"argoflow-gen {__version__}",
        kubeflow=profile.spec.kubeflow.version,
        profile=profile.metadata.name,
        digest=profile.digest,
        files={path: sha256(text) for path, text in ctx.files.items()},
        seeds={path: sha256(text) for path, text in ctx.seeds.items()},
        sealed=ctx.sealed_digests,
        rotation=ctx.previous_rotation + (1 if rotate_secrets and ctx.sealed_digests else 0),
    )
    ctx.files[LOCK_FILE] = format_lock(lock)
    return Tree(files=dict(sorted(ctx.files.items())), seeds=dict(sorted(ctx.seeds.items())),
                findings=tuple(dict.fromkeys(ctx.findings)),
                warnings=tuple(dict.fromkeys([*profile.notices, *ctx.warnings])))


__all__ = ["Target", "render"]
