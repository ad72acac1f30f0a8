"""The CLI details ruff users expect (issue 23), each through the real console script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, SMALL_POD, run_process


def test_no_path_means_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(SMALL_POD)
    done = run_process(cwd=tmp_path, text=True)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("pod.yaml:6:3: missing-seccomp-profile"), done.stdout


def test_a_kube_version_cut_short_is_refused_with_the_reason(tmp_path: Path) -> None:
    done = run_process("--kube-version", "1.2", tmp_path, text=True)
    assert done.returncode == 2
    assert "did you mean 1.20?" in done.stderr
    assert run_process("--kube-version", "2.30", tmp_path, text=True).returncode == 2
    (tmp_path / "pod.yaml").write_text(SMALL_POD)
    assert run_process("--kube-version", "1.20", tmp_path, text=True).returncode == 1


def test_rule_ids_are_suggested_whatever_their_case(tmp_path: Path) -> None:
    done = run_process("--ignore", "MISSING-SECCOMP-PROFILE", tmp_path, text=True)
    assert done.returncode == 2
    assert "did you mean 'missing-seccomp-profile'?" in done.stderr


def test_every_config_problem_is_reported_in_one_round(tmp_path: Path) -> None:
    (tmp_path / ".seccomp-lint.yaml").write_text(
        'kube-versio: "1.30"\nkube-version: 1.3\nignore: [missing-seccomp-profil]\n'
    )
    (tmp_path / "pod.yaml").write_text(SMALL_POD)
    done = run_process(cwd=tmp_path, text=True)
    assert done.returncode == 2
    for said in ("unknown key 'kube-versio'", "quote it", "did you mean 'missing-seccomp-profile'"):
        assert said in done.stderr, (said, done.stderr)


def test_a_finding_that_covers_several_containers_lists_them(tmp_path: Path) -> None:

    (tmp_path / "pod.yaml").write_text(SMALL_POD + "  - name: b\n")
    done = run_process("--format", "json", tmp_path / "pod.yaml", text=True)
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["container"], finding["containers"]) == (None, ["a", "b"])
    (tmp_path / "pod.yaml").write_text(SMALL_POD)
    (finding,) = json.loads(run_process("-f", "json", tmp_path / "pod.yaml", text=True).stdout)[
        "findings"
    ]
    assert (finding["container"], finding["containers"]) == ("a", ["a"])


def test_build_summaries_count_the_files_the_build_read(tmp_path: Path) -> None:
    """`--chart hello --fix` changes values.yaml and a template: the summary counts the chart's
    files that were checked (values.yaml and the four templates that rendered), not "1 file"."""
    chart = tmp_path / "hello"
    shutil.copytree(FIXTURES / "helm" / "hello", chart)
    plain = run_process("--chart", chart, text=True)
    assert "Found 2 findings (2 errors) in 5 files" in plain.stdout, plain.stdout
    fixed = run_process("--chart", chart, "--fix", text=True)
    assert "Found 2 findings (2 fixed, 0 remaining) in 5 files" in fixed.stdout, fixed.stdout
    again = run_process("--chart", chart, text=True)
    assert "No findings in 5 files" in again.stdout, again.stdout
