"""What a random Secret is: its keys and how each gets its value, and the registry of every random Secret the
tree can hold. ``randomsecrets`` makes them exist in the cluster; ``sealed`` seals them into the tree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    """How one key of a generated Secret gets its value."""

    literal: str | None = None  # a fixed, public value (a client id)
    shared: str | None = None  # a random value shared under this name by every Secret that uses it
    copy_from: tuple[str, str, str] | None = None  # (namespace, name, key) of an earlier Secret


@dataclass(frozen=True)
class RandomSecret:
    namespace: str
    name: str
    keys: tuple[tuple[str, Value], ...]
    upstream_name: str  # the upstream object replaced (deleted from the build)
    upstream_namespaced: bool = True  # False where upstream sets no namespace (the wrapper does)


#: Every random Secret the tree can hold, with the component that holds it.
REGISTRY: list[tuple[str, RandomSecret]] = []


def register(component_id: str, secret: RandomSecret) -> RandomSecret:
    REGISTRY.append((component_id, secret))
    return secret
