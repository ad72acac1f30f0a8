"""Everyday conventions users bring from ruff, yamllint and pre-commit: colour, excludes and
.gitignore, short flags, --list-rules, did-you-mean, all config problems at once, readable tool
errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_cli

from seccomp_lint.rules import RULES

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n*.local.yaml\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "pod.yaml").write_text(POD)
    (tmp_path / "deploy" / "pod.local.yaml").write_text(POD)
    (tmp_path / "deploy" / ".gitignore").write_text("!keep.local.yaml\nvendor\n")
    (tmp_path / "deploy" / "keep.local.yaml").write_text(POD)
    (tmp_path / "deploy" / "vendor").mkdir()
    (tmp_path / "deploy" / "vendor" / "pod.yaml").write_text(POD)
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "pod.yaml").write_text(POD)
    return tmp_path


def _linted(result) -> list[str]:
    return sorted({Path(f["path"]).as_posix() for f in result.findings})


def test_walks_respect_gitignore_files(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert _linted(run_cli(".", cwd=root)) == ["deploy/keep.local.yaml", "deploy/pod.yaml"]
    # From inside the repository the .gitignore above the walked directory applies too.
    inside = run_cli(".", cwd=root / "deploy")
    assert sorted(Path(f["path"]).name for f in inside.findings) == ["keep.local.yaml", "pod.yaml"]
    everything = run_cli("--no-respect-gitignore", ".", cwd=root)
    assert len(everything.findings) == 5
    # A file named on the command line is read, ignored or not.
    assert run_cli("generated/pod.yaml", cwd=root).findings


def test_exclude_on_the_command_line(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = run_cli("--exclude", "keep*", "--exclude", "deploy/pod.yaml", ".", cwd=root)
    assert result.findings == [] and result.code == 0
    assert (
        "No findings in 0 files" in run_cli("--exclude", "*.yaml", ".", cwd=root, fmt="text").stdout
    )


@pytest.mark.parametrize(
    ("args", "env", "colored"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ([], {}, False),  # not a terminal
    ],
)
def test_color(tmp_path: Path, monkeypatch, args, env, colored) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "pod.yaml").write_text(POD)
    out = run_cli(*args, tmp_path / "pod.yaml", fmt="text").stdout
    assert ("\033[" in out) == colored


def test_short_flags_and_output_file(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    report = tmp_path / "report.json"
    result = run_cli("-q", "-f", "json", "-o", report, "-j", "1", tmp_path / "pod.yaml", fmt=None)
    assert result.stdout == "" and result.code == 1
    assert '"rule": "missing-seccomp-profile"' in report.read_text()
    assert run_cli("-e", tmp_path / "pod.yaml", fmt="text").code == 0


def test_list_rules() -> None:
    out = run_cli("--list-rules", fmt=None).stdout.splitlines()
    assert [line.split()[0] for line in out] == [rule.ID for rule in RULES]
    first = out[0].split()
    assert first[1:3] == ["restricted", "error"]


@pytest.mark.parametrize("option", ["--select", "--ignore", "--explain"])
def test_unknown_rule_id_gets_did_you_mean(tmp_path: Path, option: str) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    result = run_cli(option, "missing-seccomp-profil", tmp_path / "pod.yaml", fmt="text")
    assert result.code == 2
    assert "did you mean 'missing-seccomp-profile'?" in result.stderr


def test_config_problems_are_reported_all_at_once(tmp_path: Path) -> None:
    (tmp_path / ".seccomp-lint.yaml").write_text(
        "select: [missing-seccomp-profil]\nignore: [privileged-containr-seccomp]\n"
    )
    (tmp_path / "pod.yaml").write_text(POD)
    err = run_cli("pod.yaml", cwd=tmp_path, fmt="text").stderr
    assert "missing-seccomp-profil'" in err and "privileged-containr-seccomp'" in err
    (tmp_path / ".seccomp-lint.yaml").write_text("levle: baseline\nformatt: json\n")
    err = run_cli("pod.yaml", cwd=tmp_path, fmt="text").stderr
    assert "'levle'" in err and "'formatt'" in err


def test_tool_errors_keep_their_line_breaks(tmp_path: Path, monkeypatch) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "kustomize"
    fake.write_text(
        "#!/bin/sh\necho 'Error: accumulating resources:' >&2\necho 'second line' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    err = run_cli("--kustomize", tmp_path / "k", fmt="text").stderr
    assert "\\n" not in err
    assert "\n    Error: accumulating resources:\n    second line\n" in err


def test_held_back_unsafe_fixes_say_how_to_allow_them_in_pre_commit(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        POD.replace("spec:\n", "spec:\n  securityContext: {seccompProfile: {type: Unconfined}}\n")
    )
    out = run_cli("--fix", tmp_path / "pod.yaml", fmt="text").stdout
    assert "args: [--unsafe-fixes]" in out
