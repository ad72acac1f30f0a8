"""Shared test helpers: run the command line in-process (or, where a test needs a real process,
in a subprocess) and read its JSON report; the paths and manifests several test modules use; the
Hypothesis profile of CI runs."""

from __future__ import annotations

import compileall
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from seccomp_lint.cli import main

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
# Data shared by the projects beside this checkout, not part of it: tests that read it skip when
# it is absent (see needs).
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"  # real-world manifests: realworld/, kustomize/, ...
SARIF_SCHEMA_PATH = SHARED / "schemas" / "sarif-2.1.0.json"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package once, as an installation does: the tests start hundreds of fresh
    interpreters (the CLI, pre-commit, the interrupt tests), and with PYTHONDONTWRITEBYTECODE
    set (as on the CI machines) each compiled every module again (~0.2 s a start). Only the
    controller does it; pytest-xdist's workers find it done."""
    if not hasattr(config, "workerinput"):
        package = sys.modules["seccomp_lint"].__file__
        assert package is not None
        compileall.compile_dir(os.path.dirname(package), quiet=1)


# A pod with no seccomp setting anywhere: one missing-seccomp-profile finding, on `containers`
# (line 5, column 3).
BARE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  containers:
    - name: app
      image: nginx
"""
# The same pod in block style, named web, as bytes (the --fix and hostile-input tests write it
# to files): its finding is on line 6, column 3.
WEB_POD = b"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
"""

# CI (.ci/run sets CI=true) draws the same examples every run, so a red build is the code's doing
# and reruns alike; a failure prints the blob that replays it (@reproduce_failure). Local runs stay
# random and keep Hypothesis's example database. `pytest --hypothesis-profile ci` runs as CI does.
# Deadlines are left to local runs: on a shared runner a slow example is load, not a bug.
settings.register_profile(
    "ci",
    settings.get_profile("default"),
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
if "CI" in os.environ:
    settings.load_profile("ci")


_MARK = re.compile(r"#\s*error:\s*\[([^\]]*)\]")


def expected(*files: Path) -> Counter:
    """(path, line, rule) of every ``# error: [...]`` marker in the given files."""
    out: Counter = Counter()
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _MARK.search(line)
            if match:
                for rule in match.group(1).split(","):
                    out[(str(path), number, rule.strip())] += 1
    return out


def reported(findings: list[dict]) -> Counter:
    return Counter((f["path"], f["line"], f["rule"]) for f in findings)


def snapshot(top: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def tree(top: Path) -> dict[str, bytes]:
    """Every file under ``top`` (``.git`` aside) by its path relative to it: two trees compare
    equal when they hold the same files with the same bytes, wherever they are."""
    return {
        p.relative_to(top).as_posix(): p.read_bytes()
        for p in sorted(top.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(top).parts
    }


def undo_overlay(top: Path) -> Path:
    """The Kustomize base under ``top``, and an overlay (``undo``) whose JSON 6902 patch replaces
    cart's pod securityContext: a base fix the rebuild takes back."""
    shutil.copytree(FIXTURES / "kustomize/base", top / "base")
    overlay = top / "undo"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../base\npatches:\n- target: {kind: Deployment, name: cart}\n"
        "  patch: |-\n    - op: add\n      path: /spec/template/spec/securityContext\n"
        "      value: {runAsNonRoot: true}\n"
    )
    return overlay


def needs(path: Path) -> pytest.MarkDecorator:
    """Skip unless ``path`` (under :data:`SHARED`, outside the repository) is present."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (not part of the repo)")


# Seconds a subprocess run may take before the test fails (a hang is a failure, not a wait).
# The smallest pod with one finding (missing-seccomp-profile), no securityContext anywhere.
SMALL_POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"

SUBPROCESS_TIMEOUT = 300


@dataclass(frozen=True)
class Result:
    """One run of ``seccomp-lint``: exit code, parsed JSON (when produced) and stderr."""

    code: int
    report: dict | None
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict]:
        return self.report["findings"] if self.report else []

    @property
    def verdict(self) -> tuple[int, list[dict]]:
        """(exit code, findings): what most assertions compare."""
        return self.code, self.findings

    @property
    def output(self) -> tuple[int, str, str]:
        """(exit code, stdout, stderr), for formats other than JSON."""
        return self.code, self.stdout, self.stderr


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")


def run_cli(
    *args: str | os.PathLike,
    stdin: bytes | None = None,
    fmt: str | None = "json",
    cwd: str | os.PathLike | None = None,
) -> Result:
    """Run ``seccomp-lint ARGS... --format FMT`` in-process and return a :class:`Result`.

    ``fmt=None`` adds no ``--format`` (a config file or the default decides). ``stdin`` is what
    ``-`` reads; ``cwd`` is the working directory for this run only. stdout and stderr are
    captured here, so no fixture is needed and earlier output of the test is not mixed in.
    """
    argv = [*map(str, args), *(["--format", fmt] if fmt else [])]
    out, err = _stream(), _stream()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        if stdin is not None:
            saved = sys.stdin
            sys.stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(stdin)))
            stack.callback(setattr, sys, "stdin", saved)
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        code = main(argv)
    stdout = _text(out)
    report = json.loads(stdout) if fmt == "json" and stdout.strip() else None
    return Result(code, report, stdout, _text(err))


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """:func:`run_cli` in an empty temporary working directory.

    No ``.seccomp-lint.yaml`` of the checkout changes what the tests see; pass absolute paths.
    """
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return run_cli


def run_process(
    *args: str | os.PathLike,
    input: bytes | None = None,
    timeout: float = SUBPROCESS_TIMEOUT,
    **kwargs,
) -> subprocess.CompletedProcess:
    """``python -m seccomp_lint ARGS...`` in a subprocess, for what needs a real process: a
    real stdin pipe, signals, crashes that must not take the test run down, a fresh interpreter.

    Output is captured (bytes unless ``text=True`` is passed); running past ``timeout`` fails the
    test. Other keyword arguments go to :func:`subprocess.run`.
    """
    command = [sys.executable, "-m", "seccomp_lint", *map(str, args)]
    try:
        return subprocess.run(command, input=input, capture_output=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"seccomp-lint {' '.join(map(str, args))} did not end within {timeout}s")


_IMPORT_PROBE = (
    "import sys\n"
    "from seccomp_lint.cli import main\n"
    "code = main(sys.argv[2:])\n"
    "print('IMPORTED', sys.argv[1] in sys.modules, code, file=sys.stderr)\n"
)


def imported_by_a_run(module: str, *args: str, **kwargs) -> tuple[bool, int]:
    """Run ``seccomp-lint ARGS...`` in a fresh interpreter: (whether it imported ``module``, exit
    code). Keyword arguments (``cwd``, ``env``) go to :func:`subprocess.run`."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, module, *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        **kwargs,
    )
    lines = [x for x in done.stderr.splitlines() if x.startswith("IMPORTED ")]
    assert lines, done.stderr[-3000:]
    _, imported, code = lines[-1].split()
    return imported == "True", int(code)


# The heart of the interrupt tests' scripts: ``step(real)`` wraps a function so that the AT-th
# wrapped call (argv[1]; 0: never) is preceded by SIGNAL (argv[2]) sent to the process itself,
# given its usual handling first. The script imports os, signal and sys before it.
STEPS = """\
at, sig = int(sys.argv[1]), int(sys.argv[2])
signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
seen = 0

def step(real):
    def call(*args, **kwargs):
        global seen
        seen += 1
        if seen == at:
            os.kill(os.getpid(), sig)
        return real(*args, **kwargs)
    return call
"""
