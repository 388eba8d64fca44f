"""The one exception hierarchy of argoflow-gen.

Every error knows its exit code and formats itself; the CLI only prints ``str(error)``.
Exit codes: 1 differences found, 2 bad input (or a refused write), 3 an unexpected failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One located problem: ``FILE:LINE:COL: json.path: message (hint)``.

    ``line`` and ``column`` are 1-based; 0 means "unknown".
    """

    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    path: str = ""
    hint: str = ""

    def format(self) -> str:
        where = self.file or "<profile>"
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ArgoflowError(Exception):
    """Root of every error argoflow-gen raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(ArgoflowError):
    """The user's input is wrong: exit code 2, never a traceback."""

    exit_code = 2


class ProfileError(InputError):
    """A profile (or a layer of one) is invalid. ``issues`` holds every problem, most relevant first."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("\n".join(issue.format() for issue in self.issues))


class OutputError(InputError):
    """Writing the tree was refused or failed; the folder is left as it was."""


class RenderError(ArgoflowError):
    """A template or catalog defect found while rendering (a bug in argoflow-gen, not in the input)."""


class SecretError(InputError):
    """A secret could not be read, sealed or hashed."""


class DiffError(InputError):
    """A diff could not be computed (for example a kustomize build failed on one side)."""


class UpdateError(InputError):
    """An update of a fork was refused."""


class StateError(InputError):
    """A file of the fork that argoflow-gen reads as data (its state files under ``.argoflow-gen/``, a file a
    generated path names) is damaged or hostile: a path outside the fork, a symlink, a size over its limit."""


class VerifyError(InputError):
    """A cluster could not be verified: no kubeconfig, no connection, a build that fails (exit code 2)."""


class DifferencesFound(ArgoflowError):
    """Not a failure: ``--check`` and ``diff`` found differences (exit code 1)."""

    exit_code = 1
