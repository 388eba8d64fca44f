"""Cross-field rules of the workloads: notebooks, pipelines, Argo Workflows, monitoring."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import catalog
from ..schema import Problem
from ..yamlio import JsonPath
from .common import problem as _p


def _notebooks(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    notebooks = spec["notebooks"]
    base: JsonPath = ("spec", "notebooks")
    if notebooks["defaultImage"] not in notebooks["images"]:
        target = "defaultImage" if "defaultImage" in written.get("notebooks", {}) else "images"
        yield _p((*base, target), f"defaultImage {notebooks['defaultImage']} is not one of images",
                 "list it in spec.notebooks.images, or choose one of them")
    keys = [vendor["limitsKey"] for vendor in notebooks["gpus"]["vendors"]]
    if notebooks["gpus"]["default"] and notebooks["gpus"]["default"] not in keys:
        yield _p((*base, "gpus", "default"), f"{notebooks['gpus']['default']!r} is not a listed vendor's limitsKey",
                 f"choose one of: {', '.join(keys)}, or ''")
    if len(set(keys)) != len(keys):
        yield _p((*base, "gpus", "vendors"), "two vendors have the same limitsKey")


def _images(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    """Image overrides: each changes something, a tag or a digest (not both), one entry per image, and only on
    components built from kustomize (a Helm chart's images are its values)."""
    release = catalog.release(spec["kubeflow"]["version"])
    for cid, entry in written.get("kubeflow", {}).get("components", {}).items():
        overrides = entry.get("images") or []
        base: JsonPath = ("spec", "kubeflow", "components", cid, "images")
        if overrides and cid in release.components and release.components[cid].helm is not None:
            yield _p(base, f"{cid} is deployed from a Helm chart: its images are the chart's",
                     "spec.registry moves them to a mirror; images is for components built from kustomize")
            continue
        seen: set[str] = set()
        for index, image in enumerate(overrides):
            if image.get("newTag") and image.get("digest"):
                yield _p((*base, index, "digest"), "a digest pins the image: newTag would be ignored",
                         "give newTag or digest, not both")
            if not any(image.get(key) for key in ("newName", "newTag", "digest")):
                yield _p((*base, index), f"{image['name']} is replaced by nothing",
                         "give newName, newTag or digest")
            if image["name"] in seen:
                yield _p((*base, index, "name"), f"{image['name']} is listed twice", "one entry per image")
            seen.add(image["name"])


def _pipelines(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    """External databases: only for a component that runs, and never under the Argo Workflows archive that
    would go to the in-cluster MySQL they replace."""
    components = spec["kubeflow"]["components"]
    for section, component in (("pipelines", "pipelines"), ("katib", "katib")):
        if spec.get(section, {}).get("database") and not components.get(component, {}).get("enabled"):
            yield _p(("spec", section, "database"), f"the {component} component is not enabled",
                     f"set spec.kubeflow.components.{component}.enabled: true, or remove the database")
    archive = spec.get("argoWorkflows", {}).get("archive", {})
    if (spec.get("pipelines", {}).get("database") and components.get("argo-workflows", {}).get("enabled")
            and archive.get("enabled") and not archive.get("database")):
        yield _p((*ARGO, "archive", "enabled"),
                 "without a database of its own the archive goes to Kubeflow Pipelines' in-cluster MySQL, which "
                 "spec.pipelines.database replaces",
                 "set spec.argoWorkflows.archive.database; it may be another database on the same server")


ARGO: JsonPath = ("spec", "argoWorkflows")


def _argo_workflows(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    components = spec["kubeflow"]["components"]
    enabled = bool(components.get("argo-workflows", {}).get("enabled"))
    if not enabled:
        changed = _changed_from_default(written.get("argoWorkflows", {}), _argo_defaults(), ARGO)
        if changed:
            yield _p(changed, "is only used when the argo-workflows component is enabled",
                     "set spec.kubeflow.components.argo-workflows.enabled: true")
        return
    if not components.get("pipelines", {}).get("enabled"):
        yield _p(("spec", "kubeflow", "components", "argo-workflows", "enabled"),
                 "argo-workflows needs the pipelines component",
                 "Kubeflow Pipelines installs the workflow-controller and the Argo CRDs the server works with")
    if not components.get("dex", {}).get("enabled"):
        yield _p(("spec", "kubeflow", "components", "argo-workflows", "enabled"),
                 "argo-workflows needs the dex component", "its single sign-on goes through the in-cluster Dex")
    argo = spec.get("argoWorkflows", {})
    release = catalog.release(spec["kubeflow"]["version"])
    path = argo.get("path", "/argo/")
    host = argo.get("host")
    ingress = spec.get("ingress", {})
    taken = [prefix for prefix in release.gateway_prefixes if path.startswith(prefix) or prefix.startswith(path)]
    if taken:
        yield _p((*ARGO, "path"), f"{path} overlaps Kubeflow's route {taken[0]} on the gateway",
                 "choose another path, such as /argo/")
    if host and host == ingress.get("domain"):
        yield _p((*ARGO, "host"), "is spec.ingress.domain",
                 "leave host out to serve Argo Workflows under the domain at spec.argoWorkflows.path")
    users = {user["email"].lower() for user in spec.get("identity", {}).get("users", [])}
    rbac = argo.get("sso", {}).get("rbac", {})
    if "oidc" not in spec.get("identity", {}):
        for role in ("admin", "readOnly"):
            for index, email in enumerate(rbac.get(role, {}).get("users", [])):
                if email.lower() not in users:
                    yield _p((*ARGO, "sso", "rbac", role, "users", index), f"{email} is not one of spec.identity.users",
                             "only those who can log in get Argo Workflows roles")
            if rbac.get(role, {}).get("groups"):
                yield _p((*ARGO, "sso", "rbac", role, "groups"), "Dex's static users have no groups",
                         "groups come from an external provider (spec.identity.oidc); name users instead")
    archive = argo.get("archive", {})
    if "database" in archive and not archive.get("enabled"):
        yield _p((*ARGO, "archive", "database"), "a database is given but the archive is not enabled",
                 "set spec.argoWorkflows.archive.enabled: true, or remove the database")
    gitops = argo.get("gitops", {})
    mode = spec.get("pipelines", {}).get("mode")
    namespaced = mode in release.argo_server["namespacedModes"]
    if gitops.get("enabled", True):
        namespace = gitops.get("namespace")
        if namespaced and namespace not in (None, "kubeflow"):
            yield _p((*ARGO, "gitops", "namespace"),
                     f"pipelines mode {mode} runs a workflow-controller that only watches namespace kubeflow",
                     "leave namespace out, or set it to kubeflow")
        if not namespace and not namespaced and not spec.get("profiles") and not spec.get("identity", {}).get("admin"):
            yield _p((*ARGO, "gitops"), "no Kubeflow profile to hold the workflows/ folder's objects",
                     "set spec.argoWorkflows.gitops.namespace, or spec.tenancy.profiles")
        for index, app in enumerate(spec.get("extraApplications", [])):
            if app.get("name") == "workflows":
                yield _p(("spec", "extraApplications", index, "name"),
                         "'workflows' is the name of the Application that syncs the workflows/ folder",
                         "rename it, or set spec.argoWorkflows.gitops.enabled: false")


def _argo_defaults() -> Mapping[str, Any]:
    from ..schema import with_defaults

    filled, _paths = with_defaults({"spec": {}})
    defaults: Mapping[str, Any] = filled["spec"]["argoWorkflows"]
    return defaults


def _changed_from_default(value: Any, default: Any, path: JsonPath) -> JsonPath | None:
    """The first place where written settings say more than the schema's defaults (None if nowhere)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _changed_from_default(item, default.get(key) if isinstance(default, Mapping) else None,
                                          (*path, key))
            if found:
                return found
        return None
    return None if value == default else path


def _monitoring(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    monitoring = spec.get("monitoring", {})
    if monitoring.get("serviceMonitorLabels") and monitoring.get("prometheus") != "serviceMonitor":
        yield _p(("spec", "monitoring", "serviceMonitorLabels"),
                 f"only used with prometheus: serviceMonitor, not {monitoring.get('prometheus')}")
