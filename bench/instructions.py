#!/usr/bin/env python3
"""Builds at scale, counted in instructions: the cases of ``bench/builds.py`` run under
callgrind, for comparing two versions of seccomp-lint on a machine too busy to time them.

    python bench/instructions.py [--objects 500 --objects 2000] [--per-app 10]
                                 [--package DIR ...] [--out bench/RESULTS.md | -]

Each command of a case runs once under ``valgrind --tool=callgrind`` (about 50x slower), which
counts the instructions seccomp-lint's own process runs: deterministic to a few parts in a
thousand, whatever else the machine does. The tools are not counted (kubectl is another process;
callgrind does not follow it), nor the kernel's work (spawning, files), nor what a cold cache or
a neighbour costs: a ratio here is lower than the CPU-time ratio builds.py measures, and it is
the one that moves only when the code does. Cases, as in builds.py (same generated trees):

* ``--kustomize OUT/one-N/base`` against ``--no-builds OUT/one-N/base/apps.yaml``;
* the walk of a repository of 12 applications (``--per-app`` Deployments, Services and
  ConfigMaps a base, two overlays each) **without charts** (the Helm SDK's Go runtime does not
  run under valgrind) against a plain lint of what its builds emit and its plain manifests.

``--package DIR`` (repeatable) measures the seccomp-lint package found in DIR (a checkout or an
extracted tree: its ``seccomp_lint`` folder) instead of the installed one, each in its own rows;
commands run from OUT, so the working directory never shadows it. Bytecode is compiled first.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import shutil
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import builds  # noqa: E402 (bench/ on the path first)

_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(argv: list[str], package: str | None) -> int:
    """Instructions of ``python -m seccomp_lint --jobs 1 --format json ARGV`` (its own process)."""
    env = dict(os.environ)
    if package:
        env["PYTHONPATH"] = package
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "seccomp_lint",
        "--jobs",
        "1",
        "--format",
        "json",
        *argv,
    ]
    done = subprocess.run(command, cwd=builds.OUT, env=env, capture_output=True, text=True)
    found = _COLLECTED.findall(done.stderr)
    if done.returncode not in (0, 1) or not found:
        raise SystemExit(f"bench/instructions.py: {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return int(found[-1])


def cases(args) -> list[tuple[str, list[str], list[str]]]:
    """``(case, the command's arguments, the plain lint's)``, trees generated as builds.py does."""
    out = []
    for n in args.objects:
        base = builds.one_file(n)
        out.append(
            (
                f"`--kustomize`, one file of {n:,} Deployments",
                ["--kustomize", base],
                ["--no-builds", os.path.join(base, "apps.yaml")],
            )
        )
    for per_app in args.per_app:
        top, overlays, _ = builds.repository(12, 0, per_app)
        built = os.path.join(builds.OUT, f"repo-built-nocharts-{per_app}")
        if not os.path.exists(os.path.join(built, "done")):
            builds.built_outputs(overlays, [], built, os.path.join(top, "manifests"))
            open(os.path.join(built, "done"), "w").close()
        out.append(
            (
                f"walk: 24 overlays of 12 bases of {per_app} Deployment(s), Service(s) and "
                "ConfigMap(s), no charts",
                ["--no-respect-gitignore", top],
                ["--no-respect-gitignore", "--no-builds", built],
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, action="append")
    p.add_argument("--per-app", type=int, action="append")
    p.add_argument("--package", action="append", help="a folder holding seccomp_lint/")
    p.add_argument("--out", default="-", help="append the section to this file (- = print only)")
    args = p.parse_args(argv)
    args.objects = args.objects or [500, 2000]
    args.per_app = args.per_app or [10]
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    os.makedirs(builds.OUT, exist_ok=True)
    packages = args.package or [None]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for package in packages:
        if package is None:
            builds.bytecode(True)  # (the installed package, as a run from OUT finds it)
        else:
            where = os.path.join(package, "seccomp_lint")
            subprocess.run([sys.executable, "-m", "compileall", "-q", where], env=env, check=True)
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Builds at scale, in instructions: {now}",
        "",
        f"`python bench/instructions.py {' '.join(argv)}` (callgrind: seccomp-lint's own process,",
        "user space; kubectl not counted). Overhead ÷ plain = the run's instructions ÷ the plain",
        "lint's (start-up is in both).",
        "",
        "| package | case | run (M instructions) | plain lint (M) | run ÷ plain |",
        "|---|---|---:|---:|---:|",
    ]
    for package in packages:
        for case, run, plain in cases(args):
            mine, theirs = instructions(run, package), instructions(plain, package)
            lines.append(
                f"| {package or 'installed'} | {case} | {mine / 1e6:,.0f} | "
                f"{theirs / 1e6:,.0f} | {mine / theirs:.3f} |"
            )
            print(lines[-1], file=sys.stderr)
    section = "\n".join(lines) + "\n"
    print(section)
    builds._run.write_results(section, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
