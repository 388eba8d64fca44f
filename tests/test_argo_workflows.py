"""Argo Workflows as a platform component: the server beside Kubeflow Pipelines' one controller, SSO through
Dex, the artifact store shared with KFP, the archive, metrics, and the fork's workflows/ folder."""

from __future__ import annotations

import base64
import functools
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from argoflow_gen.catalog import VERSIONS, release
from argoflow_gen.errors import ProfileError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.tree import Tree

from .conftest import FORK, SHARED, Kustomize, load_yaml_documents, unseal

ARGO_GIT = SHARED / "upstream" / "argo-workflows.git"
HASH_SUFFIX = re.compile(r"-[2456789bcdfghkmt]{10}$")
ARGO_ON = "spec.kubeflow.components.argo-workflows.enabled=true"
S3 = ("spec.pipelines.artifactStore={s3: {endpoint: 'minio.storage.example.com:9000', bucket: ml-artifacts, "
      "region: eu-central-1, insecure: true, credentials: {existingSecret: team-s3, accessKeyKey: id, "
      "secretKeyKey: key}}}")
#: every option at once: its own host, another path, the archive in KFP's MySQL, ServiceMonitors, external S3
EVERYTHING = (
    "spec.argoWorkflows={host: argo.example.com, path: /workflows/, clientTokens: true, archive: {enabled: true}, "
    "sso: {rbac: {readOnly: {users: [admin@example.com]}, others: read-only}}}",
    "spec.monitoring={prometheus: serviceMonitor, serviceMonitorLabels: {release: kube-prometheus-stack}}",
    S3,
)


def render_full(version: str, *overrides: str) -> Tree:
    return render(load_profile("preset:full", overrides=[FORK, f"spec.kubeflow.version={version}", *overrides]))


def written(tree: Tree, folder: Path) -> Path:
    tree.write(folder)
    return folder


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and HASH_SUFFIX.sub("", d["metadata"]["name"]) == name]
    assert len(found) == 1, f"{len(found)} {kind} {name}"
    return found[0]


def yaml_of(text: str) -> Any:
    (document,) = load_yaml_documents(text)
    return document


def env_of(deployment: dict[str, Any], container: str) -> dict[str, Any]:
    (found,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == container]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in found.get("env", [])}


def component_folders(root: Path) -> list[Path]:
    return sorted(path.parent for path in root.glob("*/kustomization.yaml")
                  if path.parent.name not in ("argocd", "argocd-applications"))


# ------------------------------------------------------------------------------------- the component


@pytest.mark.parametrize("version", VERSIONS)
def test_off_by_default_on_in_the_full_preset(version: str) -> None:
    base = render(load_profile("preset:base", overrides=[FORK, f"spec.kubeflow.version={version}"]))
    assert not [path for path in base if path.startswith(("argo-workflows/", "workflows/"))]
    assert "argocd-applications/argo-workflows.yaml" not in base
    dex_config = base["dex/kustomization.yaml"]
    assert "argo-server" not in dex_config
    full = render_full(version)
    assert "argo-workflows/kustomization.yaml" in full.files
    assert "workflows/kustomization.yaml" in full.seeds  # the user's folder: seeded, not owned
    application = yaml_of(full["argocd-applications/argo-workflows.yaml"])
    pipelines = yaml_of(full["argocd-applications/pipelines.yaml"])
    users = yaml_of(full["argocd-applications/user-namespace.yaml"])
    workflows = yaml_of(full["argocd-applications/workflows.yaml"])
    wave = lambda app: int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])  # noqa: E731
    assert wave(pipelines) < wave(application) < wave(users) < wave(workflows)
    assert workflows["spec"]["source"]["path"] == "workflows"
    assert workflows["spec"]["destination"]["namespace"] == "kubeflow-admin-example-com"  # the admin's profile


@pytest.mark.parametrize("version", VERSIONS)
def test_the_server_comes_from_argo_workflows_at_the_releases_argo_version(version: str) -> None:
    tree = render_full(version)
    tag = release(version).argo_workflows
    assert tag == {"1.11.0": "v3.7.3", "1.10.2": "v3.5.14"}[version]
    upstream = yaml_of(tree["argo-workflows/upstream/kustomization.yaml"])
    assert upstream["namespace"] == "kubeflow"
    assert upstream["resources"] == [
        f"https://github.com/argoproj/argo-workflows//manifests/base/argo-server?ref={tag}",
        f"https://github.com/argoproj/argo-workflows//{release(version).argo_server['clusterRBAC']}?ref={tag}",
    ]
    assert f"quay.io/argoproj/argocli:{tag}" in tree["argo-workflows/kustomization.yaml"]


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", ["full", "everything"])
def test_every_new_kustomization_builds_offline(version: str, variant: str, tmp_path: Path,
                                                kustomize: Kustomize) -> None:
    tree = render_full(version, *(EVERYTHING if variant == "everything" else ()))
    root = written(tree, tmp_path / "fork")
    for folder in ("argo-workflows", "workflows", "pipelines", "dex", "kubeflow-istio-resources"):
        assert kustomize.build_objects(root / folder), folder
    kinds = {d["kind"] for d in kustomize.build_objects(root / "argo-workflows")}
    assert "CustomResourceDefinition" not in kinds  # the Argo CRDs are Kubeflow Pipelines'
    if variant == "everything":
        assert {"ServiceMonitor", "EnvoyFilter", "VirtualService"} <= kinds


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_exactly_one_workflow_controller_in_the_union_of_all_applications(version: str, tmp_path: Path,
                                                                        kustomize: Kustomize) -> None:
    root = written(render_full(version, "spec.argoWorkflows.archive.enabled=true"), tmp_path / "fork")
    owners: dict[tuple[str, str, str, str], str] = {}
    controllers = []
    for folder in component_folders(root):
        assert (root / "argocd-applications" / f"{folder.name}.yaml").exists(), folder.name
        for document in kustomize.build_objects(folder):
            meta = document["metadata"]
            identity = (document["apiVersion"].split("/")[0], document["kind"], meta.get("namespace", ""),
                        HASH_SUFFIX.sub("", meta["name"]))
            assert identity not in owners, f"{identity} is built by {owners[identity]} and {folder.name}"
            owners[identity] = folder.name
            if document["kind"] == "Deployment":
                args = " ".join(str(a) for c in document["spec"]["template"]["spec"]["containers"]
                                for a in [*c.get("command", []), *c.get("args", [])])
                if meta["name"] == "workflow-controller" or "workflow-controller" in args:
                    controllers.append((folder.name, meta["namespace"], meta["name"]))
    assert "workflows" in [f.name for f in component_folders(root)]
    assert controllers == [("pipelines", "kubeflow", "workflow-controller")]
    assert owners[("apps", "Deployment", "kubeflow", "argo-server")] == "argo-workflows"
    assert owners[("apiextensions.k8s.io", "CustomResourceDefinition", "", "workflows.argoproj.io")] == "pipelines"


# ------------------------------------------------------------------------------ SSO, base href and route


@functools.cache
def _dex_issuer_from(config_text: str) -> str:
    issuer: str = yaml_of(config_text)["issuer"]
    return issuer


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("overrides", [(), EVERYTHING[:1]], ids=["path", "own-host"])
def test_sso_config_base_href_and_gateway_route_agree(version: str, overrides: tuple[str, ...], tmp_path: Path,
                                                       kustomize: Kustomize) -> None:
    root = written(render_full(version, *overrides), tmp_path / "fork")
    server = kustomize.build_objects(root / "argo-workflows")
    pipelines = kustomize.build_objects(root / "pipelines")
    dex = kustomize.build_objects(root / "dex")

    sso = yaml_of(find(pipelines, "ConfigMap", "workflow-controller-configmap")["data"]["sso"])
    deployment = find(server, "Deployment", "argo-server")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (base_href,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--basehref=")]
    assert container["args"][:2] == ["server", "--auth-mode=sso"]
    assert "--secure=false" in container["args"]
    assert container["readinessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert base_href.startswith("/") and base_href.endswith("/")

    # the gateway route: the base href, its prefix stripped (the server serves from /), Dex's token dropped
    route = find(server, "VirtualService", "argo-server")
    assert route["spec"]["gateways"] == ["kubeflow/kubeflow-gateway"]
    (to_server,) = [r for r in route["spec"]["http"] if "route" in r and "argo-server" in str(r["route"])]
    assert to_server["match"] == [{"uri": {"prefix": base_href}}]
    assert to_server["rewrite"] == {"uri": "/"}
    assert to_server["headers"]["request"]["remove"] == ["authorization"]
    service = find(server, "Service", "argo-server")
    destination = to_server["route"][0]["destination"]
    assert destination == {"host": "argo-server.kubeflow.svc.cluster.local",
                           "port": {"number": service["spec"]["ports"][0]["port"]}}
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"]
    redirects = {r["match"][0]["uri"]["exact"]: r["redirect"]["uri"] for r in route["spec"]["http"] if "redirect" in r}
    assert redirects[base_href.rstrip("/")] == base_href

    # SSO: the callback sits under the base href, and Dex knows it for this very client
    assert sso["redirectUrl"] == base_href + "oauth2/callback"
    assert sso["rbac"] == {"enabled": True}
    dex_config = yaml_of(find(dex, "ConfigMap", "dex")["data"]["config.yaml"])
    assert sso["issuer"] == dex_config["issuer"]
    (client,) = [c for c in dex_config["staticClients"] if c.get("id") == "argo-server"]
    assert client["redirectURIs"] == [sso["redirectUrl"]]
    # ... with one secret on both sides: Dex's environment, and the server's Secret copied from it
    dex_env = env_of(find(dex, "Deployment", "dex"), "dex")
    dex_ref = dex_env[client["secretEnv"]]["secretKeyRef"]
    dex_job = find(dex, "Job", "dex-argo-server-secret")["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert f"kubectl create secret generic -n auth {dex_ref['name']} --from-literal={dex_ref['key']}=" in dex_job
    server_job = find(server, "Job", "argo-server-sso-secret")["spec"]["template"]["spec"]["containers"][0]
    script = server_job["command"][-1]
    assert sso["clientId"]["name"] == sso["clientSecret"]["name"]
    assert f"kubectl create secret generic -n kubeflow {sso['clientId']['name']} " in script
    assert f"--from-literal={sso['clientId']['key']}={client['id']} " in script
    assert (f"kubectl get secret -n auth {dex_ref['name']} -o jsonpath='{{.data.{dex_ref['key']}}}'" in script)
    assert f'--from-literal={sso["clientSecret"]["key"]}="$v_client_secret"' in script

    # Dex publishes its login under the in-cluster issuer: the filter sends browsers to the gateway's /dex/
    lua = find(server, "EnvoyFilter", "argo-server-dex-login")
    code = lua["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["defaultSourceCode"]["inlineString"]
    assert f'local internal = "{sso["issuer"]}/"' in code
    assert '"/dex/" ..' in code
    assert lua["spec"]["workloadSelector"]["labels"] == deployment["spec"]["selector"]["matchLabels"]
    policy = find(server, "AuthorizationPolicy", "argo-server")
    assert policy["spec"]["rules"][0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]

    if overrides:  # its own host: the gateway serves and certifies it, and the route brings Dex and the login
        assert route["spec"]["hosts"] == ["argo.example.com"]
        gateway = kustomize.build_objects(root / "kubeflow-istio-resources")
        https = [s for s in find(gateway, "Gateway", "kubeflow-gateway")["spec"]["servers"]
                 if s["port"]["number"] == 443]
        assert "argo.example.com" in https[0]["hosts"]
        assert "argo.example.com" in find(gateway, "Certificate", "kubeflow-gateway")["spec"]["dnsNames"]
        upstream_routes = {}
        for folder, name in (("dex", "dex"), ("oauth2-proxy", "oauth2-proxy")):
            (http,) = find(kustomize.build_objects(root / folder), "VirtualService", name)["spec"]["http"]
            upstream_routes[http["match"][0]["uri"]["prefix"]] = http["route"]
        for prefix, destinations in upstream_routes.items():
            (mine,) = [r for r in route["spec"]["http"] if r.get("match") == [{"uri": {"prefix": prefix}}]]
            assert mine["route"] == destinations
        assert redirects["/"] == base_href
    else:
        assert route["spec"]["hosts"] == ["*"]


# ------------------------------------------------------------------------------------- artifact store


def _artifact_repository(pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    repository: dict[str, Any] = yaml_of(find(pipelines, "ConfigMap", "workflow-controller-configmap")["data"][
        "artifactRepository"])
    return repository


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_default_artifact_repository_is_the_releases_in_cluster_store(version: str, tmp_path: Path,
                                                                      kustomize: Kustomize) -> None:
    root = written(render_full(version), tmp_path / "fork")
    pipelines = kustomize.build_objects(root / "pipelines")
    s3 = _artifact_repository(pipelines)["s3"]
    assert s3["endpoint"] == "minio-service.kubeflow:9000"
    assert s3["bucket"] == "mlpipeline"
    assert s3["insecure"] is True
    assert s3["keyFormat"] == release(version).object_store["keyFormat"]
    assert s3["accessKeySecret"] == {"name": "mlpipeline-minio-artifact", "key": "accesskey"}
    assert s3["secretKeySecret"] == {"name": "mlpipeline-minio-artifact", "key": "secretkey"}
    assert find(pipelines, "ConfigMap", "pipeline-install-config")["data"]["bucketName"] == "mlpipeline"
    assert find(pipelines, "Service", "minio-service")  # the store the endpoint names is in the build


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("argo", [True, False], ids=["with-argo", "kfp-only"])
def test_external_s3_store_reaches_argo_and_kfp_alike(version: str, argo: bool, tmp_path: Path,
                                                      kustomize: Kustomize) -> None:
    extra = () if argo else ("spec.kubeflow.components.argo-workflows.enabled=false",)
    tree = render_full(version, S3, *extra)
    root = written(tree, tmp_path / "fork")
    pipelines = kustomize.build_objects(root / "pipelines")
    assert _artifact_repository(pipelines) == {"archiveLogs": True, "s3": {
        "endpoint": "minio.storage.example.com:9000", "bucket": "ml-artifacts", "region": "eu-central-1",
        "insecure": True, "keyFormat": release(version).object_store["keyFormat"],
        "accessKeySecret": {"name": "team-s3", "key": "id"}, "secretKeySecret": {"name": "team-s3", "key": "key"}}}
    assert find(pipelines, "ConfigMap", "pipeline-install-config")["data"]["bucketName"] == "ml-artifacts"
    api = env_of(find(pipelines, "Deployment", "ml-pipeline"), "ml-pipeline-api-server")
    assert (api["OBJECTSTORECONFIG_HOST"], api["OBJECTSTORECONFIG_PORT"], api["OBJECTSTORECONFIG_SECURE"],
            api["OBJECTSTORECONFIG_REGION"]) == ("minio.storage.example.com", "9000", "false", "eu-central-1")
    assert api["OBJECTSTORECONFIG_ACCESSKEY"] == {"secretKeyRef": {"name": "team-s3", "key": "id"}}
    assert api["OBJECTSTORECONFIG_SECRETACCESSKEY"] == {"secretKeyRef": {"name": "team-s3", "key": "key"}}
    assert api["OBJECTSTORECONFIG_BUCKETNAME"] == {"configMapKeyRef": {"key": "bucketName",
                                                                       "name": "pipeline-install-config"}}
    ui = env_of(find(pipelines, "Deployment", "ml-pipeline-ui"), "ml-pipeline-ui")
    assert ui["AWS_ACCESS_KEY_ID"] == {"secretKeyRef": {"name": "team-s3", "key": "id"}}
    assert (ui["AWS_S3_ENDPOINT"], ui["AWS_PORT"], ui["AWS_SSL"]) == ("minio.storage.example.com", "9000", "false")
    readme = tree["README.md"]  # the Secret to create is documented, with its keys
    assert re.search(r"kubectl create secret generic team-s3 -n kubeflow \S*id\S* \S*key", readme)


def test_sealed_s3_keys_and_sealed_random_secrets(sealing_keys: tuple[Any, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    private_key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "cert.pem")
    monkeypatch.setenv("S3_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("S3_KEY", "s3cr3t/key+value")
    tree = render_full("1.11.0", f"spec.secrets={{certificate: {tmp_path / 'cert.pem'}, randomSecrets: sealed}}",
                       "spec.pipelines.artifactStore={s3: {endpoint: s3.amazonaws.com, bucket: ml-artifacts, "
                       "credentials: {sealed: {accessKey: {env: S3_ID}, secretKey: {env: S3_KEY}}}}}")

    def decrypted(path: str) -> dict[str, bytes]:
        (document,) = [d for d in load_yaml_documents(tree[path]) if d["kind"] == "SealedSecret"]
        meta = document["metadata"]
        return {key: unseal(private_key, meta["namespace"], meta["name"], base64.b64decode(value))
                for key, value in document["spec"]["encryptedData"].items()}

    dex_side = decrypted("dex/sealed-argo-server-sso.yaml")
    server_side = decrypted("argo-workflows/sealed-argo-server-sso.yaml")
    assert server_side["client-secret"] == dex_side["client-secret"]  # one secret, both sides
    assert len(server_side["client-secret"]) == 32
    assert server_side["client-id"] == b"argo-server"
    assert decrypted("pipelines/sealed-artifact-store-credentials.yaml") == {
        "accesskey": b"AKIAEXAMPLE", "secretkey": b"s3cr3t/key+value"}
    assert "artifact-store-credentials" in tree["pipelines/kustomization.yaml"]
    assert not [path for path in tree if path.endswith("argo-server-sso-secret.yaml")]  # no Job when sealed
    text = "\n".join(tree[path] for path in tree)
    assert "s3cr3t/key+value" not in text and "AKIAEXAMPLE" not in text


# -------------------------------------------------------------------------------------------- archive


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_archive_in_kfp_mysql_gets_a_database_and_user_of_its_own(version: str, tmp_path: Path,
                                                                  kustomize: Kustomize) -> None:
    root = written(render_full(version, "spec.argoWorkflows.archive={enabled: true, ttl: 14d}"), tmp_path / "fork")
    pipelines = kustomize.build_objects(root / "pipelines")
    persistence = yaml_of(find(pipelines, "ConfigMap", "workflow-controller-configmap")["data"]["persistence"])
    assert persistence["archive"] is True
    assert persistence["archiveTTL"] == "14d"
    assert persistence["nodeStatusOffLoad"] is False  # Kubeflow Pipelines reads status.nodes from the objects
    mysql = persistence["mysql"]
    assert (mysql["host"], mysql["port"], mysql["database"]) == ("mysql.kubeflow.svc.cluster.local", 3306,
                                                                 "argo_workflows")
    assert find(pipelines, "Service", "mysql")["spec"]["ports"][0]["port"] == mysql["port"]
    assert mysql["userNameSecret"]["name"] == mysql["passwordSecret"]["name"] == "argo-workflows-archive-db"
    job = find(pipelines, "Job", "argo-workflows-archive-db")
    pod = job["spec"]["template"]
    assert pod["metadata"]["annotations"]["sidecar.istio.io/nativeSidecar"] == "true"
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["ROOT_USER"] == {"secretKeyRef": {"name": "mysql-secret", "key": "username"}}
    assert env["ARCHIVE_PASSWORD"] == {"secretKeyRef": {"name": "argo-workflows-archive-db", "key": "password"}}
    assert env["DB_HOST"] == mysql["host"] and env["ARCHIVE_DATABASE"] == mysql["database"]
    assert container["image"] == find(pipelines, "Deployment", "mysql")["spec"]["template"]["spec"][
        "containers"][0]["image"]  # the client of the very server
    assert "CREATE USER IF NOT EXISTS" in container["command"][-1]
    policy = find(pipelines, "AuthorizationPolicy", "mysql-argo-workflows")
    assert set(policy["spec"]["rules"][0]["from"][0]["source"]["principals"]) == {
        "cluster.local/ns/kubeflow/sa/argo", "cluster.local/ns/kubeflow/sa/argo-server",
        "cluster.local/ns/kubeflow/sa/argo-workflows-archive-db"}
    controller = find(pipelines, "Deployment", "workflow-controller")
    assert controller["spec"]["template"]["spec"]["serviceAccountName"] == "argo"
    secret_job = find(pipelines, "Job", "argo-workflows-archive-secret")
    assert "kubectl create secret generic -n kubeflow argo-workflows-archive-db" in secret_job["spec"]["template"][
        "spec"]["containers"][0]["command"][-1]


def test_archive_in_an_external_postgresql() -> None:
    tree = render_full("1.11.0", "spec.argoWorkflows.archive={enabled: true, ttl: '', database: {type: postgresql, "
                                 "host: pg.example.com, database: argo, ssl: true, credentials: {existingSecret: pg}}}")
    patch = next(yaml_of(p["patch"]) for p in yaml_of(tree["pipelines/kustomization.yaml"])["patches"]
                 if "workflow-controller-configmap" in p["patch"])
    persistence = yaml_of(patch["data"]["persistence"])
    assert "archiveTTL" not in persistence  # '' keeps them forever
    assert persistence["postgresql"] == {
        "host": "pg.example.com", "port": 5432, "database": "argo", "tableName": "argo_workflows",
        "userNameSecret": {"name": "pg", "key": "username"}, "passwordSecret": {"name": "pg", "key": "password"},
        "ssl": True, "sslMode": "require"}
    assert "pipelines/argo-workflows-archive.yaml" not in tree  # no database to make
    assert re.search(r"kubectl create secret generic pg -n kubeflow \S*username\S* \S*password", tree["README.md"])


# --------------------------------------------------------------------------------------- RBAC and metrics


def _sso_accounts(tree: Tree) -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["metadata"]["annotations"]
            for d in load_yaml_documents(tree["argo-workflows/sso-rbac.yaml"]) if d["kind"] == "ServiceAccount"}


def test_rbac_maps_users_and_groups_to_accounts_with_rules() -> None:
    tree = render_full("1.11.0", "spec.identity.oidc={issuer: 'https://login.example.org', clientId: kf, "
                                 "clientSecret: {existingSecret: oidc}}",
                       "spec.argoWorkflows.sso.rbac={admin: {groups: [platform]}, readOnly: {users: "
                       "[ada@example.org], groups: ['ml \"team\"', '{{ not-jinja }}']}, others: read-only}")
    accounts = _sso_accounts(tree)
    assert accounts["argo-workflows-admin"] == {
        "workflows.argoproj.io/rbac-rule": '(groups != nil && any(groups, {# in ["platform"]}))',
        "workflows.argoproj.io/rbac-rule-precedence": "2"}
    assert accounts["argo-workflows-read-only"]["workflows.argoproj.io/rbac-rule"] == (
        'email in ["ada@example.org"] || (groups != nil && any(groups, {# in ["ml \\"team\\"", "{{ not-jinja }}"]}))')
    assert accounts["argo-workflows-everyone"] == {"workflows.argoproj.io/rbac-rule": "true",
                                                   "workflows.argoproj.io/rbac-rule-precedence": "0"}
    documents = load_yaml_documents(tree["argo-workflows/sso-rbac.yaml"])
    tokens = {d["metadata"]["annotations"]["kubernetes.io/service-account.name"] for d in documents
              if d["kind"] == "Secret"}
    assert tokens == set(accounts)
    bindings = {d["subjects"][0]["name"]: d["roleRef"]["name"] for d in documents if d["kind"] == "ClusterRoleBinding"}
    assert bindings == {"argo-workflows-admin": "argo-workflows-sso-admin",
                        "argo-workflows-read-only": "argo-workflows-sso-read-only",
                        "argo-workflows-everyone": "argo-workflows-sso-read-only"}
    roles = {d["metadata"]["name"]: d["rules"][0]["verbs"] for d in documents if d["kind"] == "ClusterRole"}
    assert roles == {"argo-workflows-sso-admin": ["create", "delete", "get", "list", "patch", "update", "watch"],
                     "argo-workflows-sso-read-only": ["get", "list", "watch"]}


def test_the_kubeflow_admin_is_the_default_argo_admin() -> None:
    assert _sso_accounts(render_full("1.10.2")) == {"argo-workflows-admin": {
        "workflows.argoproj.io/rbac-rule": 'email in ["admin@example.com"]',
        "workflows.argoproj.io/rbac-rule-precedence": "2"}}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_namespaced_controller_gets_a_namespaced_server(version: str) -> None:
    tree = render_full(version, "spec.pipelines.mode=standalone")
    upstream = yaml_of(tree["argo-workflows/upstream/kustomization.yaml"])
    assert upstream["resources"][1].startswith(
        "https://github.com/argoproj/argo-workflows//manifests/namespace-install/argo-server-rbac?ref=")
    assert "- \"--namespaced\"" in tree["argo-workflows/kustomization.yaml"]
    kinds = {d["kind"] for d in load_yaml_documents(tree["argo-workflows/sso-rbac.yaml"])}
    assert kinds == {"Role", "RoleBinding", "ServiceAccount", "Secret"}
    assert yaml_of(tree["argocd-applications/workflows.yaml"])["spec"]["destination"]["namespace"] == "kubeflow"
    assert "serviceAccountName: pipeline-runner" in tree["workflows/xgboost-training.yaml"]


@pytest.mark.kustomize
def test_metrics_are_annotated_or_service_monitored(tmp_path: Path, kustomize: Kustomize) -> None:
    none = render_full("1.11.0")
    assert "argo-workflows/metrics.yaml" not in none
    assert "metricsConfig" not in none["pipelines/kustomization.yaml"]

    annotated = written(render_full("1.11.0", "spec.monitoring.prometheus=annotations"), tmp_path / "a")
    pipelines = kustomize.build_objects(annotated / "pipelines")
    server = kustomize.build_objects(annotated / "argo-workflows")
    config = yaml_of(find(pipelines, "ConfigMap", "workflow-controller-configmap")["data"]["metricsConfig"])
    assert config == {"enabled": True, "path": "/metrics", "port": 9090, "secure": False}
    controller = find(pipelines, "Deployment", "workflow-controller")["spec"]["template"]
    ports = {p.get("name"): p["containerPort"] for p in controller["spec"]["containers"][0]["ports"]}
    assert controller["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true", "prometheus.io/port": str(ports["metrics"]), "prometheus.io/path": "/metrics"}
    assert find(server, "Deployment", "argo-server")["spec"]["template"]["metadata"]["annotations"][
        "prometheus.io/port"] == "2746"
    policies = [d for d in server if d["kind"] == "NetworkPolicy" and d["metadata"]["name"].endswith("-metrics")]
    assert {p["spec"]["ingress"][0]["ports"][0]["port"] for p in policies} == {15020}  # Istio's merged metrics
    assert not [d for d in server if d["kind"] == "ServiceMonitor"]

    monitored = written(render_full("1.11.0", *EVERYTHING[1:2]), tmp_path / "s")
    server = kustomize.build_objects(monitored / "argo-workflows")
    monitors = {d["metadata"]["name"]: d for d in server if d["kind"] == "ServiceMonitor"}
    assert set(monitors) == {"workflow-controller", "argo-server"}
    for name, port in (("workflow-controller", 9090), ("argo-server", 2746)):
        monitor = monitors[name]
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        service = find(server, "Service", f"{name}-metrics")
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        assert service["spec"]["selector"] == {"app": name}
        assert service["spec"]["ports"][0]["port"] == port
        assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
        allow = find(server, "AuthorizationPolicy", f"{name}-metrics")["spec"]["rules"][0]["to"][0]["operation"]
        assert allow == {"ports": [str(port)], "methods": ["GET"], "paths": ["/metrics"]}
    assert "annotations" not in find(server, "Deployment", "argo-server")["spec"]["template"]["metadata"]

    off = render_full("1.11.0", "spec.monitoring.prometheus=annotations", "spec.argoWorkflows.metrics=false")
    assert "argo-workflows/metrics.yaml" not in off


# ----------------------------------------------------------------------------------- the workflows/ folder


@functools.cache
def argo_crd_schema(tag: str, plural: str) -> Mapping[str, Any]:
    """The openAPIV3Schema of one of the `full` Argo CRDs, read from the bundled argo-workflows repository."""
    from ruamel.yaml import YAML

    path = f"{tag}:manifests/base/crds/full/argoproj.io_{plural}.yaml"
    text = subprocess.run(["git", "-C", str(ARGO_GIT), "show", path], capture_output=True, text=True,
                          check=True).stdout
    crd = YAML(typ="safe").load(text)
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema: Mapping[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _errors(document: Mapping[str, Any], tag: str, plural: str) -> list[str]:
    validator = jsonschema.Draft7Validator(argo_crd_schema(tag, plural))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_seeded_workflows_validate_against_the_argo_crds(version: str, tmp_path: Path,
                                                         kustomize: Kustomize) -> None:
    tag = release(version).argo_workflows
    root = written(render_full(version), tmp_path / "fork")
    built = kustomize.build_objects(root / "workflows")
    assert [d["kind"] for d in built] == ["CronWorkflow", "WorkflowTemplate"]
    template = find(built, "WorkflowTemplate", "xgboost-training")
    cron = find(built, "CronWorkflow", "xgboost-nightly")
    assert _errors(template, tag, "workflowtemplates") == []
    assert _errors(cron, tag, "cronworkflows") == []
    # the schemas do check: a broken copy of each fails
    broken = json.loads(json.dumps(template))
    broken["spec"]["templates"][0]["script"]["resources"] = "2Gi"
    assert _errors(broken, tag, "workflowtemplates")
    assert _errors({**cron, "spec": {"schedule": 2}}, tag, "cronworkflows")

    # a working example: the cron runs the template; the step fetches, trains and keeps the model
    assert cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] == template["metadata"]["name"]
    assert cron["spec"]["schedule"] == "0 2 * * *"
    spec = template["spec"]
    (step,) = [t for t in spec["templates"] if t["name"] == spec["entrypoint"]]
    assert [a["name"] for a in step["outputs"]["artifacts"]] == ["model"]
    source = step["script"]["source"]
    assert "urllib.request.urlopen(os.environ[\"DATASET_URL\"]" in source
    assert "xgb.train(" in source and "save_model(\"/tmp/outputs/model.json\")" in source
    assert step["outputs"]["artifacts"][0]["path"] == "/tmp/outputs/model.json"
    parameters = {p["name"] for p in spec["arguments"]["parameters"]}
    assert parameters == {p["name"] for p in step["inputs"]["parameters"]}
    expected_env = {"{{inputs.parameters." + name + "}}" for name in parameters}
    assert expected_env <= {e["value"] for e in step["script"]["env"]}
    assert spec["serviceAccountName"] == "default-editor"
    assert spec["podMetadata"]["annotations"]["sidecar.istio.io/inject"] == "false"


def test_the_workflows_folder_is_seeded_once_and_never_rewritten(tmp_path: Path) -> None:
    fork = tmp_path / "fork"
    render_full("1.11.0").write(fork)
    mine = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: mine}\n"
    (fork / "workflows" / "xgboost-training.yaml").write_text(mine)
    kustomization = (fork / "workflows" / "kustomization.yaml").read_text() + "- more.yaml\n"
    (fork / "workflows" / "kustomization.yaml").write_text(kustomization)
    plan = render_full("1.11.0", "spec.argoWorkflows.path=/wf/").write(fork)
    assert (fork / "workflows" / "xgboost-training.yaml").read_text() == mine
    assert (fork / "workflows" / "kustomization.yaml").read_text() == kustomization
    assert not [path for path in (*plan.create, *plan.update, *plan.seed) if path.startswith("workflows/")]
    assert "/wf/oauth2/callback" in (fork / "pipelines" / "kustomization.yaml").read_text()


# ----------------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize(("overrides", "message"), [
    (("spec.argoWorkflows.archive.enabled=true",),
     "spec.argoWorkflows.archive.enabled: is only used when the argo-workflows component is enabled "
     "(set spec.kubeflow.components.argo-workflows.enabled: true)"),
    ((ARGO_ON, "spec.kubeflow.components.pipelines.enabled=false"),
     "spec.kubeflow.components.argo-workflows.enabled: argo-workflows needs the pipelines component"),
    ((ARGO_ON, "spec.kubeflow.components.dex.enabled=false"),
     "spec.kubeflow.components.argo-workflows.enabled: argo-workflows needs the dex component"),
    ((ARGO_ON, "spec.argoWorkflows.path=/pipelines/"),
     "spec.argoWorkflows.path: /pipelines/ overlaps Kubeflow's route /pipeline on the gateway"),
    ((ARGO_ON, "spec.argoWorkflows.path=/dex/"), "overlaps Kubeflow's route /dex/ on the gateway"),
    ((ARGO_ON, "spec.argoWorkflows.path=/"), 'spec.argoWorkflows.path: "/" is not the path the UI and API are served'),
    ((ARGO_ON, "spec.argoWorkflows.host=kubeflow.example.com"), "spec.argoWorkflows.host: is spec.ingress.domain"),
    ((ARGO_ON, "spec.argoWorkflows.sso.rbac.readOnly.users=[eve@example.com]"),
     "spec.argoWorkflows.sso.rbac.readOnly.users[0]: eve@example.com is not one of spec.identity.users"),
    ((ARGO_ON, "spec.argoWorkflows.sso.rbac.admin.groups=[ops]"),
     "spec.argoWorkflows.sso.rbac.admin.groups: Dex's static users have no groups"),
    ((ARGO_ON, "spec.argoWorkflows.archive.database={type: mysql, host: db.example.com, database: argo, "
               "credentials: {existingSecret: db}}"),
     "spec.argoWorkflows.archive.database: a database is given but the archive is not enabled"),
    ((ARGO_ON, "spec.argoWorkflows.archive={enabled: true, database: {type: mysql, host: db.example.com, "
               "database: argo, credentials: {existingSecret: db, sealed: {username: {env: U}, password: {env: P}}}}}"),
     "spec.argoWorkflows.archive.database.credentials: set exactly one of existingSecret, sealed"),
    ((ARGO_ON, "spec.pipelines.mode=standalone", "spec.argoWorkflows.gitops.namespace=team-a"),
     "pipelines mode standalone runs a workflow-controller that only watches namespace kubeflow"),
    ((ARGO_ON, "spec.extraApplications=[{name: workflows, namespace: default, path: mine}]"),
     "spec.extraApplications[0].name: 'workflows' is the name of the Application that syncs the workflows/ folder"),
    (("spec.monitoring.serviceMonitorLabels={release: prom}",),
     "spec.monitoring.serviceMonitorLabels: only used with prometheus: serviceMonitor, not none"),
    (("spec.pipelines.artifactStore={s3: {endpoint: s3.amazonaws.com, bucket: b1b, "
      "credentials: {accessKeyKey: id}}}",),
     "spec.pipelines.artifactStore.s3.credentials"),
])
def test_inconsistent_settings_are_refused(overrides: tuple[str, ...], message: str) -> None:
    with pytest.raises(ProfileError) as raised:
        load_profile("preset:base", overrides=[FORK, *overrides])
    assert message in str(raised.value)


def test_a_resolved_profile_loads_again_to_the_same_profile(tmp_path: Path) -> None:
    """The fork records the resolved profile (update reads it back): derived values must be stable."""
    profile = load_profile("preset:full", overrides=[FORK, *EVERYTHING])
    tree = render(profile)
    record = tmp_path / "profile.yaml"
    record.write_text(tree[".argoflow-gen/profile.yaml"])
    again = load_profile(record)
    assert again.spec.argo_workflows == profile.spec.argo_workflows
    assert again.spec.ingress.extra_hosts == profile.spec.ingress.extra_hosts == ("argo.example.com",)
    assert again.digest == profile.digest


# ---------------------------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", ["full", "everything"])
def test_argo_workflows_files_snapshot(version: str, variant: str, snapshot: Any) -> None:
    tree = render_full(version, *(EVERYTHING if variant == "everything" else ()))
    mine = {path: tree[path] for path in tree
            if path.startswith(("argo-workflows/", "workflows/"))
            or path in ("pipelines/kustomization.yaml", "dex/kustomization.yaml", "argocd-applications/workflows.yaml",
                        "argocd-applications/argo-workflows.yaml")
            or path.startswith("pipelines/argo-workflows-")}
    assert mine == snapshot
