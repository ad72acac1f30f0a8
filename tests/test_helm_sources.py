"""Rendered Helm output on stdin (``helm template … | seccomp-lint -``) or as a file: findings
land on the line of the template that renders them, when the template is on disk.

The stream is the ``helm create`` chart (``tests/fixtures/helm/hello``) rendered by the Helm SDK
(helm-python-sdk, in the test extra), piped into the real command line in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, run_process

from seccomp_lint.sources.helm.render import render_sdk

HELLO = FIXTURES / "helm" / "hello"
HOOK = "templates/tests/test-connection.yaml"
DEPLOYMENT = "templates/deployment.yaml"


def _line(path: Path, text: str) -> int:
    """The 1-based number of the first line of a file that holds ``text``."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


HOOK_LINE = _line(HELLO / HOOK, "  containers:")  # the pod spec's containers key
DEPLOYMENT_LINE = _line(HELLO / DEPLOYMENT, "with .Values.podSecurityContext")


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_sdk(str(HELLO), [])


def _workdir(tmp_path: Path, *charts: str) -> Path:
    """A working directory holding the chart at each of ``charts`` (relative folders)."""
    work = tmp_path / "repo"
    work.mkdir()
    for folder in charts:
        shutil.copytree(HELLO, work / folder)
    return work


def _json(done: subprocess.CompletedProcess) -> list[tuple[str, int, int, str]]:
    report = json.loads(done.stdout)
    return sorted(
        (f["path"], f["line"], f["column"], f["source"]["path"]) for f in report["findings"]
    )


def test_stdin_findings_land_on_the_template_lines(tmp_path: Path, rendered: bytes) -> None:
    work = _workdir(tmp_path, "charts/hello")
    done = run_process("--format", "json", "-", input=rendered, cwd=work)
    assert done.returncode == 1, done.stderr
    assert _json(done) == [
        (f"charts/hello/{DEPLOYMENT}", DEPLOYMENT_LINE, 7, f"hello/{DEPLOYMENT}"),
        (f"charts/hello/{HOOK}", HOOK_LINE, 3, f"hello/{HOOK}"),
    ]
    text = run_process("-", input=rendered, cwd=work, text=False).stdout.decode()
    assert "set podSecurityContext.seccompProfile.type: RuntimeDefault in your values" in text


def test_github_annotations_land_on_real_lines(tmp_path: Path, rendered: bytes) -> None:
    work = _workdir(tmp_path, "charts/hello")
    done = run_process("--format", "github", "-", input=rendered.decode(), cwd=work, text=True)
    assert done.returncode == 1, done.stderr
    lines = [x for x in done.stdout.splitlines() if x.startswith("::error ")]
    assert len(lines) == 2
    assert lines[0].startswith(
        f"::error file=charts/hello/{HOOK},line={HOOK_LINE},col=3,"
        "title=seccomp-lint missing-seccomp-profile::Pod/release-name-hello-test-connection:"
    )
    assert lines[1].startswith(
        f"::error file=charts/hello/{DEPLOYMENT},line={DEPLOYMENT_LINE},col=7,"
    )
    # The text format is the same in the default (no fixes planned) mode.
    text = run_process("-", input=rendered.decode(), cwd=work, text=True)
    assert f"charts/hello/{HOOK}:{HOOK_LINE}:3: missing-seccomp-profile" in text.stdout
    assert f"charts/hello/{DEPLOYMENT}:{DEPLOYMENT_LINE}:7: missing-seccomp-profile" in text.stdout


def test_a_folder_named_as_the_chart_and_a_rendered_file(tmp_path: Path, rendered: bytes) -> None:
    work = _workdir(tmp_path, "hello")
    (work / "rendered.yaml").write_bytes(rendered)
    from_file = run_process("--format", "json", "rendered.yaml", cwd=work)
    from_stdin = run_process("--format", "json", "-", input=rendered, cwd=work)
    assert (
        _json(from_file)
        == _json(from_stdin)
        == [
            (f"hello/{DEPLOYMENT}", DEPLOYMENT_LINE, 7, f"hello/{DEPLOYMENT}"),
            (f"hello/{HOOK}", HOOK_LINE, 3, f"hello/{HOOK}"),
        ]
    )
    assert from_file.returncode == 1
    # --fix leaves rendered output alone, and says where to change it.
    fixed = run_process("--fix", "--format", "json", "rendered.yaml", cwd=work)
    assert (work / "rendered.yaml").read_bytes() == rendered
    assert _json(fixed) == _json(from_file)
    piped = run_process("--fix", "--format", "json", "-", input=rendered, cwd=work)
    assert piped.stdout == rendered  # the stream, unchanged; the report goes to stderr
    report = json.loads(piped.stderr[piped.stderr.index(b"{") :])
    assert sorted(f["path"] for f in report["findings"]) == [
        f"hello/{DEPLOYMENT}",
        f"hello/{HOOK}",
    ]


def test_relative_to_chart(tmp_path: Path, rendered: bytes) -> None:
    work = _workdir(tmp_path, "deep/er/still/hello-chart")  # below the walk's depth
    done = run_process("--format", "json", "-", input=rendered, cwd=work)
    assert {f[0] for f in _json(done)} == {"<stdin>"}
    chart = work / "deep/er/still/hello-chart"
    other = tmp_path / "elsewhere"
    other.mkdir()
    done = run_process("--format", "json", "--chart", str(chart), "-", input=rendered, cwd=other)
    paths = [f[:3] for f in _json(done)]
    # The chart itself is linted too (the same template lines), and stdin lands on them.
    assert paths.count((str(chart / HOOK), HOOK_LINE, 3)) == 2
    assert paths.count((str(chart / DEPLOYMENT), DEPLOYMENT_LINE, 7)) == 2


def test_no_template_on_disk_keeps_the_stream_lines(tmp_path: Path, rendered: bytes) -> None:
    # Nothing named hello (and two folders holding it would be ambiguous): <stdin> lines stay.
    for folders in [(), ("a/hello", "b/hello")]:
        work = tmp_path / f"case{len(folders)}"
        work.mkdir()
        for folder in folders:
            shutil.copytree(HELLO, work / folder)
        done = run_process("--format", "json", "-", input=rendered, cwd=work)
        found = _json(done)
        assert [f[0] for f in found] == ["<stdin>", "<stdin>"]
        assert all(f[1] > 1 for f in found)


def test_a_chart_named_apart_from_its_folder() -> None:
    # shop's Chart.yaml names it webshop: the committed render finds it through that name.
    done = run_process("--format", "json", "rendered.yaml", cwd=FIXTURES / "helm")
    paths = {f[0] for f in _json(done)}
    assert paths == {
        "shop/templates/debug-pod.yaml",
        "shop/templates/deployment.yaml",
        "shop/templates/migrate-job.yaml",
    }
