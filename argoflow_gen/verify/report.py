"""What ``verify`` found, and its three formats: text for a terminal, markdown for a pull request or a ticket,
json for tools. Problems are what would stop or break a sync (exit code 1); notes are what could not be
judged yet, or only partly (no exit code of their own).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["problem", "note"]

#: The preflight checks and the dry run, in the order a report lists them.
CHECKS = ("version", "storage-class", "conflict", "sealed-secrets", "load-balancer", "dry-run", "not-built")


@dataclass(frozen=True)
class Finding:
    check: str  # one of CHECKS
    severity: Severity
    message: str
    application: str = ""
    wave: int | None = None
    object: str = ""  # Kind namespace/name
    hint: str = ""

    def where(self) -> str:
        parts = []
        if self.wave is not None:
            parts.append(f"wave {self.wave}")
        if self.application:
            parts.append(self.application)
        if self.object:
            parts.append(self.object)
        return ", ".join(parts)

    def line(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True)
class Counts:
    objects: int = 0  # every object of every built Application
    accepted: int = 0  # judged by the server's dry run and accepted
    substituted: int = 0  # judged in namespace default, their own namespace being created by an earlier wave
    deferred: int = 0  # not judged: their kind's CRD is created by an earlier wave
    refused: int = 0


@dataclass(frozen=True)
class Report:
    profile: str
    kubeflow: str
    context: str
    server: str
    kubernetes: str
    applications: int
    counts: Counts
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == "problem")

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == "note")

    @property
    def clean(self) -> bool:
        return not self.problems


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Problems before notes, then by check, wave, Application and object."""
    return tuple(sorted(findings, key=lambda f: (f.severity != "problem", CHECKS.index(f.check),
                                                 f.wave if f.wave is not None else -1_000_000,
                                                 f.application, f.object, f.message)))


def _summary(report: Report) -> str:
    counts = report.counts
    return (f"{counts.objects} objects of {report.applications} Applications: {counts.accepted} accepted by the "
            f"server's dry run ({counts.substituted} of them judged in namespace default, theirs being created by "
            f"an earlier wave), {counts.deferred} left for the wave that creates their CRD, {counts.refused} refused")


def _verdict(report: Report) -> str:
    problems = len(report.problems)
    if not problems:
        return "no problems found"
    return f"{problems} problem{'s' if problems != 1 else ''} found"


def format_text(report: Report, *, notes: bool = True) -> str:
    """The report for a terminal; ``notes=False`` counts the notes instead of listing them."""
    lines = [f"Verified {report.profile} (Kubeflow {report.kubeflow}) against context {report.context} "
             f"({report.server}, Kubernetes {report.kubernetes})", "", _summary(report), ""]
    for severity in ("problem", "note") if notes else ("problem",):
        for finding in (f for f in report.findings if f.severity == severity):
            lines.append(f"{severity:7}  {finding.check:14}  {finding.line()}")
    if not notes and report.notes:
        lines.append(f"{len(report.notes)} note{'s' if len(report.notes) != 1 else ''} (-v lists them)")
    if report.findings:
        lines.append("")
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(report: Report) -> str:
    lines = [f"### argoflow-gen verify: {_verdict(report)}", "",
             f"`{_cell(report.profile)}` (Kubeflow {report.kubeflow}) against context `{_cell(report.context)}` "
             f"(Kubernetes {report.kubernetes})", "", _summary(report) + ".", ""]
    if report.findings:
        lines += ["| | check | where | finding |", "|---|---|---|---|"]
        for finding in report.findings:
            mark = "❌" if finding.severity == "problem" else "ℹ️"
            message = finding.message + (f" ({finding.hint})" if finding.hint else "")
            lines.append(f"| {mark} | {finding.check} | {_cell(finding.where())} | {_cell(message)} |")
        lines.append("")
    return "\n".join(lines)


def format_json(report: Report) -> str:
    data = {
        "profile": report.profile, "kubeflow": report.kubeflow, "context": report.context, "server": report.server,
        "kubernetes": report.kubernetes, "applications": report.applications, "counts": asdict(report.counts),
        "clean": report.clean, "problems": len(report.problems),
        "findings": [asdict(finding) for finding in report.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
