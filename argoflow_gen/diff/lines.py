"""Lines shared by every report format: counts, group summaries, and diff-like lines of files, resources and
fields. Secret values arrive here already masked; names are shown with their control characters escaped."""

from __future__ import annotations

import difflib
from typing import Any

from ..escape import visible
from .model import Counts, Diff, FieldChange, FileChange, Masked, ResourceChange
from .show import dump_value, inline

FORMATTING = "formatting only: the YAML data is unchanged (comments, key order, quoting or indentation)"
STATE = "(the generator's state: not shown)"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts_text(counts: Counts, noun: str) -> str:
    parts = [f"{value} {name}" for name, value in (("added", counts.added), ("removed", counts.removed),
                                                    ("changed", counts.changed)) if value]
    if counts.formatting:
        parts.append(f"{counts.formatting} reformatted")
    return f"{noun}: " + ", ".join(parts) if parts else f"{noun}: none"


def group_summary(diff: Diff, group: str) -> str:
    """``1 file changed; 39 resources added`` or ``3 files (1 added, 2 changed)``."""
    parts = []
    for counts, noun in ((diff.file_counts(group), "file"), (diff.resource_counts(group), "resource")):
        if not counts.total:
            continue
        words = [(value, name) for name, value in (("added", counts.added), ("removed", counts.removed),
                                                   ("changed", counts.changed),
                                                   ("reformatted", counts.formatting)) if value]
        if len(words) == 1:
            parts.append(f"{plural(counts.total, noun)} {words[0][1]}")
        else:
            detail = ", ".join(f"{value} {name}" for value, name in words)
            parts.append(f"{plural(counts.total, noun)} ({detail})")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------- diff-like lines


def symbol(status: str) -> str:
    return {"added": "+", "removed": "-", "changed": "~", "formatting": "="}.get(status, "~")


def _value_lines(sign: str, value: Any) -> list[str]:
    if isinstance(value, Masked):
        return [f"{sign} {value}"]
    if isinstance(value, (dict, list)) and value:
        return [f"{sign} {line}" if line else sign for line in dump_value(value).rstrip("\n").split("\n")]
    if isinstance(value, str) and "\n" in value:
        return [f"{sign} {line}" if line else sign for line in value.rstrip("\n").split("\n")]
    return [f"{sign} {inline(value)}"]


def _text_diff(old: str, new: str, context: int) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=max(context, 0), lineterm=""))[2:]
    shown: list[str] = []
    for line in lines:
        if line.startswith("@@"):
            if shown:
                shown.append("  ...")
            continue
        shown.append(line[0] + " " + line[1:] if line[:1] in "+-" else "  " + line[1:])
    return shown


def field_lines(change: FieldChange, context: int = 3) -> list[str]:
    """One field change as diff-like lines: ``@@ path @@``, then ``-``/``+`` lines or a ``!`` note."""
    lines = [f"@@ {visible(change.path)} @@"]
    if change.status == "re-sealed":
        lines.append(f"! re-sealed: the ciphertext changed ({_size(change.old)} -> {_size(change.new)})")
    elif change.status == "reordered":
        lines.append("! order changed")
        lines += [f"- {inline(change.old)}", f"+ {inline(change.new)}"]
    elif change.status == "added":
        lines += _value_lines("+", change.new)
    elif change.status == "removed":
        lines += _value_lines("-", change.old)
    elif isinstance(change.old, str) and isinstance(change.new, str) and ("\n" in change.old or "\n" in change.new):
        lines += _text_diff(change.old, change.new, context)
    else:
        lines += _value_lines("-", change.old) + _value_lines("+", change.new)
    return lines


def _size(value: Any) -> str:
    return f"{value.size} bytes" if isinstance(value, Masked) else "?"


def resource_lines(change: ResourceChange, context: int = 3, limit: int | None = None) -> list[str]:
    """A resource change as diff-like lines; an added or removed resource shows its (masked) YAML."""
    lines = [f"! {note}" for note in change.notes]
    if change.resealed:
        lines.append("! re-sealed: every change is a new ciphertext")
    if change.status in ("added", "removed"):
        sign = "+" if change.status == "added" else "-"
        body = _value_lines(sign, change.document)
        if limit is not None and len(body) > limit:
            body = [*body[:limit], f"! ... {len(body) - limit} more lines"]
        return lines + body
    for field in change.fields:
        lines += field_lines(field, context)
    return lines


def file_lines(change: FileChange, context: int) -> list[str]:
    lines = change.unified(context)
    if change.masked:
        lines = ["! Secret values masked; shown re-serialised", *lines]
    return lines
