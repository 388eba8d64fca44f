"""The fork's README (a runbook from an empty cluster to the Kubeflow login page and back) and .gitattributes."""

from __future__ import annotations

from typing import Any

from ..profile import Profile
from ..state import LOCK_FILE
from ..templating import markdown_text, render_template
from ..version import __version__
from .acme import http01
from .argocd import APPLICATION_HEALTH, HEALTH_CHECK_FILE, PRIVATE
from .context import Context
from .ingress import model_hosts, tls_secret
from .runbook import hash_files, password_variable, pre_install, user_secrets

WORKFLOW = ".github/workflows/argoflow-gen-diff.yaml"
COMMENT_WORKFLOW = ".github/workflows/argoflow-gen-comment.yaml"


def _users(ctx: Context) -> list[dict[str, Any]]:
    auth = ctx.profile.spec.identity
    users = []
    for user in auth.users:
        ref = user.password_hash_from
        variable = None
        if ref is not None and ref.sealed is None:
            variable = password_variable(ref.key or "")
        note = (f"with the password you hashed from `${variable}`" if variable
                else "with the password whose hash is in the profile" if user.password_hash
                else "with the password whose hash you sealed into the tree")
        if user.email == auth.admin:
            note += " (Kubeflow's cluster admin)"
        users.append({"email": user.email, "note": note})
    return users


def _access(ctx: Context) -> dict[str, Any]:
    """What the README needs to say about reaching Kubeflow and logging in."""
    profile = ctx.profile
    ingress = profile.spec.ingress
    le = ingress.tls.letsencrypt
    return {
        "service_type": ingress.service_type,
        "tls": ctx.tls,
        "tls_mode": ingress.tls.mode,
        "scheme": "https" if ctx.tls else "http",
        "domain": ingress.domain or "localhost",
        "hosts": [*ingress.hosts, *model_hosts(ctx)],
        "letsencrypt": ingress.tls.mode == "letsencrypt",
        "http01": http01(ctx),
        "staging": bool(le and "staging" in le.directory),
        "tls_secret": tls_secret(ctx),
        "wildcard": bool(model_hosts(ctx)),
        "kserve": profile.spec.kubeflow.on("kserve"),
        "pipelines": profile.spec.kubeflow.on("pipelines"),
        "users": _users(ctx),
        "oidc": profile.spec.identity.oidc,
        "admin": profile.spec.identity.admin,
        "profiles": bool(profile.spec.tenancy.profiles),
        "profile_list": ", ".join(f"`{p.name}` (owned by {p.owner})" for p in profile.spec.tenancy.profiles),
    }


def _ci(profile: Profile) -> dict[str, Any]:
    """What the fork's CI workflows install (a pip requirement, and a package index or None) and the profile
    layers its check job renders (none: it checks against the profile the lock recorded)."""
    generator = profile.spec.ci.generator
    requirement, index = f"argoflow-gen=={__version__}", None
    if generator is not None and generator.pip:
        requirement = generator.pip
    elif generator is not None and generator.git:
        requirement = f"argoflow-gen @ git+{generator.git}@{generator.ref}"
    elif generator is not None:
        index = generator.index
    return {"generator_requirement": requirement, "generator_index": index,
            "check_profiles": list(profile.spec.ci.profiles)}


def write(ctx: Context) -> None:
    profile = ctx.profile
    workflow = render_template("pr-diff-workflow.yaml.j2", **_ci(profile), repo_path=profile.spec.repo.path)
    comment_workflow = render_template("pr-comment-workflow.yaml.j2")
    at_root = profile.spec.repo.path == "."
    if at_root:  # GitHub reads workflows only at the repository root
        ctx.files[WORKFLOW] = workflow
        ctx.files[COMMENT_WORKFLOW] = comment_workflow
    components = sorted(
        ({"id": app.name, "title": ctx.folders[app.name].title, "wave": app.wave}
         for app in ctx.apps if app.name in ctx.folders),
        key=lambda row: (row["wave"], row["id"]),
    )
    extras = [{"name": extra.name, "namespace": extra.namespace, "path": extra.path, "wave": extra.sync_wave}
              for extra in profile.spec.extra_applications if extra.path not in (None, ".")]
    secrets = user_secrets(ctx)
    credentials = profile.spec.repo.credentials
    ctx.files["README.md"] = render_template(
        "fork-README.md.j2",
        profile=profile,
        description=markdown_text(profile.metadata.description or "") or "A Kubeflow platform deployed with Argo CD.",
        version=profile.spec.kubeflow.version,
        components=components,
        extras=extras,
        manage=profile.spec.argocd.manage,
        hub_argocd=not ctx.target.installs_argocd,
        argocd_ns=profile.spec.argocd.namespace,
        health_check="resource.customizations.health.argoproj.io_Application: |\n"
                     + "".join(f"  {line}\n" for line in APPLICATION_HEALTH.splitlines()),
        health_check_file=HEALTH_CHECK_FILE,
        private_folder=PRIVATE,
        sealed_repo=bool(credentials and credentials.sealed),
        sealing=bool(ctx.sealed_digests),
        secrets=secrets,
        hash_files=hash_files(secrets),
        key_files=[(key, secret) for secret in secrets for key in secret.keys
                   if key not in {hashed for hashed, _email in secret.hashes} and secret.type != "kubernetes.io/tls"]
        + [(key, secret) for secret in secrets if secret.type == "kubernetes.io/tls" for key in secret.keys],
        pre_install=pre_install(secrets),
        generated=[f"`{name}`" for name in sorted(set(ctx.generated_secrets))],
        workflow_path=WORKFLOW,
        workflow=None if at_root else workflow,
        comment_workflow_path=COMMENT_WORKFLOW,
        comment_workflow=None if at_root else comment_workflow,
        **_access(ctx),
    )
    generated = sorted(set(ctx.files) | {LOCK_FILE})
    ctx.files[".gitattributes"] = (
        "# Generated by argoflow-gen: GitHub collapses these files in reviews; the diff comment is the review.\n"
        + "".join(f"/{path} linguist-generated=true\n" for path in generated)
    )
