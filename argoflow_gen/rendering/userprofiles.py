"""Who administers Kubeflow and which user namespaces (Profiles) exist."""

from __future__ import annotations

import re
from typing import Any

from ..profile import UserProfile
from .components import customizes
from .context import Context
from .model import Folder

UPSTREAM_PROFILE = "kubeflow-user-example-com"


def profile_name_for(email: str) -> str:
    """kubeflow-<email as a DNS label>, as upstream names its default profile."""
    label = re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
    return ("kubeflow-" + label)[:63].rstrip("-")


def default_profiles(ctx: Context) -> tuple[UserProfile, ...]:
    """The user namespaces: the profile's own, or else one for the admin (or the first user); each with the
    defaults of ``spec.tenancy.defaults`` it does not override."""
    profile = ctx.profile
    tenancy = profile.spec.tenancy
    if tenancy.profiles:
        return tuple(tenancy.with_defaults(user_profile) for user_profile in tenancy.profiles)
    identity = profile.spec.identity
    owner = identity.admin or (identity.users[0].email if identity.users else None)
    if owner is None:
        return ()
    from types import MappingProxyType

    return (tenancy.with_defaults(UserProfile(name=profile_name_for(owner), owner=owner,
                                              resource_quota=MappingProxyType({}))),)


def _quota(profile: UserProfile) -> dict[str, Any]:
    hard: dict[str, str] = {}
    names = {"cpu": "requests.cpu", "memory": "requests.memory", "gpu": "requests.nvidia.com/gpu",
             "storage": "requests.storage"}
    for key, value in profile.resource_quota.items():
        hard[names[key]] = value
    return {"hard": hard}


def _plugins(profile: UserProfile) -> list[dict[str, Any]]:
    """The profile controller's plugins a profile asks for: an AWS IAM role (only annotated on the namespace's
    default-editor account: the role's trust policy is the cloud side's), a Google service account."""
    plugins: list[dict[str, Any]] = []
    if profile.aws_iam_role:
        plugins.append({"kind": "AwsIamForServiceAccount",
                        "spec": {"awsIamRole": profile.aws_iam_role, "annotateOnly": True}})
    if profile.gcp_service_account:
        plugins.append({"kind": "WorkloadIdentity", "spec": {"gcpServiceAccount": profile.gcp_service_account}})
    return plugins


def _profile_object(profile: UserProfile) -> dict[str, Any]:
    spec: dict[str, Any] = {"owner": {"kind": "User", "name": profile.owner}}
    if profile.resource_quota:
        spec["resourceQuotaSpec"] = _quota(profile)
    if plugins := _plugins(profile):
        spec["plugins"] = plugins
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Profile", "metadata": {"name": profile.name},
            "spec": spec}


@customizes("user-namespace")
def user_namespaces(ctx: Context, folder: Folder) -> None:
    profiles = default_profiles(ctx)
    target = {"group": "kubeflow.org", "version": "v1beta1", "kind": "Profile", "name": UPSTREAM_PROFILE}
    if not profiles:
        folder.generators.append({"name": "default-install-config", "behavior": "merge",
                                  "literals": ["user=", "profile-name="]})
        folder.add_patch({"$patch": "delete", "apiVersion": "kubeflow.org/v1beta1", "kind": "Profile",
                          "metadata": {"name": UPSTREAM_PROFILE}})
        return
    first, rest = profiles[0], profiles[1:]
    # the leftover parameter ConfigMap would still name upstream's default user
    folder.generators.append({"name": "default-install-config", "behavior": "merge",
                              "literals": [f"user={first.owner}", f"profile-name={first.name}"]})
    operations: list[dict[str, Any]] = [
        {"op": "replace", "path": "/metadata/name", "value": first.name},
        {"op": "replace", "path": "/spec/owner/name", "value": first.owner},
    ]
    if first.resource_quota:
        operations.append({"op": "add", "path": "/spec/resourceQuotaSpec", "value": _quota(first)})
    if plugins := _plugins(first):
        operations.append({"op": "add", "path": "/spec/plugins", "value": plugins})
    folder.add_patch(operations, target)
    if rest:
        folder.add_manifests("profiles.yaml", [_profile_object(p) for p in rest],
                             "Kubeflow user namespaces from the profile's spec.tenancy.profiles.")
    _store_keys(ctx, folder, profiles)
    _contributors(ctx, folder, profiles)


def _contributors(ctx: Context, folder: Folder, profiles: tuple[UserProfile, ...]) -> None:
    """Each profile's contributors, in a file of its own; they sync after the Profiles."""
    from .contributors import contributor_objects

    for profile in profiles:
        if profile.contributors:
            folder.add_manifests(f"contributors-{profile.name}.yaml", contributor_objects(ctx, profile),
                                 f"Who works in namespace {profile.name} besides its owner, as Kubeflow's access "
                                 f"management grants it.")


def _store_keys(ctx: Context, folder: Folder, profiles: tuple[UserProfile, ...]) -> None:
    """With an external artifact store whose keys are sealed: the keys sealed again for each profile namespace
    (a SealedSecret is bound to its namespace), where Argo and the pipeline runs that run there read them. They
    sync after the Profiles, whose controller makes the namespaces."""
    from .argoworkflows import STORE_SECRET
    from .sealed import sealed_manifest

    store = ctx.profile.spec.pipelines.s3
    pair = store.credentials.pair() if store is not None else None
    if pair is None or pair.sealed is None:
        return
    values = dict(zip(pair.keys, pair.sealed, strict=True))
    for profile in profiles:
        file = f"sealed-{STORE_SECRET}-{profile.name}.yaml"
        manifest = sealed_manifest(ctx, f"{folder.id}/{file}", profile.name, STORE_SECRET, values)
        manifest["metadata"].setdefault("annotations", {})["argocd.argoproj.io/sync-wave"] = "1"
        folder.add_manifests(file, [manifest], f"The artifact store's keys for the workflows and runs of namespace "
                                               f"{profile.name}, sealed with the cluster's sealed-secrets certificate.")


@customizes("profiles")
def kfam_admin(ctx: Context, folder: Folder) -> None:
    admin = ctx.profile.spec.identity.admin
    if admin:
        folder.generators.append({"name": "profiles-config", "namespace": "kubeflow", "behavior": "merge",
                                  "literals": [f"ADMIN={admin}"]})


@customizes("central-dashboard")
def registration_flow(ctx: Context, folder: Folder) -> None:
    flow = ctx.profile.spec.kubeflow.components["central-dashboard"].registration_flow
    if flow is None:
        return
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "centraldashboard", "namespace": "kubeflow"},
                      "spec": {"template": {"spec": {"containers": [
                          {"name": "centraldashboard",
                           "env": [{"name": "REGISTRATION_FLOW", "value": "true" if flow else "false"}]}]}}}})
