"""upgrade-plan: what a release bump does to state, most risky first, with the steps that get past it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.catalog import release
from argoflow_gen.cli import cli
from argoflow_gen.upgrade import format_json, format_markdown, plan_upgrade

from .conftest import KUSTOMIZE_OFFLINE, load_yaml_documents

DATA = Path(__file__).resolve().parent / "data" / "upgrade"


def _deployment(name: str, selector: dict[str, str], options: str = "") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "kubeflow"}
    if options:
        metadata["annotations"] = {"argocd.argoproj.io/sync-options": options}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
            "spec": {"selector": {"matchLabels": selector}, "template": {"spec": {"containers": [{"image": "a:1"}]}}}}


def test_immutable_changes_are_refusals_unless_the_new_tree_replaces_the_object() -> None:
    old = {"app": [_deployment("api", {"app": "api"}), _deployment("ui", {"app": "ui"}),
                   {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "rb", "namespace": "kubeflow"}, "roleRef": {"kind": "Role", "name": "a"}},
                   {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "kubeflow"},
                    "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}]}
    new = {"app": [_deployment("api", {"app": "api", "tier": "x"}),
                   _deployment("ui", {"app": "ui", "tier": "x"}, options="Replace=true"),
                   {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "rb", "namespace": "kubeflow"}, "roleRef": {"kind": "Role", "name": "b"}},
                   {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "kubeflow"},
                    "spec": {"volumeClaimTemplates": [{"metadata": {"name": "storage"}}]}}]}
    plan = plan_upgrade(old, new, old_version="1", new_version="1")
    refused = {(str(refusal).split(": ")[0], refusal.field, refusal.handled) for refusal in plan.refusals}
    assert refused == {("Deployment.apps kubeflow/api", "spec.selector", False),
                       ("Deployment.apps kubeflow/ui", "spec.selector", True),
                       ("RoleBinding.rbac.authorization.k8s.io kubeflow/rb", "roleRef", False),
                       ("StatefulSet.apps kubeflow/db", "spec.volumeClaimTemplates", False)}
    high = [step for step in plan.steps if step.risk == "high"]
    assert len(high) == 3 and all(step.category == "refused" for step in high)
    statefulset = next(step for step in high if "StatefulSet" in step.title)
    assert statefulset.before == ("delete the StatefulSet without its pods and volumes before the sync, so that the "
                                  "sync creates it anew and adopts them: kubectl delete statefulset db -n kubeflow "
                                  "--cascade=orphan",)
    handled = next(step for step in plan.steps if step.handled)
    assert handled.risk == "medium" and "ui" in handled.title


@pytest.fixture(scope="module")
def bump(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """upgrade-plan of Pipelines and Katib, 1.10.2 -> 1.11.0."""
    folder = tmp_path_factory.mktemp("plan")
    config = folder / "gitconfig"
    config.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                                     check=True).stdout)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(config))
        result = CliRunner().invoke(cli, ["upgrade-plan", str(DATA / "stores.yaml"), "--to", "1.11.0",
                                          "--format", "json", "--backup-jobs", str(folder / "backups.yaml"),
                                          "--kustomize", str(KUSTOMIZE_OFFLINE)])
    backups = (folder / "backups.yaml").read_text() if (folder / "backups.yaml").exists() else ""
    return {"result": result, "plan": json.loads(result.stdout) if result.stdout else {}, "backups": backups}


@pytest.mark.kustomize
def test_the_plan_of_a_release_bump(bump: dict[str, Any]) -> None:
    assert bump["result"].exit_code == 1, bump["result"].output  # high-risk steps: read before the sync
    plan = bump["plan"]
    assert (plan["from"], plan["to"]) == ("1.10.2", "1.11.0")
    risks = [step["risk"] for step in plan["steps"]]
    assert risks == sorted(risks, key=("high", "medium", "low").index)
    titles = [step["title"] for step in plan["steps"]]
    assert titles[0].startswith("the pipelines' object store switches from minio to seaweedfs")
    assert "PersistentVolumeClaim kubeflow/minio-pvc is removed: Argo CD deletes it, and its data, when it prunes" \
        in titles
    databases = [step for step in plan["steps"] if step["category"] == "database"]
    assert sorted(step["objects"][0] for step in databases) == ["Deployment.apps kubeflow/katib-mysql",
                                                               "Deployment.apps kubeflow/mysql"]
    assert plan["refusals"] == []  # the generated trees carry no immutable change across these releases


@pytest.mark.kustomize
def test_backup_jobs_use_the_databases_own_image_and_secrets(bump: dict[str, Any]) -> None:
    jobs = load_yaml_documents(bump["backups"])
    assert jobs and all(job["kind"] == "Job" for job in jobs)
    for job in jobs:
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        pod = job["spec"]["template"]["spec"]
        (dump,), (upload,) = pod["initContainers"], pod["containers"]
        assert "mysqldump" in dump["command"][-1] and "s3 cp /backup/dump.sql s3://mlpipeline/" in upload["command"][-1]
        assert upload["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "mlpipeline-minio-artifact"
        assert dump["securityContext"]["allowPrivilegeEscalation"] is False


def test_a_store_switch_is_the_first_step() -> None:
    plan = plan_upgrade({}, {}, old_version="1.10.2", new_version="1.11.0",
                        old_store=release("1.10.2").object_store, new_store=release("1.11.0").object_store)
    (step,) = plan.steps
    assert (step.risk, step.category) == ("high", "store")
    assert "minio to seaweedfs" in step.title and "run mc mirror" in step.before[0]
    assert "### Upgrade plan: Kubeflow `1.10.2` → `1.11.0`" in format_markdown(plan)
    assert json.loads(format_json(plan))["steps"][0]["category"] == "store"
