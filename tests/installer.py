"""A fork installed on a test API server the way its README says, then synced the way Argo CD would.

1. Preconditions the README states but cannot run: a tree holding sealed secrets needs a sealed-secrets
   controller already running (its chart, at the version the catalog pins, is applied first).
2. The README's own runbook steps, parsed from the rendered README and run as written, in the README's order
   (``STEPS``: Argo CD's install, the sealed-secrets Application and the private repository's credentials
   where the tree has them, the Secrets' files and the Secrets, the app-of-apps); the ``wait-*`` steps wait for
   controllers a test server does not run, and are left out. A failing command fails the install.
3. Every Application's sync, in wave order, as Argo CD's application controller (``kubesim``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from argoflow_gen.catalog import release
from argoflow_gen.verify.client import Client
from argoflow_gen.verify.kubeconfig import load_credentials
from argoflow_gen.verify.plan import Plan, sync_of

from . import runbook
from .kubeserver import Server
from .kubesim import CONTROLLER, ArgoCD, Report, all_crds_established
from .tier import helm_template, write_fork

#: The README's install steps this harness runs, in the README's order; the wait-* steps wait for controllers,
#: which a test server does not run.
STEPS = ("install-argocd", "configure-argocd", "install-sealed-secrets", "install-repo-credentials", "secret-files",
         "pre-install", "deploy")


def clients(server: Server, plan: Plan) -> tuple[Client, Client]:
    """The admin, and Argo CD's application controller (impersonated, in the app-of-apps' namespace)."""
    credentials = load_credentials(server.kubeconfig)
    controller = CONTROLLER.format(namespace=plan.syncs[0].namespace)
    return Client(credentials), Client(credentials, headers={"Impersonate-User": controller})


def sealed_secrets_controller(admin: Client, version: str, folder: Path, report: Report) -> None:
    spec = release(version).components["sealed-secrets"]
    assert spec.helm is not None
    source = {"repoURL": spec.helm.repo_url, "chart": spec.helm.chart, "targetRevision": spec.helm.target_revision,
              "helm": {"valuesObject": dict(spec.helm.values)}}
    manifests = helm_template(source, "sealed-secrets", spec.namespace, folder)
    ArgoCD(admin).sync(sync_of("sealed-secrets-controller", 0, spec.namespace, ["ServerSideApply=true"], manifests),
                       report)


def run_runbook(tree: Mapping[str, str], fork: Path, server: Server, gitconfig: Path, admin: Client) -> list[str]:
    """Run the README's install steps as written; returns the steps run, in order."""
    blocks = runbook.blocks(tree["README.md"])
    names = {block.step for block in blocks}
    assert {"install-argocd", "deploy"} <= names, f"the README has no runnable install steps: {sorted(names)}"
    done = []
    for step in STEPS:
        for block in (block for block in blocks if block.step == step):
            result = runbook.run(block, fork, server.kubeconfig, gitconfig)
            assert result.returncode == 0, runbook.describe(block, result)
            done.append(step)
        all_crds_established(admin)
    return done


def install(tree: Mapping[str, str], plan: Plan, server: Server, workdir: Path, gitconfig: Path,
            version: str) -> Report:
    """Install a rendered fork on ``server``; the report lists every refusal (the caller asserts)."""
    fork = write_fork(tree, workdir / "fork")
    admin, controller = clients(server, plan)
    with admin, controller:
        report = Report()
        if any("kind: SealedSecret" in text for text in tree.values()):
            sealed_secrets_controller(admin, version, workdir, report)
        report.steps = run_runbook(tree, fork, server, gitconfig, admin)
        return ArgoCD(admin, controller).sync_plan(plan, report)
