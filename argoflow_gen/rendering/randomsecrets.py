"""Secrets that only have to be random and agree between components.

Upstream publishes fixed values for them (the OIDC client secret, the oauth2-proxy cookie secret, the
object store and Katib database passwords); the tree never keeps those. Two ways, per profile:

- ``generate`` (default): a small idempotent Job, an Argo CD Sync hook ordered before the component's
  workloads, creates each Secret in the cluster with random values only if it does not exist yet. Its
  RBAC can create Secrets in that namespace and read the few it copies from. Nothing lands in git.
- ``sealed``: the generator makes the random values and writes SealedSecrets (``render/sealed.py``).
"""

from __future__ import annotations

import functools
from typing import Any

from ..yamlemit import dump
from .context import Context
from .model import Folder
from .randomspec import RandomSecret
from .sealed import seal_random

JOB_ANNOTATIONS = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
    "argocd.argoproj.io/sync-wave": "-1",
}
KEEP = {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"}
RANDOM_LENGTH = 32
#: What the restricted Pod Security Standard asks of a Job's container, beside running as non-root.
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}}


def replace_upstream(folder: Folder, secret: RandomSecret, ns_wave_patch: str | None = None) -> None:
    """Delete upstream's Secret with its published values from the component's build."""
    metadata = {"name": secret.upstream_name}
    if secret.upstream_namespaced:
        metadata["namespace"] = secret.namespace
    folder.add_patch({"$patch": "delete", "apiVersion": "v1", "kind": "Secret", "metadata": metadata})
    if ns_wave_patch:
        folder.add_patch({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": ns_wave_patch,
                                       "annotations": {"argocd.argoproj.io/sync-wave": "-2"}}})


def _script(secrets: list[RandomSecret]) -> str:
    lines = [
        "set -eu",
        "rand() { head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c \"$1\"; }",
    ]
    for secret in secrets:
        args = []
        for key, value in secret.keys:
            if value.literal is not None:
                args.append(f"--from-literal={key}={value.literal}")
            elif value.copy_from is not None:
                namespace, name, source_key = value.copy_from
                lines.append(
                    f"v_{_var(key)}=$(kubectl get secret -n {namespace} {name} "
                    f"-o jsonpath='{{.data.{source_key}}}' | base64 -d)"
                )
                args.append(f'--from-literal={key}="$v_{_var(key)}"')
            else:
                args.append(f'--from-literal={key}="$(rand {RANDOM_LENGTH})"')
        create = " ".join(args)
        lines += [
            f"if kubectl get secret -n {secret.namespace} {secret.name} >/dev/null 2>&1; then",
            f"  echo 'Secret {secret.namespace}/{secret.name} exists; kept'",
            "else",
            f"  kubectl create secret generic -n {secret.namespace} {secret.name} {create} "
            "--dry-run=client -o yaml \\",
            "    | kubectl annotate --local -f - -o yaml "
            "argocd.argoproj.io/sync-options=Prune=false,Delete=false \\",
            "    | kubectl label --local -f - -o yaml app.kubernetes.io/managed-by=argoflow-gen \\",
            "    | kubectl create -f -",
            f"  echo 'Secret {secret.namespace}/{secret.name} created'",
            "fi",
        ]
    return "\n".join(lines) + "\n"


def _var(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key)


@functools.lru_cache(maxsize=64)
def job_text(image: str, job_name: str, namespace: str, secrets: tuple[RandomSecret, ...]) -> str:
    """The Job and its RBAC as YAML; the same for every profile of a release, so written once per process."""
    comment = ("# Creates this component's random Secrets in the cluster if they are missing; "
               "their values never land in git.\n")
    return comment + "---\n".join(dump(document) for document in job_manifests(image, job_name, namespace,
                                                                                list(secrets)))


def job_manifests(image: str, job_name: str, namespace: str, secrets: list[RandomSecret]) -> list[dict[str, Any]]:
    """ServiceAccount, least-privilege Roles, and the Job that creates ``secrets`` if they are missing."""
    labels = {"app.kubernetes.io/name": job_name, "app.kubernetes.io/managed-by": "argoflow-gen"}
    rbac_annotations = {"argocd.argoproj.io/sync-wave": "-2"}
    documents: list[dict[str, Any]] = [{
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": job_name, "namespace": namespace, "labels": labels, "annotations": rbac_annotations},
    }]
    own = sorted({secret.name for secret in secrets if secret.namespace == namespace})
    reads: dict[str, set[str]] = {}
    for secret in secrets:
        for _key, value in secret.keys:
            if value.copy_from:
                reads.setdefault(value.copy_from[0], set()).add(value.copy_from[1])
    rules_by_namespace: dict[str, list[dict[str, Any]]] = {
        namespace: [
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": own, "verbs": ["get"]},
        ]
    }
    for other, names in sorted(reads.items()):
        rule = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": sorted(names), "verbs": ["get"]}
        if other == namespace:
            rules_by_namespace[namespace][1]["resourceNames"] = sorted(set(own) | names)
        else:
            rules_by_namespace[other] = [rule]
    for role_namespace, rules in rules_by_namespace.items():
        documents.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": job_name, "namespace": role_namespace, "labels": labels,
                         "annotations": rbac_annotations},
            "rules": rules,
        })
        documents.append({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": job_name, "namespace": role_namespace, "labels": labels,
                         "annotations": rbac_annotations},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": job_name},
            "subjects": [{"kind": "ServiceAccount", "name": job_name, "namespace": namespace}],
        })
    documents.append({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job_name, "namespace": namespace, "labels": labels, "annotations": JOB_ANNOTATIONS},
        "spec": {
            "backoffLimit": 6,
            "template": {
                "metadata": {"labels": labels, "annotations": {"sidecar.istio.io/inject": "false"}},
                "spec": {
                    "serviceAccountName": job_name,
                    "restartPolicy": "OnFailure",
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "create-secrets",
                        "image": image,
                        "command": ["/bin/sh", "-c", _script(secrets)],
                        "env": [{"name": "HOME", "value": "/tmp"}],
                        "securityContext": RESTRICTED_CONTAINER,
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                      "limits": {"memory": "128Mi"}},
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    })
    return documents


def provide(ctx: Context, folder: Folder, job_name: str, namespace: str, secrets: list[RandomSecret],
            own_namespace: str | None = None, *, upstream: bool = True) -> None:
    """Make ``secrets`` exist for the component in ``folder``, the way the profile chooses. ``upstream``:
    the Secrets replace upstream objects with published values, which leave the build."""
    if upstream:
        for secret in secrets:
            replace_upstream(folder, secret, own_namespace if secret is secrets[0] else None)
    if ctx.profile.spec.secrets.random_secrets == "sealed":
        seal_random(ctx, folder, secrets)
        return
    folder.add_text(f"{job_name}.yaml", job_text(ctx.release.job_image, job_name, namespace, tuple(secrets)))
    ctx.generated_secrets.extend(f"{secret.namespace}/{secret.name}" for secret in secrets)
