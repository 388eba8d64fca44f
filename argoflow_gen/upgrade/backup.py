"""Backup Jobs for the databases an upgrade migrates: `mysqldump` with the database's own image and credentials,
copied into the object store the cluster runs before the sync (s3://BUCKET/argoflow-gen-backups/...).

Each Job is an Argo CD PreSync hook: put it in the component's `custom/` folder for the sync of the upgrade (or
`kubectl apply -f` it and wait), and it runs before anything else of that Application changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..yamlio import dump_all

_RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
               "seccompProfile": {"type": "RuntimeDefault"}}


def _service(index: Mapping[Any, tuple[str, Mapping[str, Any]]], namespace: str,
             labels: Mapping[str, str]) -> str | None:
    """The Service in ``namespace`` whose selector picks pods with ``labels``."""
    for (_group, kind, space, name), (_app, document) in sorted(index.items()):
        selector = (document.get("spec") or {}).get("selector") if kind == "Service" and space == namespace else None
        if isinstance(selector, Mapping) and selector and all(labels.get(k) == v for k, v in selector.items()):
            return str(name)
    return None


def _job(database: Mapping[str, Any], deployment: Mapping[str, Any], host: str, store: Mapping[str, Any],
         label: str) -> dict[str, Any]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    dump_env = [*(container.get("env") or [])]
    path = f"argoflow-gen-backups/{database['deployment']}-{label}.sql"
    dump = ("export MYSQL_PWD=\"${MYSQL_ROOT_PASSWORD:-}\"; "
            f"mysqldump --host={host} --user=root --all-databases --single-transaction --routines --events "
            "> /backup/dump.sql && test -s /backup/dump.sql")
    scheme = "http" if store.get("insecure") else "https"
    upload = (f"aws --endpoint-url {scheme}://{store['endpoint']} s3 cp /backup/dump.sql "
              f"s3://{store['bucket']}/{path}")
    secret = store["secret"]
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": f"argoflow-gen-backup-{database['deployment']}", "namespace": database["namespace"],
                     "annotations": {"argocd.argoproj.io/hook": "PreSync",
                                     "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
        "spec": {"backoffLimit": 1, "template": {"spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "fsGroup": 65534},
            "volumes": [{"name": "backup", "emptyDir": {}}],
            "initContainers": [{"name": "dump", "image": container["image"], "command": ["sh", "-c", dump],
                                "env": dump_env, "envFrom": container.get("envFrom") or [],
                                "volumeMounts": [{"name": "backup", "mountPath": "/backup"}],
                                "securityContext": _RESTRICTED}],
            "containers": [{"name": "upload", "image": _uploader(), "command": ["sh", "-c", upload],
                            "env": [{"name": "AWS_ACCESS_KEY_ID",
                                     "valueFrom": {"secretKeyRef": {"name": secret, "key": "accesskey"}}},
                                    {"name": "AWS_SECRET_ACCESS_KEY",
                                     "valueFrom": {"secretKeyRef": {"name": secret, "key": "secretkey"}}},
                                    {"name": "HOME", "value": "/tmp"}],
                            "volumeMounts": [{"name": "backup", "mountPath": "/backup", "readOnly": True}],
                            "securityContext": _RESTRICTED}],
        }}},
    }


def _uploader() -> str:
    from .plan import facts

    image: str = facts()["uploaderImage"]
    return image


def backup_jobs(databases: Sequence[Mapping[str, Any]], index: Mapping[Any, tuple[str, Mapping[str, Any]]],
                store: Mapping[str, Any] | None, old_version: str, new_version: str) -> str:
    """The YAML of one backup Job per database ("" when there is nothing to back up, or no store to write to)."""
    if not databases or not store:
        return ""
    jobs = []
    for database in databases:
        _app, deployment = index[("apps", "Deployment", database["namespace"], database["deployment"])]
        labels = ((deployment.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        host = _service(index, database["namespace"], labels) or database["deployment"]
        jobs.append(_job(database, deployment, host, store, f"{old_version}-to-{new_version}"))
    return ("# Backups of the databases the upgrade migrates, written by argoflow-gen upgrade-plan.\n"
            + dump_all(jobs))
