"""Install simulation on a real kube-apiserver: every preset at both releases and every example.

Each fork is installed the way its README says (the runbook steps parsed from the rendered README, run as
written), then every Application is synced in wave order the way Argo CD would, as Argo CD's application
controller. Every object must be accepted; a refusal names the object, its wave and the server's message.
Admission webhook configurations are recorded, not created (no pod serves them on this server); CRD
conversion webhooks are switched off; the profile controller's namespaces are created for it (see kubesim).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Kustomize
from .installer import install
from .kubesim import WEBHOOK_KINDS
from .tier import Scenario, offline_git, rendered_and_built, scenarios, sync_plan

pytestmark = pytest.mark.apiserver

SCENARIOS = scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.label for scenario in SCENARIOS])
def test_install_applies_every_object_in_wave_order(scenario: Scenario, kube_server: Any, tier_cache: Path,
                                                     kustomize: Kustomize, sealing_keys: tuple[Any, Path],
                                                     tmp_path: Path) -> None:
    tree, built = rendered_and_built(scenario.label, sealing_keys[1], kustomize, tmp_path)
    plan = sync_plan(tree, built, tmp_path)
    with offline_git(tier_cache) as gitconfig:
        report = install(tree, plan, kube_server, tmp_path, gitconfig, scenario.version)
    assert not report.refused, report.failure()
    assert report.steps[0] == "install-argocd" and report.steps[-1] == "deploy"
    expected = {(item.application, item.label()) for item in plan.items if item.kind not in WEBHOOK_KINDS}
    assert {(outcome.item.application, outcome.item.label()) for outcome in report.outcomes} >= expected
    assert report.retried == [], f"syncs that needed Argo CD's retry: {report.retried}"
    print(f"{scenario.label}: {report.applied} objects in {len(plan.syncs)} syncs, "
          f"{len(report.webhooks)} webhook configurations recorded, runbook {report.steps}")
