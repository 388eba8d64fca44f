"""The resident builder (tools/kustomize-batch) builds exactly as `kubectl kustomize` does, or is not used.

Real kubectl and the real builder that scripts/test-tools builds; the hostile builders below are scripts that
break the protocol on purpose.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from argoflow_gen.diff import batch, build_tree, kustomize
from argoflow_gen.diff.batch import Builders, builder_for
from argoflow_gen.diff.kustomize import BuildFailure

pytestmark = pytest.mark.kustomize

KUBECTL = ("kubectl", "kustomize")
ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_OFFLINE = ROOT.parent / "shared" / "upstream" / "kustomize-offline"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env:
        - name: A
          value: "1"
      - name: sidecar
        image: busybox:1.36
"""
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        env:
        - name: B
          value: "2"
"""
# a schema that knows no Deployment: with it, a strategic-merge patch replaces the containers list
SCHEMA = '{"definitions": {}}'


@pytest.fixture(scope="module")
def program() -> Path:
    named = os.environ.get(batch.ENVIRONMENT)
    path = Path(named) if named else batch.default_location()
    if not os.access(path, os.X_OK):
        if os.environ.get("ARGOFLOW_GEN_REQUIRE_APISERVER"):
            pytest.fail(f"kustomize-batch not found at {path}: run scripts/test-tools")
        pytest.skip(f"kustomize-batch not found at {path}: run scripts/test-tools")
    return path


@pytest.fixture
def real(monkeypatch: pytest.MonkeyPatch, program: Path) -> Path:
    monkeypatch.setenv(batch.ENVIRONMENT, str(program))
    return program


def _folder(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir()
    for relative, text in files.items():
        (folder / relative).write_text(textwrap.dedent(text))
    return folder


def _cases(root: Path) -> list[Path]:
    merge = {"deployment.yaml": DEPLOYMENT, "patch.yaml": PATCH,
             "kustomization.yaml": "resources: [deployment.yaml]\npatches: [{path: patch.yaml}]\n"}
    return [
        _folder(root, "merge", merge),
        _folder(root, "custom-schema", {**merge, "schema.json": SCHEMA, "kustomization.yaml":
                                        merge["kustomization.yaml"] + "openapi: {path: schema.json}\n"}),
        _folder(root, "merge-again", merge),  # the schema of the build before is not this build's
        _folder(root, "generated", {"kustomization.yaml": """\
            namespace: team-a
            namePrefix: x-
            labels: [{pairs: {app: web}, includeSelectors: true}]
            configMapGenerator: [{name: settings, literals: [a=1, b=two]}]
            secretGenerator: [{name: token, literals: [t=s3cret]}]
            images: [{name: nginx, newTag: "1.27"}]
            resources: [deployment.yaml]
            patches:
            - target: {kind: Deployment}
              patch: '[{"op": "add", "path": "/spec/replicas", "value": 3}]'
            """, "deployment.yaml": DEPLOYMENT}),
        _folder(root, "crd-and-namespace", {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": """\
            apiVersion: v1
            kind: Namespace
            metadata: {name: z}
            ---
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: things.example.com}
            spec: {group: example.com, names: {kind: Thing, plural: things}, scope: Namespaced, versions: []}
            """}),
    ]


def test_builds_byte_for_byte_as_kubectl_one_build_after_another(real: Path, tmp_path: Path) -> None:
    lanes = Builders(KUBECTL)
    assert lanes.program == real
    try:
        for folder in _cases(tmp_path):
            assert lanes.build(0, folder, 60, None) == kustomize.build(list(KUBECTL), folder, 60), folder.name
        merged = lanes.build(0, tmp_path / "merge-again", 60, 100 << 20)  # with a memory share, too
    finally:
        lanes.close()
    assert "name: A" in merged and "name: B" in merged and "sidecar" in merged
    replaced = kustomize.build(list(KUBECTL), tmp_path / "custom-schema", 60)
    assert "name: A" not in replaced  # the custom schema did change that build: the check above can fail


def test_refuses_what_kubectl_refuses_with_its_message(real: Path, tmp_path: Path) -> None:
    outside = _folder(tmp_path, "outside", {"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"})
    escape = _folder(tmp_path, "escape", {"kustomization.yaml": f"resources: [../{outside.name}/secret.yaml]\n"})
    missing = _folder(tmp_path, "missing", {"kustomization.yaml": "resources: [nothere.yaml]\n"})
    helm = _folder(tmp_path, "helm", {"kustomization.yaml": "helmCharts: [{name: x, repo: https://x.example}]\n"})
    lanes = Builders(KUBECTL)
    try:
        for folder in (escape, missing, helm):
            with pytest.raises(BuildFailure) as ours:
                lanes.build(1, folder, 60, None)
            with pytest.raises(BuildFailure) as theirs:
                kustomize.build(list(KUBECTL), folder, 60)
            assert ours.value.detail and ours.value.detail in " ".join(theirs.value.detail.split()), folder.name
        with pytest.raises(BuildFailure, match="is not in or below"):
            lanes.build(1, escape, 60, None)
        good = _cases(tmp_path)[0]
        assert "kind: Deployment" in lanes.build(1, good, 60, None)  # the lane goes on after failures
    finally:
        lanes.close()


def test_a_build_past_its_time_is_stopped_and_the_lane_starts_afresh(real: Path, tmp_path: Path) -> None:
    folder = _cases(tmp_path)[0]
    lanes = Builders(KUBECTL)
    try:
        lanes.build(0, folder, 60, None)
        first = lanes._lanes[0].process
        with pytest.raises(BuildFailure, match="stopped after 0 s"):
            lanes.build(0, folder, 0.000001, None)
        assert first.poll() is not None  # killed
        assert "kind: Deployment" in lanes.build(0, folder, 60, None)
        second = lanes._lanes[0].process
        assert second.pid != first.pid
    finally:
        lanes.close()
    assert second.poll() is not None  # closing the run stops its builders


def _fake(tmp_path: Path, name: str, body: str) -> Path:
    script = tmp_path / name
    script.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo v5.5.0; exit 0; fi\n" + body)
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(("body", "message"), [
    ("read line; printf 'hello\\n'; sleep 5\n", "out of protocol"),
    ("read line; exit 3\n", "the builder stopped"),
    ("read line; printf 'ok 999999999999\\n'; sleep 5\n", "output passed 256 MiB"),
    ("read line; printf 'ok 10\\nabc'\n", "the builder stopped"),
    ("read line; head -c 100000 /dev/zero | tr '\\0' x\n", "out of protocol"),
])
def test_a_builder_that_breaks_the_protocol_fails_its_build_and_is_replaced(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str, message: str) -> None:
    monkeypatch.setenv(batch.ENVIRONMENT, str(_fake(tmp_path, "fake", body)))
    lanes = Builders(KUBECTL)
    try:
        with pytest.raises(BuildFailure, match=message):
            lanes.build(0, tmp_path, 30, None)
        assert 0 not in lanes._lanes
    finally:
        lanes.close()


def test_used_only_where_it_builds_as_the_command_would(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        real: Path) -> None:
    assert builder_for(KUBECTL) == real
    assert builder_for((str(KUSTOMIZE_OFFLINE),)) is None  # another command: run it per build
    old = tmp_path / "old"
    old.write_text("#!/bin/sh\necho v5.4.3\n")
    old.chmod(0o755)
    monkeypatch.setenv(batch.ENVIRONMENT, str(old))
    assert builder_for(KUBECTL) is None  # not the kustomize kubectl links
    monkeypatch.setenv(batch.ENVIRONMENT, str(tmp_path / "absent"))
    assert builder_for(KUBECTL) is None
    folder = _cases(tmp_path)[0]
    lanes = Builders(KUBECTL)
    assert lanes.program is None and "kind: Deployment" in lanes.build(0, folder, 60, None)
    assert not lanes._lanes


def test_the_applications_of_a_profile_build_the_same_either_way(
        monkeypatch: pytest.MonkeyPatch, real: Path, tmp_path: Path) -> None:
    import argoflow_gen

    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                                        check=True).stdout)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    profile = argoflow_gen.load_profile(str(ROOT / "examples" / "quickstart.yaml"))
    tree = dict(argoflow_gen.render(profile))
    assert builder_for(KUBECTL) == real  # the first run goes through the builder
    resident = build_tree(tree, jobs=2, max_memory=320 << 20)
    monkeypatch.setenv(batch.ENVIRONMENT, str(tmp_path / "absent"))
    per_build = build_tree(tree, jobs=2, max_memory=320 << 20)
    assert len(resident.manifests) > 10
    assert resident.manifests == per_build.manifests
