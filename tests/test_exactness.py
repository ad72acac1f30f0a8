"""Exact in the small: verdicts that must not pass silently, found by adversarial use (issue 22).
Each test failed before its fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import SMALL_POD, run_cli, run_process

SCRIPT_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  initContainers:
  - name: init
    image: busybox
    args:
    - |
      set -e
      # seccomp-lint: ignore[missing-seccomp-profile] a line of the script, not a YAML comment
  containers:
  - name: app
    image: busybox
"""

COMMENTED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:  # seccomp-lint: ignore[missing-seccomp-profile] the node runs it sandboxed
  containers:
  - name: app
    image: busybox
    args: ["# seccomp-lint: ignore[unconfined-seccomp-profile] inside a string"]
"""


def test_a_suppression_inside_a_block_scalar_is_not_a_comment(lint, tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(SCRIPT_POD)
    result = lint(path)
    assert result.code == 1
    assert [f["rule"] for f in result.findings] == ["missing-seccomp-profile"]
    assert not result.findings[0].get("suppressed")


def test_a_real_comment_still_suppresses(lint, tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(COMMENTED_POD)
    result = lint(path)
    assert result.code == 0, result.findings
    # The text inside the quoted string is no suppression: nothing says it names nothing.
    assert all(f["rule"] != "invalid-suppression" for f in result.findings)


UNDEFINED_ALIAS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: *podspec
"""


def test_a_workload_that_does_not_compose_is_reported(lint, tmp_path: Path) -> None:
    """kubectl rejects ``spec: *podspec`` without its anchor ("unknown anchor"); the text holds
    none of the pre-filter's words, but it names a kind that holds a pod template."""
    path = tmp_path / "deploy.yaml"
    path.write_text(UNDEFINED_ALIAS)
    for extra in ([], ["--no-prefilter"]):
        result = lint(*extra, path)
        assert result.code == 1, (extra, result.stdout, result.stderr)
        assert [(f["rule"], f["line"]) for f in result.findings] == [("yaml-syntax-error", 5)]
    flow = tmp_path / "deploy.json"
    flow.write_text('{"apiVersion": "v1", "kind": "Pod", "spec": *x}\n')
    assert [f["rule"] for f in lint(flow).findings] == ["yaml-syntax-error"]


def test_a_file_that_could_not_be_checked_fails_whatever_is_selected(lint, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p\nspec:\n  containers: []\n")
    result = lint("--select", "missing-seccomp-profile", path)
    assert result.code == 1, result.stderr
    assert "not checked: cannot parse YAML at 4:5" in result.stderr
    assert lint("--select", "missing-seccomp-profile", "--exit-zero", path).code == 0


def test_diff_with_exit_zero_exits_zero(lint, tmp_path: Path) -> None:
    """As in ruff: --exit-zero wins over --diff's 'there is a diff'."""
    path = tmp_path / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
    )
    assert lint("--diff", path, fmt=None).code == 1
    assert lint("--diff", "--exit-zero", path, fmt=None).code == 0
    assert path.read_text().count("RuntimeDefault") == 0


def _chart_that_fails(tmp_path: Path) -> Path:
    """A chart whose render fails with a message that holds a workflow command on its own line."""
    chart = tmp_path / "ghchart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: ghchart\nversion: 0.1.0\n")
    (chart / "templates" / "pod.yaml").write_text(
        '{{ fail "bad values\\n::error file=README.md,line=1::pwned" }}\n'
    )
    return chart


def _commands(text: str) -> list[str]:
    """The lines a GitHub runner reads as workflow commands (after trimming leading blanks)."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("::")]


def test_tool_output_cannot_start_a_workflow_command_on_github(
    lint, tmp_path: Path, monkeypatch
) -> None:
    chart = _chart_that_fails(tmp_path)
    result = lint("--chart", chart, fmt="github")
    assert result.code == 2
    assert _commands(result.stderr) == [], result.stderr
    # The failed build is one annotation of our own, its text percent-encoded.
    (command,) = _commands(result.stdout)
    assert command.startswith("::error file=") and "%0A::error" in command, command
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = lint("--chart", chart, fmt="text")
    assert _commands(result.stderr + result.stdout) == [], result.stderr
    assert "| ::error file=README.md" in result.stderr
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert _commands(lint("--chart", chart, fmt="text").stderr)  # elsewhere shown as it is


def test_a_missing_path_does_not_abort_the_run(lint, tmp_path: Path) -> None:
    """The other paths are linted, the missing one is reported in the report too, exit 2."""
    path = tmp_path / "pod.yaml"
    path.write_text(SMALL_POD)
    missing = tmp_path / "nope.yaml"
    result = lint(missing, path)
    assert result.code == 2
    assert [f["rule"] for f in result.findings] == ["missing-seccomp-profile"]
    assert result.report["summary"]["failed"] == [
        {"path": str(missing), "reason": "no such file or directory"}
    ]
    assert f"{missing}: no such file or directory" in result.stderr


def test_a_run_that_fails_before_linting_still_writes_every_report(lint, tmp_path: Path) -> None:
    """An empty folder: JSON on stdout, the SARIF file (executionSuccessful: false), exit 2."""
    empty = tmp_path / "empty"
    empty.mkdir()
    sarif = tmp_path / "out.sarif"
    result = lint("--sarif-file", sarif, empty)
    assert result.code == 2
    assert result.report["findings"] == []
    assert result.report["summary"]["failed"][0]["reason"].startswith("no manifest files")
    (invocation,) = json.loads(sarif.read_text())["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "no manifest files" in invocation["toolExecutionNotifications"][0]["message"]["text"]


WINDOWS_TEMPLATE = """\
apiVersion: v1
kind: Pod
metadata:
  name: win
spec:
  os:
    name: windows
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: app
      image: mcr.microsoft.com/windows/servercore/iis
"""


def test_help_for_a_removal_in_a_chart_says_what_to_remove(lint, tmp_path: Path) -> None:
    """seccomp-on-windows-pod's fix removes the profile: the values hint must not recommend the
    setting that causes the finding."""
    chart = tmp_path / "winchart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: winchart\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(
        "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
    )
    (chart / "templates" / "pod.yaml").write_text(WINDOWS_TEMPLATE)
    for extra in ([], ["--unsafe-fixes"]):
        result = lint("--chart", chart, *extra, fmt="text")
        assert "seccomp-on-windows-pod" in result.stdout, result.stdout
        assert "remove podSecurityContext.seccompProfile from the values" in result.stdout
        assert "set podSecurityContext.seccompProfile.type: RuntimeDefault" not in result.stdout


def test_the_pre_filter_knows_every_kind_that_holds_a_pod_template() -> None:
    """prefilter.POD_KINDS (text) and the workloads' template paths (model) name the same kinds."""
    from seccomp_lint.model import workloads
    from seccomp_lint.text import prefilter

    assert set(prefilter.POD_KINDS) == set(workloads._TEMPLATE_PATHS)


def _runner_commands(text: str) -> list[str]:
    """The lines a GitHub runner reads as workflow commands: ``::name`` at the start of the
    trimmed line, or the legacy ``##[name]`` anywhere in it."""
    return [line for line in text.splitlines() if line.strip()[:2] == "::" or "##[" in line]


def test_file_names_and_values_cannot_start_a_workflow_command_on_github(
    tmp_path: Path, monkeypatch
) -> None:
    """A file name or a manifest value holding ``::warning::`` or the legacy ``##[cmd]`` (which
    the runner reads anywhere in a line: ``stop-commands`` would silence every annotation after
    it) starts no command, in any line seccomp-lint prints on GitHub; JSON keeps the values."""
    (tmp_path / ".git").mkdir()
    pod = SMALL_POD.replace("name: p\n", 'name: "x ##[set-output name=a;]b"\n')
    (tmp_path / "::warning::x.yaml").write_text(pod)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "##[stop-commands]tok.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.x }}\n"
    )
    result = run_cli(".", cwd=tmp_path, fmt="github")
    assert _runner_commands(result.stderr) == [], result.stderr
    ours = [x for x in result.stdout.splitlines() if x.startswith("::error file=")]
    assert len(ours) == 1 and "%3A%3Awarning%3A%3Ax.yaml" in ours[0], result.stdout
    assert _runner_commands(result.stdout) == ours  # (a well-formed ::error is read as itself)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for fmt in ("text", "concise", "json", "sarif", "junit", "gitlab", "markdown"):
        result = run_cli(".", cwd=tmp_path, fmt=fmt)
        assert _runner_commands(result.stdout + result.stderr) == [], fmt
    # What a config file says, in a usage error, and in the github format's summary line.
    (tmp_path / ".seccomp-lint.yaml").write_text('select: ["##[stop-commands]tok"]\n')
    result = run_cli(".", cwd=tmp_path, fmt="github")
    assert result.code == 2 and _runner_commands(result.stderr) == [], result.stderr
    (tmp_path / ".seccomp-lint.yaml").write_text('baseline: "##[stop-commands]tok.json"\n')
    gone = dict.fromkeys(("kind", "namespace", "name", "container", "setting"))
    gone.update(rule="missing-seccomp-profile", path="gone.yaml")  # (said: a stale entry)
    (tmp_path / "##[stop-commands]tok.json").write_text(
        json.dumps({"version": 1, "entries": [gone]})
    )
    result = run_cli(".", cwd=tmp_path, fmt="github")
    ours = [x for x in result.stdout.splitlines() if x.startswith("::error file=")]
    assert "stop-commands]tok.json with --write-baseline" in result.stdout, result.stdout
    assert _runner_commands(result.stdout + result.stderr) == ours, result.stdout
    report = json.loads(run_cli(".", cwd=tmp_path, fmt="json").stdout)
    assert report["findings"][0]["object"]["name"] == "x ##[set-output name=a;]b"
    assert report["findings"][0]["path"].endswith("::warning::x.yaml")


def test_the_github_format_s_own_annotations_go_out_whole_on_stderr(tmp_path: Path) -> None:
    """With --diff (or --fix -) the github format's report goes to stderr: its annotations are
    still read by the runner as themselves (not quoted), other lines still neutralised."""
    (tmp_path / ".git").mkdir()
    unconfined = "  securityContext: {seccompProfile: {type: Unconfined}}\n  containers:"
    (tmp_path / "u.yaml").write_text(SMALL_POD.replace("  containers:", unconfined))
    env = {**os.environ, "GITHUB_ACTIONS": "true"}  # (Unconfined: an unsafe fix, it remains)
    done = run_process("-f", "github", "--diff", "u.yaml", cwd=tmp_path, env=env, text=True)
    assert any(x.startswith("::error file=u.yaml,") for x in done.stderr.splitlines()), done.stderr
    assert "| ::error" not in done.stderr
