"""Dex and oauth2-proxy: static users, connectors to identity providers, the shared client secret, secure cookies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from ..profile import Profile
from ..yamlemit import dump
from .components import customizes
from .context import Context, ExpectedSecret
from .dexconnectors import dex_connectors
from .model import Folder
from .randomsecrets import provide
from .randomspec import RandomSecret, Value, register

DexClient = TypeVar("DexClient", bound=Callable[[Profile], dict[str, Any]])

CLIENT_ID = "kubeflow-oidc-authservice"
DEX_ISSUER = "http://dex.auth.svc.cluster.local:5556/dex"
DEX_NAMESPACE = "auth"

DEX_CLIENT = register("dex", RandomSecret(
    namespace=DEX_NAMESPACE, name="dex-oidc-client", upstream_name="dex-oidc-client",
    keys=(("OIDC_CLIENT_ID", Value(literal=CLIENT_ID)), ("OIDC_CLIENT_SECRET", Value(shared="oidc-client"))),
))
PROXY_SECRET = register("oauth2-proxy", RandomSecret(
    namespace="oauth2-proxy", name="oauth2-proxy", upstream_name="oauth2-proxy",
    keys=(
        ("client-id", Value(literal=CLIENT_ID)),
        ("client-secret",
         Value(shared="oidc-client", copy_from=(DEX_NAMESPACE, "dex-oidc-client", "OIDC_CLIENT_SECRET"))),
        ("cookie-secret", Value()),
    ),
))


#: The static clients other components add to Dex's config, each with the component it belongs to.
DEX_CLIENTS: list[tuple[str, Callable[[Profile], dict[str, Any]]]] = []


def dex_client(component_id: str) -> Callable[[DexClient], DexClient]:
    """Register a function that gives Dex's static client for a component, when that component is enabled."""
    def add(client: DexClient) -> DexClient:
        DEX_CLIENTS.append((component_id, client))
        return client

    return add


def _user_id(email: str) -> str:
    """A stable Dex userID derived from the e-mail (Dex needs one per static user)."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:24]


def hash_env(index: int) -> str:
    return f"DEX_USER_{index}_HASH"


def dex_config(ctx: Context, connectors: list[dict[str, Any]]) -> dict[str, Any]:
    auth = ctx.profile.spec.identity
    config: dict[str, Any] = {
        "issuer": DEX_ISSUER,
        "storage": {"type": "kubernetes", "config": {"inCluster": True}},
        "web": {"http": "0.0.0.0:5556"},
        "logger": {"level": "info", "format": "text"},
        "oauth2": {"skipApprovalScreen": True},
        "enablePasswordDB": bool(auth.users),
    }
    if auth.users:
        passwords = []
        for index, user in enumerate(auth.users):
            entry: dict[str, Any] = {"email": user.email, "username": user.username, "userID": _user_id(user.email)}
            if user.password_hash:
                entry["hash"] = user.password_hash
            else:
                entry["hashFromEnv"] = hash_env(index)
            passwords.append(entry)
        config["staticPasswords"] = passwords
    config["staticClients"] = [{
        "idEnv": "OIDC_CLIENT_ID",
        "secretEnv": "OIDC_CLIENT_SECRET",
        "redirectURIs": ["/oauth2/callback"],
        "name": "Kubeflow",
    }]
    config["staticClients"] += [client(ctx.profile) for component_id, client in DEX_CLIENTS
                                if ctx.profile.spec.kubeflow.on(component_id)]
    if connectors:
        config["connectors"] = connectors
    if auth.session_lifetime:
        config["expiry"] = {"idTokens": auth.session_lifetime}
    return config


@customizes("dex")
def dex(ctx: Context, folder: Folder) -> None:
    profile = ctx.profile
    connectors, connector_secrets = dex_connectors(ctx)
    folder.add_patch({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dex", "namespace": DEX_NAMESPACE},
        "data": {"config.yaml": dump(dex_config(ctx, connectors))},
    })
    # upstream's dex-passwords Secret carries the published default hash: it leaves the build
    folder.add_patch({"$patch": "delete", "apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": "dex-passwords", "namespace": DEX_NAMESPACE}})
    env: list[dict[str, Any]] = []
    sealed_hashes: dict[str, Any] = {}
    for index, user in enumerate(profile.spec.identity.users):
        ref = user.password_hash_from
        if ref is None:
            continue
        if ref.sealed is not None:
            sealed_hashes[hash_env(index)] = ref.sealed
            env.append({"name": hash_env(index),
                        "valueFrom": {"secretKeyRef": {"name": "dex-static-passwords-sealed", "key": hash_env(index)}}})
        else:
            key = ref.key or hash_env(index)
            env.append({"name": hash_env(index),
                        "valueFrom": {"secretKeyRef": {"name": ref.existing_secret, "key": key}}})
            ctx.expected_secrets.append(ExpectedSecret(
                namespace=DEX_NAMESPACE, name=ref.existing_secret or "", keys=(key,),
                purpose=f"the bcrypt hash of {user.email}'s password (argoflow-gen hash-password)",
                hashes=((key, user.email),),
            ))
    volumes: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for secret in connector_secrets:
        ref = secret.ref
        if ref.sealed is not None:
            sealed_hashes[secret.env] = ref.sealed
            secret_name, key = "dex-static-passwords-sealed", secret.env
        else:
            secret_name, key = ref.existing_secret or "", ref.key or secret.default_key
            ctx.expected_secrets.append(ExpectedSecret(namespace=DEX_NAMESPACE, name=secret_name, keys=(key,),
                                                       purpose=secret.purpose))
        if secret.file is None:
            env.append({"name": secret.env, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}})
            continue
        volume = f"connector-{secret.connector_id}"
        volumes.append(({"name": volume, "secret": {"secretName": secret_name,
                                                    "items": [{"key": key, "path": secret.file}]}},
                        {"name": volume, "mountPath": secret.folder, "readOnly": True}))
    # the Deployment loads dex-passwords with envFrom; it no longer exists, so drop that reference
    folder.add_patch([{"op": "test", "path": "/spec/template/spec/containers/0/envFrom/1/secretRef/name",
                       "value": "dex-passwords"},
                      {"op": "remove", "path": "/spec/template/spec/containers/0/envFrom/1"}],
                     {"group": "apps", "version": "v1", "kind": "Deployment", "name": "dex"})
    if env or volumes:
        folder.add_patch([{"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": item}
                          for item in env]
                         + [{"op": "add", "path": "/spec/template/spec/volumes/-", "value": volume}
                            for volume, _mount in volumes]
                         + [{"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-", "value": mount}
                            for _volume, mount in volumes],
                         {"group": "apps", "version": "v1", "kind": "Deployment", "name": "dex"})
    if sealed_hashes:
        from .sealed import seal_values

        seal_values(ctx, folder, DEX_NAMESPACE, "dex-static-passwords-sealed", sealed_hashes)
    provide(ctx, folder, "dex-secrets", DEX_NAMESPACE, [DEX_CLIENT], own_namespace=DEX_NAMESPACE)


@customizes("oauth2-proxy")
def oauth2_proxy(ctx: Context, folder: Folder) -> None:
    component = ctx.profile.spec.kubeflow.components["oauth2-proxy"]
    literals = [f"FORCE_HTTPS={'true' if ctx.tls else 'false'}"]
    folder.generators.append({"name": "oauth2-proxy-parameters", "namespace": "oauth2-proxy",
                              "behavior": "merge", "literals": literals})
    if component.eks_issuer:
        folder.add_patch([{"op": "replace", "path": "/spec/jwtRules/0/issuer", "value": component.eks_issuer}],
                         {"group": "security.istio.io", "version": "v1beta1", "kind": "RequestAuthentication",
                          "name": "m2m-token-issuer", "namespace": "istio-system"})
    lifetime = ctx.profile.spec.identity.session_lifetime
    if lifetime:  # the cookie lasts as long as Dex's ID token in it: Istio refuses the token once it expires
        folder.add_patch([{"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "oauth2-proxy"},
                          {"op": "add", "path": "/spec/template/spec/containers/0/args/-",
                           "value": f"--cookie-expire={lifetime}"}],
                         {"group": "apps", "version": "v1", "kind": "Deployment", "name": "oauth2-proxy"})
    provide(ctx, folder, "oauth2-proxy-secrets", "oauth2-proxy", [PROXY_SECRET], own_namespace="oauth2-proxy")
