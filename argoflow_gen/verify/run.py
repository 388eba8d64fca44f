"""``verify``: render the profiles, build every Application, and judge the result against a real cluster,
read-only: the preflight facts, then a server-side dry run of every sync in wave order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..catalog import release
from ..diff.build import DEFAULT_KUSTOMIZE, build_tree
from ..loader import load_profile
from ..rendering import render
from . import preflight
from .client import Client
from .dryrun import dry_run
from .kubeconfig import load_credentials
from .plan import plan
from .report import Finding, Report, ordered


def verify(profiles: Iterable[str | Path], overrides: Iterable[str] = (), *, kubeconfig: str | Path | None = None,
           context: str | None = None, kustomize: str = DEFAULT_KUSTOMIZE, jobs: int | None = None,
           cache_dir: Path | None = None) -> Report:
    """Check that the fork the profiles render would install on the cluster of ``context``; changes nothing
    (``cache_dir`` keeps the builds across runs, shared with ``diff --build``).

    Raises ``VerifyError`` (exit code 2) when the cluster cannot be reached or a build fails.
    """
    profile = load_profile(*profiles, overrides=list(overrides))
    tree = dict(render(profile))
    credentials = load_credentials(kubeconfig, context)
    with Client(credentials, read_only=True) as client:
        version = client.version()  # reach the cluster before the minutes of building
        built = build_tree(tree, kustomize=kustomize, jobs=jobs, cache_dir=cache_dir)
        syncs = plan(tree, built)
        findings: list[Finding] = []
        findings += preflight.kubernetes_version(version, release(profile.spec.kubeflow.version).kubernetes,
                                                 profile.spec.kubeflow.version)
        findings += preflight.storage_classes(client)
        applications = (sync.application for sync in syncs.syncs)
        findings += preflight.conflicts(client, applications, profile.spec.argocd.namespace)
        findings += preflight.sealed_secrets(client, preflight.profile_certificates(profile))
        if profile.spec.ingress.service_type == "LoadBalancer":
            findings += preflight.load_balancers(client)
        judged, counts = dry_run(client, syncs)
        findings += judged
    findings += [Finding("not-built", "note", f"not checked: {entry.reason}", entry.application)
                 for entry in syncs.not_built]
    return Report(profile=profile.metadata.name, kubeflow=profile.spec.kubeflow.version, context=credentials.context,
                  server=credentials.server, kubernetes=str(version.get("gitVersion", "unknown")),
                  applications=len(syncs.syncs), counts=counts, findings=ordered(findings))
