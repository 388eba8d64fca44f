"""`argoflow-gen verify` against a throwaway kube-apiserver: a ready cluster is clean and nothing in it
changes; a planted problem in each preflight category is found."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from argoflow_gen.cli import cli
from argoflow_gen.verify.client import Client
from argoflow_gen.verify.kubeconfig import load_credentials

from .conftest import FORK
from .kubeserver import Server
from .tier import offline_git

pytestmark = pytest.mark.apiserver

STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"
WATCHED = ("/api/v1/namespaces", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", STORAGE_CLASSES,
           "/apis/apps/v1/deployments", "/api/v1/secrets", "/api/v1/configmaps", "/api/v1/services",
           "/api/v1/serviceaccounts", "/apis/rbac.authorization.k8s.io/v1/clusterroles")


def verify(kubeconfig: Path, cache: Path, *args: str) -> Result:
    with offline_git(cache):
        return CliRunner().invoke(cli, ["verify", *args, "--set", FORK, "--kubeconfig", str(kubeconfig), "-j", "2"],
                                  catch_exceptions=False)


@pytest.fixture
def admin(kube_server: Server) -> Iterator[Client]:
    with Client(load_credentials(kube_server.kubeconfig)) as client:
        yield client


def create(admin: Client, path: str, obj: dict[str, Any]) -> None:
    response = admin.request("POST", path, obj)
    assert response.ok, response.message


def storage_class(name: str, default: bool) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "example.com/disk",
            "metadata": {"name": name, "annotations": annotations}}


def state(admin: Client) -> dict[str, list[tuple[str, str, str]]]:
    """Every object of the watched kinds, with its resourceVersion: any write shows."""
    return {path: sorted((str(item["metadata"].get("namespace", "")), str(item["metadata"]["name"]),
                          str(item["metadata"]["resourceVersion"])) for item in admin.get(path)["items"])
            for path in WATCHED}


def test_a_ready_cluster_is_clean_and_verify_changes_nothing(kube_server: Server, admin: Client,
                                                             tier_cache: Path) -> None:
    create(admin, STORAGE_CLASSES, storage_class("standard", default=True))
    before = state(admin)
    result = verify(kube_server.kubeconfig, tier_cache, "preset:minimal", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["clean"] and report["problems"] == 0
    assert report["kubernetes"] == "v1.34.4"
    counts = report["counts"]
    assert counts["refused"] == 0
    assert counts["accepted"] > 150 and counts["substituted"] > 100 and counts["deferred"] > 20
    assert counts["objects"] == counts["accepted"] + counts["deferred"]
    notes = [finding["message"] for finding in report["findings"]]
    assert "1 object(s) not judged (1 ClusterIssuer): their CRD is created by wave 10 (cert-manager)" in notes
    assert any(note.endswith("judged in namespace default: namespace kubeflow is created by wave 0 "
                             "(kubeflow-namespace)") for note in notes), notes
    assert state(admin) == before


def _certificate_secret(certificate: bytes) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "sealed-secrets-keyabcde", "namespace": "kube-system",
                         "labels": {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}},
            "data": {"tls.crt": base64.b64encode(certificate).decode(), "tls.key": ""}}


def _workload(kind: str, name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels},
                                         "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": namespace,
                                                                 "labels": labels}, "spec": spec}


def test_a_planted_problem_in_each_category_is_found(kube_server: Server, admin: Client, tier_cache: Path,
                                                     sealing_keys: tuple[Any, Path], tmp_path: Path) -> None:
    from .runbook import _tls_pair

    create(admin, STORAGE_CLASSES, storage_class("slow", default=False))  # a class, but no default
    for name in ("legacy-cert-manager", "other-argocd", "edge"):
        create(admin, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    create(admin, "/apis/apps/v1/namespaces/legacy-cert-manager/deployments",
           _workload("Deployment", "cert-manager", "legacy-cert-manager", {"app.kubernetes.io/name": "cert-manager"}))
    create(admin, "/apis/apps/v1/namespaces/other-argocd/statefulsets",
           _workload("StatefulSet", "argocd-application-controller", "other-argocd",
                     {"app.kubernetes.io/name": "argocd-application-controller"}))
    _tls_pair(tmp_path, "controller.crt", "controller.key")  # the running controller's key: not the profile's
    create(admin, "/api/v1/namespaces/kube-system/secrets", _certificate_secret((tmp_path / "controller.crt")
                                                                               .read_bytes()))
    create(admin, "/api/v1/namespaces/edge/services",
           {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pending", "namespace": "edge"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})
    before = state(admin)

    result = verify(kube_server.kubeconfig, tier_cache, "preset:minimal",
                    "--set", "spec.kubeflow.version=1.10.2", "--set", f"spec.secrets.certificate={sealing_keys[1]}",
                    "--set", "spec.ingress.serviceType=LoadBalancer")
    assert result.exit_code == 1, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("problem")]
    by_check: dict[str, list[str]] = {}
    for line in problems:
        _severity, check, message = line.split(maxsplit=2)
        by_check.setdefault(check, []).append(message)
    assert by_check["version"] == ["Kubernetes 1.34 (v1.34.4) is newer than Kubeflow 1.10.2 supports (1.31 to 1.33) "
                                   "(kubeflow/manifests v1.10.2 README: targets Kubernetes 1.32)"]
    assert by_check["storage-class"][0].startswith("no default StorageClass")
    assert sorted(message.split(" (")[0] for message in by_check["conflict"]) == [
        "another Argo CD runs in namespace other-argocd", "cert-manager already runs here"]
    (sealed,) = by_check["sealed-secrets"]
    assert sealed.startswith("sealed-secrets.pem (sha256:") and "is not a key of the running controller (Secret " \
        "kube-system/sealed-secrets-keyabcde" in sealed
    assert by_check["load-balancer"][0].startswith("1 LoadBalancer Service(s) have no address (Service edge/pending)")
    assert "dry-run" not in by_check, by_check.get("dry-run")
    assert result.output.rstrip().endswith(f"{len(problems)} problems found")
    assert state(admin) == before


def test_an_unreachable_cluster_is_an_error(tmp_path: Path, tier_cache: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
                          "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
                          "users: [{name: u, user: {token: t}}]\n"
                          "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n", encoding="utf-8")
    result = verify(kubeconfig, tier_cache, "preset:minimal")
    assert result.exit_code == 2
    assert result.output.startswith("cannot reach the API server at https://127.0.0.1:9: ")
    assert "(check the context 'gone' and the network)" in result.output
