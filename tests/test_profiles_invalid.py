"""The corpus of invalid profiles: every failure mode gives exit code 2, no output, and an exact message.

Each case runs ``argoflow-gen render CASE -o OUT`` and ``argoflow-gen validate CASE`` through click's
CliRunner. The message is snapshotted (one text file per case under ``__snapshots__/test_profiles_invalid/``);
a snapshot update is a reviewed change. Committed cases live in ``data/profiles/invalid/`` and run with the
working directory set to ``data/``, so file names in messages are the relative ones a user would type. Cases
that cannot be committed as text (wrong encoding, oversized) or that are about the command line (``--set``)
are generated in a temporary folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from argoflow_gen.cli import cli
from argoflow_gen.layers import read_preset

DATA = Path(__file__).parent / "data"
INVALID = DATA / "profiles" / "invalid"
CORPUS = sorted(path.name for path in INVALID.glob("*.yaml"))

#: The tests' fork, for cases whose layers leave preset:base's placeholder URL (refused on its own) in place.
FORK = ("--set", "spec.repo.url=https://git.acme.internal/platform/kubeflow-gitops.git")
HEADER = "apiVersion: argoflow-gen/v1beta1\nkind: Profile\nmetadata:\n  name: broken\nextends:\n  - preset:base\n"

#: ``FILE:LINE:COL: message``; the message may start with a json path and end with a (hint).
LOCATED = re.compile(r"(?P<file>\S+?):(?P<line>[1-9][0-9]*):(?P<column>[1-9][0-9]*): (?P<rest>\S.*)")
#: ``FILE: message``, only for a file named on the command line that cannot be opened at all.
UNLOCATED = re.compile(r"(?P<file>\S+?): (?P<rest>\S.*)")



# ------------------------------------------------------------------------------------- generated cases


@dataclass(frozen=True)
class Generated:
    """A case built in a temporary folder: files to write, then the arguments before ``-o``."""

    args: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    located: bool = True  # False: a command-line file that cannot be opened, reported as FILE: message


def _oversized() -> bytes:
    head = (HEADER + "# padding follows, to push the file over the 1 MiB limit\n").encode()
    limit = 1024 * 1024
    line = b"#" + b"x" * 98 + b"\n"
    body = line * ((limit + 1 - len(head)) // len(line) + 1)
    return head + body[: limit + 1 - len(head)]


GENERATED: dict[str, Generated] = {
    "non-utf8": Generated(
        ("broken/latin1.yaml",),
        {"broken/latin1.yaml": (HEADER + "spec:\n  ingress:\n    domain: caf\xe9.example.com\n").encode("latin-1")},
    ),
    "utf16": Generated(("broken/utf16.yaml",), {"broken/utf16.yaml": HEADER.encode("utf-16")}),
    "oversized": Generated(("broken/huge.yaml",), {"broken/huge.yaml": _oversized()}),
    "set-without-equals": Generated(("preset:base", "--set", "spec.ingress.domain")),
    "set-empty-key": Generated(("preset:base", "--set", "spec..domain=kf.example.com")),
    "set-number-for-string": Generated(("preset:base", "--set", "spec.kubeflow.version=1.10")),
    "set-second-unknown-key": Generated(
        ("preset:base", "--set", "spec.ingress.domain=kf.example.com", "--set", "spec.ingress.tsl.mode=none", *FORK)
    ),
    "set-enum-typo-over-file": Generated(
        ("cluster.yaml", "--set", "spec.ingress.serviceType=Nodeport", *FORK),
        {"cluster.yaml": (HEADER + "spec:\n  ingress:\n    serviceType: NodePort\n").encode()},
    ),
    "two-files-error-in-first": Generated(
        ("a.yaml", "b.yaml", *FORK),
        {
            "a.yaml": (HEADER + "spec:\n  ingress:\n    serviceType: Loadbalancer\n").encode(),
            "b.yaml": b"spec:\n  ingress:\n    domain: kf.example.com\n",
        },
    ),
    "missing-file": Generated(("missing.yaml",), located=False),
    "folder-not-file": Generated(("folder",), {"folder/keep.yaml": HEADER.encode()}, located=False),
    "unknown-preset-argument": Generated(("preset:ful",), located=False),
}

CASES = [pytest.param(("corpus", name), id=name.removesuffix(".yaml")) for name in CORPUS] + [
    pytest.param(("generated", name), id=f"generated-{name}") for name in GENERATED
]


@dataclass(frozen=True)
class Prepared:
    args: tuple[str, ...]
    cwd: Path
    located: bool


@pytest.fixture
def prepare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[tuple[str, str]], Prepared]:
    def run(case: tuple[str, str]) -> Prepared:
        kind, name = case
        if kind == "corpus":
            monkeypatch.chdir(DATA)
            return Prepared((f"profiles/invalid/{name}",), DATA, True)
        generated = GENERATED[name]
        work = tmp_path / "work"
        for relative, content in generated.files.items():
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        work.mkdir(exist_ok=True)
        monkeypatch.chdir(work)
        return Prepared(generated.args, work, generated.located)

    return run


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def _check_failure(result: Result) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "unexpected error" not in result.output
    assert result.stdout == ""
    assert result.stderr.endswith("\n")


def _source_lines(file: str, cwd: Path) -> list[str] | None:
    """The lines of the file a message names, when it is a readable text file or a preset."""
    if file.startswith("preset:"):
        return read_preset(file.removeprefix("preset:")).split("\n")
    path = cwd / file
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def _check_shape(text: str, prepared: Prepared) -> None:
    lines = text.rstrip("\n").split("\n")
    assert lines and all(lines), text
    for line in lines:
        match = LOCATED.fullmatch(line)
        if not prepared.located:
            assert match is None, line
            match = UNLOCATED.fullmatch(line)
            assert match is not None, line
            assert match["file"] == prepared.args[0]
            continue
        assert match is not None, f"not FILE:LINE:COL: message: {line!r}"
        assert not Path(match["file"]).is_absolute(), line
        source = _source_lines(match["file"], prepared.cwd)
        if source is not None:  # the position is inside the file (one past the end for "end of stream")
            row, column = int(match["line"]), int(match["column"])
            assert row <= len(source), line
            assert column <= len(source[row - 1]) + 1, line
        if match["file"] == "--set":
            assert int(match["line"]) <= sum(arg == "--set" for arg in prepared.args), line


@pytest.mark.parametrize("case", CASES)
def test_invalid_profile(case: tuple[str, str], prepare, tmp_path: Path, text_snapshot) -> None:
    prepared = prepare(case)
    out = tmp_path / "out"

    rendered = _invoke("render", *prepared.args, "-o", str(out))

    _check_failure(rendered)
    assert not out.exists(), "a failed render must not create its output folder"
    _check_shape(rendered.stderr, prepared)
    assert rendered.stderr == text_snapshot

    validated = _invoke("validate", *prepared.args)

    _check_failure(validated)
    assert validated.stderr == rendered.stderr


def test_corpus_covers_every_failure_mode() -> None:
    assert len(CORPUS) + len(GENERATED) >= 40
    for name in CORPUS:
        first = (INVALID / name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith("# "), f"{name}: the first line says what is wrong with the file"


def test_many_errors_are_all_reported_most_relevant_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)

    result = _invoke("validate", "profiles/invalid/many-errors.yaml")

    _check_failure(result)
    paths = [line.split(": ")[1] for line in result.stderr.splitlines()]
    # unknown keys and wrong types (what makes the rest meaningless) come before bad values
    assert paths == [
        "spec.ingress.serviceTyp",
        "spec.kubeflow.version",
        "spec.kubeflow.components.katlib",
        "spec.identity.users[0].password",
        "spec.repo.url",
        "spec.ingress.domain",
        "spec.notebooks.cpu.default",
        "spec.tenancy.profiles[0].name",
    ]


def test_cross_field_problems_are_all_reported_in_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)

    result = _invoke("validate", "profiles/invalid/many-rule-errors.yaml")

    _check_failure(result)
    rows = [LOCATED.fullmatch(line) for line in result.stderr.splitlines()]
    assert all(rows)
    positions = [(int(row["line"]), int(row["column"])) for row in rows if row]
    assert len(positions) == 6
    assert positions == sorted(positions)
