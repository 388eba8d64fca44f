"""No secret lands in the tree in plaintext: hashing, offline sealing, stable re-renders, in-cluster generation."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from click.testing import CliRunner

from argoflow_gen.cli import cli

from .conftest import FORK, load_yaml_documents, unseal

GIT_TOKEN = "ghp_Zq8s3cr3tT0k3nV4lue"
OIDC_SECRET = "oidc-client-s3cret/with+symbols="
USER_HASH = "$2y$12$abcdefghijklmnopqrstuu5Yp0M5xfnfxnbJ5gWTXwSTnJrGdTuK2"


def test_hash_password_from_stdin_is_a_dex_ready_bcrypt_hash() -> None:
    result = CliRunner().invoke(cli, ["hash-password", "--stdin"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    hashed = result.stdout.strip()
    assert hashed.startswith("$2y$12$")
    assert bcrypt.checkpw(b"correct horse battery", hashed.replace("$2y$", "$2b$", 1).encode())


def test_hash_password_cost_and_refusal() -> None:
    result = CliRunner().invoke(cli, ["hash-password", "--stdin", "--cost", "5"], input="pw\n")
    assert result.stdout.startswith("$2y$05$")
    too_long = CliRunner().invoke(cli, ["hash-password", "--stdin"], input="é" * 37 + "\n")
    assert too_long.exit_code == 2
    assert "74 bytes" in too_long.stderr
    assert "Traceback" not in too_long.output


def test_hash_password_prompts_twice() -> None:
    result = CliRunner().invoke(cli, ["hash-password"], input="s3cret\ns3cret\n")
    assert result.exit_code == 0
    hashed = result.stdout.strip().splitlines()[-1]
    assert bcrypt.checkpw(b"s3cret", hashed.replace("$2y$", "$2b$", 1).encode())
    mismatch = CliRunner().invoke(cli, ["hash-password"], input="one\ntwo\none\none\n")
    assert "do not match" in mismatch.output


PROFILE = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {name: private-lab}
extends: [preset:full]
spec:
  repo:
    url: https://git.acme.internal/lab/kubeflow.git
    private: true
    credentials:
      sealed:
        type: https
        username: {env: LAB_GIT_USER}
        password: {env: LAB_GIT_TOKEN}
  secrets:
    certificate: cert.pem
    randomSecrets: sealed
  identity:
    users:
      - {email: ada@example.org, username: ada, passwordHashFrom: {sealed: {file: ada.hash}}}
    oidc:
      issuer: https://login.example.org
      clientId: kubeflow
      clientSecret: {sealed: {env: LAB_OIDC_SECRET}}
"""


@pytest.fixture
def lab(tmp_path: Path, sealing_keys: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    _key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "cert.pem")
    (tmp_path / "ada.hash").write_text(USER_HASH)
    (tmp_path / "lab.yaml").write_text(PROFILE)
    monkeypatch.setenv("LAB_GIT_USER", "robot")
    monkeypatch.setenv("LAB_GIT_TOKEN", GIT_TOKEN)
    monkeypatch.setenv("LAB_OIDC_SECRET", OIDC_SECRET)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _render(folder: Path, *extra: str) -> Any:
    result = CliRunner().invoke(cli, ["render", "lab.yaml", "-o", str(folder), *extra])
    assert result.exit_code == 0, result.output
    return result


def _sealed(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(root.rglob("*.yaml")):
        for document in load_yaml_documents(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "SealedSecret":
                found.append((path, document))
    return found


def _decrypt(private_key: Any, document: dict[str, Any]) -> dict[str, bytes]:
    meta = document["metadata"]
    return {key: unseal(private_key, meta["namespace"], meta["name"], base64.b64decode(value))
            for key, value in document["spec"]["encryptedData"].items()}


def test_sealed_secrets_decrypt_to_exactly_the_inputs(lab: Path, sealing_keys: tuple[Any, Path]) -> None:
    private_key, _ = sealing_keys
    _render(lab / "fork")
    sealed = {(d["metadata"]["namespace"], d["metadata"]["name"]): (p, d) for p, d in _sealed(lab / "fork")}
    path, repository = sealed[("argocd", "kubeflow-fork-repository")]
    assert path == lab / "fork/argocd/overlays/private-repo/repository-secret.yaml"
    assert _decrypt(private_key, repository) == {"url": b"https://git.acme.internal/lab/kubeflow.git",
                                                 "type": b"git", "username": b"robot",
                                                 "password": GIT_TOKEN.encode()}
    assert repository["spec"]["template"]["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    _, dex = sealed[("auth", "dex-static-passwords-sealed")]
    assert _decrypt(private_key, dex) == {"DEX_USER_0_HASH": USER_HASH.encode(),
                                          "OIDC_CONNECTOR_CLIENT_SECRET": OIDC_SECRET.encode()}
    _, client = sealed[("auth", "dex-oidc-client")]
    _, proxy = sealed[("oauth2-proxy", "oauth2-proxy")]
    dex_client, proxy_values = _decrypt(private_key, client), _decrypt(private_key, proxy)
    assert dex_client["OIDC_CLIENT_SECRET"] == proxy_values["client-secret"]  # the two sides agree
    assert len(proxy_values["cookie-secret"]) == 32
    assert dex_client["OIDC_CLIENT_ID"] == proxy_values["client-id"] == b"kubeflow-oidc-authservice"
    assert ("kubeflow", "mlpipeline-minio-artifact") in sealed
    # the private-repo overlay carries the repository secret; the argocd Application syncs that overlay
    overlay = load_yaml_documents((lab / "fork/argocd/overlays/private-repo/kustomization.yaml").read_text())[0]
    assert overlay["resources"] == ["../../base", "repository-secret.yaml"]
    (app,) = load_yaml_documents((lab / "fork/argocd-applications/argocd.yaml").read_text())
    assert app["spec"]["source"]["path"] == "argocd/overlays/private-repo"


def test_no_input_secret_appears_anywhere_in_the_tree(lab: Path) -> None:
    _render(lab / "fork")
    text = "\n".join(p.read_text() for p in (lab / "fork").rglob("*") if p.is_file())
    for value in (GIT_TOKEN, OIDC_SECRET, USER_HASH):
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form not in text


def test_rerender_of_a_sealed_profile_is_byte_identical(lab: Path) -> None:
    _render(lab / "fork")
    before = {p: p.read_bytes() for p in (lab / "fork").rglob("*") if p.is_file()}
    result = _render(lab / "fork")
    after = {p: p.read_bytes() for p in (lab / "fork").rglob("*") if p.is_file() and p.name != "write.lock"}
    assert after == before
    assert "0 updated" in result.stdout


def test_a_changed_input_reseals_only_that_value(lab: Path, monkeypatch: pytest.MonkeyPatch,
                                                 sealing_keys: tuple[Any, Path]) -> None:
    private_key, _ = sealing_keys
    _render(lab / "fork")
    before = {d["metadata"]["name"]: d for _p, d in _sealed(lab / "fork")}
    monkeypatch.setenv("LAB_GIT_TOKEN", "ghp_rotated")
    _render(lab / "fork")
    after = {d["metadata"]["name"]: d for _p, d in _sealed(lab / "fork")}
    old, new = before["kubeflow-fork-repository"], after["kubeflow-fork-repository"]
    assert new["spec"]["encryptedData"]["password"] != old["spec"]["encryptedData"]["password"]
    assert new["spec"]["encryptedData"]["username"] == old["spec"]["encryptedData"]["username"]
    assert _decrypt(private_key, new)["password"] == b"ghp_rotated"
    for name in ("dex-oidc-client", "oauth2-proxy", "dex-static-passwords-sealed"):
        assert after[name] == before[name]


def test_rotate_secrets_makes_new_random_values(lab: Path, sealing_keys: tuple[Any, Path]) -> None:
    private_key, _ = sealing_keys
    _render(lab / "fork")
    before = {d["metadata"]["name"]: _decrypt(private_key, d) for _p, d in _sealed(lab / "fork")}
    _render(lab / "fork", "--rotate-secrets")
    after = {d["metadata"]["name"]: _decrypt(private_key, d) for _p, d in _sealed(lab / "fork")}
    assert after["oauth2-proxy"]["cookie-secret"] != before["oauth2-proxy"]["cookie-secret"]
    assert after["dex-oidc-client"]["OIDC_CLIENT_SECRET"] == after["oauth2-proxy"]["client-secret"]
    assert after["kubeflow-fork-repository"] == before["kubeflow-fork-repository"]


def test_lock_records_keyed_digests_never_values(lab: Path) -> None:
    _render(lab / "fork")
    lock = load_yaml_documents((lab / "fork/.argoflow-gen/lock.yaml").read_text())[0]
    sealed = lock["sealed"]
    password = sealed["argocd/kubeflow-fork-repository/password"]
    assert password["input"].startswith("hmac-sha256:")  # a MAC under the user's lock key: no guessing oracle
    assert password["ciphertext"].startswith("sha256:")
    assert sealed["oauth2-proxy/oauth2-proxy/cookie-secret"]["input"].startswith("random:")
    assert GIT_TOKEN not in str(lock)


def test_a_missing_environment_variable_is_a_clear_error(lab: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAB_GIT_TOKEN")
    result = CliRunner().invoke(cli, ["render", "lab.yaml", "-o", str(lab / "fork")])
    assert result.exit_code == 2
    assert result.stderr == ("environment variable LAB_GIT_TOKEN is not set "
                             "(export it before rendering; its value is sealed, never written)\n")
    assert not (lab / "fork").exists()


def test_generated_mode_puts_no_secret_value_in_git(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "preset:full", "--set", FORK, "-o", str(tmp_path / "fork")])
    assert result.exit_code == 0, result.output
    assert not _sealed(tmp_path / "fork")
    job = load_yaml_documents((tmp_path / "fork/oauth2-proxy/oauth2-proxy-secrets.yaml").read_text())[-1]
    assert job["kind"] == "Job"
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Sync"
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "Prune=false,Delete=false" in script
    assert "kubectl get secret -n auth dex-oidc-client" in script  # copies the one client secret
    assert re.search(r"if kubectl get secret -n oauth2-proxy oauth2-proxy ", script)  # only if missing
    roles = [d for d in load_yaml_documents((tmp_path / "fork/oauth2-proxy/oauth2-proxy-secrets.yaml").read_text())
             if d["kind"] == "Role"]
    assert {r["metadata"]["namespace"]: r["rules"] for r in roles} == {
        "oauth2-proxy": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
                         {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["oauth2-proxy"],
                          "verbs": ["get"]}],
        "auth": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["dex-oidc-client"],
                  "verbs": ["get"]}],
    }
    readme = (tmp_path / "fork/README.md").read_text()
    assert "`auth/dex-static-passwords`" in readme  # the user's hash Secret is documented, with a recipe


@pytest.mark.kustomize
def test_sealed_tree_builds(lab: Path, kustomize: Any) -> None:
    _render(lab / "fork")
    for folder in ("dex", "oauth2-proxy", "pipelines", "katib", "model-registry", "argocd/overlays/private-repo"):
        kinds = {(d["kind"], d["metadata"]["name"]) for d in kustomize.build_objects(lab / "fork" / folder)}
        assert any(kind == "SealedSecret" for kind, _name in kinds), folder
        assert not any(kind == "Job" for kind, _name in kinds), folder
    dex = kustomize.build_objects(lab / "fork" / "dex")
    (deployment,) = [d for d in dex if d["kind"] == "Deployment"]
    env = {e["name"]: e.get("valueFrom") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DEX_USER_0_HASH"] == {"secretKeyRef": {"name": "dex-static-passwords-sealed", "key": "DEX_USER_0_HASH"}}
    config = load_yaml_documents(next(d for d in dex if d["kind"] == "ConfigMap")["data"]["config.yaml"])[0]
    assert config["connectors"][0]["config"]["clientSecret"] == "$OIDC_CONNECTOR_CLIENT_SECRET"
