"""Baseline files: --write-baseline records today's findings by what survives edits (never by
line), --baseline reports only new ones, counts the baselined ones and the entries gone; the
file is sorted, one entry per line, and a bad one is a clear error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import BARE_POD, WEB_POD, run_cli, run_process

# A file with a ConfigMap and a Deployment (2 findings: container "log" has no profile,
# container "app" runs Unconfined).
APPS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: cart
          securityContext:
            seccompProfile: {type: Unconfined}
        - name: log
          image: log
"""
# What goes above the Deployment once it has moved down its file.
FILLER = """\
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  ports:
    - port: 80
---
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of manifests with findings, as the working directory."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/apps.yaml").write_text(APPS)
    (tmp_path / "deploy/web.yaml").write_bytes(WEB_POD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _json(*args: str | Path, cwd: Path | None = None) -> tuple[int, dict, str]:
    done = run_process(*args, "--format", "json", text=True, cwd=cwd)
    return done.returncode, json.loads(done.stdout), done.stderr


def _rules(report: dict) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


def test_moved_deployment_stays_baselined_and_only_the_new_finding_is_reported(tree: Path):
    lines_before = _rules(_json("deploy")[1])
    code, before, err = _json("--write-baseline", "baseline.json", "deploy")
    assert code == 0, err
    assert "wrote 3 baseline entries to baseline.json" in err
    assert before["findings"] == []
    assert before["summary"]["baselined"] == 3

    # The Deployment moves down its file (and is re-indented); a new pod without a profile
    # is added in a new file.
    moved = APPS.replace("        - name:", "      - name:")
    moved = moved.replace("          image", "        image").replace(
        "          secur", "        secur"
    )
    moved = moved.replace("            seccompProfile", "          seccompProfile")
    (tree / "deploy/apps.yaml").write_text(FILLER + moved)
    (tree / "deploy/new.yaml").write_text(BARE_POD)

    lines_after = _rules(_json("deploy")[1])
    # The same findings of apps.yaml, on other lines.
    apps = [(r, line) for r, p, line in lines_before if p.endswith("apps.yaml")]
    moved_apps = [(r, line) for r, p, line in lines_after if p.endswith("apps.yaml")]
    assert [r for r, _ in apps] == [r for r, _ in moved_apps] and len(apps) == 2
    assert all(a != b for a, b in zip(apps, moved_apps, strict=True))

    code, report, err = _json("--baseline", "baseline.json", "deploy")
    assert code == 1, err
    assert _rules(report) == [("missing-seccomp-profile", "deploy/new.yaml", 5)]
    summary = report["summary"]
    assert summary["baselined"] == 3
    assert summary["baseline"] == {"path": "baseline.json", "matched": 3, "gone": 0}
    assert summary["findings"] == 1

    done = run_process("--baseline", "baseline.json", "deploy", text=True)
    assert done.returncode == 1
    assert done.stdout.startswith("deploy/new.yaml:5:3: missing-seccomp-profile")
    assert "3 baselined" in done.stdout.splitlines()[-1]
    assert "apps.yaml" not in done.stdout


def test_identical_keys_are_counted(tree: Path):
    """Entries are a multiset: a second finding of one key is new."""
    assert _json("--write-baseline", "b.json", "deploy/web.yaml")[0] == 0
    (tree / "deploy/web.yaml").write_bytes(WEB_POD + b"---\n" + WEB_POD)
    code, report, _ = _json("--baseline", "b.json", "deploy/web.yaml")
    assert code == 1
    assert _rules(report) == [("missing-seccomp-profile", "deploy/web.yaml", 15)]
    assert report["summary"]["baselined"] == 1


def test_entries_that_match_nothing_are_counted_and_rewriting_drops_them(tree: Path):
    assert _json("--write-baseline", "b.json", "deploy")[0] == 0
    (tree / "deploy/web.yaml").write_bytes(WEB_POD.replace(b"kind: Pod", b"kind: ConfigMap"))
    code, report, _ = _json("--baseline", "b.json", "deploy")
    assert code == 0
    assert report["summary"]["baseline"] == {"path": "b.json", "matched": 2, "gone": 1}
    done = run_process("--baseline", "b.json", "deploy", text=True)
    assert done.returncode == 0
    assert "1 baseline entry matches nothing: rewrite b.json with --write-baseline" in done.stdout
    assert _json("--write-baseline", "b.json", "deploy")[0] == 0
    assert len(json.loads((tree / "b.json").read_text())["entries"]) == 2


def test_the_file_is_sorted_one_entry_per_line_and_stable(tree: Path):
    assert _json("--write-baseline", "b.json", "deploy")[0] == 0
    first = (tree / "b.json").read_bytes()
    lines = first.decode().splitlines()
    entries = [json.loads(line.rstrip(",")) for line in lines if line.startswith("    {")]
    assert len(entries) == 3 == len(json.loads(first)["entries"])
    keys = [(e["rule"], e["path"], e["name"]) for e in entries]
    assert keys == sorted(keys)
    assert set(entries[0]) == {"rule", "path", "kind", "namespace", "name", "container", "setting"}
    assert all("line" not in e for e in entries)
    # Written again from another directory: paths are relative to the file, so the same bytes.
    assert _json("--write-baseline", tree / "b.json", tree / "deploy", cwd=tree / "deploy")[0] == 0
    assert (tree / "b.json").read_bytes() == first
    # And it matches from there too.
    code, report, _ = _json("--baseline", tree / "b.json", ".", cwd=tree / "deploy")
    assert (code, report["summary"]["baselined"]) == (0, 3)


def test_config_key_is_relative_to_the_config_file(tree: Path):
    assert _json("--write-baseline", "ci/b.json", "deploy")[0] == 2  # ci/ does not exist
    (tree / "ci").mkdir()
    assert _json("--write-baseline", "ci/b.json", "deploy")[0] == 0
    (tree / ".seccomp-lint.yaml").write_text("baseline: ci/b.json\n")
    code, report, _ = _json(".", cwd=tree / "deploy")
    assert code == 0
    assert report["summary"]["baselined"] == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 1, "entries": [\n  {"rule": }', "b.json:2:12: not JSON: Expecting value"),
        ('{"version": 1}', 'b.json: expected an object with an "entries" list'),
        ('{"version": 9, "entries": []}', "b.json: unsupported baseline version 9"),
        ('{"version": 1, "entries": [{"rule": "x"}]}', "b.json: entry 1: expected the keys rule"),
        (
            '{"version": 1, "entries": [{"rule": "x", "path": 3, "kind": null, "namespace": null,'
            ' "name": null, "container": null, "setting": null}]}',
            "b.json: entry 1: 'path' must be a string, not 3",
        ),
    ],
)
def test_a_bad_baseline_is_a_clear_error(tree: Path, text: str, message: str):
    (tree / "b.json").write_text(text)
    done = run_process("--baseline", "b.json", "deploy", text=True)
    assert done.returncode == 2
    assert f"seccomp-lint: b.json: {message.removeprefix('b.json').lstrip(': ')}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_or_unwritable_baseline_is_a_clear_error(tree: Path):
    done = run_process("--baseline", "absent.json", "deploy", text=True)
    assert done.returncode == 2
    assert "absent.json: cannot read baseline file: No such file or directory" in done.stderr
    assert "1 input could not be read or built" in done.stdout  # (the report says so too)
    code, report, err = _json("--write-baseline", "no/such/dir.json", "deploy")
    assert code == 2
    assert "cannot write the baseline: No such file or directory" in err
    assert report["summary"]["failed"][0]["path"] == "no/such/dir.json"


# Two containers without a profile: one finding that covers both.
PAIR = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: pair, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          image: app
        - name: log
          image: log
"""
DEBUG = "        - name: debug\n          image: busybox\n"
APP_FIXED = (
    "          image: app\n          securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
)


def _entries(path: Path) -> list[dict]:
    return json.loads(path.read_text())["entries"]


def test_a_finding_over_several_containers_has_an_entry_per_container(tree: Path):
    pair = tree / "deploy/pair.yaml"
    pair.write_text(PAIR)
    code, report, err = _json("--write-baseline", "b.json", pair)
    assert code == 0, err
    assert "wrote 2 baseline entries" in err
    assert report["summary"]["baselined"] == 1
    entries = _entries(tree / "b.json")
    assert [(e["rule"], e["name"], e["container"]) for e in entries] == [
        ("missing-seccomp-profile", "pair", "app"),
        ("missing-seccomp-profile", "pair", "log"),
    ]

    # A third container without a profile: the finding (now of three) is new.
    pair.write_text(PAIR + DEBUG)
    code, report, _ = _json("--baseline", "b.json", pair)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["containers"] == ["app", "log", "debug"]
    # (its recorded containers' entries matched it: they are not gone; the finding is new)
    assert report["summary"]["baseline"] == {"path": "b.json", "matched": 2, "gone": 0}

    # One of the two fixed: what is left was recorded; the fixed one's entry is gone.
    pair.write_text(PAIR.replace("          image: app\n", APP_FIXED))
    code, report, _ = _json("--baseline", "b.json", pair)
    assert code == 0, report
    assert report["summary"]["baseline"] == {"path": "b.json", "matched": 1, "gone": 1}


def test_a_baseline_written_before_entries_per_container_still_matches(tree: Path):
    """A file from before: one entry with container null for a finding of two containers."""
    pair = tree / "deploy/pair.yaml"
    pair.write_text(PAIR)
    old = {
        "rule": "missing-seccomp-profile",
        "path": "deploy/pair.yaml",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "pair",
        "container": None,
        "setting": None,
    }
    (tree / "b.json").write_text(json.dumps({"version": 1, "entries": [old]}))
    code, report, err = _json("--baseline", "b.json", pair)
    assert code == 0, err
    assert report["summary"]["baseline"] == {"path": "b.json", "matched": 1, "gone": 0}
    # Written again, it has an entry per container.
    assert _json("--write-baseline", "b.json", pair)[0] == 0
    assert [e["container"] for e in _entries(tree / "b.json")] == ["app", "log"]


def test_a_file_name_that_is_not_utf8_is_recorded_matched_and_reported(tree: Path):
    """A file name's bytes that are not UTF-8: every report file is written (the name as
    U+FFFD, the file UTF-8 JSON a walk can read again), the baseline records and matches it,
    and a strict stdout does not fail halfway through the JSON report."""
    (tree / os.fsdecode(b"deploy/bad\xe9.yaml")).write_bytes(WEB_POD)
    (tree / "bl.json").write_text("old")
    strict = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    done = run_process("--write-baseline", "bl.json", "deploy", text=True, env=strict)
    assert done.returncode == 0, done.stderr
    paths = {e["path"] for e in _entries(tree / "bl.json")}
    assert "deploy/bad\ufffd.yaml" in paths
    code, report, err = _json("--baseline", "bl.json", ".")  # (bl.json is read by the walk too)
    assert (code, report["findings"]) == (0, []), err
    reports = ["-o", "out.json", "--sarif-file", "s.sarif", "--summary-file", "sum.md"]
    for fmt in ("json", "gitlab", "markdown"):
        done = run_process("--format", fmt, *reports, "deploy", text=True, env=strict)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        text = (tree / "out.json").read_text(encoding="utf-8")
        assert "bad\ufffd.yaml" in text
        if fmt != "markdown":
            json.loads(text)
    assert "bad\ufffd.yaml" in (tree / "sum.md").read_text(encoding="utf-8")
    json.loads((tree / "s.sarif").read_text(encoding="utf-8"))
    done = run_process("--format", "json", "deploy", env=strict)  # (the name's bytes, as ls)
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr
    assert b'"path": "deploy/bad\xe9.yaml"' in done.stdout


def test_a_baseline_that_cannot_be_written_keeps_the_old_one(tree: Path, monkeypatch):
    """The baseline is replaced whole or not at all: a failing write leaves the committed one."""
    (tree / "bl.json").write_text('{"version": 1, "entries": []}\n')

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    result = run_cli("--write-baseline", "bl.json", "deploy")
    assert result.code == 2
    assert "cannot write the baseline: cannot write it: No space left" not in result.stderr
    assert "cannot write the baseline: No space left on device" in result.stderr, result.stderr
    assert (tree / "bl.json").read_text() == '{"version": 1, "entries": []}\n'
    assert [p.name for p in tree.iterdir() if p.name.startswith(".bl.json")] == []


def test_a_run_that_could_not_check_every_input_does_not_rewrite_the_baseline(tree: Path):
    """A failed run (an input not read or built) would drop that input's entries: the baseline
    is left as it is, and the run says so."""
    code, _, _ = _json("--write-baseline", "bl.json", "deploy")
    before = (tree / "bl.json").read_text()
    assert code == 0 and len(_entries(tree / "bl.json")) == 3
    code, _, err = _json("--write-baseline", "bl.json", "deploy", "missing.yaml")
    assert code == 2
    assert "bl.json not written: the run could not check every input" in err
    assert (tree / "bl.json").read_text() == before


def test_entries_of_files_a_run_did_not_read_are_not_gone(tree: Path):
    """A run over some files (pre-commit's staged ones) says nothing of the other files'
    entries; those of a file that is no more are gone."""
    code, _, _ = _json("--write-baseline", "bl.json", "deploy")
    assert code == 0
    code, report, _ = _json("--baseline", "bl.json", "deploy/web.yaml")
    assert code == 0 and report["summary"]["baseline"]["gone"] == 0, report["summary"]
    (tree / "deploy" / "apps.yaml").unlink()
    code, report, _ = _json("--baseline", "bl.json", "deploy/web.yaml")
    assert code == 0 and report["summary"]["baseline"]["gone"] == 2, report["summary"]


def test_a_baseline_that_cannot_be_read_is_a_failure_in_every_report(tree: Path):
    """A missing (not committed) or broken baseline fails the run (exit 2) like any input
    that cannot be read: every report asked for is written, with the failure in it."""
    args = ["--sarif-file", "out.sarif", "-o", "rep.json", "--summary-file", "sum.md"]
    done = run_process("--format", "json", *args, "--baseline", "missing.json", "deploy")
    assert done.returncode == 2, done.stderr
    assert b"missing.json: cannot read baseline file" in done.stderr
    report = json.loads((tree / "rep.json").read_text())
    assert report["summary"]["failed"][0]["path"] == "missing.json"
    (run,) = json.loads((tree / "out.sarif").read_text())["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "missing.json" in (tree / "sum.md").read_text()


def test_a_diff_does_not_write_a_baseline(tree: Path):
    """--diff writes nothing: a baseline of the files as it would leave them would be wrong."""
    done = run_process("--diff", "--write-baseline", "bl.json", "deploy", text=True)
    assert done.returncode == 2 and "run it without --diff" in done.stderr, done.stderr
    assert not (tree / "bl.json").exists()


def test_fix_and_diff_leave_baselined_findings_as_a_plain_run_does(tree: Path):
    """A baseline is accepted debt, as a suppression is: --fix and --diff fix only what a
    plain run reports, and count as it does."""
    assert _json("--write-baseline", "bl.json", "deploy")[0] == 0
    (tree / "deploy" / "new.yaml").write_text(BARE_POD)
    before = {p.name: p.read_bytes() for p in (tree / "deploy").iterdir()}
    code, report, _ = _json("--baseline", "bl.json", "deploy")
    assert code == 1 and [f["path"] for f in report["findings"]] == ["deploy/new.yaml"]
    found = report["summary"]["findings"]
    done = run_process("--baseline", "bl.json", "--diff", "deploy", text=True)
    assert done.returncode == 1 and "+++ b/deploy/new.yaml" in done.stdout
    assert done.stdout.count("+++ ") == 1, done.stdout
    assert f"Would fix {found} finding" in done.stderr, done.stderr
    code, report, _ = _json("--baseline", "bl.json", "--fix", "deploy")
    assert code == 0 and report["summary"]["fixed"] == found, report["summary"]
    after = {p.name: p.read_bytes() for p in (tree / "deploy").iterdir()}
    assert {n for n in before if after[n] != before[n]} == {"new.yaml"}
    assert report["summary"]["baseline"]["gone"] == 0


def test_matched_counts_entries_and_a_version_must_be_the_integer(tree: Path):
    """``matched`` and ``gone`` count entries (they add up to the file's), ``baselined`` the
    findings not reported; a ``"version": true`` is not version 1."""
    (tree / "deploy" / "pair.yaml").write_text(PAIR)
    assert _json("--write-baseline", "b.json", "deploy")[0] == 0
    entries = len(_entries(tree / "b.json"))
    code, report, _ = _json("--baseline", "b.json", "deploy")
    summary = report["summary"]
    assert code == 0 and summary["baseline"]["matched"] == entries == summary["baselined"] + 1
    text = (tree / "b.json").read_text().replace('"version": 1', '"version": true')
    (tree / "b.json").write_text(text)
    code, _, err = _json("--baseline", "b.json", "deploy")
    assert code == 2 and "unsupported baseline version True" in err, err


def test_the_baseline_file_is_not_linted_as_a_manifest(tree: Path):
    """A walk that reaches the baseline (a .json file at the root) does not count it."""
    assert _json("--write-baseline", "bl.json", ".")[0] == 0
    code, report, _ = _json("--baseline", "bl.json", ".")
    assert (code, report["summary"]["files"]) == (0, 2), report["summary"]


def test_fix_with_a_baseline_that_cannot_be_read_changes_nothing(tree: Path):
    """Not knowing which findings the baseline records, --fix fixes none (exit 2, reported)."""
    (tree / "bl.json").write_text('{"version": 1, "entries": [\n')
    before = {p.name: p.read_bytes() for p in (tree / "deploy").iterdir()}
    done = run_process("--fix", "--baseline", "bl.json", "deploy", text=True)
    assert done.returncode == 2 and "bl.json" in done.stderr and "not JSON" in done.stderr
    assert {p.name: p.read_bytes() for p in (tree / "deploy").iterdir()} == before


def test_a_file_that_does_not_parse_is_never_baselined_nor_its_entries_gone(tree: Path):
    """A syntax error is no debt to keep (the file was not read): it is not recorded, never
    matched, and the entries of the file it breaks are not "matching nothing"."""
    apps = tree / "deploy/apps.yaml"
    assert _json("--write-baseline", "bl.json", "deploy")[0] == 0
    apps.write_text(APPS.replace("name: cart", "name: [cart"))
    code, report, _ = _json("--baseline", "bl.json", "deploy")
    assert code == 1 and {f["rule"] for f in report["findings"]} == {"yaml-syntax-error"}
    assert report["summary"]["baseline"]["gone"] == 0, report["summary"]
    assert _json("--write-baseline", "bl.json", "deploy")[0] == 1  # (the error is still new)
    assert all(e["rule"] != "yaml-syntax-error" for e in _entries(tree / "bl.json"))


@pytest.mark.parametrize(
    "args", [("--select", "missing-seccomp-profile"), ("--ignore", "unconfined-seccomp-profile")]
)
def test_entries_of_rules_a_run_did_not_run_are_not_gone(tree: Path, args: tuple[str, ...]):
    """A run with some rules says nothing of the others' entries (not "matching nothing")."""
    assert _json("--write-baseline", "bl.json", "deploy")[0] == 0
    code, report, _ = _json("--baseline", "bl.json", *args, "deploy")
    assert (code, report["summary"]["baseline"]["gone"]) == (0, 0), report["summary"]
