"""An UpgradePlan as a runbook: text for a terminal, markdown for a pull request, json for tools."""

from __future__ import annotations

import json

from ..escape import md_code, md_text, visible
from .plan import UpgradePlan

_ICON = {"high": "🔴", "medium": "🟠", "low": "🟢"}


def format_text(plan: UpgradePlan) -> str:
    lines = [f"upgrade plan: Kubeflow {plan.old_version} -> {plan.new_version}: "
             f"{sum(step.risk == 'high' for step in plan.steps)} high-risk steps"]
    before = [(step, action) for step in plan.steps for action in step.before]
    if before:
        lines += ["", "Before the sync:"]
        lines += [f"  {index}. [{step.risk}] {visible(action)}" for index, (step, action) in enumerate(before, 1)]
    lines += ["", "What the sync does, most risky first:"]
    for step in plan.steps:
        lines.append(f"  [{step.risk}] {step.category}: {visible(step.title)}")
        if step.handled:
            lines.append(f"      handled: {visible(step.handled)}")
    after = [action for step in plan.steps for action in step.after]
    if after:
        lines += ["", "After the sync, check:"]
        lines += [f"  - {visible(action)}" for action in after]
    if plan.backup_jobs:
        lines += ["", "Backup Jobs: written with --backup-jobs FILE (PreSync hooks)."]
    return "\n".join(lines) + "\n"


def markdown_steps(plan: UpgradePlan, risks: tuple[str, ...] = ("high", "medium", "low")) -> list[str]:
    """The steps of ``risks`` as a markdown list (the PR comment shows the high ones first)."""
    lines = []
    for step in plan.steps:
        if step.risk not in risks:
            continue
        lines.append(f"- {_ICON[step.risk]} **{step.category}**: {md_text(step.title)}")
        lines += [f"  - before: {md_text(action)}" for action in step.before]
        if step.handled:
            lines.append(f"  - handled: {md_text(step.handled)}")
    return lines


def format_markdown(plan: UpgradePlan) -> str:
    lines = [f"### Upgrade plan: Kubeflow {md_code(plan.old_version)} → {md_code(plan.new_version)}", ""]
    before = [action for step in plan.steps for action in step.before]
    if before:
        lines += ["**Before the sync**", ""]
        lines += [f"{index}. {md_text(action)}" for index, action in enumerate(before, 1)]
        lines.append("")
    lines += ["**What the sync does**, most risky first", "", *markdown_steps(plan), ""]
    after = [action for step in plan.steps for action in step.after]
    if after:
        lines += ["**After the sync, check**", "", *(f"- [ ] {md_text(action)}" for action in after), ""]
    if plan.backup_jobs:
        lines += ["<details><summary>Backup Jobs (PreSync hooks)</summary>", "", "```yaml",
                  plan.backup_jobs.rstrip("\n"), "```", "", "</details>", ""]
    return "\n".join(lines)


def format_json(plan: UpgradePlan) -> str:
    document = {
        "schema": "argoflow-gen.upgrade-plan/v1",
        "from": plan.old_version,
        "to": plan.new_version,
        "steps": [{"risk": step.risk, "category": step.category, "title": step.title, "objects": list(step.objects),
                   "before": list(step.before), "after": list(step.after), "handled": step.handled or None}
                  for step in plan.steps],
        "refusals": [{"object": str(refusal).rsplit(": ", 1)[0], "field": refusal.field, "handled": refusal.handled}
                     for refusal in plan.refusals],
        "backupJobs": plan.backup_jobs or None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
