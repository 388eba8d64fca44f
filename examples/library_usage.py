"""Use argoflow-gen as a library: load a profile, render it in memory, inspect it, write it, check it.

Run: python examples/library_usage.py OUTPUT_FOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path

import argoflow_gen


def main(output: Path) -> None:
    here = Path(__file__).resolve().parent
    try:
        profile = argoflow_gen.load_profile(
            here / "quickstart.yaml",
            overrides=["spec.notebooks.culling={enabled: true, idleMinutes: 120}"],
        )
    except argoflow_gen.ProfileError as error:
        for issue in error.issues:  # each carries file, line, column, path, message and hint
            print(issue.format(), file=sys.stderr)
        raise SystemExit(2) from None

    print(f"profile {profile.metadata.name}: Kubeflow {profile.spec.kubeflow.version}, "
          f"{len(profile.spec.kubeflow.enabled)} components")

    tree = argoflow_gen.render(profile)  # relative path -> text, nothing written yet
    applications = [path for path in tree if path.startswith("argocd-applications/")]
    print(f"{len(tree)} files, {len(applications)} Applications")

    plan = tree.write(output)  # one transaction; files you add to the folder are kept
    print(f"wrote {len(plan.create) + len(plan.seed)} files to {output}")
    assert not tree.plan(output).changes  # a re-render would change nothing


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "fork"))
