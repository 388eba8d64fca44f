"""The in-cluster stores of Kubeflow Pipelines, built with real kustomize at both releases: MySQL runs with a
generated root password that every client reads, and an external S3 store replaces the in-cluster one."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import load_profile, render
from argoflow_gen.catalog import VERSIONS

from .conftest import Kustomize, unseal

URL = "spec.repo.url=https://github.com/acme/kubeflow-gitops.git"
DATA = Path(__file__).resolve().parent / "data" / "profiles" / "valid"
#: The Deployments that talk to Kubeflow Pipelines' MySQL, and the variables holding the password they use.
DATABASE_CLIENTS = {"ml-pipeline": "DBCONFIG_PASSWORD", "cache-server": "DBCONFIG_PASSWORD",
                    "metadata-grpc-deployment": "DBCONFIG_PASSWORD"}


def _built(kustomize: Kustomize, tmp_path: Path, *sources: str | Path, overrides: tuple[str, ...] = ()
           ) -> list[dict[str, Any]]:
    tree = render(load_profile(*sources, overrides=[URL, *overrides]))
    tree.write(tmp_path / "fork")
    return kustomize.build_objects(tmp_path / "fork" / "pipelines")


def _env(deployment: dict[str, Any]) -> dict[str, Any]:
    return {entry["name"]: entry for container in deployment["spec"]["template"]["spec"]["containers"]
            for entry in container.get("env", [])}


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_pipelines_mysql_has_a_generated_root_password(version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    built = _built(kustomize, tmp_path, "preset:minimal", overrides=(
        f"spec.kubeflow.version={version}", "spec.kubeflow.components.pipelines.enabled=true"))
    deployments = {d["metadata"]["name"]: d for d in built if d["kind"] == "Deployment"}
    mysql = _env(deployments["mysql"])
    assert "MYSQL_ALLOW_EMPTY_PASSWORD" not in mysql
    assert mysql["MYSQL_ROOT_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "mysql-secret", "key": "password"}}
    for name, variable in DATABASE_CLIENTS.items():  # its clients read the same Secret
        assert _env(deployments[name])[variable]["valueFrom"]["secretKeyRef"]["name"] == "mysql-secret", name
    # upstream's Secret (root, empty password) is gone; the Job creates the real one before MySQL starts
    assert not [d for d in built if d["kind"] == "Secret" and d["metadata"]["name"] == "mysql-secret"]
    (job,) = [d for d in built if d["kind"] == "Job" and d["metadata"]["name"] == "pipelines-secrets"]
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert ("kubectl create secret generic -n kubeflow mysql-secret --from-literal=username=root "
            '--from-literal=password="$(rand 32)"') in script
    assert int(job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < 0  # before the Deployment


@pytest.mark.kustomize
def test_sealed_random_secrets_seal_the_pipelines_database_password(
        tmp_path: Path, kustomize: Kustomize, sealing_keys: tuple[Any, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    private_key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "sealed-secrets.pem")
    monkeypatch.chdir(tmp_path)
    built = _built(kustomize, tmp_path, "preset:full", overrides=(
        "spec.secrets.certificate=sealed-secrets.pem", "spec.secrets.randomSecrets=sealed"))
    (sealed,) = [d for d in built if d["kind"] == "SealedSecret" and d["metadata"]["name"] == "mysql-secret"]
    values = {key: unseal(private_key, "kubeflow", "mysql-secret", base64.b64decode(value))
              for key, value in sealed["spec"]["encryptedData"].items()}
    assert values["username"] == b"root"
    assert len(values["password"]) == 32 and values["password"].isalnum()
    assert not [d for d in built if d["kind"] == "Job"]


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_an_external_s3_store_replaces_the_in_cluster_one(version: str, tmp_path: Path,
                                                          kustomize: Kustomize) -> None:
    built = _built(kustomize, tmp_path, DATA / "oidc-s3.yaml", overrides=(f"spec.kubeflow.version={version}",))
    store = "seaweedfs" if version == "1.11.0" else "minio"
    kinds = {(d["kind"], d["metadata"]["name"]) for d in built}
    assert not {kind for kind, name in kinds if store in name}, sorted(kinds)
    assert not [name for kind, name in kinds if kind in ("Deployment", "StatefulSet", "PersistentVolumeClaim")
                and name not in ("mysql", "mysql-pv-claim") and store in name]
    assert ("PersistentVolumeClaim", f"{store}-pvc") not in kinds
    assert ("Service", "minio-service") not in kinds
    # nothing left mounts the deleted volume
    for document in built:
        assert f"{store}-pvc" not in str(document), (document["kind"], document["metadata"]["name"])
    api = _env(next(d for d in built if d["kind"] == "Deployment" and d["metadata"]["name"] == "ml-pipeline"))
    assert api["OBJECTSTORECONFIG_HOST"]["value"] == "s3.eu-west-1.amazonaws.com"


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_the_default_store_still_runs_in_the_cluster(version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    built = _built(kustomize, tmp_path, "preset:minimal", overrides=(
        f"spec.kubeflow.version={version}", "spec.kubeflow.components.pipelines.enabled=true"))
    store = "seaweedfs" if version == "1.11.0" else "minio"
    names = {d["metadata"]["name"] for d in built if d["kind"] in ("Deployment", "PersistentVolumeClaim")}
    assert {store, f"{store}-pvc"} <= names


@pytest.mark.kustomize
def test_sealed_store_keys_are_in_every_profile_namespace_of_the_built_output(
        sealed_env: Path, kustomize: Kustomize, sealing_keys: tuple[Any, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    private_key, _certificate = sealing_keys
    tmp_path = sealed_env  # the working folder, with sealed-secrets.pem in it
    monkeypatch.setenv("S3_ACCESS", "AKIAEXAMPLE")
    monkeypatch.setenv("S3_SECRET", "s3cret-key")
    store = ("spec.pipelines.artifactStore={s3: {endpoint: s3.acme.internal, bucket: ml-artifacts, region: eu-west-1, "
             "credentials: {sealed: {accessKey: {env: S3_ACCESS}, secretKey: {env: S3_SECRET}}}}}")
    users = ("spec.identity.users=[{email: ada@acme.internal, username: ada, passwordHashFrom: {existingSecret: p, "
             "key: ada}}, {email: bob@acme.internal, username: bob, passwordHashFrom: {existingSecret: p, key: bob}}]")
    teams = ("spec.tenancy.profiles=[{name: team-a, owner: ada@acme.internal}, "
             "{name: team-b, owner: bob@acme.internal}]")
    tree = render(load_profile("preset:full", overrides=[URL, "spec.secrets.certificate=sealed-secrets.pem", store,
                                                          users, teams]))
    tree.write(tmp_path / "fork")
    built = kustomize.build_objects(tmp_path / "fork" / "user-namespace")
    profiles = sorted(d["metadata"]["name"] for d in built if d["kind"] == "Profile")
    sealed = {d["metadata"]["namespace"]: d for d in built
              if d["kind"] == "SealedSecret" and d["metadata"]["name"] == "artifact-store-credentials"}
    assert profiles == ["team-a", "team-b"] and sorted(sealed) == profiles
    for namespace, secret in sealed.items():
        values = {key: unseal(private_key, namespace, "artifact-store-credentials", base64.b64decode(value))
                  for key, value in secret["spec"]["encryptedData"].items()}
        assert values == {"accesskey": b"AKIAEXAMPLE", "secretkey": b"s3cret-key"}
        assert secret["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "1"  # after the Profiles
    workflows = kustomize.build_objects(tmp_path / "fork" / "pipelines")
    (config,) = [d for d in workflows if d["kind"] == "ConfigMap" and d["metadata"]["name"] ==
                 "workflow-controller-configmap"]
    assert "name: artifact-store-credentials" in config["data"]["artifactRepository"]  # the name Argo looks for
