"""Shared fixtures: the offline kustomize, the Argo CD CRD schemas, a sealed-secrets key pair."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KUSTOMIZE_OFFLINE = SHARED / "upstream" / "kustomize-offline"
SCHEMAS = SHARED / "schemas"
#: The fork the tests render presets for: preset:base's own URL is a placeholder that validation refuses.
FORK_URL = "https://git.acme.internal/platform/kubeflow-gitops.git"
FORK = f"spec.repo.url={FORK_URL}"


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of a YAML stream (ruamel's C parser: built manifests run to megabytes)."""
    from argoflow_gen.yamlio import load_all_plain

    return load_all_plain(text)


class Kustomize:
    """Builds folders with the real kustomize (offline), caching results by the folder's content."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _key(folder: Path) -> str:
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def build(self, folder: Path) -> str:
        import fcntl

        cached = self.cache / f"{self._key(folder)}.yaml"
        if cached.exists():
            return cached.read_text(encoding="utf-8")
        with open(cached.with_suffix(".lock"), "a") as lock:  # one build per content, across xdist workers
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            if cached.exists():
                return cached.read_text(encoding="utf-8")
            return self._build(folder, cached)

    def _build(self, folder: Path, cached: Path) -> str:
        result = subprocess.run([str(KUSTOMIZE_OFFLINE), str(folder)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"kustomize build of {folder} failed:\n{result.stderr[-3000:]}")
        temp = cached.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(result.stdout, encoding="utf-8")
        os.replace(temp, cached)
        return result.stdout

    def build_objects(self, folder: Path) -> list[dict[str, Any]]:
        return load_yaml_documents(self.build(folder))


@pytest.fixture(autouse=True, scope="session")
def _private_configuration(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The user's configuration folder (where the lock key is made) is a throwaway one for the tests."""
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    os.environ.pop("ARGOFLOW_GEN_LOCK_KEY", None)


@pytest.fixture(scope="session")
def kustomize(tmp_path_factory: pytest.TempPathFactory) -> Kustomize:
    if not KUSTOMIZE_OFFLINE.exists():
        pytest.fail(f"{KUSTOMIZE_OFFLINE} is missing")
    return Kustomize(tmp_path_factory.getbasetemp().parent / "kustomize-cache")


@pytest.fixture(scope="session")
def kube_binaries() -> tuple[Path, Path]:
    """kube-apiserver and etcd (scripts/test-tools); the API-server tier is skipped without them, and fails
    instead when ARGOFLOW_GEN_REQUIRE_APISERVER=1 (as in CI)."""
    from .kubeserver import REQUIRE, find_binaries

    found = find_binaries()
    if isinstance(found, str):
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but {found}")
        pytest.skip(found)
    return found


@pytest.fixture
def kube_server(kube_binaries: tuple[Path, Path]) -> Iterator[Any]:
    """A fresh, empty kube-apiserver + etcd for one test (about 3 s to start), stopped after it."""
    from .kubeserver import start

    server = start(*kube_binaries)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tier_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this run, shared by its xdist workers (renders and builds of the API-server tier)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "apiserver-tier"


@pytest.fixture(scope="session")
def application_validator(application_schema: Mapping[str, Any]) -> Any:
    """A validator for the Application CRD's OpenAPI v3 schema (JSON Schema draft 4/7 keywords)."""
    import jsonschema

    jsonschema.Draft7Validator.check_schema(application_schema)
    return jsonschema.Draft7Validator(application_schema)


@pytest.fixture(scope="session")
def application_schema() -> Mapping[str, Any]:
    (crd,) = load_yaml_documents((SCHEMAS / "argocd-application-crd.yaml").read_text())
    for version in crd["spec"]["versions"]:
        if version["name"] == "v1alpha1":
            schema: Mapping[str, Any] = version["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError("no v1alpha1 in the Application CRD")


@pytest.fixture(scope="session")
def sealing_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """A throwaway RSA key pair and self-signed certificate, as `kubeseal --fetch-cert` would print it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("sealing") / "sealed-secrets.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, path


def unseal(private_key: Any, namespace: str, name: str, blob: bytes) -> bytes:
    """The sealed-secrets controller's decryption, written independently of the code under test."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    size = int.from_bytes(blob[:2], "big")
    session = private_key.decrypt(
        blob[2:2 + size],
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                     label=f"{namespace}/{name}".encode()),
    )
    return AESGCM(session).decrypt(b"\0" * 12, blob[2 + size:], None)


class TextSnapshot(SingleFileSnapshotExtension):
    """Snapshots kept as plain text files, one per test (error messages, listings)."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def sealed_env(sealing_keys: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the controller certificate, with the git credentials in the environment."""
    _key, certificate = sealing_keys
    shutil.copy(certificate, tmp_path / "sealed-secrets.pem")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_USERNAME", "robot")
    monkeypatch.setenv("GIT_PASSWORD", "ghp_s3cret-token-value")
    return tmp_path


@pytest.fixture(scope="session")
def offline_git(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git config that sends GitHub URLs to the offline upstream bundle (``kustomize-offline --gitconfig``)."""
    config = tmp_path_factory.mktemp("git") / "offline.gitconfig"
    config.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                                     check=True).stdout)
    return config


@pytest.fixture
def text_snapshot(snapshot: Any) -> Any:
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture
def run() -> Any:
    """Invoke `argoflow-gen diff ARGS...` through click's runner."""
    from argoflow_gen.cli import cli

    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["diff", *args], catch_exceptions=False)

    return invoke
