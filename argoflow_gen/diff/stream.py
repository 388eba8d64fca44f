"""A text or json report written while the diff is built, equal to the report of the final Diff.

The head goes out as soon as the files are compared; then each group, as soon as it and every group before
it in report order are known (an Application being built is known once its two builds are compared); then
the tail. What ``ReportStream`` writes is, byte for byte, ``layout.render`` of the Diff ``compare`` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .formats import Layout
from .model import REPOSITORY, ApplicationDiff, Diff


def _report_order(names: set[str]) -> list[str]:
    ordered = sorted(name for name in names if name != REPOSITORY)
    return [*ordered, REPOSITORY] if REPOSITORY in names else ordered


class ReportStream:
    """A ``compare`` listener that writes a report through ``write`` as the diff goes."""

    def __init__(self, write: Callable[[str], None], layout: Layout) -> None:
        self.write = write
        self.layout = layout
        self.base = Diff()
        self.waiting: set[str] | None = None  # the Applications being compared, once told
        self.compared: dict[str, ApplicationDiff | None] = {}
        self.order: list[str] = []
        self.cursor = 0
        self.written: list[str] = []

    def files(self, diff: Diff) -> None:
        """The file level (with ``built`` and ``not_built`` as the final Diff will have them): the head."""
        self.base = diff
        self.write(self.layout.head(diff))

    def pending(self, names: Sequence[str]) -> None:
        """The Applications whose resources are being compared."""
        self.waiting = set(names)
        self.order = _report_order({change.application for change in self.base.files} | self.waiting)
        self._flush()

    def application(self, name: str, changes: ApplicationDiff | None) -> None:
        """One Application compared: ``changes`` None when its resources are the same."""
        self.compared[name] = changes
        self._flush()

    def finished(self, diff: Diff) -> None:
        """The final Diff: the groups not written yet, then the tail."""
        for group in diff.groups():
            if group not in self.written:
                self._group(diff, group)
        self.write(self.layout.tail(diff))

    def _flush(self) -> None:
        if self.waiting is None:
            return
        while self.cursor < len(self.order):
            name = self.order[self.cursor]
            if name in self.waiting and name not in self.compared:
                return
            changes = self.compared.get(name)
            partial = replace(self.base, applications=(changes,) if changes is not None else ())
            if name in partial.groups():
                self._group(partial, name)
            self.cursor += 1

    def _group(self, diff: Diff, name: str) -> None:
        self.write(self.layout.group(diff, name, not self.written))
        self.written.append(name)
