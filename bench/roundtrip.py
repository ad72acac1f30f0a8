#!/usr/bin/env python3
"""Why ``--fix`` edits text instead of round-tripping with ruamel.yaml: a measurement.

    python bench/roundtrip.py [CORPUS_DIR] [--limit N]

Takes the files of CORPUS_DIR (default: the shared real-world corpus) that seccomp-lint has a fix
for (``--format json``, findings whose fix has edits), then, for each file:

* ruamel.yaml round trip (``YAML(typ="rt")``, ``preserve_quotes``, width 4096), with *no change*
  to the data: load and dump times, and how many lines of the file the dump alone rewrites;
* seccomp-lint's own ``--diff`` on the same file: how many lines its fixes change.

ruamel.yaml is not a dependency of seccomp-lint; the script installs it into its own venv
(``bench/out/ruamel-venv``) and runs the ruamel half there. Prints a Markdown section for
``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(BENCH, "out")
VENV = os.path.join(OUT, "ruamel-venv")
DEFAULT_CORPUS = os.path.normpath(os.path.join(BENCH, "..", "..", "shared", "corpus", "realworld"))


def changed_lines(before: str, after: str) -> int:
    """Lines removed or added by a unified diff of the two texts."""
    n = 0
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            n += 1
    return n


def ruamel_half(paths: list[str]) -> None:
    """Run inside the venv: a no-op round trip per file, as JSON lines on stdout."""
    import io

    from ruamel.yaml import YAML

    for path in paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        row = {"path": path}
        try:
            t0 = time.perf_counter()
            docs = list(yaml.load_all(text))
            t1 = time.perf_counter()
            buf = io.StringIO()
            yaml.dump_all(docs, buf)
            t2 = time.perf_counter()
            row.update(load=t1 - t0, dump=t2 - t1, changed=changed_lines(text, buf.getvalue()))
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(json.dumps(row), flush=True)


def ensure_venv() -> str:
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(os.path.join(VENV, ".installed")):
        os.makedirs(OUT, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
        subprocess.run(
            [py, "-m", "pip", "install", "-q", "ruamel.yaml", "ruamel.yaml.clib"], check=True
        )
        open(os.path.join(VENV, ".installed"), "w").close()
    return py


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    p.add_argument("--limit", type=int, default=0, help="at most N files (0: all)")
    p.add_argument("--ruamel-half", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.ruamel_half is not None:
        ruamel_half(args.ruamel_half)
        return 0

    lint = subprocess.run(
        [sys.executable, "-m", "seccomp_lint", "--format", "json", "--jobs", "1", args.corpus],
        capture_output=True,
        text=True,
    )
    report = json.loads(lint.stdout)
    paths = sorted({f["path"] for f in report["findings"] if f["fix"] and f["fix"]["edits"]})
    if args.limit:
        paths = paths[: args.limit]
    size = sum(os.path.getsize(x) for x in paths)

    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_lint", "--diff", "--jobs", "1", *paths],
        capture_output=True,
        text=True,
    )
    ours_s = time.perf_counter() - t0
    diff = done.stdout.splitlines()
    ours_files = sum(1 for line in diff if line.startswith("+++ "))
    ours_lines = sum(
        1 for line in diff if line.startswith(("+", "-")) and not line.startswith(("+++ ", "--- "))
    )

    py = ensure_venv()
    version = subprocess.run(
        [py, "-c", "import ruamel.yaml as r; print(r.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    clib = subprocess.run([py, "-c", "import _ruamel_yaml"], capture_output=True).returncode == 0
    done = subprocess.run([py, __file__, "--ruamel-half", *paths], capture_output=True, text=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    ok = [r for r in rows if "error" not in r]
    broken = [r for r in rows if "error" in r]
    churned = [r for r in ok if r["changed"]]
    load = sum(r["load"] for r in ok)
    dump = sum(r["dump"] for r in ok)

    print(
        f"### ruamel.yaml round trip vs seccomp-lint's text edits ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n"
    )
    limit = f" --limit {args.limit}" if args.limit else ""
    corpus = os.path.relpath(
        os.path.abspath(args.corpus), os.path.dirname(BENCH)
    )  # no machine path
    print(f"- command: `python bench/roundtrip.py {corpus}{limit}`")
    print(
        f"- ruamel.yaml {version} (C extension {'present' if clib else 'absent'}), `typ='rt'`, "
        "`preserve_quotes`, width 4096, data unchanged between load and dump"
    )
    print(
        f"- files: the {len(paths)} files ({size / 1e6:.1f} MB) that seccomp-lint has a fix for\n"
    )
    print("| | files | lines changed | seconds |")
    print("|---|---:|---:|---:|")
    print(
        f"| seccomp-lint `--diff` (every safe fix applied) | {ours_files} changed | "
        f"{ours_lines} | {ours_s:.1f} (lint, fix, verify, diff) |"
    )
    print(
        f"| ruamel.yaml round trip, no change made | {len(churned)} of {len(ok)} changed | "
        f"{sum(r['changed'] for r in ok)} | load {load:.1f} + dump {dump:.1f} |"
    )
    if broken:
        print(f"| ruamel.yaml could not load | {len(broken)} | – | – |")
    print()
    worst = sorted(churned, key=lambda r: -r["changed"])[:5]
    if worst:
        print(
            "Most rewritten by a no-op round trip: "
            + ", ".join(
                f"`{os.path.relpath(r['path'], args.corpus)}` ({r['changed']} lines)" for r in worst
            )
            + "."
        )
    if broken:
        print(
            "Not loadable: "
            + "; ".join(
                f"`{os.path.relpath(r['path'], args.corpus)}`: {r['error']}" for r in broken[:5]
            )
            + "."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
