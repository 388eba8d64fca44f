"""A small Kubernetes API client on the standard library: one kept-alive HTTPS connection, JSON in and out,
and API discovery (which plural and scope each kind has).

Only what verifying and simulating a sync need: requests by path, the server's version, discovery, and
the paths of objects. Responses are read up to ``MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import VerifyError
from .kubeconfig import Credentials

MAX_RESPONSE_BYTES = 256 * 1024 * 1024
_DISCOVERY_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # parsed JSON, or None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The server's message of a failed request (a Status object's message), else the HTTP status."""
        if isinstance(self.body, Mapping) and isinstance(self.body.get("message"), str):
            return str(self.body["message"])
        return f"HTTP {self.status}"

    @property
    def reason(self) -> str:
        if isinstance(self.body, Mapping) and isinstance(self.body.get("reason"), str):
            return str(self.body["reason"])
        return ""


@dataclass(frozen=True)
class Resource:
    """Where objects of one group, version and kind live."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    def collection(self, namespace: str | None = None) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            prefix += f"/namespaces/{urllib.parse.quote(namespace, safe='')}"
        return f"{prefix}/{self.plural}"

    def path(self, name: str, namespace: str | None = None) -> str:
        return f"{self.collection(namespace)}/{urllib.parse.quote(name, safe='')}"


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@dataclass
class Resources:
    """The kinds a cluster serves, by (group, version, kind), plus those CRDs about to be created add."""

    known: dict[tuple[str, str, str], Resource] = field(default_factory=dict)

    def add(self, resource: Resource) -> None:
        self.known[(resource.group, resource.version, resource.kind)] = resource

    def add_crd(self, crd: Mapping[str, Any]) -> None:
        """The resources a CustomResourceDefinition object defines (served versions)."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        if not isinstance(names, Mapping) or not names.get("kind") or not names.get("plural"):
            return
        for version in spec.get("versions") or []:
            if isinstance(version, Mapping) and version.get("served", True) and version.get("name"):
                self.add(Resource(str(spec.get("group", "")), str(version["name"]), str(names["kind"]),
                                  str(names["plural"]), spec.get("scope") == "Namespaced"))

    def find(self, api_version: str, kind: str) -> Resource | None:
        group, version = split_api_version(api_version)
        return self.known.get((group, version, kind))

    def served_group(self, api_version: str) -> bool:
        group, version = split_api_version(api_version)
        return any(key[0] == group and key[1] == version for key in self.known)


class _HTTPSConnection(http.client.HTTPSConnection):
    """HTTPS that checks the certificate against ``server_name`` (a kubeconfig's tls-server-name) when given,
    instead of the host it connects to."""

    def __init__(self, host: str, port: int, *, timeout: float, context: ssl.SSLContext,
                 server_name: str | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._tls_context = context
        self._server_name = server_name or host

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


class Client:
    """Requests to one API server, over one kept-alive connection."""

    def __init__(self, credentials: Credentials, *, timeout: float = 60.0,
                 headers: Mapping[str, str] | None = None, read_only: bool = False) -> None:
        self.credentials = credentials
        self.read_only = read_only  # refuse every request that could change the cluster: only reads and dry runs
        parsed = urllib.parse.urlsplit(credentials.server)
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname or ""
        self._port = parsed.port or (443 if self._https else 80)
        self._base = parsed.path.rstrip("/")
        self._timeout = timeout
        self._headers = {"Accept": "application/json", "User-Agent": "argoflow-gen", **(headers or {})}
        if credentials.token:
            self._headers["Authorization"] = f"Bearer {credentials.token}"
        self._context = self._tls() if self._https else None
        self._connection: http.client.HTTPConnection | None = None

    def _tls(self) -> ssl.SSLContext:
        creds = self.credentials
        context = ssl.create_default_context()
        if creds.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif creds.ca_data:
            try:
                context.load_verify_locations(cadata=creds.ca_data.decode("ascii", "replace"))
            except ssl.SSLError as exc:
                raise VerifyError(f"the cluster's CA certificate cannot be read: {exc}") from None
        if creds.cert_data and creds.key_data:
            # the ssl module reads a client key only from a file: a private folder, removed at once
            with tempfile.TemporaryDirectory(prefix="argoflow-gen-tls-") as folder:
                cert, key = os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key")
                for path, data in ((cert, creds.cert_data), (key, creds.key_data)):
                    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(descriptor, "wb") as handle:
                        handle.write(data)
                try:
                    context.load_cert_chain(cert, key)
                except ssl.SSLError as exc:
                    raise VerifyError(f"the client certificate of context {creds.context!r} cannot be used: "
                                      f"{exc}") from None
        return context

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._context is not None:
                self._connection = _HTTPSConnection(self._host, self._port, timeout=self._timeout,
                                                    context=self._context,
                                                    server_name=self.credentials.tls_server_name)
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: Any = None, *, query: Iterable[tuple[str, str]] = (),
                content_type: str = "application/json", accept: str | None = None) -> Response:
        """One request; a connection failure is a VerifyError, an HTTP error is a Response."""
        target = self._base + path
        pairs = list(query)
        if self.read_only and method != "GET" and ("dryRun", "All") not in pairs:
            raise VerifyError(f"refusing {method} {path}: this client only reads and dry-runs")
        if pairs:
            target += "?" + urllib.parse.urlencode(pairs)
        headers = dict(self._headers)
        if accept:
            headers["Accept"] = accept
        payload = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = content_type
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again, once
            connection = self._connect()
            try:
                connection.request(method, target, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read(MAX_RESPONSE_BYTES + 1)
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise VerifyError(f"the API server at {self.credentials.server} closed the connection: "
                                      f"{exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise VerifyError(f"cannot reach the API server at {self.credentials.server}: {exc}",
                                  hint=f"check the context {self.credentials.context!r} and the network") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            self.close()
            raise VerifyError(f"{method} {path}: the response is larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if response.status == 401:
            raise VerifyError(f"the API server at {self.credentials.server} refused the credentials of context "
                              f"{self.credentials.context!r} (401 Unauthorized)")
        return Response(response.status, parsed)

    def get(self, path: str, *, query: Iterable[tuple[str, str]] = ()) -> Any:
        """The object at ``path``, or None if it does not exist; other failures are VerifyErrors."""
        response = self.request("GET", path, query=query)
        if response.status == 404:
            return None
        if not response.ok:
            raise VerifyError(f"GET {path}: {response.message}")
        return response.body

    def version(self) -> Mapping[str, Any]:
        body = self.get("/version")
        if not isinstance(body, Mapping):
            raise VerifyError(f"the API server at {self.credentials.server} did not say its version")
        return body

    def resources(self) -> Resources:
        """Every kind the server serves (aggregated discovery, or one request per group version)."""
        found = Resources()
        for root in ("/api", "/apis"):
            response = self.request("GET", root, accept=_DISCOVERY_V2)
            if not response.ok or not isinstance(response.body, Mapping):
                raise VerifyError(f"discovery failed at {root}: {response.message}")
            if response.body.get("kind") == "APIGroupDiscoveryList":
                _aggregated(response.body, found)
            else:
                self._legacy(root, response.body, found)
        return found

    def _legacy(self, root: str, body: Mapping[str, Any], found: Resources) -> None:
        if root == "/api":
            versions = [("", str(version)) for version in body.get("versions") or []]
        else:
            versions = [(str(group.get("name", "")), str(item.get("version", "")))
                        for group in body.get("groups") or [] for item in group.get("versions") or []]
        for group, version in versions:
            path = f"/api/{version}" if not group else f"/apis/{group}/{version}"
            listing = self.get(path)
            for item in (listing or {}).get("resources") or []:
                if "/" not in str(item.get("name", "")):
                    found.add(Resource(group, version, str(item["kind"]), str(item["name"]),
                                       bool(item.get("namespaced"))))


def _aggregated(body: Mapping[str, Any], found: Resources) -> None:
    for group in body.get("items") or []:
        name = str((group.get("metadata") or {}).get("name", ""))
        for version in group.get("versions") or []:
            for item in version.get("resources") or []:
                kind = (item.get("responseKind") or {}).get("kind")
                if kind and item.get("resource"):
                    found.add(Resource(name, str(version.get("version", "")), str(kind), str(item["resource"]),
                                       item.get("scope") == "Namespaced"))
