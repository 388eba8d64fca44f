"""The Central Dashboard's links: upstream's as the catalog holds them, the profile's and the add-ons' after
them, in the built ConfigMap, and the dashboard's pods rolled when they change."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen import catalog, load_profile, render

from .conftest import Kustomize

PROFILE = """\
apiVersion: argoflow-gen/v1beta1
kind: Profile
metadata: {name: links}
extends: [preset:PRESET]
spec:
  repo: {url: https://git.acme.internal/platform/kubeflow-gitops.git}
  kubeflow:
    version: "VERSION"
"""

LINKS = """\
    components:
      central-dashboard:
        links:
          menu: [{text: Feature store, link: /feast/, icon: "kubeflow:feature"}]
          external: [{text: Runbooks, link: "https://wiki.acme.io/ml/runbooks"}]
          quick: [{text: Request a GPU quota, link: "https://tickets.acme.io/new", desc: Platform team}]
          documentation: [{text: ML platform guide, link: "https://wiki.acme.io/ml"}]
  addons:
    mlflow: {}
"""


def _dashboard(tmp_path: Path, text: str, kustomize: Kustomize,
               preset: str = "full") -> tuple[dict[str, Any], dict[str, Any]]:
    (tmp_path / "links.yaml").write_text(text.replace("PRESET", preset))
    render(load_profile(tmp_path / "links.yaml")).write(tmp_path / "fork")
    built = kustomize.build_objects(tmp_path / "fork" / "central-dashboard")
    (config,) = [d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "centraldashboard-config"]
    (deployment,) = [d for d in built if d["kind"] == "Deployment" and d["metadata"]["name"] == "centraldashboard"]
    return config, deployment


@pytest.mark.kustomize
@pytest.mark.parametrize("version", ["1.11.0", "1.10.2"])
def test_upstreams_links_are_the_catalogs(version: str, tmp_path: Path, kustomize: Kustomize) -> None:
    config, deployment = _dashboard(tmp_path, PROFILE.replace("VERSION", version), kustomize)
    assert json.loads(config["data"]["links"]) == catalog.release(version).dashboard_links  # no patch: upstream's
    assert "argoflow-gen/links-sha256" not in (deployment["spec"]["template"]["metadata"].get("annotations") or {})


@pytest.mark.kustomize
@pytest.mark.parametrize("version", ["1.11.0", "1.10.2"])
def test_the_profiles_and_the_add_ons_links_follow_upstreams(version: str, tmp_path: Path,
                                                             kustomize: Kustomize) -> None:
    config, deployment = _dashboard(tmp_path, PROFILE.replace("VERSION", version) + LINKS, kustomize)
    expected = copy.deepcopy(dict(catalog.release(version).dashboard_links))
    expected["menuLinks"] = [*expected["menuLinks"], {"type": "item", "text": "Feature store", "link": "/feast/",
                                                      "icon": "kubeflow:feature"}]
    expected["externalLinks"] = [
        *expected["externalLinks"],
        {"type": "item", "text": "Runbooks", "link": "https://wiki.acme.io/ml/runbooks", "iframe": False},
        {"type": "item", "text": "MLflow", "link": "/mlflow/", "iframe": False, "icon": "launch"}]
    expected["quickLinks"] = [*expected["quickLinks"], {"text": "Request a GPU quota", "desc": "Platform team",
                                                        "link": "https://tickets.acme.io/new"}]
    expected["documentationItems"] = [*expected["documentationItems"], {"text": "ML platform guide", "desc": "",
                                                                        "link": "https://wiki.acme.io/ml"}]
    assert json.loads(config["data"]["links"]) == expected
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["argoflow-gen/links-sha256"] == hashlib.sha256(config["data"]["links"].encode()).hexdigest()


def _texts(items: list[dict[str, Any]]) -> list[str]:
    return [text for item in items for text in [item["text"], *_texts(item.get("items", []))]]


@pytest.mark.kustomize
@pytest.mark.parametrize("version", ["1.11.0", "1.10.2"])
def test_entries_of_components_that_do_not_run_are_left_out(version: str, tmp_path: Path,
                                                            kustomize: Kustomize) -> None:
    config, _deployment = _dashboard(tmp_path, PROFILE.replace("VERSION", version), kustomize, preset="minimal")
    built = json.loads(config["data"]["links"])
    upstream = catalog.release(version).dashboard_links
    # minimal runs notebooks and volumes, not TensorBoards, Katib, KServe or Pipelines
    assert _texts(built["menuLinks"]) == ["Notebooks", "Volumes"]
    assert _texts(built["quickLinks"]) == ["Create a new Notebook"]
    assert built["documentationItems"] == upstream["documentationItems"]
    assert len(_texts(upstream["menuLinks"])) > 3  # upstream's had them


@pytest.mark.parametrize("version", ["1.11.0", "1.10.2"])
def test_each_served_prefix_is_a_component_with_an_entry(version: str) -> None:
    release = catalog.release(version)
    links = [item["link"] for key in ("menuLinks", "quickLinks")
             for item in release.dashboard_links[key]
             for item in [item, *item.get("items", [])] if "link" in item]
    for prefix, component in release.dashboard_link_components.items():
        assert component in release.components, component
        assert any(link.startswith(prefix) for link in links), prefix
