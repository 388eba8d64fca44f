"""The resource level of a diff, building only what can differ.

An Application whose inputs are byte-identical on both sides (the same local files, hence the same remote
references, and the same destination namespace) builds to the same manifests: it is neither built nor
compared, and the repositories only it needs are not fetched. The others are built (``engine``), and each
is compared as soon as both its sides are built and the scope of its kinds is settled: a resource without
a namespace takes its Application's namespace unless its kind is cluster-scoped, which a CRD of any
Application may say. When a kind stays unknown once the changed Applications are built, the unchanged
ones are built too (one side: they are the same on both), until it is known. The result is exactly the
comparison of every Application's full build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .apps import Application, applications
from .documents import Memo
from .engine import Engine, Settings, Unit, workspace
from .model import ApplicationDiff, Diff, NotBuilt
from .resources import CLUSTER_SCOPED, cluster_scoped, diff_application, unsettled_kinds

Manifests = Sequence[Mapping[str, Any]]
#: Told the names of the Applications to compare, before any is built.
OnStart = Callable[[Sequence[str]], None]
#: Told each compared Application's changes (None: none), as soon as they are known, in any order.
OnCompared = Callable[[str, ApplicationDiff | None], None]


class Kept:
    """The documents ``wanted`` picks of every Application of both sides (the unchanged ones too, built once),
    for what needs both whole sides (an upgrade plan); ``manifests`` gives them sorted by Application."""

    def __init__(self, wanted: Callable[[Mapping[str, Any]], bool]) -> None:
        self.wanted = wanted
        self.sides: tuple[dict[str, Manifests], dict[str, Manifests]] = ({}, {})

    def add(self, sides: Sequence[int], name: str, found: Manifests) -> None:
        picked = [document for document in found if self.wanted(document)]
        for side in sides:
            self.sides[side][name] = picked

    def manifests(self) -> tuple[dict[str, Manifests], dict[str, Manifests]]:
        old, new = self.sides
        return dict(sorted(old.items())), dict(sorted(new.items()))


class _Comparison:
    """The Applications of a pair being compared: their builds so far, and the kinds known cluster-scoped."""

    def __init__(self, on_compared: OnCompared | None, kept: Kept | None) -> None:
        self.on_compared = on_compared
        self.kept = kept
        self.unchanged: set[str] = set()
        self.known = set(CLUSTER_SCOPED)
        self.namespaces: dict[str, tuple[str, str]] = {}
        self.sides: dict[str, dict[int, Manifests]] = {}
        self.present: dict[str, set[int]] = {}
        self.memos: dict[str, Memo] = {}
        self.results: list[ApplicationDiff] = []
        self.everything_known = False

    def memo(self, unit: Unit) -> Memo:
        return self.memos.setdefault(unit.application.name, Memo())

    def built(self, unit: Unit, found: list[Mapping[str, Any]]) -> None:
        self.known |= cluster_scoped([found])
        name = unit.application.name
        if self.kept is not None:
            self.kept.add((0, 1) if name in self.unchanged else (unit.side,), name, found)
        if name in self.unchanged:
            self.memos.pop(name, None)
        if name in self.present:
            self.sides[name][unit.side] = found
        self.flush()

    def waiting(self) -> list[str]:
        """The Applications built on every side they have, whose comparison waits for a kind's scope."""
        return [name for name, sides in self.sides.items() if set(sides) == self.present[name]]

    def flush(self) -> None:
        known = frozenset(self.known)
        for name in self.waiting():
            sides = self.sides[name]
            old_namespace, new_namespace = self.namespaces[name]
            before, after = sides.get(0, ()), sides.get(1, ())
            if not self.everything_known and (unsettled_kinds(before, old_namespace, known)
                                              or unsettled_kinds(after, new_namespace, known)):
                continue
            changes = diff_application(name, before, after, old_namespace, new_namespace, known)
            del self.sides[name], self.present[name]
            self.memos.pop(name, None)
            if changes is not None:
                self.results.append(changes)
            if self.on_compared is not None:
                self.on_compared(name, changes)


def build_changes(old: Mapping[str, str], new: Mapping[str, str], run: Settings, *,
                  on_start: OnStart | None = None, on_compared: OnCompared | None = None,
                  kept: Kept | None = None) -> Diff:
    """The resource level of the diff from ``old`` to ``new``: what ``diff_resources`` says of every
    Application's full build, from the builds of the Applications that can differ. With ``kept``, every
    Application is built (those that cannot differ once, for both sides) and ``kept`` collects them."""
    old_apps, new_apps = applications(old), applications(new)
    skipped = not_built(old, new)
    names = sorted((set(old_apps) | set(new_apps)) - {item.application for item in skipped})
    comparison = _Comparison(on_compared, kept)
    with workspace([old, new], run) as space:
        units: dict[str, list[Unit]] = {}
        unchanged: list[Unit] = []
        for name in names:
            found = [(side, apps[name]) for side, apps in enumerate((old_apps, new_apps)) if name in apps]
            mine = [space.unit(side, app) for side, app in found]
            namespaces = _namespaces(name, old_apps, new_apps)
            if len(mine) == 2 and mine[0].local == mine[1].local and namespaces[0] == namespaces[1]:
                unchanged.append(mine[1])
                comparison.unchanged.add(name)
                continue
            units[name] = mine
            comparison.namespaces[name] = namespaces
            comparison.sides[name] = {}
            comparison.present[name] = {unit.side for unit in mine}
        if on_start is not None:
            on_start(sorted(units))
        engine = Engine(space)
        changed = [unit for name in sorted(units) for unit in units[name]]
        if kept is not None:  # every Application, in one queue (the heaviest first)
            engine.run([*changed, *unchanged], comparison.built, comparison.memo)
        else:
            engine.run(changed, comparison.built, comparison.memo)
            if comparison.sides and unchanged:  # a kind's scope is still unknown: the unchanged may tell it
                engine.run(unchanged, comparison.built, comparison.memo, stop=lambda: not comparison.sides)
        comparison.everything_known = True
        comparison.flush()
    return Diff(applications=tuple(comparison.results), not_built=skipped, built=True)


def not_built(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[NotBuilt, ...]:
    """The Applications left out of the resource level: those not built on one side or the other (a Helm
    chart, say), with the reason of the new side where both have one."""
    found: dict[str, NotBuilt] = {}
    for tree in (old, new):
        found.update((app.name, NotBuilt(app.name, app.reason)) for app in applications(tree).values()
                     if app.folder is None)
    return tuple(sorted(found.values(), key=lambda item: item.application))


def _namespaces(name: str, old_apps: Mapping[str, Application], new_apps: Mapping[str, Application]) -> tuple[str, str]:
    """The default namespaces of an Application's resources on each side, as ``diff_resources`` picks them."""
    old = old_apps[name].namespace if name in old_apps else None
    new = new_apps[name].namespace if name in new_apps else None
    return (old if old is not None else new or ""), (new if new is not None else old or "")
