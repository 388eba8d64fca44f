"""The Argo CD Applications: one per enabled component, Argo CD itself, the user's own, and the app-of-apps."""

from __future__ import annotations

from typing import Any

from ..mirror import Mirror
from ..profile import Profile
from ..templating import render_template
from .context import Context
from .model import App, Target

APPLICATIONS_DIR = "argocd-applications"
RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}
RETRY_WEBHOOK = {"limit": 20, "backoff": {"duration": "15s", "factor": 2, "maxDuration": "5m"}}


def sync_policy(profile: Profile, *, server_side: bool = False, respect_ignore: bool = False,
                create_namespace: bool = False, retry: dict[str, Any] | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    settings = profile.spec.argocd.sync_policy
    if settings.automated:
        policy["automated"] = {"prune": settings.prune, "selfHeal": settings.self_heal}
    options = []
    if create_namespace:
        options.append("CreateNamespace=true")
    if server_side:
        options.append("ServerSideApply=true")
    if respect_ignore:
        options.append("RespectIgnoreDifferences=true")
    if options:
        policy["syncOptions"] = options
    policy["retry"] = retry or RETRY
    return policy


def _git_source(profile: Profile, folder: str) -> dict[str, Any]:
    return {"repoURL": profile.spec.repo.url, "targetRevision": profile.spec.repo.revision,
            "path": profile.spec.repo.join(folder)}


def component_apps(ctx: Context) -> None:
    profile = ctx.profile
    for component in profile.spec.kubeflow.enabled:
        spec = ctx.release.components[component.id]
        ignore = [dict(rule) for name in spec.ignore for rule in ctx.release.ignore_sets[name]]
        if spec.helm is not None:
            values = dict(spec.helm.values)
            if profile.spec.registry.enabled:  # the chart's images, from the mirror
                mirror = Mirror(profile.spec.registry)
                for key, image in spec.helm.images.items():
                    registry, _, repository = mirror.name(image).partition("/")
                    values[key] = {**values.get(key, {}), "registry": registry, "repository": repository}
            source: dict[str, Any] = {
                "repoURL": spec.helm.repo_url,
                "chart": spec.helm.chart,
                "targetRevision": component.chart_version or spec.helm.target_revision,
                "helm": {"releaseName": component.id, "valuesObject": values},
            }
        else:
            source = _git_source(profile, component.id)
        ctx.apps.append(App(
            name=component.id,
            namespace=spec.namespace,
            wave=component.sync_wave,
            source=source,
            sync_policy=sync_policy(profile, server_side=spec.server_side_apply, respect_ignore=bool(ignore),
                                    retry=RETRY_WEBHOOK if spec.retry else None),
            ignore_differences=ignore,
            annotations={"argocd.argoproj.io/sync-wave": str(component.sync_wave)},
        ))
    for extra in profile.spec.extra_applications:
        if extra.source is not None:
            source = {key: value for key, value in extra.source.items()}
            if "helm" in source:
                source["helm"] = _plain(source["helm"])
        else:
            source = _git_source(profile, extra.path or ".")
        ctx.apps.append(App(
            name=extra.name, namespace=extra.namespace, wave=extra.sync_wave, source=source,
            # its namespace may be new: nothing else in the tree creates it
            sync_policy=sync_policy(profile, server_side=extra.server_side_apply, create_namespace=True),
            annotations={"argocd.argoproj.io/sync-wave": str(extra.sync_wave)},
        ))
        if extra.path not in (None, "."):
            ctx.seeds[f"{extra.path}/README.md"] = render_template(
                "extra-folder-README.md.j2", name=extra.name, namespace=extra.namespace, path=extra.path)


def _plain(value: Any) -> Any:
    from ..profile import thaw

    return thaw(value)


#: On the ``argocd`` Application: deleting the app-of-apps (even with cascade) leaves it, and so Argo CD, in place.
KEEP_ON_DELETE = {"argocd.argoproj.io/sync-options": "Delete=false"}


def argocd_app(ctx: Context, folder: str) -> None:
    """The Application that keeps Argo CD itself in sync with the fork.

    It never cascades: without the resources finalizer, deleting it leaves Argo CD running, and ``Delete=false``
    keeps it when the app-of-apps is deleted with its children, so Argo CD outlives every Application it
    removes.
    """
    profile = ctx.profile
    wave = ctx.release.argocd.wave
    ctx.apps.append(App(
        name="argocd", namespace=profile.spec.argocd.namespace, wave=wave,
        source=_git_source(profile, folder),
        sync_policy=sync_policy(profile, server_side=True),
        annotations={"argocd.argoproj.io/sync-wave": str(wave), **KEEP_ON_DELETE},
        cascade=False,
    ))


def application_text(ctx: Context, app: App, *, on_argo_cd: bool = False) -> str:
    """One Application; ``on_argo_cd`` for one whose objects are Applications (they live beside Argo CD)."""
    return render_template("application.yaml.j2", app=app, name=ctx.target.name_prefix + app.name,
                           namespace=ctx.profile.spec.argocd.namespace, project=ctx.profile.spec.argocd.project,
                           server=Target().server if on_argo_cd else ctx.target.server)


def write_applications(ctx: Context) -> None:
    """Every Application file, the root kustomization that lists them, and the app-of-apps."""
    ordered = sorted(ctx.apps, key=lambda app: (app.wave, app.name))
    for app in ordered:
        ctx.files[f"{APPLICATIONS_DIR}/{app.name}.yaml"] = application_text(ctx, app)
    ctx.files["kustomization.yaml"] = render_template(
        "root-kustomization.yaml.j2", resources=[f"{APPLICATIONS_DIR}/{app.name}.yaml" for app in ordered]
    )
    profile = ctx.profile
    annotations = {"argoflow-gen/profile": profile.metadata.name}
    if profile.metadata.description:
        annotations["argoflow-gen/description"] = profile.metadata.description
    root = App(
        name="kubeflow", namespace=profile.spec.argocd.namespace, wave=0,
        source=_git_source(profile, "."),
        sync_policy=sync_policy(profile),
        annotations=annotations,
    )
    ctx.files["kubeflow.yaml"] = application_text(ctx, root, on_argo_cd=True)
