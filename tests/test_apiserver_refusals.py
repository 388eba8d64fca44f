"""The API-server tier can fail: deliberately broken objects, synced the way the install simulation syncs a
tree, are each refused with the server's own message; and `verify`'s dry run refuses the same ones without
keeping anything."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.verify.client import Client
from argoflow_gen.verify.dryrun import dry_run
from argoflow_gen.verify.kubeconfig import load_credentials
from argoflow_gen.verify.plan import Plan, sync_of

from .kubeserver import Server, start
from .kubesim import ArgoCD

pytestmark = pytest.mark.apiserver


@pytest.fixture(scope="module")
def server(kube_binaries: tuple[Path, Path]) -> Iterator[Server]:
    running = start(*kube_binaries)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin(server: Server) -> Iterator[Client]:
    with Client(load_credentials(server.kubeconfig)) as client:
        yield client


def deployment(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}}, **spec}}


WIDGETS = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.argoflow-gen.dev"},
    "spec": {"group": "test.argoflow-gen.dev", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {
                     "size": {"type": "integer"}}}}}}}]},
}


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def plan_of(*syncs: tuple[str, int, list[dict[str, Any]]], options: tuple[str, ...] = ()) -> Plan:
    """A plan as a tree's would be: Applications in wave order."""
    return Plan(tuple(sync_of(name, wave, "default", options, objects) for name, wave, objects in syncs), ())


def refusals(report: Any) -> dict[str, str]:
    return {outcome.item.label(): outcome.message for outcome in report.refused}


def test_broken_objects_are_refused_with_the_servers_message(admin: Client) -> None:
    wrong_selector = deployment("wrong-selector", "broken")
    wrong_selector["spec"]["selector"] = {"matchLabels": {"app": "something-else"}}
    unknown_field = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "unknown-field",
                                                                           "namespace": "broken"},
                     "data": {"a": "b"}, "spec": {"replicas": 1}}
    wrong_type = {"apiVersion": "test.argoflow-gen.dev/v1", "kind": "Widget",
                  "metadata": {"name": "wrong-type", "namespace": "broken"}, "spec": {"size": "three"}}
    too_early = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "too-early", "namespace": "later"}}
    plan = plan_of(
        ("broken-objects", 10, [namespace("broken"), WIDGETS, deployment("negative-replicas", "broken", replicas=-1),
                                wrong_selector, unknown_field, wrong_type, deployment("fine", "broken")]),
        ("early", 20, [too_early]),
        ("late", 30, [namespace("later")]),
    )
    expected = {
        "Deployment broken/negative-replicas": "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "Deployment broken/wrong-selector": "`selector` does not match template `labels`",
        "ConfigMap broken/unknown-field": 'unknown field "spec"',
        "Widget broken/wrong-type": 'spec.size: Invalid value: "string": spec.size in body must be of type integer',
        "ConfigMap later/too-early": 'namespaces "later" not found',
    }
    findings, counts = dry_run(admin, plan)  # verify's walk first: it keeps nothing
    judged = {finding.object: finding.message for finding in findings if finding.severity == "problem"}
    assert set(judged) == set(expected) - {"Widget broken/wrong-type"}  # its CRD exists only after a real sync
    for label, message in judged.items():
        assert expected[label] in message or "created only by wave 30" in message, (label, message)
    assert counts.refused == 4
    assert admin.get("/api/v1/namespaces/broken") is None

    report = ArgoCD(admin).sync_plan(plan)
    refused = refusals(report)
    assert set(refused) == set(expected), refused
    for label, message in expected.items():
        assert message in refused[label], (label, refused[label])
    wave = {outcome.item.label(): outcome.item.wave for outcome in report.refused}
    assert wave["ConfigMap later/too-early"] == 20
    assert admin.get("/apis/apps/v1/namespaces/broken/deployments/fine") is not None
    assert "Namespace later" in {outcome.item.label() for outcome in report.outcomes if not outcome.refused}


def _immutable(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before = deployment(name, "upgrades")
    after = copy.deepcopy(before)
    for labels in (after["spec"]["selector"]["matchLabels"], after["spec"]["template"]["metadata"]["labels"]):
        labels["tier"] = "new"
    return before, after


def test_an_immutable_change_is_refused_unless_the_object_may_be_recreated(admin: Client) -> None:
    plain_before, plain_after = _immutable("plain")
    forced_before, forced_after = _immutable("forced")
    forced_before["metadata"]["annotations"] = {"argocd.argoproj.io/sync-options": "Force=true,Replace=true"}
    forced_after["metadata"]["annotations"] = dict(forced_before["metadata"]["annotations"])
    first = ArgoCD(admin).sync_plan(plan_of(("upgrades", 0, [namespace("upgrades"), plain_before, forced_before])))
    assert not first.refused, first.failure()
    second = ArgoCD(admin).sync_plan(plan_of(("upgrades", 0, [plain_after, forced_after])))
    assert set(refusals(second)) == {"Deployment upgrades/plain"}, refusals(second)
    assert "field is immutable" in refusals(second)["Deployment upgrades/plain"]
    actions = {outcome.item.label(): outcome.action for outcome in second.outcomes}
    assert actions["Deployment upgrades/forced"] == "recreated"
    live = admin.get("/apis/apps/v1/namespaces/upgrades/deployments/forced")
    assert live["spec"]["selector"]["matchLabels"] == {"app": "forced", "tier": "new"}


def _big_crd() -> dict[str, Any]:
    crd: dict[str, Any] = copy.deepcopy(WIDGETS)
    crd["metadata"]["name"] = "gadgets.test.argoflow-gen.dev"
    crd["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"}
    properties: Mapping[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    properties["spec"]["description"] = "x" * 300_000
    return crd


def test_a_crd_over_the_annotation_limit_needs_server_side_apply(admin: Client) -> None:
    client_side = ArgoCD(admin).sync_plan(plan_of(("big", 0, [_big_crd()])))
    (message,) = refusals(client_side).values()
    assert "metadata.annotations: Too long: may not be more than 262144 bytes" in message
    server_side = ArgoCD(admin).sync_plan(plan_of(("big", 0, [_big_crd()]), options=("ServerSideApply=true",)))
    assert not server_side.refused, server_side.failure()
