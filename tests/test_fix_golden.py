"""Golden files for --fix: ``tests/golden/NAME.in.EXT`` becomes ``NAME.out.EXT``.

``NAME.args`` (optional) holds extra command-line flags. An ``.out`` file equal to its ``.in``
file states that --fix must leave that input alone.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import REPO, TESTS, run_cli

from seccomp_lint import cli
from seccomp_lint.fix import fixes
from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Edit, Options, Pos
from seccomp_lint.rules import RULES

GOLDEN = TESTS / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if ".in." in p.name)


def _expected(case: Path) -> Path:
    return case.with_name(case.name.replace(".in.", ".out."))


def _args(case: Path) -> list[str]:
    flags = case.with_name(case.name.split(".in.")[0] + ".args")
    return shlex.split(flags.read_text()) if flags.exists() else []


def _options(args: list[str]) -> Options:
    parsed = cli.build_parser().parse_args([*args, "x"])
    return Options(
        kube_version=parsed.kube_version, require_runtime_default=parsed.require_runtime_default
    )


def _copy(case: Path, tmp_path: Path) -> Path:
    target = tmp_path / case.name.replace(".in.", ".")
    shutil.copyfile(case, target)
    return target


def test_every_case_has_an_expected_output():
    assert CASES
    for case in CASES:
        assert _expected(case).exists(), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_matches_golden_output(case: Path, tmp_path: Path):
    target = _copy(case, tmp_path)
    code, out, _ = run_cli("--fix", *_args(case), target, fmt=None).output
    expected = _expected(case).read_bytes()
    assert target.read_bytes() == expected
    changed = expected != case.read_bytes()
    # One summary line, as ruff prints it: "Found N findings (M fixed, K remaining)".
    assert (" fixed, " in out) == changed
    assert "Fixed 0" not in out and "No findings in" not in out.split("Found")[-1]
    remaining = ("remaining)" in out and ", 0 remaining)" not in out) or (
        "Found " in out and " fixed, " not in out
    )
    assert code == (1 if remaining else 0)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_second_fix_changes_nothing(case: Path, tmp_path: Path):
    target = tmp_path / case.name.replace(".in.", ".")
    shutil.copyfile(_expected(case), target)
    code, out, _ = run_cli("--fix", *_args(case), target, fmt=None).output
    assert target.read_bytes() == _expected(case).read_bytes()
    assert " fixed, " not in out
    assert code == (1 if "Found " in out else 0)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fixed_file_lints_clean_of_what_was_fixed(case: Path):
    args = _args(case)
    unsafe = "--unsafe-fixes" in args
    options = _options(args)
    is_json = case.suffix == ".json"
    before = lint_bytes(case.read_bytes(), case.name, options, is_json).findings
    after = lint_bytes(_expected(case).read_bytes(), case.name, options, is_json).findings
    assert not [f for f in after if fixes.applicable(f, unsafe)]
    fixed = {f.rule for f in before if fixes.applicable(f, unsafe)}
    assert not fixed & {f.rule for f in after if f.fix is None or f.fix.edits}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_diff_writes_nothing(case: Path, tmp_path: Path):
    target = _copy(case, tmp_path)
    stamp = target.stat().st_mtime_ns
    code, out, err = run_cli("--diff", *_args(case), target, fmt=None).output
    assert target.read_bytes() == case.read_bytes()
    assert target.stat().st_mtime_ns == stamp
    changed = _expected(case).read_bytes() != case.read_bytes()
    assert code == (1 if changed else 0)
    assert ("+++ b/" in out) == changed
    assert "Would fix" in err


def test_every_fixable_rule_has_a_golden_case():
    """Each rule with a fix is applied in at least one golden case."""
    applied: set[str] = set()
    for case in CASES:
        if _expected(case).read_bytes() == case.read_bytes():
            continue
        args = _args(case)
        findings = lint_bytes(
            case.read_bytes(), case.name, _options(args), case.suffix == ".json"
        ).findings
        applied |= {f.rule for f in findings if fixes.applicable(f, "--unsafe-fixes" in args)}
    assert applied == {r.ID for r in RULES if r.FIXES}


def _apply_json_fixes(case: Path) -> str:
    findings = json.loads(_json_report(case))["findings"]
    edits = [
        Edit(Pos(**e["start"]), Pos(**e["end"]), e["content"])
        for f in findings
        if f["fix"]
        for e in f["fix"]["edits"]
    ]
    body = case.read_bytes().decode("utf-8-sig")
    return fixes.apply_edits(body, edits)


def _json_report(case: Path) -> str:
    return run_cli(*_args(case), case).stdout


@pytest.mark.parametrize(
    "name",
    [
        "missing-block-2-spaces.in.yaml",
        "missing-flow-nonempty.in.yaml",
        "missing-crlf.in.yaml",
        "missing-multi-document.in.yaml",
        "missing-deployment.in.json",
        "invalid-mis-cased-type.in.yaml",
    ],
)
def test_json_output_edits_reproduce_the_fix(name: str):
    """The ``fix.edits`` of --format json (1-based, end exclusive) give the --fix result."""
    case = GOLDEN / name
    expected = _expected(case).read_bytes().decode("utf-8-sig")
    assert _apply_json_fixes(case) == expected


def test_json_fix_contract_shape():
    report = json.loads(_json_report(GOLDEN / "missing-block-2-spaces.in.yaml"))
    (finding,) = report["findings"]
    assert finding["fix"] == {
        "description": "add seccompProfile: {type: RuntimeDefault} to "
        "spec.template.spec.securityContext",
        "applicability": "safe",
        "declined": None,
        "edits": [
            {
                "start": {"line": 14, "column": 1},
                "end": {"line": 14, "column": 1},
                "content": "      securityContext:\n        seccompProfile:\n"
                "          type: RuntimeDefault\n",
            }
        ],
    }


def test_helm_rendered_finding_names_the_template(tmp_path: Path):
    target = _copy(GOLDEN / "helm-rendered-not-rewritten.in.yaml", tmp_path)
    out = run_cli("--fix", target, fmt=None).stdout
    assert "in the chart template web/templates/deployment.yaml" in out
    report = json.loads(_json_report(GOLDEN / "helm-rendered-not-rewritten.in.yaml"))
    fix = report["findings"][0]["fix"]
    assert fix["edits"] == [] and "web/templates/deployment.yaml" in fix["declined"]


def test_unsafe_fixes_are_held_back_and_counted(tmp_path: Path):
    target = _copy(GOLDEN / "unsafe-held-back.in.yaml", tmp_path)
    code, out, _ = run_cli("--fix", target, fmt=None).output
    assert code == 1
    assert "2 unsafe fixes were held back" in out


def test_readme_fix_example(tmp_path: Path):
    """The README's before/after --fix example is what --fix does."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")

    def block(marker: str) -> str:
        rest = readme.split(f"<!-- fix-example: {marker} -->", 1)[1]
        return rest.split("```yaml\n", 1)[1].split("```", 1)[0]

    target = tmp_path / "web.yaml"
    target.write_text(block("before"), encoding="utf-8")
    result = run_cli("--fix", target, fmt=None)
    assert result.code == 0  # nothing remains
    assert target.read_text(encoding="utf-8") == block("after")
    assert "Found 2 findings (2 fixed, 0 remaining)" in result.stdout
    assert run_cli("--fix", "--exit-non-zero-on-fix", target, fmt=None).code == 0  # unchanged
    target.write_text(block("before"), encoding="utf-8")
    assert run_cli("--fix", "--exit-non-zero-on-fix", target, fmt=None).code == 1
