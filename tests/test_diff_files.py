"""The file level on hand-made trees: statuses, formatting-only changes, grouping, masked secrets."""

from __future__ import annotations

import base64
from typing import Any

from argoflow_gen.diff import diff_trees, format_json, format_markdown, format_text
from argoflow_gen.diff.files import MASKED_HEADER

APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  source:
    repoURL: https://git.example.com/fork.git
    path: {path}
  destination:
    namespace: kubeflow
"""
ROOT = APPLICATION.format(name="kubeflow", path="deploy")


def tree(**files: str) -> dict[str, str]:
    """A tree with the app-of-apps at deploy/ of its repository and an Application "web" for web/."""
    base = {"kubeflow.yaml": ROOT, "argocd-applications/web.yaml": APPLICATION.format(name="web", path="deploy/web"),
            "web/kustomization.yaml": "resources:\n- deployment.yaml\n"}
    base.update({path.replace("__", "/"): text for path, text in files.items()})
    return base


def test_statuses_and_groups() -> None:
    old = tree(web__deployment_yaml="kind: Deployment\n", README_md="# Fork\n")
    new = tree(web__deployment_yaml="kind: Deployment\nspec: {}\n", web__extra_yaml="a: 1\n", notes_txt="x\n")
    old = {path.replace("_yaml", ".yaml").replace("_md", ".md"): text for path, text in old.items()}
    new = {path.replace("_yaml", ".yaml").replace("_txt", ".txt"): text for path, text in new.items()}
    diff = diff_trees(old, new, old_label="main", new_label="pr")
    assert [(change.path, change.status, change.application) for change in diff.files] == [
        ("README.md", "removed", ""),
        ("notes.txt", "added", ""),
        ("web/deployment.yaml", "changed", "web"),
        ("web/extra.yaml", "added", "web"),
    ]
    assert diff.groups() == ("web", "")
    assert diff.files[2].unified() == [
        "--- a/web/deployment.yaml", "+++ b/web/deployment.yaml", "@@ -1 +1,2 @@", " kind: Deployment", "+spec: {}"]
    assert diff.files[2].line_counts == (1, 0)


def test_formatting_only_changes_are_labelled_not_shown(snapshot: Any) -> None:
    before = "# the web app\nkind: Deployment\nmetadata: {name: web, labels: {a: '1'}}\n"
    after = "kind: Deployment   # the web app\nmetadata:\n  labels:\n    a: \"1\"\n  name: web\n"
    diff = diff_trees(tree(**{"web/deployment.yaml": before}), tree(**{"web/deployment.yaml": after}))
    (change,) = diff.files
    assert change.status == "formatting"
    assert change.unified() == []
    text = format_text(diff)
    assert "= web/deployment.yaml: formatting only" in text and "labels" not in text
    assert diff.file_counts().formatting == 1 and diff.has_differences
    assert format_markdown(diff) == snapshot


def test_a_reordered_list_is_content_not_formatting() -> None:
    diff = diff_trees(tree(**{"web/list.yaml": "- a\n- b\n"}), tree(**{"web/list.yaml": "- b\n- a\n"}))
    assert [change.status for change in diff.files] == ["changed"]


def test_true_becoming_1_is_content_not_formatting() -> None:
    diff = diff_trees(tree(**{"web/a.yaml": "enabled: true\n"}), tree(**{"web/a.yaml": "enabled: 1\n"}))
    assert [change.status for change in diff.files] == ["changed"]


def test_a_yaml_file_that_stops_parsing_is_a_content_change() -> None:
    diff = diff_trees(tree(**{"web/a.yaml": "a: 1\n"}), tree(**{"web/a.yaml": "a: [1\n"}))
    assert [change.status for change in diff.files] == ["changed"]


def test_secret_values_in_files_are_masked(snapshot: Any) -> None:
    def secret(password: str) -> str:
        encoded = base64.b64encode(password.encode()).decode()
        return (f"# my secret\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {encoded}\n"
                "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n"
                f"- name: gen\n  literals:\n  - token={password}-token\n")

    diff = diff_trees(tree(**{"web/secret.yaml": secret("hunter2")}),
                      tree(**{"web/secret.yaml": secret("correct-horse"), "web/new-secret.yaml": secret("s3cr3t")}))
    outputs = {"text": format_text(diff), "markdown": format_markdown(diff), "json": format_json(diff)}
    for output in outputs.values():
        for value in ("hunter2", "correct-horse", "s3cr3t"):
            assert value not in output
            assert base64.b64encode(value.encode()).decode() not in output
    assert all(change.masked for change in diff.files)
    assert diff.files[1].new is not None and diff.files[1].new.startswith(MASKED_HEADER)
    assert '-  password: "*** (7 bytes)"' in outputs["text"] and '+  password: "*** (13 bytes)"' in outputs["text"]
    assert outputs["text"] == snapshot


def test_a_secret_value_of_the_same_size_still_shows_as_changed() -> None:
    def secret(value: str) -> str:
        return f"kind: Secret\ndata:\n  password: {base64.b64encode(value.encode()).decode()}\n"

    (change,) = diff_trees(tree(**{"web/s.yaml": secret("abc")}), tree(**{"web/s.yaml": secret("xyz")})).files
    assert change.status == "changed" and change.masked
    assert "+# (a Secret value changed; its size did not)" in change.unified()


def test_the_sources_of_secret_generators_are_masked() -> None:
    kustomization = ("secretGenerator:\n- name: db\n  envs: [db.env]\n  files: [tls.key, token=creds/token.txt]\n")
    old = tree(**{"web/kustomization.yaml": kustomization, "web/db.env": "# database\nUSER=admin\nPASSWORD=hunter2\n",
                  "web/tls.key": "-----BEGIN KEY-----\nold\n", "web/creds/token.txt": "abc"})
    new = tree(**{"web/kustomization.yaml": kustomization, "web/db.env": "# database\nUSER=admin\nPASSWORD=swordfish\n",
                  "web/tls.key": "-----BEGIN KEY-----\nnew\n", "web/creds/token.txt": "xyz"})
    diff = diff_trees(old, new)
    text = format_text(diff)
    for value in ("hunter2", "swordfish", "BEGIN KEY", "abc", "xyz", "admin"):
        assert value not in text
    changes = {change.path: change for change in diff.files}
    assert sorted(changes) == ["web/creds/token.txt", "web/db.env", "web/tls.key"]
    assert all(change.masked for change in changes.values())
    assert "-PASSWORD=*** (7 bytes)" in text and "+PASSWORD=*** (9 bytes)" in text and " USER=*** (5 bytes)" in text
    assert "+# (a Secret value changed; its size did not)" in changes["web/tls.key"].unified()


def test_an_unreadable_file_with_secrets_shows_nothing_of_it() -> None:
    broken = "kind: Secret\ndata:\n  password: aHVudGVyMg==\n  [broken\n"
    diff = diff_trees(tree(), tree(**{"web/broken.yaml": broken}))
    assert "aHVudGVyMg==" not in format_text(diff)
    assert "Not shown: not valid YAML, and it may hold Secret values" in format_text(diff)


def test_files_outside_any_application_folder_group_by_their_top_folder() -> None:
    apps = {"argocd-applications/argocd.yaml": APPLICATION.format(name="argocd", path="deploy/argocd/base"),
            "argocd/base/kustomization.yaml": "resources: []\n"}
    old = tree(**apps)
    new = tree(**apps, **{"argocd/overlays/private/kustomization.yaml": "resources: []\n"})
    (change,) = diff_trees(old, new).files
    assert change.application == "argocd"
