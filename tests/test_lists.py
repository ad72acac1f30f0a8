"""A List document read item by item (seccomp_lint/lists.py) gives exactly the findings of reading
it whole, or is read whole; never something in between.

Each case is linted twice, once with the item-by-item path and once with it turned off, and the
findings (positions, messages, fixes with their edits and data paths) must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from seccomp_lint.lint import linter
from seccomp_lint.model.data import Options
from seccomp_lint.text import lists
from seccomp_lint.text.streams import json_file


def _lint(data: bytes, is_json: bool, whole: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        if whole:
            m.setattr(lists, "cut", lambda data, is_json: None)
        result = linter.lint_bytes(data, "f", Options(fixes=True, prefilter=False), is_json)
    return result.findings, result.pods, result.documents


def _same_both_ways(data: bytes, is_json: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    by_item = _lint(data, is_json, False, monkeypatch)
    whole = _lint(data, is_json, True, monkeypatch)
    assert by_item == whole
    return by_item[0]


POD = """\
  apiVersion: v1
  kind: Pod
  metadata:
    name: {name}
    namespace: ns{n}
  spec:
    containers:
    - name: app
      image: nginx
      securityContext:
        seccompProfile:
          type: {profile}
"""


def _yaml_list(pods: list[str], indent: int = 0) -> str:
    lead = " " * indent
    body = "".join(
        lead + "- " + "\n".join(lead + line for line in pod.splitlines())[indent + 2 :] + "\n"
        for pod in pods
    )
    return f'apiVersion: v1\nitems:\n{body}kind: List\nmetadata:\n  resourceVersion: ""\n'


def _pods(n: int) -> list[str]:
    profiles = ["Unconfined", "RuntimeDefault", "unconfined", "Localhost"]
    return [POD.format(name=f"p{i}", n=i % 3, profile=profiles[i % 4]) for i in range(n)]


@pytest.mark.parametrize("indent", [0, 2])
def test_kubectl_style_list_is_cut_and_equal(indent: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _yaml_list(_pods(8), indent).encode()
    cut = lists.cut(data, False)
    assert cut is not None and len(cut.items) == 8
    findings = _same_both_ways(data, False, monkeypatch)
    assert {f.object.name for f in findings} == {"p0", "p2", "p3", "p4", "p6", "p7"}
    assert all(
        f.fix is None or all(c.path[:1] == ("items",) for c in f.fix.changes) for f in findings
    )


def test_json_list_is_cut_and_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import yaml

    data = yaml.safe_load(_yaml_list(_pods(6)))
    text = json.dumps(data, indent=4).encode()
    cut = lists.cut(text, True)
    assert cut is not None and len(cut.items) == 6
    findings = _same_both_ways(text, True, monkeypatch)
    assert {f.object.name for f in findings} == {"p0", "p2", "p3", "p4"}


@pytest.mark.parametrize(
    "why, text",
    [
        (
            "an item line inside a multi-line quoted scalar",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            '  metadata: {name: a, annotations: {x: "one\n- two"}}\n'
            "  spec: {containers: [{name: c}]}\n",
        ),
        (
            "an alias to an anchor in another item",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            "  metadata: {name: a}\n  spec: &s {containers: [{name: c}]}\n"
            "- kind: Pod\n  apiVersion: v1\n  metadata: {name: b}\n  spec: *s\n",
        ),
        (
            "a second items key (the last wins)",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            "  metadata: {name: a}\n  spec: {containers: [{name: c}]}\n"
            "items:\n- kind: Pod\n  apiVersion: v1\n  metadata: {name: b}\n"
            "  spec: {containers: [{name: d}]}\n",
        ),
        (
            "a custom *List kind with a pod template of its own",
            "apiVersion: x/v1\nkind: RunList\nspec:\n  template:\n    spec:\n"
            "      containers: [{name: c}]\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            "  metadata: {name: a}\n  spec: {containers: [{name: d}]}\n",
        ),
        (
            "items of a PodList without kind",
            "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n"
            "  spec: {containers: [{name: c}]}\n- metadata: {name: b}\n"
            "  spec:\n    securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
            "    containers: [{name: c}]\n",
        ),
        (
            "a suppression comment on the line before an item",
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            "  metadata: {name: a}\n  spec: {containers: [{name: c}]}\n"
            "# seccomp-lint: ignore[missing-seccomp-profile] reviewed\n"
            "- kind: Pod\n  apiVersion: v1\n  metadata: {name: b}\n"
            "  spec: {containers: [{name: c}]}\n",
        ),
        (
            "a duplicate key in an item and in the envelope",
            "apiVersion: v1\nkind: List\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n"
            "  metadata: {name: a}\n  metadata: {name: b}\n  spec: {containers: [{name: c}]}\n",
        ),
        ("not a List", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nitems:\n- x\n"),
    ],
)
def test_shapes_give_the_same_findings(
    why: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = _same_both_ways(text.encode(), False, monkeypatch)
    if why.startswith("items of a PodList"):
        assert [(f.object.kind, f.object.name) for f in findings] == [("Pod", "a")]


def _list_files() -> list[Path]:
    found = [p for p in (FIXTURES / "lint").iterdir() if p.suffix in (".yaml", ".json")]
    if CORPUS.is_dir():
        for p in CORPUS.rglob("*"):
            if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file():
                head = p.read_bytes()
                if b"\nitems:" in head or b'"items": [' in head:
                    found.append(p)
    return sorted(found)


def test_fixture_and_corpus_lists_give_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _list_files()
    cut = 0
    for path in files:
        data = path.read_bytes()
        cut += lists.cut(data, json_file(str(path))) is not None
        by_item = _lint(data, json_file(str(path)), False, monkeypatch)
        whole = _lint(data, json_file(str(path)), True, monkeypatch)
        assert by_item == whole, path
    assert cut >= 4  # the List fixtures at least were read item by item


# --------------------------------------------------------------------------- fixing item by item

BARE = """\
  apiVersion: v1
  kind: Pod
  metadata:
    name: {name}
  spec:
    containers:
    - name: app
      image: nginx
"""


ANNOTATED = """\
  apiVersion: v1
  kind: Pod
  metadata:
    name: {name}
    annotations:
      seccomp.security.alpha.kubernetes.io/pod: unconfined
  spec:
    containers:
    - name: app
      image: nginx
"""


def _mixed(n: int) -> list[str]:
    """Pods with a safe fix (no profile) between pods with unsafe or no fixes, and pods whose
    fix must wait for another (a legacy annotation: adding a profile first would contradict it)."""
    return [
        ANNOTATED.format(name=f"legacy{i}")
        if i % 6 == 5
        else BARE.format(name=f"bare{i}")
        if i % 2
        else pod
        for i, pod in enumerate(_pods(n))
    ]


def _fix(data: bytes, is_json: bool, whole: bool, unsafe: bool, monkeypatch: pytest.MonkeyPatch):
    from seccomp_lint.fix import fixes

    with monkeypatch.context() as m:
        if whole:
            m.setattr(lists, "cut", lambda data, is_json: None)
        return fixes.fix_bytes(data, "f", Options(), unsafe, is_json)


@pytest.mark.parametrize("unsafe", [False, True])
@pytest.mark.parametrize("form", ["yaml", "yaml-indented", "json"])
def test_fixing_item_by_item_gives_the_same_text_and_findings(
    form: str, unsafe: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import yaml

    data = _yaml_list(_mixed(12), 2 if form == "yaml-indented" else 0).encode()
    if form == "json":
        data = json.dumps(yaml.safe_load(data), indent=4).encode()
    by_item = _fix(data, form == "json", False, unsafe, monkeypatch)
    whole = _fix(data, form == "json", True, unsafe, monkeypatch)
    assert by_item.regions is not None and whole.regions is None
    assert by_item.changed
    assert by_item.fixed == whole.fixed

    def shown(f):
        return (f.rule, f.line, f.column, f.message, f.object, f.fix and f.fix.edits)

    assert [shown(f) for f in by_item.findings] == [shown(f) for f in whole.findings]
    # Why a fix was declined names the finding's own object (the whole-text loop, trying many
    # fixes at once, can name another object's new finding).
    for f in by_item.findings:
        if f.fix is not None and f.fix.declined and "would add a finding" in f.fix.declined:
            assert f"for {f.object.label}" in f.fix.declined
    assert (by_item.fixed_count, by_item.held_back) == (whole.fixed_count, whole.held_back)


def test_region_diff_equals_the_whole_file_diff_and_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from seccomp_lint.edit.diffs import unified_diff

    # Items fixed next to each other and far apart: hunks join and split as a whole diff's do.
    data = _yaml_list(_mixed(40)).encode()
    ff = _fix(data, False, False, True, monkeypatch)
    assert ff.regions and len(ff.regions) > 20
    diff = unified_diff("f.yaml", ff.original, ff.fixed, ff.regions)
    assert diff == unified_diff("f.yaml", ff.original, ff.fixed)
    (tmp_path / "f.yaml").write_bytes(ff.original)
    (tmp_path / "fix.diff").write_text(diff)
    subprocess.run(["git", "apply", "-p1", "fix.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "f.yaml").read_bytes() == ff.fixed


@pytest.mark.parametrize("unsafe", [False, True])
def test_fixing_a_list_never_re_reads_the_whole_list_per_fix(
    unsafe: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--fix on a List lints the whole text twice (before, after) and verifies and re-lints
    each fixed item on its own: the whole file is never parsed to verify a fix (the loop over
    the whole text parses it for every round and every attempt)."""
    from seccomp_lint.fix import fixes

    data = _yaml_list(_mixed(60)).encode()
    item = max(len(BARE), len(POD), len(ANNOTATED)) + 100
    calls: list[tuple[str, int]] = []

    def spy(name: str, real):
        def call(text, *a, **k):
            calls.append((name, len(text)))
            return real(text, *a, **k)

        return call

    with monkeypatch.context() as m:
        for name in ("lint_bytes", "lint_item", "parse_data"):
            m.setattr(fixes, name, spy(name, getattr(fixes, name)))
        ff = fixes.fix_bytes(data, "f", Options(), unsafe, False)
    assert ff.fixed_count >= 20
    whole = [(name, size) for name, size in calls if size > item]
    assert whole == [("lint_bytes", len(data)), ("lint_bytes", len(ff.fixed))]
    assert sum(1 for name, _ in calls if name == "parse_data") >= ff.fixed_count // 2


# --------------------------------------------------------------------------- edge shapes, both ways

P = "- " + BARE.replace("{name}", "{n}")[2:]  # a bare pod as a List entry
HEAD = "apiVersion: v1\nkind: List\nitems:\n"


def _indented(text: str, k: int = 2) -> str:
    return "".join(" " * k + line + "\n" for line in text.splitlines())


def _json_pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


EDGES = {
    # The cut must leave nothing under "items": else the text is read whole.
    "an item written '-' then its mapping": HEAD
    + P.format(n="a")
    + "-\n  apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec: {containers: [{name: c}]}\n",
    "items at indent 2, then one at indent 1 (not YAML)": HEAD
    + _indented(P.format(n="a"))
    + " - apiVersion: v1\n   kind: Pod\n   metadata: {name: b}\n   spec: {containers: [{name: c}]}\n"
    "metadata: {}\n",
    "a second items key written as an explicit key": HEAD
    + P.format(n="a")
    + "? items\n:\n"
    + P.format(n="b"),
    "a second items key written with an escape": '{"apiVersion":"v1","kind":"List","items":[\n'
    + json.dumps(_json_pod("a"))
    + '\n],\n"\\u0069tems":[\n'
    + json.dumps(_json_pod("b"))
    + "\n]}\n",
    # Items that read only with the rest of the document: fixed with the whole text.
    "an alias to an anchor in another item": HEAD
    + P.format(n="a").replace("    name: a\n", "    name: a\n    labels: &l {x: y}\n")
    + P.format(n="b").replace("    name: b\n", "    name: b\n    labels: *l\n"),
    "an alias to an anchor in the envelope": "apiVersion: v1\nkind: List\nmetadata: &m {name: x}\n"
    "items:\n" + P.format(n="a").replace("    name: a\n", "    name: a\n    labels: *m\n"),
    # Compact JSON: items sharing a line are read whole (positions in characters, linear time).
    "compact JSON": json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [_json_pod("a"), _json_pod("b"), _json_pod("c")],
        }
    ),
    "compact JSON with non-ASCII text before the items": json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"annotations": {"x": "äöü€"}},
            "items": [_json_pod("a"), _json_pod("b")],
        },
        ensure_ascii=False,
    ),
    # A List item is never a bare seccomp profile file.
    "a profile-shaped item": HEAD + "- defaultAction: SCMP_ACT_ALLOW\n" + P.format(n="a"),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_shapes_lint_and_fix_as_the_whole_document(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = EDGES[name].encode()
    is_json = data.startswith(b"{")
    _same_both_ways(data, is_json, monkeypatch)
    by_item = _fix(data, is_json, False, True, monkeypatch)
    whole = _fix(data, is_json, True, True, monkeypatch)

    def shown(ff):
        return [
            (f.rule, f.line, f.column, f.message, f.fix and f.fix.declined) for f in ff.findings
        ]

    assert by_item.fixed == whole.fixed
    assert shown(by_item) == shown(whole)
    assert (by_item.fixed_count, by_item.held_back, by_item.notice) == (
        whole.fixed_count,
        whole.held_back,
        whole.notice,
    )


# --------------------------------------------------------------------------- reading a long stream

STREAMS = [
    b"a: 1\n---\nb: 2\n",
    b"%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n---\nb: ---x\n--- \nc: 3",
    b"# head\n---\n---\na: |\n  ---\n---\n",
    b"x: 1\n" * 50 + b"---\n" + b"y: " + b"z" * 300 + b"\n---",
]


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 20])
def test_a_stream_read_in_blocks_is_cut_as_the_text_in_memory(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from seccomp_lint.text import streams

    monkeypatch.setattr(streams, "BLOCK", block)
    for data in STREAMS:
        streamed = [(c.data, c.line) for c in streams.split(io.BytesIO(data).read)]
        assert streamed == [(c.data, c.line) for c in streams.chunks(data)], data


def test_a_long_document_read_from_a_stream_is_searched_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cluster dump on stdin is one long document: each block must not re-search the text
    read before it for ``---`` (that made a 746 MB dump spend over a minute here)."""
    import io

    from seccomp_lint.text import streams

    data = _yaml_list(_pods(400)).encode()
    searched = 0
    real = streams._cut

    def counting(buf, start, end):
        nonlocal searched
        searched += end - start
        return real(buf, start, end)

    monkeypatch.setattr(streams, "_cut", counting)
    monkeypatch.setattr(streams, "BLOCK", 4096)
    assert [c.data for c in streams.split(io.BytesIO(data).read)] == [data]
    assert searched <= len(data) + 4096
