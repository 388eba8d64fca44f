"""What every rule makes: a located problem, ranked after the schema's."""

from __future__ import annotations

from ..schema import Problem
from ..yamlio import JsonPath

RANK = 2


def problem(path: JsonPath, message: str, hint: str = "") -> Problem:
    return Problem(path, message, hint, rank=RANK)
