"""The profile as a whole: apiVersion, kind, metadata and the spec, the typed root every renderer reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .access import Identity, Ingress
from .addons import ADDONS, Addon
from .common import DnsLabel, NonEmpty, Scheduling
from .declare import prop, record
from .platform import CI, ArgoCD, ExtraApplication, Kubeflow, Registry, Repo, Secrets
from .workloads import ArgoWorkflows, Katib, Monitoring, Notebooks, Pipelines, Tenancy

API_VERSION = "argoflow-gen/v1beta1"
KIND = "Profile"


@record()
class Metadata:
    name: DnsLabel = prop("the profile's name", required=True)
    description: str | None = prop("free text, carried into the fork's README and an annotation", default=None,
                                   max_length=4096)


@record()
class Spec:
    repo: Repo = prop("the git repository of the fork", required=True)
    argocd: ArgoCD = prop("Argo CD", default_factory=ArgoCD)
    kubeflow: Kubeflow = prop("Kubeflow", completed=True)
    ingress: Ingress = prop("how users reach Kubeflow", default_factory=Ingress)
    identity: Identity = prop("who can log in", default_factory=Identity)
    notebooks: Notebooks = prop(
        "the Jupyter web app's spawner options; anything left out keeps the release's upstream default",
        completed=True)
    pipelines: Pipelines = prop("Kubeflow Pipelines", completed=True)
    katib: Katib = prop("Katib (component katib)", default_factory=Katib)
    argo_workflows: ArgoWorkflows = prop(
        "Argo Workflows (component argo-workflows): where the UI is served, who may use it, the archive, metrics "
        "and the workflows/ folder", default_factory=ArgoWorkflows)
    monitoring: Monitoring = prop("metrics", default_factory=Monitoring)
    tenancy: Tenancy = prop("who works where: Kubeflow user namespaces (Profiles)", default_factory=Tenancy)
    secrets: Secrets = prop("how secrets reach the cluster", default_factory=Secrets)
    registry: Registry = prop("where images are pulled from: a mirror of every registry, or one per registry "
                              "(air-gapped installs, with spec.repo.vendor)", default_factory=Registry)
    scheduling: Scheduling = prop("scheduling for every component; a component's own scheduling wins",
                                  default_factory=Scheduling)
    addons: Mapping[str, Addon] = ADDONS
    extra_applications: tuple[ExtraApplication, ...] = prop("your own components", default=())
    ci: CI = prop("the fork's CI workflows (.github/workflows/, written when spec.repo.path is '.')",
                  default_factory=CI)


@record(description="A Kubeflow-on-Argo-CD deployment, rendered into a fork-ready GitOps repository by argoflow-gen.")
class Profile:
    """A validated deployment description, shaped like the profile file (``profile.spec.ingress.domain`` is
    ``spec.ingress.domain``). Build it with ``argoflow_gen.load_profile``."""

    api_version: Literal["argoflow-gen/v1beta1"] = prop(f"always {API_VERSION}", required=True)
    kind: Literal["Profile"] = prop(f"always {KIND}", required=True)
    metadata: Metadata = prop("the profile's name and description", required=True)
    extends: tuple[NonEmpty, ...] = prop(  # empty in a loaded profile: its layers are merged
        "layers under this one: paths relative to this file, or preset:NAME", default=())
    spec: Spec = prop("what to deploy", required=True)
    digest: str  # sha256 of the resolved profile, as recorded in the lock file
    resolved: Mapping[str, Any]  # the resolved profile data (frozen), as recorded for regeneration
    notices: tuple[str, ...] = ()  # what to tell the user of its layers (a file in an older format)
