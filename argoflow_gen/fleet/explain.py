"""Where each effective value of a fleet comes from: the fleet file's own values (its schema's defaults filled),
or one cluster's profile, layer by layer (the fleet's base, the cluster's layers, and what the fleet decides
for it).

Rows are ``(dotted path, value, origin)`` as ``argoflow_gen.loader.explain`` gives them for a profile; a value the
fleet decides for a cluster (its folder, whether it manages Argo CD) names the fleet file.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..layers import Layer, Resolution, merge
from ..loader import explain, resolve
from ..yamlio import load
from .load import load_fleet, read_text
from .render import fleet_overrides

Row = tuple[str, Any, str]


def _with_defaults(data: Any, node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """``data`` with the defaults the fleet schema declares, wherever a mapping of it is written."""
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if isinstance(data, dict) and "properties" in node:
        filled = dict(data)
        for key, child in node["properties"].items():
            if key in filled:
                filled[key] = _with_defaults(filled[key], child, defs)
            elif "default" in child:
                filled[key] = copy.deepcopy(child["default"])
        return filled
    if isinstance(data, list) and isinstance(node.get("items"), dict):
        return [_with_defaults(item, node["items"], defs) for item in data]
    return data


def explain_fleet(fleet_file: str | Path, key: str | None = None, *, cluster: str | None = None) -> list[Row]:
    """Every effective value of the fleet file (or, with ``cluster``, of that cluster's profile) and where it was
    written, optionally only at or under the dotted ``key``. The fleet file is validated first."""
    fleet = load_fleet(fleet_file)
    if cluster is not None:
        from ..errors import Issue, ProfileError

        if cluster not in [each.name for each in fleet.clusters]:
            raise ProfileError([Issue(f"no cluster of fleet {fleet.name!r} is named {cluster!r}", file=fleet.file,
                                      path="spec.clusters",
                                      hint=f"one of: {', '.join(each.name for each in fleet.clusters)}")])
        chosen = fleet.cluster(cluster)
        rows = explain(resolve([*fleet.base, *chosen.layers], fleet_overrides(fleet, chosen)), key)
        folder, shown = str(Path(fleet.file).resolve().parent), str(Path(fleet.file).parent)
        return [(path, value, f"{fleet.file} (the fleet decides it)" if origin.startswith("--set:")
                 else shown + origin[len(folder):] if origin.startswith(folder + "/") else origin)
                for path, value, origin in rows]
    label = str(fleet_file)
    merged = merge([Layer(document=load(read_text(label), label), base=Path(label).resolve().parent,
                          label=label)])
    schema = json.loads(resources.files("argoflow_gen.data").joinpath("fleet.schema.json").read_text("utf-8"))
    data = _with_defaults(merged.data, schema, schema.get("$defs", {}))
    return explain(Resolution(data=data, merged=merged), key)
