"""The string formats a profile's values are checked against, each with the message and hint its error gives.

A declaration names a format (``format="hostname"``); the validator checks it with the predicate here, and
an error reads ``"VALUE" MESSAGE (HINT)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..passwords import BCRYPT_HASH

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_QUANTITY = re.compile(r"[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?")
_IMAGE = re.compile(
    r"(?:(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?"
)
_IMAGE_NAME = re.compile(  # a reference without its tag or digest: what kustomize's images transformer matches
    r"(?:(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
SCP_URL = re.compile(r"(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^\s]+)")


def is_dns_label(value: str) -> bool:
    return bool(_DNS_LABEL.fullmatch(value))


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= 253 and all(_DNS_LABEL.fullmatch(part) for part in value.split("."))


def is_hostname(value: str) -> bool:
    if not value or len(value) > 253 or value.endswith("."):
        return False
    return all(_HOST_LABEL.fullmatch(part) for part in value.split("."))


def is_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at) and bool(_EMAIL_LOCAL.fullmatch(local)) and is_hostname(domain) and "." in domain


def is_quantity(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value >= 0
    return isinstance(value, str) and bool(_QUANTITY.fullmatch(value))


def is_image(value: str) -> bool:
    return len(value) <= 512 and bool(_IMAGE.fullmatch(value))


def is_image_name(value: str) -> bool:
    return len(value) <= 512 and bool(_IMAGE_NAME.fullmatch(value))


def is_repo_path(value: str) -> bool:
    """A folder inside the fork: relative, forward slashes, no '..', no empty segments."""
    if value == ".":
        return True
    if not value or value.startswith("/") or "\\" in value or value.endswith("/"):
        return False
    return all(_SEGMENT.fullmatch(part) and part not in (".", "..") for part in value.split("/"))


def git_url_problem(value: str) -> str | None:
    """Why a repository URL is refused, or None if it is fine."""
    if SCP_URL.fullmatch(value):
        return None
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in ("https", "ssh"):
        return f"scheme {scheme + '://' if scheme else '(none)'} is not supported"
    parts = urlsplit(value)
    if not parts.hostname or not is_hostname(parts.hostname):
        return "it has no valid host"
    if parts.password is not None or (scheme == "https" and parts.username is not None):
        return "it embeds credentials"
    if not parts.path.strip("/"):
        return "it names no repository"
    if any(c.isspace() for c in value):
        return "it contains white space"
    return None


def is_https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and is_hostname(parts.hostname or "") and (
        parts.username is None
    )


def is_host_port(value: str) -> bool:
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return False
    return is_hostname(host)


def is_pem_certificates(value: str) -> bool:
    """PEM text of one or more X.509 certificates, and no private key."""
    if "PRIVATE KEY" in value:
        return False
    from cryptography import x509

    try:
        return bool(x509.load_pem_x509_certificates(value.encode("utf-8")))
    except ValueError:
        return False


def _positive_number(value: Any) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Format:
    """A named string format: its check, and what an error about it says."""

    check: Callable[[Any], bool]
    message: str
    hint: str
    detail: Callable[[str], str | None] | None = None  # why a value failed, appended to the message


FORMATS: dict[str, Format] = {
    "dns1123-label": Format(is_dns_label, "is not a DNS-1123 label",
                            "lower-case letters, digits and '-', starting and ending with a letter or digit, "
                            "at most 63 characters"),
    "dns1123-subdomain": Format(is_dns_subdomain, "is not a valid Kubernetes name",
                                "lower-case letters, digits, '-' and '.', at most 253 characters"),
    "hostname": Format(is_hostname, "is not a valid host name", "for example kubeflow.example.com"),
    "email": Format(is_email, "is not a valid e-mail address", "for example jane@example.com"),
    "k8s-quantity": Format(is_quantity, "is not a Kubernetes quantity", "for example 500m, 2, 1.5Gi"),
    "image-reference": Format(is_image, "is not a valid image reference",
                              "for example ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0"),
    "image-name": Format(is_image_name, "is not an image name (without tag or digest)",
                         "for example ghcr.io/kubeflow/kubeflow/jupyter-web-app: the tag goes in newTag, a digest "
                         "in digest"),
    "repo-path": Format(is_repo_path, "is not a folder inside the repository",
                        "a relative path with '/' separators and no '..', or '.' for the repository root"),
    "git-url": Format(lambda v: git_url_problem(v) is None, "is not a usable git URL",
                      "use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git, "
                      "without credentials in it", detail=git_url_problem),
    "https-url": Format(is_https_url, "is not an https:// URL", "for example https://login.example.com"),
    "acme-server": Format(lambda v: v in ("staging", "production") or is_https_url(v),
                          "is not an ACME server", "staging, production, or an https:// ACME directory URL"),
    "bcrypt-hash": Format(lambda v: bool(BCRYPT_HASH.match(v)), "is not a bcrypt hash",
                          "make one with `argoflow-gen hash-password`; $2a$, $2b$ and $2y$ hashes are accepted"),
    "limit-factor": Format(lambda v: v == "none" or (not isinstance(v, bool) and _positive_number(v)),
                           "is not a limit factor", "a positive number such as 1.2, or none"),
    "host-port": Format(is_host_port, "is not host[:port]", "for example s3.eu-west-1.amazonaws.com or minio:9000"),
    "pem-certificates": Format(is_pem_certificates, "is not PEM certificates",
                               "the CA's -----BEGIN CERTIFICATE----- blocks, and no private key"),
}
