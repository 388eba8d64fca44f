"""verify's report in its three formats: problems first, then notes; the verdict and the exit code agree."""

from __future__ import annotations

import json
from typing import Any

from argoflow_gen.verify.report import Counts, Finding, Report, format_json, format_markdown, format_text, ordered

FINDINGS = [
    Finding("dry-run", "note", "3 object(s) not judged (3 VirtualService): their CRD is created by wave 10 "
            "(istio-crds)", "dex", 30),
    Finding("dry-run", "problem", "refused by the server: spec.replicas: Invalid value: -1: must be greater than or "
            "equal to 0", "pipelines", 50, "Deployment kubeflow/ml-pipeline"),
    Finding("storage-class", "problem", "no default StorageClass", hint="mark one as default"),
    Finding("load-balancer", "note", "no LoadBalancer Service exists yet | so nothing can be told"),
    Finding("version", "problem", "Kubernetes 1.36 (v1.36.0) is newer than Kubeflow 1.11.0 supports (1.34 to 1.35)"),
]


def report(findings: list[Finding]) -> Report:
    return Report(profile="acme-prod", kubeflow="1.11.0", context="prod", server="https://10.0.0.1:6443",
                  kubernetes="v1.36.0", applications=37,
                  counts=Counts(objects=930, accepted=700, substituted=500, deferred=229, refused=1),
                  findings=ordered(findings))


def test_the_three_formats(snapshot: Any) -> None:
    found = report(FINDINGS)
    assert [finding.check for finding in found.findings] == \
        ["version", "storage-class", "dry-run", "load-balancer", "dry-run"]
    assert not found.clean and len(found.problems) == 3 and len(found.notes) == 2
    data = json.loads(format_json(found))
    assert data["clean"] is False and data["problems"] == 3
    assert data["findings"][2]["object"] == "Deployment kubeflow/ml-pipeline"
    assert {"text": format_text(found), "markdown": format_markdown(found)} == snapshot


def test_notes_alone_are_clean() -> None:
    found = report([finding for finding in FINDINGS if finding.severity == "note"])
    assert found.clean
    assert format_text(found).endswith("\nno problems found\n")
    assert json.loads(format_json(found))["clean"] is True
