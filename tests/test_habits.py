"""The test suite's own habits: what several test modules share (paths, manifests) is defined
once, in conftest."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import TESTS


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
