"""The whole linter over a real-world corpus: no internal error, and the pre-filter is exact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import CORPUS as SHARED_CORPUS
from conftest import FIXTURES, needs, run_process

CORPUS = SHARED_CORPUS / "realworld"
needs_corpus = needs(CORPUS)


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A subprocess: a crash on some corpus file must fail these tests, not end the test run.
    # cwd is an empty folder: no config file of the checkout applies.
    return run_process("--format", "json", *args, cwd=cwd, text=True)


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """One run per mode over the corpus, shared by the tests below."""
    cwd = tmp_path_factory.mktemp("corpus-cwd")
    return {
        "default": _run(cwd, str(CORPUS)),
        "no-prefilter": _run(cwd, "--no-prefilter", str(CORPUS)),
    }


@needs_corpus
@pytest.mark.parametrize("mode", ["default", "no-prefilter"])
def test_corpus_finishes_cleanly(corpus_runs, mode: str) -> None:
    run = corpus_runs[mode]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 1), run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["summary"]["files"] > 0
    assert report["summary"]["findings"] == len(report["findings"])
    for finding in report["findings"]:
        assert finding["line"] >= 1 and finding["column"] >= 1, finding
        assert Path(finding["path"]).is_file(), finding


@needs_corpus
def test_prefilter_is_exact_on_corpus(corpus_runs) -> None:
    """Skipping documents that cannot hold a pod template never changes a finding."""
    fast = json.loads(corpus_runs["default"].stdout)["findings"]
    full = json.loads(corpus_runs["no-prefilter"].stdout)["findings"]
    assert fast == full


def test_prefilter_is_exact_on_fixtures(lint) -> None:
    folder = str(FIXTURES / "lint")
    fast, full = lint(folder), lint("--no-prefilter", folder)
    assert fast.findings == full.findings
    assert fast.code == full.code == 1
    assert "Traceback" not in fast.stderr + full.stderr


def test_prefilter_is_exact_on_duplicate_keys(lint, tmp_path: Path) -> None:
    manifest = tmp_path / "secret.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ntype: Opaque\n"
    )
    assert lint(str(manifest)).findings == lint("--no-prefilter", str(manifest)).findings


def test_prefilter_is_exact_on_syntax_errors(lint, tmp_path: Path) -> None:
    manifest = tmp_path / "broken.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg\ndata: {}\n")
    assert lint(str(manifest)).findings == lint("--no-prefilter", str(manifest)).findings
