"""The fork README's runnable steps: every rendered README marks them, and the parser reads them exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from argoflow_gen.catalog import VERSIONS
from argoflow_gen.layers import preset_names
from argoflow_gen.loader import load_profile
from argoflow_gen.rendering import render

from .conftest import FORK
from .runbook import Block, blocks, provide_inputs

README = """# fork

1. Install:

   <!-- runbook: install-argocd -->
   ```sh
   kubectl apply -k argocd/base
   ```

- a Secret

  <!-- runbook: pre-install -->
  ```sh
  kubectl create namespace auth --dry-run=client -o yaml | kubectl apply -f -
  kubectl create secret generic s -n auth --from-file=admin=./admin --from-literal=x=$TOKEN_VALUE
  ```
  ```sh
  echo not a runbook step
  ```
"""


def test_blocks_are_read_with_their_indentation_removed() -> None:
    assert blocks(README) == [
        Block("install-argocd", 5, "kubectl apply -k argocd/base\n"),
        Block("pre-install", 12, "kubectl create namespace auth --dry-run=client -o yaml | kubectl apply -f -\n"
                                 "kubectl create secret generic s -n auth --from-file=admin=./admin "
                                 "--from-literal=x=$TOKEN_VALUE\n"),
    ]


def test_a_marker_without_its_block_is_an_error() -> None:
    with pytest.raises(AssertionError) as caught:
        blocks("# fork\n\n<!-- runbook: deploy -->\nkubectl apply -f kubeflow.yaml\n")
    assert str(caught.value) == "README.md:3: runbook marker 'deploy' is not followed by a ```sh block"


def test_inputs_are_provided_as_files_and_variables(tmp_path: Path) -> None:
    variables = provide_inputs(blocks(README)[1], tmp_path)
    assert variables == {"TOKEN_VALUE": "runbook-test-token_value"}
    assert (tmp_path / "admin").read_text() == "runbook-test-value-admin"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", sorted(set(preset_names()) - {"private-repo-sealed"}))
def test_every_rendered_readme_has_its_install_steps(preset: str, version: str) -> None:
    tree = render(load_profile(f"preset:{preset}", overrides=[f"spec.kubeflow.version={version}", FORK]))
    steps = [block.step for block in blocks(tree["README.md"])]
    assert {"install-argocd", "pre-install", "deploy"} <= set(steps)
    for block in blocks(tree["README.md"]):
        if block.step == "pre-install":
            namespace = block.script.split(" -n ", 1)[1].split()[0]
            first = block.script.splitlines()[0]  # the namespace first: nothing has created it yet
            assert f"kubectl create namespace {namespace}" in first, block
