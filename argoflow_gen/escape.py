"""Names from a fork (file paths, Application and resource names, labels, reasons) shown in a report.

They are hostile: a file name can hold a newline, an ANSI escape, a backtick, a pipe or HTML. In text, control
and bidirectional characters are shown as escapes; in markdown, every character outside a small safe set
becomes an HTML entity, so nothing a name holds can end a code span, a table cell or a heading, or open a
tag or a link.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")
_SAFE = re.compile(r"[A-Za-z0-9 ,.:/=+@_()-]")


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with control and bidirectional characters shown as escapes (for a terminal)."""
    return _CONTROL.sub(lambda match: _escape(match[0]), text)


def md_text(text: str) -> str:
    """``text`` as inert markdown: visible escapes, and an entity for every character outside a safe set."""
    return "".join(char if _SAFE.fullmatch(char) else f"&#{ord(char)};" for char in visible(text))


def md_code(text: str) -> str:
    """``text`` in a code span that nothing in it can end: a plain backtick span when it holds no backtick,
    pipe, control or bidirectional character and no edge space, else ``<code>`` with every unsafe character
    as an entity."""
    if text and not _CONTROL.search(text) and not any(char in text for char in "`|") \
            and text == text.strip():
        return f"`{text}`"
    return f"<code>{md_text(text)}</code>"
