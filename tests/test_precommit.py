"""The pre-commit hooks: the manifest's shape, a real ``pre-commit try-repo`` of the working
tree on a temporary repository (failing, fixing, then passing), and the README's
``.pre-commit-config.yaml`` snippet run verbatim against this repository at its ``rev:``: a
commit that exists here (the newest release tag once there is one), not a tag made up for the
test."""

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
    """The working tree, uncommitted changes included, as a committed repository.

    ``try-repo`` on a dirty tree makes a fresh shadow commit per call, so each call would build
    the hook's environment anew; one snapshot lets the three runs below share one environment.
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
    return _pre_commit(project, env, "try-repo", str(hook_repo), hook_id)


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


def _git_out(*args: str) -> str | None:
    """``git ARGS`` in this repository: its output, or None when git says no."""
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _documented_pins() -> tuple[set[str], list[tuple[str, str]]]:
    """Every pre-commit ``rev:`` of this repository in the docs, and every ``uses:`` of its
    Action in a workflow snippet (the ref and the comment after it)."""
    url = _snippet_repo()["repo"]
    revs, uses = set(), []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text()
        for repo, rev in re.findall(r"^\s*- repo: (\S+)\n\s+rev: (\S+)", text, re.M):
            if repo == url:
                revs.add(rev)
        uses += re.findall(r"^\s*- uses: seccomp-lint/seccomp-lint@(\S+)(.*)$", text, re.M)
    return revs, uses


def test_documented_pins_agree():
    """Every pre-commit snippet and workflow in the docs pins the rev the tests below check and
    run: a release tag, or a commit's full SHA (before the first release)."""
    repo = _snippet_repo()
    revs, uses = _documented_pins()
    assert revs == {repo["rev"]}, revs
    assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", repo["rev"]), repo
    assert [hook["id"] for hook in repo["hooks"]] == ["seccomp-lint"]  # the others are comments
    assert uses, "no workflow snippet pins the Action"
    for ref, comment in uses:
        # The Action is pinned by SHA; with a release, the SHA of its tag, named in the comment.
        assert re.fullmatch(r"[0-9a-f]{40}", ref), ref
        if not re.fullmatch(r"[0-9a-f]{40}", repo["rev"]):
            assert re.fullmatch(rf"\s+# {re.escape(repo['rev'])}\b.*", comment), comment


needs_history = pytest.mark.skipif(
    _git_out("rev-parse", "--is-shallow-repository") != "false",
    reason=f"{REPO} is not a git checkout with its whole history",
)


@needs_git
@needs_history
def test_documented_pin_exists_here():
    """The pin names what exists: the newest release tag on this history, or while there is
    none a commit of it (so a user copying the snippet gets code that is there)."""
    rev = _snippet_repo()["rev"]
    newest_tag = _git_out("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")
    if newest_tag is not None:
        assert rev == newest_tag, f"the docs pin {rev}; the newest release is {newest_tag}"
        sha = _git_out("rev-parse", "--verify", f"{rev}^{{commit}}")
        assert {ref for ref, _ in _documented_pins()[1]} == {sha}
        return
    assert _git_out("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") == rev, (
        f"{rev} is not a commit of this repository"
    )
    assert _git_out("merge-base", "--is-ancestor", rev, "HEAD") is not None, (
        f"{rev} is not on this branch's history"
    )
    assert {ref for ref, _ in _documented_pins()[1]} == {rev}


def _run(project: Path, env: dict) -> subprocess.CompletedProcess:
    return _pre_commit(project, env, "run")


def _snippet_config(url: str) -> str:
    """The README's snippet as written, but for the repository's URL (``url`` instead)."""
    snippet = _readme_snippet()
    config, replaced = re.subn(
        rf"^(\s*- repo: ){re.escape(_snippet_repo()['repo'])}$",
        lambda m: m.group(1) + url,
        snippet,
        flags=re.M,
    )
    assert replaced == 1, snippet
    return config


@needs_git
@needs_history
def test_readme_snippet_runs_as_written(pre_commit_env, tmp_path):
    """pre-commit fetches the pinned rev from this repository (as from GitHub) and runs it."""
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    (project / ".pre-commit-config.yaml").write_text(_snippet_config(str(REPO)))
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


@needs_git
@needs_history
def test_autoupdate_moves_the_pin_as_documented(pre_commit_env, tmp_path):
    """``pre-commit autoupdate`` moves the README's pin to the newest tag, or with none to the
    newest commit (here: this branch's HEAD), as the docs say."""
    project = tmp_path / "project"
    project.mkdir()
    config = project / ".pre-commit-config.yaml"
    config.write_text(_snippet_config(str(REPO)))
    _git(project, "init", "-q")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "autoupdate", "--color", "never"],
        cwd=project,
        env=pre_commit_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    newest_tag = _git_out("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")
    expected = newest_tag or _git_out("rev-parse", "HEAD")
    (repo,) = yaml.safe_load(config.read_text())["repos"]
    assert repo["rev"] == expected, config.read_text()
