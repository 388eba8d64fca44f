"""Value types and records that several parts of a profile share: names, hosts, quantities, secret values and
references, credentials, scheduling, patches."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from .declare import prop, record, scalar


@dataclass(frozen=True)
class LocalFile:
    """A local file a profile names: its path resolved against the folder of the layer that wrote it, and the
    path as written there (for messages). ``str()`` and ``os.fspath()`` give the resolved path."""

    path: Path
    written: str

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


def _local_file(value: str, path: Any, origins: Any) -> LocalFile:
    candidate = Path(value)
    return LocalFile(candidate if candidate.is_absolute() else origins.base(path) / candidate, value)


DnsLabel = Annotated[str, scalar(
    "dnsLabel", type="string", format="dns1123-label",
    description="a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters")]
DnsSubdomain = Annotated[str, scalar(
    "dnsSubdomain", type="string", format="dns1123-subdomain",
    description="a DNS-1123 subdomain (a Kubernetes object name)")]
Hostname = Annotated[str, scalar("hostname", type="string", format="hostname", description="a DNS host name")]
Email = Annotated[str, scalar("email", type="string", format="email", description="an e-mail address")]
Quantity = Annotated[str, scalar(
    "quantity", type=("string", "number"), format="k8s-quantity",
    description="a Kubernetes quantity such as 500m, 2, 4Gi", convert=lambda value, *_: str(value))]
Image = Annotated[str, scalar(
    "image", type="string", format="image-reference",
    description="a container image reference such as ghcr.io/org/name:tag")]
ImageName = Annotated[str, scalar(
    "imageName", type="string", format="image-name",
    description="an image without tag or digest, such as ghcr.io/kubeflow/kubeflow/jupyter-web-app")]
ImageTag = Annotated[str, scalar(
    "imageTag", type="string", pattern="^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
    description="an image tag: letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'")]
ImageDigest = Annotated[str, scalar(
    "imageDigest", type="string", pattern="^sha256:[a-f0-9]{64}$",
    description="an image digest: sha256: and 64 lower-case hexadecimal digits")]
EnvVar = Annotated[str, scalar(
    "envVar", type="string", pattern="^[A-Za-z_][A-Za-z0-9_]*$", description="an environment variable name")]
LocalPath = Annotated[LocalFile, scalar(
    "localPath", type="string", min_length=1,
    description="a path to a local file, relative to the profile that names it", convert=_local_file)]
GitUrl = Annotated[str, scalar(type="string", format="git-url")]
RepoPath = Annotated[str, scalar(type="string", format="repo-path")]
HttpsUrl = Annotated[str, scalar(type="string", format="https-url")]
SecretKey = Annotated[str, scalar(type="string", pattern="^[-._a-zA-Z0-9]+$")]
NonEmpty = Annotated[str, scalar(type="string", min_length=1)]
Uuid = Annotated[str, scalar(
    type="string", pattern="^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Wave = Annotated[int, scalar(type="integer", minimum=-100, maximum=100)]
AnyObject = Annotated[Mapping[str, Any], scalar(type="object")]


@record("secretValue", description="where the generator reads a secret value: exactly one of env or file; the "
        "value itself never appears in the profile", min_properties=1, max_properties=1)
class SecretValue:
    env: EnvVar | None = prop("read the value from this environment variable at render time", default=None)
    file: LocalPath | None = prop("read the value from this file at render time (relative to the profile)",
                                  default=None)

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file.written if self.file else ''}"


@record("secretRef", description="a secret only you know: exactly one of existingSecret (with an optional key) "
        "or sealed", min_properties=1, requires={"key": "existingSecret"})
class SecretRef:
    existing_secret: DnsSubdomain | None = prop("the name of a Secret you create in the cluster yourself",
                                                default=None)
    key: SecretKey | None = prop("the key in that Secret", default=None)
    sealed: SecretValue | None = prop(
        "seal a value read at render time into a SealedSecret (needs spec.secrets.certificate)", default=None)


@dataclass(frozen=True)
class KeyPair:
    """Two secret values that belong together (an access key pair, a database user), as a renderer uses them:
    the keys of a Secret the user creates, or two values sealed at render time."""

    existing_secret: str | None
    keys: tuple[str, str]  # the two keys, in that Secret or in the sealed one
    sealed: tuple[SecretValue, SecretValue] | None = None


@record()
class SealedAccessKeys:
    access_key: SecretValue = prop(required=True)
    secret_key: SecretValue = prop(required=True)


@record("s3Credentials", description="an access key pair: exactly one of existingSecret (with optional key "
        "names) or sealed", min_properties=1,
        requires={"accessKeyKey": "existingSecret", "secretKeyKey": "existingSecret"})
class AccessKeys:
    existing_secret: DnsSubdomain | None = prop("the name of a Secret you create yourself", default=None)
    access_key_key: SecretKey | None = prop("its key holding the access key id (default accesskey)", default=None)
    secret_key_key: SecretKey | None = prop("its key holding the secret access key (default secretkey)",
                                            default=None)
    sealed: SealedAccessKeys | None = prop(
        "seal the key pair, read at render time, into the tree (needs spec.secrets.certificate)", default=None)

    def pair(self, access_key: str = "accesskey", secret_key: str = "secretkey") -> KeyPair:
        """The pair, where keys not named in the profile are the ones given here."""
        if self.sealed is not None:
            return KeyPair(None, (access_key, secret_key), (self.sealed.access_key, self.sealed.secret_key))
        return KeyPair(self.existing_secret, (self.access_key_key or access_key, self.secret_key_key or secret_key))


@record()
class SealedLogin:
    username: SecretValue = prop(required=True)
    password: SecretValue = prop(required=True)


@record("databaseCredentials", description="a database user: exactly one of existingSecret (with optional key "
        "names) or sealed", min_properties=1,
        requires={"usernameKey": "existingSecret", "passwordKey": "existingSecret"})
class DatabaseLogin:
    existing_secret: DnsSubdomain | None = prop("the name of a Secret you create yourself", default=None)
    username_key: SecretKey | None = prop("its key holding the user name (default username)", default=None)
    password_key: SecretKey | None = prop("its key holding the password (default password)", default=None)
    sealed: SealedLogin | None = prop(
        "seal the user name and password, read at render time, into the tree (needs spec.secrets.certificate)",
        default=None)

    def pair(self) -> KeyPair:
        if self.sealed is not None:
            return KeyPair(None, ("username", "password"), (self.sealed.username, self.sealed.password))
        return KeyPair(self.existing_secret, (self.username_key or "username", self.password_key or "password"))


@record("scheduling", description="where pods run: applied to every Deployment and StatefulSet of the component")
class Scheduling:
    node_selector: Mapping[str, str] = prop("node labels every pod must match",
                                            default_factory=lambda: MappingProxyType({}))
    tolerations: tuple[AnyObject, ...] = prop("Kubernetes tolerations", default=())
    affinity: AnyObject | None = prop("a Kubernetes affinity", default=None)
    priority_class_name: DnsSubdomain | None = prop(default=None)

    def __bool__(self) -> bool:
        return bool(self.node_selector or self.tolerations or self.affinity or self.priority_class_name)


@record()
class ImageOverride:
    """One image of a component replaced, as kustomize's ``images`` transformer does: every container (and init
    container) whose image is ``name``, at any tag, gets the new name, tag or digest."""

    name: ImageName = prop("the image as the component's manifests name it, without tag or digest", required=True)
    new_name: ImageName | None = prop("the image to use instead (another registry, a fork)", default=None)
    new_tag: ImageTag | None = prop("the tag to use", default=None)
    digest: ImageDigest | None = prop("the digest to pin, instead of a tag", default=None)


@record()
class PatchTarget:
    group: str | None = prop(default=None)
    version: str | None = prop(default=None)
    kind: str | None = prop(default=None)
    name: str | None = prop(default=None)
    namespace: str | None = prop(default=None)
    label_selector: str | None = prop(default=None)
    annotation_selector: str | None = prop(default=None)


PatchBody = Annotated[Any, scalar(type=("string", "object", "array"))]


@record("patch", description="a kustomize patch, inline")
class Patch:
    patch: PatchBody = prop("a strategic-merge patch (mapping or YAML text) or a JSON 6902 patch (list)",
                            required=True)
    target: Annotated[Mapping[str, str], PatchTarget] | None = prop(
        "which objects the patch applies to (required for JSON 6902 patches)", default=None)


@record(additional=True)
class ManifestMetadata:
    name: DnsSubdomain = prop(required=True)


@record("manifest", description="a Kubernetes manifest", additional=True)
class Manifest:
    """The schema of an extra manifest; the typed value is the manifest itself (``ManifestData``)."""

    api_version: NonEmpty = prop(required=True)
    kind: NonEmpty = prop(required=True)
    metadata: ManifestMetadata = prop(required=True)


ManifestData = Annotated[Mapping[str, Any], Manifest]


@record("argoSubjects", description="logins, by e-mail or group")
class ArgoSubjects:
    users: tuple[Email, ...] = prop("login e-mails", default=(), unique_items=True)
    groups: tuple[NonEmpty, ...] = prop(
        "groups, as the login's groups claim names them (an external OIDC provider's)", default=(), unique_items=True)

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)
