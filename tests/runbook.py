"""The runnable steps of a fork's README, and running them against a test server.

The README marks every runnable step as a fenced ```sh block right after a line ``<!-- runbook: STEP -->``.
Commands may read files named after a Secret's keys from the working folder and documented ``$UPPER_CASE``
variables; ``run`` provides both (test values) and runs each block with ``bash -euo pipefail`` in the working
folder (a throwaway copy of the fork), with KUBECONFIG naming the test server and git reading the bundled
upstream repositories instead of the network.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^(?P<indent>\s*)<!-- runbook: (?P<step>[a-z][a-z0-9-]*) -->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[A-Za-z0-9_-]*)\s*$")
VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
_FROM_FILE = re.compile(r"--from-(?:env-)?file=(?:[^=\s]+=)?(\S+)")
_TLS = re.compile(r"--(?:cert|key)=(\S+)")


@dataclass(frozen=True)
class Block:
    step: str
    line: int  # 1-based line of the marker
    script: str


def blocks(readme: str) -> list[Block]:
    """Every marked block, in order. A marker not followed by a ```sh fence is an error."""
    lines = readme.splitlines()
    found = []
    index = 0
    while index < len(lines):
        marker = MARKER.match(lines[index])
        index += 1
        if not marker:
            continue
        fence = FENCE.match(lines[index]) if index < len(lines) else None
        if not fence or fence["info"] != "sh":
            raise AssertionError(f"README.md:{index}: runbook marker {marker['step']!r} is not followed by a ```sh "
                                 "block")
        indent = fence["indent"]
        body = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            text = lines[index]
            body.append(text[len(indent):] if text.startswith(indent) else text.lstrip())
            index += 1
        if index == len(lines):
            raise AssertionError(f"README.md:{index}: the {marker['step']!r} block is never closed")
        index += 1
        found.append(Block(marker["step"], index - len(body) - 2, "\n".join(body) + "\n"))
    return found


def _tls_pair(folder: Path, cert: str, key: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "runbook.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(private, hashes.SHA256()))
    (folder / cert).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / key).write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))


def provide_inputs(block: Block, folder: Path) -> dict[str, str]:
    """Write the files the block reads (test values) and return the variables it names (test values)."""
    for path in _FROM_FILE.findall(block.script):
        target = folder / path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"runbook-test-value-{target.name}", encoding="utf-8")
    tls = _TLS.findall(block.script)
    if len(tls) >= 2 and not (folder / tls[0]).exists():
        _tls_pair(folder, tls[0], tls[1])
    return {name: f"runbook-test-{name.lower()}" for name in VARIABLE.findall(block.script)}


def run(block: Block, folder: Path, kubeconfig: Path, gitconfig: Path) -> subprocess.CompletedProcess[str]:
    """Run one block as written; the caller asserts on the result."""
    variables = provide_inputs(block, folder)
    env = {**variables, **os.environ, "KUBECONFIG": str(kubeconfig), "GIT_CONFIG_GLOBAL": str(gitconfig),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # argoflow-gen itself
    return subprocess.run(["bash", "-euo", "pipefail", "-c", block.script], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def describe(block: Block, result: subprocess.CompletedProcess[str]) -> str:
    return (f"README.md:{block.line}: runbook step {block.step!r} failed with exit code {result.returncode}:\n"
            f"{block.script}\n--- stderr ---\n{result.stderr[-4000:]}\n--- stdout ---\n{result.stdout[-2000:]}")

