"""A pull request is hostile input to `diff --build`, which a fork's CI runs on every pull request; sealed
values it swaps are found; names it chooses cannot break out of the report.

Each attack is built for real: a fork in a git repository, a pull-request branch, a clone that runs the diff.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.sealing import encrypt_value, load_certificate
from argoflow_gen.state import sha256

from .conftest import KUSTOMIZE_OFFLINE
from .hostile import BASE, World, commit_all, git, invoke


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "world")
    world.build()
    return world


def _pull_request(world: World, tmp_path: Path, change: dict[str, str], *base_args: str) -> Path:
    """The fork at main in an origin repository, a branch `pr` that writes ``change``, and a clone of it."""
    origin = tmp_path / "origin"
    assert invoke("render", *BASE, *base_args, "-o", str(origin)).exit_code == 0
    git(origin, "init", "-q", "--initial-branch=main")
    commit_all(origin, "fork")
    git(origin, "checkout", "-q", "-b", "pr")
    for relative, text in change.items():
        target = origin / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    commit_all(origin, "pull request")
    git(origin, "checkout", "-q", "main")
    subprocess.run(["git", "clone", "-q", "--no-local", str(origin), str(world.fork)], check=True)
    git(world.fork, "fetch", "-q", "origin", "pr:pr")
    return origin


def _with_resource(fork_text: str, entry: str) -> str:
    return fork_text.replace("resources:\n", f"resources:\n- {entry}\n", 1)


def _diff(world: World, *extra: str) -> Any:
    return invoke("diff", "--repo", str(world.fork), "--base", "main", "--head", "pr", "--build",
                  "--kustomize", str(KUSTOMIZE_OFFLINE), *extra)


def _dex(tmp_path: Path) -> str:
    folder = tmp_path / "dex-render"
    assert invoke("render", *BASE, "-o", str(folder)).exit_code == 0
    return (folder / "dex" / "kustomization.yaml").read_text()


# ------------------------------------------------------------------------ code execution (attack 1)


@pytest.mark.parametrize("transport", ["file", "https"])
def test_a_ref_cannot_run_a_command_in_ci(world: World, tmp_path: Path, transport: str) -> None:
    marker = world.outside / "pwned"
    repository = f"file://{tmp_path / 'origin'}" if transport == "file" else "https://github.com/kubeflow/manifests"
    entry = f"{repository}//common/dex/base?ref=--upload-pack=touch {marker}"
    _pull_request(world, tmp_path, {"dex/kustomization.yaml": _with_resource(_dex(tmp_path), entry)})
    before = world.sentinel()
    result = _diff(world, "--format", "markdown")
    assert not marker.exists()  # the command never ran
    assert world.sentinel() == before
    assert result.exit_code == 2, result.output
    assert "refusing to build" in result.stderr


def test_ssh_is_refused_unless_asked_for(world: World, tmp_path: Path) -> None:
    entry = "git@github.com:kubeflow/manifests.git//common/dex/base?ref=v1.11.0"
    _pull_request(world, tmp_path, {"dex/kustomization.yaml": _with_resource(_dex(tmp_path), entry)})
    result = _diff(world)
    assert result.exit_code == 2
    assert "ssh remotes are refused" in result.stderr


# ------------------------------------------------------------------------- file disclosure (attack 2)


SECRET = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen, namespace: default}\ndata: {token: TOPSECRET}\n"


def _secrets_outside(world: World) -> Path:
    secret = world.outside / "secret.yaml"
    secret.write_text(SECRET)
    (world.outside / "secret-dir").mkdir()
    (world.outside / "secret-dir" / "kustomization.yaml").write_text("resources:\n- ../secret.yaml\n")
    return secret


@pytest.mark.parametrize("form", ["file-url", "absolute-folder", "relative-folder", "patch-path", "generator-file"])
def test_nothing_outside_the_checkout_is_built_or_shown(world: World, tmp_path: Path, form: str) -> None:
    secret = _secrets_outside(world)
    dex = _dex(tmp_path)
    up = "../" * 40
    text = {
        "file-url": _with_resource(dex, f"file://{tmp_path / 'origin'}//{up}{str(secret)[1:]}?ref=main"),
        "absolute-folder": _with_resource(dex, str(world.outside / "secret-dir")),
        "relative-folder": _with_resource(dex, f"{up}{str(world.outside / 'secret-dir')[1:]}"),
        "patch-path": dex.replace("patches:\n", f"patches:\n- path: {up}{str(secret)[1:]}\n", 1),
        "generator-file": dex + f"configMapGenerator:\n- name: stolen\n  files:\n  - token={secret}\n",
    }[form]
    _pull_request(world, tmp_path, {"dex/kustomization.yaml": text})
    result = _diff(world, "--format", "markdown")
    assert result.exit_code == 2, result.output
    assert "refusing to build" in result.stderr
    assert "TOPSECRET" not in result.output


def test_each_build_is_bounded_in_time(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], capture_output=True, text=True,
                                     check=True).stdout)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))  # remote bases come from the offline bundle
    _pull_request(world, tmp_path, {"dex/extra.yaml": "# a change\n"})
    slow = tmp_path / "slow-kustomize"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    result = invoke("diff", "--repo", str(world.fork), "--base", "main", "--head", "pr", "--build",
                    "--kustomize", str(slow), "--build-timeout", "1")
    assert result.exit_code == 2
    assert "stopped after 1 s" in result.stderr


# -------------------------------------------------------------------- a swapped sealed value (attack 9)


@pytest.fixture
def sealed_fork(tmp_path: Path, sealing_keys: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    _key, certificate = sealing_keys
    monkeypatch.chdir(tmp_path)
    fork = tmp_path / "fork"
    args = [*BASE, "--set", f"spec.secrets.certificate={certificate}", "--set", "spec.secrets.randomSecrets=sealed"]
    result = invoke("render", *args, "-o", str(fork))
    assert result.exit_code == 0, result.output
    git(fork, "init", "-q", "--initial-branch=main")
    commit_all(fork, "fork")
    (tmp_path / "args").write_text("\n".join(args))
    return fork


COOKIE_FILE = "oauth2-proxy/sealed-oauth2-proxy.yaml"
COOKIE = "oauth2-proxy/oauth2-proxy/cookie-secret"


def _swap_cookie(fork: Path, certificate: Path, *, lock_too: bool) -> None:
    """Seal a cookie secret the attacker knows with the public certificate, in place of the generated one."""
    key = load_certificate(certificate.read_bytes(), str(certificate))
    forged = base64.b64encode(encrypt_value(key, "oauth2-proxy", "oauth2-proxy", b"0123456789abcdef0123456789abcdef"))
    path = fork / COOKIE_FILE
    text = path.read_text()
    old = re.search(r"cookie-secret: (\S+)", text)
    assert old is not None
    path.write_text(text.replace(old[1], forged.decode()))
    if lock_too:
        lock = fork / ".argoflow-gen" / "lock.yaml"
        lock.write_text(lock.read_text().replace(sha256(old[1]), sha256(forged.decode())))


def test_a_swapped_ciphertext_fails_check_and_is_a_finding(sealed_fork: Path, tmp_path: Path,
                                                             sealing_keys: tuple[Any, Path]) -> None:
    args = (tmp_path / "args").read_text().splitlines()
    _swap_cookie(sealed_fork, sealing_keys[1], lock_too=False)
    check = invoke("render", *args, "-o", str(sealed_fork), "--check")
    assert check.exit_code == 1
    assert f"security: {COOKIE_FILE}: the sealed value {COOKIE} is not the ciphertext the lock records" \
        in check.stderr
    diff = invoke("diff", "--repo", str(sealed_fork), "--base", "main", "--format", "markdown")
    assert diff.exit_code == 1
    head = diff.stdout.split("\n<details>", 1)[0]
    assert "[!CAUTION]" in head and "is not the ciphertext the lock records" in head


def test_a_swap_that_edits_the_lock_too_is_a_finding_of_the_diff(sealed_fork: Path,
                                                                    sealing_keys: tuple[Any, Path]) -> None:
    _swap_cookie(sealed_fork, sealing_keys[1], lock_too=True)
    git(sealed_fork, "checkout", "-q", "-b", "pr")
    commit_all(sealed_fork, "a pull request")
    for output in ("markdown", "text", "json"):
        diff = invoke("diff", "--repo", str(sealed_fork), "--base", "main", "--head", "pr", "--format", output)
        assert diff.exit_code == 1
        assert f"the sealed value {COOKIE} changed while its input did not" in diff.stdout, output
    markdown = invoke("diff", "--repo", str(sealed_fork), "--base", "main", "--head", "pr", "--format", "markdown")
    assert markdown.stdout.index("[!CAUTION]") < markdown.stdout.index("<details>")


def test_rotation_on_purpose_is_not_a_finding(sealed_fork: Path, tmp_path: Path) -> None:
    args = (tmp_path / "args").read_text().splitlines()
    git(sealed_fork, "checkout", "-q", "-b", "pr")
    assert invoke("render", *args, "-o", str(sealed_fork), "--rotate-secrets").exit_code == 0
    commit_all(sealed_fork, "rotate")
    diff = invoke("diff", "--repo", str(sealed_fork), "--base", "main", "--head", "pr", "--format", "json")
    assert diff.exit_code == 1
    assert '"findings": []' in diff.stdout


# ------------------------------------------------------------------------- names in the report (11)


HOSTILE_APP = "evil</code><img src=x onerror=alert(1)>|`x`\n# Injected heading"


def test_names_cannot_break_out_of_the_markdown_report(world: World, tmp_path: Path) -> None:
    application = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata:\n  name: {HOSTILE_APP!r}\n  namespace: argocd\n"
        "spec:\n  project: default\n  source: {repoURL: 'https://x.example/r.git', path: dex}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: auth}\n"
    ).replace("'", '"')
    files = {"argocd-applications/evil.yaml": application,
             "dex/custom/x`y|<img src=x>\n## heading.yaml": "a: b\n",
             "dex/custom/\x1b[31mred.yaml": "a: b\n"}
    _pull_request(world, tmp_path, files)
    result = invoke("diff", "--repo", str(world.fork), "--base", "main", "--head", "pr", "--format", "markdown")
    assert result.exit_code == 1, result.output
    text = re.sub(r"^(`{3,})diff\n.*?^\1$", "", result.stdout, flags=re.MULTILINE | re.DOTALL)  # fences are inert
    assert text != result.stdout  # the file diffs were fenced, and taken out
    assert "<img" not in text and "\x1b" not in result.stdout
    assert not re.search(r"^#{1,6} (Injected|heading)", text, re.MULTILINE)
    for line in text.splitlines():
        if line.startswith("| "):
            assert line.count("|") - line.count("\\|") in (3, 4), line  # no extra table cells
    plain = invoke("diff", "--repo", str(world.fork), "--base", "main", "--head", "pr")
    assert "\x1b" not in plain.stdout and "\\x1b[31mred.yaml" in plain.stdout


def test_the_fork_readme_carries_no_raw_html_or_terminal_escapes(tmp_path: Path) -> None:
    description = "Team ML <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m [click](javascript:alert(1)) # not a heading"
    result = invoke("render", *BASE, "--set", f"metadata.description={description!r}".replace("'", '"'),
                    "-o", str(tmp_path / "fork"))
    assert result.exit_code == 0, result.output
    readme = (tmp_path / "fork" / "README.md").read_text()
    assert "<img" not in readme and "\x1b" not in readme and "[click](javascript" not in readme
    assert "Team ML &lt;img src=x onerror=alert(1)&gt;" in readme


def test_the_pr_workflow_edits_only_its_own_comment(tmp_path: Path) -> None:
    assert invoke("render", *BASE, "-o", str(tmp_path / "fork")).exit_code == 0
    workflow = (tmp_path / "fork" / ".github" / "workflows" / "argoflow-gen-diff.yaml").read_text()
    assert 'select(.user.login == "github-actions[bot]" and .user.type == "Bot" and' in workflow
    assert "pull_request_target" not in workflow  # the PR's code never runs with a write token or secrets


def test_plaintext_secrets_in_escape_hatches_are_warned_about(tmp_path: Path) -> None:
    secret = ("spec.kubeflow.components.dex.resources=[{apiVersion: v1, kind: Secret, "
              "metadata: {name: x, namespace: auth}, stringData: {password: hunter2}}]")
    result = invoke("render", *BASE, "--set", secret, "-o", str(tmp_path / "fork"))
    assert result.exit_code == 0
    assert ("warning: spec.kubeflow.components.dex.resources[0]: a Secret with values in plain text lands in "
            "git: seal it with kubeseal, or create it in the cluster") in result.stderr
    assert os.path.exists(tmp_path / "fork" / "dex" / "profile-resources.yaml")


def test_huge_files_and_alias_bombs_in_a_pull_request_are_bounded(world: World, tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))
    _pull_request(world, tmp_path, {"dex/custom/huge.txt": "x" * (20 << 20), "dex/custom/bomb.yaml": bomb})
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", invoke(
        "diff", "--repo", str(world.fork), "--base", "main", "--head", "pr", "--format", "json")), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the diff did not finish"
    result = outcome["result"]
    assert result.exit_code == 1, result.output
    assert "dex/custom/huge.txt" in result.stdout and "x" * 1000 not in result.stdout
