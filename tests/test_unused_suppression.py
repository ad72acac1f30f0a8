"""unused-suppression: a suppression that suppresses nothing is reported, and --fix removes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TESTS, run_process

UNUSED = "unused-suppression"

# A Pod whose pod-level profile is written on line 8, under the suppression comment on line 7.
SUPPRESSED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  securityContext:
    # seccomp-lint: ignore[unconfined-seccomp-profile] strace sidecar, SEC-123
    seccompProfile: {type: Unconfined}
  containers:
    - name: app
      image: busybox
"""

ANNOTATED_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "profiling, SEC-1"
    team: platform
spec:
  template:
    spec:
      securityContext:
        seccompProfile: {type: %s}
      containers:
        - name: app
          image: nginx
"""


def _write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _unused(findings: list[dict]) -> list[tuple[int, int, str]]:
    return [(f["line"], f["column"], f["message"]) for f in findings if f["rule"] == UNUSED]


def test_used_comment_and_annotation_are_not_reported(lint, tmp_path: Path) -> None:
    pod = _write(tmp_path, SUPPRESSED_POD, "pod.yaml")
    deployment = _write(tmp_path, ANNOTATED_DEPLOYMENT % "Unconfined", "deployment.yaml")
    result = lint(pod, deployment)
    assert result.verdict == (0, [])
    assert result.report is not None and result.report["summary"]["suppressed"] == 2


def test_unused_comment_is_reported_at_its_hash(lint, tmp_path: Path) -> None:
    pod = _write(tmp_path, SUPPRESSED_POD.replace("Unconfined", "RuntimeDefault"))
    result = lint(pod)
    assert result.code == 1
    assert _unused(result.findings) == [
        (
            7,
            5,
            "unused suppression: unconfined-seccomp-profile reports nothing on this line or "
            "the next",
        )
    ]
    assert result.findings[0]["severity"] == "warning"
    assert result.findings[0]["fix"]["applicability"] == "safe"


def test_unused_annotation_is_reported_at_its_key(lint, tmp_path: Path) -> None:
    result = lint(_write(tmp_path, ANNOTATED_DEPLOYMENT % "RuntimeDefault"))
    assert result.code == 1
    assert _unused(result.findings) == [
        (
            6,
            5,
            "Deployment/web: unused suppression: unconfined-seccomp-profile reports nothing in "
            "this object",
        )
    ]


def test_only_the_unused_id_of_a_comment_is_named(lint, tmp_path: Path) -> None:
    text = SUPPRESSED_POD.replace(
        "ignore[unconfined-seccomp-profile]",
        "ignore[unconfined-seccomp-profile, privileged-container-seccomp]",
    )
    result = lint(_write(tmp_path, text))
    [(line, _, message)] = _unused(result.findings)
    assert line == 7
    assert message.startswith("unused suppression: privileged-container-seccomp reports")


def test_a_suppression_of_a_rule_that_did_not_run_is_not_judged(lint, tmp_path: Path) -> None:
    text = SUPPRESSED_POD.replace("Unconfined", "RuntimeDefault")
    pod = _write(tmp_path, text)
    assert lint("--ignore", "unconfined-seccomp-profile", pod).verdict == (0, [])
    assert lint("--select", f"{UNUSED},missing-seccomp-profile", pod).verdict == (0, [])
    # missing-seccomp-profile is a restricted rule: at baseline it does not run.
    missing = text.replace("unconfined-seccomp-profile", "missing-seccomp-profile")
    assert lint("--level", "baseline", _write(tmp_path, missing)).verdict == (0, [])
    assert lint(_write(tmp_path, missing)).code == 1


def test_an_unused_suppression_is_not_suppressible(lint, tmp_path: Path) -> None:
    text = SUPPRESSED_POD.replace("Unconfined", "RuntimeDefault").replace(
        "ignore[unconfined-seccomp-profile]", f"ignore[unconfined-seccomp-profile, {UNUSED}]"
    )
    result = lint(_write(tmp_path, text))
    [(_, _, message)] = _unused(result.findings)
    assert f"unconfined-seccomp-profile, {UNUSED} report nothing" in message


def test_a_suppressed_duplicate_key_uses_its_comment(lint, tmp_path: Path) -> None:
    text = SUPPRESSED_POD.replace(
        "  name: debug\n",
        "  name: debug\n  # seccomp-lint: ignore[yaml-syntax-error] generated, JIRA-9\n  name: again\n",
    ).replace("Unconfined", "RuntimeDefault")
    result = lint(_write(tmp_path, text))
    assert [f["line"] for f in result.findings] == [9]  # the profile's comment, not the key's


HELM_RENDERED = """\
---
# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    # seccomp-lint: ignore[unconfined-seccomp-profile] x
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: a
"""


def test_helm_rendered_documents_are_not_judged(lint) -> None:
    assert lint("-", stdin=HELM_RENDERED.encode()).verdict == (0, [])
    plain = HELM_RENDERED.replace("# Source: chart/templates/pod.yaml\n", "")
    assert [f["rule"] for f in lint("-", stdin=plain.encode()).findings] == [UNUSED]


POD_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: one
  spec:
    securityContext:
      # seccomp-lint: ignore[unconfined-seccomp-profile] strace, SEC-1
      seccompProfile: {type: Unconfined}
    containers:
    - name: a
- apiVersion: v1
  kind: Pod
  metadata:
    name: two
  spec:
    securityContext:
      # seccomp-lint: ignore[unconfined-seccomp-profile] stale, SEC-3
      seccompProfile: {type: RuntimeDefault}
    containers:
    - name: b
# seccomp-lint: ignore[missing-seccomp-profile] the legacy pod, SEC-2
- {apiVersion: v1, kind: Pod, metadata: {name: three}, spec: {containers: [{name: c}]}}
"""


def test_a_list_read_item_by_item(lint, tmp_path: Path) -> None:
    """The comment before an item suppresses its finding; only the stale one is reported, and
    --fix removes it from the item."""
    path = _write(tmp_path, POD_LIST)
    result = lint(path)
    assert [(f["rule"], f["line"]) for f in result.findings] == [(UNUSED, 20)]
    assert result.report is not None and result.report["summary"]["suppressed"] == 2
    fixed = lint("--fix", path)
    assert fixed.verdict == (0, [])
    assert path.read_text() == POD_LIST.replace(
        "      # seccomp-lint: ignore[unconfined-seccomp-profile] stale, SEC-3\n", ""
    )


def test_stale_after_a_fix_then_removed_by_the_console_script(tmp_path: Path) -> None:
    """Done when: the comment is used while Unconfined is there; once the profile is
    RuntimeDefault the run reports it, and --fix removes it (the summary counts it fixed)."""
    pod = _write(tmp_path, SUPPRESSED_POD)
    clean = run_process(pod, text=True)
    assert clean.returncode == 0, clean.stdout
    assert "1 suppressed" in clean.stdout
    pod.write_text(SUPPRESSED_POD.replace("Unconfined", "RuntimeDefault"))
    stale = run_process(pod, text=True)
    assert stale.returncode == 1
    assert f"{pod}:7:5: {UNUSED} unused suppression" in stale.stdout
    assert "Found 1 finding (1 warning)" in stale.stdout
    fixed = run_process("--fix", pod, text=True)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Found 1 finding (1 fixed, 0 remaining)" in fixed.stdout
    assert "seccomp-lint:" not in pod.read_text()
    assert run_process(pod, text=True).returncode == 0


def test_a_fix_that_leaves_a_suppression_stale_removes_it_in_the_same_run(
    tmp_path: Path,
) -> None:
    """--fix --unsafe-fixes migrates an ``unconfined`` annotation whose finding a comment
    suppressed: the fix is not refused for the comment it leaves behind, and the next round
    removes that comment."""
    golden = TESTS / "golden"
    pod = tmp_path / "pod.yaml"
    pod.write_bytes((golden / "unused-suppression-after-migration.in.yaml").read_bytes())
    args = ["--kube-version", "1.26"]
    before = run_process(*args, pod, text=True)
    assert "1 suppressed" in before.stdout and UNUSED not in before.stdout
    fixed = run_process("--fix", "--unsafe-fixes", *args, pod, text=True)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Found 1 finding (1 fixed, 0 remaining)" in fixed.stdout
    expected = golden / "unused-suppression-after-migration.out.yaml"
    assert pod.read_bytes() == expected.read_bytes()


# --------------------------------------------------------------------------- through builds

_BASE_WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "strace sidecar, SEC-1"
    spec:
      securityContext:
        seccompProfile:
          type: Unconfined
      containers:
      - name: main
        image: nginx
"""
_PATCHED_AWAY = """namespace: b
resources: [../base]
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          securityContext:
            seccompProfile: {type: RuntimeDefault}
"""


def _overlays(root: Path, keep: bool) -> Path:
    """A base whose annotation excuses its Unconfined profile; overlay b patches the profile
    away (the annotation excuses nothing there); overlay a, when ``keep``, still needs it."""
    (root / ".git").mkdir(parents=True)
    (root / "base").mkdir()
    (root / "base" / "web.yaml").write_text(_BASE_WEB)
    (root / "base" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
    (root / "b").mkdir()
    (root / "b" / "kustomization.yaml").write_text(_PATCHED_AWAY)
    if keep:
        (root / "a").mkdir()
        (root / "a" / "kustomization.yaml").write_text("namespace: a\nresources: [../base]\n")
    return root


def _walk(root: Path, *args: str):
    done = run_process("--format", "json", *args, ".", cwd=root, text=True)
    assert done.returncode in (0, 1), done.stderr
    return done


def test_an_annotation_one_overlay_needs_is_not_unused_for_another(tmp_path: Path) -> None:
    """A base's annotation that one overlay still needs is used, although another overlay
    patches the value it excuses away: not reported, and --fix neither removes it nor patches
    it away in the other overlay."""
    root = _overlays(tmp_path / "repo", keep=True)
    done = _walk(root)
    assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, [])
    fixed = _walk(root, "--fix")
    assert (fixed.returncode, json.loads(fixed.stdout)["findings"]) == (0, [])
    assert (root / "base" / "web.yaml").read_text() == _BASE_WEB
    assert sorted(p.name for p in (root / "b").iterdir()) == ["kustomization.yaml"]


def test_an_annotation_no_overlay_needs_is_reported_where_the_base_writes_it(
    tmp_path: Path,
) -> None:
    root = _overlays(tmp_path / "repo", keep=False)
    (found,) = json.loads(_walk(root).stdout)["findings"]
    assert (found["rule"], found["path"], found["line"], found["column"]) == (
        "unused-suppression",
        "base/web.yaml",
        11,
        9,
    )


_STALE_COMMENT = _BASE_WEB.replace(
    "      annotations:\n"
    '        ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "strace sidecar, SEC-1"\n',
    "",
).replace(
    "          type: Unconfined\n",
    "          # seccomp-lint: ignore[unconfined-seccomp-profile] strace, SEC-2\n"
    "          type: RuntimeDefault\n",
)


def test_a_stale_comment_in_a_base_is_reported_once_and_removed_there(tmp_path: Path) -> None:
    """Comments do not survive a build: a base's comment that suppresses nothing in the base is
    unused in every overlay. A walk reports it once, at its hash; --fix removes its line."""
    root = _overlays(tmp_path / "repo", keep=True)
    (root / "base" / "web.yaml").write_text(_STALE_COMMENT)
    (found,) = json.loads(_walk(root).stdout)["findings"]
    assert (found["rule"], found["path"], found["line"], found["column"]) == (
        "unused-suppression",
        "base/web.yaml",
        13,
        11,
    )
    fixed = _walk(root, "--fix")
    assert (fixed.returncode, json.loads(fixed.stdout)["findings"]) == (0, []), fixed.stderr
    lines = _STALE_COMMENT.splitlines(keepends=True)
    assert (root / "base" / "web.yaml").read_text() == "".join(lines[:12] + lines[13:])


def test_a_comment_the_base_uses_is_not_unused_through_an_overlay(tmp_path: Path) -> None:
    root = _overlays(tmp_path / "repo", keep=False)
    used = _BASE_WEB.replace(
        "          type: Unconfined\n",
        "          # seccomp-lint: ignore[unconfined-seccomp-profile] strace, SEC-2\n"
        "          type: Unconfined\n",
    )
    (root / "base" / "web.yaml").write_text(used)
    # (the annotation is unused in b's build; the comment is used by the base's own lint)
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["rule"], f["line"]) for f in found] == [("unused-suppression", 11)]


def test_an_annotation_used_in_one_base_does_not_hide_a_stale_one_in_another(
    tmp_path: Path,
) -> None:
    """Two applications' bases write a Deployment of one name (their overlays set the
    namespace): the annotation one of them uses says nothing of the other's."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for app, kind in (("app1", "Unconfined"), ("app2", "RuntimeDefault")):
        (root / app / "base").mkdir(parents=True)
        text = _BASE_WEB.replace("type: Unconfined", f"type: {kind}")
        (root / app / "base" / "web.yaml").write_text(text)
        (root / app / "base" / "kustomization.yaml").write_text("resources: [web.yaml]\n")
        (root / app / "prod").mkdir()
        overlay = f"namespace: {app}\nresources: [../base]\n"
        (root / app / "prod" / "kustomization.yaml").write_text(overlay)
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in found] == [
        ("unused-suppression", "app2/base/web.yaml", 11)
    ]


def test_fix_removes_a_stale_annotation_that_is_its_objects_only_one(tmp_path: Path) -> None:
    """The build adds annotations of its own: an object left with those alone shows none, which
    the rebuild check took for a change beyond the fix (review 13b F-A)."""
    root = _overlays(tmp_path / "repo", keep=True)
    text = _BASE_WEB.replace("type: Unconfined", "type: RuntimeDefault")
    stale = (
        '  annotations:\n    ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "x, SEC-1"\n'
    )
    moved = text.replace(
        "      annotations:\n"
        '        ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "strace sidecar, SEC-1"\n',
        "",
    ).replace("  name: web\n", "  name: web\n" + stale, 1)
    (root / "base" / "web.yaml").write_text(moved)
    (found,) = json.loads(_walk(root).stdout)["findings"]
    assert (found["rule"], found["path"], found["line"]) == (
        "unused-suppression",
        "base/web.yaml",
        6,
    )
    fixed = _walk(root, "--fix")
    assert (fixed.returncode, json.loads(fixed.stdout)["findings"]) == (0, []), fixed.stderr
    assert (root / "base" / "web.yaml").read_text() == moved.replace(stale, "")


def _tree(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


_KEY = "ignore-check.seccomp-lint.io/unconfined-seccomp-profile"
_TO_DEFAULT = _PATCHED_AWAY.split("- patch: |\n")[1].replace("\n    ", "\n")[4:]


def test_an_overlays_own_stale_annotation_is_its_own(tmp_path: Path) -> None:
    """An annotation an overlay writes (commonAnnotations) is judged in that overlay alone,
    whatever another overlay's annotation on the same base object does (review 13b F2)."""
    base = _BASE_WEB.replace(f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n', "")
    root = _tree(
        tmp_path / "repo",
        {
            "base/web.yaml": base,
            "base/kustomization.yaml": "resources: [web.yaml]\n",
            "one/kustomization.yaml": f'namespace: one\ncommonAnnotations: {{{_KEY}: "one"}}\n'
            "resources: [../base]\n",
            "two/kustomization.yaml": f'namespace: two\ncommonAnnotations: {{{_KEY}: "two"}}\n'
            "resources: [../base]\npatches: [{path: fix.yaml}]\n",
            "two/fix.yaml": _TO_DEFAULT,
        },
    )
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["rule"], f["path"]) for f in found] == [
        ("unused-suppression", "two/kustomization.yaml")
    ]


def test_a_patchs_annotation_is_not_placed_at_the_next_list_items(tmp_path: Path) -> None:
    """A List's items are not separated by ``---``: an annotation a patch adds to item a is
    not the one item b writes (review 13b F3)."""
    item = (
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: {name}\n{notes}"
        "  spec:\n    template:\n      spec:\n        securityContext:\n"
        "          seccompProfile: {{type: {kind}}}\n        containers: [{{name: c, image: x}}]\n"
    )
    notes = f'    annotations:\n      {_KEY}: "used by b"\n'
    items = item.format(name="a", notes="", kind="RuntimeDefault") + item.format(
        name="b", notes=notes, kind="Unconfined"
    )
    patch = f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  annotations:\n    {_KEY}: "stale"\n'
    root = _tree(
        tmp_path / "repo",
        {
            "base/list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + items,
            "base/ann.yaml": patch,
            "base/kustomization.yaml": "resources: [list.yaml]\npatches: [{path: ann.yaml}]\n",
        },
    )
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"], f["object"]["name"]) for f in found] == [
        ("base/ann.yaml", 6, "a")
    ]


def test_an_annotation_in_a_flow_mapping_is_reported_where_it_is_written(tmp_path: Path) -> None:
    root = _overlays(tmp_path / "repo", keep=False)
    flow = _BASE_WEB.replace(
        f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n',
        f'      annotations: {{team: a, "{_KEY}": "stale"}}\n',
    )
    (root / "base" / "web.yaml").write_text(flow)
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"], f["column"]) for f in found] == [("base/web.yaml", 10, 30)]


def test_a_pre_commit_run_does_not_judge_an_annotation_builds_outside_it_read(
    tmp_path: Path,
) -> None:
    """Only the changed overlay is built: the base's annotation, which the other overlay
    needs, is not reported unused (review 13b F6); the base file given builds both."""
    root = _overlays(tmp_path / "repo", keep=True)
    for given in ("b/kustomization.yaml", "base/web.yaml", "."):
        done = run_process("--format", "json", given, cwd=root, text=True)
        assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, []), given


def test_a_stale_comment_on_the_first_line_after_a_byte_order_mark(tmp_path: Path) -> None:
    root = _overlays(tmp_path / "repo", keep=False)
    text = "# seccomp-lint: ignore[missing-seccomp-profile] old, SEC-9\n" + _BASE_WEB
    (root / "base" / "web.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"], f["column"]) for f in found][:1] == [("base/web.yaml", 1, 1)]


def test_fix_says_why_a_stale_comment_outside_the_project_stays(tmp_path: Path) -> None:
    root = _overlays(tmp_path / "shared", keep=False)
    (root / "base" / "web.yaml").write_text(_STALE_COMMENT)
    repo = _tree(tmp_path / "repo", {"ov/kustomization.yaml": "resources: [../../shared/base]\n"})
    done = _walk(repo, "--fix")
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["unused-suppression"]
    assert "unused-suppression not fixed: outside the project" in done.stderr
    assert (root / "base" / "web.yaml").read_text() == _STALE_COMMENT


def test_a_comment_in_a_patch_suppresses_the_finding_reported_there(tmp_path: Path) -> None:
    """A finding whose value a patch sets is reported at the patch's line: a suppression
    comment there, or on the line above, suppresses it as in any file (review 13b F5)."""
    root = _overlays(tmp_path / "repo", keep=False)
    base = _BASE_WEB.replace(f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n', "")
    (root / "base" / "web.yaml").write_text(base.replace("Unconfined", "RuntimeDefault"))
    patch = _TO_DEFAULT.replace("type: RuntimeDefault", "type: Unconfined")
    (root / "b" / "kustomization.yaml").write_text(
        "namespace: b\nresources: [../base]\npatches: [{path: fix.yaml}]\n"
    )
    (root / "b" / "fix.yaml").write_text(patch)
    (found,) = json.loads(_walk(root).stdout)["findings"]
    assert (found["rule"], found["path"], found["line"]) == (
        "unconfined-seccomp-profile",
        "b/fix.yaml",
        8,
    )
    comment = "        # seccomp-lint: ignore[unconfined-seccomp-profile] strace, SEC-3\n"
    lines = patch.splitlines(keepends=True)
    (root / "b" / "fix.yaml").write_text("".join(lines[:7] + [comment] + lines[7:]))
    done = _walk(root)
    assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, [])
    assert json.loads(done.stdout)["summary"]["suppressed"] == 1


def test_fix_leaves_an_annotation_another_overlay_uses_without_a_word(tmp_path: Path) -> None:
    """The base's annotation suppresses nothing in the base, nor in overlay b; overlay a's
    patch sets the value it excuses. --fix tries the removal for b, the check against a puts it
    back, and the run says nothing of a finding it does not report (review 13b F8)."""
    base = _BASE_WEB.replace("type: Unconfined", "type: RuntimeDefault")
    root = _tree(
        tmp_path / "repo",
        {
            "base/web.yaml": base,
            "base/kustomization.yaml": "resources: [web.yaml]\n",
            "a/kustomization.yaml": "namespace: a\nresources: [../base]\npatches: [{path: p.yaml}]\n",
            "a/p.yaml": _TO_DEFAULT.replace("RuntimeDefault", "Unconfined"),
            "b/kustomization.yaml": "namespace: b\nresources: [../base]\n",
        },
    )
    done = _walk(root, "--fix")
    assert (done.returncode, json.loads(done.stdout)["findings"], done.stderr) == (0, [], "")
    assert (root / "base" / "web.yaml").read_text() == base


@pytest.mark.parametrize("where", ["patch", "commonAnnotations"])
def test_an_annotation_a_shared_kustomization_writes_is_judged_in_every_overlay(
    tmp_path: Path, where: str
) -> None:
    """The base's patch or commonAnnotations writes the annotation: overlay one needs it,
    overlay two patches the value away. Not unused (review 13c N1); with overlay one gone, it
    is reported where the base writes it."""
    base = _BASE_WEB.replace(f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n', "")
    patch = f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    {_KEY}: "x, SEC-1"\n'
    kustomization = {
        "patch": "resources: [web.yaml]\npatches: [{path: ann.yaml}]\n",
        "commonAnnotations": f'resources: [web.yaml]\ncommonAnnotations:\n  {_KEY}: "x, SEC-1"\n',
    }[where]
    root = _tree(
        tmp_path / "repo",
        {
            "base/web.yaml": base,
            "base/ann.yaml": patch,
            "base/kustomization.yaml": kustomization,
            "one/kustomization.yaml": "namespace: one\nresources: [../base]\n",
            "two/kustomization.yaml": "namespace: two\nresources: [../base]\npatches: [{path: fix.yaml}]\n",
            "two/fix.yaml": _TO_DEFAULT,
        },
    )
    done = _walk(root)
    assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, [])
    (root / "one" / "kustomization.yaml").unlink()
    found = json.loads(_walk(root).stdout)["findings"]
    spot = {
        "patch": ("base/ann.yaml", 6, 5),
        "commonAnnotations": ("base/kustomization.yaml", 3, 3),
    }
    assert [(f["path"], f["line"], f["column"]) for f in found] == [spot[where]]


def _patched_annotation(root: Path, resource: str, text: str) -> Path:
    """A base whose patch adds a stale annotation to Deployment a (its value RuntimeDefault)."""
    patch = f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  annotations:\n    {_KEY}: "stale"\n'
    kustomization = f"resources: [{resource}]\npatches: [{{path: ann.yaml}}]\n"
    return _tree(
        root,
        {
            f"base/{resource}": text,
            "base/ann.yaml": patch,
            "base/kustomization.yaml": kustomization,
        },
    )


def test_an_annotation_a_patch_adds_is_not_placed_at_text_that_mentions_it(tmp_path: Path) -> None:
    """Review 13c N2: a comment naming the key, and a minified JSON List whose other item
    writes (and uses) it, are not where the patch's annotation is written."""

    def item(name: str, kind: str, notes: dict) -> dict:
        pod = {"securityContext": {"seccompProfile": {"type": kind}}, "containers": [{"name": "c"}]}
        meta = {"name": name, "annotations": notes} if notes else {"name": name}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {"template": {"spec": pod}},
        }

    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [item("a", "RuntimeDefault", {}), item("b", "Unconfined", {_KEY: "used by b"})],
    }
    one = _patched_annotation(tmp_path / "json", "list.json", json.dumps(listed))
    mention = json.dumps(item("a", "RuntimeDefault", {}))  # (then YAML with a comment)
    commented = f"# note: {_KEY}: comes from ann.yaml\n" + mention
    two = _patched_annotation(tmp_path / "comment", "a.yaml", commented)
    for root in (one, two):
        found = json.loads(_walk(root).stdout)["findings"]
        assert [(f["path"], f["line"]) for f in found] == [("base/ann.yaml", 6)], root


def test_a_build_that_failed_counts_as_a_reader_that_may_use_the_annotation(
    tmp_path: Path,
) -> None:
    """Review 13c N3: overlay a needs the base's annotation but does not build; b patches the
    value away. The annotation is not judged."""
    root = _overlays(tmp_path / "repo", keep=True)
    (root / "a" / "kustomization.yaml").write_text(
        "namespace: a\nresources: [../base, gone.yaml]\n"
    )
    done = run_process("--format", "json", ".", cwd=root, text=True)
    assert done.returncode == 2 and json.loads(done.stdout)["findings"] == []


def test_a_comment_in_an_inline_patch_suppresses_the_finding_there(tmp_path: Path) -> None:
    """Review 13c N4: a literal block's lines are the kustomization's."""
    root = _overlays(tmp_path / "repo", keep=False)
    base = _BASE_WEB.replace(f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n', "")
    (root / "base" / "web.yaml").write_text(base.replace("Unconfined", "RuntimeDefault"))
    inline = _PATCHED_AWAY.replace(
        "            seccompProfile: {type: RuntimeDefault}\n",
        "            # seccomp-lint: ignore[unconfined-seccomp-profile] strace, SEC-4\n"
        "            seccompProfile: {type: Unconfined}\n",
    )
    (root / "b" / "kustomization.yaml").write_text(inline)
    done = _walk(root)
    assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, [])
    assert json.loads(done.stdout)["summary"]["suppressed"] == 1


def test_the_objects_and_its_pod_templates_stale_annotations_are_both_reported(
    tmp_path: Path,
) -> None:
    """One rule, named by the object's annotation and its pod template's, both stale: each is
    reported where it is written (review 13c N7: the second was placed at the first)."""
    root = _overlays(tmp_path / "repo", keep=True)
    both = _BASE_WEB.replace("type: Unconfined", "type: RuntimeDefault").replace(
        "  name: web\n", f'  name: web\n  annotations:\n    {_KEY}: "x, SEC-5"\n', 1
    )
    (root / "base" / "web.yaml").write_text(both)
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"]) for f in found] == [("base/web.yaml", 6), ("base/web.yaml", 13)]


def test_fix_removes_a_pod_templates_only_annotation_an_overlay_adds_to(tmp_path: Path) -> None:
    """Overlay b's commonAnnotations puts an annotation of its own on the pod template: the
    file's map, left empty and removed, is the suppression's removal in b's build (review 13c
    N6)."""
    root = _overlays(tmp_path / "repo", keep=True)
    stale = _BASE_WEB.replace("type: Unconfined", "type: RuntimeDefault")
    (root / "base" / "web.yaml").write_text(stale)
    (root / "b" / "kustomization.yaml").write_text(
        "namespace: b\ncommonAnnotations: {team: b}\nresources: [../base]\n"
    )
    fixed = _walk(root, "--fix")
    assert (fixed.returncode, json.loads(fixed.stdout)["findings"]) == (0, []), fixed.stderr
    lines = stale.splitlines(keepends=True)
    assert (root / "base" / "web.yaml").read_text() == "".join(lines[:9] + lines[11:])


def test_a_stale_annotation_is_not_placed_outside_the_commonannotations_on_its_way(
    tmp_path: Path,
) -> None:
    """The overlay's commonAnnotations holds another annotation; its inline patch writes the
    key for another object, which uses it. The base's patch wrote the stale one (review 13d
    D1: it was placed at the other object's annotation)."""
    web = _BASE_WEB.replace(f'      annotations:\n        {_KEY}: "strace sidecar, SEC-1"\n', "")
    other = web.replace("name: web", "name: other")
    web = web.replace("Unconfined", "RuntimeDefault")
    patch = f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    {_KEY}: "stale"\n'
    inline = (
        "namespace: prod\ncommonAnnotations:\n  team: x\nresources: [../base]\npatches:\n"
        "- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n"
        f'      name: other\n      annotations:\n        {_KEY}: "other needs strace"\n'
    )
    root = _tree(
        tmp_path / "repo",
        {
            "base/web.yaml": web + "---\n" + other,
            "base/ann.yaml": patch,
            "base/kustomization.yaml": "resources: [web.yaml]\npatches: [{path: ann.yaml}]\n",
            "ov/kustomization.yaml": inline,
        },
    )
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"], f["object"]["name"]) for f in found] == [
        ("base/ann.yaml", 6, "web")
    ]


def test_an_overlays_object_annotation_is_not_taken_for_the_bases_pod_template_one(
    tmp_path: Path,
) -> None:
    """The base's pod template writes the key (overlay a uses it); overlay b's patch writes it
    at the object, stale there: reported at b's patch (review 13d D2: it was taken for the
    base's and dropped)."""
    root = _overlays(tmp_path / "repo", keep=True)
    patch = _TO_DEFAULT.replace(
        "metadata: {name: web}\n", f'metadata:\n  name: web\n  annotations:\n    {_KEY}: "stale"\n'
    )
    (root / "b" / "kustomization.yaml").write_text(
        "namespace: b\nresources: [../base]\npatches: [{path: p.yaml}]\n"
    )
    (root / "b" / "p.yaml").write_text(patch)
    found = json.loads(_walk(root).stdout)["findings"]
    assert [(f["path"], f["line"]) for f in found] == [("b/p.yaml", 6)]


def test_fix_removes_a_pod_templates_stale_annotation_beside_an_overlays_used_one(
    tmp_path: Path,
) -> None:
    """Overlay b's patch adds a suppression of its own, used, to the pod template (review 13d
    D3: the base's stale one was not removed, and nothing said why)."""
    root = _overlays(tmp_path / "repo", keep=True)
    stale = _BASE_WEB.replace("type: Unconfined", "type: RuntimeDefault")
    (root / "base" / "web.yaml").write_text(stale)
    other = "ignore-check.seccomp-lint.io/privileged-container-seccomp"
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        f'    metadata:\n      annotations:\n        {other}: "debug, SEC-9"\n'
        "    spec:\n      containers:\n      - name: main\n        securityContext: {privileged: true}\n"
    )
    (root / "b" / "kustomization.yaml").write_text(
        "namespace: b\nresources: [../base]\npatches: [{path: p.yaml}]\n"
    )
    (root / "b" / "p.yaml").write_text(patch)
    fixed = _walk(root, "--fix")
    assert (fixed.returncode, json.loads(fixed.stdout)["findings"]) == (0, []), fixed.stderr
    lines = stale.splitlines(keepends=True)
    assert (root / "base" / "web.yaml").read_text() == "".join(lines[:9] + lines[11:])


def test_a_pre_commit_run_does_not_call_the_entries_it_did_not_judge_gone(tmp_path: Path) -> None:
    """The base's stale annotation is baselined; a run over overlay b's files alone does not
    judge it, so its entry is not one that matches nothing (review 13d D4)."""
    root = _overlays(tmp_path / "repo", keep=True)
    (root / "base" / "web.yaml").write_text(_BASE_WEB.replace("Unconfined", "RuntimeDefault"))
    wrote = run_process("--write-baseline", "bl.json", ".", cwd=root, text=True)
    assert "wrote 1 baseline entry" in wrote.stderr, wrote.stderr
    done = run_process("--baseline", "bl.json", "b/kustomization.yaml", cwd=root, text=True)
    assert done.returncode == 0 and "matches nothing" not in done.stdout + done.stderr
