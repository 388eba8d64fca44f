from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

from argoflow_gen.errors import SecretError
from argoflow_gen.sealing import encrypt_value, load_certificate, sealed_secret

NAMESPACE = "kubeflow"
NAME = "dex-passwords"
LABEL = b"kubeflow/dex-passwords"  # strict scope: namespace/name
HINT = "(get it with: kubeseal --fetch-cert > cert.pem)"

VALUES = {
    "empty": b"",
    "binary": bytes(range(256)) * 3,
    "unicode": "pässwörd ✓ 密码 😀".encode(),
    "10kb": random.Random(0).randbytes(10 * 1024),
    "one-byte": b"\x00",
}


# -- an independent unsealing, written from the controller's HybridDecrypt -----------------------------


def _unseal(private_key: rsa.RSAPrivateKey, label: bytes, blob: bytes) -> bytes:
    rsa_length = int.from_bytes(blob[:2], "big")
    rsa_part, aes_part = blob[2 : 2 + rsa_length], blob[2 + rsa_length :]
    session_key = private_key.decrypt(
        rsa_part,
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label),
    )
    assert len(session_key) == 32  # AES-256
    ciphertext, tag = aes_part[:-16], aes_part[-16:]
    decryptor = Cipher(algorithms.AES(session_key), modes.GCM(b"\x00" * 12, tag)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


# -- throwaway keys and certificates ------------------------------------------------------------------


def _certificate(
    key: CertificateIssuerPrivateKeyTypes,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> bytes:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret")])
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=3650))
        .sign(key, algorithm)
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=4096)


@pytest.fixture(scope="module")
def cert_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return _certificate(private_key)


@pytest.fixture(scope="module")
def public_key(cert_pem: bytes) -> rsa.RSAPublicKey:
    return load_certificate(cert_pem, "cert.pem")


@pytest.fixture(scope="module")
def other_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=4096)


# -- load_certificate -----------------------------------------------------------------------------------


def test_certificate_gives_its_rsa_public_key(private_key: rsa.RSAPrivateKey, cert_pem: bytes) -> None:
    assert cert_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    key = load_certificate(cert_pem, "cert.pem")
    assert key.public_numbers() == private_key.public_key().public_numbers()
    assert key.key_size == 4096


@pytest.mark.parametrize(
    "public_format", [serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1]
)
def test_bare_pem_public_key_is_accepted(
    private_key: rsa.RSAPrivateKey, public_format: serialization.PublicFormat
) -> None:
    pem = private_key.public_key().public_bytes(serialization.Encoding.PEM, public_format)
    key = load_certificate(pem, "key.pem")
    assert key.public_numbers() == private_key.public_key().public_numbers()


def test_certificate_with_surrounding_text_and_crlf_is_accepted(
    private_key: rsa.RSAPrivateKey, cert_pem: bytes
) -> None:
    pem = b"controller certificate:\r\n" + cert_pem.replace(b"\n", b"\r\n")
    key = load_certificate(pem, "cert.pem")
    assert key.public_numbers() == private_key.public_key().public_numbers()


def _bad_inputs() -> Iterator[Any]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = _certificate(rsa_key)
    der = x509.load_pem_x509_certificate(good).public_bytes(serialization.Encoding.DER)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    small_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    expired = _certificate(
        rsa_key,
        not_before=datetime(2019, 1, 1, tzinfo=UTC),
        not_after=datetime(2020, 1, 2, 12, 0, tzinfo=UTC),
    )
    not_pem = "cert.pem: not a PEM certificate or public key"
    yield pytest.param(b"", not_pem, id="empty")
    yield pytest.param(b"hello, not a certificate\n", not_pem, id="text")
    yield pytest.param(der, not_pem, id="der")
    yield pytest.param(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "cert.pem: the PEM certificate cannot be read",
        id="garbled-certificate",
    )
    yield pytest.param(
        good[: len(good) // 2] + b"\n-----END CERTIFICATE-----\n",
        "cert.pem: the PEM certificate cannot be read",
        id="truncated-certificate",
    )
    yield pytest.param(
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "cert.pem: the PEM public key cannot be read",
        id="garbled-public-key",
    )
    yield pytest.param(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "cert.pem: holds a private key; sealing needs only the public certificate",
        id="rsa-private-key",
    )
    yield pytest.param(
        rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "cert.pem: holds a private key; sealing needs only the public certificate",
        id="pkcs8-private-key",
    )
    yield pytest.param(_certificate(ec_key), "cert.pem: the key is an EC key, not RSA", id="ec-certificate")
    yield pytest.param(
        _certificate(ed_key), "cert.pem: the key is an Ed25519 key, not RSA", id="ed25519-certificate"
    )
    yield pytest.param(
        ed_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "cert.pem: the key is an Ed25519 key, not RSA",
        id="ed25519-public-key",
    )
    yield pytest.param(
        _certificate(small_key), "cert.pem: the RSA key has 1024 bits, fewer than 2048", id="rsa-1024"
    )
    yield pytest.param(expired, "cert.pem: the certificate expired on 2020-01-02", id="expired")


@pytest.mark.parametrize(("pem", "message"), list(_bad_inputs()))
def test_bad_certificate_input_is_refused(pem: bytes, message: str) -> None:
    with pytest.raises(SecretError) as info:
        load_certificate(pem, "cert.pem")
    assert str(info.value) == f"{message} {HINT}"
    assert info.value.exit_code == 2


def test_error_names_the_source() -> None:
    with pytest.raises(SecretError) as info:
        load_certificate(b"nope", "profiles/prod/sealed-secrets.pem")
    assert str(info.value) == f"profiles/prod/sealed-secrets.pem: not a PEM certificate or public key {HINT}"


# -- encrypt_value --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_sealed_value_unseals_to_the_input(
    private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey, value: bytes
) -> None:
    blob = encrypt_value(public_key, NAMESPACE, NAME, value)
    assert _unseal(private_key, LABEL, blob) == value


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_wire_format_lengths(public_key: rsa.RSAPublicKey, value: bytes) -> None:
    blob = encrypt_value(public_key, NAMESPACE, NAME, value)
    assert blob[:2] == b"\x02\x00"  # 512: the RSA-4096 ciphertext, big-endian
    assert len(blob) == 2 + 512 + len(value) + 16  # GCM adds a 16-byte tag and no nonce
    if len(value) >= 8:
        assert value not in blob


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(b"kubeflow/other-secret", id="other-name"),
        pytest.param(b"other-namespace/dex-passwords", id="other-namespace"),
        pytest.param(b"dex-passwords/kubeflow", id="swapped"),
        pytest.param(b"kubeflow/dex-passwords/", id="trailing-slash"),
        pytest.param(b"kubeflow", id="namespace-wide-scope"),
        pytest.param(b"", id="cluster-wide-scope"),
    ],
)
def test_a_different_scope_label_fails_to_unseal(
    private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey, label: bytes
) -> None:
    blob = encrypt_value(public_key, NAMESPACE, NAME, b"secret")
    assert _unseal(private_key, LABEL, blob) == b"secret"
    with pytest.raises(ValueError, match="Decryption failed"):
        _unseal(private_key, label, blob)


def test_another_key_fails_to_unseal(
    public_key: rsa.RSAPublicKey, other_private_key: rsa.RSAPrivateKey
) -> None:
    blob = encrypt_value(public_key, NAMESPACE, NAME, b"secret")
    with pytest.raises(ValueError, match="Decryption failed"):
        _unseal(other_private_key, LABEL, blob)


def test_two_seals_of_one_value_differ(private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey) -> None:
    first = encrypt_value(public_key, NAMESPACE, NAME, b"same value")
    second = encrypt_value(public_key, NAMESPACE, NAME, b"same value")
    assert first[2:514] != second[2:514]  # RSA-OAEP is randomised
    assert first[514:] != second[514:]  # and so is the session key
    assert _unseal(private_key, LABEL, first) == _unseal(private_key, LABEL, second)


def test_tampered_ciphertext_fails_to_unseal(
    private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey
) -> None:
    blob = bytearray(encrypt_value(public_key, NAMESPACE, NAME, b"secret"))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        _unseal(private_key, LABEL, bytes(blob))


# -- sealed_secret ---------------------------------------------------------------------------------------


def test_manifest_shape_is_exact(private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey) -> None:
    data = {"password": b"hunter2", "config.json": b'{"a": 1}', "EMPTY": b""}
    manifest = sealed_secret(
        public_key,
        namespace=NAMESPACE,
        name=NAME,
        data=data,
        type="kubernetes.io/basic-auth",
        labels={"b": "2", "a": "1"},
        annotations={"example.com/z": "z", "example.com/a": "a"},
    )
    encrypted = manifest["spec"]["encryptedData"]
    assert list(encrypted) == ["EMPTY", "config.json", "password"]
    assert manifest == {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "encryptedData": encrypted,
            "template": {
                "metadata": {
                    "name": NAME,
                    "namespace": NAMESPACE,
                    "labels": {"a": "1", "b": "2"},
                    "annotations": {"example.com/a": "a", "example.com/z": "z"},
                },
                "type": "kubernetes.io/basic-auth",
            },
        },
    }
    assert list(manifest["spec"]["template"]["metadata"]["labels"]) == ["a", "b"]
    for key, value in data.items():
        assert isinstance(encrypted[key], str)
        blob = base64.b64decode(encrypted[key], validate=True)
        assert _unseal(private_key, LABEL, blob) == value
    json.dumps(manifest)  # plain data only


def test_manifest_leaves_out_empty_labels_and_annotations(public_key: rsa.RSAPublicKey) -> None:
    manifest = sealed_secret(public_key, namespace=NAMESPACE, name=NAME, data={"k": b"v"})
    assert manifest["metadata"] == {"name": NAME, "namespace": NAMESPACE}
    assert manifest["spec"]["template"] == {
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "type": "Opaque",
    }
    assert list(manifest["spec"]) == ["encryptedData", "template"]


def test_manifest_holds_no_plaintext(private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey) -> None:
    secrets = {
        "password": b"correct-horse-battery-staple",
        "token": "très-secret-✓-0123456789".encode(),
    }
    manifest = sealed_secret(public_key, namespace=NAMESPACE, name=NAME, data=secrets)
    text = json.dumps(manifest, ensure_ascii=False)
    for value in secrets.values():
        assert value.decode() not in text
        assert base64.b64encode(value).decode() not in text
        assert base64.b64encode(value).decode().rstrip("=")[:-4] not in text
        assert value.hex() not in text
    for key, blob in manifest["spec"]["encryptedData"].items():
        assert _unseal(private_key, LABEL, base64.b64decode(blob)) == secrets[key]


def test_end_to_end_from_pem(private_key: rsa.RSAPrivateKey, cert_pem: bytes) -> None:
    manifest = sealed_secret(
        load_certificate(cert_pem, "cert.pem"), namespace="auth", name="dex.users", data={"a": b"b"}
    )
    blob = base64.b64decode(manifest["spec"]["encryptedData"]["a"])
    assert _unseal(private_key, b"auth/dex.users", blob) == b"b"
    with pytest.raises(ValueError, match="Decryption failed"):
        _unseal(private_key, b"kubeflow/dex.users", blob)


# -- refused names -----------------------------------------------------------------------------------------

NAMESPACE_HINT = "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
NAME_HINT = "at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
KEY_HINT = "at most 253 letters, digits, '-', '_' and '.'; not '.' and not starting with '..'"


@pytest.mark.parametrize(
    ("namespace", "name", "message"),
    [
        ("", NAME, f"namespace '' is not a valid Kubernetes namespace name ({NAMESPACE_HINT})"),
        (
            "Kubeflow",
            NAME,
            f"namespace 'Kubeflow' is not a valid Kubernetes namespace name ({NAMESPACE_HINT})",
        ),
        (
            "kube/flow",
            NAME,
            f"namespace 'kube/flow' is not a valid Kubernetes namespace name ({NAMESPACE_HINT})",
        ),
        ("a.b", NAME, f"namespace 'a.b' is not a valid Kubernetes namespace name ({NAMESPACE_HINT})"),
        (
            "a" * 64,
            NAME,
            f"namespace '{'a' * 64}' is not a valid Kubernetes namespace name ({NAMESPACE_HINT})",
        ),
        (NAMESPACE, "", f"secret name '' is not a valid Kubernetes object name ({NAME_HINT})"),
        (NAMESPACE, "-dex", f"secret name '-dex' is not a valid Kubernetes object name ({NAME_HINT})"),
        (NAMESPACE, "dex/pw", f"secret name 'dex/pw' is not a valid Kubernetes object name ({NAME_HINT})"),
        (NAMESPACE, "dex..pw", f"secret name 'dex..pw' is not a valid Kubernetes object name ({NAME_HINT})"),
        (NAMESPACE, "dex\n", f"secret name 'dex\\n' is not a valid Kubernetes object name ({NAME_HINT})"),
    ],
)
def test_invalid_namespace_or_name_is_refused(
    public_key: rsa.RSAPublicKey, namespace: str, name: str, message: str
) -> None:
    with pytest.raises(SecretError) as info:
        encrypt_value(public_key, namespace, name, b"v")
    assert str(info.value) == message
    with pytest.raises(SecretError) as info:
        sealed_secret(public_key, namespace=namespace, name=name, data={"k": b"v"})
    assert str(info.value) == message


def test_longest_valid_names_are_accepted(
    private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey
) -> None:
    namespace, name = "n" * 63, ".".join(["a" * 63] * 4)[:253]
    assert len(name) == 253
    blob = encrypt_value(public_key, namespace, name, b"v")
    assert _unseal(private_key, f"{namespace}/{name}".encode(), blob) == b"v"


@pytest.mark.parametrize("key", ["", "a b", "a/b", ".", "..", "..a", "ключ", "k" * 254])
def test_invalid_data_key_is_refused(public_key: rsa.RSAPublicKey, key: str) -> None:
    with pytest.raises(SecretError) as info:
        sealed_secret(public_key, namespace=NAMESPACE, name=NAME, data={"ok": b"", key: b"v"})
    assert (
        str(info.value)
        == f"secret {NAMESPACE}/{NAME}: data key {key!r} is not a valid Secret key ({KEY_HINT})"
    )


@pytest.mark.parametrize("key", [".dockerconfigjson", "a..b", "tls.crt", "A_b-C.9", "k" * 253])
def test_valid_data_keys_are_accepted(public_key: rsa.RSAPublicKey, key: str) -> None:
    manifest = sealed_secret(public_key, namespace=NAMESPACE, name=NAME, data={key: b"v"})
    assert list(manifest["spec"]["encryptedData"]) == [key]
