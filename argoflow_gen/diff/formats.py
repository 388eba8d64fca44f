"""A Diff as text (a terminal) or json (machines); markdown (a pull-request comment) is ``markdown``.

Text and json list the groups in the same order: Applications by name, then the files of no Application.
Secret values arrive here already masked. Nothing here prints: each formatter returns a str.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..escape import visible
from .lines import FORMATTING, STATE, counts_text, file_lines, group_summary, resource_lines, symbol
from .model import Counts, Diff, ResourceChange, title
from .show import plain

_RESET = "\x1b[0m"
_STYLES = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m", "!": "\x1b[33m", "#": "\x1b[1m"}


# -------------------------------------------------------------------------------------------- text


def _paint(line: str, color: bool) -> str:
    if not color or not line:
        return line
    style = _STYLES.get(line[0])
    if line.startswith(("+++", "---")):
        style = _STYLES["#"]
    return f"{style}{line}{_RESET}" if style else line


@dataclass(frozen=True)
class Layout:
    """A report in three parts, so that it can be written while a diff is built (``stream``): the head, one
    part per group (``first``: the first group written), the tail. ``render`` joins them."""

    head: Callable[[Diff], str]
    group: Callable[[Diff, str, bool], str]
    tail: Callable[[Diff], str]

    def render(self, diff: Diff) -> str:
        return (self.head(diff) + "".join(self.group(diff, group, index == 0)
                                          for index, group in enumerate(diff.groups())) + self.tail(diff))


def text_layout(context: int = 3, color: bool = False) -> Layout:
    """The text report's parts: the head, per group its files and resources, the summary line."""

    def head(diff: Diff) -> str:
        out = [f"argoflow-gen diff: {visible(diff.old_label)} -> {visible(diff.new_label)}"]
        out += [_paint(f"! SECURITY: {visible(finding)}", color) for finding in diff.findings]
        for key in diff.profile:
            old = "(none)" if key.old is None else key.old
            new = "(none)" if key.new is None else key.new
            out.append(f"profile: {visible(key.path)}: {visible(old)} -> {visible(new)}")
        for label, names in (("added", diff.added_applications), ("removed", diff.removed_applications)):
            if names:
                out.append(f"Applications {label}: {', '.join(visible(name) for name in names)}")
        if not diff.has_differences:
            out.append("No differences.")
        return "".join(f"{line}\n" for line in out)

    def group(diff: Diff, name: str, first: bool) -> str:
        out = ["", _paint(f"# {visible(title(name))}: {group_summary(diff, name)}", color)]
        for change in diff.files_of(name):
            if change.status == "formatting":
                out.append(f"= {visible(change.path)}: {FORMATTING}")
                continue
            state = f" {STATE}" if change.state else ""
            out.append(_paint(f"{symbol(change.status)} {visible(change.path)}{state}", color))
            if not diff.built and not change.state:  # with the resources shown, a file is only named
                out += [_paint(line, color) for line in file_lines(change, context)]
        for resource in diff.resources_of(name):
            out.append(_paint(f"{symbol(resource.status)} {visible(str(resource.key))}", color))
            out += ["  " + _paint(line, color) for line in resource_lines(resource, context)]
        return "".join(f"{line}\n" for line in out)

    def tail(diff: Diff) -> str:
        return f"\n{_summary_line(diff)}\n"

    return Layout(head, group, tail)


def format_text(diff: Diff, context: int = 3, color: bool = False) -> str:
    """A report for a terminal: per group, files with unified diffs, or (built) resources with field diffs."""
    return text_layout(context, color).render(diff)


def _summary_line(diff: Diff) -> str:
    parts = [counts_text(diff.file_counts(), "files")]
    if diff.built:
        parts.append(counts_text(diff.resource_counts(), "resources"))
    if diff.not_built:
        parts.append("not built: " + ", ".join(f"{visible(item.application)} ({visible(item.reason)})"
                                               for item in diff.not_built))
    return "; ".join(parts)


# -------------------------------------------------------------------------------------------- json


def _key_fields(application: str, change: ResourceChange) -> dict[str, Any]:
    return {"application": application, "group": change.key.group, "kind": change.key.kind,
            "namespace": change.key.namespace, "name": change.key.name}


def _nested(value: Any, indent: int) -> str:
    """``value`` as ``json.dumps(..., indent=2)`` writes it ``indent`` spaces deep (its first line not indented)."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + " " * indent)


def _json_head(diff: Diff) -> str:
    fields = {
        "schema": "argoflow-gen.diff/v1",
        "old": diff.old_label,
        "new": diff.new_label,
        "differences": diff.has_differences,
        "findings": list(diff.findings),
        "profile": [{"path": change.path, "change": change.status, "old": change.old, "new": change.new}
                    for change in diff.profile],
        "applicationsAdded": list(diff.added_applications),
        "applicationsRemoved": list(diff.removed_applications),
        "built": diff.built,
        "notBuilt": [{"application": item.application, "reason": item.reason} for item in diff.not_built],
    }
    return "{\n" + "".join(f"  {json.dumps(key)}: {_nested(value, 2)},\n" for key, value in fields.items()) \
        + '  "entries": ['


def _json_entries(diff: Diff, group: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for change in diff.files_of(group):
        added, removed = change.line_counts
        entries.append({"type": "file", "application": change.application, "path": change.path,
                        "change": change.status, "masked": change.masked, "state": change.state,
                        "linesAdded": added, "linesRemoved": removed})
    for resource in diff.resources_of(group):
        entries.append({"type": "resource", **_key_fields(group, resource), "apiVersion": resource.api_version,
                        "change": "re-sealed" if resource.resealed else resource.status,
                        "notes": list(resource.notes)})
        for field in resource.fields:
            entries.append({"type": "field", **_key_fields(group, resource), "path": field.path,
                            "change": field.status, "old": plain(field.old), "new": plain(field.new)})
    return entries


def _json_group(diff: Diff, group: str, first: bool) -> str:
    entries = ",\n".join("    " + _nested(entry, 4) for entry in _json_entries(diff, group))
    return ("" if first else ",") + "\n" + entries


def _json_tail(diff: Diff) -> str:
    summary = {
        "files": _counts_json(diff.file_counts()),
        "resources": _counts_json(diff.resource_counts()) if diff.built else None,
        "groups": [{"application": group, "files": _counts_json(diff.file_counts(group)),
                    "resources": _counts_json(diff.resource_counts(group)) if diff.built else None}
                   for group in diff.groups()],
    }
    return ("\n  ]" if diff.groups() else "]") + f',\n  "summary": {_nested(summary, 2)}\n}}\n'


#: The json report's parts: the head, per group (Applications by name, then the repository's files) its
#: entries (files, then resources and their fields), the summary.
JSON_LAYOUT = Layout(_json_head, _json_group, _json_tail)


def format_json(diff: Diff) -> str:
    """One entry per changed file, resource and field, grouped as the text report; secret values as
    ``*** (N bytes)``."""
    return JSON_LAYOUT.render(diff)


def _counts_json(counts: Counts) -> dict[str, int]:
    return {"added": counts.added, "removed": counts.removed, "changed": counts.changed,
            "formatting": counts.formatting}
