"""Fixture-driven tests: each file in fixtures/lint states, inline, what the linter must report.

A fixture's first line is a comment describing the case. Expectations:

* ``# error: [rule-id]`` or ``# error: [rule-a, rule-b]`` as a trailing comment: exactly these
  findings are reported on that line (a rule listed twice must be reported twice);
* ``# expect: LINE rule-id``: a finding on LINE, where a trailing comment cannot go;
* ``# expect-column: LINE COL rule-id``: a finding of that rule on LINE is reported at COL;
* ``# expect-message: LINE rule-id MESSAGE``: a finding of that rule on LINE has exactly MESSAGE;
* ``# args: OPTIONS``: command-line options for the run;
* ``# stderr: TEXT``: stderr contains TEXT;
* ``# xfail: REASON``: the linter is known to report this case wrongly (a reported bug); the
  other markers say what it should report.

A file without markers must produce no findings (exit 0); one with markers exits 1. JSON
fixtures cannot hold comments, so their header lines live in a sidecar ``<name>.json.expect``.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import FIXTURES

LINT = FIXTURES / "lint"
_ERROR = re.compile(r"#\s*error:\s*\[([^\]]*)\]")
_EXPECT = re.compile(r"^\s*#\s*expect:\s*(\d+)\s+(\S+)\s*$")
_COLUMN = re.compile(r"^\s*#\s*expect-column:\s*(\d+)\s+(\d+)\s+(\S+)\s*$")
_MESSAGE = re.compile(r"^\s*#\s*expect-message:\s*(\d+)\s+(\S+)\s(.*)$")
_ARGS = re.compile(r"^\s*#\s*args:(.*)$")
_STDERR = re.compile(r"^\s*#\s*stderr:\s(.*)$")
_XFAIL = re.compile(r"^\s*#\s*xfail:\s(.*)$")


@dataclass
class Case:
    """What one fixture expects."""

    path: Path
    description: str = ""
    args: list[str] = field(default_factory=list)
    findings: Counter = field(default_factory=Counter)  # (line, rule) -> count
    columns: list[tuple[int, int, str]] = field(default_factory=list)
    messages: list[tuple[int, str, str]] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    xfail: str | None = None


def _lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return text.replace("\r\n", "\n").split("\n")


def parse_case(path: Path) -> Case:
    """Read the expectations of one fixture (and its sidecar, for JSON)."""
    case = Case(path)
    if path.suffix == ".json":
        header = _lines(path.with_name(path.name + ".expect"))
        body: list[str] = []
    else:
        header = body = _lines(path)
    case.description = header[0].lstrip("# ").strip()
    for number, line in enumerate(body, start=1):
        for match in _ERROR.finditer(line):
            for rule in filter(None, (r.strip() for r in match.group(1).split(","))):
                case.findings[(number, rule)] += 1
    for line in header:
        if m := _EXPECT.match(line):
            case.findings[(int(m.group(1)), m.group(2))] += 1
        elif m := _COLUMN.match(line):
            case.columns.append((int(m.group(1)), int(m.group(2)), m.group(3)))
        elif m := _MESSAGE.match(line):
            case.messages.append((int(m.group(1)), m.group(2), m.group(3).strip()))
        elif m := _ARGS.match(line):
            case.args += shlex.split(m.group(1))
        elif m := _STDERR.match(line):
            case.stderr.append(m.group(1).strip())
        elif m := _XFAIL.match(line):
            case.xfail = m.group(1).strip()
    return case


def fixture_files() -> list[Path]:
    return sorted(
        p for p in LINT.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
    )


def _params() -> list:
    out = []
    for path in fixture_files():
        reason = parse_case(path).xfail
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, marks=marks, id=path.relative_to(LINT).as_posix()))
    return out


@pytest.mark.parametrize("path", _params())
def test_fixture(path: Path, lint) -> None:
    case = parse_case(path)
    assert case.description, f"{path.name}: the first line must describe the case"
    result = lint(*case.args, str(path))
    assert "Traceback" not in result.stderr
    assert {f["path"] for f in result.findings} <= {str(path)}

    got = Counter((f["line"], f["rule"]) for f in result.findings)
    assert sorted(got.elements()) == sorted(case.findings.elements()), _explain(result.findings)

    for line, column, rule in case.columns:
        columns = [f["column"] for f in result.findings if (f["line"], f["rule"]) == (line, rule)]
        assert columns and all(c == column for c in columns), (line, rule, columns)
    for line, rule, message in case.messages:
        messages = [f["message"] for f in result.findings if (f["line"], f["rule"]) == (line, rule)]
        assert message in messages, (line, rule, messages)
    for text in case.stderr:
        assert text in result.stderr
    assert result.code == (1 if case.findings else 0), result.stderr


def _explain(findings: list[dict]) -> str:
    return "\n".join(f"{f['line']}:{f['column']} {f['rule']} {f['message']}" for f in findings)


def test_every_fixture_states_its_case() -> None:
    """A describing comment first, headers that name expected findings, no stray sidecars."""
    files = fixture_files()
    assert len(files) >= 80
    for path in files:
        header = path.with_name(path.name + ".expect") if path.suffix == ".json" else path
        first = _lines(header)[0]
        assert first.startswith("# ") and len(first) > 10, path.name
        case = parse_case(path)
        for line, _column, rule in case.columns:
            assert (line, rule) in case.findings, (path.name, line, rule)
        for line, rule, _message in case.messages:
            assert (line, rule) in case.findings, (path.name, line, rule)
    for sidecar in LINT.rglob("*.expect"):
        assert sidecar.with_suffix("").is_file(), sidecar


def test_text_output_of_a_fixture(lint) -> None:
    """The text format shows ``path:line:col: rule-id message`` and a ``help:`` line."""
    path = LINT / "nothing-set.yaml"
    result = lint(str(path), fmt="text")
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f'{path}:11:7: missing-seccomp-profile Deployment/web: container "app" runs without a '
        "seccomp profile (neither its own securityContext.seccompProfile nor the pod's is set)"
    )
    assert lines[1].startswith("  help: ")
    assert "seccompProfile: {type: RuntimeDefault}" in lines[1]


def test_json_object_fields(lint) -> None:
    """Findings carry the object (kind, name, namespace, 0-based document) and the container."""
    result = lint(str(LINT / "multi-document-stream.yaml"))
    objects = [(f["object"], f["container"]) for f in result.findings]
    assert objects == [
        ({"kind": "Deployment", "name": "web", "namespace": None, "document": 1}, "app"),
        ({"kind": "Pod", "name": "debug", "namespace": None, "document": 3}, None),
        ({"kind": "Pod", "name": "last", "namespace": None, "document": 5}, "app"),
    ]
    result = lint(str(LINT / "kind-list.yaml"))
    assert [f["object"] for f in result.findings] == [
        {"kind": "Deployment", "name": "bad", "namespace": "prod", "document": 0},
        {"kind": "Pod", "name": "debug", "namespace": None, "document": 0},
    ]


def test_select_and_ignore(lint) -> None:
    """``--select`` and ``--ignore`` filter rule ids; an unknown id is a usage error."""
    path = str(LINT / "annotation-pod-runtime-default-kube-1.27.yaml")
    rules = lambda r: sorted(f["rule"] for f in r.findings)  # noqa: E731
    assert rules(lint("--select", "missing-seccomp-profile", path)) == ["missing-seccomp-profile"]
    assert rules(lint("--ignore", "missing-seccomp-profile", path)) == [
        "deprecated-seccomp-annotation"
    ]
    both = lint("--ignore", "missing-seccomp-profile,deprecated-seccomp-annotation", path)
    assert both.findings == [] and both.code == 0
    assert lint("--select", "no-such-rule", path).code == 2


def test_values_without_chart_is_a_usage_error(lint, tmp_path):
    """``--values`` only feeds ``helm template``; alone it would be silently ignored."""
    values = tmp_path / "values.yaml"
    values.write_text("replicas: 1\n")
    done = lint("--values", str(values), str(values), fmt=None)
    assert done.code == 2
    assert "--values needs --chart" in done.stderr


def test_a_profile_that_is_no_mapping_gets_no_fix(lint, tmp_path: Path) -> None:
    """``seccompProfile`` as a list, or as a scalar that spells no type, is reported and left to
    a person: no fix is planned (and none is declined as an "unusual shape")."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: odd}\nspec:\n  containers:\n"
        "    - name: list\n      securityContext:\n        seccompProfile: [RuntimeDefault]\n"
        "    - name: word\n      securityContext:\n        seccompProfile: ab\n"
        "    - name: fixable\n      securityContext:\n        seccompProfile: runtimedefault\n"
    )
    found = {
        f["container"]: f["fix"]
        for f in lint("--select", "invalid-seccomp-profile", str(manifest)).findings
    }
    assert set(found) == {"list", "word", "fixable"}
    assert found["list"] is None and found["word"] is None
    assert found["fixable"]["applicability"] == "safe" and found["fixable"]["edits"]
