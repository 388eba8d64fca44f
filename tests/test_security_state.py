"""A fork's state files are hostile: a clone can carry any lock, pristine copy, journal or symlink.

Each test builds the attack for real (a git repository and a clone where the attack travels in one) and
checks, by hashing a sentinel tree beside the fork, that nothing outside the fork was created, changed or
removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from argoflow_gen.state import sha256

from .hostile import BASE, SEALED_PROFILE, World, commit_all, git, invoke

STATE = ".argoflow-gen"


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "world")
    world.build()
    return world


def _clone_with(world: World, tmp_path: Path, plant: dict[str, str]) -> None:
    """Render a fork in an origin repository, commit ``plant`` (paths in the fork -> text) with ``git add -f``,
    and clone it where the world's fork is: the attack arrives as a plain ``git clone``."""
    origin = tmp_path / "origin"
    assert invoke("render", *BASE, "-o", str(origin)).exit_code == 0
    git(origin, "init", "-q")
    for relative, text in plant.items():
        target = origin / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    commit_all(origin, "hostile state")
    subprocess.run(["git", "clone", "-q", str(origin), str(world.fork)], check=True)


# --------------------------------------------------------------------------- a committed journal (attack 3)


@pytest.mark.parametrize("aim", ["relative", "absolute"])
def test_check_never_replays_a_committed_journal(world: World, tmp_path: Path, aim: str) -> None:
    target = "../outside/victim.txt" if aim == "relative" else str(world.outside / "victim.txt")
    doomed = "../outside/deep/er/keep.yaml" if aim == "relative" else str(world.outside / "deep/er/keep.yaml")
    _clone_with(world, tmp_path, {
        f"{STATE}/staging/00000": "written by the attacker\n",
        f"{STATE}/journal.json": json.dumps({"moves": [[f"{STATE}/staging/00000", target]], "deletes": [doomed]}),
    })
    before = world.sentinel()

    check = invoke("render", *BASE, "-o", str(world.fork), "--check")
    assert check.exit_code == 2
    assert "has an interrupted write waiting to be finished" in check.stderr
    assert world.sentinel() == before
    assert (world.fork / STATE / "journal.json").exists()  # a read-only command replays nothing

    written = world.render()  # a writing render reads the journal through the gate, and refuses it
    assert written.exit_code == 2
    assert "refusing the path" in written.stderr
    assert world.sentinel() == before


def test_a_journal_may_only_move_staged_files(world: World, tmp_path: Path) -> None:
    _clone_with(world, tmp_path, {
        f"{STATE}/journal.json": json.dumps({"moves": [["../outside/victim.txt", "stolen.txt"]], "deletes": []}),
    })
    before = world.sentinel()
    result = world.render()
    assert result.exit_code == 2
    assert "a move that does not start from the staging folder" in result.stderr
    assert world.sentinel() == before
    assert not (world.fork / "stolen.txt").exists()


# ---------------------------------------------------------------------------------- the lock (attack 4)


@pytest.mark.parametrize("aim", ["relative", "absolute"])
def test_a_lock_listing_paths_outside_the_fork_deletes_nothing(world: World, tmp_path: Path, aim: str) -> None:
    assert world.render().exit_code == 0
    lock = world.fork / STATE / "lock.yaml"
    keep = world.outside / "deep" / "er" / "keep.yaml"
    listed = "../outside/deep/er/keep.yaml" if aim == "relative" else str(keep)
    text = lock.read_text().replace("files:\n", f"files:\n  {listed}: {sha256(keep.read_text())}\n", 1)
    lock.write_text(text)
    before = world.sentinel()
    for args in ([], ["--dry-run"], ["--check"]):
        result = world.render(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "refusing the path" in result.stderr
    assert world.sentinel() == before
    assert keep.exists() and keep.parent.is_dir()


def test_pruning_stops_at_the_fork(world: World) -> None:
    """Deleting the last file of a generated folder removes the folders it leaves empty, up to the fork."""
    on = ("--set", "spec.kubeflow.components.pipelines.enabled=true",
          "--set", "spec.kubeflow.components.argo-workflows.enabled=true")
    assert world.render(*on).exit_code == 0
    assert (world.fork / "argo-workflows").is_dir()
    before = world.sentinel()
    assert world.render().exit_code == 0
    left = sorted(path.relative_to(world.fork).as_posix() for path in (world.fork / "argo-workflows").rglob("*"))
    assert left == ["argo-workflows/custom", "argo-workflows/custom/kustomization.yaml"]  # the user's seed stays
    assert world.fork.is_dir()
    assert world.sentinel() == before


# ---------------------------------------------------------------------------- the pristine copy (attack 5)


def test_an_edited_pristine_copy_makes_update_delete_nothing_outside(world: World) -> None:
    assert world.render().exit_code == 0
    pristine = world.fork / STATE / "pristine.json"
    data = json.loads(pristine.read_text())
    data["../outside/victim.txt"] = (world.outside / "victim.txt").read_text()
    data[str(world.outside / "deep/er/keep.yaml")] = (world.outside / "deep/er/keep.yaml").read_text()
    pristine.write_text(json.dumps(data))
    before = world.sentinel()
    for extra in (["--dry-run"], []):
        result = invoke("update", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "--repo", str(world.fork),
                        "--allow-dirty", *extra)
        assert result.exit_code == 2, result.output
        assert "refusing the path" in result.stderr
    assert world.sentinel() == before


# --------------------------------------------------------------------------- symlinked folders (attack 6)


def test_update_never_writes_through_a_symlinked_folder(world: World) -> None:
    assert world.render().exit_code == 0
    shutil.move(world.fork / "dex", world.outside / "dex-real")
    (world.fork / "dex").symlink_to("../outside/dex-real")
    before = world.sentinel()
    users = ("spec.identity.users=[{email: ada@acme.example, username: ada, "
             "passwordHashFrom: {existingSecret: x, key: a}}]")
    result = invoke("update", *BASE, "--set", users, "--repo", str(world.fork), "--allow-dirty")
    assert result.exit_code == 2, result.output
    assert "dex/dex-secrets.yaml in the fork is not a regular file" in result.stderr
    assert world.sentinel() == before


# ------------------------------------------------------------------ a symlinked state folder (attack 7)


def test_a_symlinked_state_folder_is_never_followed(world: World) -> None:
    assert world.render().exit_code == 0
    shutil.copy(world.fork / STATE / "lock.yaml", world.outside / "state" / "lock.yaml")
    shutil.rmtree(world.fork / STATE)
    (world.fork / STATE).symlink_to("../outside/state")
    before = world.sentinel()
    for args in (["--check"], ["--dry-run"], []):
        result = world.render(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not a folder (a symlink or a file)" in result.stderr
    for command in (["status", "--repo", str(world.fork)],
                    ["update", *BASE, "--repo", str(world.fork), "--allow-dirty"]):
        result = invoke(*command)
        assert result.exit_code == 2, (command, result.output)
    assert world.sentinel() == before
    assert (world.outside / "state" / "staging" / "precious").exists()
    assert not (world.outside / "state" / "write.lock").exists()


# ------------------------------------------------------------------------------ read-only checkouts (13)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder and a read-only bind mount of it (root only; skipped elsewhere)."""
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    yield source, view
    subprocess.run(["umount", str(view)], capture_output=True, check=False)


def _mount_read_only(source: Path, view: Path) -> None:
    steps = [["mount", "--bind", str(source), str(view)], ["mount", "-o", "remount,bind,ro", str(view)]]
    for step in steps:
        if os.geteuid() != 0 or subprocess.run(step, capture_output=True, check=False).returncode != 0:
            pytest.skip("a read-only bind mount needs root (mount --bind, remount ro)")


def test_check_dry_run_status_and_diff_pass_on_a_read_only_checkout(read_only: tuple[Path, Path]) -> None:
    source, view = read_only
    assert invoke("render", *BASE, "-o", str(source / "fork")).exit_code == 0
    _mount_read_only(source, view)
    fork = view / "fork"
    with pytest.raises(OSError):
        (fork / "probe").write_text("x")
    check = invoke("render", *BASE, "-o", str(fork), "--check")
    assert (check.exit_code, check.stdout) == (0, f"{fork}: up to date\n")
    dry = invoke("render", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "-o", str(fork), "--dry-run")
    assert dry.exit_code == 0 and "update" in dry.stdout
    status = invoke("status", "--repo", str(fork))
    assert (status.exit_code, status.stdout) == (0, f"{fork}: clean\n")
    diff = invoke("diff", *BASE, "--against", str(fork))
    assert diff.exit_code == 0
    dry_update = invoke("update", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "--repo", str(fork),
                        "--dry-run")
    assert dry_update.exit_code == 1


# ----------------------------------------------------------------------------- honest status, bounded lock


def test_status_re_renders_a_sealed_profile_without_reading_its_inputs(tmp_path: Path, sealing_keys: tuple,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _key, certificate = sealing_keys
    profile = tmp_path / "sealed.yaml"
    profile.write_text(SEALED_PROFILE.format(password="token.txt", certificate=certificate))
    (tmp_path / "token.txt").write_text("ghp_secret")
    monkeypatch.setenv("GIT_USER", "robot")
    fork = tmp_path / "fork"
    assert invoke("render", str(profile), "-o", str(fork)).exit_code == 0
    monkeypatch.delenv("GIT_USER")
    (tmp_path / "token.txt").unlink()  # status never needs them

    clean = invoke("status", "--repo", str(fork))
    assert (clean.exit_code, clean.stdout) == (0, f"{fork}: clean\n")

    record = fork / STATE / "profile.yaml"  # the recorded profile no longer matches the tree: stale files
    record.write_text(record.read_text().replace("domain: kubeflow.example.com", "domain: ml.acme.example"))
    stale = invoke("status", "--repo", str(fork))
    assert stale.exit_code == 1
    assert "stale     kubeflow-istio-resources/certificate.yaml" in stale.stdout

    lock = fork / STATE / "lock.yaml"  # a sealed value the lock does not vouch for cannot be carried on
    text = lock.read_text()
    start = text.index("  argocd/kubeflow-fork-repository/password:")
    end = text.index("\n  argocd/kubeflow-fork-repository/type:")
    lock.write_text(text[:start] + text[end + 1:])
    unknown = invoke("status", "--repo", str(fork))
    assert unknown.exit_code == 2
    assert "not checked" in unknown.stderr and "clean" not in unknown.stdout


def test_a_recorded_profile_never_pulls_in_other_files(world: World) -> None:
    assert world.render().exit_code == 0
    record = world.fork / STATE / "profile.yaml"
    record.write_text(f"extends: [{world.outside / 'victim.txt'}]\n" + record.read_text())
    result = invoke("status", "--repo", str(world.fork))
    assert result.exit_code == 2
    assert "a recorded profile never extends other files" in result.stderr
    assert "the user's own file" not in result.output


def test_an_alias_bomb_in_the_lock_is_refused_at_once(world: World) -> None:
    assert world.render().exit_code == 0
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9))
    (world.fork / STATE / "lock.yaml").write_text(bomb)
    for command in (["status", "--repo", str(world.fork)], ["render", *BASE, "-o", str(world.fork), "--check"]):
        result = invoke(*command)
        assert result.exit_code == 2
        assert "YAML anchors and aliases are not allowed" in result.stderr


def test_a_huge_or_special_lock_is_refused(world: World) -> None:
    assert world.render().exit_code == 0
    lock = world.fork / STATE / "lock.yaml"
    lock.write_text("files:\n" + "  x: y\n" * 800_000)
    result = invoke("status", "--repo", str(world.fork))
    assert result.exit_code == 2 and "over the limit" in result.stderr
    lock.unlink()
    os.mkfifo(lock)
    result = invoke("status", "--repo", str(world.fork))  # a FIFO would block a plain read forever
    assert result.exit_code == 2 and "not a regular file" in result.stderr


def test_update_writes_files_with_the_users_umask(world: World) -> None:
    assert world.render().exit_code == 0
    previous = os.umask(0o022)
    try:
        result = invoke("update", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "--repo", str(world.fork),
                        "--allow-dirty")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    changed = world.fork / "kubeflow-istio-resources" / "certificate.yaml"
    assert "ml.acme.example" in changed.read_text()
    assert oct(changed.stat().st_mode & 0o777) == "0o644"
    assert not list(world.fork.rglob(".*.tmp"))
