"""Facts about a cluster that stop a sync hours into it, read (never changed) before anything is applied.

- the Kubernetes version against the range the Kubeflow release supports (release catalog data);
- exactly one default StorageClass (Kubeflow's claims name none);
- a cert-manager, Istio or Argo CD already running that the tree would fight with;
- the sealed-secrets certificate the profile sealed with against the running controller's keys;
- with ``serviceType: LoadBalancer``, whether anything gives LoadBalancer Services an address.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import KubernetesRange
from ..errors import VerifyError
from ..profile import Profile
from .client import Client
from .report import Finding

DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")
SEALED_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
TRACKING = "argocd.argoproj.io/tracking-id"
INSTANCE = "app.kubernetes.io/instance"


@dataclass(frozen=True)
class Stack:
    """Software the tree installs itself, recognised by the workloads it runs."""

    name: str
    application: str  # the tree's Application that installs it
    path: str  # the collection to list
    selector: str


STACKS = (
    Stack("cert-manager", "cert-manager", "/apis/apps/v1/deployments", "app.kubernetes.io/name=cert-manager"),
    Stack("Istio", "istio", "/apis/apps/v1/deployments", "app=istiod"),
)
ARGOCD = (("/apis/apps/v1/statefulsets", "app.kubernetes.io/name=argocd-application-controller"),
          ("/apis/apps/v1/deployments", "app.kubernetes.io/name=argocd-server"))


def _items(client: Client, path: str, selector: str = "") -> list[Mapping[str, Any]]:
    response = client.request("GET", path, query=[("labelSelector", selector)] if selector else [])
    if response.status == 403:
        raise PermissionError(response.message)
    if not response.ok:
        raise VerifyError(f"listing {path}: {response.message}")
    return list((response.body or {}).get("items") or [])


def _label(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{obj.get('kind') or 'object'} {namespace + '/' if namespace else ''}{metadata.get('name')}"


def kubernetes_version(version: Mapping[str, Any], supported: KubernetesRange, release: str) -> list[Finding]:
    git = str(version.get("gitVersion", ""))
    try:
        major = int(re.sub(r"\D.*", "", str(version.get("major", ""))))
        minor = int(re.sub(r"\D.*", "", str(version.get("minor", ""))))
    except ValueError:
        match = re.match(r"v?(\d+)\.(\d+)", git)
        if not match:
            return [Finding("version", "note", f"the server reports no version this can read ({git or 'none'})")]
        major, minor = int(match[1]), int(match[2])
    if supported.contains(major, minor):
        return []
    side = "older" if (major, minor) < KubernetesRange._minor(supported.min) else "newer"
    return [Finding("version", "problem", f"Kubernetes {major}.{minor} ({git}) is {side} than Kubeflow {release} "
                    f"supports ({supported.min} to {supported.max})", hint=supported.source)]


def storage_classes(client: Client) -> list[Finding]:
    classes = _items(client, "/apis/storage.k8s.io/v1/storageclasses")
    defaults = sorted(str(c["metadata"]["name"]) for c in classes
                      if any(((c["metadata"].get("annotations") or {}).get(key)) == "true" for key in DEFAULT_CLASS))
    if not defaults:
        return [Finding("storage-class", "problem", "no default StorageClass: the claims of Kubeflow Pipelines, Katib "
                        "and the notebooks name none, so they stay Pending",
                        hint="mark one with storageclass.kubernetes.io/is-default-class=true")]
    if len(defaults) > 1:
        return [Finding("storage-class", "problem", f"{len(defaults)} default StorageClasses "
                        f"({', '.join(defaults)}): Kubernetes picks the newest, which may not be the one meant")]
    return []


def _tracked_by(obj: Mapping[str, Any], application: str) -> bool:
    metadata = obj.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    return str(annotations.get(TRACKING, "")).startswith(f"{application}:") or labels.get(INSTANCE) == application


def conflicts(client: Client, applications: Iterable[str], argocd_namespace: str) -> list[Finding]:
    """Installs the tree would fight with: its own stacks run by something else, another Argo CD."""
    findings = []
    apps = set(applications)
    for stack in STACKS:
        if stack.application not in apps:
            continue
        for obj in _items(client, stack.path, stack.selector):
            if not _tracked_by(obj, stack.application):
                findings.append(Finding(
                    "conflict", "problem", f"{stack.name} already runs here ({_label({'kind': 'Deployment', **obj})}),"
                    f" not installed by the Application {stack.application}: both would manage the same CRDs and "
                    "webhooks", hint=f"remove it, or disable the {stack.application} component and keep yours"))
    for path, selector in ARGOCD:
        for obj in _items(client, path, selector):
            namespace = (obj.get("metadata") or {}).get("namespace")
            if namespace != argocd_namespace:
                kind = "StatefulSet" if "statefulsets" in path else "Deployment"
                findings.append(Finding(
                    "conflict", "problem", f"another Argo CD runs in namespace {namespace} "
                    f"({_label({'kind': kind, **obj})}): both share the cluster-wide Application CRDs",
                    hint=f"install into {namespace} (spec.argocd.namespace) or remove the other one"))
    return findings


def _der(pem: bytes) -> bytes | None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    except ValueError:
        return None


def _fingerprint(der: bytes) -> str:
    return "sha256:" + hashlib.sha256(der).hexdigest()[:16]


def profile_certificates(profile: Profile) -> list[Path]:
    paths = []
    if profile.secrets.certificate is not None:
        paths.append(profile.secrets.certificate)
    credentials = profile.repo.credentials
    if credentials is not None and credentials.sealed is not None:
        paths.append(credentials.sealed.certificate)
    return sorted(set(paths))


def sealed_secrets(client: Client, certificates: Sequence[Path]) -> list[Finding]:
    """Whether each certificate the profile sealed with is one of the running controller's keys."""
    if not certificates:
        return []
    try:
        keys = _items(client, "/api/v1/secrets", SEALED_KEY_LABEL)
    except PermissionError as exc:
        return [Finding("sealed-secrets", "note", f"cannot list the sealed-secrets controller's keys: {exc}")]
    controller = {}
    for secret in keys:
        data = (secret.get("data") or {}).get("tls.crt")
        der = _der(base64.b64decode(data)) if isinstance(data, str) else None
        if der is not None:
            controller[der] = _label({"kind": "Secret", **secret})
    findings = []
    for path in certificates:
        try:
            der = _der(path.read_bytes()[:1024 * 1024])
        except OSError as exc:
            raise VerifyError(f"cannot read the certificate {path}: {exc.strerror or exc}") from None
        if der is None:
            raise VerifyError(f"{path} is not a PEM certificate")
        if not controller:
            findings.append(Finding("sealed-secrets", "problem", f"no sealed-secrets controller key in the cluster: "
                                    f"what was sealed with {path.name} ({_fingerprint(der)}) cannot be unsealed",
                                    hint="install the controller whose certificate you sealed with first"))
        elif der not in controller:
            known = ", ".join(f"{label} ({_fingerprint(key)})" for key, label in sorted(controller.items()))
            findings.append(Finding("sealed-secrets", "problem", f"{path.name} ({_fingerprint(der)}) is not a key of "
                                    f"the running controller ({known}): its sealed secrets will never unseal",
                                    hint="kubeseal --fetch-cert > the certificate file, then render again"))
    return findings


def load_balancers(client: Client) -> list[Finding]:
    services = [s for s in _items(client, "/api/v1/services") if (s.get("spec") or {}).get("type") == "LoadBalancer"]
    served = [s for s in services if ((s.get("status") or {}).get("loadBalancer") or {}).get("ingress")]
    if served:
        return []
    if services:
        names = ", ".join(_label({"kind": "Service", **s}) for s in services[:3])
        return [Finding("load-balancer", "problem", f"{len(services)} LoadBalancer Service(s) have no address "
                        f"({names}): nothing here provisions load balancers, so the gateway would stay Pending",
                        hint="install a load-balancer controller (MetalLB, a cloud provider's) or use NodePort")]
    return [Finding("load-balancer", "note", "no LoadBalancer Service exists yet, so whether load balancers get an "
                    "address cannot be told")]
