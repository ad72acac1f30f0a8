"""The fix engine finds a node's path by position (``geometry.Context._chain``) instead of indexing the whole
document; it must answer exactly as the full index does, for every node and every key: the path
or the reason there is none (a repeated key, a merge key), the parent, the mapping owning a key."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import CORPUS as SHARED_CORPUS
from conftest import TESTS as ROOT
from conftest import needs
from yaml.nodes import MappingNode, SequenceNode

from seccomp_lint.edit import geometry
from seccomp_lint.text import documents, prefilter, streams

CORPUS = SHARED_CORPUS / "realworld"


def _documents(paths):
    for path in paths:
        for chunk in streams.split(io.BytesIO(path.read_bytes()).read):
            if not prefilter.relevant(chunk.data):
                continue
            for item in documents.compose(chunk, 0):
                if isinstance(item, documents.Document):
                    yield path, item


def _nodes(root):
    out, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(("node", node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                out.append(("key", key))
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return out


def _answer(ask):
    try:
        return "ok", ask()
    except geometry.NoFix as exc:
        return "no fix", str(exc)


def _answers(ctx, kind, node):
    if kind == "key":
        return _answer(lambda: id(ctx.key_owner(node)))
    up = ctx.parent(node)
    return _answer(lambda: ctx.path(node)), up and (id(up[0]), up[1], id(up[2]))


def _compare(paths) -> int:
    compared = 0
    for path, doc in _documents(paths):
        by_position, by_index = geometry.Context(doc), geometry.Context(doc)
        by_index._index()
        for kind, node in _nodes(doc.root):
            got = _answers(by_position, kind, node)
            assert got == _answers(by_index, kind, node), (path, kind, node.start_mark)
            compared += 1
        # Without anchors the whole-document index is never built.
        assert (by_position._parents is None) == (b"&" not in doc.text)
    return compared


REPEATED = b"""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext: {}
  containers:
    - name: app
      securityContext:
        runAsUser: 1
      securityContext:
        seccompProfile: {}
  <<: {hostNetwork: true}
  volumes: [[1, {a: []}], {}]
"""


def test_repeated_keys_and_merge_keys_answer_as_the_index(tmp_path: Path):
    target = tmp_path / "repeated.yaml"
    target.write_bytes(REPEATED)
    assert _compare([target]) > 20


def test_fixtures_and_golden_files_answer_as_the_index():
    files = [p for p in (ROOT / "fixtures").rglob("*") if p.suffix in (".yaml", ".yml", ".json")]
    files += sorted((ROOT / "golden").glob("*.yaml"))
    assert _compare(files) > 5_000


@needs(CORPUS)
def test_corpus_answers_as_the_index():
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    assert _compare(files[::5]) > 10_000


def _pod_list(pods: int) -> bytes:
    items = "".join(
        f"- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p{i}, namespace: ns{i % 7}}}\n"
        f"  spec:\n    containers:\n    - name: app\n      image: nginx\n"
        for i in range(pods)
    )
    return f"apiVersion: v1\nkind: List\nitems:\n{items}".encode()


def test_fix_site_lookup_does_not_grow_with_the_document(monkeypatch) -> None:
    """A cluster dump is one List document: finding each fix site costs O(depth * log(width)),
    so the work per pod stays the same when the List doubles (it was a walk from the root for
    every finding, quadratic in pods)."""
    from seccomp_lint.lint.linter import lint_bytes
    from seccomp_lint.model.data import Options

    work = {"links": 0, "indexed": 0}
    real_repeated, real_starts = geometry._repeated, geometry.Context._starts

    def counting_repeated(*link):
        work["links"] += 1
        return real_repeated(*link)

    def counting_starts(self, node):
        if id(node) not in self._start_cache:
            work["indexed"] += len(node.value)
        return real_starts(self, node)

    monkeypatch.setattr(geometry, "_repeated", counting_repeated)
    monkeypatch.setattr(geometry.Context, "_starts", counting_starts)
    per_pod = []
    for pods in (200, 800):
        work.update(links=0, indexed=0)
        findings = lint_bytes(_pod_list(pods), "dump.yaml", Options()).findings
        assert len(findings) == pods and all(f.fix and f.fix.edits for f in findings)
        per_pod.append((work["links"] + work["indexed"]) / pods)
    assert per_pod[1] <= per_pod[0] * 1.1, per_pod
