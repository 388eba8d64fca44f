"""Writing a tree: safe folders, kept user files, plans, --check, re-renders that touch nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from argoflow_gen.cli import cli

PROFILE = ["preset:minimal", "--set", "spec.repo.url=https://github.com/acme/kf.git"]


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def render(folder: Path, *extra: str) -> object:
    return run("render", *PROFILE, *extra, "-o", str(folder))


def snapshot_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "write.lock" not in p.name}


def test_first_render_creates_the_folder(tmp_path: Path) -> None:
    result = render(tmp_path / "fork")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fork" / "kubeflow.yaml").is_file()
    assert (tmp_path / "fork" / ".argoflow-gen" / "lock.yaml").is_file()
    assert result.stdout.startswith(f"{tmp_path / 'fork'}: ")
    assert " 0 updated, 0 deleted, 0 unchanged" in result.stdout


def test_rerender_rewrites_no_file(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "fork").rglob("*") if p.is_file()}
    result = render(tmp_path / "fork")
    assert result.exit_code == 0
    assert "0 created, 0 updated, 0 deleted" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_a_non_empty_foreign_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = render(folder)
    assert result.exit_code == 2
    assert result.stderr == (f"{folder} is not empty and holds no earlier render (choose an empty or new folder, "
                             "or pass --force to render into it anyway)\n")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    forced = render(folder, "--force")
    assert forced.exit_code == 0
    assert (folder / "notes.txt").read_text() == "mine"


def test_files_the_user_added_survive_a_rerender(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    (tmp_path / "fork" / "extras").mkdir()
    (tmp_path / "fork" / "extras" / "mine.yaml").write_text("kind: ConfigMap\n")
    (tmp_path / "fork" / "dex" / "custom" / "kustomization.yaml").write_text("# edited\nkind: Component\n")
    result = run("render", "preset:full", "--set", "spec.repo.url=https://github.com/acme/kf.git",
                 "-o", str(tmp_path / "fork"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fork" / "extras" / "mine.yaml").read_text() == "kind: ConfigMap\n"
    assert (tmp_path / "fork" / "dex" / "custom" / "kustomization.yaml").read_text().startswith("# edited")
    assert (tmp_path / "fork" / "katib" / "kustomization.yaml").is_file()


def test_disabled_components_are_removed(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    result = run("render", *PROFILE, "--set", "spec.kubeflow.components.volumes-web-app.enabled=false",
                 "-o", str(tmp_path / "fork"))
    assert result.exit_code == 0
    assert not (tmp_path / "fork" / "argocd-applications" / "volumes-web-app.yaml").exists()
    assert not (tmp_path / "fork" / "volumes-web-app" / "kustomization.yaml").exists()
    # its custom/ layer is the user's: kept
    assert (tmp_path / "fork" / "volumes-web-app" / "custom" / "kustomization.yaml").exists()


def test_an_edited_generated_file_is_not_overwritten(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    edited = tmp_path / "fork" / "dex" / "kustomization.yaml"
    edited.write_text(edited.read_text() + "# my edit\n")
    before = snapshot_files(tmp_path / "fork")
    result = run("render", *PROFILE, "--set", "spec.ingress.domain=other.example.com", "-o", str(tmp_path / "fork"))
    assert result.exit_code == 2
    assert "dex/kustomization.yaml" in result.stderr
    assert snapshot_files(tmp_path / "fork") == before


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    result = render(tmp_path / "fork", "--dry-run")
    assert result.exit_code == 0
    assert not (tmp_path / "fork").exists()
    lines = result.stdout.splitlines()
    assert "create    kubeflow.yaml  (the profiles render it; it is missing)" in lines
    assert "seed      dex/custom/kustomization.yaml  (yours once written; it is missing)" in lines


def test_check_reports_drift_with_exit_1(tmp_path: Path) -> None:
    assert render(tmp_path / "fork", "--check").exit_code == 1
    render(tmp_path / "fork")
    ok = render(tmp_path / "fork", "--check")
    assert ok.exit_code == 0
    assert ok.stdout == f"{tmp_path / 'fork'}: up to date\n"
    (tmp_path / "fork" / "kubeflow.yaml").write_text("changed\n")
    drift = render(tmp_path / "fork", "--check")
    assert drift.exit_code == 1
    assert drift.stdout == "update    kubeflow.yaml  (you edited it since the last render)\n"
    assert f"{tmp_path / 'fork'}: out of date: 1 file(s) differ from what the profiles render; to bring it up " \
        "to date, run: argoflow-gen render" in drift.stderr
    assert "argoflow-gen update ... --repo" in drift.stderr


def test_dry_run_refuses_what_the_render_refuses(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    (tmp_path / "fork" / "kubeflow.yaml").write_text("changed by hand\n")
    real = render(tmp_path / "fork", "--set", "spec.ingress.domain=ml.acme.example")
    dry = render(tmp_path / "fork", "--set", "spec.ingress.domain=ml.acme.example", "--dry-run")
    assert (dry.exit_code, dry.stderr) == (real.exit_code, real.stderr) == (2, real.stderr)
    assert "would be overwritten" in dry.stderr
    assert render(tmp_path / "fork", "--dry-run", "--force").exit_code == 0


def test_the_pre_commit_hook_says_what_is_wrong_and_how_to_fix_it() -> None:
    hooks = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()
    entry = next(line for line in hooks.splitlines() if "entry: argoflow-gen render" in line)
    assert "--quiet" not in entry and "-q" not in entry.split()


def test_a_symlinked_folder_inside_the_output_is_never_written_through(tmp_path: Path) -> None:
    render(tmp_path / "fork")
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "fork" / "katib"
    assert not target.exists()
    target.symlink_to(outside, target_is_directory=True)
    result = run("render", "preset:full", "--set", "spec.repo.url=https://github.com/acme/kf.git",
                 "-o", str(tmp_path / "fork"))
    assert result.exit_code == 2
    assert "symlink" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_write_killed_while_writing_its_journal_is_rolled_back(tmp_path: Path) -> None:
    folder = tmp_path / "fork"
    assert render(folder).exit_code == 0  # type: ignore[attr-defined]
    before = snapshot_files(folder)
    state = folder / ".argoflow-gen"
    (state / "staging").mkdir()
    (state / "staging" / "00000").write_text("a staged file\n")
    (state / "journal.json.tmp").write_text('{"moves": [[".argoflow-gen/staging/00000", "README.md"]], "del')
    assert render(folder, "--check").exit_code == 0  # type: ignore[attr-defined]  # read-only: nothing replayed
    assert (state / "journal.json.tmp").exists()
    assert render(folder).exit_code == 0  # type: ignore[attr-defined]  # a writing command cleans up first
    assert not (state / "journal.json.tmp").exists() and not (state / "staging").exists()
    assert snapshot_files(folder) == before
