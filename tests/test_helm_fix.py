"""``--chart DIR --fix`` / ``--diff``: the values key set in the values file, verified by
re-rendering the chart with the Helm SDK (helm-python-sdk, in the test extra).

``tests/fixtures/helm/hello`` is a chart exactly as ``helm create hello`` writes it (generated
with the SDK's ``Chart.create``); ``tests/golden/helm-create-values.fixed.yaml`` is the
values.yaml ``--fix`` must leave, ``helm-create-test-connection.fixed.yaml`` the test hook's
template (which hard-codes its pod spec, so the fix is made in it). ``shop`` (see test_helm.py) renders ``podSecurityContext`` in
two templates and hard-codes an ``Unconfined`` pod in a third.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, tree

from seccomp_lint.edit.splices import Rejected, set_in_text

HELM = FIXTURES / "helm"
GOLDEN = REPO / "tests" / "golden" / "helm-create-values.fixed.yaml"
GOLDEN_HOOK = REPO / "tests" / "golden" / "helm-create-test-connection.fixed.yaml"
HOOK = "templates/tests/test-connection.yaml"
PROFILE = ("podSecurityContext", "seccompProfile", "type")


@pytest.fixture(autouse=True)
def no_helm_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Render with the SDK: the same on every machine, with or without a helm installed."""
    empty = tmp_path / "no-helm"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def _chart(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(HELM / name, target)
    return target


def _where(result) -> list[tuple[str, str]]:
    return sorted((Path(f["path"]).name, f["rule"]) for f in result.findings)


# --------------------------------------------------------------------------- helm create


def test_helm_create_chart_fixed_in_values_yaml_and_the_test_hook(lint, tmp_path: Path) -> None:
    chart = _chart("hello", tmp_path)
    before = tree(chart)
    assert _where(lint("--chart", str(chart))) == [
        ("deployment.yaml", "missing-seccomp-profile"),
        ("test-connection.yaml", "missing-seccomp-profile"),
    ]
    result = lint("--chart", str(chart), "--fix", fmt="text")
    # The values file: podSecurityContext set, every comment and other line kept.
    assert (chart / "values.yaml").read_bytes() == GOLDEN.read_bytes()
    # The test hook's pod hard-codes its spec: the template gets the rule's own fix.
    assert (chart / HOOK).read_bytes() == GOLDEN_HOOK.read_bytes()
    after = tree(chart)
    for changed in ("values.yaml", HOOK):
        del after[changed], before[changed]
    assert after == before  # every other template untouched
    assert "Found 2 findings (2 fixed, 0 remaining)" in result.stdout
    assert result.code == 0, result.stdout + result.stderr
    again = lint("--chart", str(chart))
    assert again.verdict == (0, [])  # the re-render lints clean


def test_golden_differs_from_helm_create_only_by_the_key() -> None:
    old = (HELM / "hello" / "values.yaml").read_text()
    new = GOLDEN.read_text()
    assert (
        new.replace(
            "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n",
            "podSecurityContext: {}\n",
        )
        == old
    )
    assert "  # fsGroup: 2000\n" in new


def test_golden_hook_differs_from_helm_create_by_the_profile_alone() -> None:
    old = (HELM / "hello" / HOOK).read_text()
    added = "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"
    assert GOLDEN_HOOK.read_text() == old.replace("spec:\n", "spec:\n" + added)


def test_diff_prints_both_changes_and_writes_nothing(lint, tmp_path: Path) -> None:
    chart = _chart("hello", tmp_path)
    before = tree(chart)
    result = lint("--chart", str(chart), "--diff", fmt="text")
    assert tree(chart) == before
    assert result.code == 1
    assert "-podSecurityContext: {}\n+podSecurityContext:\n+  seccompProfile:\n" in result.stdout
    assert "+    type: RuntimeDefault\n   # fsGroup: 2000\n" in result.stdout
    assert f"+++ b/{chart / HOOK}\n" in result.stdout
    assert (
        " spec:\n+  securityContext:\n+    seccompProfile:\n+      type: RuntimeDefault\n"
        "   containers:\n"
    ) in result.stdout
    assert "Would fix 2 findings in 2 files." in result.stderr


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every render of a chart goes through the SDK here (no helm on PATH): count them."""
    from seccomp_lint.sources.helm import render

    real, calls = render.render_sdk, []

    def counted(chart, values, *namespace):
        calls.append(chart)
        return real(chart, values, *namespace)

    monkeypatch.setattr(render, "render_sdk", counted)
    return calls


@pytest.mark.parametrize("mode", ["--diff", "--fix"])
def test_the_chart_is_rendered_once_per_verified_state(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The lint's render is the fix stage's start; the values change and the test hook's template
    change are each verified by one render; with --fix the end-to-end check renders the files as
    written once more, and the findings left are those of that render (with --diff, of the last
    verified one). (It was six renders, three before any edit.)"""
    chart = _chart("hello", tmp_path)
    calls = _count_renders(monkeypatch)
    result = lint("--chart", str(chart), mode, fmt="text")
    assert "fix 2 findings" in result.stderr or "(2 fixed, 0 remaining)" in result.stdout
    states = 1 + 2  # the chart as it is, then each of the two verified changes
    assert len(calls) == states + (mode == "--fix"), calls


def test_a_failed_write_renders_the_chart_as_left_on_disk(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a file is not written after all, the findings left come from a render of what is on
    disk, not of the verified state that did not land."""
    chart = _chart("hello", tmp_path)
    values = chart / "values.yaml"
    _meanwhile(monkeypatch, lambda path: path == str(values))
    calls = _count_renders(monkeypatch)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert len(calls) == 1 + 2 + 1
    # 5 files: values.yaml and the 4 templates that rendered
    assert "Found 2 findings (2 errors) in 5 files" in result.stdout


# --------------------------------------------------------------------------- which file, exit codes


def test_the_last_values_file_is_edited(lint, tmp_path: Path) -> None:
    chart = _chart("shop", tmp_path)
    (chart / "templates" / "debug-pod.yaml").unlink()
    first = tmp_path / "base.yaml"
    first.write_text('image:\n  tag: "1.1"\n')
    prod = tmp_path / "prod.yaml"
    prod.write_text('# production\nimage:\n  tag: "2.0"  # pinned\n')
    values = (chart / "values.yaml").read_bytes()
    result = lint("--chart", str(chart), "--values", str(first), "--values", str(prod), "--fix")
    assert result.code == 0, result.stderr
    assert result.findings == []
    assert (chart / "values.yaml").read_bytes() == values
    assert first.read_text() == 'image:\n  tag: "1.1"\n'
    assert prod.read_text() == (
        '# production\nimage:\n  tag: "2.0"  # pinned\n'
        "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
    )
    assert lint("--chart", str(chart), "--values", str(first), "--values", str(prod)).code == 0


def test_all_fixed_exits_0_and_says_so(lint, tmp_path: Path) -> None:
    chart = _chart("shop", tmp_path)
    (chart / "templates" / "debug-pod.yaml").unlink()
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert "2 fixed, 0 remaining" in result.stdout
    assert (chart / "values.yaml").read_text() == (
        'image:\n  repository: registry.example/shop\n  tag: "1.0"\n'
        "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
        "securityContext: {}\nmigrations:\n  enabled: true\n"
    )
    assert lint("--chart", str(chart), "--fix", "--exit-non-zero-on-fix").code == 0  # no change
    assert lint("--chart", str(chart), "--diff").code == 0


def test_a_hard_coded_unconfined_pod_is_fixed_in_its_template_with_unsafe_fixes(
    lint, tmp_path: Path
) -> None:
    chart = _chart("shop", tmp_path)
    pod = chart / "templates" / "debug-pod.yaml"
    written = pod.read_text()
    held = lint("--chart", str(chart), "--fix", fmt="text")
    assert held.code == 1
    assert "1 unsafe fix was held back" in held.stdout + held.stderr
    assert pod.read_text() == written
    result = lint("--chart", str(chart), "--fix", "--unsafe-fixes")
    assert result.verdict == (0, [])
    # A one-word change in the template, nothing else.
    assert pod.read_text() == written.replace("type: Unconfined", "type: RuntimeDefault")
    assert written.count("type: Unconfined") == 1


# --------------------------------------------------------------------------- all or nothing


WEB = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n"
    "spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
)


def test_a_read_only_values_file_takes_part_in_no_change(lint, tmp_path: Path) -> None:
    """values.yaml is read-only: its change is not made, so the test hook's template fix is
    verified on its own (not with a values change that will never land) and is written; the
    Deployment's finding says why it was not fixed."""
    chart = _chart("hello", tmp_path)
    values = chart / "values.yaml"
    values.chmod(0o444)
    before = values.read_bytes()
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert values.read_bytes() == before
    assert (chart / HOOK).read_bytes() == GOLDEN_HOOK.read_bytes()
    assert f"{values}: not rewritten: it is read-only" in result.stderr
    assert f"fix not applied: {values} cannot be rewritten: it is read-only" in result.stdout
    assert "Found 2 findings (1 fixed, 1 remaining)" in result.stdout
    assert result.code == 1


def _meanwhile(monkeypatch: pytest.MonkeyPatch, victim) -> list[str]:
    """Someone edits a file just before seccomp-lint rewrites it (``victim(path)`` says which):
    the rewrite finds it changed on disk. The paths asked to be written, in order."""
    from seccomp_lint.edit import writer

    real, asked = writer.replace_atomically, []

    def replace_atomically(path, data, expected, seen):
        asked.append(path)
        if victim(path):
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("# edited meanwhile\n")
        return real(path, data, expected, seen)

    monkeypatch.setattr(writer, "replace_atomically", replace_atomically)
    return asked


def test_a_values_file_that_cannot_be_written_takes_the_template_fixes_with_it(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook's template fix was verified by a render with the values change: when the values
    file turns out not to be writable after all, the template is not written either."""
    chart = _chart("hello", tmp_path)
    values, hook = chart / "values.yaml", chart / HOOK
    old_values, old_hook = values.read_text(), hook.read_bytes()
    _meanwhile(monkeypatch, lambda path: path == str(values))
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert values.read_text() == old_values + "# edited meanwhile\n"
    assert hook.read_bytes() == old_hook
    assert f"{values}: not rewritten: it changed on disk since it was read" in result.stderr
    assert (
        f"{hook}: not rewritten: verified together with the change to {values}, which could "
        "not be written"
    ) in result.stderr
    assert "Found 2 findings (2 errors) in 5 files" in result.stdout
    assert f"fix not applied: {hook} is not changed: verified together" in result.stdout


def test_a_template_that_cannot_be_written_takes_back_the_templates_written_with_it(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hard-coded templates, each fix verified with the other: the second write fails, so
    the first is put back; the values change, verified on its own, stays."""
    chart = _chart("hello", tmp_path)
    web = chart / "templates" / "web.yaml"
    web.write_text(WEB)
    templates = {str(chart / HOOK), str(web)}
    old = {path: Path(path).read_bytes() for path in templates}
    seen: list[str] = []

    def second_template(path: str) -> bool:
        if path in templates:
            seen.append(path)
        return len(seen) == 2 and path == seen[1]

    asked = _meanwhile(monkeypatch, second_template)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert asked[0] == str(chart / "values.yaml") and set(asked[1:]) == templates
    first, second = asked[1], asked[2]
    assert (chart / "values.yaml").read_bytes() == GOLDEN.read_bytes()
    assert Path(first).read_bytes() == old[first]
    assert Path(second).read_bytes() == old[second] + b"# edited meanwhile\n"
    assert "Found 3 findings (1 fixed, 2 remaining)" in result.stdout
    said = result.stderr.splitlines()
    assert f"seccomp-lint: {second}: not rewritten: it changed on disk since it was read" in said
    put_back = f"{first}: put back: verified together with the change to {second}, which"
    assert any(line.startswith(f"seccomp-lint: {put_back}") for line in said)


def test_the_template_loop_keeps_the_one_round_limit(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's template fixes run under the fix loop's round limit (fixes.MAX_ROUNDS), not
    one of their own; a finding the rounds did not get to says so."""
    from seccomp_lint.fix import fixes
    from seccomp_lint.sources.helm import fix

    assert fix.MAX_ROUNDS is fixes.MAX_ROUNDS
    monkeypatch.setattr(fix, "MAX_ROUNDS", 1)
    chart = _chart("hello", tmp_path)
    (chart / "templates" / "web.yaml").write_text(WEB)
    result = lint("--chart", str(chart), "--diff", fmt="text")
    assert "Would fix 2 findings in 2 files." in result.stderr  # values.yaml and one template
    assert "web.yaml\n  help: add to" in result.stderr  # the template not reached
    assert "fix not applied: 1 rounds of fixes did not get to it" in result.stderr


# --------------------------------------------------------------------------- unsafe, verification


def test_unconfined_in_values_needs_unsafe_fixes(lint, tmp_path: Path) -> None:
    chart = _chart("shop", tmp_path)
    (chart / "templates" / "debug-pod.yaml").unlink()
    chosen = (
        "podSecurityContext:\n  seccompProfile:\n    type: Unconfined  # chosen\n"
        "securityContext: {}\nimage: {repository: r, tag: t}\nmigrations: {enabled: false}\n"
    )
    (chart / "values.yaml").write_text(chosen)
    held = lint("--chart", str(chart), "--fix", fmt="text")
    assert held.code == 1
    assert "1 unsafe fix was held back" in held.stdout + held.stderr
    assert (chart / "values.yaml").read_text() == chosen
    done = lint("--chart", str(chart), "--fix", "--unsafe-fixes")
    assert done.code == 0, done.stderr
    assert (chart / "values.yaml").read_text() == chosen.replace(
        "Unconfined  # chosen", "RuntimeDefault  # chosen"
    )


def test_a_change_that_renders_elsewhere_is_not_written(lint, tmp_path: Path) -> None:
    # The values key is rendered into a ConfigMap too: setting it would change more than the
    # pod's seccompProfile, so the re-render check refuses it.
    chart = _chart("shop", tmp_path)
    (chart / "templates" / "debug-pod.yaml").unlink()
    (chart / "templates" / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n"
        "  pod: {{ toJson .Values.podSecurityContext | quote }}\n"
    )
    before = tree(chart)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert tree(chart) == before
    assert result.code == 1
    assert (
        "fix not applied: the re-rendered chart differs by more than the fix: the edit would "
        "change more than the intended value"
    ) in result.stdout
    assert "set podSecurityContext.seccompProfile.type: RuntimeDefault in your values" in (
        result.stdout
    )


def test_a_values_file_that_is_not_a_mapping_is_not_touched(lint, tmp_path: Path) -> None:
    chart = _chart("shop", tmp_path)
    odd = tmp_path / "odd.yaml"
    odd.write_text("podSecurityContext: runAsNonRoot\n")
    result = lint("--chart", str(chart), "--values", str(odd), "--fix", fmt="text")
    assert odd.read_text() == "podSecurityContext: runAsNonRoot\n"
    assert result.code == 1
    assert "set podSecurityContext.seccompProfile.type: RuntimeDefault in your values" in (
        result.stdout
    )


# --------------------------------------------------------------------------- the splice


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # helm create: `key: {}` and commented defaults under it.
        (
            "podSecurityContext: {}\n  # fsGroup: 2000\n\nx: 1\n",
            "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
            "  # fsGroup: 2000\n\nx: 1\n",
        ),
        # A mapping with keys: the new key after its last entry, at its indentation.
        (
            "podSecurityContext:\n    runAsUser: 1000  # uid\n  # about x\nx: 1\n",
            "podSecurityContext:\n    runAsUser: 1000  # uid\n    seccompProfile:\n"
            "        type: RuntimeDefault\n  # about x\nx: 1\n",
        ),
        # A missing top-level key is appended (a missing final line break added first).
        (
            "# values\nx: 1",
            "# values\nx: 1\npodSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n",
        ),
        ("", "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"),
        # A wrong word is replaced, its quotes and comment kept.
        (
            "podSecurityContext:\n  seccompProfile:\n    type: 'Unconfined'  # why\n",
            "podSecurityContext:\n  seccompProfile:\n    type: 'RuntimeDefault'  # why\n",
        ),
        # Flow mappings stay flow; null opens a block; CRLF stays CRLF.
        (
            "podSecurityContext: {runAsUser: 1}\n",
            "podSecurityContext: {runAsUser: 1, seccompProfile: {type: RuntimeDefault}}\n",
        ),
        (
            "podSecurityContext: ~  # none\n",
            "podSecurityContext:  # none\n  seccompProfile:\n    type: RuntimeDefault\n",
        ),
        (
            "a: 1\r\npodSecurityContext: {}\r\n",
            "a: 1\r\npodSecurityContext:\r\n  seccompProfile:\r\n    type: RuntimeDefault\r\n",
        ),
    ],
)
def test_set_value_splices(before: str, after: str) -> None:
    assert set_in_text(before, PROFILE, "RuntimeDefault")[0] == after


@pytest.mark.parametrize(
    "text",
    [
        "podSecurityContext: runAsNonRoot\n",
        "- a list\n",
        "podSecurityContext:\n  seccompProfile: RuntimeDefault\n",
        "a: [unclosed\n",
        "a: 1\n---\nb: 2\n",
    ],
)
def test_set_value_refuses(text: str) -> None:
    with pytest.raises(Rejected):
        set_in_text(text, PROFILE, "RuntimeDefault")
