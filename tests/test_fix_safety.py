"""--fix never damages a file: verification, atomic writes, races, broken input, stdin."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import WEB_POD as MISSING
from conftest import run_cli, run_process

from seccomp_lint.edit import edits, writer
from seccomp_lint.fix import fixes
from seccomp_lint.model.data import Applicability, Change, Edit, Fix, Options, Pos


def _write(tmp_path: Path, data: bytes, name: str = "pod.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_file_with_yaml_error_is_never_written(tmp_path: Path):
    broken = MISSING + b"---\nkind: Pod\nmetadata: {name: [\n"
    path = _write(tmp_path, broken)
    before = path.stat().st_mtime_ns
    code, out, err = run_cli("--fix", path, fmt=None).output
    assert code == 1
    assert path.read_bytes() == broken
    assert path.stat().st_mtime_ns == before
    # Refused up front (a yaml-syntax-error finding) or by verification: never written.
    assert "not fixed" in err or "does not parse" in out
    assert "missing-seccomp-profile" in out


def test_duplicate_keys_count_as_a_yaml_error(tmp_path: Path):
    data = MISSING.replace(b"  name: web\n", b"  name: web\n  name: other\n")
    path = _write(tmp_path, data)
    run_cli("--fix", path, fmt=None)
    assert path.read_bytes() == data


def test_permissions_are_kept(tmp_path: Path):
    path = _write(tmp_path, MISSING)
    path.chmod(0o640)
    assert run_cli("--fix", path, fmt=None).code == 0  # fixed: nothing remains
    assert b"seccompProfile" in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["pod.yaml"]  # no temporary file left


def test_symlink_target_is_rewritten_and_link_kept(tmp_path: Path):
    real = _write(tmp_path, MISSING, "real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    run_cli("--fix", link, fmt=None)
    assert link.is_symlink()
    assert b"seccompProfile" in real.read_bytes()


def test_file_changed_between_read_and_write_is_skipped(tmp_path: Path, monkeypatch):
    path = _write(tmp_path, MISSING)
    theirs = MISSING.replace(b"nginx", b"nginx:2")
    original = fixes.fix_bytes

    def racing(*args, **kwargs):
        result = original(*args, **kwargs)
        path.write_bytes(theirs)  # someone saves the file while we compute the fix
        return result

    monkeypatch.setattr(fixes, "fix_bytes", racing)
    code, out, err = run_cli("--fix", path, fmt=None).output
    assert path.read_bytes() == theirs
    assert "changed on disk since it was read" in err
    assert "Found 1 finding (1 error)" in out and " fixed," not in out  # nothing was fixed
    assert code == 1


def test_writer_refuses_a_changed_file(tmp_path: Path):
    path = _write(tmp_path, b"a: 1\n")
    seen = writer.stamp(str(path))
    assert writer.replace_atomically(str(path), b"a: 2\n", b"a: 0\n", seen)
    assert path.read_bytes() == b"a: 1\n"
    assert writer.replace_atomically(str(path), b"a: 2\n", b"a: 1\n", seen) is None
    assert path.read_bytes() == b"a: 2\n"


def test_verification_rejects_an_edit_that_changes_more(tmp_path: Path):
    body = MISSING.decode()
    fix = Fix(
        "rename",
        Applicability.SAFE,
        (Edit(Pos(4, 9), Pos(4, 12), "api"),),
        changes=(Change("set", ("spec", "x"), "1"),),
    )
    new = fixes.apply_edits(body, list(fix.edits))
    assert "name: api" in new
    with pytest.raises(fixes.Rejected, match="more than the intended"):
        fixes.verify(body, new, [fix], False)


def test_verification_rejects_text_that_no_longer_parses():
    body = MISSING.decode()
    fix = Fix("break", Applicability.SAFE, (Edit(Pos(6, 1), Pos(6, 1), "  x: [\n"),))
    with pytest.raises(fixes.Rejected, match="would not parse"):
        fixes.verify(body, fixes.apply_edits(body, list(fix.edits)), [fix], False)


def _insert(line: int, column: int, text: str) -> Edit:
    return Edit(Pos(line, column), Pos(line, column), text)


def _span(line: int, start: int, end: int, text: str) -> Edit:
    return Edit(Pos(line, start), Pos(line, end), text)


def test_overlapping_edits_are_rejected():
    with pytest.raises(fixes.Rejected):
        fixes.apply_edits("a: 1\n", [_insert(1, 1, "x"), _insert(1, 1, "y")])
    with pytest.raises(fixes.Rejected):
        fixes.apply_edits("a: 1\n", [_span(1, 1, 3, "x"), _span(1, 2, 4, "y")])


def test_a_fix_that_fails_verification_leaves_the_file_and_says_why(tmp_path: Path, monkeypatch):
    path = _write(tmp_path, MISSING)
    real_block = edits.block_lines

    def sloppy(value, indent, step, nl):  # one space short: the key lands elsewhere
        return real_block(value, max(indent - 1, 0), step, nl)

    monkeypatch.setattr(edits, "block_lines", sloppy)
    code, out, _ = run_cli("--fix", path, fmt=None).output
    assert path.read_bytes() == MISSING
    assert "fix not applied:" in out
    assert code == 1


def test_nothing_to_do_exits_zero(tmp_path: Path):
    clean = MISSING.replace(
        b"spec:\n", b"spec:\n  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n"
    )
    path = _write(tmp_path, clean)
    assert run_cli("--fix", path, fmt=None).code == 0
    assert run_cli("--diff", path, fmt=None).code == 0
    assert path.read_bytes() == clean


def test_two_documents_fixed_together(tmp_path: Path):
    data = MISSING + b"---\n" + MISSING.replace(b"name: web", b"name: api")
    path = _write(tmp_path, data)
    result = fixes.fix_bytes(data, str(path), Options())
    assert result.fixed_count == 2
    assert result.fixed.count(b"seccompProfile:") == 2
    assert not result.findings


def test_stdin_fix_writes_the_fixed_stream_to_stdout(tmp_path: Path):
    done = run_process("--fix", "-", input=MISSING)
    assert done.returncode == 0  # fixed: nothing remains
    assert done.stdout == MISSING.replace(
        b"spec:\n", b"spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"
    )
    assert b"Found 1 finding (1 fixed, 0 remaining)" in done.stderr


def test_stdin_diff(tmp_path: Path):
    done = run_process("--diff", "-", input=MISSING)
    assert done.returncode == 1
    assert b"+  securityContext:" in done.stdout


def test_json_format_keeps_stdout_json(tmp_path: Path):
    privileged = b"image: nginx\n      securityContext: {privileged: true}"
    path = _write(tmp_path, MISSING.replace(b"image: nginx", privileged))
    done = run_cli("--fix", path, fmt="json", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert [f["rule"] for f in report["findings"]] == ["privileged-container-seccomp"]
    assert report["summary"]["fixed"] == 1
    assert done.code == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unwritable_directory_is_an_error_not_a_crash(tmp_path: Path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _write(folder, MISSING)
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore permissions")
        err = run_cli("--fix", path, fmt=None).stderr
        assert path.read_bytes() == MISSING
        assert "not rewritten" in err
    finally:
        folder.chmod(0o700)
