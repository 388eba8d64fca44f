"""External MySQL servers for Kubeflow Pipelines and Katib: at both releases, the built folders run no
in-cluster MySQL and point every database client at the profile's server and login."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.errors import ProfileError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.tree import Tree

from .conftest import FORK, Kustomize, load_yaml_documents, unseal

PIPELINES_DB = ("spec.pipelines.database={host: mysql.acme.io, port: 3307, "
                "credentials: {existingSecret: kfp-db, usernameKey: user, passwordKey: pass}}")
KATIB_DB = ("spec.katib.database={host: katib.mysql.acme.io, database: katib_acme, "
            "credentials: {existingSecret: katib-db}}")
MODES = ("multi-user", "multi-user-k8s-native", "standalone")


def render_full(version: str, *overrides: str) -> Tree:
    return render(load_profile("preset:full", overrides=[FORK, f"spec.kubeflow.version={version}", *overrides]))


def names(objects: list[dict[str, Any]], kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o["kind"] == kind}


def deployment(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    return found


def env_of(objects: list[dict[str, Any]], name: str, container: str) -> dict[str, Any]:
    (found,) = [c for c in deployment(objects, name)["spec"]["template"]["spec"]["containers"]
                if c["name"] == container]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in found.get("env", [])}


def ref(secret: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": secret, "key": key}}


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mode", MODES)
def test_pipelines_on_an_external_mysql(version: str, mode: str, tmp_path: Path, kustomize: Kustomize) -> None:
    tree = render_full(version, PIPELINES_DB, f"spec.pipelines.mode={mode}")
    tree.write(tmp_path / "fork")
    built = kustomize.build_objects(tmp_path / "fork" / "pipelines")
    assert "mysql" not in names(built, "Deployment") | names(built, "Service") | names(built, "ServiceAccount")
    assert "mysql-pv-claim" not in names(built, "PersistentVolumeClaim")
    assert "mysql" not in names(built, "AuthorizationPolicy")  # the mesh's rules for it go too
    assert "ml-pipeline-mysql" not in names(built, "DestinationRule")
    assert "mysql-secret" not in names(built, "Secret")  # upstream's root login with no password
    (config,) = [o for o in built if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "pipeline-install-config"]
    assert {key: config["data"][key] for key in ("dbHost", "dbPort", "mysqlHost", "mysqlPort")} == {
        "dbHost": "mysql.acme.io", "dbPort": "3307", "mysqlHost": "mysql.acme.io", "mysqlPort": "3307"}
    api = env_of(built, "ml-pipeline", "ml-pipeline-api-server")
    for variable in ("DBCONFIG_USER", "DBCONFIG_MYSQLCONFIG_USER"):
        assert api[variable] == ref("kfp-db", "user")
    for variable in ("DBCONFIG_PASSWORD", "DBCONFIG_MYSQLCONFIG_PASSWORD"):
        assert api[variable] == ref("kfp-db", "pass")
    assert api["DBCONFIG_MYSQLCONFIG_HOST"] == {"configMapKeyRef": {"name": "pipeline-install-config",
                                                                    "key": "mysqlHost"}}
    for name, container in (("cache-server", "server"), ("metadata-grpc-deployment", "container")):
        env = env_of(built, name, container)  # the cache and ML Metadata on the same server and login
        assert (env["DBCONFIG_USER"], env["DBCONFIG_PASSWORD"]) == (ref("kfp-db", "user"), ref("kfp-db", "pass"))
    metadata = env_of(built, "metadata-grpc-deployment", "container")
    assert metadata["MYSQL_HOST"] == {"configMapKeyRef": {"name": "pipeline-install-config", "key": "dbHost"}}
    text = "\n".join(str(o) for o in built)
    assert "mysql-secret" not in text  # no client is left on upstream's login
    assert "MYSQL_ROOT_PASSWORD" not in text
    assert re.search(r"kubectl create secret generic kfp-db -n kubeflow \S*user\S* \S*pass", tree["README.md"])


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_katib_on_an_external_mysql(version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    tree = render_full(version, KATIB_DB)
    tree.write(tmp_path / "fork")
    built = kustomize.build_objects(tmp_path / "fork" / "katib")
    assert "katib-mysql" not in names(built, "Deployment") | names(built, "Service")
    assert "katib-mysql" not in names(built, "PersistentVolumeClaim")
    assert "katib-mysql-secrets" not in names(built, "Secret")  # upstream's published root password
    assert "katib-mysql-secrets" not in "\n".join(str(o) for o in built)
    env = env_of(built, "katib-db-manager", "katib-db-manager")
    assert env["DB_USER"] == ref("katib-db", "username")
    assert env["DB_PASSWORD"] == ref("katib-db", "password")
    assert (env["KATIB_MYSQL_DB_HOST"], env["KATIB_MYSQL_DB_PORT"], env["KATIB_MYSQL_DB_DATABASE"]) == (
        "katib.mysql.acme.io", "3306", "katib_acme")
    assert "katib-secrets.yaml" not in {path.rsplit("/", 1)[-1] for path in tree}  # no random password to make
    assert re.search(r"kubectl create secret generic katib-db -n kubeflow \S*username\S* \S*password",
                     tree["README.md"])


@pytest.mark.kustomize
def test_the_in_cluster_mysql_stays_without_a_database(tmp_path: Path, kustomize: Kustomize) -> None:
    """The control: the same build without the setting has what the tests above find gone."""
    render_full("1.11.0").write(tmp_path / "fork")
    pipelines = kustomize.build_objects(tmp_path / "fork" / "pipelines")
    katib = kustomize.build_objects(tmp_path / "fork" / "katib")
    assert "mysql" in names(pipelines, "Deployment") and "mysql-pv-claim" in names(pipelines, "PersistentVolumeClaim")
    assert "mysql" in names(pipelines, "AuthorizationPolicy")
    assert "ml-pipeline-mysql" in names(pipelines, "DestinationRule")
    assert "katib-mysql" in names(katib, "Deployment") and "katib-mysql" in names(katib, "PersistentVolumeClaim")
    assert env_of(pipelines, "ml-pipeline", "ml-pipeline-api-server")["DBCONFIG_USER"] == ref("mysql-secret",
                                                                                              "username")


def test_sealed_logins_decrypt_to_the_inputs_and_never_appear_in_plain_text(
        sealing_keys: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "cert.pem")
    (tmp_path / "katib-password").write_text("k@tib'pass\"word")
    monkeypatch.setenv("KFP_USER", "kfp_user")
    monkeypatch.setenv("KFP_PASSWORD", "s3cr3t/kfp+password")
    monkeypatch.setenv("KATIB_USER", "katib_user")
    tree = render_full(
        "1.11.0", f"spec.secrets={{certificate: {tmp_path / 'cert.pem'}, randomSecrets: sealed}}",
        "spec.pipelines.database={host: mysql.acme.io, credentials: {sealed: {username: {env: KFP_USER}, "
        "password: {env: KFP_PASSWORD}}}}",
        f"spec.katib.database={{host: mysql.acme.io, credentials: {{sealed: {{username: {{env: KATIB_USER}}, "
        f"password: {{file: {tmp_path / 'katib-password'}}}}}}}}}")

    def decrypted(path: str) -> dict[str, bytes]:
        (document,) = [d for d in load_yaml_documents(tree[path]) if d["kind"] == "SealedSecret"]
        meta = document["metadata"]
        assert meta["namespace"] == "kubeflow"
        return {key: unseal(private_key, meta["namespace"], meta["name"], base64.b64decode(value))
                for key, value in document["spec"]["encryptedData"].items()}

    assert decrypted("pipelines/sealed-pipelines-database.yaml") == {
        "username": b"kfp_user", "password": b"s3cr3t/kfp+password"}
    assert decrypted("katib/sealed-katib-database.yaml") == {"username": b"katib_user",
                                                             "password": b"k@tib'pass\"word"}
    assert "name: pipelines-database" in tree["pipelines/kustomization.yaml"]  # the clients read the sealed one
    assert "name: katib-database" in tree["katib/kustomization.yaml"]
    assert not [path for path in tree if path.endswith("sealed-mysql-secret.yaml")]  # no random root password
    text = "\n".join(tree[path] for path in tree)
    for plain in ("s3cr3t/kfp+password", "k@tib'pass", "kfp_user", "katib_user"):
        assert plain not in text


@pytest.mark.parametrize(("overrides", "message"), [
    (("spec.kubeflow.components.pipelines.enabled=false", "spec.kubeflow.components.argo-workflows.enabled=false",
      PIPELINES_DB), "spec.pipelines.database: the pipelines component is not enabled"),
    (("spec.kubeflow.components.argo-workflows.enabled=true", "spec.argoWorkflows.archive.enabled=true",
      PIPELINES_DB), "spec.argoWorkflows.archive.enabled: without a database of its own the archive goes to"),
])
def test_inconsistent_settings_are_refused(overrides: tuple[str, ...], message: str) -> None:
    with pytest.raises(ProfileError) as raised:
        load_profile("preset:base", overrides=[FORK, *overrides])
    assert message in str(raised.value)


def test_the_archive_may_share_the_server_with_a_database_of_its_own() -> None:
    profile = load_profile("preset:base", overrides=[
        FORK, PIPELINES_DB, "spec.kubeflow.components.argo-workflows.enabled=true",
        "spec.argoWorkflows.archive={enabled: true, database: {type: mysql, host: mysql.acme.io, port: 3307, "
        "database: argo, credentials: {existingSecret: kfp-db, usernameKey: user, passwordKey: pass}}}"])
    assert profile.spec.pipelines.database is not None
    assert profile.spec.pipelines.database.port == 3307
