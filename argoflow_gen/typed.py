"""Validated, defaulted profile data -> the typed, frozen ``Profile``: the one place that reads the raw dict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import catalog
from .layers import Resolution
from .profile import (
    ACME_SERVERS,
    OIDC,
    TLS,
    Archive,
    ArchiveDatabase,
    ArgoCD,
    ArgoRBAC,
    ArgoSubjects,
    ArgoWorkflows,
    Auth,
    AzureDNS,
    AzureServicePrincipal,
    CloudDNS,
    Component,
    ExtraApplication,
    GpuVendor,
    Ingress,
    KeyPair,
    Kubeflow,
    LetsEncrypt,
    Monitoring,
    Notebooks,
    Patch,
    Pipelines,
    Profile,
    Repo,
    RepoCredentials,
    Resource,
    Route53,
    S3Store,
    Scheduling,
    SealedCredentials,
    SecretRef,
    Secrets,
    SecretValue,
    SyncPolicy,
    User,
    UserProfile,
    _frozen,
)
from .yamlio import JsonPath


def _base_dir(resolution: Resolution, path: JsonPath) -> Path:
    origin = resolution.origin(path)
    return origin.base if origin.base is not None else Path.cwd()


def _local(resolution: Resolution, path: JsonPath, written: str) -> Path:
    candidate = Path(written)
    return candidate if candidate.is_absolute() else (_base_dir(resolution, path) / candidate)


def _secret_value(resolution: Resolution, raw: Mapping[str, Any] | None, path: JsonPath) -> SecretValue | None:
    if not raw:
        return None
    if "env" in raw:
        return SecretValue(env=raw["env"])
    return SecretValue(file=_local(resolution, (*path, "file"), raw["file"]), written=raw["file"])


def _secret_ref(resolution: Resolution, raw: Mapping[str, Any] | None, path: JsonPath) -> SecretRef | None:
    if not raw:
        return None
    return SecretRef(
        existing_secret=raw.get("existingSecret"),
        key=raw.get("key"),
        sealed=_secret_value(resolution, raw.get("sealed"), (*path, "sealed")),
    )


def _scheduling(raw: Mapping[str, Any] | None, fallback: Scheduling | None = None) -> Scheduling:
    raw = raw or {}
    fallback = fallback or Scheduling()
    return Scheduling(
        node_selector=_frozen(raw.get("nodeSelector", fallback.node_selector)),
        tolerations=_frozen(raw.get("tolerations", fallback.tolerations)),
        affinity=_frozen(raw["affinity"]) if "affinity" in raw else fallback.affinity,
        priority_class_name=raw.get("priorityClassName", fallback.priority_class_name),
    )


def _quantity(value: Any) -> str:
    return str(value)


def build(resolution: Resolution) -> Profile:
    """The typed Profile of a resolution."""
    data = resolution.data
    spec = data["spec"]
    repo = spec["repo"]
    credentials = repo.get("credentials")
    sealed = (credentials or {}).get("sealed")
    secrets_raw = spec["secrets"]
    certificate = (
        _local(resolution, ("spec", "secrets", "certificate"), secrets_raw["certificate"])
        if secrets_raw.get("certificate")
        else None
    )
    cred_path: JsonPath = ("spec", "repo", "credentials", "sealed")
    repo_credentials = None
    if credentials:
        repo_credentials = RepoCredentials(
            existing_secret=credentials.get("existingSecret"),
            sealed=SealedCredentials(
                certificate=_local(resolution, (*cred_path, "certificate"), sealed["certificate"])
                if "certificate" in sealed
                else certificate or Path(),
                type=sealed["type"],
                username=_secret_value(resolution, sealed.get("username"), (*cred_path, "username")),
                password=_secret_value(resolution, sealed.get("password"), (*cred_path, "password")),
                ssh_private_key=_secret_value(resolution, sealed.get("sshPrivateKey"), (*cred_path, "sshPrivateKey")),
            )
            if sealed
            else None,
        )
    argocd = spec["argocd"]
    global_scheduling = _scheduling(spec.get("scheduling"))
    release = catalog.release(spec["kubeflow"]["version"])
    components = {}
    for cid, raw in spec["kubeflow"]["components"].items():
        if cid not in release.components:
            continue
        known = release.components[cid]
        components[cid] = Component(
            id=cid,
            enabled=bool(raw["enabled"]),
            wave=int(raw["syncWave"]),
            options=MappingProxyType({name: raw[name] for name in known.options}),
            patches=tuple(Patch(_frozen(p["patch"]), _frozen(p.get("target"))) for p in raw.get("patches", [])),
            resources=tuple(_frozen(r) for r in raw.get("resources", [])),
            scheduling=_scheduling(raw.get("scheduling"), global_scheduling),
            eks_issuer=raw.get("eksIssuer"),
            registration_flow=raw.get("registrationFlow"),
            chart_version=raw.get("chartVersion"),
        )
    ingress = spec["ingress"]
    tls = ingress["tls"]
    le = tls.get("letsencrypt")
    auth = spec["auth"]
    oidc = auth.get("oidc")
    notebooks = spec["notebooks"]
    store = spec["pipelines"]["artifactStore"]
    s3 = store.get("s3") if isinstance(store, Mapping) else None
    s3_path: JsonPath = ("spec", "pipelines", "artifactStore", "s3")
    argo = spec.get("argoWorkflows", {})
    return Profile(
        name=data["metadata"]["name"],
        description=data["metadata"].get("description", ""),
        repo=Repo(url=repo["url"], revision=repo["revision"], path=repo["path"], private=repo["private"],
                  credentials=repo_credentials),
        argocd=ArgoCD(
            namespace=argocd["namespace"], project=argocd["project"], manage=argocd["manage"],
            version=argocd["version"], ha=argocd["ha"],
            sync_policy=SyncPolicy(argocd["syncPolicy"]["automated"], argocd["syncPolicy"]["prune"],
                                   argocd["syncPolicy"]["selfHeal"]),
        ),
        kubeflow=Kubeflow(version=spec["kubeflow"]["version"], components=MappingProxyType(components)),
        ingress=Ingress(
            domain=ingress.get("domain"),
            extra_hosts=tuple(ingress.get("extraHosts", ())),
            service_type=ingress["serviceType"],
            tls=TLS(
                mode=tls["mode"],
                letsencrypt=_letsencrypt(resolution, le) if le else None,
                secret_name=tls.get("secretName"),
            ),
        ),
        auth=Auth(
            users=tuple(
                User(email=u["email"], username=u["username"], password_hash=u.get("passwordHash"),
                     password_hash_from=_secret_ref(resolution, u.get("passwordHashFrom"),
                                                    ("spec", "auth", "users", i, "passwordHashFrom")))
                for i, u in enumerate(auth.get("users", []))
            ),
            oidc=OIDC(issuer=oidc["issuer"], client_id=oidc["clientId"],
                      client_secret=_secret_ref(resolution, oidc["clientSecret"],
                                                ("spec", "auth", "oidc", "clientSecret")) or SecretRef(),
                      name=oidc["name"], scopes=tuple(oidc.get("scopes", ())))
            if oidc
            else None,
            admin=auth.get("admin"),
        ),
        notebooks=Notebooks(
            images=tuple(notebooks["images"]),
            vscode_images=tuple(notebooks["vscodeImages"]),
            rstudio_images=tuple(notebooks["rstudioImages"]),
            default_image=notebooks["defaultImage"],
            allow_custom_image=notebooks["allowCustomImage"],
            hide_registry=notebooks["hideRegistry"],
            hide_tag=notebooks["hideTag"],
            image_pull_policy=notebooks["imagePullPolicy"],
            cpu=Resource(_quantity(notebooks["cpu"]["default"]), str(notebooks["cpu"]["limitFactor"])),
            memory=Resource(_quantity(notebooks["memory"]["default"]), str(notebooks["memory"]["limitFactor"])),
            gpu_vendors=tuple(GpuVendor(v["limitsKey"], v["uiName"]) for v in notebooks["gpus"]["vendors"]),
            gpu_default=notebooks["gpus"]["default"],
            workspace_size=_quantity(notebooks["workspaceVolume"]["size"]),
            workspace_storage_class=notebooks["workspaceVolume"].get("storageClass"),
            culling_enabled=notebooks["culling"]["enabled"],
            culling_idle_minutes=int(notebooks["culling"]["idleMinutes"]),
        ),
        pipelines=Pipelines(
            mode=spec["pipelines"].get("mode", "multi-user"),
            s3=S3Store(endpoint=s3["endpoint"], bucket=s3["bucket"], region=s3["region"],
                       insecure=s3["insecure"],
                       credentials=_key_pair(resolution, s3["credentials"], (*s3_path, "credentials"),
                                             ("accessKeyKey", "accesskey"), ("secretKeyKey", "secretkey"),
                                             ("accessKey", "secretKey")))
            if s3
            else None,
        ),
        profiles=tuple(
            UserProfile(name=p["name"], owner=p["owner"],
                        resource_quota=MappingProxyType(
                            {k: _quantity(v) for k, v in p.get("resourceQuota", {}).items()}))
            for p in spec.get("profiles", [])
        ),
        secrets=Secrets(certificate=certificate, random_secrets=secrets_raw["randomSecrets"]),
        extra_applications=tuple(
            ExtraApplication(name=a["name"], namespace=a["namespace"], sync_wave=a["syncWave"],
                             server_side_apply=a["serverSideApply"], path=a.get("path"),
                             source=_frozen(a["source"]) if "source" in a else None)
            for a in spec.get("extraApplications", [])
        ),
        digest=digest(data),
        resolved=_frozen(data),
        argo_workflows=_argo_workflows(resolution, argo),
        monitoring=Monitoring(prometheus=spec.get("monitoring", {}).get("prometheus", "none"),
                              service_monitor_labels=_frozen(spec.get("monitoring", {}).get("serviceMonitorLabels",
                                                                                           {}))),
    )


LETSENCRYPT: JsonPath = ("spec", "ingress", "tls", "letsencrypt")


def _letsencrypt(resolution: Resolution, le: Mapping[str, Any]) -> LetsEncrypt:
    route53, cloud_dns, azure = le.get("route53"), le.get("cloudDNS"), le.get("azureDNS")
    principal = (azure or {}).get("servicePrincipal")
    return LetsEncrypt(
        email=le["email"],
        server=ACME_SERVERS.get(le["server"], le["server"]),
        solver=le["solver"],
        cloudflare_api_token=_secret_ref(resolution, le.get("cloudflareApiToken"),
                                         (*LETSENCRYPT, "cloudflareApiToken")),
        route53=Route53(
            region=route53["region"], hosted_zone_id=route53.get("hostedZoneID"), role=route53.get("role"),
            credentials=_key_pair(resolution, route53["credentials"], (*LETSENCRYPT, "route53", "credentials"),
                                  ("accessKeyKey", "access-key-id"), ("secretKeyKey", "secret-access-key"),
                                  ("accessKey", "secretKey"))
            if "credentials" in route53
            else None,
        )
        if route53
        else None,
        cloud_dns=CloudDNS(
            project=cloud_dns["project"], hosted_zone_name=cloud_dns.get("hostedZoneName"),
            service_account_key=_secret_ref(resolution, cloud_dns.get("serviceAccountKey"),
                                            (*LETSENCRYPT, "cloudDNS", "serviceAccountKey")),
        )
        if cloud_dns
        else None,
        azure_dns=AzureDNS(
            subscription_id=azure["subscriptionID"], resource_group=azure["resourceGroupName"],
            hosted_zone_name=azure.get("hostedZoneName"), environment=azure.get("environment"),
            service_principal=AzureServicePrincipal(
                client_id=principal["clientID"], tenant_id=principal["tenantID"],
                client_secret=_secret_ref(resolution, principal["clientSecret"],
                                          (*LETSENCRYPT, "azureDNS", "servicePrincipal", "clientSecret"))
                or SecretRef(),
            )
            if principal
            else None,
            managed_identity=_frozen(azure["managedIdentity"]) if "managedIdentity" in azure else None,
        )
        if azure
        else None,
    )


def _key_pair(resolution: Resolution, raw: Mapping[str, Any], path: JsonPath, first: tuple[str, str],
              second: tuple[str, str], sealed_names: tuple[str, str]) -> KeyPair:
    """Two secret values from ``{existingSecret, <first key>, <second key>}`` or ``{sealed: {a, b}}``."""
    sealed = raw.get("sealed")
    if sealed:
        values = tuple(_secret_value(resolution, sealed[name], (*path, "sealed", name)) for name in sealed_names)
        assert values[0] is not None and values[1] is not None
        return KeyPair(existing_secret=None, keys=(first[1], second[1]), sealed=(values[0], values[1]))
    return KeyPair(existing_secret=raw.get("existingSecret"),
                   keys=(raw.get(first[0], first[1]), raw.get(second[0], second[1])))


def _argo_workflows(resolution: Resolution, argo: Mapping[str, Any]) -> ArgoWorkflows:
    sso = argo.get("sso", {})
    rbac = sso.get("rbac", {})
    archive = argo.get("archive", {})
    database = archive.get("database")
    path: JsonPath = ("spec", "argoWorkflows", "archive", "database")

    def subjects(raw: Mapping[str, Any] | None) -> ArgoSubjects:
        raw = raw or {}
        return ArgoSubjects(users=tuple(raw.get("users", ())), groups=tuple(raw.get("groups", ())))

    return ArgoWorkflows(
        host=argo.get("host"),
        path=argo.get("path", "/argo/"),
        client_tokens=argo.get("clientTokens", False),
        session_expiry=sso.get("sessionExpiry", "10h"),
        rbac=ArgoRBAC(admin=subjects(rbac.get("admin")), read_only=subjects(rbac.get("readOnly")),
                      others=rbac.get("others", "none")),
        archive=Archive(
            enabled=archive.get("enabled", False),
            ttl=archive.get("ttl", "30d"),
            database=ArchiveDatabase(
                type=database["type"], host=database["host"],
                port=int(database.get("port", 5432 if database["type"] == "postgresql" else 3306)),
                database=database["database"], table_name=database.get("tableName", "argo_workflows"),
                ssl=database.get("ssl", False),
                credentials=_key_pair(resolution, database["credentials"], (*path, "credentials"),
                                      ("usernameKey", "username"), ("passwordKey", "password"),
                                      ("username", "password")),
            )
            if database
            else None,
        ),
        metrics=argo.get("metrics", True),
        gitops=argo.get("gitops", {}).get("enabled", True),
        gitops_namespace=argo.get("gitops", {}).get("namespace"),
    )


def digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
