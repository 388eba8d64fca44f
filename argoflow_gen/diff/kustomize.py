"""Running kustomize: the command, what identifies its version (part of every cache key), and one build.

The command is the user's (``kubectl kustomize`` unless ``--kustomize`` names another); the folders it builds
come from a pull request, and are given as the last argument, after the checks of ``confine``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path

from ..errors import DiffError
from ..process import run

DEFAULT_KUSTOMIZE = "kubectl kustomize"
BUILD_TIMEOUT = 600.0  # seconds, per build
MAX_BUILD_OUTPUT = 256 << 20
_VERSION_TIMEOUT = 60.0
_MAX_PROGRAM_BYTES = 1 << 30


class BuildFailure(Exception):
    """One build failed; ``detail`` says why, in a line."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def kustomize_command(command: str) -> list[str]:
    """The argv that builds a folder (appended last): ``kustomize`` alone means ``kustomize build``."""
    argv = shlex.split(command)
    if not argv:
        raise DiffError("the kustomize command is empty", hint=f"for example --kustomize '{DEFAULT_KUSTOMIZE}'")
    if len(argv) == 1 and os.path.basename(argv[0]) == "kustomize":
        argv.append("build")
    if shutil.which(argv[0]) is None:
        raise DiffError(f"kustomize command not found: {argv[0]}",
                        hint="install kubectl, or name the command with --kustomize CMD")
    return argv


def identity(argv: list[str]) -> str:
    """What a build's output depends on besides its inputs: the command, its arguments and its version.

    ``kubectl`` and ``kustomize`` tell their versions (``kubectl version --client``, ``kustomize version``);
    any other program (a wrapper) is known by its content, and by the version of the kubectl on the PATH,
    which a wrapper may call.
    """
    program = shutil.which(argv[0])
    if program is None:
        raise DiffError(f"kustomize command not found: {argv[0]}")
    name = os.path.basename(program)
    parts = {"arguments": argv[1:], "program": name}
    if name == "kubectl":
        parts["version"] = _version([program, "version", "--client"])
    elif name == "kustomize":
        parts["version"] = _version([program, "version"])
    else:
        parts["content"] = _file_digest(Path(program).resolve())
        kubectl = shutil.which("kubectl")
        parts["kubectl"] = _version([kubectl, "version", "--client"]) if kubectl else ""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _version(argv: list[str]) -> str:
    try:
        result = run(argv, timeout=_VERSION_TIMEOUT, max_output=1 << 16)
    except OSError as exc:
        raise DiffError(f"cannot run {argv[0]}: {exc}") from None
    if not result.ok:
        raise DiffError(f"{' '.join(argv)} failed: {result.error_text(2) or result.returncode}",
                        hint="the kustomize version is part of every cached build's key")
    return result.stdout.decode("utf-8", "replace").strip()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            read += len(chunk)
            if read > _MAX_PROGRAM_BYTES:
                raise DiffError(f"{path} is over {_MAX_PROGRAM_BYTES >> 20} MiB: not a kustomize command")
            digest.update(chunk)
    return digest.hexdigest()


def environment() -> dict[str, str]:
    """kustomize's environment: the user's, with Go's garbage collector running 4x less often unless GOGC is
    set (a third less CPU for a short-lived build of large CRDs, for about twice the memory)."""
    return {"GOGC": "400", **os.environ}


def build(argv: list[str], folder: Path | None, timeout: float, env: Mapping[str, str] | None = None) -> str:
    """The output of one build of ``folder``; a BuildFailure saying why there is none. ``env`` is added to
    the environment (a memory limit, say)."""
    assert folder is not None
    try:
        result = run([*argv, str(folder)], env={**environment(), **(env or {})}, timeout=timeout,
                     max_output=MAX_BUILD_OUTPUT)
    except FileNotFoundError:
        raise BuildFailure(f"command not found: {argv[0]} (install kubectl, or pass --kustomize CMD)") from None
    if result.timed_out:
        raise BuildFailure(f"stopped after {timeout:.0f} s (a build may take at most that long)")
    if result.overflowed:
        raise BuildFailure(f"stopped: the output passed {MAX_BUILD_OUTPUT >> 20} MiB")
    if result.returncode != 0:
        lines = [line for line in result.stderr.decode("utf-8", "replace").strip().splitlines()
                 if not line.startswith("# Warning:")]
        raise BuildFailure(" ".join(lines[-5:])[-2000:] or f"exit status {result.returncode}")
    return result.stdout.decode("utf-8", "replace")
