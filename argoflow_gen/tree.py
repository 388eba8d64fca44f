"""The rendered tree: relative path -> text, held in memory until it is written or compared."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .planner import Plan, plan
from .writer import write_tree


@dataclass(frozen=True)
class Tree(Mapping[str, str]):
    """Every file of a render. ``files`` are owned by the generator and rewritten by every render;
    ``seeds`` are written once, when missing, and belong to the user from then on. ``findings`` are security
    findings of the render (a sealed value replaced by hand), ``warnings`` what the user should know."""

    files: Mapping[str, str]
    seeds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    findings: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __getitem__(self, path: str) -> str:
        if path in self.files:
            return self.files[path]
        return self.seeds[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self.files, *self.seeds}))

    def __len__(self) -> int:
        return len({*self.files, *self.seeds})

    def plan(self, directory: str | Path) -> Plan:
        """What writing this tree into ``directory`` would do; writes nothing."""
        return plan(self.files, self.seeds, Path(directory))

    def write(self, directory: str | Path, *, force: bool = False) -> Plan:
        """Write the tree into ``directory`` as one transaction (see ``argoflow_gen.writer``)."""
        return write_tree(self.files, self.seeds, Path(directory), force=force)
