"""Platform add-ons (spec.addons): each a Helm chart at the version the catalog pins, rendered as an Argo CD
Application, built with real `helm template` from the offline chart bundle, its values checked against the chart's
own values schema. The API-server tier installs them all (scenario `addons` of tests/test_apiserver_install.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from argoflow_gen.catalog import addons
from argoflow_gen.errors import ProfileError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render
from argoflow_gen.rendering.addons import merged

from .conftest import FORK, load_yaml_documents
from .tier import ADDON_SETTINGS, chart_folder, helm_template

ADDONS = sorted(addons())


def _tree(*overrides: str) -> dict[str, str]:
    return dict(render(load_profile("preset:minimal", overrides=[FORK, *overrides])).files)


def _application(tree: dict[str, str], name: str) -> dict[str, Any]:
    document: dict[str, Any] = load_yaml_documents(tree[f"argocd-applications/{name}.yaml"])[0]
    return document


@pytest.mark.parametrize("addon", ADDONS)
def test_each_addon_with_its_defaults_renders_builds_and_fits_its_charts_values_schema(
        addon: str, application_validator: Any, tmp_path: Path) -> None:
    tree = _tree(f"spec.addons={{{addon}: {ADDON_SETTINGS.get(addon, '{}')}}}")
    app = _application(tree, addon)
    application_validator.validate(app)
    spec = addons()[addon]
    source = app["spec"]["source"]
    assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
        spec.helm.repo_url, spec.helm.chart, spec.helm.target_revision)
    assert app["spec"]["destination"]["namespace"] == spec.namespace
    assert "CreateNamespace=true" in app["spec"]["syncPolicy"]["syncOptions"]
    objects = helm_template(source, source["helm"]["releaseName"], spec.namespace, tmp_path)
    assert objects and all("kind" in item for item in objects)
    chart = chart_folder(source, tmp_path)
    if (chart / "values.schema.json").exists():  # helm checks it too; this says so on its own (all are draft 7)
        schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))
        defaults = load_yaml_documents((chart / "values.yaml").read_text(encoding="utf-8"))[0] or {}
        jsonschema.Draft7Validator(schema).validate(merged(defaults, source["helm"]["valuesObject"]))


def test_a_chart_values_schema_refuses_what_it_should(tmp_path: Path) -> None:
    source = _application(_tree(f"spec.addons={{metallb: {ADDON_SETTINGS['metallb']}}}"), "metallb")["spec"]["source"]
    chart = chart_folder(source, tmp_path)
    schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))
    defaults = load_yaml_documents((chart / "values.yaml").read_text(encoding="utf-8"))[0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(merged(defaults, {"loadBalancerClass": 7}))


def test_options_set_their_values_and_the_profiles_values_come_last(tmp_path: Path) -> None:
    tree = _tree("spec.addons={monitoring: {retention: 15d, storage: 20Gi, values: {grafana: {enabled: false}}}}")
    source = _application(tree, "monitoring")["spec"]["source"]
    values = source["helm"]["valuesObject"]
    assert values["grafana"]["enabled"] is False  # the profile's values, merged over argoflow-gen's
    assert values["grafana"]["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user",
                                          "passwordKey": "admin-password"}
    objects = helm_template(source, "monitoring", "monitoring", tmp_path)
    (prometheus,) = [item for item in objects if item["kind"] == "Prometheus"]
    assert prometheus["spec"]["retention"] == "15d"
    assert prometheus["spec"]["storage"]["volumeClaimTemplate"]["spec"] == {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}
    assert not [item for item in objects if item["kind"] == "Deployment" and "grafana" in item["metadata"]["name"]]


def test_the_secrets_an_addon_needs_are_in_the_forks_install_steps() -> None:
    readme = _tree("spec.addons={monitoring: {}}")["README.md"]
    assert "kubectl create secret generic grafana-admin -n monitoring --from-file=admin-user=" in readme


def test_naming_an_addon_turns_it_on_and_a_later_layer_turns_it_off() -> None:
    assert "argocd-applications/kiali.yaml" in _tree("spec.addons.kiali={}")
    tree = _tree("spec.addons.kiali={}", "spec.addons.kiali.enabled=false")
    assert "argocd-applications/kiali.yaml" not in tree
    assert not [path for path in _tree() if path.split("/")[-1][:-5] in ADDONS]


def test_a_bad_option_or_an_unknown_addon_is_a_located_error() -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("preset:minimal", overrides=[FORK, "spec.addons={monitoring: {retention: 15x}, grafana: {}}"])
    assert [issue.format() for issue in caught.value.issues] == [
        "--set:2:13: spec.addons.grafana: unknown key (the add-ons: monitoring, logging, kiali, opencost, mlflow, "
        "metallb, external-dns, gpu-operator)",
        '--set:2:13: spec.addons.monitoring.retention: "15x" is not how long Prometheus keeps metrics, such as 10d '
        "or 12h"]


def test_the_monitoring_addon_turns_the_components_servicemonitors_on_unless_the_profile_says() -> None:
    assert load_profile("preset:platform", overrides=[FORK]).spec.monitoring.prometheus == "serviceMonitor"
    assert load_profile("preset:minimal", overrides=[FORK]).spec.monitoring.prometheus == "none"
    chosen = load_profile("preset:platform", overrides=[FORK, "spec.monitoring.prometheus=annotations"])
    assert chosen.spec.monitoring.prometheus == "annotations"
    off = load_profile("preset:platform", overrides=[FORK, "spec.addons.monitoring.enabled=false"])
    assert off.spec.monitoring.prometheus == "none"


def test_grafana_gets_loki_as_a_data_source_when_both_run(tmp_path: Path) -> None:
    alone = _application(_tree("spec.addons={monitoring: {}}"), "monitoring")["spec"]["source"]
    assert "additionalDataSources" not in alone["helm"]["valuesObject"]["grafana"]
    tree = _tree("spec.addons={monitoring: {}, logging: {}}")
    source = _application(tree, "monitoring")["spec"]["source"]
    objects = helm_template(source, "monitoring", "monitoring", tmp_path)
    sources = "".join(text for item in objects if item["kind"] == "ConfigMap"
                      for text in (item.get("data") or {}).values())
    assert "url: http://loki.logging.svc:3100" in sources and "type: loki" in sources
    logging = _application(tree, "logging")["spec"]["source"]
    services = {item["metadata"]["name"]: item for item in helm_template(logging, "logging", "logging", tmp_path)
                if item["kind"] == "Service"}
    assert any(port["port"] == 3100 for port in services["loki"]["spec"]["ports"])  # what the data source names


def test_grafana_trusts_the_user_the_gateways_login_names(tmp_path: Path) -> None:
    """Grafana serves /grafana/ (its route on the gateway: tests/test_addons_access.py) and signs in the user the
    gateway's oauth2-proxy login names in kubeflow-userid, as every Kubeflow app does."""
    source = _application(_tree("spec.addons={monitoring: {}}"), "monitoring")["spec"]["source"]
    objects = helm_template(source, "monitoring", "monitoring", tmp_path)
    by_kind = {(item["kind"], item["metadata"]["name"]): item for item in objects}
    config = by_kind[("ConfigMap", "grafana")]["data"]["grafana.ini"]
    assert "[auth.proxy]\nauto_sign_up = true\nenabled = true\nheader_name = kubeflow-userid" in config
    assert "root_url = %(protocol)s://%(domain)s/grafana/\nserve_from_sub_path = true" in config


def test_kiali_serves_its_web_root_anonymously_read_only_behind_the_gateways_login(tmp_path: Path) -> None:
    """Kiali's own login could not take the gateway's (its header strategy wants a Kubernetes token): it lets in
    whoever the gateway lets in, read-only."""
    source = _application(_tree("spec.addons={kiali: {}}"), "kiali")["spec"]["source"]
    objects = helm_template(source, "kiali", "istio-system", tmp_path)
    (config,) = [item["data"]["config.yaml"] for item in objects
                 if item["kind"] == "ConfigMap" and item["metadata"]["name"] == "kiali"]
    settings = load_yaml_documents(config)[0]
    assert settings["server"]["web_root"] == "/kiali"
    assert settings["auth"]["strategy"] == "anonymous"
    assert settings["deployment"]["view_only_mode"] is True
