"""Grafana, Kiali and MLflow behind the Kubeflow gateway's login, and MLflow on Kubeflow Pipelines' artifact store:
checked in the built output (each chart with `helm template` offline and the Application's values, each add-on's
folder and Kubeflow's own with the offline kustomize)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS, addons, release
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.tree import Tree

from .conftest import FORK, Kustomize, load_yaml_documents
from .tier import helm_template

GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
HASH_SUFFIX = re.compile(r"-[2456789bcdfghkmt]{10}$")
#: the add-ons behind the gateway: (add-on, the path, the pods' Deployment)
ROUTED = [("monitoring", "/grafana/", "grafana"), ("kiali", "/kiali/", "kiali"), ("mlflow", "/mlflow/", "mlflow")]
S3 = ("spec.pipelines.artifactStore={s3: {endpoint: 'minio.storage.example.com:9000', bucket: ml-artifacts, "
      "region: eu-central-1, insecure: true, credentials: {existingSecret: team-s3, accessKeyKey: id, "
      "secretKeyKey: key}}}")


def _tree(preset: str, *overrides: str) -> Tree:
    return render(load_profile(preset, overrides=[FORK, *overrides]))


def _written(tree: Tree, folder: Path) -> Path:
    tree.write(folder)
    return folder


def _chart(tree: Tree, addon: str, folder: Path) -> list[dict[str, Any]]:
    (app,) = load_yaml_documents(tree.files[f"argocd-applications/{addon}.yaml"])
    return helm_template(app["spec"]["source"], addon, app["spec"]["destination"]["namespace"], folder)


def _find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and HASH_SUFFIX.sub("", d["metadata"]["name"]) == name]
    assert len(found) == 1, f"{len(found)} {kind} {name}"
    return found[0]


def _env(deployment: dict[str, Any], container: str) -> dict[str, Any]:
    (found,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == container]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in found.get("env", [])}


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.kustomize
@pytest.mark.parametrize(("addon", "prefix", "deployment"), ROUTED, ids=[item[0] for item in ROUTED])
def test_the_addon_is_routed_on_the_kubeflow_gateway_and_only_the_gateway_and_named_callers_reach_it(
        addon: str, prefix: str, deployment: str, tmp_path: Path, kustomize: Kustomize) -> None:
    tree = _tree("preset:full", f"spec.addons={{{addon}: {{}}}}")
    (extras,) = load_yaml_documents(tree.files[f"argocd-applications/{addon}-extras.yaml"])
    assert extras["spec"]["source"]["path"] == f"addons/{addon}"
    chart = _chart(tree, addon, tmp_path)
    built = kustomize.build_objects(_written(tree, tmp_path / "fork") / "addons" / addon)
    namespace = addons()[addon].namespace
    (route,) = [item for item in built if item["kind"] == "VirtualService"]
    assert route["metadata"]["namespace"] == namespace
    assert route["spec"]["gateways"] == ["kubeflow/kubeflow-gateway"]
    (http,) = route["spec"]["http"]
    assert http["match"] == [{"uri": {"prefix": prefix}}]
    (destination,) = http["route"]
    host, port = destination["destination"]["host"], destination["destination"]["port"]["number"]
    name, service_namespace = host.removesuffix(".svc.cluster.local").split(".")
    service = _find(chart, "Service", name)  # the Service the route names is in the chart's build, with the port
    assert service_namespace == namespace and port in [item["port"] for item in service["spec"]["ports"]]
    pods = _find(chart, "Deployment", deployment)["spec"]["template"]["metadata"]["labels"]
    assert _matches(service["spec"]["selector"], pods)
    assert str(pods["sidecar.istio.io/inject"]) == "true"  # in the mesh, where the policy holds
    policy = _find(built, "AuthorizationPolicy", name)
    assert policy["metadata"]["namespace"] == namespace
    assert policy["spec"]["action"] == "ALLOW" and _matches(policy["spec"]["selector"]["matchLabels"], pods)
    assert policy["spec"]["rules"][0] == {"from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}]}


@pytest.mark.kustomize
def test_every_route_is_behind_the_gateways_oauth2_proxy_login_with_its_dex_client(
        tmp_path: Path, kustomize: Kustomize) -> None:
    """The gateway sends every request without a token to oauth2-proxy (Dex's client) but for Dex's and its own
    paths, and refuses any without a verified token: none of the add-ons' paths is left out."""
    tree = _tree("preset:platform", "spec.addons.kiali={}")
    root = _written(tree, tmp_path / "fork")
    proxy = kustomize.build_objects(root / "oauth2-proxy")
    policies = {item["metadata"]["name"]: item["spec"] for item in proxy if item["kind"] == "AuthorizationPolicy"}
    login = policies["istio-ingressgateway-oauth2-proxy"]
    assert (login["action"], login["provider"], login["selector"]) == (
        "CUSTOM", {"name": "oauth2-proxy"}, {"matchLabels": {"app": "istio-ingressgateway"}})
    deny = policies["istio-ingressgateway-require-jwt"]
    assert deny["action"] == "DENY"
    for spec in (login, deny):
        (rule,) = spec["rules"]
        (operation,) = rule["to"]
        excluded = [path.rstrip("*") for path in operation["operation"]["notPaths"]]
        assert excluded and not [path for _addon, prefix, _ in ROUTED for path in excluded
                                 if prefix.startswith(path) or path.startswith(prefix)]
    (container,) = _find(proxy, "Deployment", "oauth2-proxy")["spec"]["template"]["spec"]["containers"]
    (reference,) = [item["valueFrom"]["secretKeyRef"] for item in container["env"]
                    if item["name"] == "OAUTH2_PROXY_CLIENT_ID"]
    client = _literal(proxy, reference["key"])  # the Secret a Job makes in the cluster holds the client id
    dex = kustomize.build_objects(root / "dex")
    (config,) = load_yaml_documents(_find(dex, "ConfigMap", "dex")["data"]["config.yaml"])
    (static,) = [item for item in config["staticClients"]
                 if item.get("id", item.get("idEnv") and _literal(dex, item["idEnv"])) == client]
    assert static["redirectURIs"] == ["/oauth2/callback"]  # oauth2-proxy's own path, left out of the login above


def _literal(built: list[dict[str, Any]], key: str) -> str:
    """The value of ``key`` in the Secret a generating Job of the build makes (a public id, never a secret)."""
    found = re.findall(rf"--from-literal={re.escape(key)}=([A-Za-z0-9-]+)[ \n]", json.dumps(built))
    assert len(set(found)) == 1, found
    return str(found[0])


def _mlflow_store(chart: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    deployment = _find(chart, "Deployment", "mlflow")
    (server,) = deployment["spec"]["template"]["spec"]["containers"]
    (destination,) = [arg for arg in server["args"] if arg.startswith("--artifacts-destination=")]
    assert "--serve-artifacts" in server["args"]  # notebooks need only the tracking URI, not the store's keys
    return destination.partition("=")[2], _env(deployment, "mlflow")


def _kfp_store(kustomize: Kustomize, root: Path) -> dict[str, Any]:
    pipelines = kustomize.build_objects(root / "pipelines")
    (repository,) = load_yaml_documents(_find(pipelines, "ConfigMap", "workflow-controller-configmap")["data"][
        "artifactRepository"])
    return dict(repository["s3"])


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_mlflow_keeps_its_artifacts_in_the_in_cluster_store_kfp_uses_which_admits_it(
        version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    tree = _tree("preset:platform", f"spec.kubeflow.version={version}")
    root = _written(tree, tmp_path / "fork")
    kfp = _kfp_store(kustomize, root)
    chart = _chart(tree, "mlflow", tmp_path)
    destination, env = _mlflow_store(chart)
    assert destination == f"s3://{kfp['bucket']}/mlflow"
    assert env["MLFLOW_S3_ENDPOINT_URL"] == f"{'http' if kfp['insecure'] else 'https'}://{kfp['endpoint']}"
    assert env["AWS_ACCESS_KEY_ID"] == {"secretKeyRef": kfp["accessKeySecret"]}
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": kfp["secretKeySecret"]}
    pipelines = kustomize.build_objects(root / "pipelines")
    (store,) = [item for item in pipelines if item["kind"] == "Deployment"
                and item["metadata"]["name"] == release(version).object_store["kind"]]
    built = kustomize.build_objects(root / "addons" / "mlflow")
    admits = _find(built, "AuthorizationPolicy", "mlflow-artifact-store")
    assert admits["metadata"]["namespace"] == store["metadata"]["namespace"] == "kubeflow"
    assert _matches(admits["spec"]["selector"]["matchLabels"], store["spec"]["template"]["metadata"]["labels"])
    assert _find(chart, "ServiceAccount", "mlflow")["metadata"].get("namespace", "kubeflow") == "kubeflow"
    (app,) = load_yaml_documents(tree.files["argocd-applications/mlflow.yaml"])
    assert app["spec"]["destination"]["namespace"] == "kubeflow"  # where the chart's objects without one go
    assert admits["spec"]["rules"] == [{"from": [{"source": {"principals": ["cluster.local/ns/kubeflow/sa/mlflow"]}}]}]


@pytest.mark.kustomize
def test_mlflow_follows_kfp_to_an_external_s3_store(tmp_path: Path, kustomize: Kustomize) -> None:
    tree = _tree("preset:platform", S3)
    root = _written(tree, tmp_path / "fork")
    kfp = _kfp_store(kustomize, root)
    assert kfp["endpoint"] == "minio.storage.example.com:9000"
    destination, env = _mlflow_store(_chart(tree, "mlflow", tmp_path))
    assert destination == "s3://ml-artifacts/mlflow" == f"s3://{kfp['bucket']}/mlflow"
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://minio.storage.example.com:9000"
    assert env["AWS_DEFAULT_REGION"] == kfp["region"] == "eu-central-1"
    assert env["AWS_ACCESS_KEY_ID"] == {"secretKeyRef": kfp["accessKeySecret"]} == {
        "secretKeyRef": {"name": "team-s3", "key": "id"}}
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": kfp["secretKeySecret"]}
    assert "addons/mlflow/artifact-store.yaml" not in tree.files  # no in-cluster store to admit it


@pytest.mark.kustomize
def test_notebooks_reach_mlflow_through_a_poddefault_in_each_profile_namespace(
        tmp_path: Path, kustomize: Kustomize) -> None:
    tree = _tree("preset:platform", "spec.tenancy.profiles=[{name: team-a, owner: admin@example.com}, "
                                    "{name: team-b, owner: admin@example.com}]")
    built = kustomize.build_objects(_written(tree, tmp_path / "fork") / "addons" / "mlflow")
    defaults = {item["metadata"]["namespace"]: item["spec"] for item in built if item["kind"] == "PodDefault"}
    assert sorted(defaults) == ["team-a", "team-b"]
    (variable,) = defaults["team-a"]["env"]
    assert variable["name"] == "MLFLOW_TRACKING_URI"
    chart = _chart(tree, "mlflow", tmp_path)
    (port,) = _find(chart, "Service", "mlflow")["spec"]["ports"]
    assert port["port"] == 80 and variable["value"] == "http://mlflow.kubeflow.svc.cluster.local/mlflow"
    (server,) = _find(chart, "Deployment", "mlflow")["spec"]["template"]["spec"]["containers"]
    assert "--static-prefix=/mlflow" in server["args"]  # the server answers under the path the URI names
    policy = _find(built, "AuthorizationPolicy", "mlflow")["spec"]
    assert {"from": [{"source": {"principals": ["*/sa/default-editor"]}}]} in policy["rules"]  # notebooks' account
    network = _find(built, "NetworkPolicy", "mlflow")["spec"]
    assert {"namespaceSelector": {"matchLabels": {"app.kubernetes.io/part-of": "kubeflow-profile"}}} in \
        network["ingress"][0]["from"]
