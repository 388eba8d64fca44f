"""Dex's connectors, from ``spec.identity.oidc`` and ``spec.identity.connectors``: each one's config as Dex reads
it, and the secrets it reads from environment variables (Dex expands ``$VAR`` in a connector's config), which the
``dex`` customizer fills from Secrets.

Every connector asks its provider for the user's groups, so Dex's ID token carries them in its ``groups`` claim,
which Kubeflow's ``dex-jwt`` RequestAuthentication turns into the ``kubeflow-groups`` header.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SecretError
from ..profile import LocalFile, SecretRef
from ..profile.connectors import (
    Connector,
    GitHubConnector,
    GitLabConnector,
    GoogleConnector,
    LDAPConnector,
    MicrosoftConnector,
    OIDCConnector,
    SAMLConnector,
)
from .context import Context

#: The environment variable of the one ``spec.identity.oidc`` provider's client secret.
CONNECTOR_SECRET_ENV = "OIDC_CONNECTOR_CLIENT_SECRET"
#: The scopes Dex asks an OIDC provider for, before the profile's own.
OIDC_SCOPES = ("openid", "profile", "email")
_MAX_CERTIFICATE_BYTES = 64 * 1024


#: Where a connector's secret files are mounted in Dex's pod: one folder per connector.
FILES = "/etc/dex/connectors"


@dataclass(frozen=True)
class ConnectorSecret:
    """A secret a connector reads: from an environment variable of Dex's pod named ``env`` or, with ``file``,
    from a file of that name mounted under ``FILES/<connector id>/`` (``env`` then names its sealed key)."""

    env: str
    ref: SecretRef
    default_key: str  # its key in a Secret the user creates, when the profile names none
    purpose: str  # what it is, for the fork's README
    file: str | None = None
    connector_id: str = ""

    @property
    def folder(self) -> str:
        return f"{FILES}/{self.connector_id}"


def _env(connector_id: str, what: str) -> str:
    return f"DEX_CONNECTOR_{connector_id.upper().replace('-', '_')}_{what}"


def redirect_uri(ctx: Context) -> str:
    scheme = "https" if ctx.tls else "http"
    return f"{scheme}://{ctx.profile.spec.ingress.domain or 'localhost'}/dex/callback"


def dex_connectors(ctx: Context) -> tuple[list[dict[str, Any]], list[ConnectorSecret]]:
    """Dex's ``connectors`` list, and the secrets they read."""
    identity = ctx.profile.spec.identity
    entries: list[dict[str, Any]] = []
    secrets: list[ConnectorSecret] = []
    if identity.oidc:
        oidc = identity.oidc
        entries.append({"type": "oidc", "id": "oidc", "name": oidc.name, "config": {
            "issuer": oidc.issuer,
            "clientID": oidc.client_id,
            "clientSecret": f"${CONNECTOR_SECRET_ENV}",
            "redirectURI": redirect_uri(ctx),
            "scopes": [*OIDC_SCOPES, *[s for s in oidc.scopes if s not in OIDC_SCOPES]],
            "getUserInfo": True,
            "insecureEnableGroups": True,
        }})
        secrets.append(ConnectorSecret(CONNECTOR_SECRET_ENV, oidc.client_secret, "client-secret",
                                 f"the client secret of the OIDC client {oidc.client_id} at {oidc.issuer}"))
    for connector in identity.connectors:
        config, found = _config(ctx, connector)
        entries.append({"type": connector.type, "id": connector.connector_id, "name": connector.name,
                        "config": config})
        secrets.extend(found)
    return entries, secrets


def _config(ctx: Context, connector: Connector) -> tuple[dict[str, Any], list[ConnectorSecret]]:
    settings = connector.settings
    cid = connector.connector_id
    if isinstance(settings, LDAPConnector):
        return _ldap(ctx, cid, settings)
    if isinstance(settings, SAMLConnector):
        return _saml(ctx, cid, settings), []
    env = _env(cid, "CLIENT_SECRET")
    secret = ConnectorSecret(env, settings.client_secret, "client-secret",
                       f"the client secret of Dex's {connector.type} connector {cid} ({settings.client_id})")
    config: dict[str, Any] = {"clientID": settings.client_id, "clientSecret": f"${env}",
                              "redirectURI": redirect_uri(ctx)}
    if isinstance(settings, OIDCConnector):
        config.update(_oidc(settings))
    elif isinstance(settings, GitHubConnector):
        config.update(_github(settings))
    elif isinstance(settings, GitLabConnector):
        config.update(_some({"baseURL": settings.base_url, "groups": list(settings.groups)}))
        config["useLoginAsID"] = settings.use_login_as_id
    elif isinstance(settings, GoogleConnector):
        config.update(_some({"hostedDomains": list(settings.hosted_domains), "groups": list(settings.groups)}))
        if settings.admin_email:
            config["domainToAdminEmail"] = {"*": settings.admin_email}
        if settings.service_account_key:
            key = ConnectorSecret(_env(cid, "SERVICE_ACCOUNT_KEY"), settings.service_account_key, "key.json",
                                  f"the service account key Dex's google connector {cid} reads groups with",
                                  file="key.json", connector_id=cid)
            config["serviceAccountFilePath"] = f"{key.folder}/{key.file}"
            return config, [secret, key]
    elif isinstance(settings, MicrosoftConnector):
        config.update({"tenant": settings.tenant, "onlySecurityGroups": settings.only_security_groups,
                       "groupNameFormat": settings.group_name_format})
        config.update(_some({"groups": list(settings.groups)}))
    return config, [secret]


def _some(values: dict[str, Any]) -> dict[str, Any]:
    """The values that are set: Dex's defaults stand for the rest."""
    return {key: value for key, value in values.items() if value not in (None, [], "")}


def _oidc(settings: OIDCConnector) -> dict[str, Any]:
    config: dict[str, Any] = {
        "issuer": settings.issuer,
        "scopes": [*OIDC_SCOPES, *[s for s in settings.scopes if s not in OIDC_SCOPES]],
        "getUserInfo": settings.get_user_info,
        "insecureEnableGroups": True,  # pass the provider's groups on (Dex drops them otherwise)
        "insecureSkipEmailVerified": settings.insecure_skip_email_verified,
    }
    config.update(_some({"userIDKey": settings.user_id_claim, "userNameKey": settings.username_claim,
                         "allowedGroups": list(settings.allowed_groups)}))
    mapping = _some({"email": settings.email_claim,
                     "groups": settings.groups_claim if settings.groups_claim != "groups" else None})
    if mapping:  # Dex prefers the standard claim when both are there, unless told to override
        config.update({"overrideClaimMapping": True, "claimMapping": mapping})
    return config


def _github(settings: GitHubConnector) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if settings.orgs:
        config["orgs"] = [{"name": org.name, **({"teams": list(org.teams)} if org.teams else {})}
                          for org in settings.orgs]
    config.update({"loadAllGroups": settings.load_all_groups, "teamNameField": settings.team_name_field,
                   "useLoginAsID": settings.use_login_as_id})
    config.update(_some({"hostName": settings.host_name, "preferredEmailDomain": settings.preferred_email_domain}))
    return config


def _ldap(ctx: Context, cid: str, settings: LDAPConnector) -> tuple[dict[str, Any], list[ConnectorSecret]]:
    search = settings.user_search
    config: dict[str, Any] = {"host": settings.host, "insecureNoSSL": settings.insecure_no_ssl,
                              "insecureSkipVerify": settings.insecure_skip_verify, "startTLS": settings.start_tls}
    ca = _certificate(ctx, (cid, "rootCAData"), settings.root_ca, settings.root_ca_data,
                      f"the CA of LDAP connector {cid}")
    if ca:
        config["rootCAData"] = ca
    secrets = []
    if settings.bind_dn and settings.bind_pw:
        env = _env(cid, "BIND_PW")
        config.update({"bindDN": settings.bind_dn, "bindPW": f"${env}"})
        secrets.append(ConnectorSecret(env, settings.bind_pw, "bind-password",
                                 f"the password of {settings.bind_dn}, which Dex's LDAP connector {cid} binds as"))
    config.update(_some({"usernamePrompt": settings.username_prompt}))
    config["userSearch"] = {"baseDN": search.base_dn, "username": search.username, "scope": search.scope,
                            "idAttr": search.id_attr, "emailAttr": search.email_attr,
                            **_some({"filter": search.filter, "nameAttr": search.name_attr,
                                     "preferredUsernameAttr": search.preferred_username_attr})}
    groups = settings.group_search
    if groups:
        config["groupSearch"] = {
            "baseDN": groups.base_dn, "scope": groups.scope, "nameAttr": groups.name_attr,
            "userMatchers": [{"userAttr": m.user_attr, "groupAttr": m.group_attr} for m in groups.user_matchers],
            **_some({"filter": groups.filter}),
        }
    return config, secrets


def _saml(ctx: Context, cid: str, settings: SAMLConnector) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ssoURL": settings.sso_url,
        "caData": _certificate(ctx, (cid, "caData"), settings.ca, settings.ca_data,
                               f"the signing certificate of SAML connector {cid}"),
        "redirectURI": redirect_uri(ctx),
        "usernameAttr": settings.username_attr,
        "emailAttr": settings.email_attr,
    }
    config.update(_some({
        "entityIssuer": settings.entity_issuer, "ssoIssuer": settings.sso_issuer, "groupsAttr": settings.groups_attr,
        "groupsDelim": settings.groups_delim, "allowedGroups": list(settings.allowed_groups),
        "nameIDPolicyFormat": settings.name_id_policy_format,
    }))
    return config


def _certificate(ctx: Context, place: tuple[str, str], file: LocalFile | None, text: str | None,
                 what: str) -> str | None:
    """PEM certificates, from a local file or the profile, base64-encoded as Dex's ``*Data`` fields take them;
    ``place`` is the connector id and the field. A render that reads no inputs (``status``) carries on the
    previous render's value instead of reading the file.

    Only the certificates go into the tree, each written anew from its parsed form: nothing else a file holds
    (a private key beside them, comments) can reach the fork, and a file holding a private key is refused."""
    if file is not None:
        where = f"{what} ({file.written})"
        if not ctx.read_secrets:
            previous = _previous_certificate(ctx, *place)
            if previous is None:
                raise SecretError(f"{where} is not read here, and the previous render holds no value for it")
            data = previous
        else:
            from .sealed import read_local

            data = read_local(Path(file), _MAX_CERTIFICATE_BYTES, where)
    elif text is not None:
        where, data = what, text.encode("utf-8")
    else:
        return None
    if b"PRIVATE KEY" in data:
        raise SecretError(f"{where} holds a private key", hint="give the CA's certificates only")
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise SecretError(f"{where} holds no PEM certificate", hint="give the CA's certificates, PEM-encoded") from None
    pem = b"".join(certificate.public_bytes(Encoding.PEM) for certificate in certificates)
    return base64.b64encode(pem).decode("ascii")


def _previous_certificate(ctx: Context, connector_id: str, field: str) -> bytes | None:
    """The PEM a connector's field held in the previous render's Dex config (a fork's file: any shape)."""
    from ..yamlio import load

    file = "dex/kustomization.yaml"
    try:
        for patch in load(ctx.previous.get(file, ""), file).data.get("patches", []):
            body = load(patch.get("patch", ""), file).data
            if not (isinstance(body, dict) and body.get("kind") == "ConfigMap"):
                continue
            config = load(body["data"]["config.yaml"], file).data
            for connector in config.get("connectors", []):
                if connector.get("id") == connector_id:
                    return base64.b64decode(connector["config"][field], validate=True)
    except Exception:
        return None
    return None
