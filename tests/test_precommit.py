"""The pre-commit hooks: the manifest's shape, a real ``pre-commit try-repo`` of the working
tree on a temporary repository (failing, fixing, then passing), and the README's
``.pre-commit-config.yaml`` snippet run verbatim against the working tree tagged with its
``rev:``. Both use one snapshot at one ref, so pre-commit builds the hook's environment once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
BY_ID = {hook["id"]: hook for hook in HOOKS}
# The README section whose .pre-commit-config.yaml snippet is run as written.
README_SECTION = "## In pre-commit and GitHub Actions"

NON_COMPLIANT = """\
# The web tier.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app   # keep this comment
          image: nginx
"""
# What pre-commit hands over from a chart: not YAML until Helm renders it.
HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "demo.fullname" . }}
spec:
  template:
    spec:
      containers:
        {{- toYaml .Values.containers | nindent 8 }}
"""


def test_hooks_manifest():
    assert list(BY_ID) == ["seccomp-lint", "seccomp-lint-fix"]
    for hook in HOOKS:
        assert hook["language"] == "python"
        assert hook["types_or"] == ["yaml", "json"]
        assert hook["entry"].split()[0] == "seccomp-lint"
        assert hook["name"] and hook["description"]
    assert BY_ID["seccomp-lint"]["entry"] == "seccomp-lint"
    assert BY_ID["seccomp-lint-fix"]["entry"] == "seccomp-lint --fix"


def test_hook_types_match_manifest_files():
    from identify import identify  # a dependency of pre-commit, itself a test dependency

    for path in (
        "a.yaml",
        "b.yml",
        "c.json",
        *(str(p) for p in (REPO / "examples").rglob("*.yaml")),
    ):
        assert set(BY_ID["seccomp-lint"]["types_or"]) & identify.tags_from_filename(path), path
    assert not set(BY_ID["seccomp-lint"]["types_or"]) & identify.tags_from_filename("x.py")


def test_every_hook_is_documented():
    doc = (REPO / "docs" / "integration.md").read_text()
    for hook_id in BY_ID:
        assert f"id: {hook_id}" in doc


# --- the real thing ---------------------------------------------------------------------------

# pre-commit is a test dependency (run as ``python -m pre_commit``): missing, the test fails.
# git is a system tool that pre-commit and the snapshot below cannot do without.
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git on PATH")
GIT = [
    "git",
    "-c",
    "user.name=test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "commit.gpgsign=false",
]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """The working tree, uncommitted changes included, as a committed repository tagged with
    the README snippet's ``rev:`` (what a user's pre-commit fetches from the release).

    ``try-repo`` on a dirty tree makes a fresh shadow commit per call, so each call would build
    the hook's environment anew; one snapshot at one ref (``try-repo --ref`` and the snippet's
    ``rev:``) lets every run below share one environment (pre-commit keys it by repo and ref).
    """
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            target = snapshot / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(snapshot, "init", "-q")
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot of the working tree")
    _git(snapshot, "tag", "-f", _snippet_repo()["rev"], "HEAD")
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "XDG_CACHE_HOME": str(home / "xdg"),
        "NO_COLOR": "1",
    }


def _pre_commit(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """``pre-commit ARGS... --all-files --color never`` in ``project``."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _try_repo(
    hook_repo: Path, project: Path, env: dict, hook_id: str
) -> subprocess.CompletedProcess:
    ref = _snippet_repo()["rev"]
    return _pre_commit(project, env, "try-repo", str(hook_repo), hook_id, "--ref", ref)


@needs_git
def test_hooks_fail_fix_and_pass(hook_repo, pre_commit_env, tmp_path):
    project = tmp_path / "project"
    for path, text in {
        "deploy/web.yaml": NON_COMPLIANT,
        "charts/demo/templates/deployment.yaml": HELM_TEMPLATE,
        "charts/demo/values.yaml": "containers: []\n",
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        "package.json": '{"name": "x"}\n',
    }.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    _git(project, "init", "-q")
    _git(project, "add", "-A")

    check = _try_repo(hook_repo, project, pre_commit_env, "seccomp-lint")
    output = check.stdout + check.stderr
    assert check.returncode == 1, output
    assert "deploy/web.yaml:9:7: missing-seccomp-profile" in output
    assert "charts/demo/templates/deployment.yaml: skipped" in output
    assert "yaml-syntax-error" not in output

    fix = _try_repo(hook_repo, project, pre_commit_env, "seccomp-lint-fix")
    assert fix.returncode == 1, fix.stdout + fix.stderr  # it rewrote a file
    fixed = (project / "deploy/web.yaml").read_text()
    assert "RuntimeDefault" in fixed and "# keep this comment" in fixed
    _git(project, "add", "-A")

    again = _try_repo(hook_repo, project, pre_commit_env, "seccomp-lint")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (project / "charts/demo/templates/deployment.yaml").read_text() == HELM_TEMPLATE


# --- the README's snippet, as a user copies it -------------------------------------------------

COMPLIANT = NON_COMPLIANT.replace(
    "    spec:\n",
    "    spec:\n      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n",
)


def _readme_snippet() -> str:
    """The ```yaml block with ``repos:`` in the README's pre-commit section, as written."""
    readme = (REPO / "README.md").read_text()
    section = readme.split(f"\n{README_SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```yaml\n(.*?)^```$", section, re.M | re.S)
    (snippet,) = [block for block in blocks if re.search(r"^repos:", block, re.M)]
    return snippet


def _snippet_repo() -> dict:
    (repo,) = yaml.safe_load(_readme_snippet())["repos"]
    return repo


def test_documented_revs_agree():
    """Every pre-commit snippet and workflow in the docs names the rev the test below runs."""
    repo = _snippet_repo()
    assert re.fullmatch(r"v\d+\.\d+\.\d+", repo["rev"]), repo
    assert [hook["id"] for hook in repo["hooks"]] == ["seccomp-lint"]  # the others are comments
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text()
        for url, rev in re.findall(r"^\s*- repo: (\S+)\n\s+rev: (\S+)$", text, re.M):
            if url == repo["repo"]:
                assert rev == repo["rev"], (doc.name, rev)
        # A tag, or the placeholder of a commit SHA with the tag in a comment.
        for ref, comment in re.findall(r"uses: seccomp-lint/seccomp-lint@(\S+)( # v[\d.]+)?", text):
            assert (comment[3:] if ref == "<commit-sha>" else ref) == repo["rev"], (doc.name, ref)


def _run(project: Path, env: dict) -> subprocess.CompletedProcess:
    return _pre_commit(project, env, "run")


@needs_git
def test_readme_snippet_runs_as_written(hook_repo, pre_commit_env, tmp_path):
    snippet = _readme_snippet()
    url = _snippet_repo()["repo"]
    # Only the repository's URL changes: it points at the tagged snapshot instead of GitHub.
    config, replaced = re.subn(
        rf"^(\s*- repo: ){re.escape(url)}$",
        lambda m: m.group(1) + str(hook_repo),
        snippet,
        flags=re.M,
    )
    assert replaced == 1, snippet
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    (project / ".pre-commit-config.yaml").write_text(config)
    (project / "deploy/web.yaml").write_text(NON_COMPLIANT)
    _git(project, "init", "-q")
    _git(project, "add", "-A")

    failing = _run(project, pre_commit_env)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert re.search(r"^seccomp-lint\.+Failed$", output, re.M), output
    assert "deploy/web.yaml:9:7: missing-seccomp-profile" in output

    (project / "deploy/web.yaml").write_text(COMPLIANT)
    _git(project, "add", "-A")
    passing = _run(project, pre_commit_env)
    output = passing.stdout + passing.stderr
    assert passing.returncode == 0, output
    assert re.search(r"^seccomp-lint\.+Passed$", output, re.M), output
