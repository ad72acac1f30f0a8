"""``--chart DIR --fix``: a template that hard-codes its pod spec gets the rule's own fix, made to
its text where that text is plain YAML, verified by rendering the chart with the Helm SDK.

Each test writes one template into a copy of ``tests/fixtures/helm/hello`` (the ``helm create``
chart) in place of its test hook, and runs the real command line on it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model.data import Options, Pos
from seccomp_lint.sources.helm.templates import outline

HOOK = Path("templates/tests/test-connection.yaml")
ADDED = "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n"


@pytest.fixture(autouse=True)
def no_helm_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Render with the SDK: the same on every machine, with or without a helm installed."""
    empty = tmp_path / "no-helm"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def _chart(tmp_path: Path, template: str | bytes) -> Path:
    chart = tmp_path / "hello"
    shutil.copytree(FIXTURES / "helm" / "hello", chart)
    data = template.encode() if isinstance(template, str) else template
    (chart / HOOK).write_bytes(data)
    return chart


def _pod(spec: str, head: str = "") -> str:
    return (
        f"{head}apiVersion: v1\nkind: Pod\nmetadata:\n"
        '  name: "{{ include "hello.fullname" . }}-probe"\n' + spec
    )


# --------------------------------------------------------------------------- left alone


AMBIGUOUS = {
    # spec: twice, in an if/else pair: which one rendered depends on the values.
    "if-else": (
        _pod(
            "{{- if .Values.probe }}\nspec:\n  containers:\n    - name: a\n      image: busybox\n"
            "{{- else }}\nspec:\n  containers:\n    - name: a\n      image: alpine\n{{- end }}\n"
        ),
        "writes spec more than once (lines 6, 11)",
    ),
    # The template sets securityContext itself in another branch: a second one would clash.
    "other-branch": (
        _pod(
            "spec:\n  {{- if .Values.probe }}\n  securityContext:\n    runAsUser: 1000\n"
            "  {{- end }}\n  containers:\n    - name: a\n      image: busybox\n"
        ),
        "sets spec.securityContext already (line 7)",
    ),
    # Something else renders keys into the same mapping.
    "include": (
        _pod(
            "spec:\n  {{- with .Values.podExtras }}{{ toYaml . | nindent 2 }}{{ end }}\n"
            "  containers:\n    - name: a\n      image: busybox\n"
        ),
        "renders into spec too",
    ),
    # The spot itself is conditional.
    "condition": (
        _pod(
            "spec:\n  {{- if true }}\n  containers:\n    - name: a\n      image: busybox\n"
            "  {{- end }}\n  restartPolicy: Never\n"
        ),
        "is inside a template condition or loop",
    ),
    # The key the fix goes under is written by an action.
    "action-key": (
        _pod('{{ "spec" }}:\n  containers:\n    - name: a\n      image: busybox\n'),
        "does not write 'containers:' as plain YAML",
    ),
}


@pytest.mark.parametrize("case", sorted(AMBIGUOUS))
def test_an_ambiguous_template_is_left_alone_with_the_advice(
    case: str, lint, tmp_path: Path
) -> None:
    template, why = AMBIGUOUS[case]
    chart = _chart(tmp_path, template)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert (chart / HOOK).read_text() == template
    assert result.code == 1
    assert "Found 2 findings (1 fixed, 1 remaining)" in result.stdout  # the Deployment: values
    assert "help: add to spec.securityContext: seccompProfile: {type: RuntimeDefault}; " in (
        result.stdout
    )
    assert "fix not applied: cannot edit the template: templates/tests/test-connection.yaml" in (
        result.stdout
    )
    assert why in result.stdout


# --------------------------------------------------------------------------- edited


def test_crlf_and_four_space_indentation_are_kept(lint, tmp_path: Path) -> None:
    template = _pod("spec:\n    containers:\n        -   name: a\n            image: busybox\n")
    chart = _chart(tmp_path, template.replace("\n", "\r\n"))
    result = lint("--chart", str(chart), "--fix")
    assert result.verdict == (0, [])
    added = "    securityContext:\n        seccompProfile:\n            type: RuntimeDefault\n"
    expected = template.replace("spec:\n", "spec:\n" + added).replace("\n", "\r\n")
    assert (chart / HOOK).read_bytes() == expected.encode()


def test_a_hard_coded_deployment_and_a_range_of_pods(lint, tmp_path: Path) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n"
        "spec:\n  {{- if .Values.replicaCount }}\n  replicas: {{ .Values.replicaCount }}\n"
        "  {{- end }}\n  template:\n    spec:\n      containers:\n      - name: web\n"
        "        image: nginx  # pinned elsewhere\n"
    )
    pods = (
        '{{- range list "a" "b" }}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n'
        "  name: worker-{{ . }}\nspec:\n  containers:\n    - name: w\n      image: busybox\n"
        "{{- end }}\n"
    )
    chart = _chart(tmp_path, pods)
    (chart / "templates" / "web.yaml").write_text(deployment)
    # The two pods of the range render from one template line: one finding there (reported
    # once per source spot), the same count in every mode.
    plain = lint("--chart", str(chart), fmt="text")
    assert "Found 3 findings" in plain.stdout, plain.stdout
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert "Found 3 findings (3 fixed, 0 remaining)" in result.stdout
    assert (chart / HOOK).read_text() == pods.replace("spec:\n", "spec:\n" + ADDED)
    nested = "".join("    " + line + "\n" for line in ADDED.splitlines())
    assert (chart / "templates" / "web.yaml").read_text() == deployment.replace(
        "    spec:\n", "    spec:\n" + nested
    )
    assert lint("--chart", str(chart)).verdict == (0, [])


# --------------------------------------------------------------------------- the outline


def test_outline_paths_of_a_template() -> None:
    found = outline(
        "spec:\n  {{- with .Values.x }}\n  a: 1\n  {{- end }}\n  containers:\n"
        "  - name: a\n    args: |\n      key: not a key\n  - name: b\n"
    )
    paths = {line.number: line.path for line in found.lines.values()}
    assert paths[1] == ("spec",)
    assert paths[5] == ("spec", "containers")
    assert paths[6] == ("spec", "containers", 0, "name")
    assert 8 not in paths  # inside a block scalar
    assert paths[9][:2] == ("spec", "containers") and paths[9][2] == 1
    assert found.lines[3].control == (2,)
    assert found.lines[5].control == ()


RENDERED = (
    "---\n# Source: hello/templates/tests/test-connection.yaml\n"
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\nspec:\n"
    "  containers:\n    - name: wget\n      image: busybox\n"
)


def test_the_planner_plans_edits_for_rendered_documents_only_when_asked() -> None:
    """A Helm-rendered document's fix is advice (its change belongs in the chart) unless the
    planner is asked for its edits, as the chart's fix stage does to carry them to a template."""
    advice = lint_bytes(RENDERED.encode(), "out.yaml", Options()).findings[0].fix
    assert advice is not None and not advice.edits
    assert advice.declined and "rendered output is not rewritten" in advice.declined
    planned = lint_bytes(RENDERED.encode(), "out.yaml", Options(edit_rendered=True)).findings
    fix = planned[0].fix
    assert fix is not None and fix.declined is None and fix.changes == advice.changes
    assert [(e.start, e.content) for e in fix.edits] == [(Pos(8, 1), ADDED)]  # before containers:
