#!/usr/bin/env python3
"""Many small objects: time seccomp-lint on one file of many small pods, against the libyaml floor.

    python bench/many.py generate [--stream-pods 120000] [--list-pods 10000] [--seed 1]
    python bench/many.py bench [--shape stream,list] [--modes text,json,sarif,fix]
                               [--jobs-1] [--repeat 3] [--out bench/RESULTS.md | -]

Two shapes (issue 22, "Speed on many small objects"), each one file in ``bench/out/``
(gitignored), every pod a ``missing-seccomp-profile`` finding:

* ``stream``: a YAML stream of small Pod documents separated by ``---`` (about 110 bytes each;
  120,000 pods make 13 MB), as ``kubectl get pods -o yaml`` piped through ``yq '.items[]'`` or a
  generated test fixture gives them;
* ``list``: one ``kind: List`` document as ``kubectl get pods -A -o yaml`` prints it (keys sorted,
  sequences at their key's indentation), of small pods (about 420 bytes each; 10,000 pods make
  4.2 MB).

The floor is one process reading the file and composing every document with libyaml
(``yaml.compose_all(data, Loader=yaml.CSafeLoader)``, the nodes of each document kept until the
next is composed), as bench/run.py measures it for a corpus. Each mode runs
``python -m seccomp_lint [--jobs 1] [--format json|sarif] [--fix] FILE`` under bench/run.py's
launcher (wall, CPU and peak RSS from ``os.wait4``); ``--fix`` on a fresh copy each run. Targets:
text and JSON within 1.0x the floor, SARIF 1.5x, ``--fix`` 2.5x, with the default jobs (one large
file may use the worker processes); ``--jobs-1`` also times every mode in one process
(information). Standard library only, plus PyYAML for the floor.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import random
import shutil
import statistics
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(BENCH, "out")
MB = 1_000_000

sys.path.insert(0, BENCH)
import run as _run  # noqa: E402 (bench/ on the path first)

GENERATOR_VERSION = 1  # bump when the output changes; files carry it in their name
APPS = ["web", "api", "worker", "cache", "db", "queue", "proxy", "batch"]
IMAGES = ["nginx:1.25", "redis:7.2", "busybox:1.36", "postgres:16", "envoy:v1.29", "app:2.1.0"]
SUFFIX = "bcdfghjklmnpqrstvwxz2456789"

FLOOR = r"""
import sys, yaml
with open(sys.argv[1], "rb") as f:
    data = f.read()
for node in yaml.compose_all(data, Loader=yaml.CSafeLoader):
    pass
"""

MODES = {  # name: (extra arguments, target as a multiple of the floor)
    "text": ([], 1.0),
    "json": (["--format", "json"], 1.0),
    "sarif": (["--format", "sarif"], 1.5),
    "fix": (["--fix"], 2.5),
}
SHAPES = {"stream": 120_000, "list": 10_000}


def _name(rng: random.Random, app: str) -> str:
    return f"{app}-{''.join(rng.choice(SUFFIX) for _ in range(5))}"


def write_stream(path: str, n: int, seed: int) -> None:
    """``n`` small Pod documents, each without a seccomp profile."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i in range(n):
            app = APPS[i % len(APPS)]
            f.write(
                f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {app}-{i}\nspec:\n"
                f"  containers:\n  - name: {app}\n    image: {rng.choice(IMAGES)}\n---\n"
            )


def write_list(path: str, n: int, seed: int) -> None:
    """One ``kind: List`` of ``n`` small pods as kubectl prints it, none with a seccomp profile."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("apiVersion: v1\nitems:\n")
        for i in range(n):
            app = APPS[i % len(APPS)]
            uid = (
                f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}"
                f"-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
            )
            f.write(
                f"- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: {app}\n"
                f"    name: {_name(rng, app)}-{i}\n    namespace: team-{i % 20}\n"
                f"    uid: {uid}\n  spec:\n    containers:\n    - image: {rng.choice(IMAGES)}\n"
                f"      name: {app}\n      ports:\n      - containerPort: {8000 + i % 100}\n"
                f"        protocol: TCP\n    nodeName: node-{i % 12}\n"
                f"    restartPolicy: Always\n    serviceAccountName: default\n  status:\n    phase: Running\n"
                f"    podIP: 10.{i % 3}.{i // 256 % 256}.{i % 256}\n"
            )
        f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


def shape_path(shape: str, n: int, seed: int) -> str:
    return os.path.join(OUT_DIR, f"many-{shape}-{n}-seed{seed}-v{GENERATOR_VERSION}.yaml")


def ensure(shape: str, n: int, seed: int) -> str:
    path = shape_path(shape, n, seed)
    if not os.path.exists(path):
        os.makedirs(OUT_DIR, exist_ok=True)
        tmp = path + ".part"
        (write_stream if shape == "stream" else write_list)(tmp, n, seed)
        os.replace(tmp, path)
        _run.log(f"wrote {_run.shown(path)} ({os.path.getsize(path) / MB:.1f} MB)")
    return path


def _median(results: list[_run.Result]) -> dict:
    for r in results:
        try:
            os.unlink(r.stdout)
        except OSError:
            pass
    return {
        "wall": statistics.median(r.wall for r in results),
        "cpu": statistics.median(r.cpu for r in results),
        "rss_kb": max(r.maxrss_kb for r in results),
        "tree_kb": max(r.tree_peak_kb or 0 for r in results),
        "rc": sorted({r.rc for r in results}),
        "timed_out": any(r.timed_out for r in results),
    }


def bench_shape(path: str, modes: list[str], repeat: int, jobs_1: bool, timeout: float) -> dict:
    """The floor and every mode on one file."""
    py = sys.executable
    _run.warm_cache([path])
    rows: dict = {"path": path, "size": os.path.getsize(path), "floor": None, "modes": {}}
    rows["floor"] = _median([_run.measure([py, "-c", FLOOR, path]) for _ in range(repeat)])
    _run.log(f"{os.path.basename(path)} floor: {rows['floor']['wall']:.2f} s")
    work = os.path.join(OUT_DIR, "fix-work")
    os.makedirs(work, exist_ok=True)
    for jobs in ([], ["--jobs", "1"]) if jobs_1 else ([],):
        for mode in modes:
            results = []
            for _ in range(repeat):
                target = path
                if mode == "fix":
                    target = os.path.join(work, os.path.basename(path))
                    shutil.copyfile(path, target)
                    _run.warm_cache([target])
                cmd = [py, "-m", "seccomp_lint", *jobs, *MODES[mode][0], target]
                # Run from bench/out: ``-m`` puts the working directory first on the path, and
                # a checkout there would shadow the package on PYTHONPATH (see --label).
                results.append(
                    _run.measure(cmd, cwd=OUT_DIR, timeout=timeout, sample_tree=not jobs)
                )
            m = _median(results)
            key = mode + (" --jobs 1" if jobs else "")
            rows["modes"][key] = m
            _run.log(
                f"{os.path.basename(path)} {key}: {m['wall']:.2f} s "
                f"(x{m['wall'] / rows['floor']['wall']:.2f}), exit {m['rc']}"
            )
    return rows


def report(args, runs: dict[str, dict], started: float) -> str:
    yaml_ver, libyaml = _run.yaml_info(sys.executable)
    now = _dt.datetime.now(_dt.UTC)
    argv = " ".join(["python", "bench/many.py", *(args.argv or [])])
    lines = [
        "## Many small objects (issue 22)" + (f": {args.label}" if args.label else ""),
        "",
        f"Run of {now:%Y-%m-%d %H:%M} UTC: `{argv}` (took {(time.time() - started) / 60:.1f} min).",
        (
            f"Machine: {os.cpu_count()} CPUs (nproc), {_run.cpu_model()}, {_run.ram_gb()} RAM, "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"PyYAML {yaml_ver}{' with libyaml' if libyaml else ''}; repository at "
            f"{_run.git_revision()}"
            + (f", package from {os.environ['PYTHONPATH']}" if os.environ.get("PYTHONPATH") else "")
            + f"; load average (1 min) at the end: {os.getloadavg()[0]:.1f}."
        ),
        "",
        (
            "Floor: one process composing every document of the file with libyaml "
            "(`yaml.compose_all(data, Loader=yaml.CSafeLoader)`). Commands: `python -m seccomp_lint "
            "[--jobs 1] [--format json|sarif] [--fix] FILE` (default jobs: the CPU count). Wall and "
            f"CPU times are medians of {args.repeat} runs; peak RSS is the largest process "
            "(`wait4`), tree RSS the sampled sum over the worker processes."
        ),
        "",
        "| shape | size | mode | wall s | CPU s | × floor | target | peak RSS MB | tree RSS MB | exit |",
        "|---|---:|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    fails = []
    for shape, r in runs.items():
        size = f"{r['size'] / MB:.1f} MB"
        floor = r["floor"]
        lines.append(
            f"| {shape} ({r['n']:,} pods) | {size} | floor | {floor['wall']:.2f} | "
            f"{floor['cpu']:.2f} | 1.00 | | {floor['rss_kb'] / 1024:.0f} | | |"
        )
        for key, m in r["modes"].items():
            mode = key.split()[0]
            x = m["wall"] / floor["wall"]
            target = MODES[mode][1]
            counted = "--jobs" not in key
            ok = x <= target and not m["timed_out"]
            if counted and not ok:
                fails.append(f"{shape} `{key}`: {x:.2f}× the floor (target {target:g}×)")
            verdict = f"≤ {target:g}× {'**pass**' if ok else '**FAIL**'}" if counted else "(info)"
            tree = f"{m['tree_kb'] / 1024:.0f}" if m["tree_kb"] else ""
            lines.append(
                f"| {shape} | {size} | `{key}` | {m['wall']:.2f} | {m['cpu']:.2f} | {x:.2f} | "
                f"{verdict} | {m['rss_kb'] / 1024:.0f} | {tree} | {','.join(map(str, m['rc']))} |"
            )
    lines.append("")
    lines.append("Failed targets:" + ("".join(f"\n- {f}" for f in fails) if fails else " none."))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("generate", "bench"):
        s = sub.add_parser(name)
        s.add_argument("--stream-pods", type=int, default=SHAPES["stream"])
        s.add_argument("--list-pods", type=int, default=SHAPES["list"])
        s.add_argument("--seed", type=int, default=1)
    b = sub.choices["bench"]
    b.add_argument("--shape", default=",".join(SHAPES))
    b.add_argument("--modes", default=",".join(MODES))
    b.add_argument("--jobs-1", action="store_true", help="also time every mode with --jobs 1")
    b.add_argument("--repeat", type=int, default=3)
    b.add_argument("--timeout", type=float, default=900.0)
    b.add_argument("--out", default="-", help="append the section to this file (- = print only)")
    b.add_argument("--label", default="", help="what is measured, for the section's title")
    args = p.parse_args(argv)
    args.argv = argv
    counts = {"stream": args.stream_pods, "list": args.list_pods}
    if args.cmd == "generate":
        for shape, n in counts.items():
            print(_run.shown(ensure(shape, n, args.seed)))
        return 0
    started = time.time()
    runs = {}
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for shape in [s.strip() for s in args.shape.split(",") if s.strip()]:
        path = ensure(shape, counts[shape], args.seed)
        runs[shape] = bench_shape(path, modes, args.repeat, args.jobs_1, args.timeout)
        runs[shape]["n"] = counts[shape]
    text = report(args, runs, started)
    print(text)
    if args.out != "-":
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
