"""Secret inputs are bounded reads of regular files; the lock is no guessing oracle; forks sealed before the
lock key carry over without re-sealing."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.state import LOCK_FILE, parse_lock

from .conftest import load_yaml_documents, unseal
from .hostile import SEALED_PROFILE, invoke


@pytest.fixture
def lab(tmp_path: Path, sealing_keys: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_USER", "robot")
    (tmp_path / "password.txt").write_text("hunter2")
    return tmp_path


def _profile(lab: Path, certificate: Path, password: str = "password.txt") -> str:
    (lab / "sealed.yaml").write_text(SEALED_PROFILE.format(password=password, certificate=certificate))
    return str(lab / "sealed.yaml")


@pytest.mark.parametrize("source", ["/dev/zero", "fifo", "folder", "huge"])
def test_a_secret_file_must_be_a_small_regular_file(lab: Path, sealing_keys: tuple[Any, Path], source: str) -> None:
    if source == "fifo":
        os.mkfifo(lab / "pipe")
        path = str(lab / "pipe")
    elif source == "folder":
        path = str(lab)
    elif source == "huge":
        (lab / "huge.txt").write_bytes(b"x" * (7 << 20))  # 7 MiB: Kubernetes refuses a Secret over 1 MiB
        path = str(lab / "huge.txt")
    else:
        path = source
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.setdefault(
        "result", invoke("render", _profile(lab, sealing_keys[1], path), "-o", str(lab / "fork"))), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "reading the secret hung"
    result = outcome["result"]
    assert result.exit_code == 2, result.output
    expected = "over the limit" if source == "huge" else "is not a regular file"
    assert expected in result.stderr
    assert not (lab / "fork").exists()


def test_the_lock_is_not_a_guessing_oracle(lab: Path, sealing_keys: tuple[Any, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(lab, sealing_keys[1])
    monkeypatch.setenv("ARGOFLOW_GEN_LOCK_KEY", "a" * 64)
    assert invoke("render", profile, "-o", str(lab / "one")).exit_code == 0
    monkeypatch.setenv("ARGOFLOW_GEN_LOCK_KEY", "b" * 64)
    assert invoke("render", profile, "-o", str(lab / "two")).exit_code == 0
    one = parse_lock((lab / "one" / LOCK_FILE).read_text(), "one").sealed
    two = parse_lock((lab / "two" / LOCK_FILE).read_text(), "two").sealed
    place = "argocd/kubeflow-fork-repository/password"
    assert one[place].input.startswith("hmac-sha256:") and one[place].input != two[place].input
    # nothing computable from the password and public data is recorded
    text = (lab / "one" / LOCK_FILE).read_text()
    for guess in (b"hunter2", b"hunter2\n"):
        for digest in (hashlib.sha256(guess).hexdigest(), hashlib.sha1(guess).hexdigest()):
            assert digest not in text
    assert "scrypt:" not in text


def test_a_fork_sealed_before_the_lock_key_carries_over_without_resealing(lab: Path,
                                                                          sealing_keys: tuple[Any, Path]) -> None:
    from cryptography.hazmat.primitives import serialization

    profile = _profile(lab, sealing_keys[1])
    fork = lab / "fork"
    assert invoke("render", profile, "-o", str(fork)).exit_code == 0
    lock = parse_lock((fork / LOCK_FILE).read_text(), LOCK_FILE)
    der = sealing_keys[0].public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    fingerprint = hashlib.sha256(der).hexdigest()
    ciphertexts = {}
    for path in fork.rglob("*.yaml"):
        for document in load_yaml_documents(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "SealedSecret":
                meta = document["metadata"]
                for key, value in document["spec"]["encryptedData"].items():
                    ciphertexts[f"{meta['namespace']}/{meta['name']}/{key}"] = (meta, value)
    legacy = []  # the lock's sealed section as argoflow-gen 0.1.0 wrote it
    for place, entry in sorted(lock.sealed.items()):
        if entry.input.startswith("random:"):
            value = entry.input
        else:
            meta, ciphertext = ciphertexts[place]
            plain = unseal(sealing_keys[0], meta["namespace"], meta["name"], base64.b64decode(ciphertext))
            salt = f"{fingerprint}/{place}".encode()
            value = "scrypt:" + hashlib.scrypt(plain, salt=salt, n=2**14, r=8, p=1, dklen=32).hex()
        legacy.append(f"  {place}: {value}\n")
    assert any(line.split(": ")[1].startswith("scrypt:") for line in legacy)
    text = (fork / LOCK_FILE).read_text()
    text = text[: text.index("sealed:\n")] + "sealed:\n" + "".join(legacy)
    (fork / LOCK_FILE).write_text(text)
    sealed_files = {path: path.read_text() for path in fork.rglob("*.yaml") if "SealedSecret" in path.read_text()}

    result = invoke("render", profile, "-o", str(fork))
    assert result.exit_code == 0, result.output
    assert {path: path.read_text() for path in sealed_files} == sealed_files  # not one value sealed again
    carried = parse_lock((fork / LOCK_FILE).read_text(), LOCK_FILE).sealed
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", entry.ciphertext) for entry in carried.values())
    assert carried["argocd/kubeflow-fork-repository/password"].input.startswith("hmac-sha256:")


def test_without_the_lock_key_inputs_are_sealed_again_and_said_so(lab: Path, sealing_keys: tuple[Any, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    profile = _profile(lab, sealing_keys[1])
    fork = lab / "fork"
    monkeypatch.setenv("ARGOFLOW_GEN_LOCK_KEY", "a" * 64)
    assert invoke("render", profile, "-o", str(fork)).exit_code == 0
    assert invoke("render", profile, "-o", str(fork), "--check").exit_code == 0
    monkeypatch.setenv("ARGOFLOW_GEN_LOCK_KEY", "b" * 64)  # another machine, another key
    check = invoke("render", profile, "-o", str(fork), "--check")
    assert check.exit_code == 1
    assert "argocd/kubeflow-fork-repository/password: sealed again: it was sealed with lock key" in check.stderr
    assert "update    argocd/overlays/private-repo/repository-secret.yaml" in check.stdout
