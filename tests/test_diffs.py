"""--diff output: correct for any pair of texts, applies with git, fast on cluster dumps."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SMALL_POD, run_cli
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


def _git_applies(tmp_path: Path, name: str, before: bytes, after: bytes, shown: str) -> None:
    """``git apply`` takes the diff and turns the file into ``after``, byte for byte."""
    (tmp_path / name).write_bytes(before)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    patch = diffs.unified_diff(shown, before, after)
    done = subprocess.run(
        ["git", "apply", "-"], input=patch.encode(), cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, (done.stderr, patch)
    assert (tmp_path / name).read_bytes() == after


POD_LINES = SMALL_POD.encode()
FIXED_LINES = POD_LINES.replace(
    b"spec:\n", b"spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"
)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(
    ("case", "before", "after"),
    [
        ("bom", b"\xef\xbb\xbf" + POD_LINES, b"\xef\xbb\xbf" + FIXED_LINES),
        ("bom-in-hunk", b"\xef\xbb\xbfspec:\n  a: 1\n", b"\xef\xbb\xbfspec:\n  b: 2\n  a: 1\n"),
        ("cr-only", POD_LINES.replace(b"\n", b"\r"), FIXED_LINES.replace(b"\n", b"\r")),
        ("crlf", POD_LINES.replace(b"\n", b"\r\n"), FIXED_LINES.replace(b"\n", b"\r\n")),
        (
            "lone-cr-inside",
            POD_LINES.replace(b"name: p", b"name: p # a\rb"),
            FIXED_LINES.replace(b"name: p", b"name: p # a\rb"),
        ),
        ("no-final-newline", POD_LINES[:-1], FIXED_LINES[:-1]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_git_applies_the_diff_of_any_utf8_file(
    tmp_path: Path, case: str, before: bytes, after: bytes
) -> None:
    """A BOM, CR-only or CRLF line breaks, a lone CR inside a line: git splits lines at LF only
    and reads the BOM as part of line 1, and so does the diff."""
    _git_applies(tmp_path, "pod.yaml", before, after, "pod.yaml")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("shown", ["./pod.yaml", "sub/../pod.yaml", "ABS"])
def test_diff_headers_are_normalised_relative_paths(
    tmp_path: Path, monkeypatch, shown: str
) -> None:
    """A walk from ``.`` or an absolute path gives the headers git writes (``a/pod.yaml``); git
    rejects ``a/./pod.yaml``."""
    monkeypatch.chdir(tmp_path)
    shown = str(tmp_path / "pod.yaml") if shown == "ABS" else shown
    patch = diffs.unified_diff(shown, POD_LINES, FIXED_LINES)
    assert patch.startswith("--- a/pod.yaml\n+++ b/pod.yaml\n"), patch
    _git_applies(tmp_path, "pod.yaml", POD_LINES, FIXED_LINES, shown)


def test_utf16_diff_says_git_cannot_apply_it() -> None:
    utf16 = "\ufeff".encode("utf-16-le") + POD_LINES.decode().encode("utf-16-le")
    assert diffs.not_applicable(b"\xff\xfe" + POD_LINES.decode().encode("utf-16-le")) is not None
    assert "UTF-16" in (diffs.not_applicable(utf16) or "")
    assert diffs.not_applicable(POD_LINES) is None
    assert diffs.not_applicable(b"\xef\xbb\xbf" + POD_LINES) is None


def test_diff_of_a_utf16_file_says_git_cannot_apply_it(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_bytes(b"\xff\xfe" + POD_LINES.decode().encode("utf-16-le"))
    result = run_cli("--diff", path.name, fmt="text", cwd=tmp_path)
    assert "+      type: RuntimeDefault" in result.stdout
    assert "pod.yaml: this diff cannot be applied by git: the file is UTF-16" in result.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_bytes(POD_LINES)
    assert "cannot be applied" not in run_cli("--diff", plain.name, fmt="text", cwd=tmp_path).stderr
    # An absolute path outside the working directory: git applies nothing outside it.
    outside = run_cli("--diff", plain, fmt="text").stderr
    assert "cannot be applied by git: the file is not below the working directory" in outside
