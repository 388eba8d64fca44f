"""Reading a kubeconfig the way kubectl does, and each kind of credential against the throwaway API server."""

from __future__ import annotations

import base64
import datetime
import json
import sys
from pathlib import Path

import pytest

from argoflow_gen.errors import VerifyError
from argoflow_gen.verify.client import Client
from argoflow_gen.verify.kubeconfig import load_credentials

from .kubeserver import Server


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_context_names_the_known_ones(tmp_path: Path) -> None:
    config = _write(tmp_path / "config", "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
                    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
                    "users: [{name: u, user: {token: t}}]\n"
                    "contexts: [{name: a, context: {cluster: c, user: u}},\n"
                    "           {name: b, context: {cluster: c, user: u}}]\n")
    with pytest.raises(VerifyError) as caught:
        load_credentials(config, "prod")
    assert str(caught.value) == "no context 'prod' in the kubeconfig (contexts: a, b)"
    assert load_credentials(config).context == "a"
    assert load_credentials(config, "b").token == "t"


def test_kubeconfig_files_merge_first_one_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _write(tmp_path / "first", "current-context: dev\nusers: [{name: me, user: {token: first}}]\n"
                   "contexts: [{name: dev, context: {cluster: shared, user: me}}]\n")
    second = _write(tmp_path / "second", "current-context: other\n"
                    "clusters: [{name: shared, cluster: {server: 'https://10.0.0.1:6443/', "
                    "insecure-skip-tls-verify: true}}]\nusers: [{name: me, user: {token: second}}]\n")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    credentials = load_credentials()
    assert (credentials.context, credentials.server, credentials.token, credentials.insecure) == \
        ("dev", "https://10.0.0.1:6443", "first", True)


def test_auth_providers_are_refused_with_a_hint(tmp_path: Path) -> None:
    config = _write(tmp_path / "config", "current-context: a\n"
                    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
                    "users: [{name: u, user: {auth-provider: {name: oidc}}}]\n"
                    "contexts: [{name: a, context: {cluster: c, user: u}}]\n")
    with pytest.raises(VerifyError, match=r"uses an auth-provider.*use the exec credential plugin form"):
        load_credentials(config)


def _cluster(server: Server) -> str:
    ca = base64.b64encode(server.ca.read_bytes()).decode()
    return f"clusters: [{{name: test, cluster: {{server: '{server.url}', certificate-authority-data: {ca}}}}}]\n"


@pytest.mark.apiserver
def test_an_exec_credential_plugin_authenticates(kube_server: Server, tmp_path: Path) -> None:
    from .kubeserver import TOKEN

    plugin = _write(tmp_path / "plugin.py", "import json, os, sys\n"
                    "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
                    "assert info['spec']['interactive'] is False and sys.argv[1:] == ['--role', 'admin']\n"
                    "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',\n"
                    f"                  'status': {{'token': os.environ['PREFIX'] + '{TOKEN[6:]}'}}}}))\n")
    user = {"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                           "command": sys.executable, "args": [plugin.name, "--role", "admin"],
                                           "env": [{"name": "PREFIX", "value": TOKEN[:6]}]}}}
    config = _write(tmp_path / "config", "current-context: test\n" + _cluster(kube_server) +
                    f"users: [{json.dumps(user)}]\ncontexts: [{{name: test, context: {{cluster: test, user: u}}}}]\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        credentials = load_credentials(config)
    with Client(credentials) as client:
        assert client.version()["gitVersion"] == "v1.34.4"
        assert client.get("/api/v1/namespaces/kube-system")["metadata"]["name"] == "kube-system"


@pytest.mark.apiserver
def test_a_client_certificate_authenticates(kube_server: Server, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_cert = x509.load_pem_x509_certificate(kube_server.ca.read_bytes())
    ca_key = serialization.load_pem_private_key((kube_server.folder / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ada"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ada.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_data = base64.b64encode(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())).decode()
    config = _write(tmp_path / "config", "current-context: test\n" + _cluster(kube_server) +
                    f"users: [{{name: ada, user: {{client-certificate: ada.crt, client-key-data: {key_data}}}}}]\n"
                    "contexts: [{name: test, context: {cluster: test, user: ada}}]\n")
    with Client(load_credentials(config)) as client:
        review = client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert review.ok, review.message
    assert review.body["status"]["userInfo"]["username"] == "ada"
    assert "system:masters" in review.body["status"]["userInfo"]["groups"]


@pytest.mark.apiserver
def test_the_certificate_is_checked_against_tls_server_name(kube_server: Server, tmp_path: Path) -> None:
    from .kubeserver import TOKEN

    def config(name: str) -> Path:
        cluster = _cluster(kube_server).replace("certificate-authority-data", f"tls-server-name: {name}, "
                                                "certificate-authority-data")
        return _write(tmp_path / f"config-{name}", "current-context: test\n" + cluster +
                      f"users: [{{name: u, user: {{token: {TOKEN}}}}}]\n"
                      "contexts: [{name: test, context: {cluster: test, user: u}}]\n")

    with Client(load_credentials(config("localhost"))) as client:
        assert client.version()["gitVersion"] == "v1.34.4"
    with Client(load_credentials(config("api.example.com"))) as client, \
            pytest.raises(VerifyError, match=r"cannot reach the API server .*certificate verify failed"):
        client.version()


def test_a_read_only_client_refuses_to_write_before_sending_anything() -> None:
    from argoflow_gen.verify.kubeconfig import Credentials

    client = Client(Credentials(context="c", server="https://127.0.0.1:9"), read_only=True)
    with pytest.raises(VerifyError, match=r"^refusing DELETE /api/v1/namespaces/kubeflow: this client only reads"):
        client.request("DELETE", "/api/v1/namespaces/kubeflow")
    with pytest.raises(VerifyError, match=r"^cannot reach the API server"):  # a dry run is let through
        client.request("POST", "/api/v1/namespaces", {}, query=[("dryRun", "All")])
