"""A Diff as text (a terminal), markdown (a pull-request comment) or json (machines).

Every format lists the same groups in the same order: Applications by name, then the files of no
Application. Secret values arrive here already masked. Nothing here prints: each formatter returns a str.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Iterable
from typing import Any

from .escape import md_code, md_text, visible
from .model import REPOSITORY, Counts, Diff, FieldChange, FileChange, Masked, ResourceChange, title
from .show import dump_value, inline, plain

MARKER = "<!-- argoflow-gen-diff -->"
MAX_MARKDOWN = 65_536  # GitHub's limit on a comment
MAX_BODY_LINES = 60  # of an added or removed resource, in markdown
_FORMATTING = "formatting only: the YAML data is unchanged (comments, key order, quoting or indentation)"
_STATE = "(the generator's state: not shown)"

_RESET = "\x1b[0m"
_STYLES = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m", "!": "\x1b[33m", "#": "\x1b[1m"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _counts_text(counts: Counts, noun: str) -> str:
    parts = [f"{value} {name}" for name, value in (("added", counts.added), ("removed", counts.removed),
                                                    ("changed", counts.changed)) if value]
    if counts.formatting:
        parts.append(f"{counts.formatting} reformatted")
    return f"{noun}: " + ", ".join(parts) if parts else f"{noun}: none"


def _group_summary(diff: Diff, group: str) -> str:
    """``1 file changed; 39 resources added`` or ``3 files (1 added, 2 changed)``."""
    parts = []
    for counts, noun in ((diff.file_counts(group), "file"), (diff.resource_counts(group), "resource")):
        if not counts.total:
            continue
        words = [(value, name) for name, value in (("added", counts.added), ("removed", counts.removed),
                                                   ("changed", counts.changed),
                                                   ("reformatted", counts.formatting)) if value]
        if len(words) == 1:
            parts.append(f"{_plural(counts.total, noun)} {words[0][1]}")
        else:
            detail = ", ".join(f"{value} {name}" for value, name in words)
            parts.append(f"{_plural(counts.total, noun)} ({detail})")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------- diff-like lines


def _symbol(status: str) -> str:
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


def _file_lines(change: FileChange, context: int) -> list[str]:
    lines = change.unified(context)
    if change.masked:
        lines = ["! Secret values masked; shown re-serialised", *lines]
    return lines


# -------------------------------------------------------------------------------------------- text


def _paint(line: str, color: bool) -> str:
    if not color or not line:
        return line
    style = _STYLES.get(line[0])
    if line.startswith(("+++", "---")):
        style = _STYLES["#"]
    return f"{style}{line}{_RESET}" if style else line


def format_text(diff: Diff, context: int = 3, color: bool = False) -> str:
    """A report for a terminal: per group, files with unified diffs, or (built) resources with field diffs."""
    out: list[str] = [f"argoflow-gen diff: {visible(diff.old_label)} -> {visible(diff.new_label)}"]
    out += [_paint(f"! SECURITY: {visible(finding)}", color) for finding in diff.findings]
    if not diff.has_differences:
        out.append("No differences.")
    for group in diff.groups():
        out += ["", _paint(f"# {visible(title(group))}: {_group_summary(diff, group)}", color)]
        for change in diff.files_of(group):
            if change.status == "formatting":
                out.append(f"= {visible(change.path)}: {_FORMATTING}")
                continue
            state = f" {_STATE}" if change.state else ""
            out.append(_paint(f"{_symbol(change.status)} {visible(change.path)}{state}", color))
            if not diff.built and not change.state:  # with the resources shown, a file is only named
                out += [_paint(line, color) for line in _file_lines(change, context)]
        for resource in diff.resources_of(group):
            out.append(_paint(f"{_symbol(resource.status)} {visible(str(resource.key))}", color))
            out += ["  " + _paint(line, color) for line in resource_lines(resource, context)]
    out += ["", _summary_line(diff)]
    return "\n".join(out) + "\n"


def _summary_line(diff: Diff) -> str:
    parts = [_counts_text(diff.file_counts(), "files")]
    if diff.built:
        parts.append(_counts_text(diff.resource_counts(), "resources"))
    if diff.not_built:
        parts.append("not built: " + ", ".join(f"{visible(item.application)} ({visible(item.reason)})"
                                               for item in diff.not_built))
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------- markdown


def _fence(lines: Iterable[str], language: str = "diff") -> str:
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{body}\n{ticks}\n"


_md_code = md_code


def _code(text: str) -> str:
    """A code span inside HTML (a ``<summary>``), where markdown is not read."""
    return f"<code>{md_text(text)}</code>"


def _cell(counts: Counts) -> str:
    changed = f"{counts.changed + counts.formatting}"
    return f"{counts.added} / {counts.removed} / {changed}"


def _markdown_head(diff: Diff) -> str:
    lines = [MARKER, "### argoflow-gen diff", "",
             f"{_md_code(diff.old_label)} → {_md_code(diff.new_label)}", ""]
    if diff.findings:
        lines += ["> [!CAUTION]", "> **Security findings**: review these before merging.",
                  *(f"> - {md_text(finding)}" for finding in diff.findings), ""]
    if not diff.has_differences:
        lines += ["**No differences.**", ""]
    else:
        groups = diff.groups()
        applications = [group for group in groups if group != REPOSITORY]
        counts = [_counts_text(diff.file_counts(), "files")]
        if diff.built:
            counts.append(_counts_text(diff.resource_counts(), "resources"))
        lines += [f"**{_plural(len(applications), 'Application')} changed** · " + " · ".join(counts), ""]
        header = "| Application | Files (+ / − / ~) |" + (" Resources (+ / − / ~) |" if diff.built else "")
        lines += [header, "|---|---:|" + ("---:|" if diff.built else "")]
        for group in groups:
            row = f"| {_md_code(title(group)) if group else title(group)} | {_cell(diff.file_counts(group))} |"
            if diff.built:
                row += f" {_cell(diff.resource_counts(group)) if group != REPOSITORY else '–'} |"
            lines.append(row)
        lines.append("")
    if diff.not_built:
        lines += ["Not built: " + ", ".join(f"{_md_code(item.application)} ({md_text(item.reason)})"
                                            for item in diff.not_built), ""]
    return "\n".join(lines) + "\n"


def _markdown_section(diff: Diff, group: str) -> str:
    parts = [f"<details><summary>{_code(title(group))}: {html.escape(_group_summary(diff, group))}</summary>\n"]
    files = diff.files_of(group)
    if diff.built and files:
        parts.append("Files: " + ", ".join(f"{_symbol(change.status)} {_md_code(change.path)}"
                                             for change in files) + "\n")
    elif files:
        for change in files:
            if change.status == "formatting":
                parts.append(f"#### {_symbol(change.status)} {_md_code(change.path)}\n{_FORMATTING}\n")
            elif change.state:
                parts.append(f"#### {_symbol(change.status)} {_md_code(change.path)}\n{_STATE}\n")
            else:
                parts.append(f"#### {_symbol(change.status)} {_md_code(change.path)}\n"
                             + _fence(_file_lines(change, 3)))
    for resource in diff.resources_of(group):
        parts.append(f"#### {_symbol(resource.status)} {_md_code(str(resource.key))}\n"
                     + _fence(resource_lines(resource, 3, MAX_BODY_LINES)))
    parts.append("</details>\n")
    return "\n".join(parts) + "\n"


def _notice(omitted: list[str], limit: int) -> str:
    if not omitted:
        return ""
    names = ", ".join(_md_code(title(group)) for group in omitted[:40])
    if len(omitted) > 40:
        names += f" and {len(omitted) - 40} more"
    return (f"> [!WARNING]\n> The diff is over the {limit:,}-character limit of a comment: "
            f"{_plural(len(omitted), 'section')} left out: {names}. Run `argoflow-gen diff` to see them.\n")


def format_markdown(diff: Diff, limit: int = MAX_MARKDOWN) -> str:
    """A pull-request comment: the hidden marker, a summary table, one ``<details>`` per group.

    At most ``limit`` characters: the summary is kept; whole sections that do not fit are left out, in
    order, and named in a notice.
    """
    head = _markdown_head(diff)
    sections = [(group, _markdown_section(diff, group)) for group in diff.groups()]
    reserve = len(_notice([group for group, _ in sections], limit))
    budget = limit - len(head) - reserve
    kept: list[str] = []
    omitted: list[str] = []
    for group, text in sections:
        if len(text) <= budget:
            kept.append(text)
            budget -= len(text)
        else:
            omitted.append(group)
    text = (head + "".join(kept)).rstrip("\n") + "\n" + ("\n" + _notice(omitted, limit) if omitted else "")
    if len(text) > limit:  # a summary alone over the limit: keep what fits of it
        notice = "\n" + _notice([group for group, _ in sections], limit)
        text = head[: max(limit - len(notice), 0)].rsplit("\n", 1)[0] + "\n" + notice
        text = text[:limit]
    return text


# -------------------------------------------------------------------------------------------- json


def _key_fields(application: str, change: ResourceChange) -> dict[str, Any]:
    return {"application": application, "group": change.key.group, "kind": change.key.kind,
            "namespace": change.key.namespace, "name": change.key.name}


def format_json(diff: Diff) -> str:
    """One entry per changed file, resource and field; secret values as ``*** (N bytes)``."""
    entries: list[dict[str, Any]] = []
    for change in diff.files:
        added, removed = change.line_counts
        entries.append({"type": "file", "application": change.application, "path": change.path,
                        "change": change.status, "masked": change.masked, "state": change.state,
                        "linesAdded": added, "linesRemoved": removed})
    for app in diff.applications:
        for resource in app.resources:
            entries.append({"type": "resource", **_key_fields(app.name, resource), "apiVersion": resource.api_version,
                            "change": "re-sealed" if resource.resealed else resource.status,
                            "notes": list(resource.notes)})
            for field in resource.fields:
                entries.append({"type": "field", **_key_fields(app.name, resource), "path": field.path,
                                "change": field.status, "old": plain(field.old), "new": plain(field.new)})
    document = {
        "schema": "argoflow-gen.diff/v1",
        "old": diff.old_label,
        "new": diff.new_label,
        "differences": diff.has_differences,
        "findings": list(diff.findings),
        "built": diff.built,
        "summary": {
            "files": _counts_json(diff.file_counts()),
            "resources": _counts_json(diff.resource_counts()) if diff.built else None,
            "groups": [{"application": group, "files": _counts_json(diff.file_counts(group)),
                        "resources": _counts_json(diff.resource_counts(group)) if diff.built else None}
                       for group in diff.groups()],
        },
        "notBuilt": [{"application": item.application, "reason": item.reason} for item in diff.not_built],
        "entries": entries,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _counts_json(counts: Counts) -> dict[str, int]:
    return {"added": counts.added, "removed": counts.removed, "changed": counts.changed,
            "formatting": counts.formatting}
