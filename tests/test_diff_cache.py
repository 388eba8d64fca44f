"""diff --build builds only what can differ, keeps builds across runs, and its answers never depend on it.

Real kustomize (kustomize-offline) behind a wrapper that logs each build; real git for remote bases.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from argoflow_gen.cli import cli
from argoflow_gen.cli.diff import diff_command
from argoflow_gen.diff import (
    Diff,
    build_tree,
    build_trees,
    compare,
    diff_resources,
    format_json,
    format_markdown,
    profile_pair,
)
from argoflow_gen.diff.pairs import not_built
from argoflow_gen.diff.sources import Pair
from argoflow_gen.diff.upgrades import upgrade_risks

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_OFFLINE = ROOT.parent / "shared" / "upstream" / "kustomize-offline"
DATA = Path(__file__).resolve().parent / "data" / "diff"
IMAGES = "spec.notebooks.images=[ghcr.io/example/jupyter-scipy:v2.0.0]"
ONE_KEY = ["--old", "bump-1.11.0.yaml", "--new", "bump-1.11.0.yaml", "--set", IMAGES]

pytestmark = pytest.mark.kustomize


@pytest.fixture(scope="module")
def offline_gitconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True, check=True).stdout
    path = tmp_path_factory.mktemp("git") / "gitconfig"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, offline_gitconfig: Path) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(offline_gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("ARGOFLOW_GEN_NO_CACHE", "1")  # no test reads or fills the user's cache by accident
    monkeypatch.chdir(DATA)


class Logged:
    """A kustomize that logs the folder of every build, then runs kustomize-offline."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "logged-kustomize"
        self.log = folder / "builds.log"
        self.path.write_text(f'#!/bin/bash\necho "$1" >> "{self.log}"\nexec "{KUSTOMIZE_OFFLINE}" "$@"\n')
        self.path.chmod(0o755)

    def builds(self) -> list[str]:
        """The folders built so far, relative to their tree (``.`` for a tree's root), sorted."""
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text().splitlines():
            tail = re.sub(r"^.*/side-[01]", "", line)
            found.append(tail.lstrip("/") or ".")
        return sorted(found)

    def reset(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def logged(tmp_path: Path) -> Logged:
    return Logged(tmp_path)


def diff(*args: str, kustomize: Path | str = KUSTOMIZE_OFFLINE) -> Result:
    if "diff" not in cli.commands:
        cli.commands["diff"] = diff_command
    result = CliRunner().invoke(cli, ["diff", *args, "--build", "--kustomize", str(kustomize)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "builds").glob("*/*.jsonl"))


# -------------------------------------------------------------------------------- only what can differ


def test_a_one_key_change_builds_only_the_applications_it_changes(tmp_path: Path, logged: Logged) -> None:
    cache = tmp_path / "cache"
    cold = diff(*ONE_KEY, "--cache-dir", str(cache), "--format", "json", kustomize=logged.path)
    # the Jupyter web app, and the app-of-apps (the lock at the root changed), on each side; nothing else
    assert logged.builds() == [".", ".", "jupyter-web-app", "jupyter-web-app"]
    logged.reset()
    warm = diff(*ONE_KEY, "--cache-dir", str(cache), "--format", "json", kustomize=logged.path)
    assert logged.builds() == []  # every build it needs is in the cache
    assert warm.stdout == cold.stdout
    resources = [(entry["application"], entry["kind"]) for entry in json.loads(cold.stdout)["entries"]
                 if entry["type"] == "resource"]
    assert resources == [("jupyter-web-app", "ConfigMap")]


def test_identical_sides_build_nothing(logged: Logged) -> None:
    result = diff("--old", "bump-1.11.0.yaml", "--new", "bump-1.11.0.yaml", "--no-cache", kustomize=logged.path)
    assert result.exit_code == 0 and "No differences." in result.stdout
    assert logged.builds() == []


APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}}}
spec:
  source: {{repoURL: https://git.example.com/fork.git, path: {name}}}
  destination: {{namespace: {namespace}}}
"""


def tree(**folders: dict[str, str]) -> dict[str, str]:
    """A fork of Applications, each building its own folder (name -> {file: text})."""
    files = {}
    for name, contents in folders.items():
        files[f"argocd-applications/{name}.yaml"] = APP.format(name=name, namespace="apps")
        files.update({f"{name}/{file}": text for file, text in contents.items()})
    return files


def test_repositories_only_unchanged_applications_need_are_not_fetched(tmp_path: Path, logged: Logged) -> None:
    lws = "https://github.com/kubernetes-sigs/lws"
    manifests = "https://github.com/kubeflow/manifests"
    old = tree(
        workers={"kustomization.yaml": f"resources:\n- {lws}//config/default?ref=v0.7.0\n"},
        namespace={"kustomization.yaml": f"resources:\n- {manifests}//common/kubeflow-namespace/base?ref=v1.11.0\n"})
    new = {**old, "workers/kustomization.yaml": old["workers/kustomization.yaml"] + "namePrefix: team-\n"}
    cache = tmp_path / "cache"
    result = compare(Pair(old, new, "old", "new"), build=True, kustomize=str(logged.path), cache_dir=cache)
    assert logged.builds() == ["workers", "workers"]
    fetched = sorted(path.name for path in (cache / "repos").glob("*.git"))
    assert fetched == [hashlib.sha256(lws.encode()).hexdigest()[:32] + ".git"]  # never kubeflow/manifests
    added = [change.key.name for change in result.resources_of("workers") if change.status == "added"]
    assert added and all(name.startswith("team-") for name in added)


def reports(result: Diff) -> tuple[str, str, Any]:
    return format_json(result), format_markdown(result), result.upgrade


def _full(pair: Pair) -> tuple[str, str, Any]:
    """The reports (json, markdown, the upgrade plan) as they were before only changed Applications were
    built: every Application of both sides built whole, every one compared."""
    old, new = build_trees(pair.old, pair.new, kustomize=str(KUSTOMIZE_OFFLINE))
    skipped = {item.application for item in not_built(pair.old, pair.new)}
    old_manifests = {name: docs for name, docs in old.manifests.items() if name not in skipped}
    new_manifests = {name: docs for name, docs in new.manifests.items() if name not in skipped}
    resources = diff_resources(old_manifests, new_manifests, namespaces=new.namespaces,
                               old_namespaces=old.namespaces, not_built=not_built(pair.old, pair.new))
    return reports(replace(compare(pair).with_resources(resources),
                           upgrade=upgrade_risks(pair, old_manifests, new_manifests)))


ARGOCD = "spec.argocd.manage=true"  # Argo CD's own Application: the same at both releases


@pytest.mark.parametrize("change", [
    pytest.param((["bump-1.10.2.yaml"], ["bump-1.11.0.yaml"], [ARGOCD], [ARGOCD]), id="release bump"),
    pytest.param((["bump-1.11.0.yaml"], ["bump-1.11.0.yaml"], [], [IMAGES]), id="one key"),
])
def test_building_only_what_differs_is_exact(change: tuple[list[str], list[str], list[str], list[str]]) -> None:
    old, new, old_overrides, new_overrides = change
    pair = profile_pair(old, new, old_overrides=old_overrides, new_overrides=new_overrides)
    found = reports(compare(pair, build=True, kustomize=str(KUSTOMIZE_OFFLINE)))
    assert found == _full(pair)
    if old != new:  # a release bump: its upgrade plan, from every Application, also those that did not change
        assert "training-operator is removed, with its CRDs" in found[1]
        assert not any("argocd" in step.title for step in found[2].steps)


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.example.com}}
spec:
  group: example.com
  scope: {scope}
  names: {{kind: Widget, plural: widgets, singular: widget}}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {{size: {size}}}\n"


@pytest.mark.parametrize(("scope", "namespace"), [("Cluster", ""), ("Namespaced", "apps")])
def test_the_scope_of_a_kind_comes_from_a_crd_of_an_unchanged_application(
        logged: Logged, scope: str, namespace: str) -> None:
    """A Widget without a namespace is cluster-scoped only if a CRD says so; the CRD is in an Application that
    did not change, so it is built too (once: it is the same on both sides), and the key is what a full build
    gives."""
    kustomization = "resources:\n- widget.yaml\n"
    old = tree(crds={"kustomization.yaml": "resources:\n- crd.yaml\n", "crd.yaml": CRD.format(scope=scope)},
               widgets={"kustomization.yaml": kustomization, "widget.yaml": WIDGET.format(size=1)})
    new = {**old, "widgets/widget.yaml": WIDGET.format(size=2)}
    pair = Pair(old, new, "old", "new")
    result = compare(pair, build=True, kustomize=str(logged.path))
    (change,) = result.resources_of("widgets")
    assert (change.key.kind, change.key.namespace, change.status) == ("Widget", namespace, "changed")
    assert logged.builds() == ["crds", "widgets", "widgets"]
    assert reports(result) == _full(pair)


# --------------------------------------------------------------------------------- the persistent cache


def test_results_are_the_same_with_and_without_the_cache_and_with_broken_entries(tmp_path: Path,
                                                                                 logged: Logged) -> None:
    """Cold, warm, without a cache, and with entries corrupted, truncated and replaced by a symlink: the
    json and markdown reports are byte for byte the same; each broken entry is found by its hash, never
    trusted or followed, and built again."""
    cache = tmp_path / "cache"
    reports = {}
    for name, options in (("none", ["--no-cache"]), ("cold", ["--cache-dir", str(cache)]),
                          ("warm", ["--cache-dir", str(cache)])):
        reports[name] = {form: diff(*ONE_KEY, *options, "--format", form, kustomize=logged.path).stdout
                         for form in ("json", "markdown")}
    found = entries(cache)
    assert len(found) == 4  # the Jupyter web app and the app-of-apps, each side
    corrupted, truncated, linked, _kept = found
    payload = corrupted.read_bytes()
    flip = len(payload) - 10
    corrupted.write_bytes(payload[:flip] + bytes([payload[flip] ^ 0x20]) + payload[flip + 1:])
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    sentinel = tmp_path / "outside.jsonl"
    sentinel.write_bytes(found[3].read_bytes())  # a sound entry of another key: still never followed
    before = hashlib.sha256(sentinel.read_bytes()).hexdigest()
    linked.unlink()
    linked.symlink_to(sentinel)
    logged.reset()
    reports["repaired"] = {form: diff(*ONE_KEY, "--cache-dir", str(cache), "--format", form,
                                      kustomize=logged.path).stdout for form in ("json", "markdown")}
    assert len(logged.builds()) == 3  # the three broken entries, built again (once: the json run stored them)
    for name in ("cold", "warm", "repaired"):
        assert reports[name] == reports["none"], name
    assert hashlib.sha256(sentinel.read_bytes()).hexdigest() == before
    assert entries(cache) == found and not any(path.is_symlink() for path in found)
    for path in found:
        header, _, body = path.read_bytes().partition(b"\n")
        assert header.split()[-2:] == [hashlib.sha256(body).hexdigest().encode(), str(len(body)).encode()]


def test_a_changed_kustomize_command_is_a_new_key(tmp_path: Path, logged: Logged) -> None:
    cache = tmp_path / "cache"
    diff(*ONE_KEY, "--cache-dir", str(cache), kustomize=logged.path)
    logged.path.write_text(logged.path.read_text() + "# another kustomize\n")
    logged.reset()
    diff(*ONE_KEY, "--cache-dir", str(cache), kustomize=logged.path)
    assert len(logged.builds()) == 4


def test_nothing_from_a_tree_chooses_a_path_in_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    hostile = tree(**{"..": {}})  # an Application named "..", building nothing it could name
    hostile.update(tree(app={"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../../escape\n")}))
    changed = {**hostile, "app/cm.yaml": hostile["app/cm.yaml"] + "data: {a: b}\n"}
    compare(Pair(hostile, changed, "old", "new"), build=True, kustomize=str(KUSTOMIZE_OFFLINE), cache_dir=cache)
    names = sorted(path.relative_to(cache).as_posix() for path in cache.rglob("*") if path.is_file())
    assert names and all(re.fullmatch(r"builds/[0-9a-f]{2}/[0-9a-f]{64}\.jsonl", name) for name in names), names
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize(("options", "environment", "kept"), [
    ([], {}, True),
    (["--no-cache"], {}, False),
    ([], {"ARGOFLOW_GEN_NO_CACHE": "1"}, False),
])
def test_the_default_cache_is_in_the_user_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       options: list[str], environment: dict[str, str],
                                                       kept: bool) -> None:
    monkeypatch.delenv("ARGOFLOW_GEN_NO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    diff(*ONE_KEY, *options)
    assert bool(entries(tmp_path / "user-cache" / "argoflow-gen" / "diff")) is kept


# ------------------------------------------------------------------------------ remote bases by commit


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def test_a_ref_that_moves_is_built_at_its_new_commit(tmp_path: Path, offline_gitconfig: Path,
                                                     monkeypatch: pytest.MonkeyPatch, logged: Logged) -> None:
    """Builds are keyed by the commit a ref resolves to (an annotated tag too), never by the ref's name."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "--quiet", "--initial-branch=main")
    (upstream / "base").mkdir()
    (upstream / "base" / "kustomization.yaml").write_text("resources:\n- cm.yaml\n")

    def commit(value: str) -> str:
        (upstream / "base" / "cm.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: {value}\n")
        git(upstream, "add", "-A")
        git(upstream, "commit", "--quiet", "-m", value)
        return git(upstream, "rev-parse", "HEAD")

    first = commit("one")
    git(upstream, "tag", "-a", "v1", "-m", "release one")
    config = tmp_path / "gitconfig"
    config.write_text(offline_gitconfig.read_text()
                      + f'[url "file://{upstream}"]\n\tinsteadOf = https://github.com/acme/base\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    cache = tmp_path / "cache"

    def value(ref: str) -> str:
        fork = tree(app={"kustomization.yaml": f"resources:\n- https://github.com/acme/base//base?ref={ref}\n"})
        built = build_tree(fork, kustomize=str(logged.path), cache_dir=cache)
        (document,) = built.manifests["app"]
        return str(document["data"]["value"])

    assert value("main") == "one" and value("main") == "one"
    assert len(logged.builds()) == 1  # the second time, from the cache
    second = commit("two")
    assert value("main") == "two"  # the same text, a new commit: a new key
    assert value("v1") == "one"  # an annotated tag: its commit
    assert len(logged.builds()) == 3
    bare = cache / "repos" / (hashlib.sha256(b"https://github.com/acme/base").hexdigest()[:32] + ".git")
    kept = git(bare, "for-each-ref", "--format=%(refname)", "refs/c/").split()
    assert sorted(kept) == sorted(f"refs/c/{commit}" for commit in (first, second))


# --------------------------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("form", ["text", "json"])
def test_the_streamed_report_is_the_final_report(form: str) -> None:
    from argoflow_gen.diff import format_text

    pair = profile_pair(["bump-1.10.2.yaml"], ["bump-1.11.0.yaml"])
    final = compare(pair, build=True, kustomize=str(KUSTOMIZE_OFFLINE))
    result = diff("--old", "bump-1.10.2.yaml", "--new", "bump-1.11.0.yaml", "--no-cache", "--format", form)
    assert result.stdout == (format_json(final) if form == "json" else format_text(final))
    if form == "json":
        document: dict[str, Any] = json.loads(result.stdout)
        assert list(document)[-2:] == ["entries", "summary"]


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: "{image}"}}]}}
"""


def test_images_use_the_builds_of_an_earlier_diff(tmp_path: Path, logged: Logged) -> None:
    """`images` keys its builds as `diff --build` does: after a diff of a pull request, listing the images of
    the new side builds nothing, and the list is what a run without the cache lists."""
    cache = tmp_path / "cache"
    old = tree(web={"kustomization.yaml": "resources:\n- deployment.yaml\n",
                    "deployment.yaml": DEPLOYMENT.format(image="ghcr.io/acme/web:1.0")})
    new = {**old, "web/deployment.yaml": DEPLOYMENT.format(image="ghcr.io/acme/web:1.1")}
    compare(Pair(old, new, "old", "new"), build=True, kustomize=str(logged.path), cache_dir=cache)
    assert logged.builds() == ["web", "web"]
    fork = tmp_path / "fork"
    for path, text in new.items():
        (fork / path).parent.mkdir(parents=True, exist_ok=True)
        (fork / path).write_text(text)
    logged.reset()
    listed = {}
    for name, options in (("cached", ["--cache-dir", str(cache)]), ("uncached", ["--no-cache"])):
        result = CliRunner().invoke(cli, ["images", "--tree", str(fork), "--kustomize", str(logged.path), *options])
        assert result.exit_code == 0, result.output
        listed[name] = result.stdout
    assert logged.builds() == ["web"]  # the run without the cache only
    assert listed["cached"] == listed["uncached"] == "ghcr.io/acme/web:1.1\n"
    assert CliRunner().invoke(cli, ["images", "--tree", str(fork), "--cache-dir", str(cache),
                                    "--no-cache"]).exit_code == 2
