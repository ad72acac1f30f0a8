"""One large stream read (and fixed) in parts by the worker processes gives what reading (and
fixing) it whole gives: the same findings (positions, document indexes, fixes), counts, notices
and skips, fixed bytes and diffs, also where a part's first document index was predicted from
the text and the parser disagreed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from seccomp_lint.edit.diffs import unified_diff
from seccomp_lint.fix import parts as fix_parts
from seccomp_lint.fix.fixes import fix_bytes
from seccomp_lint.lint.linter import FileResult, lint_part
from seccomp_lint.model.data import Options
from seccomp_lint.sources import files as sources
from seccomp_lint.text.streams import parts


def _pod(i: int, eol: str = "\n") -> str:
    """A small pod: every other one lacks a profile, every third one sets Unconfined."""
    context = (
        "  securityContext:\n    seccompProfile: {type: Unconfined}\n"
        if i % 3 == 0
        else "  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n"
        if i % 2
        else ""
    )
    text = (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: ns{i % 4}\nspec:\n"
        f"{context}  containers:\n  - name: app\n    image: nginx\n"
    )
    return text.replace("\n", eol)


def _stream(n: int, eol: str = "\n", middle: str = "", head: str = "# header\n%YAML 1.1\n") -> str:
    """A stream of ``n`` pods behind ``head`` (a comment and a directive), with ``middle``
    after half of them."""
    docs = [_pod(i, eol) for i in range(n)]
    half = n // 2
    body = (
        ("---" + eol).join(docs[:half]) + ("---" + eol) + middle + ("---" + eol).join(docs[half:])
    )
    return head.replace("\n", eol) + f"---{eol}" + body


def _results(path: Path, options: Options, monkeypatch, jobs: int) -> list[FileResult]:
    # Small parts, so a small file is cut in many (the workers fork after this is set).
    monkeypatch.setattr(sources, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(sources, "PART_BYTES", 2000)
    monkeypatch.setattr(sources, "PARALLEL_MIN_BYTES", 1)
    item = sources.discover([str(path)]).inputs
    return list(sources.lint_all(item, options, jobs=jobs))


def _same(whole: FileResult, split: FileResult) -> None:
    assert split.findings == whole.findings
    assert (split.documents, split.pods, split.unparsed, split.notice, split.unrendered) == (
        whole.documents,
        whole.pods,
        whole.unparsed,
        whole.notice,
        whole.unrendered,
    )


# A broken document, then a document after ``...`` in the same chunk: the text predicts two
# documents, the parser stops at the first (one), so every later part starts one index early.
BROKEN_THEN_MORE = "kind: [unclosed\n...\napiVersion: v1\nkind: ConfigMap\n"


@pytest.mark.parametrize(
    ("eol", "middle", "fixes", "head"),
    [
        ("\n", "", False, "# header\n%YAML 1.1\n"),
        ("\r\n", "", True, "# header\n%YAML 1.1\n"),
        ("\n", BROKEN_THEN_MORE, True, "# header\n%YAML 1.1\n"),
        ("\n", "apiVersion: v1\nkind: Pod\nspec: *undefined\n", False, "# header\n"),
        # without directives or end markers, indexes are predicted from the ``---`` lines
        ("\n", "", True, ""),
        ("\r\n", "", False, "# header\n"),
        ("\n", "----\n", False, "# header\n"),  # a scalar that looks like a marker
    ],
    ids=[
        "plain",
        "crlf-with-fixes",
        "index-mispredicted",
        "alias-error",
        "no-header",
        "crlf-comment-header",
        "dashes-mispredicted",
    ],
)
def test_parts_read_as_the_whole(
    tmp_path: Path, monkeypatch, eol: str, middle: str, fixes: bool, head: str
):
    path = tmp_path / "stream.yaml"
    path.write_bytes(_stream(300, eol, middle, head).encode())
    options = Options(fixes=fixes)
    (whole,) = _results(path, options, monkeypatch, jobs=1)
    assert len(whole.findings) >= 200
    data = path.read_bytes()
    assert len(parts(data, 2000)) > 10
    (split,) = _results(path, options, monkeypatch, jobs=2)
    _same(whole, split)


@pytest.mark.parametrize(
    ("middle", "head"), [(BROKEN_THEN_MORE, "%YAML 1.1\n"), ("----\n", "")], ids=["end", "dashes"]
)
def test_index_misprediction_is_seen(middle: str, head: str):
    """The cases above do mispredict a part's first index (else they would not test the
    re-read): chained part by part, the parser's indexes differ from the text's."""
    data = _stream(300, "\n", middle, head).encode()
    index, wrong = 0, 0
    for part in parts(data, 2000):
        wrong += part.index != index
        index = lint_part(
            data[part.start : part.end], "s.yaml", Options(), replace(part, index=index)
        ).documents
    assert wrong


def test_unrendered_template_skips_the_whole_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "stream.yaml"
    template = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"
    path.write_text(_stream(300, "\n", template))
    (whole,) = _results(path, Options(), monkeypatch, jobs=1)
    assert whole.unrendered and not whole.findings
    (split,) = _results(path, Options(), monkeypatch, jobs=2)
    _same(whole, split)


def test_a_file_changed_meanwhile_is_read_whole(tmp_path: Path):
    path = tmp_path / "stream.yaml"
    data = _stream(50).encode()
    path.write_bytes(data)
    item = sources.discover([str(path)]).inputs[0]
    cut = parts(data, 2000)
    done = [(p, lint_part(data[p.start : p.end], str(path), Options(), p)) for p in cut]
    path.write_bytes(data[: cut[-1].end - 10])  # cut short after discovery
    assert sources._lint_part(str(path), Options(), cut[-1]) is None
    done[1] = (cut[1], None)
    merged = sources._merged(item, done, Options())
    _same(sources.lint_input(item, Options()), merged)


# --- the fix stage in parts -------------------------------------------------------------------

WINDOWS_POD = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: win\nspec:\n  os: {name: windows}\n"
    "  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n"
    "  containers:\n  - name: app\n    image: nginx\n"
)


@pytest.mark.parametrize(
    ("eol", "middle", "head", "unsafe"),
    [
        ("\n", WINDOWS_POD + "---\n", "# header\n", False),
        ("\r\n", (WINDOWS_POD + "---\n").replace("\n", "\r\n"), "", True),
        ("\n", "----\n---\n", "", True),  # a part's index mispredicted: fixed whole
        ("\n", "", "# header\n%YAML 1.1\n", False),
    ],
    ids=["safe", "crlf-unsafe", "dashes-mispredicted", "directives"],
)
def test_fix_in_parts_is_the_whole_fix(monkeypatch, eol: str, middle: str, head: str, unsafe: bool):
    """A large stream fixed part by part in worker processes gives the bytes, findings, counts
    and diff that fixing it whole gives, with a per-path filter (a closure) too."""
    monkeypatch.setattr(fix_parts, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(fix_parts, "PART_BYTES", 2000)
    data = _stream(300, eol, middle, head).encode()
    options = Options()
    off = frozenset({"unconfined-seccomp-profile"}) if unsafe else frozenset()

    def wanted(f) -> bool:
        return f.rule not in off

    whole = fix_bytes(data, "s.yaml", options, unsafe, False, wanted)
    split = fix_parts.in_parts(2)(data, "s.yaml", options, unsafe, False, wanted)
    assert whole.fixed_count > 50 and whole.changed
    assert (split.regions is None) == ("----" in middle)  # fixed in parts, or whole
    assert split.fixed == whole.fixed
    assert split.findings == whole.findings and split.before == whole.before
    assert (split.fixed_count, split.held_back, split.documents, split.notice) == (
        whole.fixed_count,
        whole.held_back,
        whole.documents,
        whole.notice,
    )
    assert unified_diff("s.yaml", data, split.fixed, split.regions) == unified_diff(
        "s.yaml", data, whole.fixed
    )
