"""Byte-level fuzzer: mutate real manifests and check the parser, linter and fixer never misbehave.

    python bench/fuzz.py --minutes 10            # stdlib random mutations (default engine)
    python bench/fuzz.py --engine atheris        # coverage-guided, when atheris is installed

Seeds are the public corpus (``../shared/corpus/realworld``), the project's fixtures and
examples. Each input is a seed mutated a few times (bit flips, inserted/deleted/spliced bytes,
duplicated lines, ``---``, tabs, NULs, deep brackets, YAML tokens from a dictionary) and then:

* linted in-process with random options: any exception is a crash (``lint_bytes`` documents none);
* reported as text and JSON: the JSON must round-trip, the text must hold no control characters;
* when ``seccomp_lint.fix.fixes`` exists, fixed: any exception is a crash, and a changed result must
  parse, keep the number of documents, differ from the original only in seccomp settings, and not
  change again under a second ``--fix`` (an "unverified write" otherwise);
* every input runs under ``signal.alarm``: longer than ``--timeout`` seconds is a hang.

Crashes are de-duplicated by (kind, exception type, innermost project frame) and the smallest
input of each is saved to ``--out``. The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import faulthandler
import io
import json
import random
import re
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from seccomp_lint.lint.linter import lint_bytes  # noqa: E402
from seccomp_lint.model.data import Options  # noqa: E402
from seccomp_lint.output.report import Run, finding_dict, write_json, write_text  # noqa: E402

try:
    from seccomp_lint.fix import fixes as _fixes
except ImportError:  # the fix engine is not built yet
    _fixes = None

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SEED_DIRS = (
    REPO.parent / "shared" / "corpus" / "realworld",
    REPO / "tests" / "fixtures",
    REPO / "examples",
)
MAX_SEED = 64 << 10  # larger seeds are cut: throughput matters more than the tail of a CRD
TOKENS = [
    b"---\n",
    b"--- |\n",
    b"...\n",
    b"<<: *a\n",
    b"&a ",
    b"*a",
    b"<<: ",
    b"? ",
    b": ",
    b"- ",
    b"!!python/object/apply:os.system ['true']",
    b"!custom ",
    b"!!str ",
    b"!!binary ",
    b"%YAML 1.1\n",
    b"%TAG ! tag:x,2000:\n",
    b"seccompProfile:",
    b"seccompProfile: {type: RuntimeDefault}",
    b"type: Unconfined",
    b"type: Localhost",
    b"type: runtimedefault",
    b"localhostProfile: ../x",
    b"localhostProfile: /abs",
    b"securityContext:",
    b"securityContext: []",
    b"privileged: yes",
    b"containers:",
    b"initContainers:",
    b"ephemeralContainers:",
    b"containers: null",
    b"name: 1",
    b"os: {name: windows}",
    b"kind: List\nitems:\n",
    b"kind: Pod",
    b"apiVersion: v1",
    b"seccomp.security.alpha.kubernetes.io/pod: unconfined",
    b"container.seccomp.security.alpha.kubernetes.io/app: localhost/p",
    b"ignore-check.seccomp-lint.io/missing-seccomp-profile: x",
    b"# seccomp-lint: ignore[",
    b"{{ .Values.x }}",
    b"\\x41",
    b"\\u0041",
    b"\\\n",
    b'"',
    b"'",
    b"|-\n",
    b">\n",
    b"\t",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"\x1b[31m",
    b"~",
    b"null",
    b"{}",
    b"[]",
    b"0755",
    b"on",
    b"=",
]
SEED_MARKERS = (b"ontainers", b"seccomp")


class Hang(Exception):
    """The per-input time limit passed."""


def _alarm(signum, frame):
    raise Hang()


# --------------------------------------------------------------------------- mutations


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randint(0, len(data))


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def m_flip(rng, data, seeds):
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def m_byte(rng, data, seeds):
    i = _pos(rng, data)
    return data[:i] + bytes([rng.randrange(256)]) + data[i:]


def m_delete(rng, data, seeds):
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 64) :]


def m_splice(rng, data, seeds):
    other = rng.choice(seeds)
    if not other:
        return data
    a = rng.randrange(len(other))
    piece = other[a : a + rng.randint(1, 400)]
    i = _pos(rng, data)
    return data[:i] + piece + data[i + rng.choice((0, 0, len(piece))) :]


def m_dup_lines(rng, data, seeds):
    lines = _lines(data)
    a = rng.randrange(len(lines))
    b = min(len(lines), a + rng.randint(1, 8))
    return b"".join(lines[:b] + lines[a:b] + lines[b:])


def m_swap_lines(rng, data, seeds):
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def m_doc_start(rng, data, seeds):
    lines = _lines(data)
    i = rng.randrange(len(lines) + 1)
    return b"".join(
        lines[:i] + [rng.choice((b"---\n", b"--- # c\n", b"---\r\n", b"...\n---\n"))] + lines[i:]
    )


def m_tabs(rng, data, seeds):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = lines[i].replace(b"  ", b"\t", rng.randint(1, 4))
    return b"".join(lines)


def m_indent(rng, data, seeds):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = (
        (b" " * rng.randint(0, 6) + lines[i].lstrip(b" "))
        if rng.random() < 0.5
        else b" " + lines[i]
    )
    return b"".join(lines)


def m_nul(rng, data, seeds):
    i = _pos(rng, data)
    return data[:i] + b"\x00" * rng.randint(1, 3) + data[i:]


def m_deep(rng, data, seeds):
    n = rng.choice((10, 500, 999, 1001, 5000, 50000))
    i = _pos(rng, data)
    kind = rng.randrange(4)
    if kind == 0:
        piece = b"[" * n + b"]" * n
    elif kind == 1:
        piece = b"{a: " * n + b"1" + b"}" * n
    elif kind == 2:
        piece = b"\ncontainers:\n" + b"- " * n + b"x\n"
    else:
        piece = b"[" * n  # unbalanced
    return data[:i] + piece + data[i:]


def m_token(rng, data, seeds):
    i = _pos(rng, data)
    return data[:i] + rng.choice(TOKENS) + data[i:]


def m_line_endings(rng, data, seeds):
    return data.replace(
        b"\n", rng.choice((b"\r\n", b"\r", b"\n\n", b"\xc2\x85")), rng.randint(1, 50)
    )


def m_encoding(rng, data, seeds):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    enc, bom = rng.choice(
        (
            ("utf-16-le", b"\xff\xfe"),
            ("utf-16-be", b"\xfe\xff"),
            ("utf-32-le", b"\xff\xfe\x00\x00"),
            ("utf-8", b"\xef\xbb\xbf"),
        )
    )
    return bom + text.encode(enc, "surrogatepass")


def m_alias(rng, data, seeds):
    # Anchor a random mapping value and alias it elsewhere, or add a merge key.
    lines = _lines(data)
    i = rng.randrange(len(lines))
    line = lines[i]
    if b": " in line and b"&" not in line:
        lines[i] = line.replace(b": ", b": &z ", 1)
        j = rng.randrange(len(lines))
        indent = len(lines[j]) - len(lines[j].lstrip(b" "))
        lines.insert(j + 1, b" " * indent + rng.choice((b"zz: *z\n", b"<<: *z\n", b"- *z\n")))
    return b"".join(lines)


MUTATORS = [
    m_flip,
    m_byte,
    m_delete,
    m_splice,
    m_dup_lines,
    m_swap_lines,
    m_doc_start,
    m_tabs,
    m_indent,
    m_nul,
    m_deep,
    m_token,
    m_token,
    m_token,
    m_line_endings,
    m_encoding,
    m_alias,
    m_alias,
]


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    for _ in range(rng.choice((1, 1, 2, 3, 5, 8))):
        data = rng.choice(MUTATORS)(rng, data, seeds)
    return data


# --------------------------------------------------------------------------- oracle


class Bad(Exception):
    """An oracle violation that is not an exception of the code under test."""


def _options(rng: random.Random) -> Options:
    return Options(
        level=rng.choice(("restricted", "baseline")),
        kube_version=rng.choice(((1, 24), (1, 26), (1, 27), (1, 30), Options().kube_version)),
        require_runtime_default=rng.random() < 0.2,
        prefilter=rng.random() < 0.7,
    )


def _check_reports(result, data: bytes) -> None:
    from seccomp_lint.text.streams import DecodeError, count_lines, decode

    try:
        lines = count_lines(decode(data)[0]) + 1
    except DecodeError:
        lines = 1
    for f in result.findings:
        if f.line < 1 or f.column < 1:
            raise Bad(f"position {f.line}:{f.column} is not 1-based")
        # libyaml puts an error at the end of a text without a final line break on the next line.
        if f.line > lines + (f.rule == "yaml-syntax-error"):
            raise Bad(f"line {f.line} is past the end of the input ({lines} lines)")
    run = Run(findings=list(result.findings), files=1, documents=result.documents)
    buf = io.StringIO()
    write_json(run, buf)
    parsed = json.loads(buf.getvalue())
    if parsed["findings"] != [finding_dict(f) for f in result.findings]:
        raise Bad("JSON report does not round-trip")
    buf = io.StringIO()
    write_text(run, buf)
    for ch in buf.getvalue():
        if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) < 0xA0:
            raise Bad(f"text report holds control character {ch!r}")


_STRIP_KEYS = ("seccompProfile",)


def _strip(value: object) -> object:
    """The data with everything a seccomp fix may touch removed (independent of fixes.py)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _STRIP_KEYS or (isinstance(k, str) and "seccomp" in k):
                continue
            v = _strip(v)
            if k in ("securityContext", "annotations", "metadata") and v in ({}, None):
                continue  # a fix may create or remove a container that holds nothing else
            out[k] = v
        return out
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _load_all(data: bytes) -> list:
    from seccomp_lint.text.streams import decode

    body = decode(data)[0].decode("utf-8")
    return list(yaml.load_all(body, Loader=_Loader))


def _check_fix(data: bytes, options: Options, is_json: bool, rng: random.Random, tmp: Path) -> str:
    unsafe = rng.random() < 0.5
    ff = _fixes.fix_bytes(data, "fuzz.yaml", options, unsafe, is_json)
    if not ff.changed:
        return "unchanged"
    try:
        before, after = _load_all(data), _load_all(ff.fixed)
    except Exception as exc:
        raise Bad(f"fixed output does not parse: {type(exc).__name__}: {exc}") from None
    if len(before) != len(after):
        raise Bad(f"fix changed the number of documents {len(before)} -> {len(after)}")
    try:
        if _strip(before) != _strip(after):
            raise Bad("fix changed data outside seccomp settings")
    except RecursionError:
        pass  # self-referential data from aliases: nothing to compare structurally
    again = _fixes.fix_bytes(ff.fixed, "fuzz.yaml", options, unsafe, is_json)
    if again.changed:
        raise Bad("fix is not idempotent: a second --fix changes the output again")
    if any(f.rule == "yaml-syntax-error" for f in again.before):
        raise Bad("fixed output holds a yaml-syntax-error")
    if rng.random() < 0.1:  # the file path: atomic write beside the target
        target = tmp / "target.yaml"
        target.write_bytes(data)
        target.chmod(0o640)
        _fixes.fix_file(str(target), options, unsafe, write=True)
        written = target.read_bytes()
        if written not in (data, ff.fixed):
            raise Bad("the file on disk is neither the original nor the verified fix")
        if oct(target.stat().st_mode & 0o777) != oct(0o640):
            raise Bad("the rewrite lost the file's permissions")
        stray = [p.name for p in tmp.iterdir() if p.name != "target.yaml"]
        if stray:
            raise Bad(f"temporary files left behind: {stray}")
    return "fixed"


def run_one(data: bytes, rng: random.Random, tmp: Path, timeout: int) -> tuple[str, str] | None:
    """Lint (and fix) one input; None when fine, else (kind, signature + traceback)."""
    options = _options(rng)
    is_json = rng.random() < 0.1
    signal.alarm(timeout)
    try:
        result = lint_bytes(data, "fuzz.yaml", options, is_json)
        _check_reports(result, data)
        if _fixes is not None and rng.random() < 0.5:
            _check_fix(data, options, is_json, rng, tmp)
    except Hang:
        return "hang", f"hang > {timeout}s"
    except Bad as exc:
        return "bad", re.sub(r"[0-9]+", "N", str(exc))
    except Exception as exc:
        return "crash", _signature(exc)
    finally:
        signal.alarm(0)
    return None


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "seccomp_lint" in f.filename] or frames
    last = own[-1] if own else None
    where = f"{Path(last.filename).name}:{last.lineno} {last.name}" if last else "?"
    return f"{type(exc).__name__} at {where}: {re.sub(r'[0-9]+', 'N', str(exc))[:120]}"


# --------------------------------------------------------------------------- driver


def load_seeds(limit: int | None = None) -> list[bytes]:
    seeds: list[bytes] = []
    for folder in SEED_DIRS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
                data = path.read_bytes()[:MAX_SEED]
                if any(m in data for m in SEED_MARKERS):
                    seeds.append(data)
    if limit:
        seeds = seeds[:limit]
    return seeds


def fuzz_random(args: argparse.Namespace, seeds: list[bytes]) -> dict:
    import tempfile

    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    found: dict[str, dict] = {}
    kinds = {"crash": 0, "hang": 0, "bad": 0}
    deadline = time.monotonic() + args.minutes * 60
    start = time.monotonic()
    n = slow = 0
    slowest = (0.0, 0)
    last_report = start
    with tempfile.TemporaryDirectory() as tmpdir, open(out / "current-input", "wb") as current:
        tmp = Path(tmpdir)
        while time.monotonic() < deadline and (not args.runs or n < args.runs):
            case_rng = random.Random(rng.getrandbits(64))
            data = mutate(case_rng, case_rng.choice(seeds), seeds)
            # A hard crash (signal, abort) kills this process: keep the input that did it.
            current.seek(0)
            current.write(data)
            current.truncate()
            current.flush()
            t0 = time.monotonic()
            problem = run_one(data, case_rng, tmp, args.timeout)
            took = time.monotonic() - t0
            n += 1
            if took > slowest[0]:
                slowest = (took, len(data))
            if took > args.slow:
                slow += 1
            if problem:
                kind, sig = problem
                kinds[kind] += 1
                entry = found.get(sig)
                if entry is None or len(data) < entry["size"]:
                    name = f"{kind}-{abs(hash(sig)) % 10**8:08d}.yaml"
                    (out / name).write_bytes(data)
                    if entry is None:
                        print(f"[{n}] {kind}: {sig} -> {out / name}", flush=True)
                    found[sig] = {
                        "kind": kind,
                        "size": len(data),
                        "file": str(out / name),
                        "count": (entry or {}).get("count", 0),
                    }
                found[sig]["count"] += 1
            if args.summary and n % 500 == 0:  # survives this worker being killed
                Path(args.summary).write_text(
                    json.dumps(
                        _summary(time.monotonic() - start, n, seeds, slow, slowest, kinds, found)
                    )
                )
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                rate = n / (last_report - start)
                print(f"... {n} inputs, {rate:.0f}/s, {len(found)} distinct problems", flush=True)
    return _summary(time.monotonic() - start, n, seeds, slow, slowest, kinds, found)


def _summary(elapsed, n, seeds, slow, slowest, kinds, found) -> dict:
    return {
        "engine": "random",
        "seconds": round(elapsed, 1),
        "inputs": n,
        "per_second": round(n / elapsed, 1) if elapsed else 0,
        "seeds": len(seeds),
        "fix_engine": _fixes is not None,
        "slow_inputs": slow,
        "slowest_seconds": round(slowest[0], 2),
        "slowest_size": slowest[1],
        "counts": kinds,
        "distinct": [{"signature": k, **v} for k, v in found.items()],
    }


def fuzz_atheris(args: argparse.Namespace, seeds: list[bytes]) -> None:
    import tempfile

    import atheris  # coverage-guided (libFuzzer); pip install atheris

    corpus = Path(tempfile.mkdtemp(prefix="seccomp-lint-fuzz-"))
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(seed)
    tmp = Path(tempfile.mkdtemp())

    def one(data: bytes) -> None:
        rng = random.Random(len(data))
        problem = run_one(data, rng, tmp, args.timeout)
        if problem:
            raise RuntimeError(f"{problem[0]}: {problem[1]}")

    argv = [sys.argv[0], str(corpus), f"-max_total_time={int(args.minutes * 60)}", "-max_len=70000"]
    atheris.Setup(argv, one)
    atheris.Fuzz()


def supervise(args: argparse.Namespace) -> dict:
    """Run workers until time is up; a worker killed by a signal is a crash, and a new one starts.

    A segfault (C stack overflow in libyaml, say) cannot be caught in-process, so the loop runs in
    a child and its last input (``current-input``) is kept when it dies.
    """
    import shutil
    import subprocess

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60
    start = time.monotonic()
    merged: dict = {
        "engine": "random",
        "inputs": 0,
        "counts": {"crash": 0, "hang": 0, "bad": 0, "signal": 0},
        "distinct": {},
        "slow_inputs": 0,
        "slowest_seconds": 0.0,
    }
    seed = args.seed
    while time.monotonic() < deadline - 1:
        left = (deadline - time.monotonic()) / 60
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            "--minutes",
            f"{left:.3f}",
            "--seed",
            str(seed),
            "--timeout",
            str(args.timeout),
            "--slow",
            str(args.slow),
            "--out",
            str(out),
            "--memory-mb",
            str(args.memory_mb),
        ]
        if args.runs:
            cmd += ["--runs", str(args.runs)]
        report = out / f"summary-{seed}.json"
        sys.stdout.flush()
        done = subprocess.run(cmd + ["--summary", str(report)], stderr=subprocess.PIPE, text=True)
        if report.exists():
            part = json.loads(report.read_text())
            merged["inputs"] += part["inputs"]
            merged["slow_inputs"] += part["slow_inputs"]
            merged["slowest_seconds"] = max(merged["slowest_seconds"], part["slowest_seconds"])
            merged["seeds"], merged["fix_engine"] = part["seeds"], part["fix_engine"]
            for kind, n in part["counts"].items():
                merged["counts"][kind] += n
            for entry in part["distinct"]:
                have = merged["distinct"].setdefault(entry["signature"], dict(entry, count=0))
                have["count"] += entry["count"]
        if done.returncode < 0:
            frames = [line.strip() for line in done.stderr.splitlines() if "seccomp_lint" in line]
            sig = f"killed by signal {-done.returncode}" + (f" at {frames[0]}" if frames else "")
            name = f"signal-{abs(hash(sig)) % 10**8:08d}.yaml"
            shutil.copy(out / "current-input", out / name)
            print(f"worker {seed}: {sig} -> {out / name}", flush=True)
            merged["counts"]["signal"] += 1
            have = merged["distinct"].setdefault(
                sig, {"signature": sig, "kind": "signal", "file": str(out / name), "count": 0}
            )
            have["count"] += 1
            merged["inputs"] += 1
        elif done.returncode not in (0, 1) or args.runs:
            if done.returncode not in (0, 1):
                print(done.stderr[-3000:], file=sys.stderr)
            break
        seed += 1
    merged["seconds"] = round(time.monotonic() - start, 1)
    merged["per_second"] = (
        round(merged["inputs"] / merged["seconds"], 1) if merged["seconds"] else 0
    )
    merged["distinct"] = list(merged["distinct"].values())
    return merged


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=1.0)
    p.add_argument("--runs", type=int, default=0, help="stop after this many inputs (0: no limit)")
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--timeout", type=int, default=10, help="seconds per input before it is a hang")
    p.add_argument("--slow", type=float, default=2.0, help="seconds per input counted as slow")
    p.add_argument("--memory-mb", type=int, default=2048, help="address-space limit")
    p.add_argument(
        "--out", default=str(HERE / "out" / "fuzz"), help="crash inputs (default bench/out/fuzz)"
    )
    p.add_argument("--engine", choices=("random", "atheris"), default="random")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--summary", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.engine == "random" and not args.worker:
        summary = supervise(args)
        print(json.dumps(summary, indent=2))
        return 1 if summary["distinct"] else 0
    faulthandler.enable()  # a crash in C code still shows where it happened
    # As the command line does: merge keys are flattened recursively.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    limit = args.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    seeds = load_seeds()
    if not seeds:
        print("no seed files found", file=sys.stderr)
        return 2
    print(
        f"seed {args.seed}: {len(seeds)} seed files, fix engine: {_fixes is not None}", flush=True
    )
    if args.engine == "atheris":
        fuzz_atheris(args, seeds)
        return 0
    summary = fuzz_random(args, seeds)
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary))
    else:
        print(json.dumps(summary, indent=2))
    return 1 if summary["distinct"] else 0


if __name__ == "__main__":
    sys.exit(main())
