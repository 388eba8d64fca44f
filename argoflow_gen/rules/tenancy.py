"""Cross-field rules of the user namespaces: each profile's name and owner, and its contributors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..profile.workloads import kfam_name
from ..schema import Problem
from ..yamlio import JsonPath
from .common import problem as _p
from .identity import external_login

#: The longest name a RoleBinding or an AuthorizationPolicy may have (a DNS-1123 subdomain).
MAX_NAME = 253


def _profiles(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    users = {user["email"].lower() for user in spec.get("identity", {}).get("users", [])}
    external = external_login(spec.get("identity", {}))
    reserved = {"kubeflow", "kubeflow-system", "istio-system", "auth", "oauth2-proxy", "cert-manager",
                "knative-serving", "knative-eventing", "kube-system", "default", spec["argocd"]["namespace"]}
    for index, profile in enumerate(spec.get("tenancy", {}).get("profiles", [])):
        path: JsonPath = ("spec", "tenancy", "profiles", index)
        name = profile["name"]
        if name in seen:
            yield _p((*path, "name"), f"repeats the name of spec.tenancy.profiles[{seen[name]}]")
        seen.setdefault(name, index)
        if name in reserved or name.startswith("kube-"):
            yield _p((*path, "name"), f"{name!r} is a system namespace", "choose another profile name")
        if not external and profile["owner"].lower() not in users:
            yield _p((*path, "owner"), f"{profile['owner']} is not one of spec.identity.users",
                     "the owner must be able to log in")
        yield from _contributors(spec, profile, path, users, external)
    defaults = spec.get("tenancy", {}).get("defaults") or {}
    if defaults.get("contributors"):  # each is checked as a profile's own would be (no profile owns them)
        yield from _contributors(spec, {"owner": "", "contributors": defaults["contributors"]},
                                 ("spec", "tenancy", "defaults"), users, external)


def _contributors(spec: Mapping[str, Any], profile: Mapping[str, Any], base: JsonPath, users: set[str],
                  external: bool) -> Iterator[Problem]:
    seen: dict[tuple[str, str], int] = {}
    names: dict[str, int] = {}
    proxy = spec["kubeflow"]["components"].get("oauth2-proxy", {}).get("enabled", False)
    for index, contributor in enumerate(profile.get("contributors", [])):
        path: JsonPath = (*base, "contributors", index)
        kind, subject = ("user", contributor["user"]) if "user" in contributor else ("group", contributor["group"])
        at: JsonPath = (*path, kind)
        key = (kind, subject.lower() if kind == "user" else subject)
        if key in seen:
            yield _p(at, f"repeats the {kind} of contributors[{seen[key]}]",
                     f"one entry per {kind}, with the role you mean")
            continue
        seen[key] = index
        if kind == "user" and key[1] == profile["owner"].lower():
            yield _p(at, f"{subject} owns this profile", "the owner has the namespace already: remove the entry")
        elif kind == "user" and not external and key[1] not in users:
            yield _p(at, f"{subject} is not one of spec.identity.users", "a contributor must be able to log in")
        if kind == "group" and not external:
            yield _p(at, "Dex's static users have no groups",
                     "groups come from an external provider's groups claim: spec.identity.oidc or "
                     "spec.identity.connectors")
        elif kind == "group" and not proxy:
            yield _p(at, "a group contributor needs the oauth2-proxy component",
                     "the gateway checks the groups claim of the Dex token oauth2-proxy passes on")
        name = kfam_name(kind.capitalize(), subject, contributor.get("role", "edit"))
        if name in names:
            yield _p(at, f"its objects would be named {name}, as those of contributors[{names[name]}]",
                     "Kubeflow names a contributor's objects after the letters and digits of its name")
        elif len(name) > MAX_NAME:
            yield _p(at, f"makes an object name of {len(name)} characters, over Kubernetes' {MAX_NAME}")
        names.setdefault(name, index)
