"""Valid profiles, the shipped schema, layering and provenance, the library API, and the profile commands.

Profiles are run through the CLI (click's CliRunner) and through ``argoflow_gen.loader.load_profile``, with the
working directory set to ``tests/data`` (or to the repository for ``examples/``) so that file names in
messages and in ``explain`` are the relative ones a user would see.
"""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from argoflow_gen.cli import cli
from argoflow_gen.errors import Issue, ProfileError
from argoflow_gen.loader import load_profile

from .conftest import FORK

ROOT = Path(__file__).resolve().parent.parent

DATA = Path(__file__).resolve().parent / "data"
VALID = DATA / "profiles" / "valid"
VERSIONS = ("1.10.2", "1.11.0")
PRESETS = sorted(path.stem for path in (ROOT / "profiles").glob("*.yaml"))
EXAMPLES = sorted(path.name for path in (ROOT / "examples").glob("*.yaml"))
#: the presets the issue promises by name
PROMISED_PRESETS = {"minimal", "full", "private-repo-sealed", "letsencrypt", "kind-local"}

#: one row of ``explain``: the dotted key, the value, and where it came from
EXPLAIN_ROW = re.compile(r"(?P<path>\S+) +(?P<value>\S.*?)  # (?P<origin>\S+)")



@pytest.fixture
def in_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(DATA)
    return DATA


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


def _explained(result: Result) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in _ok(result).stdout.splitlines():
        match = EXPLAIN_ROW.fullmatch(line)
        assert match is not None, f"not an explain row: {line!r}"
        assert match["path"] not in rows, f"{match['path']} is listed twice"
        rows[match["path"]] = (match["value"], match["origin"])
    return rows


# ------------------------------------------------------------------------------------- valid profiles


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_validates_at_every_version(preset: str, version: str, in_data: Path) -> None:
    result = _ok(_invoke("validate", f"preset:{preset}", "--set", f"spec.kubeflow.version={version}", "--set", FORK))

    assert re.fullmatch(
        rf"preset:{re.escape(preset)}: valid profile {re.escape(preset)} \(Kubeflow {re.escape(version)}, "
        r"[1-9][0-9]* components\)\n",
        result.stdout,
    ), result.stdout


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "name",
    [pytest.param(name, id=name) for name in EXAMPLES]
    or [pytest.param(None, marks=pytest.mark.skip(reason="examples/ holds no profile yet"), id="no-examples")],
)
def test_every_example_validates_at_every_version(
    name: str, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)

    result = _ok(_invoke("validate", f"examples/{name}", "--set", f"spec.kubeflow.version={version}"))

    assert result.stdout.startswith(f"examples/{name}: valid profile ")
    assert f"(Kubeflow {version}, " in result.stdout


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(path.name for path in VALID.glob("*.yaml")))
def test_every_valid_corpus_profile_validates(name: str, version: str, in_data: Path) -> None:
    result = _ok(_invoke("validate", f"profiles/valid/{name}", "--set", f"spec.kubeflow.version={version}"))

    stem = name.removesuffix(".yaml")
    assert result.stdout.startswith(f"profiles/valid/{name}: valid profile {stem} (Kubeflow {version}, ")


def test_valid_corpus_values_reach_the_typed_profile(in_data: Path) -> None:
    s3 = load_profile("profiles/valid/oidc-s3.yaml")
    notebooks = load_profile("profiles/valid/notebooks.yaml").spec.notebooks
    standalone = load_profile("profiles/valid/standalone.yaml")

    assert s3.spec.identity.users == ()
    assert s3.spec.identity.oidc is not None and s3.spec.identity.oidc.client_secret.existing_secret == "oidc-client"
    assert s3.spec.pipelines.s3 is not None
    assert (s3.spec.pipelines.s3.bucket, s3.spec.pipelines.s3.region, s3.spec.pipelines.s3.insecure) == (
        "acme-kubeflow-artifacts", "eu-west-1", False,
    )
    assert notebooks.default_image == "ghcr.io/acme/jupyter:v1"
    assert (notebooks.cpu.default, notebooks.cpu.limit_factor) == ("500m", "none")
    assert (notebooks.memory.default, notebooks.memory.limit_factor) == ("2Gi", "1.5")
    assert notebooks.gpus.default == "nvidia.com/gpu"
    assert (notebooks.culling.enabled, notebooks.culling.idle_minutes) == (True, 720)
    assert standalone.spec.ingress.tls.secret_name == "kubeflow-tls"
    assert standalone.spec.repo.credentials is not None
    assert standalone.spec.repo.credentials.existing_secret == "repo-credentials"
    assert standalone.spec.identity.admin == "admin@example.com"


# --------------------------------------------------------------------------------------------- schema


def _shipped_schema_text() -> str:
    return resources.files("argoflow_gen.data").joinpath("profile.schema.json").read_text(encoding="utf-8")


def test_shipped_schema_is_a_valid_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads(_shipped_schema_text())

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_command_prints_the_shipped_schema() -> None:
    result = _ok(_invoke("schema"))

    assert json.loads(result.stdout) == json.loads(_shipped_schema_text())
    assert result.stdout == _shipped_schema_text()


# ------------------------------------------------------------------------------------ layers, explain

THREE_LAYERS = ("layers/three/base.yaml", "layers/three/cluster.yaml", "--set", "spec.notebooks.culling.idleMinutes=60")


def test_explain_shows_where_each_value_of_three_layers_came_from(in_data: Path, text_snapshot) -> None:
    result = _invoke("explain", *THREE_LAYERS)
    rows = _explained(result)

    base, cluster = "layers/three/base.yaml", "layers/three/cluster.yaml"
    expected = {
        # the preset under base.yaml (through its extends)
        "spec.kubeflow.components.ray.enabled": ("true", "preset:full:13:22"),
        "spec.kubeflow.components.model-registry.enabled": ("true", "preset:full:14:33"),
        "spec.identity.users[0].passwordHashFrom.existingSecret": ("dex-static-passwords", f"{cluster}:19:44"),
        # base.yaml, where nothing above overrides it
        "metadata.description": ('Kubeflow for ACME.', f"{base}:6:16"),
        "spec.repo.url": ("https://git.acme.internal/platform/kubeflow.git", f"{base}:11:10"),
        "spec.repo.revision": ("stable", f"{base}:12:15"),
        "spec.ingress.serviceType": ("LoadBalancer", f"{base}:18:18"),
        "spec.argocd.syncPolicy.prune": ("false", f"{base}:15:14"),
        "spec.notebooks.culling.enabled": ("true", f"{base}:24:16"),
        # cluster.yaml, over base.yaml: maps merge key by key, lists are replaced
        "metadata.name": ("acme-prod", f"{cluster}:3:9"),
        "spec.repo.path": ("clusters/prod", f"{cluster}:6:11"),
        "spec.ingress.domain": ("kubeflow.prod.acme.example", f"{cluster}:11:13"),
        "spec.argocd.syncPolicy.selfHeal": ("false", f"{cluster}:9:17"),
        "spec.notebooks.images": ("[ghcr.io/acme/jupyter:v2]", f"{cluster}:14:7"),
        "spec.identity.users[0].email": ("jane@acme.example", f"{cluster}:17:16"),
        "spec.tenancy.profiles[0].resourceQuota.memory": ("64Gi", f"{cluster}:24:44"),
        # --set, the topmost layer: the first --set, at the column where its value starts
        "spec.notebooks.culling.idleMinutes": ("60", "--set:1:36"),
        # nobody wrote these
        "spec.argocd.syncPolicy.automated": ("true", "default"),
        "spec.repo.private": ("false", "default"),
        "spec.ingress.tls.mode": ("self-signed", "default"),
        "spec.kubeflow.version": ('"1.11.0"', "default"),
        "spec.identity.admin": ("jane@acme.example", "default"),
    }
    assert {path: rows.get(path) for path in expected} == expected
    # preset:base's user was replaced along with the list, not merged into it
    assert not [path for path in rows if path.startswith("spec.identity.users[1]")]
    assert "admin@example.com" not in result.stdout
    assert result.stdout == text_snapshot


def test_explain_lines_point_at_the_written_value(in_data: Path) -> None:
    from argoflow_gen.layers import read_preset

    rows = _explained(_invoke("explain", *THREE_LAYERS))

    checked = 0
    for path, (value, origin) in rows.items():
        if origin in ("default",) or origin.startswith("--set:") or value.startswith(("[", "{")):
            continue
        file, line, column = origin.rsplit(":", 2)
        source = read_preset(file[len("preset:"):]) if file.startswith("preset:") else (DATA / file).read_text()
        text = source.split("\n")[int(line) - 1][int(column) - 1:]
        assert text.lstrip("\"'").startswith(value.strip('"')), f"{path}: {origin} holds {text!r}, not {value}"
        checked += 1
    assert checked >= 15, checked


def test_explain_key_selects_one_section(in_data: Path) -> None:
    rows = _explained(_invoke("explain", *THREE_LAYERS, "--key", "spec.ingress"))

    assert set(rows) == {"spec.ingress.domain", "spec.ingress.serviceType", "spec.ingress.tls.mode"}


def test_explain_of_an_absent_key_is_a_usage_error(in_data: Path) -> None:
    result = _invoke("explain", *THREE_LAYERS, "--key", "spec.nothing")

    assert result.exit_code == 2
    assert "no value at or under 'spec.nothing'" in result.stderr


def test_merge_maps_deeply_lists_replace_later_wins(in_data: Path) -> None:
    profile = load_profile("layers/merge/lower.yaml", "layers/merge/upper.yaml")

    assert profile.metadata.name == "upper"  # a scalar: the later layer wins
    assert profile.metadata.description == "written by the lower layer"  # a key only the lower layer wrote stays
    assert profile.spec.ingress.domain == "upper.example.com"
    assert profile.spec.ingress.service_type == "NodePort"  # maps merge key by key
    assert dataclasses.astuple(profile.spec.argocd.sync_policy) == (True, False, False)
    assert profile.spec.notebooks.images == ("ghcr.io/acme/upper:v1",)  # lists are replaced whole
    assert [user.email for user in profile.spec.identity.users] == ["cid@example.com"]


def test_merge_order_is_the_order_of_the_layers(in_data: Path) -> None:
    profile = load_profile("layers/merge/upper.yaml", "layers/merge/lower.yaml")

    assert profile.metadata.name == "lower"
    assert profile.spec.ingress.domain == "lower.example.com"
    assert dataclasses.astuple(profile.spec.argocd.sync_policy) == (True, False, False)
    assert profile.spec.notebooks.images == ("ghcr.io/acme/lower-a:v1", "ghcr.io/acme/lower-b:v1")
    assert [user.email for user in profile.spec.identity.users] == ["ann@example.com", "bob@example.com"]


def test_extends_entries_merge_in_order_under_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # extends paths are relative to the file that names them, not to the cwd

    profile = load_profile(DATA / "layers" / "merge" / "child.yaml")

    assert profile.metadata.name == "child"
    assert profile.spec.ingress.domain == "upper.example.com"
    assert profile.spec.ingress.service_type == "NodePort"
    assert profile.spec.ingress.tls.mode == "none"
    assert profile.spec.notebooks.images == ("ghcr.io/acme/upper:v1",)


def test_set_is_the_topmost_layer_and_its_value_is_yaml(in_data: Path) -> None:
    profile = load_profile(
        "layers/merge/lower.yaml",
        "layers/merge/upper.yaml",
        overrides=[
            "spec.ingress.domain=set.example.com",
            "spec.notebooks.images=[ghcr.io/acme/set:v1, ghcr.io/acme/set:v2]",
            "spec.argocd.syncPolicy.prune=true",
            'spec.kubeflow.version="1.10.2"',
        ],
    )

    assert profile.spec.ingress.domain == "set.example.com"
    assert profile.spec.ingress.service_type == "NodePort"
    assert profile.spec.notebooks.images == ("ghcr.io/acme/set:v1", "ghcr.io/acme/set:v2")
    assert dataclasses.astuple(profile.spec.argocd.sync_policy) == (True, True, False)
    assert profile.spec.kubeflow.version == "1.10.2"
    assert "trainer" not in profile.spec.kubeflow.components


# ----------------------------------------------------------------------------------------- library API


def test_profile_error_issues_carry_file_line_column_path_message_hint(in_data: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("profiles/invalid/many-errors.yaml")

    error = caught.value
    assert error.exit_code == 2
    assert len(error.issues) == 8
    assert error.issues[0] == Issue(
        "unknown key", file="profiles/invalid/many-errors.yaml", line=14, column=5,
        path="spec.ingress.serviceTyp", hint="did you mean 'serviceType'?",
    )
    assert error.issues[1] == Issue(
        "expected a string, got a number (1.10)", file="profiles/invalid/many-errors.yaml", line=18, column=14,
        path="spec.kubeflow.version", hint='quote it: "1.10"',
    )
    assert str(error) == "\n".join(issue.format() for issue in error.issues)


def test_profile_error_issue_of_a_lower_layer_names_that_layer(in_data: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("layers/three/base.yaml", overrides=["spec.repo.private=true"])

    assert caught.value.issues == (
        Issue(
            "a private repository needs credentials", file="--set", line=1, column=19, path="spec.repo.private",
            hint="set spec.repo.credentials.existingSecret or spec.repo.credentials.sealed",
        ),
    )


def test_profile_error_from_a_cross_field_rule_in_a_file(in_data: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("profiles/invalid/component-not-in-version.yaml")

    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("profiles/invalid/component-not-in-version.yaml", 12, 7)
    assert issue.path == "spec.kubeflow.components.trainer"
    assert issue.message == "component 'trainer' does not exist in Kubeflow 1.10.2"
    assert issue.hint == "it exists in Kubeflow 1.11.0"


def test_the_typed_profile_is_immutable(in_data: Path) -> None:
    profile = load_profile("preset:full", overrides=[FORK])

    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.metadata = profile.metadata  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.spec.ingress.tls.mode = "none"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.spec.identity.users[0].email = "other@example.com"  # type: ignore[misc]
    with pytest.raises(TypeError):
        profile.spec.kubeflow.components["ray"] = profile.spec.kubeflow.components["katib"]  # type: ignore[index]
    with pytest.raises(TypeError):
        profile.resolved["spec"]["ingress"]["domain"] = "changed"  # type: ignore[index]
    assert isinstance(profile.spec.notebooks.images, tuple)
    assert profile.metadata.name == "full"


# ------------------------------------------------------------------------------------ init, presets


@pytest.mark.parametrize("preset", PRESETS)
def test_init_writes_a_starter_profile_that_validates(
    preset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    written = _ok(_invoke("init", "my-cluster.yaml", "--preset", preset))

    assert written.stdout == "wrote my-cluster.yaml; edit it, then run: argoflow-gen validate my-cluster.yaml\n"
    text = (tmp_path / "my-cluster.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert f"  - preset:{preset}\n" in text
    # its one placeholder that cannot work, the example fork URL, is refused where the starter wrote it
    refused = _invoke("validate", "my-cluster.yaml")
    assert refused.exit_code == 2
    (line,) = refused.stderr.splitlines()
    number = text.split("\n").index("    url: https://git.example.com/platform/kubeflow-gitops.git") + 1
    assert line.startswith(f"my-cluster.yaml:{number}:10: spec.repo.url: git.example.com is an example host name")
    (tmp_path / "my-cluster.yaml").write_text(text.replace("git.example.com", "git.acme.internal"), encoding="utf-8")
    validated = _ok(_invoke("validate", "my-cluster.yaml"))
    assert validated.stdout.startswith("my-cluster.yaml: valid profile my-cluster (Kubeflow ")


#: What a declared example needs around it to be a valid profile.
EXAMPLE_CONTEXT = {
    "spec.ingress.tls.letsencrypt.route53": [
        "spec.ingress.tls={mode: letsencrypt, letsencrypt: {email: admin@acme.io, solver: dns01-route53}}"],
    "spec.repo.private": ["spec.repo.credentials={existingSecret: repository}"],
    "spec.registry.mirror": ["spec.repo.vendor=true"],
    "spec.registry.mappings": ["spec.repo.vendor=true"],
    "spec.tenancy.profiles": [
        "spec.identity.oidc={issuer: 'https://sso.acme.io', clientId: kubeflow, clientSecret: {existingSecret: oidc}}"],
}


def test_the_starter_shows_every_declared_example_and_each_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argoflow_gen.profile.examples import example, examples

    monkeypatch.chdir(tmp_path)
    _ok(_invoke("init", "my-cluster.yaml"))
    starter = (tmp_path / "my-cluster.yaml").read_text(encoding="utf-8")

    assert len(examples()) >= 8
    for dotted, value in examples().items():
        assert example(dotted, NAME="my-cluster") in starter, dotted
        shown = value.replace("NAME", "my-cluster")
        load_profile("preset:base", overrides=[FORK, *EXAMPLE_CONTEXT.get(dotted, []), f"{dotted}={shown}"])


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "my-cluster.yaml"
    target.write_text("# mine\n", encoding="utf-8")

    refused = _invoke("init", "my-cluster.yaml")

    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr == (
        "my-cluster.yaml already exists (choose another name, or pass --force to overwrite it)\n"
    )
    assert target.read_text(encoding="utf-8") == "# mine\n"

    _ok(_invoke("init", "my-cluster.yaml", "--force"))

    assert target.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_init_with_an_unknown_preset_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = _invoke("init", "my-cluster.yaml", "--preset", "ful")

    assert result.exit_code == 2
    assert result.stderr.startswith("unknown preset 'ful' (choose one of: base, full, ")
    assert not (tmp_path / "my-cluster.yaml").exists()


def test_presets_lists_every_preset_with_its_summary() -> None:
    result = _ok(_invoke("presets"))

    listed = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"preset:(?P<name>\S+) +(?P<summary>\S.*)", line)
        assert match is not None, line
        listed[match["name"]] = match["summary"]
    assert sorted(listed) == PRESETS
    assert set(listed) >= PROMISED_PRESETS
    for name, summary in listed.items():
        first_comment = (ROOT / "profiles" / f"{name}.yaml").read_text(encoding="utf-8").split("\n", 1)[0]
        assert first_comment == f"# {summary}"
