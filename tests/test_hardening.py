"""Hostile conditions: killed writes, full and read-only disks, concurrent writers, unexpected errors."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen import load_profile, render
from argoflow_gen.cli import cli
from argoflow_gen.writer import transaction

OLD = ["preset:minimal", "--set", "spec.kubeflow.version=1.10.2", "--set", "spec.repo.url=https://github.com/a/b.git"]
NEW = ["preset:full", "--set", "spec.kubeflow.version=1.11.0", "--set", "spec.repo.url=https://github.com/a/b.git"]


def _layers(args: list[str]) -> tuple[list[str], list[str]]:
    sources = [a for i, a in enumerate(args) if a != "--set" and (i == 0 or args[i - 1] != "--set")]
    overrides = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    return sources, overrides


def expected(args: list[str]) -> dict[str, str]:
    sources, overrides = _layers(args)
    return dict(render(load_profile(*sources, overrides=overrides)).files)


def on_disk(folder: Path, paths: set[str]) -> dict[str, str | None]:
    return {path: (folder / path).read_text() if (folder / path).is_file() else None for path in paths}


def cli_render(args: list[str], folder: Path) -> Any:
    return CliRunner().invoke(cli, ["render", *args, "-o", str(folder)])


@pytest.mark.slow
def test_sigkill_during_a_rerender_leaves_the_old_or_the_new_tree(tmp_path: Path) -> None:
    old, new = expected(OLD), expected(NEW)
    paths = set(old) | set(new)
    command = [sys.executable, "-m", "argoflow_gen", "render", *NEW, "-o"]
    start = time.monotonic()
    subprocess.run([*command, str(tmp_path / "timing")], check=True, capture_output=True)
    duration = time.monotonic() - start
    rng = random.Random(20261129)
    outcomes = {"old": 0, "new": 0}
    for trial in range(24):
        folder = tmp_path / f"trial-{trial}"
        assert cli_render(OLD, folder).exit_code == 0
        (folder / "mine.txt").write_text("the user's own file")
        process = subprocess.Popen([*command, str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # the next command that writes to the folder finishes or undoes the interrupted write first
        with transaction(folder):
            pass
        state = on_disk(folder, paths)
        if state == {path: old.get(path) for path in paths}:
            outcomes["old"] += 1
        elif state == {path: new.get(path) for path in paths}:
            outcomes["new"] += 1
        else:
            mixed = sorted(p for p in paths if state[p] not in (old.get(p), new.get(p)))[:5]
            raise AssertionError(f"trial {trial}: a mix of old and new files, e.g. {mixed}")
        assert (folder / "mine.txt").read_text() == "the user's own file"
        assert not (folder / ".argoflow-gen" / "journal.json").exists()
    assert outcomes["old"] + outcomes["new"] == 24


def _failing_stage(after: int, error: int) -> Any:
    """The writer's one place that puts bytes on disk, failing like a full or read-only disk would."""
    from argoflow_gen import writer

    calls = {"n": 0}
    real = writer._stage

    def stage(path: Path, text: str) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(error, os.strerror(error))
        real(path, text)

    return stage


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_disk_leaves_the_previous_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           error: int) -> None:
    folder = tmp_path / "fork"
    assert cli_render(OLD, folder).exit_code == 0
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "write.lock"}
    monkeypatch.setattr("argoflow_gen.writer._stage", _failing_stage(5, error))
    result = cli_render(NEW, folder)
    assert result.exit_code == 2
    assert result.stderr == f"cannot write to {folder}: {os.strerror(error)} (the folder was left as it was)\n"
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "write.lock"}
    assert after == before
    assert not (folder / ".argoflow-gen" / "staging").exists()


def test_a_full_disk_on_first_render_leaves_nothing_half_written(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("argoflow_gen.writer._stage", _failing_stage(3, errno.ENOSPC))
    result = cli_render(OLD, tmp_path / "fork")
    assert result.exit_code == 2
    generated = [p for p in (tmp_path / "fork").rglob("*") if p.is_file() and ".argoflow-gen" not in p.parts]
    assert generated == []


def test_two_renders_at_once_do_not_corrupt_the_tree(tmp_path: Path) -> None:
    folder = tmp_path / "fork"
    assert cli_render(OLD, folder).exit_code == 0
    command = [sys.executable, "-m", "argoflow_gen", "render", *NEW, "-o", str(folder)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [first.communicate(), second.communicate()]
    assert first.returncode == 0 and second.returncode == 0, results  # one waited for the other
    new = expected(NEW)
    assert on_disk(folder, set(new)) == new


def test_a_writer_that_cannot_get_the_lock_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    folder = tmp_path / "fork"
    assert cli_render(OLD, folder).exit_code == 0
    monkeypatch.setattr("argoflow_gen.writer.LOCK_WAIT_SECONDS", 0.2)
    with open(folder / ".argoflow-gen" / "write.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = CliRunner().invoke(cli, ["render", *NEW, "-o", str(folder)])
    assert result.exit_code == 2
    assert "is being written by another argoflow-gen process" in result.stderr


def test_an_unexpected_error_prints_one_line_and_a_crash_report(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr("argoflow_gen.api.render_fork", boom)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = CliRunner().invoke(cli, ["render", *OLD, "-o", str(tmp_path / "fork")])
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("argoflow-gen: unexpected error (RuntimeError); crash report: ")
    report = Path(line.rsplit(": ", 1)[1])
    assert "something nobody expected" in report.read_text()
    assert "Traceback" not in result.stderr
    debug = CliRunner().invoke(cli, ["--debug", "render", *OLD, "-o", str(tmp_path / "fork")])
    assert debug.exit_code == 3
    assert "Traceback" in debug.stderr
    assert "RuntimeError: something nobody expected" in debug.stderr
