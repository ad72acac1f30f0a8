"""The composite GitHub Action: its documented inputs, action.yml and the documented workflow
against GitHub's schemas, the SARIF rule properties code scanning ranks alerts by, and its steps
run as the runner would run them (inputs through the environment, ``$RUNNER_TEMP``,
``$GITHUB_STEP_SUMMARY``, ``$GITHUB_OUTPUT``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SARIF_SCHEMA_PATH

from seccomp_lint.output.report import Run
from seccomp_lint.output.sarif import sarif_log
from seccomp_lint.rules import BY_ID, RULES

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
# The steps that run a script (the others use pinned actions: setup-python, cache).
STEPS = [step for step in ACTION["runs"]["steps"] if "run" in step]
USES = [step for step in ACTION["runs"]["steps"] if "uses" in step]
INPUTS = {"paths", "level", "kube-version", "args", "sarif-file"}
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
INTEGRATION_DOC = (REPO / "docs" / "integration.md").read_text()
# The documented workflow: the one ```yaml block of docs/integration.md that has jobs.
(WORKFLOW,) = [
    block
    for block in re.findall(r"^```yaml\n(.*?)^```$", INTEGRATION_DOC, re.M | re.S)
    if re.search(r"^jobs:", block, re.M)
]

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
    assert "github/codeql-action/upload-sarif@" in WORKFLOW and "always()" in WORKFLOW


# --- action.yml and the documented workflow against GitHub's schemas --------------------------

# check-jsonschema (a test dependency) ships SchemaStore's GitHub schemas: no download.
_BUILTIN = {"action": "vendor.github-actions", "workflow": "vendor.github-workflows"}


def _check_jsonschema(kind: str, path: Path) -> tuple[int, dict]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            _BUILTIN[kind],
            "--output-format",
            "json",
            "--verbose",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: invalid; else it broke
    return done.returncode, json.loads(done.stdout)


def test_action_yml_matches_the_actions_schema():
    code, report = _check_jsonschema("action", REPO / "action.yml")
    assert code == 0 and report["status"] == "ok", report


def test_documented_workflow_matches_the_workflow_schema(tmp_path):
    (tmp_path / "seccomp-lint.yml").write_text(WORKFLOW)
    code, report = _check_jsonschema("workflow", tmp_path / "seccomp-lint.yml")
    assert code == 0 and report["status"] == "ok", report
    # What the workflow is for: the action, then the upload, with what the upload needs.
    workflow = yaml.safe_load(WORKFLOW)
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    assert uses == [
        "actions/checkout",
        "seccomp-lint/seccomp-lint",
        "github/codeql-action/upload-sarif",
    ]
    upload = job["steps"][2]
    assert upload["with"]["sarif_file"] == ACTION["inputs"]["sarif-file"]["default"]
    # Also after the lint step failed the job; not where the token is read-only (forks).
    assert upload["if"].startswith("always()")
    assert "github.event.pull_request.head.repo.full_name == github.repository" in upload["if"]


@pytest.mark.parametrize(
    ("kind", "source", "broken", "complaint"),
    [
        # A composite step that runs a script must name its shell.
        ("action", "action.yml", ("      shell: bash\n", ""), "$.runs.steps[1]"),
        ("action", "action.yml", ("using: composite", "using: compsite"), "'compsite' is not"),
        (
            "workflow",
            "workflow",
            ("security-events: write", "security-events: writ"),
            "'writ' is not one of",
        ),
        ("workflow", "workflow", ("    runs-on:", "    run-on:"), "'runs-on' is a required"),
    ],
)
def test_schema_check_rejects_a_broken_copy(tmp_path, kind, source, broken, complaint):
    """The two checks above can fail: the same check on a deliberately broken copy does."""
    text = (REPO / "action.yml").read_text() if source == "action.yml" else WORKFLOW
    old, new = broken
    assert old in text
    path = tmp_path / ("action.yml" if kind == "action" else "workflow.yml")
    path.write_text(text.replace(old, new))
    code, report = _check_jsonschema(kind, path)
    assert code == 1 and report["status"] == "fail", report
    assert complaint in json.dumps(report["errors"]), report


def test_documented_actions_are_pinned_by_sha():
    """Every action by full commit SHA: third-party ones with the version in a comment;
    seccomp-lint's own with a pointer to the explanation (which commit it is, and that it exists
    here, is tests/test_precommit.py's to check)."""
    uses = re.findall(r"^\s*-?\s*uses:\s*(\S+)(.*)$", WORKFLOW, re.M)
    assert len(uses) == 3
    for ref, rest in uses:
        action, _, version = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", version), ref
        if action == "seccomp-lint/seccomp-lint":
            assert "Pinning" in rest, rest
            continue
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), (ref, rest)
    assert "`uses: seccomp-lint/seccomp-lint@<commit-sha> # v" in INTEGRATION_DOC
    for permission in ("security-events: write", "actions: read", "contents: read"):
        assert f"`{permission}`" in INTEGRATION_DOC, permission


# --- SARIF as code scanning ranks it -----------------------------------------------------------


def test_sarif_rules_carry_security_severity_and_tag():
    log = sarif_log(Run())
    if SARIF_SCHEMA_PATH.exists():
        import jsonschema

        schema = json.loads(SARIF_SCHEMA_PATH.read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.ID for rule in RULES]
    scores: dict[str, dict[str, float]] = {"error": {}, "warning": {}}
    for rule in rules:
        properties = rule["properties"]
        assert "security" in properties["tags"], rule["id"]
        value = properties["security-severity"]
        # GitHub reads a string holding a decimal number.
        assert isinstance(value, str) and re.fullmatch(r"\d+\.\d", value), (rule["id"], value)
        assert 0.0 <= float(value) <= 10.0, (rule["id"], value)
        scores[str(BY_ID[rule["id"]].SEVERITY)][rule["id"]] = float(value)
    # Errors rank above warnings; a container left unconfined is high (7.0 to 8.9).
    assert min(scores["error"].values()) > max(scores["warning"].values()), scores
    for rule_id in ("missing-seccomp-profile", "unconfined-seccomp-profile"):
        assert 7.0 <= scores["error"][rule_id] < 9.0, scores
    # docs/integration.md names the high ones.
    high = re.search(
        r"high\s+\(8\.0\) where a container is left unconfined \(([^)]*)\)", INTEGRATION_DOC
    )
    assert high, "docs/integration.md does not say which rules rank high"
    documented = set(re.findall(r"`([a-z-]+)`", high.group(1)))
    ranked = {rule_id for both in scores.values() for rule_id, v in both.items() if v >= 7.0}
    assert documented == ranked, (documented, ranked)


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
        if expr == "steps.python.outputs.python-path":
            return sys.executable  # what setup-python gives: a Python 3.11+
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs.") :]]
        raise AssertionError(f"the test does not know the expression {expr!r}")

    return _EXPRESSION.sub(one, value)


def _run_step(
    step: dict, workspace: Path, runner: dict[str, str], **inputs: str
) -> subprocess.CompletedProcess:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "NO_COLOR"))
    }
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
    (install,) = [s for s in STEPS if s["name"].startswith("Install")]
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
    assert annotations and all(
        a.startswith(("::error file=", "::warning file=")) for a in annotations
    )
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
    assert "No findings in 2 files" in summary.read_text()  # ".", or " (N pod templates checked)."
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


def test_the_action_brings_its_own_python_and_caches_its_install(tmp_path):
    """setup-python (3.11+, pinned, the job's environment untouched) instead of the runner's
    python3, and the install cached under a key of the action's own files."""
    setup, cache = USES
    pins = re.findall(r"^\s*uses:\s*(\S+)\s+# v(\S+)$", (REPO / "action.yml").read_text(), re.M)
    assert [ref.split("@")[0] for ref, _ in pins] == ["actions/setup-python", "actions/cache"]
    assert all(re.fullmatch(r"[0-9a-f]{40}", ref.split("@")[1]) for ref, _ in pins), pins
    assert setup["uses"].startswith("actions/setup-python@")
    version = tuple(int(x) for x in str(setup["with"]["python-version"]).split("."))
    assert version >= (3, 11)
    assert setup["with"]["update-environment"] is False
    assert cache["uses"].startswith("actions/cache@")
    assert "steps.key.outputs.hash" in cache["with"]["key"]
    assert "steps.python.outputs.python-version" in cache["with"]["key"]
    (install,) = [s for s in STEPS if s["name"].startswith("Install")]
    assert install["if"] == "steps.cache.outputs.cache-hit != 'true'"
    (key,) = [s for s in STEPS if s.get("id") == "key"]
    output = tmp_path / "github-output"
    done = _run_step(key, tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    (line,) = output.read_text().splitlines()
    assert re.fullmatch(r"hash=[0-9a-f]{16}", line), line
