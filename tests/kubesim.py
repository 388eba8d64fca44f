"""Argo CD's sync of a built tree, played against a real (test) API server, for real.

The order is the library's (``argoflow_gen.verify.plan``), and each resource is applied the way Argo CD
would (``argoflow_gen.verify.sync``), as Argo CD's application controller (impersonated: its RBAC counts).
What this server cannot host is handled here, and said so in the report:

- admission webhook configurations are recorded, not created: no pod serves them here, so every later
  request they match would fail;
- CRDs with a conversion webhook get ``strategy: None``, so that no conversion dials a service;
- the CRD of a custom resource is waited for (Established) before the resource is applied;
- no controller runs, so the one controller effect later waves rely on is played here: Kubeflow's profile
  controller creates the namespace of each Profile.

Applications of one wave sync concurrently in Argo CD, and a sync refused for want of a namespace or CRD
that another Application of the same wave creates is retried (Argo CD's retry): so is it here, and each
retry is reported.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from argoflow_gen.verify.client import Client, Resources
from argoflow_gen.verify.plan import Item, Plan, Sync
from argoflow_gen.verify.sync import Outcome, apply_item

WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
CONTROLLER = "system:serviceaccount:{namespace}:argocd-application-controller"


@dataclass
class Report:
    """Everything one simulated sync did."""

    outcomes: list[Outcome] = field(default_factory=list)
    webhooks: list[str] = field(default_factory=list)  # recorded, not created
    conversions: list[str] = field(default_factory=list)  # CRDs whose conversion webhook was neutralised
    retried: list[str] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)  # refused for good (after retries)
    steps: list[str] = field(default_factory=list)  # the README's runbook steps run before the syncs

    @property
    def applied(self) -> int:
        """Distinct objects accepted (a retried sync applies some twice)."""
        return len({(outcome.item.application, outcome.item.label()) for outcome in self.outcomes})

    def failure(self) -> str:
        lines = [f"{len(self.refused)} object(s) refused:"]
        for outcome in self.refused:
            item = outcome.item
            lines.append(f"  wave {item.wave}, Application {item.application}: {item.label()}: "
                         f"{outcome.reason or outcome.status}: {outcome.message}")
        return "\n".join(lines)


def _retryable(outcome: Outcome) -> bool:
    return outcome.status == 404 or "namespaces \"" in outcome.message


class ArgoCD:
    """Syncs plans against one server, as Argo CD's application controller in ``namespace``."""

    def __init__(self, admin: Client, controller: Client | None = None,
                 probe: Callable[[Item, str], None] | None = None) -> None:
        self.admin = admin
        self.client = controller or admin
        self.probe = probe  # called with each resource and its destination just before it is applied
        self.resources: Resources = admin.resources()
        self._pending: dict[tuple[str, str], str] = {}  # (group, kind) -> CRD name not yet seen Established

    def sync_plan(self, plan: Plan, report: Report | None = None) -> Report:
        report = report or Report()
        for _key, group in itertools.groupby(plan.syncs, key=lambda sync: (sync.stage, sync.wave)):
            self._sync_wave(list(group), report)
        return report

    def _sync_wave(self, syncs: list[Sync], report: Report) -> None:
        pending = syncs
        failures: dict[str, list[Outcome]] = {}
        for attempt in range(3):
            failures = {}
            for sync in pending:
                outcomes = self.sync(sync, report)
                report.outcomes.extend(outcome for outcome in outcomes if not outcome.refused)
                refused = [outcome for outcome in outcomes if outcome.refused]
                if refused:
                    failures[sync.application] = refused
            retry = [sync for sync in pending if sync.application in failures
                     and all(_retryable(outcome) for outcome in failures[sync.application])]
            if not retry or len(syncs) == 1 or attempt == 2:
                break
            report.retried.extend(f"{sync.application} (wave {sync.wave})" for sync in retry)
            pending = retry
        for refused in failures.values():
            report.refused.extend(refused)

    def sync(self, sync: Sync, report: Report) -> list[Outcome]:
        outcomes = []
        if "CreateNamespace=true" in sync.options and sync.namespace:  # Argo CD creates it before the sync
            created = self.client.request("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": sync.namespace}})
            assert created.ok or created.status == 409, f"{sync.application}: CreateNamespace: {created.message}"
        for item in sync.items:
            if item.kind in WEBHOOK_KINDS:
                report.webhooks.append(item.label())
                continue
            if item.kind == "CustomResourceDefinition":
                item = self._without_conversion_webhook(item, report)
            self._wait_for_crd(str(item.obj.get("apiVersion", "")), item.kind)
            if self.probe is not None:
                self.probe(item, sync.namespace)
            outcome = apply_item(self.client, self.resources, item, sync.namespace, dry_run=False)
            outcomes.append(outcome)
            if item.kind == "CustomResourceDefinition" and not outcome.refused:
                self._crd_applied(item.obj)
            if item.kind == "Profile" and str(item.obj.get("apiVersion", "")).startswith("kubeflow.org/") \
                    and not outcome.refused:
                self._profile_namespace(item.name)
        return outcomes

    def _profile_namespace(self, name: str) -> None:
        response = self.admin.request("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "annotations": {"owner": "created-by-the-profile-controller"}}})
        if not response.ok and response.status != 409:
            raise AssertionError(f"creating the namespace of Profile {name}: {response.message}")

    def _without_conversion_webhook(self, item: Item, report: Report) -> Item:
        spec = item.obj.get("spec") or {}
        if (spec.get("conversion") or {}).get("strategy") != "Webhook":
            return item
        report.conversions.append(item.name)
        obj: dict[str, Any] = {**item.obj, "spec": {**spec, "conversion": {"strategy": "None"}}}
        return dataclasses.replace(item, obj=obj)

    def _crd_applied(self, crd: Mapping[str, Any]) -> None:
        self.resources.add_crd(crd)
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if kind:
            self._pending[(str(spec.get("group", "")), str(kind))] = str(crd["metadata"]["name"])

    def _wait_for_crd(self, api_version: str, kind: str) -> None:
        name = self._pending.pop((api_version.rpartition("/")[0], kind), None)
        if name is not None:
            wait_established(self.admin, [name])


def wait_established(client: Client, names: Iterable[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            crd = client.get(f"{CRDS}/{name}") or {}
            conditions = (crd.get("status") or {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"CRD {name} was not Established within {timeout} s: {conditions}")
            time.sleep(0.05)


def all_crds_established(client: Client) -> None:
    """Wait until every CRD in the cluster is Established (after a runbook step created some)."""
    listing = client.get(CRDS) or {}
    wait_established(client, [str(item["metadata"]["name"]) for item in listing.get("items") or []])
