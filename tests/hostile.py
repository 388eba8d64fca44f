"""Helpers for attack tests: a world holding a fork and a sentinel tree beside it, hashed before and after."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from argoflow_gen.cli import cli

BASE = ["preset:minimal", "--set", "spec.repo.url=https://github.com/acme/kf.git"]

#: A private fork whose credentials and random values are sealed: format with password= and certificate=.
SEALED_PROFILE = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {{name: sealed}}
extends: [preset:minimal]
spec:
  repo:
    url: https://github.com/acme/private.git
    private: true
    credentials: {{sealed: {{type: https, username: {{env: GIT_USER}}, password: {{file: {password}}}}}}}
  secrets: {{certificate: {certificate}, randomSecrets: sealed}}
"""


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def fingerprint(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every entry under ``root`` (but ``skip``): its kind, mode and content or link target."""
    found: dict[str, str] = {}
    for folder, folders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        if skip is not None and (here == skip or skip in here.parents):
            folders[:] = []
            continue
        for name in sorted(folders + files):
            path = here / name
            if skip is not None and path == skip:
                continue
            info = os.lstat(path)
            relative = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = f"dir {oct(info.st_mode & 0o7777)}"
            elif stat.S_ISREG(info.st_mode):
                found[relative] = f"file {oct(info.st_mode & 0o7777)} {hashlib.sha256(path.read_bytes()).hexdigest()}"
            else:
                found[relative] = f"special {stat.S_IFMT(info.st_mode)}"
    return found


@dataclass
class World:
    """``root/outside`` is the sentinel tree an attack aims at; ``root/fork`` the fork."""

    root: Path

    @property
    def fork(self) -> Path:
        return self.root / "fork"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    def build(self) -> None:
        (self.outside / "deep" / "er").mkdir(parents=True)
        (self.outside / "victim.txt").write_text("the user's own file outside the fork\n")
        (self.outside / "deep" / "er" / "keep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
        (self.outside / "state" / "staging").mkdir(parents=True)
        (self.outside / "state" / "staging" / "precious").write_text("not argoflow-gen's\n")

    def sentinel(self) -> dict[str, str]:
        return fingerprint(self.root, skip=self.fork)

    def render(self, *extra: str) -> Any:
        return invoke("render", *BASE, *extra, "-o", str(self.fork))


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False,
                            env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def commit_all(repository: Path, message: str = "change") -> None:
    git(repository, "add", "-A", "-f", ".")
    git(repository, "commit", "-q", "-m", message, "--allow-empty")
