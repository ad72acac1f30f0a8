"""--diff output: correct for any pair of texts, applies with git, fast on cluster dumps."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seccomp_lint.edit import diffs

LINES = st.lists(st.sampled_from(["a\n", "b\n", "name: app\n", "image: nginx\n", "x\n", "y"]))


def _apply(a: list[str], b: list[str]) -> list[str]:
    """Rebuild ``b`` from ``a`` and the opcodes, checking that "equal" means equal."""
    out: list[str] = []
    for tag, i1, i2, j1, j2 in diffs.opcodes(a, b):
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out += a[i1:i2]
        else:
            out += b[j1:j2]
    return out


@settings(max_examples=300)
@given(LINES, LINES)
def test_opcodes_turn_one_text_into_the_other(a: list[str], b: list[str]) -> None:
    assert _apply(a, b) == b
    ops = diffs.opcodes(a, b)
    # Contiguous and complete, as difflib's are.
    assert [op[1] for op in ops[1:]] == [op[2] for op in ops[:-1]]
    if ops:
        assert (ops[0][1], ops[0][3], ops[-1][2], ops[-1][4]) == (0, 0, len(a), len(b))


def _pods(n: int, fixed: bool) -> str:
    extra = "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n" if fixed else ""
    return "".join(
        f"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n{extra}"
        "  spec:\n    containers:\n    - name: app\n      image: nginx\n"
        for i in range(n)
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_large_diff_applies_with_git(tmp_path: Path) -> None:
    """5,000 repeated pods, each with lines inserted: the diff is right (git applies it) and
    is computed from unique anchors, not by a quadratic match."""
    before, after = _pods(5000, False), _pods(5000, True)
    (tmp_path / "dump.yaml").write_text(before)
    patch = diffs.unified_diff("dump.yaml", before.encode(), after.encode())
    assert patch.count("\n+      type: RuntimeDefault") == 5000
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run(
        ["git", "apply", "-"], input=patch.encode(), cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dump.yaml").read_text() == after
