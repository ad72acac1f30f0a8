"""The composite GitHub Action: its documented inputs, and its steps run as the runner would run
them (inputs through the environment, ``$RUNNER_TEMP``, ``$GITHUB_STEP_SUMMARY``, ``$GITHUB_OUTPUT``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
SARIF_SCHEMA_PATH = REPO.parent / "shared" / "schemas" / "sarif-2.1.0.json"
INPUTS = {"paths", "level", "kube-version", "args", "sarif-file"}
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")

NON_COMPLIANT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      securityContext:
        seccompProfile: {type: Unconfined}
      containers:
        - {name: app, image: nginx}
        - {name: side, image: busybox}
"""
COMPLIANT = """\
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - {name: app, image: nginx}
"""
MISSING_ONLY = """\
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  containers:
    - {name: app, image: nginx}
"""


def test_action_metadata():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == INPUTS
    for name, spec in ACTION["inputs"].items():
        assert spec["description"], name
        assert spec.get("required", False) is False, name
    assert ACTION["inputs"]["paths"]["default"] == "."
    assert ACTION["inputs"]["sarif-file"]["default"] == "seccomp-lint.sarif"


def test_inputs_are_documented():
    doc = (REPO / "docs" / "integration.md").read_text()
    section = doc.split("| input | default | meaning |", 1)[1].split("\n\n", 1)[0]
    table = dict(re.findall(r"^\| `([a-z-]+)` \|([^|]*)\|", section, re.M))
    for name, spec in ACTION["inputs"].items():
        assert name in table, f"docs/integration.md does not document input {name!r}"
        if spec["default"]:
            assert f"`{spec['default']}`" in table[name], name
    assert "github/codeql-action/upload-sarif@v4" in doc and "if: always()" in doc


def test_expressions_only_reach_scripts_through_env():
    """``${{ inputs.x }}`` pasted into a script would run whatever the input holds."""
    used = set()
    for step in STEPS:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step["name"]
        for value in step.get("env", {}).values():
            used.update(m for m in _EXPRESSION.findall(str(value)) if m.startswith("inputs."))
    assert used == {f"inputs.{name}" for name in INPUTS}


def _substitute(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        expr = match.group(1)
        if expr == "github.action_path":
            return str(REPO)
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        raise AssertionError(f"the test does not know the expression {expr!r}")

    return _EXPRESSION.sub(one, value)


def _run_step(
    step: dict, workspace: Path, runner: dict[str, str], **inputs: str
) -> subprocess.CompletedProcess:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "NO_COLOR"))}
    env.update(runner)
    env.update({k: _substitute(str(v), values) for k, v in step.get("env", {}).items()})
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """``$RUNNER_TEMP`` after the install step ran (once for the module: it pip-installs)."""
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    temp = tmp_path_factory.mktemp("runner-temp")
    install = STEPS[0]
    assert install["name"].startswith("Install")
    done = _run_step(install, temp, {"RUNNER_TEMP": str(temp)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (temp / "seccomp-lint-venv" / "bin" / "seccomp-lint").exists()
    return temp


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/web.yaml").write_text(NON_COMPLIANT)
    (tmp_path / "deploy/ok.yaml").write_text(COMPLIANT)
    (tmp_path / "other").mkdir()
    (tmp_path / "other/bare.yaml").write_text(MISSING_ONLY)
    return tmp_path


def _lint_step(runner_temp: Path, workspace: Path, **inputs: str):
    summary, output = workspace / "step-summary.md", workspace / "github-output"
    runner = {
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "XDG_CACHE_HOME": str(workspace / ".cache"),
    }
    (lint,) = [s for s in STEPS if s.get("id") == "lint"]
    done = _run_step(lint, workspace, runner, **inputs)
    return done, summary, output


def test_action_reports_findings(runner_temp, workspace):
    done, summary, output = _lint_step(runner_temp, workspace)
    assert done.returncode == 1, done.stderr  # findings fail the job
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations and all(a.startswith(("::error file=", "::warning file=")) for a in annotations)
    assert any(a.startswith("::error file=deploy/web.yaml,line=8,") for a in annotations)
    assert any("file=other/bare.yaml," in a for a in annotations)

    sarif = json.loads((workspace / "seccomp-lint.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(annotations)
    if SARIF_SCHEMA_PATH.exists():
        import jsonschema

        schema = json.loads(SARIF_SCHEMA_PATH.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(sarif)

    lines = summary.read_text().splitlines()
    rows = [line for line in lines if line.startswith(("| error", "| warning"))]
    assert len(rows) == len(annotations), "the job summary lists every finding"
    assert "sarif-file=seccomp-lint.sarif" in output.read_text().splitlines()


def test_action_inputs_reach_the_linter(runner_temp, workspace):
    done, summary, _ = _lint_step(
        runner_temp,
        workspace,
        paths="deploy/ok.yaml\nother",
        level="baseline",
        kube_version="1.30",
        args="--ignore yaml-syntax-error  --statistics",
        sarif_file="out/report.sarif",
    )
    # other/bare.yaml only misses a profile, which baseline allows; deploy/web.yaml is not linted.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::" not in done.stdout
    assert "No findings in 2 files." in summary.read_text()
    assert json.loads((workspace / "out/report.sarif").read_text())["runs"][0]["results"] == []
    done, _, _ = _lint_step(runner_temp, workspace, paths="other", kube_version="nonsense")
    assert done.returncode == 2 and "--kube-version" in done.stderr


def test_action_without_sarif(runner_temp, workspace):
    done, _, output = _lint_step(runner_temp, workspace, sarif_file="", paths="deploy")
    assert done.returncode == 1
    assert not list(workspace.rglob("*.sarif"))
    assert "sarif-file=" in output.read_text().splitlines()


def test_inputs_cannot_inject_shell(runner_temp, workspace):
    done, _, _ = _lint_step(
        runner_temp,
        workspace,
        paths='deploy $(touch pwned1) `touch pwned2` ; touch pwned3 "*"',
        args="$(touch pwned4)",
        level="restricted; touch pwned5",
    )
    assert done.returncode == 2  # nonsense paths and level are errors, not commands
    assert not list(workspace.glob("pwned*"))
