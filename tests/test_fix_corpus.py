"""--fix over real-world manifests: only seccomp changes, no other line touched, nothing left."""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import yaml
from conftest import CORPUS as SHARED_CORPUS
from conftest import needs, run_cli

from seccomp_lint.fix import fixes
from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Options

CORPUS = SHARED_CORPUS / "realworld"
EXTENSIONS = (".yaml", ".yml", ".json")
# What an added (or rewritten) line may say: the seccomp field and the mapping that holds it.
_SECCOMP_LINE = re.compile(
    r'^\s*("?securityContext"?:( |\s*$)|"?seccompProfile"?:|"?type"?: "?RuntimeDefault)'
)

RD = {"type": "RuntimeDefault"}

pytestmark = needs(CORPUS)


def _load(data: bytes, is_json: bool) -> list:
    body = data.decode("utf-8-sig")
    if is_json:
        try:
            return [json.loads(body)]
        except ValueError:
            pass
    return list(yaml.load_all(body, Loader=yaml.CSafeLoader))


def _only_seccomp(old: object, new: object, path: tuple = ()) -> list[tuple]:
    """Paths where ``new`` differs from ``old`` other than by adding a seccompProfile."""
    if isinstance(old, dict) and isinstance(new, dict):
        bad = []
        for key in old.keys() | new.keys():
            if key not in new:
                bad.append((*path, key))
            elif key not in old:
                added = new[key]
                allowed = (("seccompProfile", RD), ("securityContext", {"seccompProfile": RD}))
                ok = (key, added) in allowed
                if not ok:
                    bad.append((*path, key))
            else:
                bad += _only_seccomp(old[key], new[key], (*path, key))
        return bad
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = enumerate(zip(old, new))
        return [p for i, (a, b) in pairs for p in _only_seccomp(a, b, (*path, i))]
    if old is None and new == {"seccompProfile": RD} and path[-1:] == ("securityContext",):
        return []
    return [] if type(old) is type(new) and old == new else [path]


def _lines_outside_edits_kept(before: str, after: str) -> list[str]:
    """Original lines that were removed or rewritten without being a seccomp edit."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    problems = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        for line in b[j1:j2]:
            if not _SECCOMP_LINE.match(line):
                problems.append(f"added {line!r}")
        for line in a[i1:i2]:
            # The only original line an edit may rewrite: ``securityContext: {}`` (flow style).
            if op != "replace" or "securityContext" not in line:
                problems.append(f"changed {line!r}")
    return problems


def test_fix_over_the_realworld_corpus(tmp_path: Path, monkeypatch):
    # Durability is not under test here, and 700 fsyncs dominate the run time.
    monkeypatch.setattr("os.fsync", lambda fd: None)
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    for path in copy.rglob("*"):  # the shared corpus is read-only, and --fix keeps those intact
        if path.is_file():
            path.chmod(path.stat().st_mode | 0o200)
    originals = {
        p.relative_to(copy): p.read_bytes()
        for p in copy.rglob("*")
        if p.is_file() and p.suffix in EXTENSIONS
    }
    code, out, _ = run_cli("--fix", copy, fmt=None).output
    match = re.search(r"\((\d+) fixed, (\d+) remaining\)", out)
    assert match, out[-2000:]
    fixed, remaining = int(match.group(1)), int(match.group(2))
    assert code == (1 if remaining else 0) and fixed > 0

    rewritten = 0
    for rel, before in originals.items():
        after = (copy / rel).read_bytes()
        if after == before:
            continue
        rewritten += 1
        is_json = rel.suffix == ".json"
        old, new = _load(before, is_json), _load(after, is_json)
        assert len(old) == len(new), rel
        for i, (x, y) in enumerate(zip(old, new)):
            assert not _only_seccomp(x, y), (rel, i, _only_seccomp(x, y)[:3])
        assert not _lines_outside_edits_kept(
            before.decode("utf-8-sig"), after.decode("utf-8-sig")
        ), rel
        left = lint_bytes(after, str(rel), Options(), is_json).findings
        assert not [f for f in left if fixes.applicable(f, False)], rel
    assert rewritten > 0

    # A second run is a no-op.
    snapshot = {rel: (copy / rel).read_bytes() for rel in originals}
    assert " fixed, " not in run_cli("--fix", copy, fmt=None).stdout
    assert all((copy / rel).read_bytes() == data for rel, data in snapshot.items())
