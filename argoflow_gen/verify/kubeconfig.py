"""Reading a kubeconfig into the credentials of one context, the way kubectl reads it.

``$KUBECONFIG`` may name several files (``:``-separated); for each cluster, user and context name the first
file that defines it wins, as does the first ``current-context``. Supported credentials: a bearer token
(inline or ``tokenFile``), a client certificate and key (inline or files), and an ``exec`` credential plugin
(EKS, GKE, AKS, OIDC login helpers). Paths in a kubeconfig are relative to its own folder. Every read is
bounded; nothing is written.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import VerifyError

MAX_FILE_BYTES = 4 * 1024 * 1024
_EXEC_TIMEOUT = 120
_EXEC_OUTPUT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """How to reach and authenticate to one cluster."""

    context: str
    server: str
    ca_data: bytes | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    token: str | None = None
    cert_data: bytes | None = None
    key_data: bytes | None = None


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise VerifyError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise VerifyError(f"{what} {path} is larger than {MAX_FILE_BYTES} bytes")
    return data


def _files(path: str | Path | None) -> list[Path]:
    if path is not None:
        return [Path(path)]
    listed = [Path(item) for item in os.environ.get("KUBECONFIG", "").split(os.pathsep) if item]
    if listed:
        return listed
    return [Path.home() / ".kube" / "config"]


def _named(document: Mapping[str, Any], section: str, field: str) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    entries = document.get(section)
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and isinstance(entry.get(field), Mapping):
            found.setdefault(entry["name"], entry[field])
    return found


@dataclass(frozen=True)
class _Entry:
    value: Mapping[str, Any]
    folder: Path  # the folder of the file that defined it: relative paths start there


def _merged(paths: Sequence[Path]) -> tuple[dict[str, dict[str, _Entry]], str | None]:
    from ..yamlio import load_all_plain

    sections: dict[str, dict[str, _Entry]] = {"clusters": {}, "users": {}, "contexts": {}}
    fields = {"clusters": "cluster", "users": "user", "contexts": "context"}
    current: str | None = None
    readable = 0
    for path in paths:
        if len(paths) > 1 and not path.exists():
            continue  # kubectl skips missing files of a KUBECONFIG list
        raw = _read(path, "kubeconfig")
        readable += 1
        try:
            documents = load_all_plain(raw.decode("utf-8"))
        except Exception as exc:  # ruamel's errors, UnicodeDecodeError
            raise VerifyError(f"{path} is not a kubeconfig: {str(exc).splitlines()[0] if str(exc) else exc}") \
                from None
        document = documents[0] if documents and isinstance(documents[0], Mapping) else {}
        for section, field in fields.items():
            for name, value in _named(document, section, field).items():
                sections[section].setdefault(name, _Entry(value, path.resolve().parent))
        if current is None and isinstance(document.get("current-context"), str) and document["current-context"]:
            current = document["current-context"]
    if not readable:
        raise VerifyError("no kubeconfig found", hint="pass --kubeconfig FILE or set KUBECONFIG")
    return sections, current


def _data(entry: _Entry, inline: str, file: str, what: str) -> bytes | None:
    value = entry.value.get(inline)
    if isinstance(value, str) and value:
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise VerifyError(f"{what}: {inline} is not base64") from None
    path = entry.value.get(file)
    if isinstance(path, str) and path:
        return _read(entry.folder / path, what)
    return None


def load_credentials(kubeconfig: str | Path | None = None, context: str | None = None) -> Credentials:
    """The credentials of ``context`` (default: the current context) in the kubeconfig."""
    sections, current = _merged(_files(kubeconfig))
    name = context or current
    if not name:
        raise VerifyError("the kubeconfig names no current context", hint="pass --context NAME")
    if name not in sections["contexts"]:
        known = ", ".join(sorted(sections["contexts"])) or "none"
        raise VerifyError(f"no context {name!r} in the kubeconfig (contexts: {known})")
    ctx = sections["contexts"][name].value
    cluster = sections["clusters"].get(str(ctx.get("cluster", "")))
    if cluster is None:
        raise VerifyError(f"context {name!r} names cluster {ctx.get('cluster')!r}, which the kubeconfig lacks")
    server = cluster.value.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise VerifyError(f"cluster {ctx.get('cluster')!r} has no https:// server address")
    user_name = str(ctx.get("user", ""))
    user = sections["users"].get(user_name, _Entry({}, Path.cwd()))
    token, cert, key = _user(user, user_name, server)
    return Credentials(
        context=name,
        server=server.rstrip("/"),
        ca_data=_data(cluster, "certificate-authority-data", "certificate-authority", "the cluster's CA"),
        insecure=cluster.value.get("insecure-skip-tls-verify") is True,
        tls_server_name=cluster.value.get("tls-server-name") or None,
        token=token,
        cert_data=cert,
        key_data=key,
    )


def _user(user: _Entry, name: str, server: str) -> tuple[str | None, bytes | None, bytes | None]:
    value = user.value
    if "auth-provider" in value:
        raise VerifyError(f"user {name!r} uses an auth-provider, which only old kubectl versions support",
                          hint="use the exec credential plugin form of your provider")
    token = value.get("token") if isinstance(value.get("token"), str) else None
    if token is None and isinstance(value.get("tokenFile"), str):
        token = _read(user.folder / value["tokenFile"], "token file").decode("utf-8", "replace").strip()
    cert = _data(user, "client-certificate-data", "client-certificate", f"user {name!r}'s certificate")
    key = _data(user, "client-key-data", "client-key", f"user {name!r}'s key")
    if token is None and cert is None and isinstance(value.get("exec"), Mapping):
        return _exec(value["exec"], user.folder, name, server)
    return token, cert, key


def _exec(spec: Mapping[str, Any], folder: Path, name: str, server: str) -> tuple[str | None, bytes | None,
                                                                                 bytes | None]:
    """Run an exec credential plugin, as kubectl does, and read the ExecCredential it prints."""
    command = spec.get("command")
    if not isinstance(command, str) or not command:
        raise VerifyError(f"user {name!r}: exec has no command")
    if "/" in command and not os.path.isabs(command):
        command = str(folder / command)
    args = [str(arg) for arg in spec.get("args") or [] if isinstance(arg, (str, int, float))]
    env = dict(os.environ)
    for item in spec.get("env") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            env[item["name"]] = str(item.get("value", ""))
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
    info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo") is True:
        info["spec"]["cluster"] = {"server": server}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    try:
        result = subprocess.run([command, *args], capture_output=True, env=env, stdin=subprocess.DEVNULL,
                                timeout=_EXEC_TIMEOUT, check=False)
    except FileNotFoundError:
        raise VerifyError(f"user {name!r}: credential plugin {command!r} not found",
                          hint=str(spec.get("installHint") or "install it, or pick another context")) from None
    except subprocess.TimeoutExpired:
        raise VerifyError(f"user {name!r}: credential plugin {command!r} timed out") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VerifyError(f"user {name!r}: credential plugin {command!r} failed: "
                          f"{detail[-1] if detail else result.returncode}")
    try:
        status = json.loads(result.stdout[:_EXEC_OUTPUT_BYTES])["status"]
    except (ValueError, KeyError, TypeError):
        raise VerifyError(f"user {name!r}: credential plugin {command!r} printed no ExecCredential") from None
    token = status.get("token") if isinstance(status.get("token"), str) else None
    cert = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    return (token, cert.encode() if isinstance(cert, str) else None, key.encode() if isinstance(key, str) else None)
