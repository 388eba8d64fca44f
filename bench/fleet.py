"""Fleet benchmark: render + write a fleet of 50, 100 and 200 clusters on one base, in process.

Run: .venv/bin/python bench/fleet.py [--sizes 50,100,200]
Reports the CPU time per additional cluster (50 -> largest), its growth (the slope from the middle size to the
largest over the slope from the smallest to the middle: 1.0 is linear), and the bytes written per cluster.
Targets (issue: fleets): <= 15 ms per additional cluster, growth 1.0-1.2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fleet"


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


def measure(size: int, work: Path, rounds: int = 3) -> tuple[float, float, int]:
    """The least CPU time of ``rounds`` renders and writes (a fresh folder each), and the bytes written."""
    source = work / f"src-{size}"
    source.mkdir()
    fleet_file = make_fleet(source, size)
    runs = [_once(fleet_file, work / f"out-{size}-{index}") for index in range(rounds)]
    return min(run[0] for run in runs), min(run[1] for run in runs), runs[0][2]


def _once(fleet_file: Path, output: Path) -> tuple[float, float, int]:
    from argoflow_gen.fleet import load_fleet, render_fleet

    start = time.process_time()  # CPU time: a loaded machine's wall clock measures its neighbours
    tree = render_fleet(load_fleet(fleet_file))
    rendered = time.process_time()
    tree.write(output)
    written = time.process_time()
    return rendered - start, written - rendered, sum(len(text.encode("utf-8")) for text in tree.files.values())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,100,200")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        measure(20, work, rounds=2)  # warm up: imports, templates, the validation cache, the writer
        results = {size: measure(size, work) for size in sizes}
    for size, (render, write, size_bytes) in results.items():
        print(f"{size:5} clusters: render {render * 1000:7.0f} ms, write {write * 1000:7.0f} ms, "
              f"{size_bytes / 1e6:5.1f} MB ({size_bytes / size / 1e3:.0f} kB per cluster)")
    small, middle, large = sizes[0], sizes[len(sizes) // 2], sizes[-1]
    for label, index in (("render", 0), ("render + write", None)):
        def cost(size: int, index: int | None = index) -> float:
            return results[size][0] + results[size][1] if index is None else results[size][index]

        per = (cost(large) - cost(small)) / (large - small) * 1000
        first = (cost(middle) - cost(small)) / (middle - small)
        second = (cost(large) - cost(middle)) / (large - middle)
        growth = second / first if first > 0 else float("nan")
        print(f"{'ok  ' if per <= 15 else 'MISS'}  {label}: {per:.1f} ms per additional cluster (target <= 15 ms); "
              f"growth x{growth:.2f} ({'ok' if 0.8 <= growth <= 1.2 else 'MISS'}: 1.0-1.2 is linear)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
