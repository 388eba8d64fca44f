"""Values as text for reports: YAML through the project's emitter, secrets as their masked sizes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..yamlemit import dump, dump_inline
from .model import Masked


def plain(value: Any) -> Any:
    """``value`` as data the YAML emitter and ``json`` accept: masked values become ``*** (N bytes)``."""
    if isinstance(value, Masked):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def dump_value(value: Any) -> str:
    """A value as a block of YAML, ending in a newline."""
    return dump(plain(value))


def inline(value: Any) -> str:
    """A value on one line."""
    return dump_inline(plain(value))
