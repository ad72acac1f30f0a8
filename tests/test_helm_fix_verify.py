"""A chart's fix verified in every render that reads the file it changes (issues 21 and 22), and
written through the shared fix stage (``fix/stage.Stage``): put back when interrupted or when
the end-to-end re-render does not confirm it.

Rendered with the Helm SDK (helm-python-sdk, in the test extra), no ``helm`` on PATH. The charts
are ``tests/fixtures/helm/shop`` (a Deployment and a Job rendering ``podSecurityContext`` from
values) and ``hello`` (``helm create``), copied and changed per test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, STEPS, run_cli, tree

from seccomp_lint.lint import config
from seccomp_lint.model.data import Options
from seccomp_lint.sources.adapter import FixRun
from seccomp_lint.sources.discover import Discoverer
from seccomp_lint.sources.helm.adapter import Helm
from seccomp_lint.sources.helm.branches import windows_branches

HELM = FIXTURES / "helm"
HOOK = "templates/tests/test-connection.yaml"
PROFILE = "podSecurityContext:\n  seccompProfile:\n    type: RuntimeDefault\n"
# The pod spec of shop's Deployment, where a Windows branch is put beside it.
SHOP_POD = "    spec:\n      {{- with .Values.podSecurityContext }}\n"


@pytest.fixture(autouse=True)
def no_helm_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-helm"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


def _shop(tmp_path: Path) -> Path:
    """shop without its Unconfined debug pod: one values key (podSecurityContext) to set."""
    chart = tmp_path / "shop"
    shutil.copytree(HELM / "shop", chart)
    (chart / "templates" / "debug-pod.yaml").unlink()
    return chart


def _configured(tmp_path: Path, chart: Path, files: dict[str, str]) -> tuple[str, ...]:
    """Values files named for the chart in a .seccomp-lint.yaml, as a walk reads them."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    listed = "".join(f"      - {name}\n" for name in files)
    cfg = tmp_path / ".seccomp-lint.yaml"
    cfg.write_text(f"charts:\n  {chart.name}:\n    values:\n{listed}")
    values = Discoverer(config.load(str(cfg))).chart_values(str(chart))
    assert values == tuple(str(tmp_path / name) for name in files)
    return values


def _fix(chart: Path, configured: tuple[str, ...] = (), write: bool = True, values=()):
    """The Helm adapter's fix stage, as the pipeline runs it for a chart the config names."""
    options = Options()
    build = Helm().lint(str(chart), list(values), options)
    assert build.result.error is None, build.result.error
    run = FixRun(options, False, write, lambda f: True, tuple(values), configured=configured)
    return Helm().fix(build, run)


def _helps(done) -> list[str]:
    return [f.help or "" for f in done.remaining.findings]


def _declined(chart: Path) -> list[str]:
    """The helps of the findings left by ``--fix`` of a chart that must change nothing."""
    before = tree(chart)
    done = _fix(chart)
    assert tree(chart) == before
    return _helps(done)


# --------------------------------------------------------------------------- configured values


def test_a_values_fix_is_declined_when_a_configured_values_file_keeps_the_finding(
    tmp_path: Path,
) -> None:
    """legacy.yaml turns podSecurityContext off (null): rendered with it, the pods still have no
    profile after the values.yaml fix, so the fix is declined, naming the file. Verified with
    the defaults only, it was applied."""
    chart = _shop(tmp_path)
    configured = _configured(tmp_path, chart, {"legacy.yaml": "podSecurityContext: null\n"})
    before = tree(chart)
    done = _fix(chart, configured)
    assert tree(chart) == before
    assert done.files == []
    why = f"fix not applied: with values {configured[0]}: the re-rendered chart still has it"
    assert len(done.remaining.findings) == 2
    assert all(why in h for h in _helps(done)), _helps(done)


def test_a_values_fix_that_would_make_a_configured_windows_render_invalid_is_declined(
    tmp_path: Path,
) -> None:
    """win.yaml deploys the chart on Windows nodes (the template writes os.name from values):
    the profile set in values.yaml would reach that Windows pod, which the API rejects."""
    chart = _shop(tmp_path)
    deployment = chart / "templates" / "deployment.yaml"
    text = deployment.read_text()
    assert text.count(SHOP_POD) == 1
    deployment.write_text(
        text.replace(SHOP_POD, "    spec:\n      os: {name: {{ .Values.os }}}\n" + SHOP_POD[10:])
    )
    with (chart / "values.yaml").open("a") as handle:
        handle.write("os: linux\n")
    configured = _configured(tmp_path, chart, {"win.yaml": "os: windows\n"})
    values = (chart / "values.yaml").read_bytes()
    done = _fix(chart, configured)
    assert (chart / "values.yaml").read_bytes() == values
    why = (
        f"with values {configured[0]}: the re-rendered chart would add seccomp-on-windows-pod "
        "for Deployment/release-name-webshop"
    )
    assert any(why in h for h in _helps(done)), _helps(done)


def test_a_values_fix_that_holds_in_every_configured_render_is_applied(tmp_path: Path) -> None:
    chart = _shop(tmp_path)
    configured = _configured(
        tmp_path,
        chart,
        {
            "prod.yaml": 'image:\n  tag: "2.0"\n',
            "tight.yaml": "podSecurityContext:\n  runAsUser: 1\n",
        },
    )
    done = _fix(chart, configured)
    assert [Path(f.path).name for f in done.files] == ["values.yaml"]
    assert PROFILE in (chart / "values.yaml").read_text()
    assert done.remaining.findings == []
    options = Options()
    for given in ((), *((v,) for v in configured)):  # every render lints clean
        assert Helm().lint(str(chart), list(given), options).result.findings == [], given


def test_a_values_file_fix_is_verified_only_in_the_renders_that_read_it(tmp_path: Path) -> None:
    """The fix goes into the last --values file: the defaults render and a configured file's
    render do not read it, so they neither confirm nor veto it."""
    chart = _shop(tmp_path)
    configured = _configured(tmp_path, chart, {"legacy.yaml": "podSecurityContext: null\n"})
    prod = tmp_path / "prod.yaml"
    prod.write_text('image:\n  tag: "2.0"\n')
    done = _fix(chart, configured, values=(str(prod),))
    assert prod.read_text() == 'image:\n  tag: "2.0"\n' + PROFILE
    assert done.remaining.findings == []


def test_a_configured_values_file_that_does_not_render_declines_the_fix(tmp_path: Path) -> None:
    chart = _shop(tmp_path)
    configured = _configured(tmp_path, chart, {"broken.yaml": "image: [unclosed\n"})
    before = tree(chart)
    done = _fix(chart, configured)
    assert tree(chart) == before
    why = f"fix not applied: the chart does not render with values {configured[0]}"
    assert all(why in h for h in _helps(done)), _helps(done)


# --------------------------------------------------------------------------- Windows branches

AGENT = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      {{- if CONDITION }}
      BRANCH
      {{- end }}
      containers:
        - name: agent
          image: agent
"""
OS_WINDOWS = "os:\n        name: windows"
NODE_WINDOWS = "nodeSelector:\n        kubernetes.io/os: windows"


def _agent(tmp_path: Path, condition: str, branch: str) -> tuple[Path, Path]:
    """shop, fixed already, plus a DaemonSet that hard-codes its pod spec, with a branch."""
    chart = _shop(tmp_path)
    values = chart / "values.yaml"
    values.write_text(
        values.read_text().replace("podSecurityContext: {}\n", PROFILE)
        + "agent:\n  windows: false\n  os: linux\n"
    )
    agent = chart / "templates" / "agent.yaml"
    agent.write_text(AGENT.replace("CONDITION", condition).replace("BRANCH", branch))
    return chart, agent


def test_a_template_fix_beside_a_windows_branch_is_declined(lint, tmp_path: Path) -> None:
    """Rendered with .Values.agent.windows true, the pod is Windows and the added profile is
    invalid there: declined, saying with which values. (It was applied, verified with the
    defaults only.)"""
    chart, _ = _agent(tmp_path, ".Values.agent.windows", OS_WINDOWS)
    before = tree(chart)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert tree(chart) == before
    assert result.code == 1
    assert (
        "fix not applied: with .Values.agent.windows=true (the branch `if .Values.agent.windows` "
        "at templates/agent.yaml:13 taken): the re-rendered chart would add "
        "seccomp-on-windows-pod for DaemonSet/agent"
    ) in result.stdout


def test_a_values_fix_beside_a_windows_branch_is_declined(lint, tmp_path: Path) -> None:
    """The issue's case for values: the Deployment becomes Windows with .Values.windows set."""
    chart = _shop(tmp_path)
    deployment = chart / "templates" / "deployment.yaml"
    branch = "      {{- if .Values.windows }}\n      os:\n        name: windows\n      {{- end }}\n"
    deployment.write_text(
        deployment.read_text().replace(SHOP_POD, SHOP_POD[:10] + branch + SHOP_POD[10:])
    )
    values = (chart / "values.yaml").read_bytes()
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert (chart / "values.yaml").read_bytes() == values
    assert (
        "with .Values.windows=true (the branch `if .Values.windows` at "
        "templates/deployment.yaml:15 taken): the re-rendered chart would add "
        "seccomp-on-windows-pod for Deployment/release-name-webshop"
    ) in result.stdout


def test_a_branch_whose_condition_cannot_be_set_declines_the_template_fix(
    lint, tmp_path: Path
) -> None:
    chart, agent = _agent(tmp_path, 'eq .Values.agent.os "windows"', OS_WINDOWS)
    before = agent.read_bytes()
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert agent.read_bytes() == before
    assert (
        "fix not applied: templates/agent.yaml:13 makes the pod Windows under "
        '`if eq .Values.agent.os "windows"`, and its condition `eq .Values.agent.os "windows"` '
        "is not a plain .Values path: the change cannot be verified with that branch taken"
    ) in result.stdout


def test_a_template_fix_verified_with_the_branch_taken_is_applied(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Windows nodeSelector does not make the pod Windows: with the branch taken the fix still
    holds, so it is applied, after a render with .Values.agent.windows true."""
    from seccomp_lint.sources.helm import render

    real, given = render.render_sdk, []

    def recorded(chart, values, *namespace):
        given.append([text for _, text in values])
        return real(chart, values, *namespace)

    monkeypatch.setattr(render, "render_sdk", recorded)
    chart, agent = _agent(tmp_path, ".Values.agent.windows", NODE_WINDOWS)
    result = lint("--chart", str(chart), "--fix")
    assert result.verdict == (0, [])
    assert "      securityContext:\n        seccompProfile:\n" in agent.read_text()
    assert any('{"agent": {"windows": true}}' in texts for texts in given), given


def test_windows_branches_of_a_template() -> None:
    template = (
        "kind: Pod\nspec:\n"
        "  {{- if .Values.linux }}\n  a: 1\n"
        "  {{- else if not .Values.legacy }}\n  nodeSelector: {kubernetes.io/os: windows}\n"
        "  {{- else }}\n  os: {name: windows}\n  {{- end }}\n"
        "  {{- with .Values.win }}{{- if .Values.host }}\n"
        "  securityContext: {windowsOptions: {hostProcess: true}}\n"
        "  {{- end }}{{- end }}\n"
        "  {{- range .Values.pods }}\n  os: {name: windows}\n  {{- end }}\n"
        '  {{- define "x" }}\n  os: {name: windows}\n  {{- end }}\n'
        "  containers: []\n"
        "---\nkind: Pod\nspec:\n  {{- if .Values.other }}\n  os: {name: windows}\n  {{- end }}\n"
    )
    found = {(b.line, b.settings, b.why) for b in windows_branches(template, "t.yaml", 2)}
    assert found == {
        (6, (("legacy", False), ("linux", False)), None),
        (8, (("legacy", True), ("linux", False)), None),
        (11, (("host", True), ("win", True)), None),
        (14, (), "it is inside `range .Values.pods`"),
    }
    # The other document's branch is its own.
    assert [(b.line, b.settings) for b in windows_branches(template, "t.yaml", 22)] == [
        (24, (("other", True),))
    ]


# --------------------------------------------------------------------------- the shared stage


def test_a_failing_end_to_end_render_puts_every_file_back(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The values file and the hook template are written, then the re-render that confirms them
    fails (a tool error): both are put back, and the run says why."""
    from seccomp_lint.sources.helm import render
    from seccomp_lint.sources.toolrun import ToolError

    chart = tmp_path / "hello"
    shutil.copytree(HELM / "hello", chart)
    before = tree(chart)
    real, calls = render.render_sdk, []

    def failing_after_the_writes(chart_dir, values, *namespace):
        calls.append(chart_dir)
        if len(calls) == 4:  # the lint, two verified changes, then the end-to-end check
            assert (chart / "values.yaml").read_bytes() != before["values.yaml"]
            raise ToolError("helm template: killed")
        return real(chart_dir, values, *namespace)

    monkeypatch.setattr(render, "render_sdk", failing_after_the_writes)
    result = lint("--chart", str(chart), "--fix", fmt="text")
    assert tree(chart) == before
    assert "fix undone: the chart does not render from the files as written" in result.stderr
    assert "Found 2 findings (2 errors)" in result.stdout
    assert result.code == 1


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_error_between_the_values_write_and_a_template_write_puts_the_values_back(
    lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    from seccomp_lint.edit import writer

    chart = tmp_path / "hello"
    shutil.copytree(HELM / "hello", chart)
    before = tree(chart)
    real = writer.replace_atomically

    def replace_atomically(path, data, expected, seen):
        if path.endswith("test-connection.yaml"):
            assert (chart / "values.yaml").read_bytes() != before["values.yaml"]
            raise error("between the writes")
        return real(path, data, expected, seen)

    monkeypatch.setattr(writer, "replace_atomically", replace_atomically)
    if error is KeyboardInterrupt:
        assert lint("--chart", str(chart), "--fix", fmt="text").code == 130
    else:  # a program error: the put-back happens on the way out
        with pytest.raises(error):
            lint("--chart", str(chart), "--fix", fmt="text")
    assert tree(chart) == before


def test_diff_reports_what_remains_where_the_files_on_disk_have_it(lint, tmp_path: Path) -> None:
    """--diff: the hook template would get three lines above its second container, whose
    Unconfined profile (an unsafe fix, held back) remains: reported at its line on disk (19),
    not at the line of the text --diff did not write (22). (It held on main as well: the
    template lines come from the template on disk; now the stage keeps the positions of the
    findings as linted before the fix, as plain files do.)"""
    chart = tmp_path / "hello"
    shutil.copytree(HELM / "hello", chart)
    hook = chart / HOOK
    hook.write_text(
        hook.read_text().replace(
            "  restartPolicy: Never\n",
            "    - name: b\n      image: b\n      securityContext:\n        seccompProfile:\n"
            "          type: Unconfined\n  restartPolicy: Never\n",
        )
    )
    report = tmp_path / "report.json"
    diff = lint("--chart", str(chart), "--diff", "--format", "json", "-o", str(report), fmt=None)
    assert f"+++ b/{hook}" in diff.stdout
    assert "@@ -7,6 +7,9 @@" in diff.stdout
    left = json.loads(report.read_text())["findings"]
    assert [(f["path"], f["line"], f["column"], f["rule"]) for f in left] == [
        (str(hook), 19, 11, "unconfined-seccomp-profile")
    ]
    assert hook.read_text().splitlines()[18] == "          type: Unconfined"


# Runs ``seccomp-lint ARGS`` and sends SIGNAL to itself just before the AT-th step (0: never):
# reading a file's stamp, each system call of an atomic write, a put-back, a render of the chart
# (the verifying renders and the end-to-end one). Prints how many steps it saw.
_INTERRUPT_AT = (
    """\
import os, signal, sys, types
from seccomp_lint.edit import writer
from seccomp_lint.sources.helm import render
from seccomp_lint.cli import main

"""
    + STEPS
    + """
writer.stamp = step(writer.stamp)
proxy = types.SimpleNamespace(**vars(writer.os))
for name in ("fdopen", "fchmod", "fsync", "replace"):
    setattr(proxy, name, step(getattr(os, name)))
writer.os = proxy
writer.put_back = step(writer.put_back)
render.render_sdk = step(render.render_sdk)
code = main(sys.argv[3:])
print("STEPS", seen, file=sys.stderr)
sys.exit(code)
"""
)


def test_interrupt_during_a_chart_fix_leaves_files_as_before_or_as_verified(
    tmp_path: Path,
) -> None:
    """``--chart hello --fix`` writes values.yaml, then the hook template, then re-renders to
    confirm. Interrupted at any step, every file of the chart is as before the run or as
    after it: never the values change without the template change verified with it. SIGINT
    and SIGTERM by turns: each step is interrupted once, each signal at every other."""
    chart = tmp_path / "hello"
    env = {**os.environ, "PATH": str(tmp_path)}  # no helm: the SDK renders (a counted step)

    def signal_at(at: int) -> int:
        return signal.SIGINT if at % 2 else signal.SIGTERM

    def interrupted_at(at: int) -> subprocess.CompletedProcess:
        shutil.rmtree(chart, ignore_errors=True)
        shutil.copytree(HELM / "hello", chart)
        argv = [sys.executable, "-c", _INTERRUPT_AT, str(at), str(int(signal_at(at)))]
        return subprocess.run(
            [*argv, "--chart", str(chart), "--fix"], capture_output=True, timeout=120, env=env
        )

    whole = interrupted_at(0)
    err = whole.stderr.decode(errors="replace")
    assert whole.returncode == 0, err[-2000:]
    after = tree(chart)
    shutil.rmtree(chart)
    shutil.copytree(HELM / "hello", chart)
    before = tree(chart)
    assert {k for k in after if after[k] != before[k]} == {"values.yaml", HOOK}
    steps = int(whole.stderr.split(b"STEPS ")[-1].split()[0])
    assert steps > 10
    for at in range(1, steps + 1):
        done = interrupted_at(at)
        err = done.stderr.decode(errors="replace")
        assert "Traceback" not in err, (at, err[-2000:])
        sig = signal_at(at)
        assert done.returncode == (130 if sig == signal.SIGINT else -sig), (at, err[-2000:])
        now = tree(chart)
        assert now in (before, after), (at, {k for k in now if now[k] != before.get(k)})


def test_a_chart_that_needs_its_values_is_not_verified_with_the_defaults_alone(
    lint, tmp_path: Path
) -> None:
    """`required` fails the defaults render; with --values the chart renders, and the template
    fix is verified in the renders that do render (the defaults are not a deployment of it)."""
    chart = tmp_path / "hello"
    shutil.copytree(HELM / "hello", chart)
    (chart / "templates" / "env.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\n"
        'data:\n  env: {{ required "set env" .Values.env | quote }}\n'
    )
    env = tmp_path / "env.yaml"
    env.write_text("env: prod\n")
    assert lint("--chart", str(chart)).code == 2  # the defaults do not render
    result = lint("--chart", str(chart), "--values", str(env), "--fix", fmt="text")
    assert "(2 fixed, 0 remaining)" in result.stdout, result.stdout + result.stderr
    assert env.read_text() == "env: prod\n" + PROFILE
    assert "seccompProfile" in (chart / HOOK).read_text()


def test_the_command_line_verifies_with_the_configured_values_files(tmp_path: Path) -> None:
    """``--chart DIR --fix`` verifies a chart's fix with the values files the config names for
    it: legacy.yaml keeps the finding, so values.yaml is not changed."""
    chart = _shop(tmp_path)
    _configured(tmp_path, chart, {"legacy.yaml": "podSecurityContext: null\n"})
    before = tree(chart)
    result = run_cli("--fix", "--chart", "shop", fmt="text", cwd=tmp_path)
    assert tree(chart) == before, result.stderr
    assert result.code == 1
    why = f"fix not applied: with values {tmp_path / 'legacy.yaml'}: the re-rendered chart still"
    assert result.stdout.count(why) == 2, result.stdout


def test_a_walk_fixes_a_configured_render_before_the_defaults(tmp_path: Path) -> None:
    """A walk renders the chart with legacy.yaml too and fixes that render first (legacy.yaml
    sets the profile), so the defaults' values.yaml fix then holds in every render: one
    ``--fix`` leaves the chart lint-clean."""
    chart = _shop(tmp_path)
    _configured(tmp_path, chart, {"legacy.yaml": "podSecurityContext: null\n"})
    result = run_cli("--fix", ".", fmt="text", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert "RuntimeDefault" in (tmp_path / "legacy.yaml").read_text()
    assert "RuntimeDefault" in (chart / "values.yaml").read_text()
    assert run_cli(".", cwd=tmp_path).findings == []


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_a_finding_a_later_render_s_fix_removes_is_not_reported_as_remaining(
    tmp_path: Path, mode: str
) -> None:
    """prod.yaml's podSecurityContext is an alias: its own render's fix (first, in prod.yaml) is
    declined, as it would change the anchor too. The defaults' fix then sets the key in
    values.yaml, which Helm merges under prod.yaml's mapping: verified with prod.yaml too, it
    fixes that render's findings as well. So nothing remains, and the count is a plain run's."""
    (tmp_path / ".git").mkdir()
    chart = _shop(tmp_path)
    prod = "defaults: &d\n  runAsUser: 1000\npodSecurityContext: *d\n"
    _configured(tmp_path, chart, {"prod.yaml": prod})
    found = run_cli(".", fmt="text", cwd=tmp_path)
    assert found.code == 1
    counts = found.stdout.splitlines()[-1]
    assert counts.startswith("Found 2 findings"), found.stdout
    result = run_cli(mode, ".", fmt="text", cwd=tmp_path)
    out = result.stdout + result.stderr
    assert "missing-seccomp-profile" not in out, out
    if mode == "--diff":
        assert result.code == 1  # (there is a diff)
        assert "No findings" in out and "Would fix 2 findings in 1 file." in out, out
        assert (tmp_path / "prod.yaml").read_text() == prod
    else:
        assert result.code == 0, out
        assert "Found 2 findings (2 fixed, 0 remaining)" in out, out
        assert (tmp_path / "prod.yaml").read_text() == prod
        assert "RuntimeDefault" in (chart / "values.yaml").read_text()
        assert run_cli(".", cwd=tmp_path).findings == []


def test_a_subchart_s_values_key_is_under_its_name_and_both_charts_are_fixed(
    tmp_path: Path,
) -> None:
    """A subchart reads its parent's values under the name Helm gives it (its alias here):
    the advice names ``cache.podSecurityContext``, its fix goes there, and the parent's own
    fix (the same key at the top) is no longer refused because of the subchart's finding."""
    (tmp_path / ".git").mkdir()
    chart = tmp_path / "c"
    template = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Chart.Name }}\nspec:\n"
        "  {{- with .Values.podSecurityContext }}\n  securityContext:\n"
        "    {{- toYaml . | nindent 4 }}\n  {{- end }}\n  containers:\n  - name: a\n"
    )
    for folder, meta in (
        (chart, "name: web\ndependencies:\n- {name: sub, version: 0.1.0, alias: cache}\n"),
        (chart / "charts" / "sub", "name: sub\n"),
    ):
        (folder / "templates").mkdir(parents=True)
        (folder / "Chart.yaml").write_text(f"apiVersion: v2\nversion: 0.1.0\n{meta}")
        (folder / "templates" / "pod.yaml").write_text(template)
    (chart / "values.yaml").write_text(
        "podSecurityContext: {}\ncache:\n  podSecurityContext: {runAsUser: 1}\n"
    )
    text = run_cli(".", fmt="text", cwd=tmp_path).stdout
    assert "--set cache.podSecurityContext.seccompProfile.type=RuntimeDefault" in text, text
    result = run_cli("--fix", ".", fmt="text", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert "Found 2 findings (2 fixed, 0 remaining)" in result.stdout, result.stdout
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["cache"]["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


WIN_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-%s
spec:
  template:
    spec:
      %s
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: web
          image: nginx
"""


@pytest.mark.parametrize(
    "where", ["another template", "a helper", "a template through a helper", "a helper's helper"]
)
def test_a_values_fix_is_verified_with_a_windows_branch_wherever_the_key_is_read(
    tmp_path: Path, where: str
) -> None:
    """The same podSecurityContext is rendered into a pod that `.Values.windows` makes Windows,
    in another template (wrapped in the `if`) or through a helper the template includes: the
    safe values fix would make that pod invalid, so it is declined, naming the branch."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("podSecurityContext: {}\nwindows: false\n")
    os_lines = "os:\n        name: windows"
    if where == "another template":
        (chart / "templates" / "web.yaml").write_text(WIN_DEPLOYMENT % ("web", ""))
        (chart / "templates" / "win.yaml").write_text(
            "{{- if .Values.windows }}\n" + WIN_DEPLOYMENT % ("win", os_lines) + "{{- end }}\n"
        )
    elif where == "a template through a helper":
        (chart / "templates" / "_helpers.tpl").write_text(
            '{{- define "web.psc" -}}\n{{- with .Values.podSecurityContext }}\nsecurityContext:\n'
            "  {{- toYaml . | nindent 2 }}\n{{- end }}\n{{- end -}}\n"
        )
        (chart / "templates" / "web.yaml").write_text(WIN_DEPLOYMENT % ("web", ""))
        win = WIN_DEPLOYMENT % ("win", os_lines + '\n      {{- include "web.psc" . | nindent 6 }}')
        win = win.replace("{{- with .Values.podSecurityContext }}", "{{- with .Values.none }}")
        (chart / "templates" / "win.yaml").write_text(
            "{{- if .Values.windows }}\n" + win + "{{- end }}\n"
        )
    else:
        inner = '{{- define "web.os2" -}}\n' if where == "a helper's helper" else ""
        outer = '{{- define "web.os" -}}\n{{- include "web.os2" . }}\n{{- end -}}\n'
        (chart / "templates" / "_helpers.tpl").write_text(
            (inner or '{{- define "web.os" -}}\n')
            + "{{- if .Values.windows }}\nos:\n  name: windows\n{{- end }}\n{{- end -}}\n"
            + (outer if inner else "")
        )
        (chart / "templates" / "web.yaml").write_text(
            WIN_DEPLOYMENT % ("web", '{{- include "web.os" . | nindent 6 }}')
        )
    (help_,) = _declined(chart)
    assert "fix not applied: with .Values.windows=true (the branch `if .Values.windows`" in help_
    assert "would add seccomp-on-windows-pod" in help_, help_


def test_a_chart_deployed_only_with_its_configured_values_passes_a_walk(tmp_path: Path) -> None:
    """A chart that needs values (`required`) does not render with its defaults alone: where
    the config names the values files it is deployed with and they render, the walk checks
    those, says the defaults alone were not rendered, and does not fail (it always did)."""
    (tmp_path / ".git").mkdir()
    chart = _shop(tmp_path)
    template = chart / "templates" / "deployment.yaml"
    text = template.read_text()
    template.write_text(
        text.replace("{{ .Values.image.repository }}", '{{ required "image" .Values.repo }}')
    )
    _configured(tmp_path, chart, {"prod.yaml": "repo: registry.example/shop\n" + PROFILE})
    result = run_cli(".", fmt="text", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert "not rendered with its default values alone" in result.stderr
    assert "image" in result.stderr  # (the render's own message)
    (tmp_path / "prod.yaml").write_text("podSecurityContext: {}\n")  # (does not render either)
    assert run_cli(".", fmt="text", cwd=tmp_path).code == 2


@pytest.mark.parametrize("key", ["podSecurityContext", "global.psc"])
def test_a_values_fix_is_verified_with_a_subchart_s_windows_branch(tmp_path: Path, key: str):
    """A subchart's gated Windows Deployment reads the key being changed (the subchart's own,
    under its name in the parent's values, or a global): the branch is taken with the
    subchart's values under its name, and the fix that would make that pod invalid declined."""
    chart, sub = tmp_path / "c", tmp_path / "c" / "charts" / "sub"
    for folder, name in ((chart, "web"), (sub, "sub")):
        (folder / "templates").mkdir(parents=True)
        (folder / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    deployment = WIN_DEPLOYMENT.replace(".Values.podSecurityContext", f".Values.{key}")
    (sub / "templates" / "web.yaml").write_text(deployment % ("web", ""))
    (sub / "templates" / "win.yaml").write_text(
        "{{- if .Values.windows.enabled }}\n"
        + deployment % ("win", "os:\n        name: windows")
        + "{{- end }}\n"
    )
    (sub / "values.yaml").write_text("windows: {enabled: false}\n")
    if key.startswith("global."):
        (chart / "values.yaml").write_text("global:\n  psc: {}\n")
    else:
        (chart / "values.yaml").write_text("sub:\n  podSecurityContext: {}\n")
    (help_,) = _declined(chart)
    assert "with .Values.sub.windows.enabled=true" in help_, help_


def test_a_chart_rendered_twice_holds_an_unsafe_fix_back_once(tmp_path: Path) -> None:
    """shop's debug pod runs Unconfined (an unsafe fix): rendered with the defaults and with a
    configured values file, it is one finding and one fix held back, not two."""
    (tmp_path / ".git").mkdir()
    chart = tmp_path / "shop"
    shutil.copytree(HELM / "shop", chart)
    _configured(tmp_path, chart, {"prod.yaml": "image: {tag: '2.0'}\n"})
    result = run_cli("--fix", ".", fmt="text", cwd=tmp_path)
    out = result.stdout + result.stderr
    assert "1 unsafe fix was held back" in out, out
    assert "1 remaining)" in out, out


HELPER_OS = "os:\n  name: windows\n"
INCLUDING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  template:
    spec:
      %s
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: web
          image: nginx
"""


@pytest.mark.parametrize(
    ("helper", "site", "where"),
    [
        # A helper that always writes os: windows, included under the template's `if`.
        (HELPER_OS, '{{- if .Values.windows }}{{- include "h.os" . | nindent 6 }}{{- end }}', "c"),
        # A helper with its own `if`, included under another: both conditions are taken.
        (
            "{{- if .Values.windows }}\n" + HELPER_OS + "{{- end }}\n",
            '{{- if .Values.custom }}{{- include "h.os" . | nindent 6 }}{{- end }}',
            "c",
        ),
        # The helper defined in a library subchart (Helm's helpers are global).
        (
            "{{- if .Values.windows }}\n" + HELPER_OS + "{{- end }}\n",
            '{{- include "h.os" . | nindent 6 }}',
            "c/charts/common",
        ),
    ],
)
def test_a_helper_s_windows_branch_is_taken_with_the_conditions_where_it_is_included(
    tmp_path: Path, helper: str, site: str, where: str
) -> None:
    """A helper that can make the pod Windows is verified where it is included: with the
    conditions around the `include` and its own, wherever the helper is defined; the safe
    values fix that would make that pod invalid is declined."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("podSecurityContext: {}\nwindows: false\ncustom: false\n")
    (chart / "templates" / "deploy.yaml").write_text(INCLUDING % site)
    home = tmp_path / where
    (home / "templates").mkdir(parents=True, exist_ok=True)
    if home != chart:
        (home / "Chart.yaml").write_text(
            "apiVersion: v2\nname: common\ntype: library\nversion: 0.1.0\n"
        )
    (home / "templates" / "_os.tpl").write_text(
        '{{- define "h.os" -}}\n' + helper + "{{- end -}}\n"
    )
    (help_,) = _declined(chart)
    assert "would add seccomp-on-windows-pod" in help_, help_


def test_a_subchart_used_with_and_without_an_alias_is_verified_as_both(tmp_path: Path) -> None:
    """`web` and `web` aliased `front`: a change under `web.` is verified with web's own
    Windows branch (`.Values.web.windows`), not only the alias's."""
    chart, sub = tmp_path / "c", tmp_path / "c" / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n"
        "- {name: web, version: 0.1.0}\n- {name: web, version: 0.1.0, alias: front}\n"
    )
    (chart / "values.yaml").write_text(
        "front: {podSecurityContext: {seccompProfile: {type: RuntimeDefault}}}\nweb: {}\n"
    )
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (sub / "templates" / "deploy.yaml").write_text(
        (
            INCLUDING % "{{- if .Values.windows }}\n      os: {name: windows}\n      {{- end }}"
        ).replace("name: x", "name: {{ .Chart.Name }}")
    )
    helps = _declined(chart)
    assert any("with .Values.web.windows=true" in h for h in helps), helps


WIN_IF = "{{- if .Values.windows }}\n" + HELPER_OS + "{{- end }}\n"


@pytest.mark.parametrize(
    ("helpers", "site", "declined"),
    [
        # A name in backquotes is a plain name too.
        (
            '{{- define "h.os" -}}\n' + WIN_IF + "{{- end -}}\n",
            "{{- include `h.os` . | nindent 6 }}",
            True,
        ),
        # Helpers that include each other: read to the end whatever their order.
        (
            '{{- define "a" -}}\n' + WIN_IF + '{{- include "b" . }}\n{{- end -}}\n'
            '{{- define "b" -}}\n{{- if false }}{{ include "a" . }}{{ end }}\n{{- end -}}\n',
            '{{- include "b" . | nindent 6 }}',
            True,
        ),
        # A comment is not what a helper writes.
        (
            '{{- define "h.os" -}}\n{{/* not windowsOptions: here */}}\nlabels: {}\n{{- end -}}\n',
            '{{- range .Values.none }}{{- include "h.os" . | nindent 6 }}{{- end }}',
            False,
        ),
    ],
)
def test_helpers_are_read_as_helm_reads_them(
    tmp_path: Path, helpers: str, site: str, declined: bool
) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("podSecurityContext: {}\nwindows: false\nnone: []\n")
    (chart / "templates" / "deploy.yaml").write_text(INCLUDING % site)
    (chart / "templates" / "_h.tpl").write_text(helpers)
    done = _fix(chart, write=False)
    said = " ".join(_helps(done))
    assert ("fix not applied" in said) == declined, said
    assert bool(done.files) != declined


def test_a_chart_s_own_helper_counts_over_a_subchart_s_of_the_same_name(tmp_path: Path) -> None:
    """Helm renders the chart's own `h.os` (Windows under `.Values.windows`), not the library
    subchart's empty one of the same name: the fix is verified with the chart's."""
    chart = tmp_path / "c"
    lib = chart / "charts" / "common"
    for folder in (chart, lib):
        (folder / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: common\ntype: library\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("podSecurityContext: {}\nwindows: false\n")
    (chart / "templates" / "deploy.yaml").write_text(
        INCLUDING % '{{- include "h.os" . | nindent 6 }}'
    )
    (chart / "templates" / "_h.tpl").write_text(
        '{{- define "h.os" -}}\n' + WIN_IF + "{{- end -}}\n"
    )
    (lib / "templates" / "_h.tpl").write_text('{{- define "h.os" -}}\n{{- end -}}\n')
    done = _fix(chart, write=False)
    assert "would add seccomp-on-windows-pod" in " ".join(_helps(done)), _helps(done)
