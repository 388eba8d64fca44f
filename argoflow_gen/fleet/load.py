"""fleet file → validated, typed Fleet. ``load_fleet`` is the one entry point.

A fleet file is read like a profile layer (bounded, located errors), validated against the shipped
``data/fleet.schema.json``, then checked across fields. Paths it names (profile layers, a CA file, a token
file) resolve against the fleet file's folder and may not leave it: a fleet file in a pull request is as
hostile as any other input.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import Issue, ProfileError, StateError
from ..layers import PRESET_PREFIX, Layer, Merged, decode, merge
from ..loader import raise_problems
from ..schema import Problem, validate_against
from ..state.gate import NotRegular, read_bounded
from ..yamlio import JsonPath, load
from .model import IN_CLUSTER, Cluster, Credentials, Fleet, RolloutStep

API_VERSION = "argoflow-gen/v1alpha1"
KIND = "Fleet"
MAX_FLEET_BYTES = 1024 * 1024


def read_text(file: str, what: str = "fleet file") -> str:
    """A fleet file (or a profile layer it names) as text: bounded, a regular file, UTF-8; located errors."""
    try:
        raw = read_bounded(Path(file), MAX_FLEET_BYTES, what=f"{what} {file}")
    except NotRegular:
        raise ProfileError([Issue("not a regular file (a folder, a FIFO, a device or a symlink)", file=file)]) \
            from None
    except StateError as error:
        raise ProfileError([Issue(error.message, file=file)]) from None
    except OSError as exc:
        raise ProfileError([Issue(f"cannot read the file: {exc.strerror}", file=file)]) from None
    if raw is None:
        raise ProfileError([Issue(f"{what} not found", file=file)])
    return decode(raw, file)


def _inside(base: Path, written: str) -> Path | None:
    """``written`` resolved against ``base`` if it stays inside it (no absolute path, no way out), else None."""
    if not written or os.path.isabs(written) or "\0" in written:
        return None
    normal = os.path.normpath(written)
    if normal == ".." or normal.startswith("../"):
        return None
    return base / normal


def _source(base: Path, written: str, path: JsonPath, problems: list[Problem]) -> str:
    if written.startswith(PRESET_PREFIX):
        return written
    resolved = _inside(base, written)
    if resolved is None:
        problems.append(Problem(path, "must be a path inside the fleet file's folder, or preset:NAME",
                                "fleet layers are relative to the fleet file, without '..' out of its folder"))
        return written
    return str(resolved)


def _credentials(data: Mapping[str, Any] | None, base: Path, path: JsonPath,
                 problems: list[Problem]) -> Credentials | None:
    if data is None:
        return None
    ways = [key for key in ("existingSecret", "bearerToken", "aws", "exec") if key in data]
    if len(ways) != 1:
        problems.append(Problem(path, "needs exactly one of existingSecret, bearerToken, aws or exec" +
                                (f", not {' and '.join(ways)}" if ways else ""),
                                "caData may go with any of them"))
    ca = None
    if "caData" in data:
        ca = _inside(base, data["caData"])
        if ca is None:
            problems.append(Problem((*path, "caData"), "must be a path inside the fleet file's folder"))
    token = data.get("bearerToken") or {}
    token_file = None
    if "file" in token:
        token_file = _inside(base, token["file"])
        if token_file is None:
            problems.append(Problem((*path, "bearerToken", "file"), "must be a path inside the fleet file's folder",
                                    "keep the token file beside the fleet file, out of git (.gitignore)"))
    exec_config = data.get("exec")
    if exec_config is not None:
        exec_config = {"command": exec_config["command"], "args": list(exec_config.get("args", [])),
                       "env": dict(exec_config.get("env", {})),
                       "apiVersion": exec_config.get("apiVersion", "client.authentication.k8s.io/v1beta1")}
    return Credentials(existing_secret=data.get("existingSecret"), token_file=token_file,
                       token_env=token.get("env"), token_written=str(token.get("file") or token.get("env") or ""),
                       aws=dict(data["aws"]) if "aws" in data else None, exec=exec_config, ca_file=ca)


def _cross_checks(spec: Mapping[str, Any], problems: list[Problem]) -> None:
    clusters: Sequence[Mapping[str, Any]] = spec["clusters"]
    seen: dict[str, int] = {}
    servers: dict[str, str] = {}
    seen_twice: set[str] = set()
    for index, cluster in enumerate(clusters):
        name = cluster["name"]
        if name in seen:
            seen_twice.add(name)
            problems.append(Problem(("spec", "clusters", index, "name"), f"cluster {name!r} is named twice",
                                    f"the first is spec.clusters[{seen[name]}]"))
        seen.setdefault(name, index)
        remote = cluster.get("server", IN_CLUSTER) != IN_CLUSTER
        if remote and "credentials" not in cluster:
            problems.append(Problem(("spec", "clusters", index, "credentials"),
                                    "a remote cluster needs credentials",
                                    "existingSecret, bearerToken, aws or exec"))
        if not remote and "credentials" in cluster:
            problems.append(Problem(("spec", "clusters", index, "credentials"),
                                    "a cluster without server is the hub's own: it needs no credentials",
                                    "remove them, or set server"))
        server = cluster.get("server", IN_CLUSTER)
        if server in servers and name not in seen_twice:
            problems.append(Problem(("spec", "clusters", index, "server") if remote else ("spec", "clusters", index),
                                    f"cluster {servers[server]!r} is already {'at ' + server if remote else 'the hub'}",
                                    "two clusters of a fleet are two API servers"))
        servers.setdefault(server, name)
    hub = spec["hub"]
    if hub not in seen:
        problems.append(Problem(("spec", "hub"), f"no cluster is named {hub!r}",
                                f"one of: {', '.join(sorted(seen))}"))
    elif clusters[seen[hub]].get("server", IN_CLUSTER) != IN_CLUSTER:
        problems.append(Problem(("spec", "clusters", seen[hub], "server"),
                                "the hub runs the fleet's Argo CD: it is reached in-cluster",
                                f"remove server from cluster {hub!r}"))
    rollout = spec.get("rollout") or []
    if rollout and spec.get("deploy", "applicationSet") != "applicationSet":
        problems.append(Problem(("spec", "rollout"), "a progressive rollout needs deploy: applicationSet"))
    for index, step in enumerate(rollout):
        wanted = step["matchLabels"].items()
        if not any(wanted <= (cluster.get("labels") or {}).items() for cluster in clusters):
            problems.append(Problem(("spec", "rollout", index, "matchLabels"), "matches no cluster",
                                    "a step's labels must all be on at least one cluster"))


def load_fleet(file: str | Path) -> Fleet:
    """Read and validate a fleet file; raises ProfileError listing every problem, each located."""
    label = str(file)
    document = load(read_text(label), label)
    if not isinstance(document.data, dict):
        raise ProfileError([Issue("a fleet file must be a mapping with apiVersion, kind, metadata and spec",
                                  file=label, line=1, column=1)])
    base = Path(label).resolve().parent
    merged: Merged = merge([Layer(document=document, base=base, label=label)])
    problems = validate_against("fleet.schema.json", merged)
    if problems:
        raise_problems(problems, merged)
    data = merged.data
    spec = data["spec"]
    _cross_checks(spec, problems)
    clusters = []
    for index, cluster in enumerate(spec["clusters"]):
        layers = tuple(_source(base, layer, ("spec", "clusters", index, "layers", position), problems)
                       for position, layer in enumerate(cluster.get("layers", [])))
        credentials = _credentials(cluster.get("credentials"), base, ("spec", "clusters", index, "credentials"),
                                   problems)
        clusters.append(Cluster(cluster["name"], dict(sorted((cluster.get("labels") or {}).items())), layers,
                                cluster.get("server", IN_CLUSTER), credentials))
    shared = tuple(_source(base, layer, ("spec", "base", position), problems)
                   for position, layer in enumerate(spec.get("base", [])))
    if problems:
        raise_problems(problems, merged)
    rollout = tuple(RolloutStep(dict(sorted(step["matchLabels"].items())), step.get("maxUpdate"))
                    for step in spec.get("rollout", []))
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    metadata = data["metadata"]
    return Fleet(name=metadata["name"], description=metadata.get("description", ""), path=spec.get("path", "."),
                 base=shared, hub=spec["hub"], deploy=spec.get("deploy", "applicationSet"), rollout=rollout,
                 clusters=tuple(clusters), file=label, digest=digest, resolved=data,
                 per_cluster=tuple(spec.get("perCluster", [])))
