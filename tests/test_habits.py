"""The test suite's own habits: Hypothesis is derandomised in CI only; what several test
modules share (paths, manifests) is defined once, in conftest; tests cite only documents that
are in the repository."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SUBPROCESS_TIMEOUT, TESTS
from hypothesis import settings

# A fresh interpreter: resets Hypothesis to its default profile (what a Hypothesis without its own
# CI detection starts with, so the choice below is conftest's), imports conftest as pytest does
# before any test module, then runs one property and prints the profile and what it drew.
_PROBE = """\
import sys
from hypothesis import given, settings, strategies as st

settings.load_profile("default")
sys.path.insert(0, sys.argv[1])
import conftest

drawn = []

@given(st.binary())
def probe(data):
    drawn.append(data)

probe()
print(settings.get_current_profile_name(), settings.default.database, repr(drawn))
"""


def _probe(cwd: Path, ci: str | None) -> tuple[str, str, str]:
    # Only PATH: no CI marker of the machine running this test reaches the probe.
    env = {"PATH": os.environ.get("PATH", "")} | ({"CI": ci} if ci is not None else {})
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(TESTS)],
        cwd=cwd,  # where a local run keeps its example database
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    profile, database, drawn = done.stdout.split(" ", 2)
    return profile, database, drawn


def test_ci_runs_draw_the_same_examples_and_local_runs_do_not(tmp_path: Path) -> None:
    first, second = _probe(tmp_path, "true"), _probe(tmp_path, "true")
    assert first[:2] == ("ci", "None")
    assert first == second, "two CI runs drew different examples"
    first, second = _probe(tmp_path, None), _probe(tmp_path, None)
    assert first[0] == "default"
    assert first[1] != "None", "a local run lost its example database"
    assert first[2] != second[2], "two local runs drew the same examples: not random"


def test_this_run_follows_ci() -> None:
    assert settings.default.derandomize == ("CI" in os.environ)


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.glob("*.py") if p.name != "conftest.py")


def test_only_conftest_locates_the_checkout() -> None:
    """The repository root and the shared data beside it are found in one place."""
    pattern = re.compile(r"Path\(__file__\)|\.parents\[|\bREPO\.parent\b")
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in _modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def _manifests(path: Path) -> dict[str, str]:
    """Module-level string constants that are Kubernetes manifests, by text."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            value = node.value.value
            text = value.decode() if isinstance(value, bytes) else value
            if isinstance(text, str) and re.search(r"^kind: ", text, re.MULTILINE):
                found[text] = f"{path.name}:{node.lineno}"
    return found


def test_no_manifest_is_defined_in_two_modules() -> None:
    """A pod that several modules start from is written once, in conftest (BARE_POD, WEB_POD)."""
    seen: dict[str, str] = {}
    twice = []
    for path in [TESTS / "conftest.py", *_modules()]:
        for text, where in _manifests(path).items():
            if text in seen:
                twice.append((seen[text], where))
            seen.setdefault(text, where)
    assert twice == []


def test_tests_cite_only_documents_of_the_repository() -> None:
    """A test says what it checks, or points to a document a reader of the repository has."""
    tracked = {p.name for p in REPO.rglob("*.md") if ".venv" not in p.parts}
    cited = {
        (name, path.name)
        for path in [TESTS / "conftest.py", *_modules()]
        for name in re.findall(r"\b[A-Z][A-Z_]+\.md\b", path.read_text(encoding="utf-8"))
    }
    assert {c for c in cited if c[0] not in tracked} == set()
