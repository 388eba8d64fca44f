"""argoflow-gen benchmarks: each figure with its target, and ratios against baselines measured in the same run.

Run: .venv/bin/python bench/run.py [--quick] [--skip-build] [--rounds N]
Not part of the test run. --skip-build leaves out the kustomize builds (minutes on two cores); --rounds sets how
many times each `diff --build` figure is taken (bench/diff_speed.py, median reported).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KUSTOMIZE_OFFLINE = SHARED / "upstream" / "kustomize-offline"
ARGOFLOW = SHARED / "anchors" / "argoflow"
CLI = [sys.executable, "-m", "argoflow_gen"]
#: The fork the benchmarks render for (preset:base leaves an example URL that validation refuses).
FORK = "spec.repo.url=https://git.acme.internal/platform/kubeflow-gitops.git"
RESULTS: list[tuple[str, str, str, bool]] = []


def report(name: str, value: str, target: str, ok: bool) -> None:
    RESULTS.append((name, value, target, ok))
    print(f"{'ok  ' if ok else 'MISS'}  {name}: {value}  (target {target})", flush=True)


def median_time(func: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def wall(command: list[str], repeat: int, cwd: Path | None = None, prepare: Callable[[], None] | None = None
         ) -> float:
    times = []
    for _ in range(repeat):
        if prepare:
            prepare()
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_render_in_process(repeat: int) -> None:
    import argoflow_gen

    profile = argoflow_gen.load_profile("preset:full", overrides=[FORK, "spec.kubeflow.version=1.11.0"])
    argoflow_gen.render(profile)  # templates loaded, catalog read
    seconds = median_time(lambda: argoflow_gen.render(profile), repeat)
    report("render of preset:full at 1.11.0, in process (median)", f"{seconds * 1000:.1f} ms", "<= 20 ms",
           seconds <= 0.020)


def argoflow_sed_baseline(work: Path) -> float:
    """ArgoFlow's setup: a copy of its tree, then one grep|xargs sed pass per line of setup.conf."""
    pairs = []
    for line in (ARGOFLOW / "examples" / "setup.conf").read_text().splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            pairs.append((key, value.replace("|", r"\|").replace("&", r"\&")))
    script = "set -e\ncp -r {src} {dst}\ncd {dst}\n".format(src=ARGOFLOW / "distribution", dst="tree")
    for key, value in pairs:
        script += f"grep -rli '{key}' . | xargs -r sed -i 's|{key}|{value}|g'\n"

    def prepare() -> None:
        shutil.rmtree(work / "tree", ignore_errors=True)

    return wall(["bash", "-c", script], 7, cwd=work, prepare=prepare)


def bench_process(work: Path, repeat: int) -> None:
    target = work / "fork"

    def fresh() -> None:
        shutil.rmtree(target, ignore_errors=True)

    seconds = wall([*CLI, "render", "preset:full", "--set", FORK, "-o", str(target), "--quiet"], repeat,
                   prepare=fresh)
    baseline = argoflow_sed_baseline(work)
    report("argoflow-gen render preset:full into an empty folder (process, median)", f"{seconds:.3f} s",
           "<= 0.35 s", seconds <= 0.35)
    report("  ratio to ArgoFlow's setup (cp + grep|sed per setup.conf line), same run",
           f"{seconds / baseline:.2f} ({baseline:.3f} s baseline)", "<= 1.0", seconds / baseline <= 1.0)
    version = wall([*CLI, "--version"], repeat)
    report("argoflow-gen --version (process, median)", f"{version:.3f} s", "<= 0.15 s", version <= 0.15)
    fresh()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([*CLI, "render", "preset:full", "--set", FORK, "-o", str(target), "--quiet"], check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    megabytes = max(peak, before) / 1024
    report("peak memory of that process (max RSS of children)", f"{megabytes:.0f} MB", "<= 80 MB",
           megabytes <= 80)


def bench_writing(work: Path, repeat: int) -> None:
    import argoflow_gen

    profile = argoflow_gen.load_profile("preset:full", overrides=[FORK])
    argoflow_gen.render(profile)
    sample = work / "sample"
    argoflow_gen.render(profile).write(sample)

    def render_write() -> None:
        shutil.rmtree(work / "w", ignore_errors=True)
        argoflow_gen.render(profile).write(work / "w")

    def copy() -> None:
        shutil.rmtree(work / "c", ignore_errors=True)
        shutil.copytree(sample, work / "c")

    first = median_time(render_write, repeat)
    floor = median_time(copy, repeat)
    report("render + write of preset:full into an empty folder (median)", f"{first * 1000:.1f} ms",
           "<= 3x copytree", first <= 3 * floor)
    report("  ratio to shutil.copytree of the same tree, same run", f"{first / floor:.2f} ({floor * 1000:.1f} ms)",
           "<= 3.0", first / floor <= 3.0)
    stamps = {p: p.stat().st_mtime_ns for p in (work / "w").rglob("*") if p.is_file()}
    again = median_time(lambda: argoflow_gen.render(profile).write(work / "w"), repeat)
    untouched = stamps == {p: p.stat().st_mtime_ns for p in stamps}
    report("re-render of an unchanged tree (median)", f"{again * 1000:.1f} ms, files rewritten: "
           f"{'none' if untouched else 'some'}", "no rewrite, faster than the first", untouched and again < first)


def bench_fleet(work: Path) -> None:
    """N clusters on one base: each loaded (shared layers are parsed once per process), rendered and written.

    Load and render are timed in CPU seconds of this process as well as wall seconds: on a shared machine the
    wall clock mostly measures the other processes. Each cluster writes its whole tree; writing the folders
    clusters share once is the fleet command's job.
    """
    import argoflow_gen

    base = work / "fleet-base.yaml"
    base.write_text(
        "apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {name: fleet}\nextends: [preset:full]\n"
        "spec:\n  repo: {url: https://git.acme.internal/platform/kubeflow-gitops.git}\n"
        "  notebooks:\n    culling: {enabled: true, idleMinutes: 240}\n"
    )
    argoflow_gen.render(argoflow_gen.load_profile(str(base)))  # shared work: schema, catalog, templates
    cpu: dict[int, float] = {}
    for count in (50, 100, 200):
        folder = work / f"fleet-{count}"
        folder.mkdir()
        files = []
        for index in range(count):
            cluster = folder / f"cluster-{index}.yaml"
            cluster.write_text(
                f"apiVersion: argoflow-gen/v1alpha1\nkind: Profile\nmetadata: {{name: cluster-{index}}}\n"
                f"extends: [../fleet-base.yaml]\nspec:\n  repo: {{path: clusters/c{index}}}\n"
                f"  ingress: {{domain: c{index}.ml.example.com}}\n"
            )
            files.append(cluster)
        wall_rendering = cpu_rendering = writing = 0.0
        for index, cluster in enumerate(files):
            started, started_cpu = time.perf_counter(), time.process_time()
            tree = argoflow_gen.render(argoflow_gen.load_profile(str(cluster)))
            rendered, rendered_cpu = time.perf_counter(), time.process_time()
            tree.write(folder / "out" / f"c{index}")
            wall_rendering += rendered - started
            cpu_rendering += rendered_cpu - started_cpu
            writing += time.perf_counter() - rendered
        cpu[count] = cpu_rendering
        report(f"fleet of {count} profiles on one base: load and render each (CPU; wall), then write each whole tree "
               f"(wall) (load average {os.getloadavg()[0]:.1f})",
               f"{cpu_rendering / count * 1000:.1f} ms; {wall_rendering / count * 1000:.1f} ms per profile, "
               f"writing {writing / count * 1000:.1f} ms", "<= 15 ms per profile to load and render",
               cpu_rendering / count <= 0.015)
    slope = (cpu[200] - cpu[50]) / 150
    growth = (cpu[200] / 200) / (cpu[50] / 50)
    report("  load and render per additional profile (50 -> 200, CPU), and per-profile growth",
           f"{slope * 1000:.1f} ms, x{growth:.2f}", "<= 15 ms, linear (x ~1)", slope <= 0.015 and growth <= 1.3)


def bench_diff(work: Path) -> None:
    import argoflow_gen
    from argoflow_gen.diff import build_tree, diff_resources

    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    gitconfig = work / "offline.gitconfig"
    gitconfig.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], check=True, capture_output=True,
                                        text=True).stdout)
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    trees = {version: argoflow_gen.render(argoflow_gen.load_profile(
        "preset:base", overrides=[FORK, f"spec.kubeflow.version={version}"])) for version in ("1.10.2", "1.11.0")}
    built = {version: build_tree(tree, kustomize=str(KUSTOMIZE_OFFLINE)) for version, tree in trees.items()}
    counts = {v: sum(len(m) for m in b.manifests.values()) for v, b in built.items()}
    seconds = median_time(lambda: diff_resources(built["1.10.2"].manifests, built["1.11.0"].manifests), 5)
    report(f"semantic diff of built manifests, 1.10.2 -> 1.11.0 ({counts['1.10.2']} and {counts['1.11.0']} "
           "resources, kustomize excluded)", f"{seconds:.3f} s", "<= 0.5 s", seconds <= 0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip-build", action="store_true", help="leave out the kustomize builds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of each diff --build figure (default 5)")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    with tempfile.TemporaryDirectory(prefix="argoflow-gen-bench-") as folder:
        work = Path(folder)
        bench_render_in_process(repeat * 4)
        bench_process(work, repeat)
        bench_writing(work, repeat)
        bench_fleet(work)
        if not args.skip_build:
            bench_diff(work)
            import diff_speed

            diff_speed.main(report, rounds=args.rounds or (2 if args.quick else 5))
    missed = [name for name, _value, _target, ok in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(missed)} of {len(RESULTS)} figures within target" +
          (f"; missed: {'; '.join(m.strip() for m in missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
