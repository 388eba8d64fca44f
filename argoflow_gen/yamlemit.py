"""Writing YAML: a small emitter of our own. It is deterministic, fast, and quotes every scalar that any YAML
1.1 or 1.2 reader could take for anything but a string. (Reading is ``yamlio``'s.)"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

_BOOL_NULL = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|~|null|Null|NULL|=|<<)"
)
_NUMBERISH = re.compile(
    r"[-+]?(?:\.?[0-9][0-9_]*(?:[.:][0-9_]*)*(?:[eE][-+]?[0-9]+)?|0[xXoObB][0-9a-fA-F_]+"
    r"|\.(?:inf|Inf|INF|nan|NaN|NAN))"
)
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_PLAIN = re.compile(r"[A-Za-z0-9_/.$(][A-Za-z0-9_/.@+~=:$(){}*%,?#&' -]*")
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\\\\\"]")
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _escape(char: str) -> str:
    code = ord(char)
    named = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
    if char in named:
        return named[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def double_quoted(text: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(lambda match: _escape(match.group(0)), text) + '"'


@functools.lru_cache(maxsize=8192)
def scalar(text: str) -> str:
    """A string as a one-line YAML scalar that every reader takes back as exactly this string."""
    if (
        _PLAIN.fullmatch(text)
        and not _BOOL_NULL.fullmatch(text)
        and not _NUMBERISH.fullmatch(text)
        and not _TIMESTAMP.match(text)
        and not text.endswith((":", " "))
        and ": " not in text
        and " #" not in text
    ):
        return text
    return double_quoted(text)


def _key(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"mapping keys must be strings, got {value!r}")
    return scalar(value)


def _atom(value: Any) -> str | None:
    """The one-line form of a scalar or an empty collection; None for anything that needs a block."""
    kind = type(value)
    if kind is str:  # the common cases first: this runs for every value written
        return None if "\n" in value and not _BLOCK_UNSAFE.search(value) else scalar(value)
    if kind is dict or kind is list:
        return None if value else ("{}" if kind is dict else "[]")
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text:  # YAML 1.1 floats need a dot: 1e+16 -> 1.0e+16
            mantissa, _, exponent = text.partition("e")
            text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
        return text
    if isinstance(value, str):
        return None if "\n" in value and not _BLOCK_UNSAFE.search(value) else scalar(value)
    if isinstance(value, Mapping) and not value:
        return "{}"
    if isinstance(value, (list, tuple)) and not value:
        return "[]"
    return None


def _block_scalar(text: str, indent: int) -> Iterator[str]:
    if text.endswith("\n\n") or text == "\n":
        chomp = "+"
    elif text.endswith("\n"):
        chomp = ""
    else:
        chomp = "-"
    indicator = "2" if text[:1] in (" ", "\n") else ""
    yield f"|{indicator}{chomp}"
    body = text[:-1] if text.endswith("\n") else text
    pad = " " * indent
    for line in body.split("\n"):
        yield f"{pad}{line}" if line else ""


def _emit(value: Any, indent: int, lines: list[str], prefix: str) -> None:
    """Append the lines of ``value``; ``prefix`` is what already stands before it on its first line."""
    atom = _atom(value)
    if atom is not None:
        lines.append(f"{prefix}{atom}")
        return
    pad = " " * indent
    if isinstance(value, str):
        block = list(_block_scalar(value, indent if prefix.strip() else indent + 2))
        lines.append(f"{prefix}{block[0]}")
        lines.extend(block[1:])
        return
    if isinstance(value, Mapping):
        first = True
        for key, item in value.items():
            head = (prefix if first else pad) + f"{_key(key)}:"
            first = False
            item_atom = _atom(item)
            if item_atom is not None:
                lines.append(f"{head} {item_atom}")
            elif isinstance(item, str):
                block = list(_block_scalar(item, indent + 2))
                lines.append(f"{head} {block[0]}")
                lines.extend(block[1:])
            elif isinstance(item, Mapping):
                lines.append(head)
                _emit(item, indent + 2, lines, " " * (indent + 2))
            else:
                lines.append(head)
                _emit(item, indent, lines, pad)
        return
    if isinstance(value, (list, tuple)):
        first = True
        for item in value:
            head = (prefix if first else pad) + "- "
            first = False
            _emit(item, indent + 2, lines, head)
        return
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def dump(value: Any) -> str:
    """One YAML document (no ``---``), ending in a newline."""
    lines: list[str] = []
    _emit(value, 0, lines, "")
    return "\n".join(lines) + "\n"


def dump_all(documents: list[Any]) -> str:
    """Several documents separated by ``---``."""
    return "---\n".join(dump(document) for document in documents)


def indented(value: Any, indent: int) -> str:
    """``value`` as the YAML that follows a key in a Jinja template: `` scalar`` on the same line, or a
    block on the next lines, indented by ``indent``. Templates write ``key:{{ value | yaml(2) }}``."""
    atom = _atom(value)
    if atom is not None:
        return " " + atom
    lines: list[str] = []
    if isinstance(value, str):
        block = list(_block_scalar(value, indent))
        return " " + "\n".join(block)
    _emit(value, indent, lines, " " * indent)
    return "\n" + "\n".join(lines)



def dump_inline(value: Any) -> str:
    """A value on one line, for listings (flow style)."""
    if isinstance(value, str):
        text = scalar(value)
        return text if not any(c in text for c in ",[]{}") or text.startswith('"') else double_quoted(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(str(k))}: {dump_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dump_inline(item) for item in value) + "]"
    atom = _atom(value)
    return atom if atom is not None else str(value)
