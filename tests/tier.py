"""What the API-server tier installs, and the builds it needs: every preset at both releases and every
example, rendered in memory, each Application built with the offline kustomize through the suite's build
cache (by folder content, shared by every xdist worker and with the build tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS, addons
from argoflow_gen.diff.apps import applications
from argoflow_gen.diff.build import Built
from argoflow_gen.diff.model import NotBuilt
from argoflow_gen.diff.remote import kustomization_file
from argoflow_gen.layers import preset_names
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.verify.plan import Plan, plan

from .conftest import FORK, ROOT, SHARED, Kustomize, load_yaml_documents
from .kubeserver import find_helm

HELM_OFFLINE = SHARED / "upstream" / "helm-offline"
#: The Kubernetes version Argo CD passes to `helm template` (the API-server tier runs 1.34).
KUBE_VERSION = "1.34.0"
KUSTOMIZE_OFFLINE = SHARED / "upstream" / "kustomize-offline"
EXAMPLES = sorted(ROOT.glob("examples/*.yaml"))


@dataclass(frozen=True)
class Scenario:
    """One profile set to install."""

    label: str
    profiles: tuple[str, ...]
    version: str  # the release it renders (for grouping builds)
    overrides: tuple[str, ...] = ()

    @property
    def sealed(self) -> bool:
        return self.profiles == ("preset:private-repo-sealed",)


#: Every platform add-on, with its defaults.
#: What an add-on needs besides being named: MetalLB the addresses it hands out, ExternalDNS its provider.
ADDON_SETTINGS = {"metallb": "{addressPools: [{name: gateway, addresses: [192.168.10.240-192.168.10.250]}, "
                             "{name: spare, addresses: [10.20.0.0/28], autoAssign: false, advertisement: bgp}]}",
                  "external-dns": "{provider: cloudflare, cloudflareApiToken: {existingSecret: cloudflare}}"}
ADDONS = "spec.addons={" + ", ".join(f"{aid}: {ADDON_SETTINGS.get(aid, '{}')}" for aid in addons()) + "}"

#: Kubeflow Pipelines and Katib on an external MySQL server, each login a Secret the runbook creates.
DATABASES = ("spec.pipelines.database={host: mysql.example.com, credentials: {existingSecret: pipelines-db}}",
             "spec.katib.database={host: mysql.example.com, credentials: {existingSecret: katib-db}}")


def _example_version(path: Path) -> str:
    return load_profile(str(path)).spec.kubeflow.version


def scenarios() -> list[Scenario]:
    found = [Scenario(f"{preset}-{version}", (f"preset:{preset}",), version,
                      (f"spec.kubeflow.version={version}", FORK))
             for preset in sorted(preset_names()) for version in VERSIONS]
    found += [Scenario(f"example-{path.stem}", (str(path),), _example_version(path)) for path in EXAMPLES]
    found.append(Scenario("addons", ("preset:minimal",), VERSIONS[0], (FORK, ADDONS)))
    found += [Scenario(f"databases-{version}", ("preset:full",), version,
                       (f"spec.kubeflow.version={version}", FORK, *DATABASES)) for version in VERSIONS]
    return found


@contextlib.contextmanager
def sealing_inputs(certificate: Path) -> Iterator[None]:
    """What the private-repo-sealed preset reads at render time: the controller's certificate in the working
    folder, the git credentials in the environment."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        (Path(folder) / "sealed-secrets.pem").write_bytes(certificate.read_bytes())
        patch.chdir(folder)
        patch.setenv("GIT_USERNAME", "robot")
        patch.setenv("GIT_PASSWORD", "runbook-test-token")
        yield


def render_scenario(scenario: Scenario, certificate: Path, *extra: str) -> dict[str, str]:
    with sealing_inputs(certificate) if scenario.sealed else contextlib.nullcontext():
        profile = load_profile(*scenario.profiles, overrides=[*scenario.overrides, *extra])
        return dict(render(profile))


@contextlib.contextmanager
def offline_git(folder: Path) -> Iterator[Path]:
    """git reads the bundled upstream repositories instead of the network (kustomize-offline's config)."""
    config = folder / "offline.gitconfig"
    if not config.exists():
        folder.mkdir(parents=True, exist_ok=True)
        text = subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                              check=True).stdout
        temporary = config.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(config))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("GIT_TERMINAL_PROMPT", "0")
        yield config


def write_fork(tree: Mapping[str, str], folder: Path) -> Path:
    for path, text in tree.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


def rendered_and_built(label: str, certificate: Path, kustomize: Kustomize, folder: Path) \
        -> tuple[dict[str, str], Built]:
    """One scenario rendered, and every Application of it built as Argo CD's repo-server would (kustomize,
    offline). Builds are cached by the folder's content for the whole run, so the tier and the build tests
    share them."""
    (scenario,) = [scenario for scenario in scenarios() if scenario.label == label]
    tree = render_scenario(scenario, certificate)
    root = write_fork(tree, folder / f"build-{label}")
    manifests: dict[str, list[Mapping[str, Any]]] = {}
    not_built = []
    for app in applications(tree).values():
        if app.folder is None:
            not_built.append(NotBuilt(app.name, app.reason))
            continue
        source = root / app.folder if app.folder != "." else root
        if kustomization_file(source) is None:  # a plain folder (the user's, still empty): Argo CD reads its YAML
            manifests[app.name] = [obj for path in sorted(source.glob("*.y*ml"))
                                   for obj in load_yaml_documents(path.read_text(encoding="utf-8"))
                                   if isinstance(obj, dict)]
            continue
        manifests[app.name] = [obj for obj in kustomize.build_objects(source) if isinstance(obj, dict)]
    namespaces = {app.name: app.namespace for app in applications(tree).values()}
    return tree, Built(manifests=manifests, namespaces=namespaces, not_built=tuple(not_built))


def _helm_offline_env(folder: Path) -> dict[str, str]:
    """The environment helm-offline runs in: helm from the test tools, and a Python without site-packages (it
    reads its chart index with PyYAML or ruamel.yaml when it can import them, and both refuse a line of that
    index; its own line reader does not)."""
    helm = find_helm()
    assert helm is not None, "helm not found: run scripts/test-tools"
    shim = folder / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "python3").write_text(f"#!/bin/sh\nexec {sys.executable} -S \"$@\"\n", encoding="utf-8")
    (shim / "python3").chmod(0o755)
    return {**os.environ, "HELM": str(helm), "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}


def chart_folder(source: Mapping[str, Any], folder: Path) -> Path:
    """The bundled chart an Application's Helm source names."""
    result = subprocess.run(
        [str(HELM_OFFLINE), "--path", str(source["repoURL"]), str(source["chart"]), str(source["targetRevision"])],
        capture_output=True, text=True, env=_helm_offline_env(folder), check=True)
    return Path(result.stdout.strip())


def helm_template(source: Mapping[str, Any], release: str, namespace: str, folder: Path) -> list[dict[str, Any]]:
    """A Helm chart source built as Argo CD's repo-server does (``helm template --include-crds``), from the
    offline chart bundle."""
    values = folder / f"{release}-values.json"
    values.write_text(json.dumps((source.get("helm") or {}).get("valuesObject") or {}), encoding="utf-8")
    env = _helm_offline_env(folder)
    result = subprocess.run(
        [str(HELM_OFFLINE), str(source["repoURL"]), str(source["chart"]), str(source["targetRevision"]), release,
         "--namespace", namespace, "--include-crds", "--kube-version", KUBE_VERSION, "-f", str(values)],
        capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise AssertionError(f"helm template of {source['chart']} failed:\n{result.stderr[-3000:]}")
    return [document for document in load_yaml_documents(result.stdout) if isinstance(document, dict)]


def helm_sources(tree: Mapping[str, str], folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The manifests of every Application of the tree with a Helm chart source, by Application name."""
    built: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(tree):
        if not path.startswith("argocd-applications/"):
            continue
        for document in load_yaml_documents(tree[path]):
            source = ((document or {}).get("spec") or {}).get("source") or {}
            if document.get("kind") == "Application" and source.get("chart"):
                name = document["metadata"]["name"]
                release = (source.get("helm") or {}).get("releaseName") or name
                built[name] = helm_template(source, release, document["spec"]["destination"]["namespace"], folder)
    return built


def sync_plan(tree: Mapping[str, str], built: Built, folder: Path) -> Plan:
    return plan(tree, built, helm_sources(tree, folder))
