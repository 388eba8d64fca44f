"""The profile model, declared once.

Each field of a profile is declared once, as a field of a frozen record (``declare``), with its type, default,
description and constraints. Everything else is derived from the declarations: the JSON Schema that validates
a profile (``to_schema``, committed as ``data/profile.schema.json``), the typed ``Profile`` every renderer
reads (``convert``), the README's reference (``reference``) and the starter profile's commented keys (``examples``).
"""

from __future__ import annotations

from .access import (
    OIDC,
    TLS,
    AzureDNS,
    AzureServicePrincipal,
    CloudDNS,
    Identity,
    Ingress,
    LetsEncrypt,
    Route53,
    User,
)
from .common import (
    AccessKeys,
    ArgoSubjects,
    DatabaseLogin,
    KeyPair,
    LocalFile,
    Patch,
    Scheduling,
    SecretRef,
    SecretValue,
)
from .convert import frozen, thaw
from .platform import ArgoCD, Component, ExtraApplication, Kubeflow, Repo, RepoCredentials, SealedCredentials, Secrets
from .spec import Metadata, Profile, Spec
from .workloads import (
    Archive,
    ArchiveDatabase,
    ArgoRBAC,
    ArgoWorkflows,
    Contributor,
    Katib,
    KatibDatabase,
    Monitoring,
    MysqlServer,
    Notebooks,
    Pipelines,
    S3Store,
    Tenancy,
    UserProfile,
)

__all__ = [
    "OIDC",
    "TLS",
    "AccessKeys",
    "Archive",
    "ArchiveDatabase",
    "ArgoCD",
    "ArgoRBAC",
    "ArgoSubjects",
    "ArgoWorkflows",
    "AzureDNS",
    "AzureServicePrincipal",
    "CloudDNS",
    "Component",
    "Contributor",
    "DatabaseLogin",
    "ExtraApplication",
    "Identity",
    "Ingress",
    "Katib",
    "KatibDatabase",
    "KeyPair",
    "Kubeflow",
    "LetsEncrypt",
    "LocalFile",
    "Metadata",
    "Monitoring",
    "MysqlServer",
    "Notebooks",
    "Patch",
    "Pipelines",
    "Profile",
    "Repo",
    "RepoCredentials",
    "Route53",
    "S3Store",
    "Scheduling",
    "SealedCredentials",
    "SecretRef",
    "SecretValue",
    "Secrets",
    "Spec",
    "Tenancy",
    "User",
    "UserProfile",
    "frozen",
    "thaw",
]
