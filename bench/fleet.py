"""Fleet benchmark: render + write a fleet of 50, 100 and 200 clusters on one base, in process.

Run: .venv/bin/python bench/fleet.py [--sizes 50,100,200] [--rounds 3]

Target (fleets): render + write <= 15 ms of CPU per additional cluster from the smallest size to the largest,
growing linearly: growth x1.0-1.2, the slope from the middle size to the largest over the slope from the smallest
to the middle.

Three writes are timed, each the least CPU time (user + system) of the rounds; the rounds go through the sizes in
turn, so that a burst of load elsewhere falls on every size alike:

- ``first``: render, and write into a folder that does not exist yet (one folder built and renamed into place);
- ``again``: a change to the shared base (every cluster's files change), rendered against the first write and
  written into it (the journaled write: staged, committed, moved into place, under the folder lock);
- ``floor``: the same files and folders as ``first`` created with bare ``os.mkdir``/``open`` and nothing else,
  just before it: what the file system alone costs on this machine. ``write / floor`` is the writer's share.

Nothing is deleted until every round is done (a deletion's deferred work would fall on the next write).

System time is most of a write on a loaded machine (the kernel's cost per file and folder), so user and system
CPU are printed apart.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fleet"
TARGET_MS = 15.0
GROWTH = (1.0, 1.2)


def make_fleet(folder: Path, size: int) -> Path:
    """A fleet of ``size`` clusters on the example's base: the hub, and remote clusters that differ only in
    their domain (and every tenth in culling)."""
    shutil.copy(EXAMPLE / "base.yaml", folder / "base.yaml")
    lines = ["apiVersion: argoflow-gen/v1alpha1", "kind: Fleet", "metadata: {name: bench}", "spec:",
             "  base: [base.yaml]", "  hub: c0000", "  clusters:"]
    for index in range(size):
        name = f"c{index:04d}"
        culling = "  notebooks: {culling: {enabled: true}}\n" if index % 10 == 9 else ""
        (folder / f"{name}.yaml").write_text(
            f"apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {{name: {name}}}\nspec:\n"
            f"  ingress: {{domain: {name}.kf.acme.internal}}\n{culling}")
        lines.append(f"    - name: {name}\n      layers: [{name}.yaml]\n      labels: {{env: e{index % 3}}}")
        if index:
            lines.append(f"      server: https://{name}.k8s.acme.internal\n"
                         f"      credentials: {{existingSecret: {name}}}")
    (folder / "fleet.yaml").write_text("\n".join(lines) + "\n")
    return folder / "fleet.yaml"


def _change_base(folder: Path, round_: int) -> None:
    """A change every cluster renders: the base's users gain one."""
    base = folder / "base.yaml"
    text = base.read_text()
    assert text.rstrip().endswith("key: ada}"), "the example's base no longer ends with its users"
    base.write_text(text + f"      - email: user{round_}@acme.example\n        username: user{round_}\n"
                    f"        passwordHashFrom: {{existingSecret: dex-static-passwords, key: user{round_}}}\n")


@dataclass
class Cost:
    """CPU seconds, user and system."""

    user: float = float("inf")
    system: float = float("inf")

    @property
    def total(self) -> float:
        return self.user + self.system

    def least(self, other: Cost) -> Cost:
        return other if other.total < self.total else self


def _cpu(work: Callable[[], object]) -> Cost:
    before = os.times()
    work()
    after = os.times()  # CPU time: a loaded machine's wall clock measures its neighbours
    return Cost(after.user - before.user, after.system - before.system)


def _floor(files: Mapping[str, str], output: Path) -> None:
    """The same files and folders, with bare system calls."""
    made: set[str] = set()
    for relative, text in files.items():
        path = f"{output}/{relative}"
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


@dataclass
class Figures:
    render: Cost
    first: Cost
    again_render: Cost
    again: Cost
    floor: Cost
    files: int = 0
    folders: int = 0
    size_bytes: int = 0


def _round(size: int, work: Path, round_: int, figures: Figures | None) -> Figures:
    from argoflow_gen.fleet import load_fleet, render_fleet
    from argoflow_gen.planner import read_generated

    source = work / f"src-{size}-{round_}"
    source.mkdir()
    fleet_file = make_fleet(source, size)
    output = work / f"out-{size}-{round_}"
    trees = []
    render = _cpu(lambda: trees.append(render_fleet(load_fleet(fleet_file))))
    tree = trees[-1]
    floor = _cpu(lambda: _floor({**tree.files, **tree.seeds}, work / f"floor-{size}-{round_}"))
    first = _cpu(lambda: tree.write(output))
    _change_base(source, round_)
    again_render = _cpu(lambda: trees.append(render_fleet(load_fleet(fleet_file), previous=read_generated(output))))
    changed = trees[-1]
    again = _cpu(lambda: changed.write(output))
    paths = [*tree.files, *tree.seeds]
    folders = {"/".join(path.split("/")[:depth]) for path in paths for depth in range(1, path.count("/") + 1)}
    measured = Figures(render, first, again_render, again, floor, len(paths), len(folders),
                       sum(len(text.encode("utf-8")) for text in tree.files.values()))
    if figures is None:
        return measured
    for name in ("render", "first", "again_render", "again", "floor"):
        setattr(figures, name, getattr(figures, name).least(getattr(measured, name)))
    return figures


def _slope(results: Mapping[int, Figures], pick: Callable[[Figures], float]) -> tuple[float, float]:
    """(ms per additional cluster from the smallest size to the largest, growth)."""
    sizes = sorted(results)
    small, middle, large = sizes[0], sizes[len(sizes) // 2], sizes[-1]
    per = (pick(results[large]) - pick(results[small])) / (large - small) * 1000
    first = (pick(results[middle]) - pick(results[small])) / (middle - small)
    second = (pick(results[large]) - pick(results[middle])) / (large - middle)
    return per, (second / first if first > 0 else float("nan"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if len(sizes) < 3:
        parser.error("--sizes needs three sizes or more (growth compares two slopes)")
    sys.path.insert(0, str(ROOT))
    results: dict[int, Figures] = {}
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        _round(20, work, -1, None)  # warm up: imports, templates, the validation cache, the writer
        for round_ in range(args.rounds):
            for size in sizes:
                results[size] = _round(size, work, round_, results.get(size))
    print(f"CPU ms (user + system), least of {args.rounds} rounds")
    for size, figures in results.items():
        print(f"{size:5} clusters: render {figures.render.total * 1000:6.0f}, "
              f"write {figures.first.total * 1000:6.0f} ({figures.first.user * 1000:.0f} + "
              f"{figures.first.system * 1000:.0f}), floor {figures.floor.total * 1000:6.0f}; again: render "
              f"{figures.again_render.total * 1000:6.0f}, write {figures.again.total * 1000:6.0f} "
              f"({figures.again.user * 1000:.0f} + {figures.again.system * 1000:.0f}); "
              f"{figures.files / size:.0f} files and {figures.folders / size:.0f} folders, "
              f"{figures.size_bytes / size / 1e3:.0f} kB per cluster")
    rows: list[tuple[str, Callable[[Figures], float], bool]] = [
        ("render", lambda f: f.render.total, False),
        ("render + write", lambda f: f.render.total + f.first.total, True),
        ("render + write again", lambda f: f.again_render.total + f.again.total, True),
        ("write (user)", lambda f: f.first.user, False),
        ("write (system)", lambda f: f.first.system, False),
        ("floor: bare mkdir/open", lambda f: f.floor.total, False),
    ]
    print(f"per additional cluster, {sizes[0]} -> {sizes[-1]} (target: render + write <= {TARGET_MS:.0f} ms, "
          f"growth x{GROWTH[0]}-{GROWTH[1]})")
    for label, pick, targeted in rows:
        per, growth = _slope(results, pick)
        verdict = ("ok  " if per <= TARGET_MS and GROWTH[0] - 0.2 <= growth <= GROWTH[1] else "MISS") \
            if targeted else "    "
        print(f"{verdict} {label:24} {per:6.1f} ms  growth x{growth:.2f}")
    write, floor = (sum(getattr(results[size], name).total for size in sizes) for name in ("first", "floor"))
    print(f"     first write / floor: x{write / floor:.2f} (the writer's overhead over the file system's own cost)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
