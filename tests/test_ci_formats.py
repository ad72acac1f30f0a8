"""CI formats and ruff's output options, through the console script: JUnit XML (the elements and
attributes GitLab, Jenkins and Azure read), GitLab Code Quality (validated against its documented
fields), --output-format concise/full, --statistics alone, --list-rules --format json."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from conftest import BARE_POD, WEB_POD, run_process

from seccomp_lint.rules import RULES

# A pod whose names carry XML markup and a terminal escape: the report must stay well-formed.
MARKUP_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: "a<b&c>\\"d\\e[31m"}
spec:
  containers:
    - name: "x]]>y"
      image: nginx
      securityContext:
        privileged: true
"""
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"

# GitLab Code Quality: the fields GitLab documents as required, and its severities.
CODE_QUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./)"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three files: one clean, one with a finding, one with three (markup in its names)."""
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s/clean.yaml").write_text(CLEAN)
    (tmp_path / "k8s/web.yaml").write_bytes(WEB_POD)
    (tmp_path / "k8s/markup.yaml").write_text(MARKUP_POD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("CI_PROJECT_DIR", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _run(*args: str | Path, **kwargs) -> tuple[int, str, str]:
    done = run_process(*args, text=True, **kwargs)
    return done.returncode, done.stdout, done.stderr


# --- JUnit -------------------------------------------------------------------------------------


def test_junit_has_one_test_case_per_file_and_one_failure_per_finding(repo: Path):
    code, out, err = _run("--format", "junit", "k8s")
    assert code == 1, err
    root = ET.fromstring(out.encode())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == root.get("name") == "seccomp-lint"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"k8s/clean.yaml", "k8s/web.yaml", "k8s/markup.yaml"}
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors")) == (
            "3",
            "2",
            "0",
        )
    assert all(case.get("classname") == "seccomp-lint" for case in cases.values())
    assert list(cases["k8s/clean.yaml"]) == []  # a passing test case

    (failure,) = cases["k8s/web.yaml"].findall("failure")
    assert failure.get("type") == "missing-seccomp-profile"
    assert failure.get("message", "").startswith('Pod/web: container "app" runs without')
    assert failure.text and failure.text.startswith("k8s/web.yaml:6:3: Pod/web:")
    assert "\nhelp: add to spec.securityContext" in failure.text

    failures = cases["k8s/markup.yaml"].findall("failure")
    types = sorted(f.get("type") or "" for f in failures)
    assert types == ["missing-seccomp-profile", "privileged-container-seccomp"]
    message = failures[0].get("message") or ""
    assert 'Pod/a<b&c>"d\\x1b[31m:' in message  # markup intact, the escape shown, not sent


def test_junit_reports_an_unreadable_input_as_an_error(repo: Path):
    code, out, _ = _run("--format", "junit", "k8s/web.yaml", "k8s/absent.yaml")
    assert code == 2
    suite = ET.fromstring(out.encode()).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")
    (case,) = [c for c in suite.findall("testcase") if c.find("error") is not None]
    assert case.get("name") == "k8s/absent.yaml"
    error = case.find("error")
    assert error is not None and error.get("type") == "input-error"
    assert error.get("message") == "could not be read or built"
    assert error.text == "no such file or directory"


def test_junit_of_a_clean_run_passes(repo: Path):
    code, out, _ = _run("-f", "junit", "k8s/clean.yaml")
    assert code == 0
    suite = ET.fromstring(out.encode()).find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"


# --- GitLab Code Quality -----------------------------------------------------------------------


def _gitlab(*args: str | Path, **kwargs) -> tuple[int, list[dict]]:
    code, out, _ = _run("--format", "gitlab", *args, **kwargs)
    issues = json.loads(out)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    return code, issues


def test_gitlab_code_quality_fields(repo: Path):
    code, issues = _gitlab("k8s")
    assert code == 1
    by_rule = {i["check_name"]: i for i in issues}
    assert set(by_rule) == {"missing-seccomp-profile", "privileged-container-seccomp"}
    assert len(issues) == 3
    web = next(i for i in issues if i["location"]["path"] == "k8s/web.yaml")
    assert web["location"]["lines"]["begin"] == 6
    assert web["severity"] == "major"  # an error
    assert by_rule["privileged-container-seccomp"]["severity"] == "minor"  # a warning
    assert web["description"].startswith('Pod/web: container "app" runs without')
    assert len({i["fingerprint"] for i in issues}) == 3


def test_gitlab_fingerprints_survive_moved_lines_and_change_with_the_object(repo: Path):
    _, first = _gitlab("k8s/web.yaml")
    (repo / "k8s/web.yaml").write_bytes(b"# a comment\n\n" + WEB_POD)
    _, moved = _gitlab("k8s/web.yaml")
    assert moved[0]["location"]["lines"]["begin"] == 8
    assert moved[0]["fingerprint"] == first[0]["fingerprint"]
    (repo / "k8s/web.yaml").write_bytes(WEB_POD.replace(b"name: web", b"name: api"))
    _, renamed = _gitlab("k8s/web.yaml")
    assert renamed[0]["fingerprint"] != first[0]["fingerprint"]
    # Two findings with one identity are two issues.
    (repo / "k8s/web.yaml").write_bytes(WEB_POD + b"---\n" + WEB_POD)
    _, twice = _gitlab("k8s/web.yaml")
    assert len({i["fingerprint"] for i in twice}) == 2


def test_gitlab_paths_are_relative_to_the_project_dir(repo: Path):
    """A job that runs in a subdirectory still names files from CI_PROJECT_DIR."""
    env = dict(os.environ) | {"CI_PROJECT_DIR": str(repo)}
    _, issues = _gitlab("web.yaml", cwd=repo / "k8s", env=env)
    assert issues[0]["location"]["path"] == "k8s/web.yaml"
    code, issues = _gitlab("k8s/absent.yaml", "k8s/web.yaml")
    assert code == 2
    (failed,) = [i for i in issues if i["check_name"] == "input-error"]
    assert failed["severity"] == "blocker" and failed["location"]["path"] == "k8s/absent.yaml"


# --- ruff's output options ---------------------------------------------------------------------


def test_output_format_concise_and_full(repo: Path):
    code, concise, _ = _run("--output-format", "concise", "k8s/web.yaml", "k8s/markup.yaml")
    assert code == 1
    lines = concise.splitlines()
    assert len(lines) == 4  # three findings, the summary
    assert lines[0].startswith("k8s/web.yaml:6:3: missing-seccomp-profile Pod/web: container")
    assert not any(line.startswith(" ") or "help:" in line for line in lines)
    assert lines[-1].startswith("Found 3 findings")
    default = _run("k8s/web.yaml", "k8s/markup.yaml")
    assert _run("--output-format", "full", "k8s/web.yaml", "k8s/markup.yaml") == default
    assert _run("-f", "text", "k8s/web.yaml", "k8s/markup.yaml") == default
    assert "  help: " in default[1]
    assert json.loads(_run("--output-format", "json", "k8s/web.yaml")[1])["findings"]
    code, _, err = _run("--output-format", "pylint", "k8s/web.yaml")
    assert code == 2 and "invalid choice: 'pylint'" in err


def test_statistics_prints_only_the_counts(repo: Path):
    (repo / "k8s/more.yaml").write_text(BARE_POD)
    code, out, _ = _run("--statistics", "k8s")
    assert code == 1
    assert out == "3  missing-seccomp-profile\n1  privileged-container-seccomp\n"
    assert _run("--statistics", "--output-format", "concise", "k8s")[1] == out
    # Beside a machine format the report keeps stdout and the counts go to stderr.
    code, report, err = _run("--statistics", "-f", "json", "k8s")
    assert len(json.loads(report)["findings"]) == 4
    assert err == out


def test_list_rules_as_json(repo: Path):
    code, out, _ = _run("--list-rules", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [rule.ID for rule in RULES]
    first = listed[0]
    assert set(first) == {"id", "level", "severity", "summary", "fixes"}
    assert (first["level"], first["severity"]) == ("restricted", "error")
    assert first["fixes"][0]["applicability"] == "safe"
    assert all(r["summary"] and isinstance(r["fixes"], list) for r in listed)
    assert any(r["fixes"] == [] for r in listed)
    text = _run("--list-rules")[1]
    assert text.split()[0] == first["id"] and not text.startswith("[")
