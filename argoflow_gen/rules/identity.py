"""Cross-field rules of who can log in: static users, Dex's connectors, the admin."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..profile.connectors import CONNECTOR_TYPES
from ..schema import Problem
from ..yamlio import JsonPath
from .common import problem as _p

BASE: JsonPath = ("spec", "identity")
#: A connector's keys whose values stay here (secret references, local files): Dex never reads them.
LOCAL_KEYS = ("clientSecret", "bindPW", "ca", "rootCA", "serviceAccountKey")
#: Microsoft's tenants that are not one organization's: Dex lists no groups there.
SHARED_TENANTS = ("common", "organizations", "consumers")


def external_login(identity: Mapping[str, Any]) -> bool:
    """Can users log in through an identity provider (whose users the profile does not list)?"""
    return "oidc" in identity or bool(identity.get("connectors"))


def _auth(spec: Mapping[str, Any], written: Mapping[str, Any]) -> Iterator[Problem]:
    identity = spec.get("identity", {})
    users = identity.get("users", [])
    if not users and not external_login(identity):
        yield _p(BASE if "identity" in written else ("spec",), "no user can log in",
                 "add spec.identity.users (with passwordHash from `argoflow-gen hash-password`), "
                 "spec.identity.oidc or spec.identity.connectors")
    seen_email: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for index, user in enumerate(users):
        path: JsonPath = (*BASE, "users", index)
        has_hash = "passwordHash" in user
        has_from = "passwordHashFrom" in user
        if has_hash == has_from:
            yield _p(path if not has_hash else (*path, "passwordHashFrom"),
                     "set exactly one of passwordHash, passwordHashFrom",
                     "make a hash with `argoflow-gen hash-password`")
        email = user.get("email", "").lower()
        if email == "user@example.com":
            yield _p((*path, "email"), "user@example.com is upstream's published default user",
                     "use a real address")
        if email in seen_email:
            yield _p((*path, "email"), f"repeats the e-mail of spec.identity.users[{seen_email[email]}]")
        seen_email.setdefault(email, index)
        name = user.get("username")
        if name in seen_name:
            yield _p((*path, "username"), f"repeats the username of spec.identity.users[{seen_name[name]}]")
        seen_name.setdefault(name, index)
    admin = identity.get("admin")
    if admin and not external_login(identity) and admin.lower() not in seen_email:
        yield _p((*BASE, "admin"), f"{admin} is not one of spec.identity.users",
                 "the admin must be able to log in")
    yield from _connectors(identity)


def _connectors(identity: Mapping[str, Any]) -> Iterator[Problem]:
    seen: dict[str, str] = {"oidc": "spec.identity.oidc"} if "oidc" in identity else {}
    for index, connector in enumerate(identity.get("connectors", [])):
        path: JsonPath = (*BASE, "connectors", index)
        cid = connector["id"]
        if cid == "local":
            yield _p((*path, "id"), "local is the id of Dex's static users", "choose another id")
        elif cid in seen:
            yield _p((*path, "id"), f"repeats the id of {seen[cid]}", "each connector needs its own id")
        seen.setdefault(cid, f"spec.identity.connectors[{index}]")
        ldap = connector.get("ldap")
        if ldap:
            yield from _ldap(ldap, (*path, "ldap"))
        github = connector.get("github", {})
        if github.get("loadAllGroups") and github.get("orgs"):
            yield _p((*path, "github", "loadAllGroups"), "loadAllGroups is only used without orgs",
                     "with orgs, the groups claim holds the teams of those organizations")
        microsoft = connector.get("microsoft", {})
        if microsoft.get("groups") and microsoft.get("tenant") in SHARED_TENANTS:
            yield _p((*path, "microsoft", "tenant"),
                     f"Dex reads groups only in your own tenant, not {microsoft['tenant']}",
                     "set tenant to your tenant's id or domain, or remove groups")
        for kind in CONNECTOR_TYPES:  # Dex expands the settings, not the id or the name
            if kind in connector:
                yield from _dollars(connector[kind], (*path, kind))


def _dollars(value: Any, path: JsonPath) -> Iterator[Problem]:
    """Dex expands $NAME in a connector's settings (that is how its secrets arrive): a written $ would be eaten."""
    if isinstance(value, str) and "$" in value:
        yield _p(path, "Dex reads $ in a connector's settings as an environment variable",
                 "a secret goes in a secret reference: existingSecret or sealed")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in LOCAL_KEYS:
                yield from _dollars(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _dollars(item, (*path, index))


def _ldap(ldap: Mapping[str, Any], path: JsonPath) -> Iterator[Problem]:
    if "rootCA" in ldap and "rootCAData" in ldap:
        yield _p((*path, "rootCAData"), "set only one of rootCA, rootCAData")
    if ldap.get("insecureNoSSL"):
        for key in ("startTLS", "rootCA", "rootCAData", "insecureSkipVerify"):
            if ldap.get(key):
                yield _p((*path, key), f"{key} is not used with insecureNoSSL (no TLS at all)",
                         f"remove {key}, or insecureNoSSL")
