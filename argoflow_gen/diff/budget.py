"""How builds share the machine: ``jobs`` of them at once, and with a memory budget, within it.

Builds wait in a queue, the ones that read the most first. Without a budget, each free lane takes the next.
With one (bytes for the whole run: argoflow-gen and every build it runs at once), lanes share it: one lane
takes the heaviest build left and the budget the others leave; every other lane takes the lightest build
left and a small share (LIGHT). Each build's share is its soft limit (Go's ``GOMEMLIMIT``, which kubectl's
kustomize honours): a build that would outgrow it collects its garbage sooner rather than grow past the
budget. A light build never comes near its share; a heavy one has most of the budget; two heavy builds never
run together, and no lane waits for another while builds are left. What argoflow-gen itself takes is counted
at its peak so far, and what it frees after reading each build is given back to the system (``give_back``),
so that the peak stays low.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import resource
import sys
from collections.abc import Callable

MIB = 1 << 20
DEFAULT_BUDGET = 320 * MIB
LIGHT = 100 * MIB  # the share of a light lane
NON_HEAP = 36 * MIB  # kubectl's resident code and runtime, besides its Go heap
MINIMUM_LIMIT = 48 * MIB


def own_memory() -> int:
    """The most this process has been resident so far: a build's share holds for its whole run, during which
    this process may grow back to its peak (reading the next build's output), not only what it holds now."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # kilobytes, but bytes on macOS


def give_back() -> None:
    """Return the memory this process freed to the system (glibc keeps freed memory for reuse: after a build's
    megabytes of text are read and dropped, the resident size would stay up, and the budget left to the builds
    down); nothing where the C library cannot."""
    trim = _trimmer()
    if trim is not None:
        trim(0)


@functools.cache
def _trimmer() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim if name else None  # type: ignore[assignment]
    except (OSError, AttributeError):
        return None
    return trim


class Budget:
    """Which build a free lane takes next, and its share of memory."""

    def __init__(self, total: int | None, jobs: int) -> None:
        self.total = total
        self.jobs = max(jobs, 1)

    def lanes(self) -> range:
        return range(self.jobs)

    def take(self, lane: int) -> tuple[bool, int | None]:
        """For a free ``lane``: whether it takes the heaviest build left (else the lightest), and its share
        (None: no limit)."""
        if self.total is None:
            return True, None
        if lane > 0:
            return False, LIGHT
        return True, max(self.total - own_memory() - (self.jobs - 1) * LIGHT, LIGHT)


def go_limit(share: int | None) -> dict[str, str]:
    """The environment that holds a Go program (kubectl) to ``share`` bytes, unless the user set a limit. The
    limit alone decides when Go collects (``GOGC=off``, unless the user set GOGC): a build that stays within its
    share never collects at all, where Go's default would collect each time its heap doubled."""
    if share is None or "GOMEMLIMIT" in os.environ:
        return {}
    limit = {"GOMEMLIMIT": f"{max(share - NON_HEAP, MINIMUM_LIMIT) // MIB}MiB"}
    return limit if "GOGC" in os.environ else {**limit, "GOGC": "off"}
