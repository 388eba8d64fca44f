"""The Central Dashboard's links: upstream's own (catalog data, as upstream's overlay deploys them) but those
of components that do not run, then the profile's (``spec.kubeflow.components.central-dashboard.links``), then
an entry for each add-on behind the Kubeflow gateway, opened in a new tab (their pages refuse to be framed)."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from .. import catalog
from .components import customizes
from .context import Context
from .model import Folder

CONFIG = "centraldashboard-config"
#: On the dashboard's pods: a new value rolls them, so that they read the new links.
LINKS_DIGEST = "argoflow-gen/links-sha256"


def _menu(text: str, link: str, icon: str | None, *, iframe: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "item", "text": text, "link": link}
    if not iframe:
        entry["iframe"] = False
    if icon:
        entry["icon"] = icon
    return entry


def _served(items: list[dict[str, Any]], dead: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entries whose page a running component serves (a section keeps those of its items, or goes)."""
    kept = []
    for item in items:
        if "items" in item:
            inside = _served(item["items"], dead)
            if inside:
                kept.append({**item, "items": inside})
        elif not str(item.get("link", "")).startswith(dead):
            kept.append(item)
    return kept


def links(ctx: Context) -> dict[str, Any] | None:
    """The dashboard's links when they differ from upstream's: entries of components that do not run left out,
    the profile's and the add-ons' added (None: upstream's stay untouched)."""
    kubeflow = ctx.profile.spec.kubeflow
    asked = kubeflow.components["central-dashboard"].links
    addons = [(catalog.addons()[addon.id], addon.id) for addon in ctx.profile.spec.addons.values() if addon.on]
    routed = [(spec.access["route"].get("title", spec.title), spec.access["route"]["prefix"]) for spec, _id in addons
              if spec.access and spec.access.get("route")]
    dead = tuple(prefix for prefix, cid in ctx.release.dashboard_link_components.items() if not kubeflow.on(cid))
    if not asked and not routed and not dead:
        return None
    result = copy.deepcopy(dict(ctx.release.dashboard_links))
    for key in ("menuLinks", "quickLinks"):
        result[key] = _served(result.get(key, []), dead)
    result["menuLinks"] = [*result.get("menuLinks", []),
                           *(_menu(item.text, item.link, item.icon, iframe=True) for item in asked.menu)]
    result["externalLinks"] = [*result.get("externalLinks", []),
                               *(_menu(item.text, item.link, item.icon, iframe=False) for item in asked.external),
                               *(_menu(title, prefix, "launch", iframe=False) for title, prefix in sorted(routed))]
    for key, items in (("quickLinks", asked.quick), ("documentationItems", asked.documentation)):
        result[key] = [*result.get(key, []), *({"text": item.text, "desc": item.desc, "link": item.link}
                                                for item in items)]
    return result


@customizes("central-dashboard")
def dashboard_links(ctx: Context, folder: Folder) -> None:
    found = links(ctx)
    if found is None:
        return
    text = json.dumps(found, indent=4, ensure_ascii=False)
    folder.add_patch({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG, "namespace": "kubeflow"},
                      "data": {"links": text}})
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    folder.add_patch({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "centraldashboard", "namespace": "kubeflow"},
                      "spec": {"template": {"metadata": {"annotations": {LINKS_DIGEST: digest}}}}})
