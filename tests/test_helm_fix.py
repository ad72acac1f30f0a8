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

from conftest import FIXTURES, REPO
from seccomp_lint.helm_values import ValuesEditError, set_value

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


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _where(result) -> list[tuple[str, str]]:
    return sorted((Path(f["path"]).name, f["rule"]) for f in result.findings)


# --------------------------------------------------------------------------- helm create


def test_helm_create_chart_fixed_in_values_yaml_and_the_test_hook(lint, tmp_path: Path) -> None:
    chart = _chart("hello", tmp_path)
    before = _files(chart)
    assert _where(lint("--chart", str(chart))) == [
        ("deployment.yaml", "missing-seccomp-profile"),
        ("test-connection.yaml", "missing-seccomp-profile"),
    ]
    result = lint("--chart", str(chart), "--fix", fmt="text")
    # The values file: podSecurityContext set, every comment and other line kept.
    assert (chart / "values.yaml").read_bytes() == GOLDEN.read_bytes()
    # The test hook's pod hard-codes its spec: the template gets the rule's own fix.
    assert (chart / HOOK).read_bytes() == GOLDEN_HOOK.read_bytes()
    after = _files(chart)
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
    assert new.replace(
        "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n",
        "podSecurityContext: {}\n",
    ) == old
    assert "  # fsGroup: 2000\n" in new


def test_golden_hook_differs_from_helm_create_by_the_profile_alone() -> None:
    old = (HELM / "hello" / HOOK).read_text()
    added = "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"
    assert GOLDEN_HOOK.read_text() == old.replace("spec:\n", "spec:\n" + added)


def test_diff_prints_both_changes_and_writes_nothing(lint, tmp_path: Path) -> None:
    chart = _chart("hello", tmp_path)
    before = _files(chart)
    result = lint("--chart", str(chart), "--diff", fmt="text")
    assert _files(chart) == before
    assert result.code == 1
    assert "-podSecurityContext: {}\n+podSecurityContext:\n+  seccompProfile:\n" in result.stdout
    assert "+    type: RuntimeDefault\n   # fsGroup: 2000\n" in result.stdout
    assert f"+++ b/{chart / HOOK}\n" in result.stdout
    assert (
        " spec:\n+  securityContext:\n+    seccompProfile:\n+      type: RuntimeDefault\n"
        "   containers:\n"
    ) in result.stdout
    assert "Would fix 2 findings in 2 files." in result.stderr


# --------------------------------------------------------------------------- which file, exit codes


def test_the_last_values_file_is_edited(lint, tmp_path: Path) -> None:
    chart = _chart("shop", tmp_path)
    (chart / "templates" / "debug-pod.yaml").unlink()
    first = tmp_path / "base.yaml"
    first.write_text("image:\n  tag: \"1.1\"\n")
    prod = tmp_path / "prod.yaml"
    prod.write_text("# production\nimage:\n  tag: \"2.0\"  # pinned\n")
    values = (chart / "values.yaml").read_bytes()
    result = lint("--chart", str(chart), "--values", str(first), "--values", str(prod), "--fix")
    assert result.code == 0, result.stderr
    assert result.findings == []
    assert (chart / "values.yaml").read_bytes() == values
    assert first.read_text() == "image:\n  tag: \"1.1\"\n"
    assert prod.read_text() == (
        "# production\nimage:\n  tag: \"2.0\"  # pinned\n"
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
        "image:\n  repository: registry.example/shop\n  tag: \"1.0\"\n"
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
    before = _files(chart)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert _files(chart) == before
    assert result.code == 1
    assert "fix not applied: the re-rendered chart differs beyond seccompProfile" in result.stdout
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
        ("# values\nx: 1", "# values\nx: 1\npodSecurityContext:\n  seccompProfile:\n"
         "    type: RuntimeDefault\n"),
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
    assert set_value(before, PROFILE, "RuntimeDefault")[0] == after


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
    with pytest.raises(ValuesEditError):
        set_value(text, PROFILE, "RuntimeDefault")
