"""Profile contributors: a user contributor gets exactly the RoleBinding and AuthorizationPolicy Kubeflow's access
management (KFAM) creates when an owner adds one from the dashboard; a group contributor gets the same pair for the
group, matched on the Dex token's groups claim, which a RequestAuthentication with the gateway's own issuers makes
known in the namespace. Rendered, then built with the real (offline) kustomize; the refusals are in the invalid
corpus (``data/profiles/invalid/contributor-*.yaml``) and the API server's verdict in the tier (the production
example has contributors)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK, Kustomize

OIDC = "spec.identity.oidc={issuer: 'https://sso.acme.io', clientId: kubeflow, clientSecret: {existingSecret: oidc}}"
PROFILES = ("spec.tenancy.profiles=[{name: team-a, owner: admin@example.com, contributors: ["
            "{user: Ada.Lovelace@acme.io}, {group: 'acme:ml-platform', role: edit}, {user: bob@acme.io, role: view}]}, "
            "{name: team-b, owner: admin@example.com, contributors: [{user: carol@acme.io, role: view}]}]")
GATEWAY = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
KFP_UI = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
WAVE = "argocd.argoproj.io/sync-wave"
DEX = "http://dex.auth.svc.cluster.local:5556/dex"


def _tree(version: str = VERSIONS[-1], *extra: str) -> dict[str, str]:
    profile = load_profile("preset:base", overrides=[FORK, f"spec.kubeflow.version={version}", OIDC, PROFILES,
                                                     *extra])
    return dict(render(profile))


def _kfam(namespace: str, email: str, role: str) -> list[dict[str, Any]]:
    """What KFAM's binding client creates for a user contributor, from its documented format: the name is
    user-<e-mail>-clusterrole-<role>, lower-cased, every run of characters other than letters and digits made
    one '-'; the annotations are the user and the role; the policy admits the gateway and the pipelines UI when
    the userid header (no prefix behind oauth2-proxy) is the e-mail."""
    name = re.sub(r"[^a-z0-9]+", "-", f"user-{email}-clusterrole-{role}".lower())
    metadata = {"name": name, "namespace": namespace, "annotations": {"user": email, "role": role}}
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"kubeflow-{role}"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": email}]},
        {"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy", "metadata": metadata,
         "spec": {"rules": [{"from": [{"source": {"principals": [GATEWAY, KFP_UI]}}],
                             "when": [{"key": "request.headers[kubeflow-userid]", "values": [email]}]}]}},
    ]


def _without_wave(document: dict[str, Any]) -> dict[str, Any]:
    """The object without the sync wave Argo CD orders it by (KFAM's objects have none)."""
    annotations = dict(document["metadata"]["annotations"])
    assert annotations.pop(WAVE) == "1"  # after the Profiles, whose controller makes the namespaces
    return {**document, "metadata": {**document["metadata"], "annotations": annotations}}


def _built(kustomize: Kustomize, tree: dict[str, str], folder: Path, component: str) -> list[dict[str, Any]]:
    for path, text in tree.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return kustomize.build_objects(folder / component)


def _find(objects: list[dict[str, Any]], kind: str, namespace: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"].get("namespace") == namespace
             and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{len(found)} {kind} {namespace}/{name}"
    return found[0]


def test_the_rendered_contributors(text_snapshot: Any) -> None:
    tree = _tree()

    assert tree["user-namespace/contributors-team-a.yaml"] == text_snapshot(name="team-a")
    assert tree["user-namespace/contributors-team-b.yaml"] == text_snapshot(name="team-b")
    assert "- contributors-team-a.yaml\n- contributors-team-b.yaml\n" in tree["user-namespace/kustomization.yaml"]


def test_a_profile_without_contributors_gets_no_file() -> None:
    tree = _tree(VERSIONS[-1], "spec.tenancy.profiles=[{name: team-a, owner: admin@example.com}]")

    assert not [path for path in tree if "contributors" in path]
    assert "RoleBinding" not in tree["user-namespace/kustomization.yaml"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_user_contributor_is_built_exactly_as_kfam_creates_it(version: str, kustomize: Kustomize,
                                                                tmp_path: Path) -> None:
    built = _built(kustomize, _tree(version), tmp_path, "user-namespace")

    for namespace, email, role in (("team-a", "Ada.Lovelace@acme.io", "edit"), ("team-a", "bob@acme.io", "view"),
                                   ("team-b", "carol@acme.io", "view")):
        expected = _kfam(namespace, email, role)
        for kfam in expected:
            ours = _find(built, kfam["kind"], namespace, kfam["metadata"]["name"])
            assert _without_wave(ours) == kfam
    assert _find(built, "RoleBinding", "team-a", "user-ada-lovelace-acme-io-clusterrole-edit")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_group_contributor_gets_edit_on_the_namespace(version: str, kustomize: Kustomize, tmp_path: Path) -> None:
    built = _built(kustomize, _tree(version), tmp_path, "user-namespace")
    name = "group-acme-ml-platform-clusterrole-edit"

    binding = _without_wave(_find(built, "RoleBinding", "team-a", name))
    assert binding["metadata"]["annotations"] == {"group": "acme:ml-platform", "role": "edit"}
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "kubeflow-edit"}
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "acme:ml-platform"}]
    policy = _without_wave(_find(built, "AuthorizationPolicy", "team-a", name))
    assert policy["apiVersion"] == "security.istio.io/v1beta1"
    assert policy["metadata"]["annotations"] == {"group": "acme:ml-platform", "role": "edit"}
    assert "action" not in policy["spec"] and "selector" not in policy["spec"]  # ALLOW, every workload, as KFAM's
    assert policy["spec"]["rules"] == [{"from": [{"source": {"principals": [GATEWAY]}}],
                                        "when": [{"key": "request.auth.claims[groups]",
                                                  "values": ["acme:ml-platform"]}]}]
    tokens = _find(built, "RequestAuthentication", "team-a", "gateway-jwt")
    assert "selector" not in tokens["spec"]  # the whole namespace
    assert [rule["issuer"] for rule in tokens["spec"]["jwtRules"]] == [DEX]
    # a namespace with user contributors only needs no token check
    assert not [o for o in built if o["kind"] == "RequestAuthentication" and o["metadata"]["namespace"] == "team-b"]


VARIANTS = [("m2m-dex-only", ()),
            ("m2m-dex-and-kind", ()),
            ("m2m-dex-and-eks", ("spec.kubeflow.components.oauth2-proxy.eksIssuer="
                                 "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF",))]


@pytest.mark.parametrize(("variant", "extra"), VARIANTS, ids=[variant for variant, _extra in VARIANTS])
def test_the_namespace_accepts_every_token_the_gateway_accepts(variant: str, extra: tuple[str, ...],
                                                               kustomize: Kustomize, tmp_path: Path) -> None:
    """The namespace checks tokens with the gateway's own issuers, read from the same header; both pass the
    token on (the gateway must, or no claim would reach the namespace)."""
    tree = _tree(VERSIONS[-1], f"spec.kubeflow.components.oauth2-proxy.variant={variant}", *extra)
    proxy = _built(kustomize, tree, tmp_path, "oauth2-proxy")
    gateway = [rule for o in proxy if o["kind"] == "RequestAuthentication"
               and o["spec"].get("selector") == {"matchLabels": {"app": "istio-ingressgateway"}}
               for rule in o["spec"]["jwtRules"]]
    assert len(gateway) == {"m2m-dex-only": 1, "m2m-dex-and-kind": 3, "m2m-dex-and-eks": 2}[variant]
    assert all(rule["forwardOriginalToken"] is True for rule in gateway)
    namespace = _find(kustomize.build_objects(tmp_path / "user-namespace"), "RequestAuthentication", "team-a",
                      "gateway-jwt")["spec"]["jwtRules"]

    def checked(rule: dict[str, Any]) -> tuple[Any, ...]:
        return rule["issuer"], rule.get("jwksUri"), rule["fromHeaders"], rule["forwardOriginalToken"]

    assert sorted(map(checked, namespace), key=str) == sorted(map(checked, gateway), key=str)
    assert all("outputClaimToHeaders" not in rule for rule in namespace)  # the gateway alone sets the headers


@pytest.mark.apiserver
def test_the_api_server_accepts_the_contributors(kustomize: Kustomize, kube_server: Any, tmp_path: Path) -> None:
    """The built objects, synced after Istio's CRDs into the profiles' namespaces as Argo CD would; a policy with
    an action Istio does not have is refused beside them, so the CRDs' schemas are being applied."""
    from argoflow_gen.verify.client import Client
    from argoflow_gen.verify.kubeconfig import load_credentials
    from argoflow_gen.verify.plan import Plan, sync_of

    from .kubesim import ArgoCD

    tree = _tree()
    crds = _built(kustomize, tree, tmp_path, "istio-crds")
    kinds = ("RoleBinding", "AuthorizationPolicy", "RequestAuthentication")
    objects = [o for o in kustomize.build_objects(tmp_path / "user-namespace") if o["kind"] in kinds]
    assert sorted(o["kind"] for o in objects) == sorted(["RoleBinding", "AuthorizationPolicy"] * 4
                                                        + ["RequestAuthentication"])
    broken = copy.deepcopy(_find(objects, "AuthorizationPolicy", "team-a", "group-acme-ml-platform-clusterrole-edit"))
    broken["metadata"]["name"] = "broken"
    broken["spec"]["action"] = "PERMIT"
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
                  for name in ("team-a", "team-b")]
    plan = Plan((sync_of("istio-crds", 0, "istio-system", ["ServerSideApply=true"], crds),
                 sync_of("user-namespace", 60, "kubeflow", [], [*namespaces, *objects, broken])), ())
    with Client(load_credentials(kube_server.kubeconfig)) as admin:
        report = ArgoCD(admin).sync_plan(plan)
        live = admin.get("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/"
                         "group-acme-ml-platform-clusterrole-edit")
    refused = {outcome.item.label(): outcome.message for outcome in report.refused}
    assert list(refused) == ["AuthorizationPolicy team-a/broken"], refused
    assert "PERMIT" in refused["AuthorizationPolicy team-a/broken"]
    applied = {outcome.item.label() for outcome in report.outcomes if not outcome.refused}
    assert {f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}" for o in objects} <= applied
    assert live is not None and live["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                                      "name": "acme:ml-platform"}]


def test_every_oauth2_proxy_variant_names_the_issuers_its_gateway_accepts() -> None:
    """A variant a release adds must say which machine tokens its gateway accepts, or its namespaces would
    refuse them."""
    from argoflow_gen import catalog
    from argoflow_gen.rendering.contributors import M2M_ISSUERS

    assert set(catalog.every_choice("oauth2-proxy", "variant")) == set(M2M_ISSUERS)
    assert {variant for variant, _extra in VARIANTS} == set(M2M_ISSUERS)  # each built above


DEFAULTS = ("spec.tenancy.defaults={contributors: [{group: 'acme:ml-admins', role: view}, {user: bob@acme.io}, "
            "{user: admin@example.com}], resourceQuota: {cpu: '8', memory: 32Gi}}")
PLUGINS = ("spec.tenancy.profiles=[{name: team-a, owner: admin@example.com, resourceQuota: {cpu: '16'}, "
           "contributors: [{user: bob@acme.io, role: view}], awsIamRole: 'arn:aws:iam::123456789012:role/team-a'}, "
           "{name: team-b, owner: carol@acme.io, gcpServiceAccount: team-b@acme-ml.iam.gserviceaccount.com}]")


@pytest.mark.kustomize
@pytest.mark.parametrize("version", VERSIONS)
def test_profile_defaults_and_plugins_reach_every_profile(version: str, kustomize: Kustomize,
                                                          tmp_path: Path) -> None:
    objects = _built(kustomize, _tree(version, DEFAULTS, PLUGINS), tmp_path, "user-namespace")
    team_a, team_b = (_find(objects, "Profile", None, name)["spec"] for name in ("team-a", "team-b"))
    assert team_a["resourceQuotaSpec"] == {"hard": {"requests.cpu": "16", "requests.memory": "32Gi"}}  # own cpu
    assert team_b["resourceQuotaSpec"] == {"hard": {"requests.cpu": "8", "requests.memory": "32Gi"}}
    assert team_a["plugins"] == [{"kind": "AwsIamForServiceAccount",
                                  "spec": {"awsIamRole": "arn:aws:iam::123456789012:role/team-a",
                                           "annotateOnly": True}}]
    assert team_b["plugins"] == [{"kind": "WorkloadIdentity",
                                  "spec": {"gcpServiceAccount": "team-b@acme-ml.iam.gserviceaccount.com"}}]
    bindings = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects if o["kind"] == "RoleBinding"
                and o["metadata"]["name"].startswith(("user-", "group-"))}
    assert bindings == {
        ("team-a", "group-acme-ml-admins-clusterrole-view"),  # the default group
        ("team-a", "user-bob-acme-io-clusterrole-view"),  # its own entry for bob wins over the default's edit
        ("team-b", "group-acme-ml-admins-clusterrole-view"),
        ("team-b", "user-bob-acme-io-clusterrole-edit"),  # the default
        ("team-b", "user-admin-example-com-clusterrole-edit"),  # a default user; team-a's owner, so not there
    }
