"""One file of a large repository linted alone, as pre-commit runs it, by two versions of the
linter: ``python bench/one_file.py FILE RUNS BASE_DIR BRANCH_DIR``, run from the repository's root
(the corpus is no Git work tree: the working directory is then its repository). Each version is
imported from its directory (PYTHONPATH; compile it first, ``python -m compileall -q DIR``, or
the first runs pay for it). Prints, per version and level, the median and minimum wall time, the
median CPU time of the child, and the largest child RSS so far (cumulative across rows).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    file, runs = sys.argv[1], int(sys.argv[2])
    for name, path in (("base", sys.argv[3]), ("branch", sys.argv[4])):
        for level in ("namespace", "restricted"):
            walls, cpus, code = [], [], None
            for _ in range(runs):
                cpu, start = _cpu(), time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "seccomp_lint", "--level", level, "-f", "json", file],
                    env={**os.environ, "PYTHONPATH": path},
                    capture_output=True,
                    check=False,
                )
                walls.append(time.perf_counter() - start)
                cpus.append(_cpu() - cpu)
                code = done.returncode
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"{name:6} --level {level:10} exit {code} "
                f"wall median {statistics.median(walls):.3f}s min {min(walls):.3f}s "
                f"cpu median {statistics.median(cpus):.3f}s maxrss {rss:.0f} MB"
            )


if __name__ == "__main__":
    main()
