"""The Jupyter web app's spawner options and notebook culling."""

from __future__ import annotations

import copy
from typing import Any

from ..profile import thaw
from ..yamlemit import dump
from .components import customizes
from .context import Context
from .model import Folder

SPAWNER_FILE = "spawner_ui_config.yaml"


def spawner_config(ctx: Context) -> dict[str, Any]:
    """Upstream's spawner_ui_config.yaml of the release, with the profile's choices in it."""
    notebooks = ctx.profile.spec.notebooks
    config: dict[str, Any] = copy.deepcopy(thaw(ctx.release.spawner_config))
    form = config["spawnerFormDefaults"]
    form["allowCustomImage"] = notebooks.allow_custom_image
    form["hideRegistry"] = notebooks.hide_registry
    form["hideTag"] = notebooks.hide_tag
    form["imagePullPolicy"]["value"] = notebooks.image_pull_policy
    form["image"]["value"] = notebooks.default_image
    form["image"]["options"] = list(notebooks.images)
    for group, images in (("imageGroupOne", notebooks.vscode_images), ("imageGroupTwo", notebooks.rstudio_images)):
        form[group]["options"] = list(images)
        form[group]["value"] = images[0] if images else ""
    form["cpu"]["value"] = notebooks.cpu.default
    form["cpu"]["limitFactor"] = notebooks.cpu.limit_factor
    form["memory"]["value"] = notebooks.memory.default
    form["memory"]["limitFactor"] = notebooks.memory.limit_factor
    form["gpus"]["value"]["vendors"] = [{"limitsKey": vendor.limits_key, "uiName": vendor.ui_name}
                                        for vendor in notebooks.gpus.vendors]
    form["gpus"]["value"]["vendor"] = notebooks.gpus.default
    claim = form["workspaceVolume"]["value"]["newPvc"]["spec"]
    claim["resources"]["requests"]["storage"] = notebooks.workspace_volume.size
    if notebooks.workspace_volume.storage_class:
        claim["storageClassName"] = notebooks.workspace_volume.storage_class
    return config


@customizes("jupyter-web-app")
def spawner(ctx: Context, folder: Folder) -> None:
    folder.files[SPAWNER_FILE] = (
        "# The Jupyter web app's spawner options, generated from the profile's spec.notebooks.\n"
        + dump(spawner_config(ctx))
    )
    folder.generators.append({"name": "jupyter-web-app-config", "namespace": "kubeflow",
                              "behavior": "replace", "files": [SPAWNER_FILE]})


@customizes("notebook-controller")
def culling(ctx: Context, folder: Folder) -> None:
    notebooks = ctx.profile.spec.notebooks
    folder.generators.append({
        "name": "notebook-controller-config", "namespace": "kubeflow", "behavior": "merge",
        "literals": [f"ENABLE_CULLING={'true' if notebooks.culling.enabled else 'false'}",
                     f"CULL_IDLE_TIME={notebooks.culling.idle_minutes}"],
    })
