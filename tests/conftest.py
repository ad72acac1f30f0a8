"""Shared test helpers: run the command line in-process and read its JSON report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from seccomp_lint.cli import main

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent


@dataclass(frozen=True)
class Result:
    """One run of ``seccomp-lint``: exit code, parsed JSON (when produced) and stderr."""

    code: int
    report: dict | None
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict]:
        return self.report["findings"] if self.report else []


@pytest.fixture
def lint(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run ``seccomp-lint --format json ARGS...`` in-process and return a :class:`Result`.

    The working directory is an empty temporary one, so no ``.seccomp-lint.yaml`` of the
    checkout changes what the tests see; pass absolute paths.
    """
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)

    def run(*args: str, fmt: str = "json") -> Result:
        capsys.readouterr()
        code = main([*args, "--format", fmt])
        out, err = capsys.readouterr()
        report = json.loads(out) if fmt == "json" and out.strip() else None
        return Result(code, report, out, err)

    return run
