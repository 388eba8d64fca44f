"""The commands of the fork README's runbook: what it takes, on a fresh cluster, to go from an empty cluster
to the Kubeflow login page and back. Every command runs as written under ``bash -euo pipefail`` from the
fork's folder, given a file per Secret key (named after the key) and the variables the README lists."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .context import Context, ExpectedSecret


@dataclass(frozen=True)
class UserSecret:
    """One Secret the user creates, its keys gathered from every place of the tree that reads it."""

    namespace: str
    name: str
    keys: tuple[str, ...]
    purposes: tuple[str, ...]
    type: str
    labels: tuple[tuple[str, str], ...]
    literals: tuple[tuple[str, str], ...]
    hashes: tuple[tuple[str, str], ...]

    @property
    def create(self) -> str:
        """The command that creates (or updates) it from the key files."""
        return f"{self._manifest()} | kubectl apply -f -"

    @property
    def sealed(self) -> str:
        """The command that seals it with kubeseal instead, for committing."""
        return f"{self._manifest()} | kubeseal -o yaml > {self.name}.sealed.yaml"

    def _manifest(self) -> str:
        name = shlex.quote(self.name)
        if self.type == "kubernetes.io/tls":
            command = f"kubectl create secret tls {name} -n {self.namespace} --cert=./tls.crt --key=./tls.key"
        else:
            sources = [f"--from-literal={key}={shlex.quote(value)}" for key, value in self.literals]
            sources += [f"--from-file={key}=./{key}" for key in self.keys]
            command = f"kubectl create secret generic {name} -n {self.namespace} {' '.join(sources)}"
        command += " --dry-run=client -o yaml"
        for label, value in self.labels:
            command += f" | kubectl label --local -f - -o yaml {label}={value}"
        return command


def user_secrets(ctx: Context) -> list[UserSecret]:
    """The Secrets the tree expects, one entry per Secret: two users whose hashes share a Secret get one
    command with both keys (two commands would each replace the other's key)."""
    merged: dict[tuple[str, str], list[ExpectedSecret]] = {}
    for secret in ctx.expected_secrets:
        merged.setdefault((secret.namespace, secret.name), []).append(secret)
    found = []
    for (namespace, name), parts in merged.items():
        first = parts[0]
        found.append(UserSecret(
            namespace=namespace, name=name,
            keys=tuple(dict.fromkeys(key for part in parts for key in part.keys)),
            purposes=tuple(dict.fromkeys(part.purpose for part in parts)),
            type=first.type, labels=first.labels, literals=first.literals,
            hashes=tuple(dict.fromkeys(pair for part in parts for pair in part.hashes)),
        ))
    return found


def password_variable(key: str) -> str:
    """The environment variable that holds, for the runbook, the password whose hash goes under ``key``."""
    return "PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", key.upper())


def hash_files(secrets: list[UserSecret]) -> list[tuple[str, str, str]]:
    """(variable, e-mail, command) for each password hash file: the hash without a trailing newline, which
    Dex would otherwise read as part of the hash."""
    found = []
    for secret in secrets:
        for key, email in secret.hashes:
            variable = password_variable(key)
            command = f"printf '%s\\n' \"${variable}\" | argoflow-gen hash-password --stdin | tr -d '\\n' > {key}"
            found.append((variable, email, command))
    return found


def pre_install(secrets: list[UserSecret]) -> str:
    """The pre-install step: each namespace made first if it does not exist yet (its Application adopts it
    later), then each Secret created from its key files."""
    namespaces = list(dict.fromkeys(secret.namespace for secret in secrets))
    lines = [f"kubectl get namespace {namespace} >/dev/null 2>&1 || kubectl create namespace {namespace}"
             for namespace in namespaces]
    lines += [secret.create for secret in secrets]
    return "\n".join(lines)
