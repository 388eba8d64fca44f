"""The platform add-ons (``spec.addons``): one Argo CD Application each, with a Helm chart source at the
version the catalog pins, in its own namespace, with the values argoflow-gen sets, the profile's options and the
profile's own values merged in that order."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from .. import catalog
from ..profile.convert import thaw
from .addonaccess import access_app, extras_folder, shares_artifact_store
from .applications import sync_policy
from .context import Context, ExpectedSecret
from .infra import infra_settings
from .model import App
from .storage import artifact_store


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's rule for values: mappings merge key by key, anything else in ``over`` replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _at(path: str, value: Any) -> dict[str, Any]:
    """``a.b.c`` and a value as nested values: ``{a: {b: {c: value}}}``."""
    result: Any = value
    for key in reversed(path.split(".")):
        result = {key: result}
    return dict(result)


def store_values(ctx: Context, spec: catalog.AddonSpec) -> dict[str, Any]:
    """Kubeflow Pipelines' artifact store (bucket, endpoint, region, the Secret with its keys) at the values paths
    the catalog names for the add-on, with the values that turn its use on."""
    if not shares_artifact_store(ctx, spec):
        return {}
    store = artifact_store(ctx)
    paths = spec.artifact_store["values"]
    result = dict(spec.artifact_store.get("also", {}))
    for key, value in (("bucket", store.bucket), ("endpointURL", store.url), ("region", store.region),
                       ("secret", store.secret), ("accessKey", store.keys[0]), ("secretKey", store.keys[1])):
        if value:
            result = merged(result, _at(paths[key], value))
    return result


def values(spec: catalog.AddonSpec, options: Mapping[str, str], own: Mapping[str, Any],
           running: Collection[str] = (), store: Mapping[str, Any] | None = None,
           settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An add-on's Helm values: the catalog's, those it sets beside each other add-on ``running``, the shared
    artifact store's (``store_values``), then each option at its values path, those of its typed ``settings``,
    then the profile's own."""
    result = dict(spec.helm.values)
    for other, extra in spec.along.items():
        if other in running:
            result = merged(result, extra)
    result = merged(result, store or {})
    for name, value in sorted(options.items()):
        option = spec.options[name]
        result = merged(merged(result, option.also), _at(option.values, value))
    return merged(merged(result, settings or {}), own)


def addon_apps(ctx: Context) -> None:
    """An Application per add-on the profile turns on, and the Secrets each needs documented in the README."""
    running = {addon.id for addon in ctx.profile.spec.addons.values() if addon.on}
    for addon in ctx.profile.spec.addons.values():
        if not addon.on:
            continue
        spec = catalog.addons()[addon.id]
        folder = extras_folder(addon.id, spec)
        settings = infra_settings(ctx, addon, spec.namespace, folder)
        source = {
            "repoURL": spec.helm.repo_url,
            "chart": spec.helm.chart,
            "targetRevision": spec.helm.target_revision,
            "helm": {"releaseName": addon.id,
                     "valuesObject": values(spec, addon.options, thaw(addon.values), running,
                                            store_values(ctx, spec), settings)},
        }
        wave = spec.wave if addon.sync_wave is None else addon.sync_wave
        ctx.apps.append(App(
            name=addon.id, namespace=spec.namespace, wave=wave, source=source,
            sync_policy=sync_policy(ctx.profile, server_side=spec.server_side_apply, create_namespace=True),
            annotations={"argocd.argoproj.io/sync-wave": str(wave)},
        ))
        access_app(ctx, addon.id, spec, wave, folder)
        for secret in spec.secrets:
            ctx.expected_secrets.append(ExpectedSecret(namespace=spec.namespace, name=secret["name"],
                                                       keys=tuple(secret["keys"]), purpose=secret["purpose"]))
