"""The README stays true: its profile reference, its commands, the library example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from argoflow_gen.schema import reference_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_profile_reference_matches_the_schema() -> None:
    match = re.search(r"<!-- profile-reference:start -->\n(.*)<!-- profile-reference:end -->", README, re.S)
    assert match, "the README has no profile reference section"
    assert match.group(1) == reference_markdown(), (
        "README profile reference is out of date: regenerate it with `argoflow-gen schema --format markdown`"
    )


def test_every_schema_key_is_documented() -> None:
    for line in reference_markdown().splitlines()[2:]:
        assert re.match(r"\| `[^`]+` \| [^|]", line), line


def _commands() -> list[str]:
    block = re.search(r"## Set up, render, test\n\n```sh\n(.*?)```", README, re.S)
    assert block
    return [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]


def test_readme_gives_one_setup_one_main_and_one_test_command() -> None:
    setup, main, tests = _commands()
    assert setup == "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && scripts/test-tools"
    assert main == ".venv/bin/argoflow-gen render examples/quickstart.yaml -o fork"
    assert tests == ".venv/bin/python -m pytest -n auto -q"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup in ci
    assert tests in ci


def test_library_example_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "library_usage.py"), str(tmp_path / "fork")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "profile quickstart: Kubeflow 1.11.0" in result.stdout
    assert (tmp_path / "fork" / "kubeflow.yaml").is_file()


def test_the_threat_model_names_every_state_file() -> None:
    from argoflow_gen import state

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    for name in (state.STATE_DIR, state.LOCK_FILE, state.PRISTINE, state.PROFILE_RECORD, state.JOURNAL,
                 state.MUTEX):
        assert f"`{name}" in section, name
    assert "`staging/`" in section
