"""The lock key: the user's secret that the lock's record of a sealed input is a MAC under.

The lock file says, for each sealed value, whether its input changed since it was sealed, so that
re-rendering does not re-seal (and churn) values whose inputs are the same. Recording a plain or salted
hash of the input would let anyone who reads the repository test guesses of human-chosen passwords
offline; a MAC under a key that is not in the repository does not. The key comes from
``ARGOFLOW_GEN_LOCK_KEY`` (at least 32 characters; share it in a team, and give it to CI that checks
sealed inputs), else from ``lock-key`` in the user's configuration folder, made on first need by a
command that writes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from .errors import SecretError

ENV = "ARGOFLOW_GEN_LOCK_KEY"
MIN_CHARS = 32
_MAX_BYTES = 4096


def key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "argoflow-gen" / "lock-key"


def load(*, create: bool) -> bytes | None:
    """The lock key, or None when there is none (and ``create`` is false)."""
    from .state.gate import NotRegular, read_bounded

    value = os.environ.get(ENV)
    if value is not None:
        if len(value.strip()) < MIN_CHARS:
            raise SecretError(f"{ENV} is shorter than {MIN_CHARS} characters",
                              hint="use a long random value, e.g. from: openssl rand -hex 32")
        return value.strip().encode("utf-8")
    path = key_file()
    try:
        raw = read_bounded(path, _MAX_BYTES, what=str(path))
    except NotRegular:
        raise SecretError(f"{path} is not a regular file", hint=f"remove it, or set {ENV}") from None
    if raw is not None:
        if len(raw.strip()) < MIN_CHARS:
            raise SecretError(f"{path} holds fewer than {MIN_CHARS} characters", hint=f"remove it, or set {ENV}")
        return raw.strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return load(create=False)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def key_id(key: bytes) -> str:
    """A public name of the key (it reveals nothing of it), so that a lock says which key made its MACs."""
    return hashlib.sha256(b"argoflow-gen lock key id\0" + key).hexdigest()[:16]


def input_mac(key: bytes, fingerprint: str, place: str, value: bytes) -> str:
    """``hmac-sha256:<key id>:<mac>`` of one sealed input at its place, for one certificate."""
    message = b"\0".join((b"argoflow-gen sealed input v2", fingerprint.encode(), place.encode(), value))
    return f"hmac-sha256:{key_id(key)}:{hmac.new(key, message, hashlib.sha256).hexdigest()}"


def mac_key_id(recorded: str) -> str | None:
    """The key id of a recorded MAC, None if it is not one."""
    parts = recorded.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "hmac-sha256" else None
