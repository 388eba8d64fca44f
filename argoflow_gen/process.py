"""The one way argoflow-gen runs another program (git, kustomize): bounded in time and in output.

Callers build argv lists (never a shell), put ``--end-of-options`` (git) or validated values before any
argument that comes from a fork, and get the exit status, the output and whether a limit was hit.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Defaults: a build or a fetch that runs longer or prints more than this is stopped.
TIMEOUT_SECONDS = 600.0
MAX_OUTPUT_BYTES = 256 << 20
MAX_ERROR_BYTES = 1 << 20


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    overflowed: bool = False  # stdout passed its limit: the program was stopped

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.overflowed

    def error_text(self, lines: int = 5) -> str:
        text = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return " ".join(text[-lines:])[-2000:]


def run(argv: Sequence[str], *, timeout: float = TIMEOUT_SECONDS, max_output: int = MAX_OUTPUT_BYTES,
        env: Mapping[str, str] | None = None, cwd: str | Path | None = None, input_bytes: bytes = b"") -> Finished:
    """Run ``argv`` (raises FileNotFoundError if the program is missing), feeding ``input_bytes``; stop it (and
    its children) when it runs past ``timeout`` seconds or prints more than ``max_output`` bytes."""
    process = subprocess.Popen(list(argv), stdin=subprocess.PIPE if input_bytes else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=None if env is None else dict(env),
                               cwd=cwd, start_new_session=True)
    assert process.stdout is not None and process.stderr is not None
    out: list[bytes] = []
    err: list[bytes] = []
    sizes = {"out": 0, "err": 0}
    timed_out = overflowed = False
    deadline = time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "out")
    selector.register(process.stderr, selectors.EVENT_READ, "err")
    pending = input_bytes
    if process.stdin is not None:
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin, selectors.EVENT_WRITE, "in")
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _events in selector.select(min(left, 1.0)):
                if key.data == "in":
                    try:
                        written = os.write(key.fd, pending[:65536])
                    except BrokenPipeError:
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(key.fileobj)
                        process.stdin.close()  # type: ignore[union-attr]
                    continue
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                name = key.data
                limit = max_output if name == "out" else MAX_ERROR_BYTES
                if sizes[name] + len(chunk) > limit:
                    if name == "out":
                        overflowed = True
                        break
                    chunk = chunk[: max(limit - sizes[name], 0)]
                sizes[name] += len(chunk)
                (out if name == "out" else err).append(chunk)
            if overflowed:
                break
    finally:
        selector.close()
        if timed_out or overflowed:
            _kill(process)
        returncode = process.wait()
        for stream in (process.stdout, process.stderr, process.stdin):
            if stream is not None and not stream.closed:
                stream.close()
    return Finished(returncode, b"".join(out), b"".join(err), timed_out, overflowed)


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
