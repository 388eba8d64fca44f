"""A real kube-apiserver and etcd on 127.0.0.1, for the API-server test tier.

The binaries come from ``scripts/test-tools`` (built from Go modules, never downloaded), named by
ARGOFLOW_GEN_KUBE_APISERVER and ARGOFLOW_GEN_ETCD, or found in the tools cache. Each server gets free
ports, a throwaway data folder (in memory when /dev/shm has room), a throwaway CA and serving certificate,
an admin token in group system:masters, RBAC, and ``--enable-aggregator-routing`` so that webhook and
aggregated-API calls resolve through Endpoints, which never exist here: nothing is dialled off loopback.
Both processes are stopped by their PIDs.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

KUBE_VERSION = "1.34.4"
REQUIRE = "ARGOFLOW_GEN_REQUIRE_APISERVER"
TOKEN = "argoflow-gen-test-admin-token"


class _Exited(RuntimeError):
    """A process ended while starting (most likely a port taken between choosing and binding it)."""


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "argoflow-gen" / "tools"


def find_helm() -> Path | None:
    helm = os.environ.get("ARGOFLOW_GEN_HELM") or str(_cache() / "helm-v3.19.5" / "helm")
    return Path(helm) if os.access(helm, os.X_OK) else None


def find_binaries() -> tuple[Path, Path] | str:
    """(kube-apiserver, etcd), or why they (or helm, which builds Helm-sourced Applications) are missing."""
    apiserver = os.environ.get("ARGOFLOW_GEN_KUBE_APISERVER") or str(
        _cache() / f"kube-apiserver-v{KUBE_VERSION}" / "kube-apiserver")
    etcd = os.environ.get("ARGOFLOW_GEN_ETCD")
    if not etcd:
        found = sorted(p for p in _cache().glob("etcd-*/etcd") if not p.parent.name.endswith(".tmp"))
        etcd = str(found[-1]) if found else ""
    for name, path in (("kube-apiserver", apiserver), ("etcd", etcd)):
        if not path or not os.access(path, os.X_OK):
            return (f"{name} not found ({path or 'no ARGOFLOW_GEN_ETCD'}): run scripts/test-tools "
                    "and export what `scripts/test-tools --print-env` prints")
    if find_helm() is None:
        return "helm not found (no ARGOFLOW_GEN_HELM): run scripts/test-tools"
    return Path(apiserver), Path(etcd)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificates(folder: Path) -> None:
    """A CA, a serving certificate for 127.0.0.1 signed by it, and the service-account signing key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argoflow-gen-test-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    sa_key = ec.generate_private_key(ec.SECP256R1())
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key").write_bytes(pem_key(ca_key))  # tests sign client certificates with it
    (folder / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tls.key").write_bytes(pem_key(key))
    (folder / "sa.key").write_bytes(pem_key(sa_key))
    (folder / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (folder / "tokens.csv").write_text(f"{TOKEN},admin,admin,system:masters\n", encoding="utf-8")


def _scratch() -> str | None:
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if stats.f_bavail * stats.f_frsize >= 2 << 30 else None


@dataclass
class Server:
    """A running etcd and kube-apiserver; ``stop`` ends both and removes their folder."""

    folder: Path
    url: str
    etcd: subprocess.Popen[bytes]
    apiserver: subprocess.Popen[bytes]
    started_in: float

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    def stop(self) -> None:
        for process in (self.apiserver, self.etcd):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in (self.apiserver, self.etcd):  # nothing here is worth a long graceful shutdown
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        shutil.rmtree(self.folder, ignore_errors=True)


def _wait_ready(url: str, ca: Path, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    request = urllib.request.Request(f"{url}/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise _Exited(f"{log.stem} exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"kube-apiserver at {url} was not ready within 90 s")


def start(apiserver_binary: Path, etcd_binary: Path) -> Server:
    """Start etcd and kube-apiserver on free loopback ports; returns when the API server is ready. A start that
    loses a port race to another process is tried again, on new ports."""
    for attempt in range(3):
        try:
            return _start(apiserver_binary, etcd_binary)
        except _Exited:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


SETTLED = ("/api/v1/namespaces/default/services/kubernetes", "/api/v1/namespaces/kube-node-lease",
           "/api/v1/namespaces/kube-public",
           "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication")


def _wait_settled(server: Server) -> None:
    """Ready is not settled: the API server creates its own objects (the default/kubernetes Service, the system
    namespaces, its authentication ConfigMap) a moment later. Tests comparing the cluster before and after
    something need them there first."""
    context = ssl.create_default_context(cafile=str(server.ca))
    deadline = time.monotonic() + 30
    for path in SETTLED:
        request = urllib.request.Request(f"{server.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
        while True:
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"kube-apiserver at {server.url} never created {path}")
            time.sleep(0.1)


def _start(apiserver_binary: Path, etcd_binary: Path) -> Server:
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="argoflow-gen-apiserver-", dir=_scratch()))
    _certificates(folder)
    client_port, peer_port, secure_port = _free_port(), _free_port(), _free_port()
    etcd_url = f"http://127.0.0.1:{client_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    etcd_log, apiserver_log = folder / "etcd.log", folder / "kube-apiserver.log"
    with etcd_log.open("wb") as log:
        etcd = subprocess.Popen(
            [str(etcd_binary), "--name", "test", "--data-dir", str(folder / "etcd"),
             "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
             "--initial-cluster", f"test={peer_url}", "--log-level", "warn"],
            stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
    with apiserver_log.open("wb") as log:
        apiserver = subprocess.Popen(
            [str(apiserver_binary), "--etcd-servers", etcd_url, "--bind-address", "127.0.0.1",
             "--advertise-address", "127.0.0.1", "--secure-port", str(secure_port),
             "--tls-cert-file", str(folder / "tls.crt"), "--tls-private-key-file", str(folder / "tls.key"),
             "--client-ca-file", str(folder / "ca.crt"),
             "--token-auth-file", str(folder / "tokens.csv"), "--authorization-mode", "RBAC",
             "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
             "--service-account-key-file", str(folder / "sa.pub"),
             "--service-account-signing-key-file", str(folder / "sa.key"),
             "--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none",
             "--enable-aggregator-routing=true", "--allow-privileged=true", "--profiling=false",
             "--cert-dir", str(folder / "certs")],
            stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{secure_port}"
    server = Server(folder, url, etcd, apiserver, 0.0)
    try:
        _wait_ready(url, folder / "ca.crt", [etcd, apiserver], [etcd_log, apiserver_log])
    except BaseException:
        server.stop()
        raise
    _wait_settled(server)
    server.started_in = time.monotonic() - began
    server.kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        f"clusters:\n- name: test\n  cluster:\n    server: {url}\n    certificate-authority: ca.crt\n"
        f"users:\n- name: admin\n  user:\n    token: {TOKEN}\n"
        "contexts:\n- name: test\n  context:\n    cluster: test\n    user: admin\n", encoding="utf-8")
    return server
