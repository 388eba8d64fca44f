"""The gateway settings operators reach for, each found in the built Service, autoscaler or Deployment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.errors import ProfileError
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK, Kustomize

SETTINGS = [
    "spec.ingress.serviceType=LoadBalancer",
    "spec.ingress.gateway.loadBalancerIP=203.0.113.10",
    "spec.ingress.gateway.loadBalancerSourceRanges=[10.0.0.0/8, 192.168.0.0/16]",
    "spec.ingress.gateway.annotations={service.beta.kubernetes.io/aws-load-balancer-type: nlb}",
    "spec.ingress.gateway.externalTrafficPolicy=Local",
    "spec.ingress.gateway.minReplicas=2",
    "spec.ingress.gateway.maxReplicas=8",
    "spec.ingress.gateway.trustedProxies=1",
]


def _gateway(kind: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == "istio-ingressgateway"]
    return found


@pytest.mark.kustomize
def test_every_gateway_setting_reaches_the_built_objects(tmp_path: Path, kustomize: Kustomize) -> None:
    tree = render(load_profile("preset:base", overrides=[FORK, *SETTINGS]))
    tree.write(tmp_path / "fork")
    objects = [obj for obj in kustomize.build_objects(tmp_path / "fork" / "istio") if isinstance(obj, dict)]
    service = _gateway("Service", objects)
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["loadBalancerIP"] == "203.0.113.10"
    assert service["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8", "192.168.0.0/16"]
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    assert service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    autoscaler = _gateway("HorizontalPodAutoscaler", objects)
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (2, 8)
    deployment = _gateway("Deployment", objects)
    config = json.loads(deployment["spec"]["template"]["metadata"]["annotations"]["proxy.istio.io/config"])
    assert config == {"gatewayTopology": {"numTrustedProxies": 1}}


def test_without_settings_the_gateway_is_upstreams() -> None:
    tree = render(load_profile("preset:base", overrides=[FORK]))
    assert "istio-ingressgateway" not in tree["istio/kustomization.yaml"]


def test_bad_gateway_settings_are_located() -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("preset:base", overrides=[FORK, "spec.ingress.gateway.loadBalancerSourceRanges=[10.0.0.0]",
                                               "spec.ingress.gateway.externalTrafficPolicy=local"])
    text = str(caught.value)
    assert "spec.ingress.gateway.loadBalancerSourceRanges[0]" in text
    assert "spec.ingress.gateway.externalTrafficPolicy" in text
