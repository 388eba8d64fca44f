"""The platform add-ons beside Kubeflow (``spec.addons``): which run, and with what. The catalog
(``data/addons.json``) says which chart each is and the options it takes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from .. import catalog
from .common import AnyObject, Wave
from .declare import Keyed, prop, record


def _addons() -> Iterator[Keyed]:
    """Every add-on id, with its description and its typed options."""
    for aid, spec in catalog.addons().items():
        options = {name: {"type": "string", "description": option.description, "pattern": option.pattern}
                   for name, option in spec.options.items()}
        yield Keyed(aid, spec.description, options)


@record()
class Addon:
    """An add-on: the catalog says which Helm chart at which version; the profile says whether and how it runs."""

    id: str = prop(mapping_key=True)
    enabled: bool | None = prop("install it: naming an add-on turns it on, false (in a later layer, say) turns it off",
                                default=None)
    sync_wave: Wave | None = prop("override the Argo CD sync wave of its Application", default=None)
    values: AnyObject = prop("Helm values merged over those argoflow-gen sets (for anything its options do not say)",
                             default_factory=lambda: MappingProxyType({}))
    options: Mapping[str, str] = prop(options=True, default_factory=lambda: MappingProxyType({}))

    @property
    def on(self) -> bool:
        return self.enabled is not False


ADDONS = prop(
    "platform add-ons beside Kubeflow, each a Helm chart at a pinned version",
    default_factory=lambda: MappingProxyType({}),
    keys=_addons, unknown_key_hint="run `argoflow-gen schema --format markdown` to list the add-ons",
    example="{monitoring: {retention: 15d, storage: 50Gi}, logging: {}}")
