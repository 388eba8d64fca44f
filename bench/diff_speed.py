"""Benchmarks of `diff --build`, each a ratio to one monolithic kustomize build measured in the same run.

The baseline is one `kustomize-offline` build of upstream's whole example at the same tag (a kustomization
naming https://github.com/kubeflow/manifests//example?ref=v1.11.0): the floor of "build everything once".
Each round times, in turn, the baseline and every case, so that all of them share the machine's load; a
ratio is the median over the rounds of each round's ratio. Every run of argoflow-gen is a whole process (the
CLI, its modules' bytecode cached as an installed package's is, even where PYTHONDONTWRITEBYTECODE is set);
its peak memory is the largest sum of the resident sets of the process and all its children (kustomize,
git), sampled from /proc every 20 ms.

Run: .venv/bin/python bench/diff_speed.py [--rounds N]   (bench/run.py runs it unless --skip-build)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_OFFLINE = ROOT.parent / "shared" / "upstream" / "kustomize-offline"
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
CLI = [sys.executable, "-m", "argoflow_gen"]
PAGE = os.sysconf("SC_PAGE_SIZE")

Report = Callable[[str, str, str, bool], None]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _tree_rss(pid: int) -> int:
    """The resident bytes of ``pid`` and all its descendants."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
        stack.extend(_children(current))
    return total


def measure(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak resident memory of the process tree of ``command`` (which may exit 0 or 1)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not finished.is_set():
            peak = max(peak, _tree_rss(process.pid))
            finished.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = process.communicate()
    seconds = time.perf_counter() - start
    finished.set()
    sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode()[-3000:]}")
    return seconds, peak


def main(report: Report | None = None, rounds: int = 5) -> None:
    report = report or (lambda name, value, target, ok: print(f"{'ok  ' if ok else 'MISS'}  {name}: {value}  "
                                                                 f"(target {target})", flush=True))
    with tempfile.TemporaryDirectory(prefix="argoflow-gen-bench-diff-") as folder:
        work = Path(folder)
        gitconfig = work / "offline.gitconfig"
        gitconfig.write_text(subprocess.run([str(KUSTOMIZE_OFFLINE), "--gitconfig"], check=True,
                                            capture_output=True, text=True).stdout)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
               "PYTHONPYCACHEPREFIX": str(work / "pycache")}  # compiled once, as an installed package is
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        example = work / "example"
        example.mkdir()
        (example / "kustomization.yaml").write_text(
            "resources:\n- https://github.com/kubeflow/manifests//example?ref=v1.11.0\n")
        diff = [*CLI, "diff", "--build", "-q"]  # the default kustomize command; git reaches the bundles
        one_key = [*diff, "--old", str(QUICKSTART), "--new", str(QUICKSTART),
                   "--set", "spec.ingress.serviceType=LoadBalancer"]
        bump = [*diff, "--old", str(QUICKSTART), "--old-set", "spec.kubeflow.version=1.10.2", "--new", str(QUICKSTART)]
        warm = work / "warm-cache"
        measure([*one_key, "--cache-dir", str(warm)], env, work)  # fills the warm cache
        figures: dict[str, list[tuple[float, int]]] = {name: [] for name in ("mono", "cold", "warm", "bump")}
        loads = []
        for index in range(rounds):
            loads.append(os.getloadavg()[0])
            figures["mono"].append(measure([str(KUSTOMIZE_OFFLINE), str(example)], env, work))
            cold = work / f"cold-{index}"
            figures["cold"].append(measure([*one_key, "--cache-dir", str(cold)], env, work))
            figures["warm"].append(measure([*one_key, "--cache-dir", str(warm)], env, work))
            shutil.rmtree(cold)
            figures["bump"].append(measure([*bump, "--cache-dir", str(cold)], env, work))
            shutil.rmtree(cold)
            print(f"  round {index + 1}/{rounds}: " + ", ".join(
                f"{name} {values[-1][0]:.1f} s {values[-1][1] >> 20} MiB" for name, values in figures.items())
                  + f" (load {loads[-1]:.1f})", flush=True)
        seconds = {name: statistics.median(value[0] for value in values) for name, values in figures.items()}
        peaks = {name: statistics.median(value[1] for value in values) / (1 << 20) for name, values in figures.items()}
        top = {name: max(value[1] for value in values) / (1 << 20) for name, values in figures.items()}
        load = f"load average {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
        report(f"monolithic kustomize build of upstream's example at v1.11.0 (median of {rounds}, {load})",
               f"{seconds['mono']:.1f} s, {peaks['mono']:.0f} MiB", "the baseline", True)
        for name, label, target in (
                ("cold", "one-key change (spec.ingress.serviceType), diff --build, cold cache", 0.3),
                ("warm", "one-key change, diff --build, warm cache", 0.1),
                ("bump", "release bump 1.11.0 -> 1.10.2 of the quickstart, diff --build, cold cache", 1.5)):
            # each round's ratio shares that round's load with its baseline; the median of the rounds' ratios
            ratios = [case[0] / mono[0] for case, mono in zip(figures[name], figures["mono"], strict=True)]
            ratio = statistics.median(ratios)
            report(f"{label} (median of {rounds} rounds' ratios)",
                   f"{ratio:.2f}x (rounds {', '.join(f'{r:.2f}' for r in ratios)}; {seconds[name]:.1f} s)",
                   f"<= {target}x", ratio <= target)
        report("  peak memory of that release-bump diff, process tree (median; highest)",
               f"{peaks['bump']:.0f} MiB; {top['bump']:.0f} MiB", "<= 350 MiB", peaks["bump"] <= 350)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    main(rounds=parser.parse_args().rounds)
