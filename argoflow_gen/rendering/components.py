"""Component folders: the upstream path at the release tag, the profile's settings as patches, and the
user's escape hatches (patches, extra resources, scheduling)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..profile import Component, Scheduling, thaw
from ..templating import render_template
from .context import Context
from .model import Folder

Customizer = Callable[[Context, Folder], None]

#: Per component id, the functions that carry the profile's settings into its folder. Filled by the
#: topic modules (auth, ingress, notebooks, ...) through ``customizes``.
CUSTOMIZERS: dict[str, list[Customizer]] = {}

#: Components whose upstream objects set no namespace (upstream installs them with ``-n``).
NAMESPACED_BY_WRAPPER = {"model-registry": "kubeflow"}

WORKLOAD_KINDS = (("apps", "Deployment"), ("apps", "StatefulSet"))


def customizes(*component_ids: str) -> Callable[[Customizer], Customizer]:
    def register(func: Customizer) -> Customizer:
        for component_id in component_ids:
            CUSTOMIZERS.setdefault(component_id, []).append(func)
        return func

    return register


def build_folders(ctx: Context) -> None:
    """A folder for every enabled component that is deployed from kustomize (not from a Helm chart)."""
    for component in ctx.profile.spec.kubeflow.enabled:
        spec = ctx.release.components[component.id]
        if spec.helm is not None:
            continue
        folder = Folder(id=component.id, title=spec.title, namespace=NAMESPACED_BY_WRAPPER.get(component.id))
        folder.resources.extend(ctx.release.remote(path) for path in spec.paths_for(component.options))
        ctx.folders[component.id] = folder
    for component_id, folder in ctx.folders.items():
        # a fixed order (module, then function), whatever order the modules were imported in
        for customize in sorted(CUSTOMIZERS.get(component_id, []), key=lambda f: (f.__module__, f.__name__)):
            customize(ctx, folder)
        _escape_hatches(ctx.profile.spec.kubeflow.components[component_id], folder)
        _warn_plaintext_secrets(ctx, component_id)


def _warn_plaintext_secrets(ctx: Context, component_id: str) -> None:
    """A Secret with values in an escape hatch lands in git in plain text: the user is told, every render."""
    component = ctx.profile.spec.kubeflow.components[component_id]
    bodies = [(f"resources[{index}]", resource) for index, resource in enumerate(component.resources)]
    bodies += [(f"patches[{index}].patch", patch.patch) for index, patch in enumerate(component.patches)]
    for where, body in bodies:
        if isinstance(body, Mapping) and body.get("kind") == "Secret" and (body.get("data") or body.get("stringData")):
            ctx.warnings.append(f"spec.kubeflow.components.{component_id}.{where}: a Secret with values in plain "
                                "text lands in git: seal it with kubeseal, or create it in the cluster")


def _escape_hatches(component: Component, folder: Folder) -> None:
    if component.scheduling:
        for group, kind in WORKLOAD_KINDS:
            folder.add_patch(_scheduling_patch(component.scheduling, group, kind), {"group": group, "kind": kind})
    if component.resources:
        folder.add_manifests("profile-resources.yaml", [thaw(resource) for resource in component.resources],
                             "Extra manifests from the profile (spec.kubeflow.components.*.resources).")
    for patch in component.patches:
        body = thaw(patch.patch)
        folder.add_patch(body, thaw(patch.target) if patch.target else None)
    for image in component.images:
        entry = {"name": image.name, "newName": image.new_name, "newTag": image.new_tag, "digest": image.digest}
        folder.images.append({key: value for key, value in entry.items() if value is not None})


def _scheduling_patch(scheduling: Scheduling, group: str, kind: str) -> dict[str, Any]:
    pod: dict[str, Any] = {}
    if scheduling.node_selector:
        pod["nodeSelector"] = thaw(scheduling.node_selector)
    if scheduling.tolerations:
        pod["tolerations"] = thaw(scheduling.tolerations)
    if scheduling.affinity:
        pod["affinity"] = thaw(scheduling.affinity)
    if scheduling.priority_class_name:
        pod["priorityClassName"] = scheduling.priority_class_name
    return {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "any"},
            "spec": {"template": {"spec": pod}}}


def write_folders(ctx: Context) -> None:
    for component_id, folder in ctx.folders.items():
        ctx.files[f"{component_id}/kustomization.yaml"] = render_template(
            "kustomization.yaml.j2", k=folder, title=folder.title, version=ctx.release.version
        )
        for name, text in folder.files.items():
            ctx.files[f"{component_id}/{name}"] = text
        ctx.seeds[f"{component_id}/custom/kustomization.yaml"] = render_template(
            "custom-component.yaml.j2", title=folder.title
        )
