"""The resource level on hand-made manifests: identity, merge keys, reorders, hash suffixes, secrets."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from argoflow_gen.diff import (
    Diff,
    FieldChange,
    Masked,
    ResourceKey,
    diff_resources,
    format_json,
    format_markdown,
    format_text,
)
from argoflow_gen.diff.fields import diff_values, merge_key


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def deployment(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "kubeflow", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {
                "containers": [
                    {"name": "app", "image": "ghcr.io/example/app:v1",
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)"}, {"name": "C", "value": "3"}],
                     "ports": [{"containerPort": 8080}, {"containerPort": 9090}],
                     "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]},
                    {"name": "proxy", "image": "ghcr.io/example/proxy:v1"},
                ],
                "volumes": [{"name": "config", "configMap": {"name": "web-config-5t7fk9m2bd"}}],
            }},
        },
    }
    document.update(changes)
    return document


def config_map(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "kubeflow"},
            "data": {"settings.yaml": value}}


def test_identical_builds_have_no_differences() -> None:
    manifests = [deployment(), config_map("web-config-5t7fk9m2bd", "a: 1\n")]
    diff = diff_resources({"web": manifests}, {"web": copy.deepcopy(manifests)})
    assert not diff.has_differences
    assert diff.built


def test_an_application_on_one_side_only_adds_or_removes_all_of_it() -> None:
    diff = diff_resources({"gone": [config_map("a", "x")]}, {"new": [deployment(), config_map("b", "y")]})
    listed = [(app.name, [(str(change.key), change.status) for change in app.resources]) for app in diff.applications]
    assert listed == [
        ("gone", [("ConfigMap kubeflow/a", "removed")]),
        ("new", [("ConfigMap kubeflow/b", "added"), ("Deployment.apps kubeflow/web", "added")]),
    ]
    assert diff.resource_counts().added == 2 and diff.resource_counts().removed == 1


def test_list_items_match_by_merge_key_and_reorders_are_shown(snapshot: Any) -> None:
    new = deployment()
    containers = new["spec"]["template"]["spec"]["containers"]
    containers.reverse()  # the containers swapped places
    app = containers[1]
    app["image"] = "ghcr.io/example/app:v2"
    app["env"] = [app["env"][1], app["env"][0], app["env"][2], {"name": "D", "value": "4"}]  # B before A
    app["ports"] = [{"containerPort": 9090}, {"containerPort": 8080, "protocol": "TCP"}]
    new["metadata"]["labels"]["tier"] = "frontend"
    diff = diff_resources({"web": [deployment()]}, {"web": [new]})
    (change,) = diff.applications[0].resources
    assert [(field.path, field.status) for field in change.fields] == [
        ("metadata.labels.tier", "added"),
        ("spec.template.spec.containers", "reordered"),
        ("spec.template.spec.containers[name=app].env", "reordered"),
        ("spec.template.spec.containers[name=app].env[name=D]", "added"),
        ("spec.template.spec.containers[name=app].image", "changed"),
        ("spec.template.spec.containers[name=app].ports", "reordered"),
        ("spec.template.spec.containers[name=app].ports[containerPort=8080].protocol", "added"),
    ]
    reorder = change.fields[2]
    assert (reorder.old, reorder.new) == (["A", "B", "C"], ["B", "A", "C"])
    assert format_text(diff) == snapshot(name="text")
    assert format_markdown(diff) == snapshot(name="markdown")
    assert format_json(diff) == snapshot(name="json")


def test_merge_keys() -> None:
    assert merge_key([{"name": "a", "mountPath": "/x"}, {"name": "a", "mountPath": "/y"}],
                     [{"name": "a", "mountPath": "/x"}]) == "mountPath"  # names repeat: the next key
    assert merge_key([{"containerPort": 80}], [{"containerPort": 80, "name": "http"}]) == "containerPort"
    assert merge_key([{"ip": "10.0.0.1", "hostnames": ["a"]}], []) == "ip"
    assert merge_key([{"x": 1}], [{"x": 2}]) is None
    assert merge_key(["a", "b"], ["b"]) is None


def test_lists_without_a_merge_key() -> None:
    assert diff_values({"args": ["--a", "--b"]}, {"args": ["--b", "--a", "--c"]}) == [
        FieldChange("args", "reordered", old=["--a", "--b"], new=["--b", "--a"]),
        FieldChange("args", "added", new="--c"),
    ]
    assert diff_values([[1], [2], [2]], [[2], [1], [2]]) == [FieldChange("", "reordered", old=[0, 1, 2], new=[1, 0, 2])]
    assert diff_values([{"x": 1}, {"x": 2}], [{"x": 1}, {"x": 3}, {"x": 4}]) == [
        FieldChange("[1]", "removed", old={"x": 2}),
        FieldChange("[1]", "added", new={"x": 3}),
        FieldChange("[2]", "added", new={"x": 4}),
    ]


def test_true_is_not_1_and_1_is_not_1_0() -> None:  # Python's == says they are
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "x": {"a": True, "b": 1}}
    new = {**old, "x": {"a": 1, "b": 1.0}}
    (change,) = diff_resources({"a": [old]}, {"a": [new]}).applications[0].resources
    assert change.fields == (FieldChange("x.a", "changed", True, 1), FieldChange("x.b", "changed", 1, 1.0))


def test_an_api_version_change_is_a_field_of_the_same_resource() -> None:
    old = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "web", "namespace": "kubeflow"}, "spec": {"maxReplicas": 3}}
    new = {**old, "apiVersion": "autoscaling/v2"}
    diff = diff_resources({"web": [old]}, {"web": [new]})
    (change,) = diff.applications[0].resources
    assert change.key == ResourceKey("autoscaling", "HorizontalPodAutoscaler", "kubeflow", "web")
    assert change.fields == (FieldChange("apiVersion", "changed", "autoscaling/v2beta2", "autoscaling/v2"),)


def test_kustomize_hash_suffixes_are_normalised_with_their_references(snapshot: Any) -> None:
    old = [config_map("web-config-5t7fk9m2bd", "a: 1\n"), deployment()]
    new_deployment = deployment()
    new_deployment["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] = "web-config-9fh2846t8c"
    new = [config_map("web-config-9fh2846t8c", "a: 2\n"), new_deployment]
    diff = diff_resources({"web": old}, {"web": new})
    (change,) = diff.applications[0].resources  # the Deployment only changed its reference: no change
    assert str(change.key) == "ConfigMap kubeflow/web-config-<hash>"
    assert change.notes == ("name hash changed: web-config-5t7fk9m2bd -> web-config-9fh2846t8c",)
    assert [field.path for field in change.fields] == ['data["settings.yaml"]']
    assert format_text(diff) == snapshot


def test_a_plain_name_is_not_taken_for_a_hash() -> None:
    old = [config_map("istio-ca-root-cert", "x")]  # no 10-character suffix of kustomize's alphabet
    diff = diff_resources({"a": old}, {"a": [config_map("istio-ca-root-certificate", "x")]})
    assert [change.status for change in diff.applications[0].resources] == ["removed", "added"]


def test_default_namespaces_come_from_the_application_destination() -> None:
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}}
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "profiles.kubeflow.org"},
           "spec": {"scope": "Cluster", "names": {"kind": "Profile"}}}
    profile = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "team"}}
    diff = diff_resources({}, {"a": [role, cluster_role, crd, profile]}, namespaces={"a": "kubeflow"})
    assert sorted(str(change.key) for change in diff.applications[0].resources) == [
        "ClusterRole.rbac.authorization.k8s.io r",
        "CustomResourceDefinition.apiextensions.k8s.io profiles.kubeflow.org",
        "Profile.kubeflow.org team",
        "Role.rbac.authorization.k8s.io kubeflow/r",
    ]
    moved = diff_resources({"a": [role]}, {"a": [role]}, namespaces={"a": "team"}, old_namespaces={"a": "kubeflow"})
    assert [(str(change.key), change.status) for change in moved.applications[0].resources] == [
        ("Role.rbac.authorization.k8s.io kubeflow/r", "removed"), ("Role.rbac.authorization.k8s.io team/r", "added")]


# --------------------------------------------------------------------------------------------- secrets

SECRET_VALUES = ("hunter2", "correct-horse-battery-staple", "old-token", "new-api-key", "bootstrap-value")


def secret(data: dict[str, str], string_data: dict[str, str] | None = None, name: str = "db") -> dict[str, Any]:
    document: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                "metadata": {"name": name, "namespace": "kubeflow"},
                                "data": {key: b64(value) for key, value in data.items()}}
    if string_data:
        document["stringData"] = string_data
    return document


def test_secret_values_are_masked_in_every_format(snapshot: Any) -> None:
    old = [secret({"password": "hunter2", "user": "admin"}, {"token": "old-token"})]
    new = [secret({"password": "correct-horse-battery-staple", "user": "admin"}, {"apiKey": "new-api-key"}),
           secret({"bootstrap": "bootstrap-value"}, name="bootstrap")]
    new[0]["metadata"]["labels"] = {"rotated": "yes"}
    diff = diff_resources({"db": old}, {"db": new})
    changes = {str(change.key): change for change in diff.applications[0].resources}
    assert changes["Secret kubeflow/bootstrap"].status == "added"
    assert changes["Secret kubeflow/db"].fields == (
        FieldChange("metadata.labels", "added", new={"rotated": "yes"}),
        FieldChange("data.apiKey", "added", new=Masked(11)),
        FieldChange("data.password", "changed", Masked(7), Masked(28)),
        FieldChange("data.token", "removed", old=Masked(9)),
    )
    outputs = {"text": format_text(diff), "markdown": format_markdown(diff), "json": format_json(diff)}
    for text in outputs.values():
        for value in SECRET_VALUES:
            assert value not in text and b64(value) not in text
    assert "*** (28 bytes)" in outputs["text"]
    assert outputs == snapshot


def test_sealed_secrets_are_reported_as_re_sealed() -> None:
    def sealed(ciphertexts: dict[str, str]) -> dict[str, Any]:
        return {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                "metadata": {"name": "creds", "namespace": "argocd"},
                "spec": {"encryptedData": ciphertexts, "template": {"metadata": {"name": "creds"}}}}

    old, new = sealed({"password": "AgB" + "x" * 700}), sealed({"password": "AgC" + "y" * 704})
    diff = diff_resources({"argocd": [old]}, {"argocd": [new]})
    (change,) = diff.applications[0].resources
    assert change.resealed
    assert change.fields == (FieldChange("spec.encryptedData.password", "re-sealed", Masked(703), Masked(707)),)
    text = format_text(diff)
    assert "! re-sealed: the ciphertext changed (703 bytes -> 707 bytes)" in text
    assert "x" * 20 not in text and "y" * 20 not in text
    entries = json.loads(format_json(diff))["entries"]
    assert [entry["change"] for entry in entries] == ["re-sealed", "re-sealed"]
    added_key = sealed({"password": "AgB" + "x" * 700, "user": "AgD" + "z" * 300})
    (change,) = diff_resources({"argocd": [old]}, {"argocd": [added_key]}).applications[0].resources
    assert not change.resealed
    assert change.fields == (FieldChange("spec.encryptedData.user", "added", new=Masked(303)),)


# ----------------------------------------------------------------------------------------- properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", "c\nd"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["name", "x", "y"]), children,
                                                                       max_size=3),
    max_leaves=12,
)


def _strict(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@given(JSON, JSON)
def test_a_change_is_reported_exactly_when_values_differ(old: Any, new: Any) -> None:
    assert (diff_values(old, new) == []) == (_strict(old) == _strict(new))
    assert diff_values(old, old) == []


@given(st.lists(st.fixed_dictionaries({"name": st.sampled_from("abcdef"), "value": st.integers(0, 2)}),
                max_size=6, unique_by=lambda item: item["name"]))
def test_a_permutation_of_keyed_items_is_only_a_reorder(items: list[dict[str, Any]]) -> None:
    shuffled = list(reversed(items))
    changes = diff_values({"env": items}, {"env": shuffled})
    assert all(change.status == "reordered" for change in changes)
    assert bool(changes) == (items != shuffled)


@pytest.mark.parametrize("diff", [Diff(), Diff(built=True)])
def test_empty_diffs_say_so(diff: Diff) -> None:
    assert "No differences." in format_text(diff)
    assert "**No differences.**" in format_markdown(diff)
    assert json.loads(format_json(diff))["differences"] is False
