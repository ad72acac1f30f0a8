"""Never worse, never silent: safe fixes add no finding, declined fixes say why, no input is
skipped quietly, positions are counted as editors count lines, suppressions are checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

# --------------------------------------------------------------------------- fixes never worse

UNCONFINED_ANNOTATION = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy}
spec:
  template:
    metadata:
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: unconfined
    spec:
      containers:
      - name: app
        image: nginx
"""


def test_safe_fix_never_adds_a_mismatch(tmp_path: Path) -> None:
    """RuntimeDefault beside an unconfined annotation is rejected by the API server: --fix does
    not write it, and the finding says why."""
    path = tmp_path / "d.yaml"
    path.write_text(UNCONFINED_ANNOTATION)
    result = run_cli("--fix", path)
    assert path.read_text() == UNCONFINED_ANNOTATION
    missing = [f for f in result.findings if f["rule"] == "missing-seccomp-profile"]
    assert missing and missing[0]["fix"]["declined"].startswith("it would add a finding")
    assert "seccomp-annotation-mismatch" in missing[0]["fix"]["declined"]
    text = run_cli("--fix", path, fmt="text").stdout
    assert "fix not applied: it would add a finding (seccomp-annotation-mismatch" in text


def test_unsafe_fix_replaces_an_unconfined_annotation_with_runtime_default(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(UNCONFINED_ANNOTATION)
    run_cli("--fix", "--unsafe-fixes", path)
    fixed = path.read_text()
    assert "type: RuntimeDefault" in fixed and "unconfined" not in fixed.lower()
    assert run_cli(path).findings == []


def test_help_never_recommends_unconfined(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(UNCONFINED_ANNOTATION.replace("apps/v1", "apps/v1", 1))
    for kube in ("1.26", "1.37"):
        for f in run_cli("--kube-version", kube, path).findings:
            assert "Unconfined" not in (f["fix"] or {}).get("description", ""), f
    text = run_cli("--kube-version", "1.26", path, fmt="text").stdout
    assert "{type: Unconfined}" not in text and "type: Unconfined" not in text


MISCASED_UNCONFINED = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile:
      type: unconfined
  containers: [{name: app, image: nginx}]
"""


def test_miscased_unconfined_is_never_corrected_to_unconfined(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MISCASED_UNCONFINED)
    result = run_cli("--fix", path)
    assert path.read_text() == MISCASED_UNCONFINED  # unsafe: held back
    invalid = [f for f in result.findings if f["rule"] == "invalid-seccomp-profile"]
    assert invalid[0]["fix"]["applicability"] == "unsafe"
    assert "Unconfined" not in (invalid[0]["fix"]["description"])
    run_cli("--fix", "--unsafe-fixes", path)
    assert "type: RuntimeDefault" in path.read_text()
    assert run_cli(path).findings == []


ANCHORED = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: a}
  spec:
    template:
      spec: &spec
        containers: [{name: app, image: nginx}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: b}
  spec:
    template:
      spec: *spec
"""


def test_declined_fix_says_why_in_text_and_json(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(ANCHORED)
    result = run_cli("--fix", path)
    assert path.read_text() == ANCHORED
    for f in result.findings:
        assert f["fix"]["declined"], f
    text = run_cli("--fix", path, fmt="text").stdout
    assert text.count("fix not applied:") == 2


def test_a_source_url_comment_is_not_helm_output(tmp_path: Path) -> None:
    path = tmp_path / "upstream.yaml"
    path.write_text(
        "# Source: https://raw.githubusercontent.com/example/app/main/deploy.yaml\n"
        + UNCONFINED_ANNOTATION.replace(
            "seccomp.security.alpha.kubernetes.io/pod: unconfined", "team: a"
        )
    )
    result = run_cli("--fix", path)
    assert result.findings == []
    assert "type: RuntimeDefault" in path.read_text()


def test_helm_stream_is_still_attributed(tmp_path: Path) -> None:
    stream = "---\n# Source: web/templates/deployment.yaml\n" + UNCONFINED_ANNOTATION.replace(
        "seccomp.security.alpha.kubernetes.io/pod: unconfined", "team: a"
    )
    result = run_cli("-", stdin=stream.encode())
    assert result.findings[0]["source"]["path"] == "web/templates/deployment.yaml"


# --------------------------------------------------------------------------- nothing skipped quietly

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: app, image: nginx}]
"""


def test_rendered_file_with_quoted_braces_in_templates_is_linted(tmp_path: Path) -> None:
    folder = tmp_path / "chart" / "templates"
    folder.mkdir(parents=True)
    (folder / "rendered.yaml").write_text(
        POD.replace(
            "metadata: {name: p}",
            'metadata:\n  name: p\n  annotations:\n    summary: "{{ $labels.instance }} is down"',
        )
    )
    (folder / "raw.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        "  name: {{ .Values.name }}\nspec:\n"
        "  containers: [{name: app, image: nginx}]\n"
    )
    result = run_cli(tmp_path, fmt="text")
    assert "rendered.yaml" in result.stdout and "missing-seccomp-profile" in result.stdout
    assert "raw.yaml" in result.stderr and "unrendered template" in result.stderr
    assert "1 skipped as unrendered templates" in result.stdout
    report = run_cli(tmp_path).report
    assert [s["path"] for s in report["summary"]["skipped"]] == [str(folder / "raw.yaml")]


def test_select_never_hides_a_file_that_cannot_be_parsed(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: app\n")
    for args in (["--select", "unconfined-seccomp-profile"], ["--ignore", "yaml-syntax-error"]):
        result = run_cli(*args, path, fmt="text")
        assert "broken.yaml" in result.stderr + result.stdout
        assert "cannot parse" in result.stderr + result.stdout
        assert "No findings" not in result.stdout
        assert "1 not fully checked" in result.stdout


def test_directory_walk_takes_any_case_and_dot_directories(tmp_path: Path) -> None:
    (tmp_path / ".k8s").mkdir()
    (tmp_path / ".k8s" / "pod.YAML").write_text(POD)
    (tmp_path / "deploy.Yml").write_text(POD)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "pod.yaml").write_text(POD)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "pod.yaml").write_text(POD)
    os.symlink(tmp_path / "gone.yaml", tmp_path / "dangling.yaml")
    result = run_cli(tmp_path)
    paths = sorted(Path(f["path"]).name for f in result.findings)
    assert paths == ["deploy.Yml", "pod.YAML"]
    assert "dangling.yaml" in result.stderr and "broken symlink" in result.stderr


def test_typed_list_items_without_kind_are_pods() -> None:
    dump = {
        "apiVersion": "v1",
        "kind": "PodList",
        "items": [
            {
                "metadata": {"name": "a", "namespace": "x"},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        ],
    }
    result = run_cli("-", stdin=json.dumps(dump).encode())
    assert [(f["rule"], f["object"]["kind"], f["object"]["name"]) for f in result.findings] == [
        ("missing-seccomp-profile", "Pod", "a")
    ]


def test_concatenated_json_objects_are_read_one_by_one(tmp_path: Path) -> None:
    pod = json.loads(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "a"},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            }
        )
    )
    other = {**pod, "metadata": {"name": "b"}}
    stream = json.dumps(pod) + json.dumps(other, indent=2) + "\n"
    result = run_cli("-", stdin=stream.encode())
    assert sorted(f["object"]["name"] for f in result.findings) == ["a", "b"]
    path = tmp_path / "pods.json"
    path.write_text(stream)
    by_file = run_cli(path)
    assert [(f["object"]["name"], f["line"]) for f in by_file.findings] == [("a", 1), ("b", 8)]


def test_seccomp_on_windows_pod_from_1_24() -> None:
    pod = POD.replace(
        "spec:\n",
        "spec:\n  os: {name: windows}\n  securityContext:\n"
        "    seccompProfile: {type: RuntimeDefault}\n",
        1,
    )
    rules = {f["rule"] for f in run_cli("--kube-version", "1.24", "-", stdin=pod.encode()).findings}
    assert "seccomp-on-windows-pod" in rules
    rules = {f["rule"] for f in run_cli("--kube-version", "1.23", "-", stdin=pod.encode()).findings}
    assert "seccomp-on-windows-pod" not in rules


# --------------------------------------------------------------------------- positions

SEPARATORS = ["\u2028", "\u2029", "\u0085"]


@pytest.mark.parametrize("sep", SEPARATORS, ids=["LS", "PS", "NEL"])
def test_unicode_separators_do_not_shift_lines(tmp_path: Path, sep: str) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        f'  annotations: {{note: "one{sep}two"}}\n'
        "spec:\n"
        "  containers:\n"
        "  - name: app\n    image: nginx\n"
        "    # seccomp-lint: ignore[privileged-container-seccomp] reviewed in SEC-1\n"
        "    securityContext: {privileged: true}\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli(path)
    assert [(f["rule"], f["line"], f["column"]) for f in result.findings] == [
        ("missing-seccomp-profile", 7, 3)
    ]
    edits = result.findings[0]["fix"]["edits"]
    assert edits[0]["start"]["line"] == 6 + 1  # inserted after "spec:" (line 6)
    sarif = json.loads(run_cli(path, fmt="sarif").stdout)
    assert (
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
        == 7
    )
    # The diff applies with git.
    diff = run_cli("--diff", path, fmt="text", cwd=tmp_path).stdout
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(path, repo / "p.yaml")
    patch = diff.replace(f"a/{path}", "a/p.yaml").replace(f"b/{path}", "b/p.yaml")
    done = subprocess.run(
        ["git", "apply", "-"], input=patch.encode(), cwd=repo, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    run_cli("--fix", path)
    assert (repo / "p.yaml").read_bytes() == path.read_bytes()


def test_document_index_does_not_depend_on_the_prefilter() -> None:
    stream = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n" + POD
    )
    docs = {tuple(a): None for a in []}
    for args in ([], ["--no-prefilter"]):
        result = run_cli(*args, "-", stdin=stream.encode())
        docs[tuple(args)] = [f["object"]["document"] for f in result.findings]
    assert docs[()] == docs[("--no-prefilter",)] == [2]


# --------------------------------------------------------------------------- suppressions


def test_suppression_with_an_unknown_rule_id_is_reported() -> None:
    pod = POD.replace(
        "metadata: {name: p}",
        "metadata:\n  name: p\n  annotations:\n"
        '    ignore-check.seccomp-lint.io/missing-seccomp-profil: "legacy"',
    )
    result = run_cli("-", stdin=pod.encode())
    rules = sorted(f["rule"] for f in result.findings)
    assert rules == ["invalid-suppression", "missing-seccomp-profile"]
    bad = next(f for f in result.findings if f["rule"] == "invalid-suppression")
    assert "missing-seccomp-profile" in bad["message"]  # the closest valid id


@pytest.mark.parametrize(
    "where",
    ["annotation", "comment"],
)
def test_suppression_without_a_reason_is_reported_and_does_not_apply(where: str) -> None:
    if where == "annotation":
        pod = POD.replace(
            "metadata: {name: p}",
            "metadata:\n  name: p\n  annotations:\n"
            '    ignore-check.seccomp-lint.io/missing-seccomp-profile: ""',
        )
    else:
        pod = POD.replace(
            "  containers:", "  # seccomp-lint: ignore[missing-seccomp-profile]\n  containers:"
        )
    result = run_cli("-", stdin=pod.encode())
    rules = sorted(f["rule"] for f in result.findings)
    assert rules == ["invalid-suppression", "missing-seccomp-profile"]
    bad = next(f for f in result.findings if f["rule"] == "invalid-suppression")
    assert "reason" in bad["message"]
