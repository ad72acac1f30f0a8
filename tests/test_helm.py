"""Helm: rendered streams name their templates; ``--chart`` renders, lints and names values keys.

``tests/fixtures/helm/shop`` is a chart whose ``Chart.yaml`` name (``webshop``) differs from its
folder and which renders ``securityContext`` from values the way ``helm create`` does;
``rendered.yaml`` is its ``helm template`` output, committed (helm re-orders it by kind).
The ``--chart`` tests run with the Helm SDK (helm-python-sdk, in the test extra) and no helm on
PATH, and again with the ``helm`` on PATH where one is installed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, imported_by_a_run

from seccomp_lint.sources.helm.render import render, security_context_values
from seccomp_lint.text.documents import Document, compose
from seccomp_lint.text.streams import Chunk

HELM = FIXTURES / "helm"
CHART = HELM / "shop"
RENDERED = HELM / "rendered.yaml"
HELM_ON_PATH = shutil.which("helm")


@pytest.fixture(params=["sdk", "binary"])
def with_helm(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """Each --chart test twice: through the Helm SDK with no helm on PATH, and through the
    ``helm`` on PATH (only where one is installed: it is not a Python package)."""
    if request.param == "binary":
        if HELM_ON_PATH is None:
            pytest.skip("no helm on PATH: the helm-binary path runs where one is installed")
        return request.param
    empty = tmp_path / "no-helm"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return request.param


# --------------------------------------------------------------------------- rendered streams


def test_rendered_file_findings_name_their_templates(lint) -> None:
    result = lint(str(RENDERED))
    assert result.code == 1
    by_object = {(f["object"]["kind"], f["rule"]): f["source"] for f in result.findings}
    assert by_object == {
        ("Pod", "unconfined-seccomp-profile"): {
            "path": "webshop/templates/debug-pod.yaml",
            "line": None,
        },
        ("Deployment", "missing-seccomp-profile"): {
            "path": "webshop/templates/deployment.yaml",
            "line": None,
        },
        ("Job", "missing-seccomp-profile"): {
            "path": "webshop/templates/migrate-job.yaml",
            "line": None,
        },
    }


def test_rendered_text_shows_the_source(lint) -> None:
    result = lint(str(RENDERED), fmt="text")
    assert "  source: webshop/templates/deployment.yaml\n" in result.stdout
    assert "  source: webshop/templates/debug-pod.yaml\n" in result.stdout


def test_rendered_stream_on_stdin(monkeypatch, lint) -> None:
    data = RENDERED.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    result = lint("-")
    sources = sorted(f["source"]["path"] for f in result.findings)
    assert sources == [
        "webshop/templates/debug-pod.yaml",
        "webshop/templates/deployment.yaml",
        "webshop/templates/migrate-job.yaml",
    ]


def _documents(text: str) -> list[Document]:
    """Every document of a stream, as the linter splits and composes it."""
    from seccomp_lint.text.streams import split

    data = io.BytesIO(text.encode())
    docs: list[Document] = []
    for chunk in split(data.read):
        docs.extend(d for d in compose(chunk, len(docs)) if isinstance(d, Document))
    return docs


def test_attribution_is_per_document_whatever_the_order(lint, tmp_path: Path) -> None:
    # The rendered documents reversed: each must keep its own template.
    pieces = RENDERED.read_text().split("\n---\n")
    shuffled = "---\n" + "\n---\n".join(reversed([p.lstrip("-\n") for p in pieces[1:]])) + "\n"
    path = tmp_path / "reversed.yaml"
    path.write_text(shuffled)
    result = lint(str(path))
    got = {f["object"]["kind"]: f["source"]["path"] for f in result.findings}
    assert got == {
        "Pod": "webshop/templates/debug-pod.yaml",
        "Deployment": "webshop/templates/deployment.yaml",
        "Job": "webshop/templates/migrate-job.yaml",
    }


def test_source_comes_only_from_a_documents_leading_comments() -> None:
    stream = (
        "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: Pod\n"
        "---\napiVersion: v1\nkind: Pod\n# Source: c/templates/trailing.yaml\n"
        "---\n# Source: c/templates/c.yaml\n# another comment\napiVersion: v1\nkind: Pod\n"
        "---\napiVersion: v1\nkind: ConfigMap\ndata:\n  script: |\n    # Source: not/a/template\n"
    )
    assert [d.helm_source for d in _documents(stream)] == [
        "c/templates/a.yaml",
        None,
        "c/templates/c.yaml",
        None,
    ]


def test_two_documents_in_one_chunk_do_not_share_a_source() -> None:
    # ``...`` ends a document without a ``---`` line: both documents are in one chunk.
    chunk = Chunk(b"---\n# Source: c/templates/a.yaml\nkind: A\n...\n--- # x\nkind: B\n", 0)
    docs = [d for d in compose(chunk, 0) if isinstance(d, Document)]
    assert [d.helm_source for d in docs] == ["c/templates/a.yaml", None]


# --------------------------------------------------------------------------- templates and values


HELM_CREATE_STYLE = """\
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          {{- with .Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""

TO_YAML_STYLE = """\
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: app
          securityContext: {{- toYaml .Values.app.securityContext | nindent 12 }}
"""


def test_values_keys_of_helm_create_style_templates() -> None:
    refs = security_context_values(HELM_CREATE_STYLE)
    assert [(r.key, r.level, r.line) for r in refs] == [
        ("podSecurityContext", "pod", 2),
        ("securityContext", "container", 8),
    ]


def test_values_keys_of_to_yaml_style_templates() -> None:
    refs = security_context_values(TO_YAML_STYLE)
    assert [(r.key, r.level, r.line) for r in refs] == [
        ("podSecurityContext", "pod", 3),
        ("app.securityContext", "container", 6),
    ]


# --------------------------------------------------------------------------- --chart


def test_chart_findings_point_at_templates_and_values(with_helm, lint) -> None:
    result = lint("--chart", str(CHART))
    assert result.code == 1, result.stderr
    found = {(Path(f["path"]).name, f["line"], f["rule"]): f for f in result.findings}
    assert set(found) == {
        ("debug-pod.yaml", 8, "unconfined-seccomp-profile"),
        ("deployment.yaml", 14, "missing-seccomp-profile"),
        ("migrate-job.yaml", 11, "missing-seccomp-profile"),
    }
    deployment = found[("deployment.yaml", 14, "missing-seccomp-profile")]
    assert deployment["path"] == str(CHART / "templates" / "deployment.yaml")
    assert deployment["source"] == {"path": "webshop/templates/deployment.yaml", "line": None}


def test_chart_help_names_the_values_key(with_helm, lint) -> None:
    result = lint("--chart", str(CHART), fmt="text")
    assert "set podSecurityContext.seccompProfile.type: RuntimeDefault in your values" in (
        result.stdout
    )
    # A hard-coded Unconfined is a template edit, not a values change.
    pod = result.stdout.split("debug-pod.yaml:8:7:")[1].split("\n", 3)
    assert "podSecurityContext" not in "".join(pod[:3])


def test_chart_with_values_that_fix_it(with_helm, lint) -> None:
    hardened = CHART / "values-hardened.yaml"
    result = lint("--chart", str(CHART), "--values", str(hardened))
    assert [(Path(f["path"]).name, f["rule"]) for f in result.findings] == [
        ("debug-pod.yaml", "unconfined-seccomp-profile")
    ]


def test_chart_render_error_is_reported_with_the_chart(with_helm, lint, tmp_path: Path) -> None:
    chart = tmp_path / "broken"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    (chart / "templates" / "x.yaml").write_text("kind: {{ .Values.nope.deeper }}\n")
    result = lint("--chart", str(chart))
    assert result.code == 2
    assert f"{chart}: helm template {chart} failed" in result.stderr
    assert "nil pointer" in result.stderr or "nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_chart_with_unparsable_values_names_the_file(with_helm, lint, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("podSecurityContext: [unclosed\n")
    result = lint("--chart", str(CHART), "--values", str(bad))
    assert result.code == 2
    assert f"{CHART}: helm template {CHART} failed" in result.stderr
    assert "bad.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_chart_with_a_missing_values_file(with_helm, lint, tmp_path: Path) -> None:
    result = lint("--chart", str(CHART), "--values", str(tmp_path / "absent.yaml"))
    assert result.code == 2
    assert "absent.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_values_files_merge_in_order_like_helm(with_helm, lint, tmp_path: Path) -> None:
    # Maps merge key by key (the seccompProfile of the first file stays), later files win.
    first = tmp_path / "first.yaml"
    first.write_text(
        "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
        "migrations:\n  enabled: false\n"
    )
    second = tmp_path / "second.yaml"
    second.write_text("podSecurityContext:\n  runAsNonRoot: true\n")
    result = lint("--chart", str(CHART), "--values", str(first), "--values", str(second))
    assert sorted(Path(f["path"]).name for f in result.findings) == ["debug-pod.yaml"]
    third = tmp_path / "third.yaml"
    third.write_text("migrations:\n  enabled: true\npodSecurityContext: {seccompProfile: null}\n")
    result = lint(
        "--chart",
        str(CHART),
        "--values",
        str(first),
        "--values",
        str(second),
        "--values",
        str(third),
    )
    assert sorted(Path(f["path"]).name for f in result.findings) == [
        "debug-pod.yaml",
        "deployment.yaml",
        "migrate-job.yaml",
    ]


def _documents_by_source(data: bytes) -> list[tuple[str | None, str]]:
    docs = _documents(data.decode())
    return sorted((d.helm_source, json.dumps(yaml.safe_load(d.text), sort_keys=True)) for d in docs)


def test_sdk_renders_the_stream_helm_template_prints(with_helm) -> None:
    # rendered.yaml is what a real `helm template` printed for the chart: the same documents,
    # each after `---` and its `# Source:` line (helm orders them by kind, the SDK by path).
    got = render(str(CHART), [])
    assert _documents_by_source(got) == _documents_by_source(RENDERED.read_bytes())
    assert got.startswith(b"---\n# Source: webshop/templates/")
    assert b"NOTES" not in got
    assert got.count(b"\n---\n") == 3  # 4 documents; the empty render of _helpers.tpl left out


def test_chart_without_helm_or_sdk(lint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "helm_python", None)  # `import helm_python` fails
    result = lint("--chart", str(CHART))
    assert result.code == 2
    assert "install `helm` on PATH" in result.stderr
    assert "pip install 'seccomp-lint[helm]'" in result.stderr


def test_plain_runs_do_not_load_the_helm_sdk(tmp_path: Path) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n"
    )
    assert imported_by_a_run("helm_python", str(pod)) == (False, 1)
    env = {**os.environ, "PATH": str(tmp_path)}
    assert imported_by_a_run("helm_python", "--chart", str(CHART), env=env) == (True, 1)


def test_a_lint_run_does_not_load_the_chart_fix_stage() -> None:
    """The chart fix stage's modules load only for a run that fixes (a documented seam)."""
    fixing = "seccomp_lint.sources.helm.fix"
    assert imported_by_a_run(fixing, "--chart", str(CHART)) == (False, 1)
    assert imported_by_a_run(fixing, "--diff", "--chart", str(CHART))[0] is True


def test_fix_with_chart_edits_values_and_holds_unsafe_template_fixes(
    with_helm, lint, tmp_path: Path
) -> None:
    chart = tmp_path / "shop"
    shutil.copytree(CHART, chart)
    templates = {p: p.read_bytes() for p in (chart / "templates").rglob("*")}
    result = lint("--chart", str(chart), "--fix")
    # The hard-coded Unconfined pod remains: its template fix is unsafe (--unsafe-fixes).
    assert result.code == 1
    assert [(Path(f["path"]).name, f["rule"]) for f in result.findings] == [
        ("debug-pod.yaml", "unconfined-seccomp-profile")
    ]
    assert {p: p.read_bytes() for p in (chart / "templates").rglob("*")} == templates
    assert "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n" in (
        (chart / "values.yaml").read_text()
    )


# --------------------------------------------------------------------------- template positions

POSITIONS = {
    # A hard-coded Unconfined under a Deployment with a strategy: on the pod's type, not the
    # strategy's (the first `type:` of the file).
    "strategy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n"
        "spec:\n  strategy:\n    type: RollingUpdate\n  template:\n    spec:\n"
        "      securityContext:\n        seccompProfile:\n          type: Unconfined\n"
        "      containers:\n        - name: web\n          image: nginx\n"
    ),
    # A Service first, then a Deployment whose container renders its securityContext from a
    # range's item: on that securityContext, not on the Service's `type: ClusterIP`.
    "service-first.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  type: ClusterIP\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-r\n"
        "spec:\n  template:\n    spec:\n      securityContext:\n        seccompProfile:\n"
        "          type: RuntimeDefault\n      containers:\n"
        "        {{- range .Values.containers }}\n        - name: {{ .name }}\n"
        "          image: nginx\n          securityContext:\n"
        "            {{- toYaml .securityContext | nindent 12 }}\n        {{- end }}\n"
    ),
    # An init container's values key before the container's: each container's finding names
    # its own key; two Deployments in one file: each its own document's key.
    "keys.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-api\n"
        "spec:\n  template:\n    spec:\n      securityContext:\n"
        "        {{- toYaml .Values.api.podSecurityContext | nindent 8 }}\n"
        "      initContainers:\n        - name: init\n          image: busybox\n"
        "          securityContext:\n"
        "            {{- toYaml .Values.initSecurityContext | nindent 12 }}\n"
        "      containers:\n        - name: web\n          image: nginx\n"
        "          securityContext: {{- toYaml .Values.securityContext | nindent 12 }}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-worker\n"
        "spec:\n  template:\n    spec:\n      {{- with .Values.worker.podSecurityContext }}\n"
        "      securityContext:\n        {{- toYaml . | nindent 8 }}\n      {{- end }}\n"
        "      containers:\n        - name: w\n          image: nginx\n"
    ),
}
POSITION_VALUES = (
    "containers:\n  - name: a\n    securityContext: {seccompProfile: {type: Unconfined}}\n"
    "api:\n  podSecurityContext: {seccompProfile: {type: RuntimeDefault}}\n"
    "initSecurityContext: {seccompProfile: {type: RuntimeDefault}}\n"
    "securityContext: {seccompProfile: {type: Unconfined}}\n"
    "worker:\n  podSecurityContext: {runAsUser: 1}\n"
)


def test_chart_findings_land_on_their_own_document_and_values_key(
    with_helm, lint, tmp_path: Path
) -> None:
    """A finding in a template is placed on the line its own document writes on its way (not
    the first `type:` or `securityContext:` of the file), and its advice names the values key
    of its own document and container."""
    chart = tmp_path / "pos"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pos\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(POSITION_VALUES)
    for name, text in POSITIONS.items():
        (chart / "templates" / name).write_text(text)
    result = lint("--chart", str(chart))

    def at(name: str, text: str, after: int = 0) -> int:
        lines = POSITIONS[name].splitlines()
        return next(i for i, line in enumerate(lines, 1) if text in line and i > after)

    found = {(Path(f["path"]).name, f["line"], f["container"]) for f in result.findings}
    worker = at("keys.yaml", "with .Values.worker")
    assert found == {
        ("strategy.yaml", at("strategy.yaml", "type: Unconfined"), None),
        ("service-first.yaml", at("service-first.yaml", "securityContext:", 18), "a"),
        ("keys.yaml", at("keys.yaml", "toYaml .Values.securityContext"), "web"),
        ("keys.yaml", worker, "w"),
    }, found
    text = lint("--chart", str(chart), fmt="text").stdout
    blocks = {b.split(":")[1]: b for b in text.split("\n" + str(chart)) if "keys.yaml" in b}
    assert "--set securityContext.seccompProfile.type=" in blocks[str(worker - 9)], blocks
    assert "--set worker.podSecurityContext.seccompProfile" in blocks[str(worker)], blocks


@pytest.mark.parametrize("alias", [None, "cache"])
def test_a_subchart_s_finding_is_at_its_template_whatever_helm_names_it(
    with_helm, lint, tmp_path: Path, alias: str | None
) -> None:
    """Helm names a subchart's templates by its Chart.yaml name, or by its dependency alias:
    either way the finding is at the file in the subchart's folder (named otherwise here), not
    at the render."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    dependency = "dependencies:\n- {name: sub, version: 0.1.0" + (
        f", alias: {alias}" if alias else ""
    )
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: web\nversion: 0.1.0\n{dependency}}}\n"
    )
    sub = chart / "charts" / "mysub"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
    )
    (finding,) = lint("--chart", str(chart)).findings
    assert (finding["path"], finding["line"]) == (str(sub / "templates" / "pod.yaml"), 6)


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("  # seccomp-lint: ignore[missing-seccomp-profile] reviewed", True),
        ("  # seccomp-lint: ignore[missing-seccomp-profile]", False),  # (no reason)
        ("  # seccomp-lint: ignore[unconfined-seccomp-profile] reviewed", False),
        ('  {{/* "# seccomp-lint: ignore[missing-seccomp-profile] x" */}}', False),
    ],
)
def test_a_comment_on_the_template_line_a_finding_is_reported_at_suppresses_it(
    with_helm, lint, tmp_path: Path, comment: str, suppressed: bool
) -> None:
    """The finding is reported at `{{- with .Values.podSecurityContext }}`, whose body the
    render skips when the value is empty: a comment written on that template line suppresses
    it all the same (the render never has it), as the README promises for the finding's line."""
    chart = tmp_path / "c"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "debug-pod.yaml").unlink()
    (chart / "templates" / "migrate-job.yaml").unlink()
    template = chart / "templates" / "deployment.yaml"
    text = template.read_text()
    marker = "{{- with .Values.podSecurityContext }}"
    assert marker in text
    template.write_text(text.replace(marker, marker + comment, 1))
    result = lint("--chart", str(chart))
    rules = [f["rule"] for f in result.findings]
    assert rules == ([] if suppressed else ["missing-seccomp-profile"]), result.findings
    assert result.report["summary"]["suppressed"] == int(suppressed)


SIDECAR = """\
apiVersion: apps/v1
kind: Deployment   # the web
metadata:
  name: {{ include "pos.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
        - name: log
          image: busybox
          securityContext:
            seccompProfile:
              type: Unconfined
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "pos.fullname" . }}-worker
spec:
  template:
    spec:
      {{- with .Values.worker.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: w
          image: nginx
"""


def test_a_sidecar_and_a_second_workload_named_with_include_get_their_own_lines(
    with_helm, lint, tmp_path: Path
) -> None:
    """A sidecar that writes its own securityContext gets no other container's values key
    (its line, and the template fix); of two documents named `include "….fullname"` and the
    same with `-worker`, the worker's finding is in the worker's (a comment on `kind:` aside)."""
    chart = tmp_path / "pos"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: pos\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(
        "securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
        "worker:\n  podSecurityContext: {runAsUser: 1}\n"
    )
    (chart / "templates" / "_helpers.tpl").write_text(
        '{{- define "pos.fullname" -}}{{ .Release.Name }}-pos{{- end }}\n'
    )
    (chart / "templates" / "app.yaml").write_text(SIDECAR)
    lines = SIDECAR.splitlines()
    result = lint("--chart", str(chart), fmt="text")
    log = lines.index("              type: Unconfined") + 1
    worker = next(i for i, x in enumerate(lines, 1) if "with .Values.worker" in x)
    assert f"app.yaml:{log}:15: unconfined-seccomp-profile" in result.stdout, result.stdout
    assert f"app.yaml:{worker}:7: missing-seccomp-profile" in result.stdout, result.stdout
    assert "--set worker.podSecurityContext" in result.stdout
    assert "--set securityContext" not in result.stdout  # (the sidecar's is its own)


RANGED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  template:
    spec:
      containers:
        {{- range .Values.extras }}
        - name: {{ .name }}
          image: busybox
          {{- with .securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
        {{- end }}
        - name: web
          image: nginx
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
"""


@pytest.mark.parametrize("unconfined", ["extra", "web"])
def test_containers_after_a_range_are_told_apart_by_their_names(
    with_helm, lint, tmp_path: Path, unconfined: str
) -> None:
    """Items after a `range` cannot be numbered: the one the template names `web` is web's,
    and the range's own securityContext is its items' (no other container's values key)."""
    chart = tmp_path / "r"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: r\nversion: 0.1.0\n")
    bad, good = "{seccompProfile: {type: Unconfined}}", "{seccompProfile: {type: RuntimeDefault}}"
    extra = bad if unconfined == "extra" else good
    web = bad if unconfined == "web" else good
    (chart / "values.yaml").write_text(
        f"extras: [{{name: x1, securityContext: {extra}}}]\nsecurityContext: {web}\n"
    )
    (chart / "templates" / "app.yaml").write_text(RANGED)
    lines = RANGED.splitlines()
    result = lint("--chart", str(chart), fmt="text").stdout
    if unconfined == "web":
        at = next(i for i, x in enumerate(lines, 1) if ".Values.securityContext" in x)
        assert f"app.yaml:{at}:" in result and "--set securityContext." in result, result
    else:
        at = next(i for i, x in enumerate(lines, 1) if x.strip() == "securityContext:")
        assert f"app.yaml:{at}:" in result and "--set" not in result, result


def test_a_with_closed_on_the_line_before_does_not_name_the_values_key() -> None:
    """`{{- with .Values.windows }}…{{- end }}` on the line before `securityContext:` is over by
    then: the key is the one the securityContext's own body renders."""
    template = (
        "    spec:\n"
        '      {{- with .Values.windows }}{{- include "x" . | nindent 6 }}{{- end }}\n'
        "      securityContext:\n"
        "        {{- toYaml .Values.podSecurityContext | nindent 8 }}\n"
    )
    assert [(r.key, r.line) for r in security_context_values(template)] == [
        ("podSecurityContext", 4)
    ]
