#!/usr/bin/env python3
"""Benchmark seccomp-lint against a parsing floor (and optionally checkov); write bench/RESULTS.md.

    python bench/run.py [--corpus DIR ...] [--generated-mb N] [--checkov] [--jobs N]
                        [--repeat R] [--out bench/RESULTS.md]

Every measured command is started by a tiny launcher process (``python -I -S``) that times it
and reaps it with ``os.wait4``, which returns that command's own CPU time and peak RSS. (The
launcher exists because on Linux a child's ``ru_maxrss`` also covers the memory image it was
forked from until its ``exec``: spawned straight from this script, every command would report
at least this script's own peak.) ``ru_maxrss`` from ``wait4`` is the peak RSS of the largest
single process among the command and the descendants it waited for (``RUSAGE_BOTH`` in the
kernel), never a sum. For runs that may start worker processes (seccomp-lint's default
``--jobs``, checkov) the script also samples ``/proc`` every 50 ms and records the peak of the
summed RSS of the command's process tree; that sum counts pages shared after ``fork`` once per
process, so it is an upper bound.

Measurements, per corpus (the shared real-world corpus if present, any ``--corpus`` given, and a
deterministic generated one from ``bench/generate.py`` kept in ``bench/out/``):

* floor: one Python process reading every file the linter would read and composing every document
  with PyYAML's libyaml binding (``yaml.compose_all(data, Loader=yaml.CSafeLoader)``);
  it also gives the document count used for documents/s;
* ``seccomp-lint --format json --jobs 1 DIR`` and ``seccomp-lint --format json DIR`` (default
  jobs, or ``--jobs N`` as given here), plus one ``--no-prefilter`` run when the linter has it;
* with ``--checkov``: checkov (installed into ``bench/out/checkov-venv``) restricted to its
  seccomp check CKV_K8S_31, on the corpus and on one small file;
* the pre-commit path: ``python -c pass`` against ``python -m seccomp_lint FILE`` (and the console
  script) on one small file, interleaved, medians of ``--startup-runs`` runs, with and without a
  ``.seccomp-lint.yaml`` config file in the working directory.

Standard library only; PyYAML is needed only by the floor child process.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
OUT_DIR = os.path.join(BENCH, "out")
REALWORLD = os.path.join(
    os.path.dirname(REPO), "shared", "corpus", "realworld"
)  # ../shared/corpus/realworld
MB = 1_000_000

TARGET_RSS_MB = 200
TARGET_STARTUP_MS = 100
TARGET_CHECKOV_X = 100


def shown(path: str) -> str:
    """``path`` as results and help show it: no machine paths. The interpreter is ``python``, a
    console script next to it goes by its name, the rest is relative to the repository."""
    full = os.path.abspath(path)
    if full == os.path.abspath(sys.executable):
        return "python"
    if os.path.dirname(full) == os.path.dirname(os.path.abspath(sys.executable)):
        return os.path.basename(full)
    tmp = tempfile.gettempdir()
    if os.path.commonpath([full, REPO]) != REPO and os.path.commonpath([full, tmp]) == tmp:
        return os.path.join("$TMPDIR", os.path.relpath(full, tmp))
    return os.path.relpath(full, REPO)


def _shown_cmd(cmd: list[str]) -> str:
    """A command as run from the repository, its path arguments shown as :func:`shown` does."""
    args = [shown(a) if os.path.isabs(a) or os.path.exists(a) else a for a in cmd]
    return " ".join(
        a if a.startswith("$TMPDIR/") and shlex.quote(a[8:]) == a[8:] else shlex.quote(a)
        for a in args
    )


class BenchError(Exception):
    """An expected failure, reported as one line without a traceback."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Running and measuring one command


@dataclass
class Result:
    cmd: list[str]
    wall: float
    user: float
    sys: float
    maxrss_kb: int  # wait4: the largest single process (child or a descendant it reaped)
    tree_peak_kb: int | None  # sampled sum over the process tree, when sampled
    rc: int
    stdout: str  # path of the file holding stdout
    stderr: str  # captured stderr text
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _tree_rss_kb(root: int, page_kb: int) -> int:
    """Sum of RSS over ``root`` and its descendants, read from /proc."""
    parents: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(b")") + 2 :].split()
        if len(rest) > 1:
            parents.setdefault(int(rest[1]), []).append(int(name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page_kb
        except (OSError, ValueError, IndexError):
            pass
        todo.extend(parents.get(pid, ()))
    return total


class _Sampler(threading.Thread):
    """Peak summed RSS of the measured command's process tree, sampled from /proc."""

    def __init__(self, launcher: int, pid_file: str, interval: float = 0.05):
        super().__init__(daemon=True)
        self.launcher, self.pid_file, self.interval = launcher, pid_file, interval
        self.pid: int | None = None
        self.peak = 0
        self.done = threading.Event()
        self.page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

    def run(self) -> None:
        while not self.done.is_set():
            if self.pid is None:
                try:
                    with open(self.pid_file) as f:
                        self.pid = int(f.read())
                except (OSError, ValueError):
                    pass
            if self.pid is not None:
                self.peak = max(self.peak, _tree_rss_kb(self.pid, self.page_kb))
            self.done.wait(self.interval)


# The measured command is started by this small launcher, not by the bench itself. On Linux a
# child's ru_maxrss also covers the memory image it was forked from until its exec (the kernel
# records the old mm's high-water mark at exec), so a command spawned straight from the bench
# would report at least the bench's own peak RSS. The launcher runs with -I -S (a few MB), spawns
# the command, times it, reaps it with wait4 and writes its rusage as JSON to argv[1].
LAUNCHER = r"""
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
try:
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
except OSError as exc:
    with open(out, "w") as f:
        json.dump({"spawn_error": exc.strerror or str(exc)}, f)
    sys.exit(0)
with open(out + ".pid", "w") as f:
    f.write(str(pid))
while True:
    try:
        _, status, ru = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
wall = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump({"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "maxrss": ru.ru_maxrss,
               "rc": os.waitstatus_to_exitcode(status)}, f)
"""


def measure(
    cmd: list[str],
    *,
    cwd: str | None = None,
    env: dict | None = None,
    sample_tree: bool = False,
    stdin_path: str | None = None,
    timeout: float | None = None,
    stdout_path: str | None = None,
) -> Result:
    """Run ``cmd`` under the launcher; return its wall time, CPU time and peak RSS (wait4)."""
    if stdout_path is None:
        fd, stdout_path = tempfile.mkstemp(prefix="bench-stdout-", dir=_tmp_root())
        os.close(fd)
    fd, usage_path = tempfile.mkstemp(prefix="bench-usage-", dir=_tmp_root())
    os.close(fd)
    os.unlink(usage_path)
    with (
        open(stdout_path, "wb") as out,
        tempfile.TemporaryFile() as err,
        open(stdin_path or os.devnull, "rb") as inp,
    ):
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", LAUNCHER, usage_path, *cmd],
                stdin=inp,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise BenchError(f"cannot start {sys.executable}: {exc.strerror or exc}") from None
        sampler = _Sampler(proc.pid, usage_path + ".pid") if sample_tree else None
        if sampler:
            sampler.start()
        timed_out = threading.Event()
        timer = None
        if timeout:

            def kill() -> None:
                timed_out.set()
                _kill_group(proc.pid)

            timer = threading.Timer(timeout, kill)
            timer.daemon = True
            timer.start()
        try:
            proc.wait()
        except KeyboardInterrupt:
            _kill_group(proc.pid)
            raise
        if timer:
            timer.cancel()
        if sampler:
            sampler.done.set()
            sampler.join()
        # workers left behind by the command (none expected) would otherwise linger
        _kill_group(proc.pid)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    try:
        with open(usage_path) as f:
            usage = json.load(f)
    except (OSError, ValueError):
        usage = None
    finally:
        for p in (usage_path, usage_path + ".pid"):
            try:
                os.unlink(p)
            except OSError:
                pass
    if usage is None:
        if timed_out.is_set():
            return Result(
                cmd,
                float(timeout or 0),
                0.0,
                0.0,
                0,
                sampler.peak if sampler else None,
                -9,
                stdout_path,
                stderr,
                True,
            )
        raise BenchError(
            f"the launcher failed (exit {proc.returncode}) for {shlex.join(cmd)}:\n  {_tail(stderr, 5)}"
        )
    if "spawn_error" in usage:
        raise BenchError(f"cannot run {cmd[0]}: {usage['spawn_error']}")
    return Result(
        cmd,
        usage["wall"],
        usage["user"],
        usage["sys"],
        usage["maxrss"],
        sampler.peak if sampler else None,
        usage["rc"],
        stdout_path,
        stderr,
        timed_out.is_set(),
    )


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_TMP: list[str] = []


def _tmp_root() -> str:
    if not _TMP:
        _TMP.append(tempfile.mkdtemp(prefix="seccomp-lint-bench-"))
    return _TMP[0]


# ---------------------------------------------------------------------------------------------
# Corpus files, machine facts


def corpus_files(top: str) -> list[str]:
    """The files seccomp-lint reads when given ``top``: its own directory walk (extensions in
    any case, dot-directories, no VCS or tool directories), so the floor reads the same files.
    ``.gitignore`` files are not honoured (the linter runs with ``--no-respect-gitignore``): the
    generated corpus lives in the ignored ``bench/out/``, and a corpus is measured whole."""
    from seccomp_lint.sources.files import discover

    return [item.path for item in discover([top], respect_gitignore=False).inputs]


def warm_cache(files: list[str]) -> int:
    total = 0
    for path in files:
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    total += len(chunk)
        except OSError:
            pass
    return total


FLOOR = r"""
import json, sys, time
import yaml
try:
    Loader = yaml.CSafeLoader
    libyaml = True
except AttributeError:
    Loader = yaml.SafeLoader
    libyaml = False
files = open(sys.argv[1], encoding="utf-8").read().splitlines()
docs = size = errors = 0
for path in files:
    with open(path, "rb") as f:
        data = f.read()
    size += len(data)
    if path.endswith(".json"):
        data = data.replace(b"\t", b" ")
    try:
        for node in yaml.compose_all(data, Loader=Loader):
            docs += 1
    except yaml.YAMLError:
        errors += 1
    except RecursionError:
        errors += 1
print(json.dumps({"files": len(files), "bytes": size, "documents": docs,
                  "errors": errors, "libyaml": libyaml}))
"""


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gb() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def yaml_info(python: str) -> tuple[str, bool | None]:
    try:
        out = subprocess.run(
            [
                python,
                "-c",
                "import yaml,json; print(json.dumps([yaml.__version__, "
                "bool(getattr(yaml, '__with_libyaml__', False)) and hasattr(yaml, 'CSafeLoader')]))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        version, libyaml = json.loads(out.stdout)
        return version, libyaml
    except (OSError, ValueError, subprocess.SubprocessError):
        return "not installed", None


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (rev + (" (with uncommitted changes)" if dirty else "")) if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ---------------------------------------------------------------------------------------------
# The tools


class Linter:
    def __init__(self, base: list[str]):
        self.base = base
        self.version = "unknown"
        self.flags = ""

    def check(self) -> None:
        try:
            r = subprocess.run(
                self.base + ["--version"], capture_output=True, text=True, timeout=120
            )
        except OSError as exc:
            raise BenchError(
                f"cannot run the linter ({shlex.join(self.base)}): {exc.strerror or exc}"
            ) from None
        except subprocess.TimeoutExpired:
            raise BenchError(
                f"the linter ({shlex.join(self.base)}) did not answer --version in 120 s"
            ) from None
        if r.returncode != 0:
            hint = ""
            if "No module named" in r.stderr:
                hint = f"\n  install it into this interpreter first: cd {REPO} && {sys.executable} -m pip install -e ."
            raise BenchError(
                f"the linter is not runnable: `{shlex.join(self.base)} --version` exited {r.returncode}"
                f"\n  {_tail(r.stderr, 5)}{hint}"
            )
        self.version = (r.stdout or r.stderr).strip()
        try:
            self.flags = subprocess.run(
                self.base + ["--help"], capture_output=True, text=True, timeout=120
            ).stdout
        except (OSError, subprocess.SubprocessError):
            self.flags = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags


def _tail(text: str, n: int = 15) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) > n:
        lines = [f"... ({len(lines) - n} earlier lines)"] + lines[-n:]
    return "\n  ".join(lines) if lines else "(no stderr)"


def linter_summary(res: Result) -> dict:
    try:
        with open(res.stdout, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        return {"error": f"output is not JSON: {exc}"}
    if not isinstance(data, dict):
        return {"error": "output is not a JSON object"}
    s = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    findings = data.get("findings")
    return {
        "files": s.get("files"),
        "documents": s.get("documents"),
        "findings": len(findings) if isinstance(findings, list) else s.get("findings"),
        "skipped": len(s["skipped"]) if isinstance(s.get("skipped"), list) else s.get("skipped"),
        "by_rule": s.get("by_rule"),
    }


def checkov_venv(rebuild: bool = False) -> str:
    venv = os.path.join(OUT_DIR, "checkov-venv")
    exe = os.path.join(venv, "bin", "checkov")
    py = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".bench-installed")
    if os.path.exists(marker) and os.path.exists(exe) and not rebuild:
        return exe
    log(
        f"installing checkov into {venv} (python -m venv; pip install checkov; this takes a few minutes)"
    )
    os.makedirs(OUT_DIR, exist_ok=True)
    r = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", venv], capture_output=True, text=True
    )
    if r.returncode != 0:
        raise BenchError(f"python -m venv failed:\n  {_tail(r.stderr)}")
    r = subprocess.run(
        [py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "checkov"],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0 or not os.path.exists(exe):
        raise BenchError(f"pip install checkov failed:\n  {_tail(r.stderr or r.stdout)}")
    with open(marker, "w") as f:
        f.write("checkov installed by bench/run.py\n")
    return exe


def checkov_version(exe: str) -> str:
    try:
        return (
            subprocess.run(
                [exe, "--version"], capture_output=True, text=True, timeout=300, env=checkov_env()
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def checkov_env() -> dict:
    env = dict(os.environ)
    # no calls to the Bridgecrew/Prisma platform and no update check: measure the local scan only
    env.setdefault("BC_SKIP_MAPPING", "TRUE")
    env.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def checkov_cmd(exe: str, target: list[str]) -> list[str]:
    return [
        exe,
        *target,
        "--framework",
        "kubernetes",
        "--check",
        "CKV_K8S_31",
        "--quiet",
        "--compact",
        "-o",
        "json",
        "--skip-download",
    ]


def checkov_summary(res: Result) -> dict:
    try:
        with open(res.stdout, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        return {"error": f"output is not JSON: {exc}"}
    reports = data if isinstance(data, list) else [data]
    out = {"passed": 0, "failed": 0, "parsing_errors": 0, "resource_count": 0}
    for rep in reports:
        s = rep.get("summary", {}) if isinstance(rep, dict) else {}
        for k in out:
            v = s.get(k)
            if isinstance(v, int):
                out[k] += v
    return out


# ---------------------------------------------------------------------------------------------
# Benchmarks


@dataclass
class Row:
    label: str
    results: list[Result] = field(default_factory=list)
    note: str = ""
    failed: str = ""  # why the measurement failed
    summary: dict | None = None  # the linter's JSON summary
    crashed: bool = False  # checkov died; its time is a lower bound

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.failed

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.results)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.results)

    @property
    def rss_mb(self) -> float:
        return max(r.maxrss_kb for r in self.results) / 1024

    @property
    def tree_mb(self) -> float | None:
        vals = [r.tree_peak_kb for r in self.results if r.tree_peak_kb is not None]
        return max(vals) / 1024 if vals else None


@dataclass
class CorpusRun:
    name: str
    path: str
    files: int = 0
    size: int = 0
    documents: int = 0
    parse_errors: int = 0
    rows: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)  # (ok, text)
    generated: str = ""
    load: tuple = ()  # 1-minute load average before and after


def run_corpus(name: str, path: str, linter: Linter, args, checkov_exe: str | None) -> CorpusRun:
    cr = CorpusRun(name, path)
    files = corpus_files(path)
    if not files:
        raise BenchError(f"{path}: no .yaml/.yml/.json files")
    cr.files = len(files)
    log(f"{name}: {len(files)} files; warming the page cache")
    cr.size = warm_cache(files)
    load0 = _load()
    list_path = os.path.join(_tmp_root(), f"files-{abs(hash(path))}.txt")
    with open(list_path, "w", encoding="utf-8") as f:
        f.write("\n".join(files) + "\n")

    floor = cr.rows["floor"] = Row("floor: PyYAML `compose_all`, `CSafeLoader`, 1 process")
    one = cr.rows["jobs1"] = Row("seccomp-lint `--jobs 1`")
    jobs_label = f"`--jobs {args.jobs}`" if args.jobs else f"default jobs ({os.cpu_count()} CPUs)"
    many = cr.rows["jobsN"] = Row(f"seccomp-lint, {jobs_label}")
    lint_cmd = linter.base + ["--format", "json"]
    if linter.has("--no-respect-gitignore"):
        lint_cmd.append("--no-respect-gitignore")  # read the corpus whole, as the floor does
    if linter.has("--no-builds"):
        # File by file, as the floor reads them: the generated corpus holds kustomizations and
        # charts that are only text to parse here, not builds (issue 21's walk would build them).
        lint_cmd.append("--no-builds")
    for i in range(args.repeat):
        log(
            f"{name}: round {i + 1}/{args.repeat}: floor, seccomp-lint --jobs 1, seccomp-lint {jobs_label}"
        )
        res = measure([sys.executable, "-c", FLOOR, list_path])
        if res.rc != 0:
            floor.failed = f"exit {res.rc}: {_tail(res.stderr, 5)}"
        else:
            try:
                with open(res.stdout) as f:
                    info = json.load(f)
                cr.documents, cr.parse_errors = info["documents"], info["errors"]
                if not info.get("libyaml"):
                    floor.note = "PyYAML without libyaml: pure-Python SafeLoader"
            except (OSError, ValueError, KeyError) as exc:
                floor.failed = f"floor output unreadable: {exc}"
            floor.results.append(res)
        _lint(one, lint_cmd + ["--jobs", "1", path], sample=False)
        _lint(
            many, lint_cmd + (["--jobs", str(args.jobs)] if args.jobs else []) + [path], sample=True
        )
    if linter.has("--no-prefilter") and not args.quick:
        log(f"{name}: seccomp-lint --jobs 1 --no-prefilter (once)")
        row = cr.rows["noprefilter"] = Row("seccomp-lint `--jobs 1 --no-prefilter`")
        _lint(row, lint_cmd + ["--jobs", "1", "--no-prefilter", path], sample=False)
    if checkov_exe:
        log(f"{name}: checkov -d (once; this takes minutes)")
        row = cr.rows["checkov"] = Row("checkov `-d DIR --framework kubernetes --check CKV_K8S_31`")
        res = measure(
            checkov_cmd(checkov_exe, ["-d", path]),
            env=checkov_env(),
            sample_tree=True,
            timeout=args.checkov_timeout,
        )
        if res.timed_out:
            row.failed = f"timed out after {args.checkov_timeout:.0f} s"
        elif res.rc not in (0, 1):
            # checkov prints a long traceback; the last line says what broke
            last = [ln for ln in res.stderr.strip().splitlines() if ln.strip()][-1:] or [
                "no stderr"
            ]
            row.failed = f"crashed, exit {res.rc} after {res.wall:.0f} s: {last[0].strip()}"
            row.crashed = True
        else:
            s = checkov_summary(res)
            if "error" in s:
                row.failed = s["error"] + f"; stderr: {_tail(res.stderr, 5)}"
            else:
                row.note = (
                    f"{s['resource_count']} resources, {s['passed']} passed, {s['failed']} failed, "
                    f"{s['parsing_errors']} parsing errors"
                )
        row.results.append(res)
        os.makedirs(OUT_DIR, exist_ok=True)
        log_path = os.path.join(OUT_DIR, f"checkov-{name}.stderr.txt")
        with open(log_path, "w", encoding="utf-8") as f:
            f.write(res.stderr)
        if row.failed:
            row.failed += f" (full stderr: {os.path.relpath(log_path, REPO)})"
    _consistency(cr)
    cr.load = (load0, _load())
    return cr


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def _lint(row: Row, cmd: list[str], sample: bool) -> None:
    res = measure(cmd, sample_tree=sample)
    row.results.append(res)
    if res.rc == 2:
        row.failed = f"exit 2 (error): {_tail(res.stderr)}"
    elif res.rc not in (0, 1):
        sig = f" (signal {-res.rc})" if res.rc < 0 else ""
        row.failed = f"exit {res.rc}{sig}: {_tail(res.stderr)}"
    else:
        s = linter_summary(res)
        if "error" in s:
            row.failed = s["error"]
        else:
            row.summary = s
            row.note = (
                f"exit {res.rc}; {s['files']} files, {s['documents']} documents, "
                f"{s['findings']} findings"
                + (f", {s['skipped']} skipped" if s.get("skipped") else "")
            )
    if row.failed:
        log(f"  FAILED: {shlex.join(cmd)}\n  {row.failed}")


def _consistency(cr: CorpusRun) -> None:
    one, many = cr.rows["jobs1"], cr.rows["jobsN"]
    s1, sn = one.summary, many.summary
    if s1 and sn:
        same = (s1["findings"], s1["by_rule"]) == (sn["findings"], sn["by_rule"])
        cr.checks.append(
            (
                same,
                f"`--jobs 1` and parallel runs report the same findings "
                f"({s1['findings']} vs {sn['findings']})",
            )
        )
    if s1:
        if s1.get("files") is not None:
            skipped = s1.get("skipped") or 0
            cr.checks.append(
                (
                    s1["files"] + (skipped if isinstance(skipped, int) else 0) >= cr.files
                    and s1["files"] <= cr.files,
                    f"linter read {s1['files']} files (+{skipped} skipped); the bench found {cr.files}",
                )
            )
        if s1.get("documents") is not None:
            cr.checks.append(
                (
                    abs(s1["documents"] - cr.documents) <= max(5, cr.documents // 100),
                    f"linter counted {s1['documents']} documents; libyaml composed {cr.documents}"
                    f" ({cr.parse_errors} files with YAML errors)",
                )
            )


def startup(linter: Linter, args, checkov_exe: str | None) -> dict:
    """The pre-commit path: one small file, interleaved runs, medians."""
    tmp = tempfile.mkdtemp(prefix="startup-", dir=_tmp_root())
    good = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              securityContext:
                seccompProfile:
                  type: RuntimeDefault
              containers:
                - name: web
                  image: nginx:1.27
        """)
    bad = "".join(
        ln
        for ln in good.splitlines(keepends=True)
        if not ln.strip().startswith(
            ("securityContext:", "seccompProfile:", "type: RuntimeDefault")
        )
    )
    assert bad != good
    dirs = {}
    for key, config in (
        ("plain", None),
        ("config", "level: restricted\n"),
        ("baseline", "level: baseline\n"),
    ):
        d = os.path.join(tmp, key)
        os.makedirs(d)
        for fname, text in (("deploy.yaml", good), ("missing.yaml", bad)):
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
        if config:
            with open(os.path.join(d, ".seccomp-lint.yaml"), "w") as f:
                f.write(config)
        dirs[key] = d

    cmds: dict[str, tuple[list[str], str]] = {
        "bare": ([sys.executable, "-c", "pass"], dirs["plain"]),
        "module": (linter.base + ["deploy.yaml"], dirs["plain"]),
        "module+config": (linter.base + ["deploy.yaml"], dirs["config"]),
    }
    scripts = os.path.join(os.path.dirname(sys.executable), "seccomp-lint")
    script = scripts if os.access(scripts, os.X_OK) else None
    on_path = shutil.which("seccomp-lint")
    if script:
        cmds["script"] = ([script, "deploy.yaml"], dirs["plain"])
    if on_path and (not script or os.path.realpath(on_path) != os.path.realpath(script)):
        cmds["path-script"] = ([on_path, "deploy.yaml"], dirs["plain"])
    if checkov_exe and not args.quick:
        cmds["checkov"] = (checkov_cmd(checkov_exe, ["-f", "deploy.yaml"]), dirs["plain"])

    out: dict = {
        "cmds": {k: shlex.join(v[0]) for k, v in cmds.items()},
        "script": script,
        "path_script": on_path,
        "runs": args.startup_runs,
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, int] = {k: 0 for k in cmds}
    errors: dict[str, str] = {}
    n = args.startup_runs
    load0 = _load()
    log(f"start-up: {n} interleaved runs of {', '.join(cmds)}")
    for i in range(n + 1):  # the first round warms caches and is dropped
        for key, (cmd, cwd) in cmds.items():
            if key == "checkov" and i > 2:  # checkov is slow; 3 runs are enough
                continue
            res = measure(cmd, cwd=cwd, env=checkov_env() if key == "checkov" else None)
            if res.rc not in (0, 1):
                errors[key] = f"exit {res.rc}: {_tail(res.stderr, 5)}"
            if i > 0:
                times[key].append(res.wall)
                rss[key] = max(rss[key], res.maxrss_kb)
    out["median_ms"] = {k: statistics.median(v) * 1000 for k, v in times.items() if v}
    out["min_ms"] = {k: min(v) * 1000 for k, v in times.items() if v}
    out["rss_mb"] = {k: v / 1024 for k, v in rss.items()}
    out["errors"] = errors
    out["load"] = (load0, _load())

    # Is the config file read? A file missing its profile fails at restricted and passes at
    # baseline; the same command in a directory whose config says `level: baseline` tells.
    probe = {}
    for key in ("plain", "config", "baseline"):
        res = measure(linter.base + ["missing.yaml"], cwd=dirs[key])
        probe[key] = (res.rc, _tail(res.stderr, 3))
    out["probe"] = probe
    if probe["config"][0] == 2 or probe["baseline"][0] == 2:
        out["config_status"] = (
            f"rejected (exit 2): {probe['config'][1] if probe['config'][0] == 2 else probe['baseline'][1]}"
        )
    elif probe["plain"][0] == 1 and probe["baseline"][0] == 0:
        out["config_status"] = (
            "read: `level: baseline` in .seccomp-lint.yaml turned a missing profile from exit 1 into exit 0"
        )
    elif probe["plain"][0] == 1 and probe["baseline"][0] == 1:
        out["config_status"] = (
            "ignored: `level: baseline` in .seccomp-lint.yaml did not change the result (config not implemented?)"
        )
    else:
        out["config_status"] = (
            f"unclear: exits without config / restricted / baseline = {probe['plain'][0]} / {probe['config'][0]} / {probe['baseline'][0]}"
        )

    # what the start-up time is spent on
    try:
        r = subprocess.run(
            [sys.executable, "-X", "importtime"] + linter.base[1:] + ["deploy.yaml"]
            if linter.base[:1] == [sys.executable]
            else [sys.executable, "-X", "importtime", "-c", "import seccomp_lint.cli"],
            cwd=dirs["plain"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        rows = []
        for line in r.stderr.splitlines():
            parts = (
                line[len("import time:") :].split("|") if line.startswith("import time:") else []
            )
            if len(parts) == 3 and parts[1].strip().isdigit():
                raw = parts[2]
                if (
                    len(raw) - len(raw.lstrip()) == 1
                ):  # imported at top level, not by another module
                    rows.append((int(parts[1]), raw.strip()))
        out["imports"] = sorted(rows, reverse=True)[:8]
    except (OSError, subprocess.SubprocessError, ValueError):
        out["imports"] = []
    return out


# ---------------------------------------------------------------------------------------------
# The report


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x >= 0.995 else f"{x:.3f}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**pass**" if ok else "**FAIL**")


def report(
    args,
    linter: Linter,
    corpora: list[CorpusRun],
    st: dict | None,
    checkov_ver: str | None,
    started: _dt.datetime,
    elapsed: float,
) -> str:
    yver, libyaml = yaml_info(sys.executable)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    lines = [
        f"## Run of {started.strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- command: `{_shown_cmd(['python', 'bench/run.py'] + sys.argv[1:])}`"
        f" (took {elapsed / 60:.1f} min)",
        f"- machine: {cpus} CPUs (nproc), {cpu_model()}, {ram_gb()} RAM, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} (`{shown(sys.executable)}`); PyYAML {yver}, "
        + ("libyaml (CSafeLoader) in use" if libyaml else "**no libyaml: pure-Python loader**"),
        f"- linter: {linter.version} via `{_shown_cmd(linter.base)}`; repository at {git_revision()}",
        f"- load average (1 min) when the report was written: {_load():.1f}",
    ]
    if checkov_ver:
        lines.append(f"- checkov {checkov_ver} (bench/out/checkov-venv)")
    lines += [
        f"- wall times are medians of {args.repeat} run{'s' if args.repeat > 1 else ''} (checkov and `--no-prefilter`: 1 run), page cache warm;"
        " MB = 10^6 bytes; peak RSS from `wait4` = the largest single process;"
        " tree RSS = peak of the sampled sum over all processes of the run (counts fork-shared pages per process)",
        "",
    ]
    for cr in corpora:
        lines += [
            f"### Corpus `{cr.name}`",
            "",
            f"{shown(cr.path)}: {cr.files} files, {cr.size / MB:.1f} MB, {cr.documents} documents "
            f"(libyaml), {cr.parse_errors} files with YAML errors. {cr.generated}".rstrip(),
            "",
        ]
        # The single-process runs are CPU-bound: wall time well above CPU time means other work
        # on the machine took the CPU from them (the load average would also count our own runs).
        single = [r for k in ("floor", "jobs1") if k in cr.rows for r in cr.rows[k].results]
        stretch = max((r.wall / r.cpu for r in single if r.cpu > 0.05), default=1.0)
        if stretch > 1.25:
            lines += [
                f"**The machine was busy**: single-process runs took up to {stretch:.1f}× their CPU "
                f"time in wall time (1-minute load average {cr.load[0]:.1f} before, {cr.load[1]:.1f} "
                "after); wall times are inflated and noisy, CPU times and CPU-time ratios are the "
                "steadier comparison.",
                "",
            ]
        lines += [
            "| run | wall s | MB/s | docs/s | CPU s | peak RSS MB | tree RSS MB | notes |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for key in ("floor", "jobs1", "jobsN", "noprefilter", "checkov"):
            row = cr.rows.get(key)
            if row is None:
                continue
            if not row.results:
                lines.append(f"| {row.label} | – | – | – | – | – | – | not run: {row.failed} |")
                continue
            w = row.wall
            note = row.note
            if row.failed:
                note = "**failed**: " + row.failed.replace("\n", " ").replace("|", "\\|")[:400]
                if not row.crashed:
                    lines.append(f"| {row.label} | – | – | – | – | – | – | {note} |")
                    continue
                note += "; times up to the crash"
            tree = f"{row.tree_mb:.0f}" if row.tree_mb is not None else "–"
            lines.append(
                f"| {row.label} | {fmt_s(w)} | {cr.size / MB / w:.1f} | {cr.documents / w:,.0f} | "
                f"{fmt_s(row.cpu)} | {row.rss_mb:.0f} | {tree} | {note} |"
            )
        lines.append("")
        floor, one, many, ck = (cr.rows.get(k) for k in ("floor", "jobs1", "jobsN", "checkov"))
        targets = []
        if floor and floor.ok:
            for row, label in ((one, "`--jobs 1`"), (many, "parallel")):
                if row and row.ok:
                    ratio = row.wall / floor.wall
                    targets.append(
                        (
                            f"corpus time ≤ floor ({label})",
                            f"{ratio:.2f}× the floor (CPU time: {row.cpu / floor.cpu:.2f}×)",
                            ratio <= 1.0,
                        )
                    )
            if many and many.ok:
                ratio = many.wall / floor.wall
                targets.append(
                    ("stretch: ≤ half the floor (parallel)", f"{ratio:.2f}×", ratio <= 0.5)
                )
        if ck and ck.ok:
            for row, label in ((one, "`--jobs 1`"), (many, "parallel")):
                if row and row.ok:
                    x = ck.wall / row.wall
                    targets.append(
                        (
                            f"≥ {TARGET_CHECKOV_X}× faster than checkov ({label})",
                            f"checkov / seccomp-lint = {x:.0f}×",
                            x >= TARGET_CHECKOV_X,
                        )
                    )
        elif ck and ck.crashed and ck.results:
            # it ran this long before dying: a finished run would have taken at least as long
            for row, label in ((one, "`--jobs 1`"), (many, "parallel")):
                if row and row.ok:
                    x = ck.results[0].wall / row.wall
                    targets.append(
                        (
                            f"≥ {TARGET_CHECKOV_X}× faster than checkov ({label})",
                            f"≥ {x:.0f}× (lower bound: checkov crashed after {ck.results[0].wall:.0f} s)",
                            True if x >= TARGET_CHECKOV_X else None,
                        )
                    )
        elif ck:
            targets.append((f"≥ {TARGET_CHECKOV_X}× faster than checkov", "checkov failed", None))
        if one and one.ok:
            targets.append(
                (
                    f"peak RSS ≤ {TARGET_RSS_MB} MB (`--jobs 1`)",
                    f"{one.rss_mb:.0f} MB",
                    one.rss_mb <= TARGET_RSS_MB,
                )
            )
        if many and many.ok:
            targets.append(
                (
                    f"peak RSS per process ≤ {TARGET_RSS_MB} MB (parallel; info)",
                    f"{many.rss_mb:.0f} MB (tree {many.tree_mb or 0:.0f} MB)",
                    many.rss_mb <= TARGET_RSS_MB,
                )
            )
        if targets:
            lines += ["| target | measured | result |", "|---|---|---|"]
            lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
            lines.append("")
        if cr.checks:
            lines += ["Consistency:", ""]
            lines += [f"- {'ok' if ok else '**MISMATCH**'}: {text}" for ok, text in cr.checks]
            lines.append("")
    if st:
        med = st["median_ms"]
        lines += [
            "### Start-up (the pre-commit path)",
            "",
            f"One small compliant Deployment, {st['runs']} interleaved runs each after a warm-up round"
            " (checkov: 3 runs); medians.",
            "",
            "| command | median ms | min ms | overhead over bare python ms | peak RSS MB |",
            "|---|---:|---:|---:|---:|",
        ]
        bare = med.get("bare")
        lint = _shown_cmd(linter.base)
        labels = {
            "bare": "`python -c pass`",
            "module": f"`{lint} deploy.yaml`",
            "module+config": "same, with `.seccomp-lint.yaml` (`level: restricted`) in the cwd",
            "script": f"console script `{st.get('script') and shown(st['script'])}`",
            "path-script": f"`seccomp-lint` on PATH: `{st.get('path_script') and shown(st['path_script'])}`",
            "checkov": "`checkov -f deploy.yaml --check CKV_K8S_31`",
        }
        for key, ms in med.items():
            over = "–" if key == "bare" or bare is None else f"{ms - bare:+.0f}"
            err = f" (**{st['errors'][key]}**)" if key in st["errors"] else ""
            lines.append(
                f"| {labels.get(key, key)}{err} | {ms:.0f} | {st['min_ms'][key]:.0f} | {over} | {st['rss_mb'][key]:.0f} |"
            )
        lines.append("")
        if st["load"][0] > 0.75 * (os.cpu_count() or 1):
            lines.append(
                f"**The machine was busy** (load average {st['load'][0]:.1f} / {st['load'][1]:.1f}): "
                "the minimum times are the better guide."
            )
            lines.append("")
        lines.append(f"Config file: {st['config_status']}.")
        lines.append("")
        if bare is not None:
            tg = []
            for key in ("module", "module+config", "script"):
                if key in med and key not in st["errors"]:
                    over = med[key] - bare
                    over_min = st["min_ms"][key] - st["min_ms"]["bare"]
                    tg.append(
                        (
                            f"start-up overhead ≤ {TARGET_STARTUP_MS} ms ({labels[key]})",
                            f"{over:.0f} ms (medians; {over_min:.0f} ms between minimums)",
                            over <= TARGET_STARTUP_MS,
                        )
                    )
            if tg:
                lines += ["| target | measured | result |", "|---|---|---|"]
                lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in tg]
                lines.append("")
        if st.get("imports"):
            lines.append(
                "Slowest top-level imports (`python -X importtime`, cumulative µs): "
                + ", ".join(f"{name} {us:,}" for us, name in st["imports"])
                + "."
            )
            lines.append("")
    return "\n".join(lines) + "\n"


def write_results(text: str, out: str) -> None:
    if out == "-":
        return
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    exists = os.path.exists(out) and os.path.getsize(out) > 0
    with open(out, "a", encoding="utf-8") as f:
        if not exists:
            f.write(
                "# seccomp-lint benchmark results\n\n"
                "Appended by `python bench/run.py`; see bench/README.md. Newest run last.\n\n"
            )
        else:
            f.write("\n")
        f.write(text)
    log(f"results appended to {out}")


# ---------------------------------------------------------------------------------------------


def generated_corpus(mb: float, seed: int) -> tuple[str, str]:
    sys.path.insert(0, BENCH)
    try:
        import generate
    finally:
        sys.path.pop(0)
    label = f"{mb:g}".replace(".", "_")
    path = os.path.join(OUT_DIR, f"generated-{label}mb-seed{seed}")
    stamp = generate.read_stamp(path)
    if (
        stamp
        and stamp.get("generator_sha256") == generate.generator_hash()
        and stamp.get("mb") == mb
        and stamp.get("seed") == seed
    ):
        log(f"reusing the generated corpus {path}")
        return path, f"Generated by `bench/generate.py --mb {mb:g} --seed {seed}` (reused)."
    if os.path.exists(path):
        if stamp is None and os.listdir(path):
            raise BenchError(f"{path} exists and was not made by generate.py; remove it")
        shutil.rmtree(path)
    log(f"generating {mb:g} MB into {path}")
    t0 = time.perf_counter()
    generate.generate(path, mb, seed, quiet=True)
    took = time.perf_counter() - t0
    return path, f"Generated by `bench/generate.py --mb {mb:g} --seed {seed}` in {took:.1f} s."


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark seccomp-lint (see bench/README.md).")
    p.add_argument(
        "--corpus",
        action="append",
        metavar="DIR",
        help=f"a corpus directory (repeatable; default: {shown(REALWORLD)} when present)",
    )
    p.add_argument(
        "--generated-mb",
        type=float,
        default=20,
        metavar="N",
        help="size of the generated corpus in MB (default 20; 0 = none)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the generated corpus (default 1)")
    p.add_argument(
        "--checkov",
        action="store_true",
        help="also run checkov (installed into bench/out/checkov-venv)",
    )
    p.add_argument(
        "--checkov-timeout", type=float, default=3600, metavar="S", help="seconds (default 3600)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="--jobs for the parallel seccomp-lint run (default: the linter's default, CPU count)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="R",
        help="runs per corpus measurement (median; default 3)",
    )
    p.add_argument(
        "--startup-runs",
        type=int,
        default=15,
        metavar="N",
        help="runs per start-up command (default 15)",
    )
    p.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    p.add_argument(
        "--quick", action="store_true", help="skip the --no-prefilter run and checkov on one file"
    )
    p.add_argument(
        "--linter",
        metavar="CMD",
        help="command that runs the linter (default: PYTHON -m seccomp_lint), e.g. a stand-in",
    )
    p.add_argument(
        "--out",
        default=os.path.join(BENCH, "RESULTS.md"),
        help="Markdown file the results are appended to; - for stdout only (default bench/RESULTS.md)",
    )
    args = p.parse_args(argv)
    if args.repeat < 1 or args.startup_runs < 1:
        p.error("--repeat and --startup-runs must be at least 1")
    if args.jobs < 0:
        p.error("--jobs must be positive")

    started = _dt.datetime.now(_dt.UTC)
    t0 = time.perf_counter()
    try:
        linter = Linter(
            shlex.split(args.linter) if args.linter else [sys.executable, "-m", "seccomp_lint"]
        )
        linter.check()
        log(f"linter: {linter.version}")
        _, libyaml = yaml_info(sys.executable)
        if libyaml is None:
            raise BenchError(
                f"PyYAML is not installed for {sys.executable} (the floor needs it): pip install pyyaml"
            )
        if not libyaml:
            log(
                "warning: PyYAML has no libyaml binding here; the floor uses the pure-Python loader"
            )

        corpora: list[tuple[str, str, str]] = []
        for d in args.corpus or []:
            if not os.path.isdir(d):
                raise BenchError(f"--corpus {d}: not a directory")
            corpora.append((os.path.basename(os.path.normpath(d)) or d, os.path.abspath(d), ""))
        if not args.corpus:
            if os.path.isdir(REALWORLD):
                corpora.append(("realworld", REALWORLD, ""))
            else:
                log(f"{REALWORLD} is absent; only the generated corpus is measured")
        if args.generated_mb > 0:
            path, note = generated_corpus(args.generated_mb, args.seed)
            corpora.append((f"generated-{args.generated_mb:g}mb", path, note))
        if not corpora:
            raise BenchError("no corpus to measure (give --corpus DIR or --generated-mb N)")

        checkov_exe = ckver = None
        if args.checkov:
            checkov_exe = checkov_venv()
            ckver = checkov_version(checkov_exe)
            log(f"checkov {ckver}")

        runs = []
        for name, path, note in corpora:
            cr = run_corpus(name, path, linter, args, checkov_exe)
            cr.generated = note
            runs.append(cr)
        st = None if args.no_startup else startup(linter, args, checkov_exe)
        text = report(args, linter, runs, st, ckver, started, time.perf_counter() - t0)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        for d in _TMP:
            shutil.rmtree(d, ignore_errors=True)
    print(text)
    write_results(text, args.out)
    failed = [r for cr in runs for r in cr.rows.values() if r.failed]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
