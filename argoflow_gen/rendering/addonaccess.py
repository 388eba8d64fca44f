"""What an add-on needs beside its chart, in a folder of the fork (``addons/<id>/``) that an Application of its own
syncs at the add-on's wave. All of it is catalog data (``access``, ``manifests``, ``artifactStore``, ``podDefault``
in ``data/addons.json``):

- its route on the Kubeflow gateway, whose oauth2-proxy login (Dex behind it) every route there goes through, so
  the add-on sits behind the same login as Kubeflow; an AuthorizationPolicy admitting the gateway, and the callers
  the catalog names, to its pods (which run in the mesh: the mesh denies what no policy admits); a NetworkPolicy
  where its namespace's would keep the gateway out;
- the objects the catalog lists beside the chart (a volume), and those the profile's settings make (MetalLB's
  address pools, sealed credentials);
- with Kubeflow Pipelines' in-cluster artifact store, an AuthorizationPolicy admitting its ServiceAccount there;
- a PodDefault in every profile namespace, for notebooks to reach it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .. import catalog
from .applications import sync_policy
from .argoworkflows import GATEWAY, GATEWAY_PRINCIPAL, NAMESPACE
from .context import Context
from .model import App, Folder
from .storage import artifact_store
from .userprofiles import default_profiles

FOLDER = "addons"


def shares_artifact_store(ctx: Context, spec: catalog.AddonSpec) -> bool:
    """Does the add-on keep its artifacts in Kubeflow Pipelines' store (which runs only with Kubeflow Pipelines)?"""
    return bool(spec.artifact_store) and ctx.profile.spec.kubeflow.on("pipelines")


def _route(spec: catalog.AddonSpec) -> list[dict[str, Any]]:
    access = spec.access
    route, pods = access["route"], dict(access["pods"])
    name, namespace = route["service"], spec.namespace
    documents: list[dict[str, Any]] = [
        {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
         "metadata": {"name": name, "namespace": namespace},
         "spec": {"gateways": [GATEWAY], "hosts": ["*"],
                  "http": [{"match": [{"uri": {"prefix": route["prefix"]}}],
                            "route": [{"destination": {"host": f"{name}.{namespace}.svc.cluster.local",
                                                       "port": {"number": route["port"]}}}]}]}},
    ]
    rules = [{"from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}]}]
    if access.get("principals"):
        rules.append({"from": [{"source": {"principals": list(access["principals"])}}]})
    documents.append({"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
                      "metadata": {"name": name, "namespace": namespace},
                      "spec": {"selector": {"matchLabels": pods}, "action": "ALLOW", "rules": rules}})
    if access.get("networkPolicy"):
        documents.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"name": name, "namespace": namespace},
                          "spec": {"podSelector": {"matchLabels": pods}, "policyTypes": ["Ingress"],
                                   "ingress": [{"from": copy.deepcopy(list(access["networkPolicy"]))}]}})
    return documents


def _in_namespace(document: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    result = copy.deepcopy(dict(document))
    result["metadata"] = {**result["metadata"], "namespace": namespace}
    return result


def _store_policy(ctx: Context, addon_id: str, spec: catalog.AddonSpec) -> dict[str, Any]:
    """The in-cluster store admits only the callers its policies name: the add-on's ServiceAccount too."""
    account = f"cluster.local/ns/{spec.namespace}/sa/{spec.artifact_store['serviceAccount']}"
    return {"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
            "metadata": {"name": f"{addon_id}-artifact-store", "namespace": NAMESPACE},
            "spec": {"selector": {"matchLabels": dict(ctx.release.object_store["pods"])}, "action": "ALLOW",
                     "rules": [{"from": [{"source": {"principals": [account]}}]}]}}


def _pod_defaults(ctx: Context, spec: catalog.AddonSpec) -> list[dict[str, Any]]:
    kubeflow = ctx.profile.spec.kubeflow
    if not (kubeflow.on("admission-webhook") and kubeflow.on("user-namespace")):
        return []
    settings = spec.pod_default
    return [{"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault",
             "metadata": {"name": settings["name"], "namespace": profile.name},
             "spec": {"desc": settings["desc"], "selector": {"matchLabels": {settings["name"]: "true"}},
                      "env": copy.deepcopy(list(settings["env"]))}}
            for profile in default_profiles(ctx)]


def extras_folder(addon_id: str, spec: catalog.AddonSpec) -> Folder:
    """The add-on's folder, for what it needs beside its chart."""
    return Folder(id=f"{FOLDER}/{addon_id}", title=f"the {spec.title} add-on")


def access_app(ctx: Context, addon_id: str, spec: catalog.AddonSpec, wave: int, folder: Folder) -> None:
    """The add-on's folder and its Application, when the catalog or the profile gives it anything beside the chart
    (``folder`` may hold the profile's part already). It syncs with the chart, or a wave after it where its objects
    need the chart's CRDs and webhooks."""
    if spec.access:
        folder.add_manifests("access.yaml", _route(spec),
                             f"{spec.title} at {spec.access['route']['prefix']} on the Kubeflow gateway, behind its "
                             "login, and who may call it.")
    if spec.manifests:
        folder.add_manifests("manifests.yaml", [_in_namespace(item, spec.namespace) for item in spec.manifests],
                             f"What {spec.title} needs beside its chart.")
    if shares_artifact_store(ctx, spec) and artifact_store(ctx).in_cluster:
        folder.add_manifests("artifact-store.yaml", [_store_policy(ctx, addon_id, spec)],
                             f"{spec.title} may use Kubeflow Pipelines' artifact store.")
    if spec.pod_default and (defaults := _pod_defaults(ctx, spec)):
        folder.add_manifests("poddefaults.yaml", defaults,
                             f"Notebooks that choose it reach {spec.title} (in every profile namespace).")
    if not folder.resources:
        return
    ctx.folders[folder.id] = folder
    profile = ctx.profile
    wave += 1 if spec.extras_after_chart else 0
    ctx.apps.append(App(
        name=f"{addon_id}-extras", namespace=spec.namespace, wave=wave,
        source={"repoURL": profile.spec.repo.url, "targetRevision": profile.spec.repo.revision,
                "path": profile.spec.repo.join(folder.id)},
        sync_policy=sync_policy(profile, create_namespace=True),
        annotations={"argocd.argoproj.io/sync-wave": str(wave)},
    ))
