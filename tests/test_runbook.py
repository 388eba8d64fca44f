"""The fork README is a runbook: its marked steps come in an order that works on a fresh cluster, each is
valid bash, and the parts that need no cluster run for real (hashing a password into a file, making the
Secret manifests from the files). The API-server tier runs the rest against a real kube-apiserver.

Contract: every runnable step is a fenced ``sh`` block immediately preceded by ``<!-- runbook: STEP -->``."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from argoflow_gen import load_profile, render
from argoflow_gen.catalog import VERSIONS
from argoflow_gen.layers import preset_names
from argoflow_gen.rendering.argocd import APPLICATION_HEALTH

from .conftest import FORK, load_yaml_documents

STEP = re.compile(r"<!-- runbook: (?P<step>[a-z0-9-]+) -->\n```sh\n(?P<body>.*?)```", re.S)
MARKER = re.compile(r"<!-- runbook: [^>]*-->")
BIN = Path(sys.executable).parent
#: Install order: a step listed here must come after every step listed before it that the README has.
ORDER = ["install-argocd", "wait-argocd", "configure-argocd", "install-sealed-secrets", "wait-sealed-secrets",
         "install-repo-credentials", "secret-files", "pre-install", "deploy", "wait-deploy", "uninstall",
         "wait-uninstall", "uninstall-argocd", "wait-uninstall-argocd"]


def steps(readme: str) -> dict[str, str]:
    found = {match["step"]: match["body"] for match in STEP.finditer(readme)}
    assert len(MARKER.findall(readme)) == len(found), "a runbook marker is not followed by a sh block"
    return found


def _readme(preset: str, *overrides: str, version: str = VERSIONS[0]) -> str:
    return render(load_profile(f"preset:{preset}", overrides=[FORK, f"spec.kubeflow.version={version}",
                                                              *overrides]))["README.md"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_has_a_runbook_in_a_working_order(preset: str, version: str, sealed_env: Path) -> None:
    found = steps(_readme(preset, version=version))
    assert {"install-argocd", "wait-argocd", "deploy", "wait-deploy", "uninstall", "wait-uninstall",
            "uninstall-argocd"} <= set(found)
    assert list(found) == [step for step in ORDER if step in found]
    for step, body in found.items():  # valid bash, with no prompt or placeholder left for the reader to fill
        result = subprocess.run(["bash", "-n", "-c", "set -euo pipefail\n" + body], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, (step, result.stderr)
        assert "PROFILE" not in body and "<" not in body.replace("<<", ""), (step, body)
    assert found["install-argocd"].strip() == "kubectl apply --server-side --force-conflicts -k argocd/base"
    assert "kubectl wait --for=condition=Available deployment --all -n argocd" in found["wait-argocd"]
    assert found["deploy"].strip() == "kubectl apply -f kubeflow.yaml"


def _namespaces_made_before(found: dict[str, str], manage: bool) -> list[tuple[str, str]]:
    """(namespace, Secret) of each Secret the runbook creates in a namespace no earlier command made."""
    made = {"argocd"} if manage else {"argocd", "kube-system", "default"}  # the user's Argo CD: it exists
    missing = []
    for step in ORDER:
        for line in found.get(step, "").splitlines():
            namespace = re.search(r"kubectl create namespace (\S+)", line)
            if namespace:
                made.add(namespace.group(1))
            secret = re.search(r"kubectl create secret \S+ (\S+) -n (\S+)", line)
            if secret and secret.group(2) not in made:
                missing.append((secret.group(2), secret.group(1)))
    return missing


@pytest.mark.parametrize("manage", [True, False])
def test_pre_install_secrets_go_into_namespaces_that_exist(manage: bool, tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text(f"""\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {{name: cluster}}
extends: [preset:full]
spec:
  repo: {{url: https://git.acme.internal/platform/kubeflow-gitops.git, private: true,
          credentials: {{existingSecret: fork-credentials}}}}
  argocd: {{manage: {str(manage).lower()}}}
  ingress:
    domain: kubeflow.acme.internal
    tls: {{mode: letsencrypt, letsencrypt: {{email: ops@acme.internal, solver: dns01-cloudflare,
           cloudflareApiToken: {{existingSecret: cloudflare}}}}}}
  identity:
    users:
      - {{email: ada@acme.internal, username: ada, passwordHashFrom: {{existingSecret: dex-passwords, key: ada}}}}
      - {{email: bob@acme.internal, username: bob, passwordHashFrom: {{existingSecret: dex-passwords, key: bob}}}}
""")
    tree = render(load_profile(tmp_path / "cluster.yaml"))
    found = steps(tree["README.md"])
    assert _namespaces_made_before(found, manage) == []
    creates = [line for line in found["pre-install"].splitlines() if "create secret" in line]
    # one Secret holds both users' hashes: two commands would each replace the other's key
    (dex,) = [line for line in creates if " dex-passwords " in line]
    assert "--from-file=ada=./ada --from-file=bob=./bob" in dex
    assert {re.search(r"create secret \S+ (\S+) -n (\S+)", line).groups() for line in creates} == {  # type: ignore[union-attr]
        ("dex-passwords", "auth"), ("fork-credentials", "argocd"), ("cloudflare", "cert-manager")}


def test_the_password_recipe_leaves_no_newline_in_the_secret(tmp_path: Path) -> None:
    """The README's own commands, run for real: hash the password into its file, make the Secret from it."""
    found = steps(_readme("minimal"))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PASSWORD_ADMIN": "correct horse"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", found["secret-files"]], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "admin").read_bytes()
    assert not written.endswith(b"\n")
    (create,) = [line for line in found["pre-install"].splitlines() if "create secret" in line]
    manifest_command = create.removesuffix(" | kubectl apply -f -")
    assert manifest_command != create and "--dry-run=client" in manifest_command
    made = subprocess.run(["bash", "-euo", "pipefail", "-c", manifest_command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    (secret,) = load_yaml_documents(made.stdout)
    assert secret["metadata"] == {"name": "dex-static-passwords", "namespace": "auth", "creationTimestamp": None}
    value = base64.b64decode(secret["data"]["admin"])
    assert value == written  # exactly what Dex reads from the variable
    assert bcrypt.checkpw(b"correct horse", value.replace(b"$2y$", b"$2b$", 1))


def test_uninstall_never_deletes_argo_cd_before_its_children() -> None:
    found = steps(_readme("full"))
    uninstall = "".join(found[step] for step in ORDER[ORDER.index("uninstall"):])
    commands = [line.strip() for line in uninstall.splitlines() if line.strip()]
    assert commands == [
        "kubectl delete application kubeflow -n argocd --wait=false",
        "kubectl wait --for=delete application/kubeflow -n argocd --timeout=30m",
        "kubectl delete application argocd -n argocd --ignore-not-found",
        "kubectl delete -k argocd/base --ignore-not-found --wait=false",
        "kubectl wait --for=delete namespace/argocd --timeout=10m",
    ]


def test_without_a_managed_argo_cd_the_runbook_configures_yours(tmp_path: Path) -> None:
    tree = render(load_profile("preset:minimal", overrides=[FORK, "spec.argocd.manage=false"]))
    found = steps(tree["README.md"])
    assert "install-argocd" not in found and "uninstall-argocd" not in found
    assert "-k argocd/base" not in tree["README.md"]
    assert found["configure-argocd"].strip() == ("kubectl patch configmap argocd-cm -n argocd --type merge "
                                                 "--patch-file argocd/application-health-check.yaml")
    (patch,) = load_yaml_documents(tree["argocd/application-health-check.yaml"])
    assert patch == {"data": {"resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH}}
    # the README shows the exact Lua, key and all
    shown = re.search(r"```yaml\n(resource\.customizations\.health\.argoproj\.io_Application: \|\n.*?)```",
                      tree["README.md"], re.S)
    assert shown and load_yaml_documents(shown.group(1)) == [patch["data"]]


def test_sealed_trees_install_the_controller_before_anything_sealed(sealed_env: Path) -> None:
    found = steps(_readme("private-repo-sealed"))
    order = list(found)
    assert order.index("install-sealed-secrets") < order.index("install-repo-credentials") < order.index("deploy")
    assert found["install-sealed-secrets"].strip() == "kubectl apply -f argocd-applications/sealed-secrets.yaml"
    assert "crd/sealedsecrets.bitnami.com" in found["wait-sealed-secrets"]
    assert found["install-repo-credentials"].strip() == (
        "kubectl apply --server-side --force-conflicts -k argocd/overlays/private-repo")


@pytest.mark.parametrize(("overrides", "expected"), [
    ((), ["kubectl port-forward svc/istio-ingressgateway -n istio-system 8443:443",
          "https://kubeflow.example.com:8443/", "127.0.0.1 kubeflow.example.com"]),
    (("spec.ingress.serviceType=LoadBalancer",), ["{.status.loadBalancer.ingress[0].ip}", "https://kubeflow.example.com/"]),
    (("spec.ingress.serviceType=NodePort",), ['{.spec.ports[?(@.name=="https")].nodePort}']),
    (("spec.ingress.tls.mode=none", "spec.ingress.domain=localhost"),
     ["kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80", "http://localhost:8080/"]),
])
def test_the_runbook_says_how_to_reach_kubeflow_and_who_logs_in(overrides: tuple[str, ...],
                                                                 expected: list[str]) -> None:
    readme = _readme("minimal", *overrides)
    for text in expected:
        assert text in readme
    assert "- `admin@example.com`, with the password you hashed from `$PASSWORD_ADMIN` (Kubeflow's cluster admin)" \
        in readme
    if "spec.ingress.tls.mode=none" not in overrides:
        assert "kubectl get secret kubeflow-gateway-tls -n istio-system" in readme  # the self-signed certificate
    for symptom in ("Progressing", "not found", "failed calling webhook", "caBundle"):
        assert symptom in readme.split("## Troubleshooting", 1)[1].split("## Uninstall", 1)[0]
