"""A List document read item by item (seccomp_lint/lists.py) gives exactly the findings of reading
it whole, or is read whole; never something in between.

Each case is linted twice, once with the item-by-item path and once with it turned off, and the
findings (positions, messages, fixes with their edits and data paths) must be equal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from seccomp_lint import linter, lists
from seccomp_lint.documents import json_file
from seccomp_lint.model import Options

CORPUS = REPO.parent / "shared" / "corpus"


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
    return f"apiVersion: v1\nitems:\n{body}kind: List\nmetadata:\n  resourceVersion: \"\"\n"


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
    assert all(f.fix is None or all(c.path[:1] == ("items",) for c in f.fix.changes)
               for f in findings)


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
            'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n'
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
