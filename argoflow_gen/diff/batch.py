"""Builds through resident builders: ``kubectl kustomize`` without a process and a schema parse per build.

Each ``kubectl kustomize DIR`` starts a program and parses kustomize's built-in OpenAPI schema before it
builds (a tenth of a second of CPU, more than many builds themselves take). ``kustomize-batch``
(``tools/kustomize-batch``, built by ``scripts/test-tools``) is kustomize's own build command, the one kubectl
links, run for one request after another; each lane of a run keeps one. It is used only where it changes
nothing: the command is the default ``kubectl kustomize`` and the builder reports the kustomize version that
kubectl reports. Anywhere else, or without the builder, each build runs ``kubectl kustomize`` as before.

A builder gets the same folders, time limit, output limit and memory share as a kubectl build; one that
stops, times out or answers out of protocol is killed, its build fails as a kubectl build would, and the lane
starts a fresh builder for its next build.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from ..process import run
from . import kustomize
from .budget import go_limit
from .kustomize import MAX_BUILD_OUTPUT, BuildFailure

#: Where ``scripts/test-tools`` puts the builder; ``ARGOFLOW_GEN_KUSTOMIZE_BATCH`` names another.
ENVIRONMENT = "ARGOFLOW_GEN_KUSTOMIZE_BATCH"
_VERSION_TIMEOUT = 60.0
_MAX_HEADER = 64
_HEADER = re.compile(rb"(ok|error) (0|[1-9][0-9]{0,11})\n")


def default_location() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "argoflow-gen" / "tools" / "kustomize-batch" / "kustomize-batch"


def builder_for(argv: tuple[str, ...]) -> Path | None:
    """The resident builder that builds exactly as ``argv`` would, if there is one."""
    if list(argv) != kustomize.kustomize_command(kustomize.DEFAULT_KUSTOMIZE):
        return None
    kubectl = shutil.which("kubectl")
    named = os.environ.get(ENVIRONMENT)
    program = Path(named) if named else default_location()
    if kubectl is None or not (program.is_file() and os.access(program, os.X_OK)):
        return None
    return _matching(kubectl, str(program))


@functools.cache
def _matching(kubectl: str, program: str) -> Path | None:
    ours = _output([program, "--version"])
    theirs = re.search(r"^Kustomize Version: (\S+)$", _output([kubectl, "version", "--client"]), re.MULTILINE)
    return Path(program) if ours and theirs and ours == theirs.group(1) else None


def _output(argv: list[str]) -> str:
    try:
        result = run(argv, timeout=_VERSION_TIMEOUT, max_output=1 << 16)
    except OSError:
        return ""
    return result.stdout.decode("utf-8", "replace").strip() if result.ok else ""


class _Broken(Exception):
    """The builder stopped, broke the protocol or overran the output limit: kill it; the build fails."""


class _Builder:
    """One resident builder process."""

    def __init__(self, program: Path, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen([str(program)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=dict(env), start_new_session=True)
        assert self.process.stdout is not None
        self.out = self.process.stdout.fileno()
        self.pending = b""

    def build(self, folder: Path, timeout: float, limit: int, gc_off: bool) -> str:
        assert self.process.stdin is not None
        request = json.dumps({"path": str(folder), "limit": limit, "gc_off": gc_off}) + "\n"
        try:
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
        except OSError:
            raise _Broken("the builder stopped (kustomize-batch)") from None
        deadline = time.monotonic() + timeout
        header = self._header(deadline)
        match = _HEADER.fullmatch(header)
        if match is None:
            raise _Broken("the builder answered out of protocol (kustomize-batch)")
        size = int(match.group(2))
        if size > MAX_BUILD_OUTPUT:
            raise _Broken(f"stopped: the output passed {MAX_BUILD_OUTPUT >> 20} MiB")
        body = self._exactly(size, deadline)
        text = body.decode("utf-8", "replace")
        if match.group(1) == b"error":
            raise BuildFailure(" ".join(text.split())[-2000:] or "the build failed")  # in a line
        return text

    def _header(self, deadline: float) -> bytes:
        while b"\n" not in self.pending:
            if len(self.pending) > _MAX_HEADER:
                raise _Broken("the builder answered out of protocol (kustomize-batch)")
            self.pending += self._chunk(deadline, 1 << 16)
        line, _, self.pending = self.pending.partition(b"\n")
        return line + b"\n"

    def _exactly(self, size: int, deadline: float) -> bytes:
        parts = [self.pending[:size]]
        got = len(parts[0])
        self.pending = self.pending[size:]
        while got < size:
            chunk = self._chunk(deadline, min(size - got, 1 << 20))
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _chunk(self, deadline: float, most: int) -> bytes:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.out], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(self.out, most)
        if not chunk:
            raise _Broken("the builder stopped (kustomize-batch)")
        return chunk

    def close(self, kill: bool = False) -> None:
        if not kill and self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()  # the builder's signal to stop
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill or self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()


class Builders:
    """How a run builds: through one resident builder per lane where one builds exactly as its command
    would, else by running the command for each build (``kustomize.build``)."""

    def __init__(self, argv: tuple[str, ...]) -> None:
        self.argv = list(argv)
        self._program: Path | bool | None = False  # False: not looked for yet
        self._lanes: dict[int, _Builder] = {}

    @property
    def program(self) -> Path | None:
        """The resident builder, looked for at the first build (a run that builds nothing never looks)."""
        if self._program is False:
            self._program = builder_for(tuple(self.argv))
        assert self._program is not True
        return self._program

    def build(self, lane: int, folder: Path | None, timeout: float, share: int | None) -> str:
        """The output of one build of ``folder`` on ``lane`` with a memory ``share``; a BuildFailure else."""
        environment = go_limit(share)
        program = self.program
        if program is None:
            return kustomize.build(self.argv, folder, timeout, environment)
        assert folder is not None
        builder = self._lanes.get(lane)
        if builder is None:
            builder = self._lanes[lane] = _Builder(program, kustomize.environment())
        limit = int(environment["GOMEMLIMIT"].removesuffix("MiB")) << 20 if "GOMEMLIMIT" in environment else 0
        try:
            return builder.build(folder, timeout, limit, environment.get("GOGC") == "off")
        except TimeoutError:
            self._drop(lane)
            raise BuildFailure(f"stopped after {timeout:.0f} s (a build may take at most that long)") from None
        except _Broken as broken:
            self._drop(lane)
            raise BuildFailure(str(broken)) from None

    def _drop(self, lane: int) -> None:
        builder = self._lanes.pop(lane, None)
        if builder is not None:
            builder.close(kill=True)

    def close(self) -> None:
        for lane in list(self._lanes):
            builder = self._lanes.pop(lane)
            builder.close()
