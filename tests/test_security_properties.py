"""Random hostile state files (lock, pristine copy, journal, symlinks) through render, --check, update and
status: nothing outside the fork is ever created, changed or removed, and nothing crashes."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argoflow_gen.state import sha256

from .hostile import BASE, World, invoke

STATE = ".argoflow-gen"
VICTIM = "the user's own file outside the fork\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "fork"
    assert invoke("render", *BASE, "-o", str(folder)).exit_code == 0
    return folder


def _paths(outside: Path) -> st.SearchStrategy[str]:
    hostile = st.sampled_from([
        "../outside/victim.txt", "../outside/deep/er/keep.yaml", "../outside/deep", "../outside",
        str(outside / "victim.txt"), str(outside / "deep" / "er" / "keep.yaml"), str(outside),
        "dex/../../outside/victim.txt", "./../outside/victim.txt", "link/victim.txt", "link/deep/er/keep.yaml",
        "state-link/x", "dex//kustomization.yaml", "dex/./kustomization.yaml", "x\0y", "/", ".", "..", "",
        "a/" * 3000 + "b", "n" * 5000, "dex/kustomization.yaml", "README.md", f"{STATE}/lock.yaml",
        f"{STATE}/staging/00000", "..\\outside\\victim.txt", "~/victim.txt",
    ])
    return st.one_of(hostile, st.text(min_size=0, max_size=40))


@st.composite
def _state(draw: st.DrawFn, outside: Path) -> dict[str, object]:
    paths = _paths(outside)
    return {
        "lock": draw(st.lists(paths, max_size=6)),
        "pristine": draw(st.lists(paths, max_size=6)),
        "moves": draw(st.lists(paths, max_size=4)),
        "deletes": draw(st.lists(paths, max_size=4)),
        "staged": draw(st.booleans()),
        "link": draw(st.sampled_from(["none", "folder", "state", "file"])),
        "journal": draw(st.booleans()),
    }


def _plant(world: World, state: dict[str, object]) -> None:
    fork = world.fork
    (fork / "link").symlink_to("../outside")
    victim_digest = sha256(VICTIM)
    lock = fork / STATE / "lock.yaml"
    extra = "".join(f"  {json.dumps(path)}: {victim_digest}\n" for path in state["lock"])  # type: ignore[union-attr]
    lock.write_text(lock.read_text().replace("files:\n", "files:\n" + extra, 1))
    pristine = fork / STATE / "pristine.json"
    data = json.loads(pristine.read_text())
    data.update({path: VICTIM for path in state["pristine"]})  # type: ignore[union-attr]
    pristine.write_text(json.dumps(data))
    if state["staged"]:
        (fork / STATE / "staging").mkdir()
        (fork / STATE / "staging" / "00000").write_text("from the attacker\n")
    if state["journal"]:
        moves = [[f"{STATE}/staging/00000", target] for target in state["moves"]]  # type: ignore[union-attr]
        (fork / STATE / "journal.json").write_text(json.dumps({"moves": moves, "deletes": state["deletes"]}))
    if state["link"] == "folder":
        shutil.rmtree(fork / "dex")
        (fork / "dex").symlink_to("../outside/deep")
    elif state["link"] == "state":
        shutil.copytree(fork / STATE, world.outside / "state-copy")
        shutil.rmtree(fork / STATE)
        (fork / STATE).symlink_to("../outside/state-copy")
    elif state["link"] == "file":
        (fork / "README.md").unlink()
        (fork / "README.md").symlink_to("../outside/victim.txt")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_state_never_reaches_outside_the_fork(template: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        world = World(Path(temporary) / "world")
        world.build()
        shutil.copytree(template, world.fork, symlinks=True)
        _plant(world, data.draw(_state(world.outside)))
        before = world.sentinel()
        commands = [
            ["render", *BASE, "-o", str(world.fork), "--check"],
            ["render", *BASE, "-o", str(world.fork), "--dry-run"],
            ["status", "--repo", str(world.fork)],
            ["update", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "--repo", str(world.fork),
             "--allow-dirty", "--dry-run"],
            ["update", *BASE, "--set", "spec.ingress.domain=ml.acme.example", "--repo", str(world.fork),
             "--allow-dirty"],
            ["render", *BASE, "-o", str(world.fork)],
            ["render", *BASE, "-o", str(world.fork), "--force"],
        ]
        for command in commands:
            result = invoke(*command)
            assert result.exit_code in (0, 1, 2), (command, result.output, result.exception)
            assert "Traceback" not in result.output
            assert world.sentinel() == before, command
