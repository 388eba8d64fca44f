"""A Diff as a pull-request comment, written for the reviewer: what matters most comes first.

1. security findings (a sealed value sealed by someone else);
2. what changed in the profile, key by key, old → new;
3. the Applications added and removed;
4. a summary table, and one collapsible section per Application, ordered by impact: secrets, Applications,
   CRDs, RBAC, workloads, storage, then the rest; groups with only formatting or state changes are folded
   into one line.

GitHub refuses a comment over 65,536 characters. The head (1–3 and the table) always stays; sections go in
order of impact, each in full if it fits, else in brief (one line per resource, at most 20), else as one
line of counts per kind, else named in a notice: the least important are the first to shrink. The full
report goes to the job summary (``full``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from ..escape import md_code, md_text
from .lines import FORMATTING, STATE, counts_text, file_lines, group_summary, plural, resource_lines, symbol
from .model import REPOSITORY, Counts, Diff, ResourceChange, title

MARKER = "<!-- argoflow-gen-diff -->"
MAX_MARKDOWN = 65_536  # GitHub's limit on a comment
MAX_BODY_LINES = 60  # of an added or removed resource
MAX_PROFILE_ROWS = 60
MAX_BRIEF_LINES = 20

#: What a change touches, most important first, by the kinds of the resources it changes.
IMPACT: tuple[tuple[str, frozenset[str]], ...] = (
    ("secrets", frozenset({"Secret", "SealedSecret"})),
    ("Applications", frozenset({"Application", "ApplicationSet", "AppProject"})),
    ("CRDs", frozenset({"CustomResourceDefinition"})),
    ("RBAC", frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount",
                        "AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"})),
    ("workloads", frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"})),
    ("storage", frozenset({"PersistentVolumeClaim", "PersistentVolume", "StorageClass"})),
)


def _fence(lines: Iterable[str], language: str = "diff") -> str:
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{body}\n{ticks}\n"


def _html_code(text: str) -> str:
    """A code span inside HTML (a ``<summary>``), where markdown is not read."""
    return f"<code>{md_text(text)}</code>"


def _cell(counts: Counts) -> str:
    return f"{counts.added} / {counts.removed} / {counts.changed + counts.formatting}"


def impact(diff: Diff, group: str) -> tuple[str, ...]:
    """The impact tags of a group: which of IMPACT its changes touch."""
    kinds = {change.key.kind for change in diff.resources_of(group)}
    paths = [change.path for change in diff.files_of(group) if not change.state]
    if not diff.built:  # files only: judged by file names
        if any("/sealed-" in path or path.endswith("secret.yaml") for path in paths):
            kinds.add("SealedSecret")
        if any(path.startswith("argocd-applications/") for path in paths):
            kinds.add("Application")
    return tuple(tag for tag, members in IMPACT if kinds & members)


def _folded(diff: Diff, group: str) -> bool:
    """A group with nothing a reviewer has to read: no resource changes, only reformatted or state files."""
    return not diff.resources_of(group) and all(change.status == "formatting" or change.state
                                                for change in diff.files_of(group))


def ordered_groups(diff: Diff) -> list[str]:
    """The groups a reviewer should read, most important first."""
    def rank(group: str) -> tuple[int, bool, int, int, str]:
        tags = impact(diff, group)
        first = min((index for index, (tag, _kinds) in enumerate(IMPACT) if tag in tags), default=len(IMPACT))
        return (first, group == REPOSITORY, -diff.resource_counts(group).total, -diff.file_counts(group).total,
                title(group))

    return sorted((group for group in diff.groups() if not _folded(diff, group)), key=rank)


def _profile_table(diff: Diff) -> list[str]:
    if not diff.profile:
        return []
    lines = ["**Profile changes**", "", "| key | old | new |", "|---|---|---|"]
    for change in diff.profile[:MAX_PROFILE_ROWS]:
        old = md_code(change.old) if change.old is not None else "–"
        new = md_code(change.new) if change.new is not None else "–"
        lines.append(f"| {md_code(change.path)} | {old} | {new} |")
    if len(diff.profile) > MAX_PROFILE_ROWS:
        lines.append(f"| … and {len(diff.profile) - MAX_PROFILE_ROWS} more keys | | |")
    return [*lines, ""]


def _head(diff: Diff) -> str:
    lines = [MARKER, "### argoflow-gen diff", "", f"{md_code(diff.old_label)} → {md_code(diff.new_label)}", ""]
    if diff.findings:
        lines += ["> [!CAUTION]", "> **Security findings**: review these before merging.",
                  *(f"> - {md_text(finding)}" for finding in diff.findings), ""]
    if diff.upgrade is not None and diff.upgrade.high:
        from ..upgrade.report import markdown_steps

        lines += [f"> [!WARNING]\n> **Upgrade risks**: Kubeflow {md_code(diff.upgrade.old_version)} → "
                  f"{md_code(diff.upgrade.new_version)}; read these before the sync "
                  "(`argoflow-gen upgrade-plan` writes the whole runbook and the backup Jobs).", "",
                  *markdown_steps(diff.upgrade, ("high",)), ""]
    lines += _profile_table(diff)
    moved = [f"**{label}:** " + ", ".join(md_code(name) for name in names)
             for label, names in (("Applications added", diff.added_applications),
                                  ("Applications removed", diff.removed_applications)) if names]
    if moved:
        lines += [" · ".join(moved), ""]
    if not diff.has_differences:
        return "\n".join([*lines, "**No differences.**", ""]) + "\n"
    groups = ordered_groups(diff)
    applications = [group for group in diff.groups() if group != REPOSITORY]
    counts = [counts_text(diff.file_counts(), "files")]
    if diff.built:
        counts.append(counts_text(diff.resource_counts(), "resources"))
    lines += [f"**{plural(len(applications), 'Application')} changed** · " + " · ".join(counts), ""]
    if groups:
        header = "| Application | Touches | Files (+ / − / ~) |" + (" Resources (+ / − / ~) |" if diff.built else "")
        lines += [header, "|---|---|---:|" + ("---:|" if diff.built else "")]
        for group in groups:
            touches = ", ".join(impact(diff, group)) or "–"
            row = f"| {md_code(title(group))} | {touches} | {_cell(diff.file_counts(group))} |"
            if diff.built:
                row += f" {_cell(diff.resource_counts(group)) if group != REPOSITORY else '–'} |"
            lines.append(row)
        lines.append("")
    folded = [group for group in diff.groups() if _folded(diff, group)]
    if folded:
        lines += ["Only reformatted or the generator's state: "
                  + ", ".join(md_code(title(group)) for group in folded) + ".", ""]
    if diff.not_built:
        lines += ["Not built: " + ", ".join(f"{md_code(item.application)} ({md_text(item.reason)})"
                                            for item in diff.not_built), ""]
    return "\n".join(lines) + "\n"


def _summary(diff: Diff, group: str, brief: bool) -> str:
    shown = html.escape(group_summary(diff, group)) + (" (in brief)" if brief else "")
    return f"<details><summary>{_html_code(title(group))}: {shown}</summary>\n"


def _section(diff: Diff, group: str) -> str:
    parts = [_summary(diff, group, brief=False)]
    files = diff.files_of(group)
    if diff.built and files:
        parts.append("Files: " + ", ".join(f"{symbol(change.status)} {md_code(change.path)}"
                                             for change in files) + "\n")
    elif files:
        for change in files:
            if change.status == "formatting":
                parts.append(f"#### {symbol(change.status)} {md_code(change.path)}\n{FORMATTING}\n")
            elif change.state:
                parts.append(f"#### {symbol(change.status)} {md_code(change.path)}\n{STATE}\n")
            else:
                parts.append(f"#### {symbol(change.status)} {md_code(change.path)}\n" + _fence(file_lines(change, 3)))
    for resource in diff.resources_of(group):
        parts.append(f"#### {symbol(resource.status)} {md_code(str(resource.key))}\n"
                     + _fence(resource_lines(resource, 3, MAX_BODY_LINES)))
    parts.append("</details>\n")
    return "\n".join(parts) + "\n"


def _brief_resource(change: ResourceChange) -> str:
    fields = [field.path for field in change.fields]
    detail = f": {', '.join(md_code(path) for path in fields[:3])}" if fields else ""
    more = f" and {len(fields) - 3} more" if len(fields) > 3 else ""
    return f"- {symbol(change.status)} {md_code(str(change.key))}{detail}{more}"


def _brief(diff: Diff, group: str) -> str:
    """One line per file (unbuilt) or resource, the first MAX_BRIEF_LINES of them."""
    items = [f"- {symbol(change.status)} {md_code(change.path)}" for change in diff.files_of(group)
             if not diff.built]
    items += [_brief_resource(change) for change in diff.resources_of(group)]
    if len(items) > MAX_BRIEF_LINES:
        items = [*items[:MAX_BRIEF_LINES], f"- … and {len(items) - MAX_BRIEF_LINES} more"]
    return "\n".join([_summary(diff, group, brief=True), *items, "", "</details>", "", ""])


def _tally(diff: Diff, group: str) -> str:
    """One line: how many resources of each kind were added, removed or changed."""
    tally: dict[tuple[str, str], int] = {}
    for change in diff.resources_of(group):
        key = (symbol(change.status), change.key.kind)
        tally[key] = tally.get(key, 0) + 1
    words = [f"{sign} {count} {md_text(kind)}" for (sign, kind), count in sorted(tally.items())]
    detail = ", ".join(words) or html.escape(group_summary(diff, group))
    return f"<details><summary>{_html_code(title(group))}: {detail} (in brief)</summary>\n\n</details>\n\n"


def _notice(shortened: list[str], omitted: list[str], limit: int, full: str | None) -> str:
    if not shortened and not omitted:
        return ""
    where = f"[the full report]({full})" if full else "the full report in the job summary of this workflow run"
    parts = []
    if shortened:
        parts.append(f"{plural(len(shortened), 'section')} shown in brief: "
                     + ", ".join(md_code(title(group)) for group in shortened[:40]))
    if omitted:
        parts.append(f"{plural(len(omitted), 'section')} left out: "
                     + ", ".join(md_code(title(group)) for group in omitted[:40]))
    return (f"> [!NOTE]\n> This comment keeps to GitHub's {limit:,}-character limit, most important sections "
            f"first: {'; '.join(parts)}. See {where}.\n")


def format_markdown(diff: Diff, limit: int = MAX_MARKDOWN, full: str | None = None) -> str:
    """The pull-request comment, at most ``limit`` characters; ``full`` is where the full report is (a URL)."""
    head = _head(diff)
    groups = ordered_groups(diff)
    reserve = len(_notice(groups, groups, limit, full))
    budget = limit - len(head) - reserve
    tallies = {group: _tally(diff, group) for group in groups}
    # every section keeps at least its tally while room allows, so the room given to the important ones
    # first is what is left once the others' tallies are set aside
    waiting = sum(len(text) for text in tallies.values())
    kept: list[str] = []
    shortened: list[str] = []
    omitted: list[str] = []
    for group in groups:
        waiting -= len(tallies[group])
        room = budget - max(waiting, 0)
        forms = [(_section(diff, group), False), (_brief(diff, group), True), (tallies[group], True)]
        if (group in diff.added_applications or group in diff.removed_applications) and len(forms[0][0]) > limit // 8:
            forms = forms[1:]  # a large Application added or removed whole: its list of resources says enough
        for text, brief in forms:
            if len(text) <= room:
                kept.append(text)
                budget -= len(text)
                if brief:
                    shortened.append(group)
                break
        else:
            omitted.append(group)
    notice = _notice(shortened, omitted, limit, full)
    text = (head + "".join(kept)).rstrip("\n") + "\n" + ("\n" + notice if notice else "")
    if len(text) > limit:  # a head alone over the limit: keep what fits of it
        notice = "\n" + _notice([], groups, limit, full)
        text = head[: max(limit - len(notice), 0)].rsplit("\n", 1)[0] + "\n" + notice
        text = text[:limit]
    return text
