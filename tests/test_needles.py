"""A pod rule's ``NEEDLES`` let the linter skip it on a document that holds none of its words
(most documents of a large stream mention no seccomp setting at all). Skipping must change no
finding: here every rule runs on every document (as when a text holds an escape sequence) and
the findings are compared, on the rule fixtures and on the real-world corpus's files that
mention the words, under the options that change what the rules read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Level, Options
from seccomp_lint.rules import base

REALWORLD = CORPUS / "realworld"
OPTIONS = {
    "default": Options(),
    "kube-1.26": Options(kube_version=(1, 26)),
    "baseline": Options(level=Level.BASELINE),
    "cis": Options(require_runtime_default=True),
    "namespace": Options(level=Level.NAMESPACE),
    "profiles-dir": Options(profiles_dir=str(FIXTURES / "profiles")),
}


def _files() -> list[Path]:
    files = sorted((FIXTURES / "lint").glob("*.y*ml"))
    if REALWORLD.is_dir():
        words = (b"seccomp", b"privileged")
        found = [
            p
            for p in sorted(REALWORLD.rglob("*.y*ml"))
            if p.stat().st_size < 200_000 and any(w in p.read_bytes() for w in words)
        ]
        files += found
    return files


def _findings(data: bytes, options: Options) -> list[tuple]:
    result = lint_bytes(data, "x.yaml", options)
    return [(f.rule, f.line, f.column, f.message, f.fix) for f in result.findings]


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_skipping_rules_by_their_words_changes_no_finding(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = OPTIONS[name]
    files = _files()
    assert len(files) > 100
    skipped = {p: _findings(p.read_bytes(), options) for p in files}
    monkeypatch.setattr(base, "escaped", lambda data: True)  # every rule on every document
    differ = [p.name for p in files if _findings(p.read_bytes(), options) != skipped[p]]
    assert not differ


ESCAPED = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    "s\\x65ccompProfile": {type: Unconfined}
  containers:
  - name: a
    image: busybox
    securityContext: {"privil\\u0065ged": true}
"""


def test_a_word_spelled_with_escapes_still_runs_its_rules() -> None:
    assert b"seccomp" not in ESCAPED.encode() and b"privileged" not in ESCAPED.encode()
    rules = {f[0] for f in _findings(ESCAPED.encode(), Options())}
    assert {"unconfined-seccomp-profile", "privileged-container-seccomp"} <= rules


def test_a_document_without_the_words_runs_only_the_rules_that_need_none() -> None:
    from seccomp_lint import rules

    checks, _ = base.by_type(rules.enabled(Options()), b"kind: Pod\nspec: {}\n")
    assert [r.ID for r in checks] == ["missing-seccomp-profile"]
