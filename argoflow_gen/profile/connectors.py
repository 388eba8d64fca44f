"""Dex's connectors: the identity providers a login goes through (OIDC, GitHub, GitLab, Google, Microsoft, LDAP,
SAML), each with the fields Dex's own connector takes, named as Dex names them. Secrets (client secrets, the LDAP
bind password) are Secret references, never values; certificates are local files read at render time or inline
PEM text."""

from __future__ import annotations

from typing import Annotated

from .common import Email, Hostname, HttpsUrl, LocalPath, NonEmpty, SecretRef
from .declare import prop, record, scalar

#: A connector's Dex id: lower-case, as it appears in callback state and in Dex's storage.
ConnectorId = Annotated[str, scalar(
    "connectorId", type="string", pattern="^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    description="a connector id: lower-case letters, digits and '-', at most 63 characters")]
Pem = Annotated[str, scalar(type="string", format="pem-certificates",
                            description="PEM text of one or more certificates")]
HostPort = Annotated[str, scalar(type="string", format="host-port")]


@record()
class OIDCConnector:
    """An OpenID Connect provider (Keycloak, Okta, Auth0, Azure AD as OIDC, ...)."""

    issuer: HttpsUrl = prop("the provider's issuer URL", required=True)
    client_id: NonEmpty = prop("the OAuth client id registered with the provider", key="clientID", required=True)
    client_secret: SecretRef = prop("the OAuth client's secret (key client-secret unless given)", required=True)
    scopes: tuple[NonEmpty, ...] = prop(
        "scopes to request besides openid, profile and email (groups, for a provider that names them so)",
        default=(), unique_items=True)
    get_user_info: bool = prop("read the user's claims from the userinfo endpoint too", default=False)
    user_id_claim: NonEmpty | None = prop("the claim that identifies a user (Dex's userIDKey; sub by default)",
                                          key="userIDClaim", default=None)
    username_claim: NonEmpty | None = prop("the claim holding the display name (Dex's userNameKey; name by default)",
                                           default=None)
    email_claim: NonEmpty | None = prop(
        "the claim holding the e-mail, which becomes the Kubeflow user id (email by default)", default=None)
    groups_claim: NonEmpty = prop(
        "the provider's claim holding the user's groups; Dex passes them on in its own groups claim",
        default="groups")
    allowed_groups: tuple[NonEmpty, ...] = prop(
        "only members of these groups may log in", default=(), unique_items=True)
    insecure_skip_email_verified: bool = prop(
        "accept logins whose email_verified claim is false or absent", default=False)


@record()
class GitHubOrg:
    name: NonEmpty = prop("the organization's name", required=True)
    teams: tuple[NonEmpty, ...] = prop(
        "only members of these teams may log in (all members of the organization when left out)", default=(),
        unique_items=True)


@record()
class GitHubConnector:
    """GitHub or GitHub Enterprise: groups are ORG:TEAM for each team of the listed organizations."""

    client_id: NonEmpty = prop("the OAuth App's client id", key="clientID", required=True)
    client_secret: SecretRef = prop("the OAuth App's client secret (key client-secret unless given)", required=True)
    orgs: tuple[GitHubOrg, ...] = prop("only members of these organizations (and teams) may log in", default=())
    load_all_groups: bool = prop(
        "with no orgs, put every organization and team of the user in the groups claim", default=False)
    team_name_field: str = prop("how a team is named in the groups claim", default="name",
                                enum=("name", "slug", "both"))
    use_login_as_id: bool = prop("identify users by their GitHub login instead of their numeric id",
                                 key="useLoginAsID", default=False)
    host_name: Hostname | None = prop("a GitHub Enterprise host (github.com when left out)", default=None)
    preferred_email_domain: Hostname | None = prop(
        "use the user's e-mail address in this domain, when they have several", default=None)


@record()
class GitLabConnector:
    """GitLab.com or a self-hosted GitLab: groups are the user's GitLab groups."""

    client_id: NonEmpty = prop("the application's id", key="clientID", required=True)
    client_secret: SecretRef = prop("the application's secret (key client-secret unless given)", required=True)
    base_url: HttpsUrl | None = prop("a self-hosted GitLab (https://gitlab.com when left out)", key="baseURL",
                                     default=None)
    groups: tuple[NonEmpty, ...] = prop("only members of these groups may log in", default=(),
                                        unique_items=True)
    use_login_as_id: bool = prop("identify users by their GitLab username instead of their numeric id",
                                 key="useLoginAsID", default=False)


@record(requires={"groups": "adminEmail", "serviceAccountKey": "adminEmail"})
class GoogleConnector:
    """Google accounts; groups come from Google Workspace through its Admin SDK (adminEmail)."""

    client_id: NonEmpty = prop("the OAuth client id", key="clientID", required=True)
    client_secret: SecretRef = prop("the OAuth client's secret (key client-secret unless given)", required=True)
    hosted_domains: tuple[Hostname, ...] = prop("only accounts of these Workspace domains may log in", default=(),
                                                unique_items=True)
    groups: tuple[Email, ...] = prop("only members of these groups may log in", default=(),
                                     unique_items=True)
    admin_email: Email | None = prop(
        "a Workspace administrator Dex impersonates to read group memberships", default=None)
    service_account_key: SecretRef | None = prop(
        "the JSON key of a service account with domain-wide delegation that reads group memberships, mounted "
        "into Dex's pod (key key.json unless given); leave it out for Dex's ambient Google credentials "
        "(GKE Workload Identity)", default=None)


@record()
class MicrosoftConnector:
    """Microsoft Entra ID (Azure AD) through Microsoft Graph: groups are the user's group names (or ids)."""

    client_id: NonEmpty = prop("the application (client) id", key="clientID", required=True)
    client_secret: SecretRef = prop("the application's client secret (key client-secret unless given)",
                                    required=True)
    tenant: NonEmpty = prop("the tenant: its id, its domain, or common, organizations or consumers", required=True)
    groups: tuple[NonEmpty, ...] = prop("only members of these groups may log in", default=(),
                                        unique_items=True)
    only_security_groups: bool = prop("put only security groups in the groups claim", default=False)
    group_name_format: str = prop("how a group is named in the groups claim", default="name", enum=("name", "id"))


@record()
class LDAPUserSearch:
    base_dn: NonEmpty = prop("where users are searched, such as ou=people,dc=acme,dc=io", key="baseDN",
                             required=True)
    username: NonEmpty = prop("the attribute a login is matched against, such as uid or mail", required=True)
    filter: NonEmpty | None = prop("an LDAP filter users must match, such as (objectClass=person)", default=None)
    scope: str = prop("search the whole subtree or one level", default="sub", enum=("sub", "one"))
    id_attr: NonEmpty = prop("the attribute that identifies a user", default="uid")
    email_attr: NonEmpty = prop("the attribute holding the e-mail (the Kubeflow user id)", default="mail")
    name_attr: NonEmpty | None = prop("the attribute holding the display name", default=None)
    preferred_username_attr: NonEmpty | None = prop("the attribute holding the preferred username", default=None)


@record()
class LDAPUserMatcher:
    user_attr: NonEmpty = prop("the user's attribute, such as uid or DN", required=True)
    group_attr: NonEmpty = prop("the group's attribute that holds it, such as memberUid or member", required=True)


@record()
class LDAPGroupSearch:
    base_dn: NonEmpty = prop("where groups are searched, such as ou=groups,dc=acme,dc=io", key="baseDN",
                             required=True)
    user_matchers: tuple[LDAPUserMatcher, ...] = prop(
        "how a user is found in a group: any one pair matching makes the user a member", required=True, min_items=1)
    filter: NonEmpty | None = prop("an LDAP filter groups must match, such as (objectClass=groupOfNames)",
                                   default=None)
    scope: str = prop("search the whole subtree or one level", default="sub", enum=("sub", "one"))
    name_attr: NonEmpty = prop("the attribute holding the group's name in the groups claim", default="cn")


@record(requires={"bindPW": "bindDN", "bindDN": "bindPW"})
class LDAPConnector:
    """An LDAP directory (OpenLDAP, Active Directory): users log in with their directory password."""

    host: HostPort = prop("the server, with a port (636 for LDAPS, 389 with startTLS or insecureNoSSL)",
                          required=True)
    user_search: LDAPUserSearch = prop("how a login finds its user entry", required=True)
    group_search: LDAPGroupSearch | None = prop("how a user's groups are found (no groups when left out)",
                                                default=None)
    bind_dn: NonEmpty | None = prop("the service account that searches the directory (anonymous when left out)",
                                    key="bindDN", default=None)
    bind_pw: SecretRef | None = prop("the service account's password (key bind-password unless given)",
                                     key="bindPW", default=None)
    start_tls: bool = prop("connect in plain text, then upgrade with StartTLS", key="startTLS", default=False)
    root_ca: LocalPath | None = prop("a PEM file of the CA that signed the server's certificate, read at render time",
                                     key="rootCA", default=None)
    root_ca_data: Pem | None = prop("the CA that signed the server's certificate, as PEM text", key="rootCAData",
                                    default=None)
    insecure_no_ssl: bool = prop("no TLS at all: passwords cross the network in plain text", key="insecureNoSSL",
                                 default=False)
    insecure_skip_verify: bool = prop("do not verify the server's certificate", default=False)
    username_prompt: NonEmpty | None = prop("the label of the username field on the login page", default=None)


@record(exactly_one=("ca", "caData"))
class SAMLConnector:
    """A SAML 2.0 identity provider; Dex cannot refresh SAML logins, so a session lasts one token lifetime."""

    sso_url: HttpsUrl = prop("the provider's single sign-on URL", key="ssoURL", required=True)
    ca: LocalPath | None = prop("a PEM file of the certificate that signs the provider's responses, read at render "
                                "time", default=None)
    ca_data: Pem | None = prop("the certificate that signs the provider's responses, as PEM text", default=None)
    entity_issuer: NonEmpty | None = prop("the issuer Dex names in its requests (the SP entity id)", default=None)
    sso_issuer: NonEmpty | None = prop("the issuer the provider's responses must name", default=None)
    username_attr: NonEmpty = prop("the attribute holding the display name", default="name")
    email_attr: NonEmpty = prop("the attribute holding the e-mail (the Kubeflow user id)", default="email")
    groups_attr: NonEmpty | None = prop("the attribute holding the user's groups (no groups when left out)",
                                        default=None)
    groups_delim: NonEmpty | None = prop("split a single groups value on this delimiter", default=None)
    allowed_groups: tuple[NonEmpty, ...] = prop("only members of these groups may log in",
                                                default=(), unique_items=True)
    name_id_policy_format: NonEmpty | None = prop(
        "the NameID format to ask for, such as persistent or emailAddress", key="nameIDPolicyFormat", default=None)


CONNECTOR_TYPES = ("oidc", "github", "gitlab", "google", "microsoft", "ldap", "saml")


@record(exactly_one=CONNECTOR_TYPES)
class Connector:
    """A Dex connector: an id, a login button, and the settings of exactly one type."""

    connector_id: ConnectorId = prop("the connector's id in Dex (unique; never local, the static users' id)",
                                     key="id", required=True)
    name: NonEmpty = prop("the label of its button on the login page", required=True)
    oidc: OIDCConnector | None = prop("an OpenID Connect provider", default=None)
    github: GitHubConnector | None = prop("GitHub or GitHub Enterprise", default=None)
    gitlab: GitLabConnector | None = prop("GitLab", default=None)
    google: GoogleConnector | None = prop("Google", default=None)
    microsoft: MicrosoftConnector | None = prop("Microsoft Entra ID", default=None)
    ldap: LDAPConnector | None = prop("an LDAP directory", default=None)
    saml: SAMLConnector | None = prop("a SAML 2.0 provider", default=None)

    @property
    def type(self) -> str:
        """Dex's connector type: the one block that is set."""
        return next(kind for kind in CONNECTOR_TYPES if getattr(self, kind) is not None)

    @property
    def settings(self) -> ConnectorSettings:
        found: ConnectorSettings = getattr(self, self.type)
        return found


ConnectorSettings = (OIDCConnector | GitHubConnector | GitLabConnector | GoogleConnector | MicrosoftConnector
                     | LDAPConnector | SAMLConnector)
