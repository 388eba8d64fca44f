"""Command line: parses arguments, calls one library function per command, formats errors.

Exit codes: 0 success, 1 differences found (``--check``, ``diff``), 2 bad input, 3 unexpected failure.
"""

from . import fork, profiles, tools  # noqa: F401 - they add their commands to the root command
from .app import cli, main

__all__ = ["cli", "main"]
