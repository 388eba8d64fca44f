"""fleet explain: every effective value of a fleet file, or of one cluster's profile, with where it was written
(the fleet's base, the cluster's layer, a default, or the fleet itself)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from argoflow_gen.cli import cli

from .conftest import ROOT

FLEET = "examples/fleet/fleet.yaml"


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # origins are shown as the fleet file is named


def _explain(*args: str) -> Any:
    return CliRunner().invoke(cli, ["fleet", "explain", FLEET, *args])


def test_a_clusters_values_name_the_layer_that_wrote_them(snapshot: Any) -> None:
    result = _explain("--cluster", "prod", "spec.repo")
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot
    culling = _explain("--cluster", "prod", "spec.notebooks.culling.idleMinutes")
    assert culling.stdout == "spec.notebooks.culling.idleMinutes  720  # examples/fleet/clusters/prod.yaml:9:43\n"
    hub = _explain("--cluster", "hub", "spec.argocd.manage")
    assert hub.stdout == "spec.argocd.manage  true  # examples/fleet/fleet.yaml (the fleet decides it)\n"


def test_the_fleet_files_own_values_and_defaults() -> None:
    result = _explain("spec")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("spec.hub ") and line.endswith("# examples/fleet/fleet.yaml:13:8") for line in lines)
    assert any(line.startswith("spec.deploy ") and line.endswith("applicationSet  # default") for line in lines)
    assert any(line.startswith("spec.clusters[2].server ") and "https://prod.k8s.acme.internal" in line
               for line in lines)
    assert _explain("-q").stdout == ""


def test_unknown_clusters_and_keys_are_refused() -> None:
    unknown = _explain("--cluster", "staging")
    assert unknown.exit_code == 2
    assert unknown.stderr == (f"{FLEET}: spec.clusters: no cluster of fleet 'acme-ml' is named 'staging' "
                              "(one of: hub, dev, prod)\n")
    nothing = _explain("spec.nothing")
    assert nothing.exit_code == 2 and "no value at or under 'spec.nothing'" in nothing.stderr
