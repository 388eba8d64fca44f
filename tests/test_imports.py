"""The import rules the architecture depends on (ARCHITECTURE.md), checked on the source: no module imports in a
circle (late imports inside functions and imports for type checking count too), only the CLI imports click, only
``yamlio`` imports ruamel.yaml, each layer imports only the layers below it, and no module passes 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "argoflow_gen"
MAX_LINES = 400
#: Third-party packages only one place may import: the package (or module) that owns each.
OWNERS = {"click": "argoflow_gen.cli", "ruamel": "argoflow_gen.yamlio", "ryaml": "argoflow_gen.yamlio"}
#: Lowest first: a module imports only modules of its own layer or of the layers below it. A module not listed
#: (errors, yamlio, catalog, profile, tree, writer, ...) is in the bottom layer; the package's ``__init__``, the
#: public facade, is above them all.
LAYERS = (
    (),
    ("argoflow_gen.loader", "argoflow_gen.layers", "argoflow_gen.setexpr", "argoflow_gen.schema", "argoflow_gen.rules"),
    ("argoflow_gen.rendering",),
    ("argoflow_gen.api", "argoflow_gen.regenerate", "argoflow_gen.starter", "argoflow_gen.diff",
     "argoflow_gen.upgrade", "argoflow_gen.verify", "argoflow_gen.fleet", "argoflow_gen.vendor",
     "argoflow_gen.migrate"),
    ("argoflow_gen.cli", "argoflow_gen.__main__"),
)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    imports: frozenset[str]  # modules of the package, by name
    external: frozenset[str]  # top-level names of other packages
    lines: int


def modules(root: Path, package: str = PACKAGE) -> dict[str, Module]:
    """Every module of ``package`` under ``root``, with what it imports, anywhere in its body."""
    paths = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    found = {}
    for name, path in paths.items():
        text = path.read_text(encoding="utf-8")
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        internal: set[str] = set()
        external: set[str] = set()
        for target in _imports(ast.parse(text, str(path)), here):
            if target.split(".")[0] != package:
                external.add(target.split(".")[0])
                continue
            while target not in paths:  # from .x import a function: the module is x
                target = target.rpartition(".")[0]
            if target != name:
                internal.add(target)
        found[name] = Module(name, path, frozenset(internal), frozenset(external), len(text.splitlines()))
    return found


def _imports(tree: ast.AST, here: list[str]) -> Iterator[str]:
    """Each imported module (or module attribute: ``package.module.name``), relative imports made absolute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*here[: len(here) - node.level + 1], *([node.module] if node.module else [])])
            yield from (f"{base}.{alias.name}" for alias in node.names)


def cycles(found: Mapping[str, Module]) -> list[list[str]]:
    """The import circles: each set of modules that reach one another (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in sorted(found[name].imports):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            members = stack[stack.index(name):]
            del stack[stack.index(name):]
            if len(members) > 1:
                circles.append(sorted(members))

    for name in sorted(found):
        if name not in index:
            visit(name)
    return sorted(circles)


def _within(name: str, owner: str) -> bool:
    return name == owner or name.startswith(owner + ".")


def misplaced_imports(found: Mapping[str, Module], owners: Mapping[str, str] = OWNERS) -> list[str]:
    """``module imports package``, for each import of a package outside the module that owns it."""
    return [f"{name} imports {package}" for name, module in sorted(found.items())
            for package, owner in sorted(owners.items()) if package in module.external and not _within(name, owner)]


def _layer(name: str, layers: tuple[tuple[str, ...], ...]) -> int:
    if name == PACKAGE:
        return len(layers)
    return next((level for level, members in enumerate(layers) if any(_within(name, m) for m in members)), 0)


def upward_imports(found: Mapping[str, Module], layers: tuple[tuple[str, ...], ...] = LAYERS) -> list[str]:
    """``module imports module``, for each import of a module in a higher layer."""
    return [f"{name} imports {target}" for name, module in sorted(found.items()) for target in sorted(module.imports)
            if _layer(target, layers) > _layer(name, layers)]


def long_modules(found: Mapping[str, Module], limit: int = MAX_LINES) -> list[str]:
    return [f"{name}: {module.lines} lines" for name, module in sorted(found.items()) if module.lines > limit]


# ----------------------------------------------------------------------------------------------- the package


@pytest.fixture(scope="module")
def package() -> dict[str, Module]:
    return modules(ROOT)


def test_no_module_imports_in_a_circle(package: dict[str, Module]) -> None:
    assert cycles(package) == []


def test_only_the_cli_imports_click_and_only_yamlio_imports_ruamel(package: dict[str, Module]) -> None:
    assert misplaced_imports(package) == []
    for third_party, owner in OWNERS.items():  # and each owner does import it: the rule names real modules
        assert any(third_party in module.external for name, module in package.items() if _within(name, owner))


def test_each_layer_imports_only_the_layers_below(package: dict[str, Module]) -> None:
    assert upward_imports(package) == []


def test_no_module_passes_400_lines(package: dict[str, Module]) -> None:
    assert long_modules(package) == []


def test_nothing_in_the_package_imports_the_package_itself(package: dict[str, Module]) -> None:
    """The package's ``__init__`` is the public facade over every stage: a module importing it closes a circle."""
    assert [name for name, module in package.items() if PACKAGE in module.imports] == []


# ----------------------------------------------------------------------------------------------- the checker


def _write(root: Path, files: Mapping[str, str]) -> dict[str, Module]:
    for relative, text in files.items():
        path = root / "pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return modules(root, "pkg")


def test_a_late_import_still_closes_a_circle(tmp_path: Path) -> None:
    found = _write(tmp_path, {
        "__init__.py": "",
        "r/__init__.py": "",
        "r/auth.py": "def f():\n    from .flows import g\n    return g\n",
        "r/flows.py": "from . import auth\n",
        "r/context.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sealed import S\n",
        "r/sealed.py": "from .random import R\n",
        "r/random.py": "from .context import C\n",
        "r/leaf.py": "from .. import r\n",
    })

    assert cycles(found) == [["pkg.r.auth", "pkg.r.flows"], ["pkg.r.context", "pkg.r.random", "pkg.r.sealed"]]


def test_owned_packages_and_layers_and_lengths_are_checked(tmp_path: Path) -> None:
    found = _write(tmp_path, {
        "__init__.py": "",
        "cli/__init__.py": "import click\n",
        "cli/render.py": "from click import command\n",
        "diff/command.py": "import click\nfrom ..cli import render\n",
        "yamlio.py": "from ruamel.yaml import YAML\n",
        "merge.py": "def f():\n    import ruamel.yaml\n" + "\n" * 400,
    })

    assert misplaced_imports(found, {"click": "pkg.cli", "ruamel": "pkg.yamlio"}) == [
        "pkg.diff.command imports click", "pkg.merge imports ruamel"]
    assert upward_imports(found, (("pkg.diff",), ("pkg.cli",))) == ["pkg.diff.command imports pkg.cli.render"]
    assert long_modules(found) == ["pkg.merge: 402 lines"]


def test_every_package_of_the_source_is_in_the_wheel() -> None:
    """A sub-package missing from pyproject's list installs from the source tree but not from the wheel."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / PACKAGE).rglob("__init__.py")
             if "__pycache__" not in path.parts}
    assert found - listed == set()
