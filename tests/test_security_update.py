"""update is one transaction: killed, out of space or racing a render, the fork is the old one or the new one,
never a mix; and a list item both sides changed is a conflict, never a silent merge."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from argoflow_gen.state import LOCK_FILE, parse_lock, sha256
from argoflow_gen.writer import transaction

from .conftest import load_yaml_documents
from .hostile import BASE, fingerprint, invoke

NEW = ["--set", "spec.kubeflow.version=1.10.2", "--set", "spec.ingress.domain=ml.acme.example"]
NOISE = ("write.lock",)


def _state(folder: Path) -> dict[str, str]:
    """Every file of the fork but the folder lock (which a killed process may leave behind, harmlessly)."""
    return {path: digest for path, digest in fingerprint(folder).items() if not path.endswith(NOISE)}


def _edited_fork(folder: Path) -> None:
    assert invoke("render", *BASE, "-o", str(folder)).exit_code == 0
    controller = folder / "notebook-controller" / "kustomization.yaml"
    controller.write_text(controller.read_text().replace("CULL_IDLE_TIME=1440", "CULL_IDLE_TIME=60"))
    (folder / "extras").mkdir()
    (folder / "extras" / "mine.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")


def _update_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "argoflow_gen", "update", *BASE, *NEW, "--repo", str(folder), "--allow-dirty"]


@pytest.mark.slow
def test_sigkill_during_update_leaves_the_old_or_the_new_fork(tmp_path: Path) -> None:
    template = tmp_path / "template"
    _edited_fork(template)
    before = _state(template)
    durations = []
    for warm in range(3):  # the first run fills the user cache (validations, templates): time the later ones
        finished = tmp_path / f"finished-{warm}"
        shutil.copytree(template, finished, symlinks=True)
        start = time.monotonic()
        subprocess.run(_update_command(finished), check=True, capture_output=True)
        durations.append(time.monotonic() - start)
    duration = min(durations[1:])
    after = _state(finished)
    assert after != before
    outcomes = {"old": 0, "new": 0}
    for trial in range(40):
        folder = tmp_path / f"trial-{trial}"
        shutil.copytree(template, folder, symlinks=True)
        process = subprocess.Popen(_update_command(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep((0.05 + 1.2 * trial / 39) * duration)  # a sweep from start-up to past the end
        process.send_signal(signal.SIGKILL)
        process.wait()
        with transaction(folder):  # what the next writing command does first
            pass
        state = _state(folder)
        if state == before:
            outcomes["old"] += 1
            subprocess.run(_update_command(folder), check=True, capture_output=True)  # and it converges
            assert _state(folder) == after, f"trial {trial}: a re-run after the kill differs"
        elif state == after:
            outcomes["new"] += 1
        else:
            mixed = sorted(path for path in set(state) | set(before) | set(after)
                           if state.get(path) not in (before.get(path), after.get(path)))[:5]
            raise AssertionError(f"trial {trial}: a mix of the old and the new fork, e.g. {mixed}")
    assert outcomes["old"] + outcomes["new"] == 40
    assert outcomes["old"] and outcomes["new"], outcomes  # the kills landed on both sides of the commit


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                                           capture_output=True, check=False).returncode != 0:
        pytest.skip("a small tmpfs needs root (mount -t tmpfs)")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True, check=False)


def test_a_full_disk_leaves_update_with_the_fork_as_it_was(small_disk: Path) -> None:
    fork = small_disk / "fork"
    _edited_fork(fork)
    before = _state(fork)
    stats = os.statvfs(small_disk)
    with open(small_disk / "filler", "wb") as filler:  # leave 32 KiB: not enough to stage the update
        filler.write(b"\0" * max(stats.f_bavail * stats.f_frsize - 32 * 1024, 0))
    result = invoke("update", *BASE, *NEW, "--repo", str(fork), "--allow-dirty")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"cannot write to {fork}: No space left on device (the folder was left as it was)\n"
    assert _state(fork) == before
    (small_disk / "filler").unlink()
    status = invoke("status", "--repo", str(fork))
    assert status.stdout.splitlines()[0] == "edited    notebook-controller/kustomization.yaml"
    assert "edited" not in "\n".join(status.stdout.splitlines()[1:])  # no edits nobody made


def test_update_racing_a_render_leaves_a_tree_that_matches_its_lock(tmp_path: Path) -> None:
    for trial in range(4):
        fork = tmp_path / f"fork-{trial}"
        assert invoke("render", *BASE, "-o", str(fork)).exit_code == 0
        render = [sys.executable, "-m", "argoflow_gen", "render", *BASE, "--set", "spec.ingress.domain=x.example",
                  "-o", str(fork)]
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for command in (_update_command(fork), render)]
        results = [process.communicate() for process in processes]
        codes = [process.returncode for process in processes]
        assert codes[0] in (0, 2) and codes[1] in (0, 2), results  # a refusal is clean, never a corruption
        lock = parse_lock((fork / LOCK_FILE).read_text(), LOCK_FILE)
        for path, digest in lock.files.items():
            assert sha256((fork / path).read_text()) == digest, f"trial {trial}: {path} does not match the lock"


# ------------------------------------------------------------------------ merge conflicts (attack 10)


def _users(email: str) -> list[str]:
    return ["--set", f"spec.identity.users=[{{email: {email}, username: ada, "
                     "passwordHashFrom: {existingSecret: dex-static-passwords, key: ada}}]",
            "--set", f"spec.identity.admin={email}"]


def test_a_list_item_both_sides_changed_is_a_conflict(tmp_path: Path) -> None:
    fork = tmp_path / "fork"
    assert invoke("render", *BASE, *_users("ada@acme.example"), "-o", str(fork)).exit_code == 0
    dex = fork / "dex" / "kustomization.yaml"
    dex.write_text(dex.read_text().replace("- email: ada@acme.example", "- email: ada@users.acme.example"))
    result = invoke("update", *BASE, *_users("ada@corp.example"), "--repo", str(fork), "--allow-dirty")
    assert result.exit_code == 1, result.output
    assert "conflict      dex/kustomization.yaml" in result.stdout
    text = dex.read_text()
    assert "<<<<<<< dex/kustomization.yaml (yours)" in text
    assert "ada@users.acme.example" in text and "ada@corp.example" in text


def test_changes_to_different_lines_of_one_patch_merge_into_one_patch(tmp_path: Path) -> None:
    fork = tmp_path / "fork"
    assert invoke("render", *BASE, *_users("ada@acme.example"), "-o", str(fork)).exit_code == 0
    dex = fork / "dex" / "kustomization.yaml"
    dex.write_text(dex.read_text().replace("level: info", "level: debug"))
    result = invoke("update", *BASE, *_users("ada@corp.example"), "--repo", str(fork), "--allow-dirty")
    assert result.exit_code == 0, result.output
    patches = [item["patch"] for item in load_yaml_documents(dex.read_text())[0]["patches"]
               if "kind: ConfigMap" in item["patch"]]
    assert len(patches) == 1  # never the user's stale copy beside the new one
    assert "level: debug" in patches[0] and "ada@corp.example" in patches[0]
    assert "ada@acme.example" not in patches[0]
