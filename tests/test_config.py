"""The config file: discovery, schema validation and its messages, merging under the command
line, exclude and per-path ignores, and the validation cache that keeps jsonschema off the fast path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import BARE_POD as MISSING
from conftest import REPO, imported_by_a_run, run_cli

from seccomp_lint.cli import FORMAT_NAMES, build_parser
from seccomp_lint.lint import config

SCHEMA = json.loads((REPO / "schemas/config.schema.json").read_text())

# Legacy annotation only: clean below 1.27 at baseline, two findings at 1.27+.
ANNOTATED = """\
apiVersion: v1
kind: Pod
metadata:
  name: old
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  containers:
    - name: app
      image: nginx
"""


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    """Each test in an empty repository (``.git`` stops the search) with its own cache."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "repo"


def rules(findings: list[dict]) -> list[str]:
    return [f["rule"] for f in findings]


# --- discovery ---------------------------------------------------------------------------------


def test_found_from_a_subdirectory(workdir, monkeypatch):
    (workdir / ".seccomp-lint.yaml").write_text("level: baseline\n")
    (workdir / "deploy").mkdir()
    (workdir / "deploy/pod.yaml").write_text(MISSING)
    monkeypatch.chdir(workdir / "deploy")
    assert config.find() == str(workdir / ".seccomp-lint.yaml")
    assert run_cli("pod.yaml").verdict == (0, [])


def test_search_stops_at_the_repository_root(workdir, tmp_path):
    (tmp_path / ".seccomp-lint.yaml").write_text("level: baseline\n")  # above the repository
    (workdir / "a/b").mkdir(parents=True)
    assert config.find(str(workdir / "a/b")) is None
    (workdir / ".seccomp-lint.yml").write_text("level: baseline\n")  # the root itself is checked
    assert config.find(str(workdir / "a/b")) == str(workdir / ".seccomp-lint.yml")


def test_search_ends_at_the_filesystem_root(tmp_path):
    outside = tmp_path / "no-repo" / "x"
    outside.mkdir(parents=True)
    found = config.find(str(outside))
    assert found is None or not found.startswith(str(tmp_path))


def test_explicit_config(workdir, tmp_path):
    other = tmp_path / "elsewhere.yaml"
    other.write_text("level: baseline\n")
    (workdir / "pod.yaml").write_text(MISSING)
    assert run_cli("--config", str(other), "pod.yaml").verdict == (0, [])
    result = run_cli("--config", str(tmp_path / "nope.yaml"), "pod.yaml")
    assert result.code == 2 and "nope.yaml" in result.stderr


# --- merging -----------------------------------------------------------------------------------


def test_command_line_overrides_config(workdir):
    (workdir / ".seccomp-lint.yaml").write_text(
        'level: baseline\nkube-version: "1.26"\nignore: [deprecated-seccomp-annotation]\n'
    )
    (workdir / "pod.yaml").write_text(MISSING)
    (workdir / "old.yaml").write_text(ANNOTATED)
    assert run_cli("pod.yaml", "old.yaml").verdict == (0, [])
    assert rules(run_cli("--level", "restricted", "pod.yaml").findings) == [
        "missing-seccomp-profile"
    ]
    # Below 1.27 the annotation still sets the profile; from 1.27 it does not.
    assert run_cli("--level", "restricted", "old.yaml").verdict == (0, [])
    found = run_cli("--level", "restricted", "--kube-version", "1.30", "old.yaml").findings
    assert rules(found) == ["missing-seccomp-profile"]


def test_rule_lists_as_string_or_list(workdir):
    (workdir / "pod.yaml").write_text(ANNOTATED)
    for value in (
        '"deprecated-seccomp-annotation, missing-seccomp-profile"',
        "[deprecated-seccomp-annotation, missing-seccomp-profile]",
    ):
        (workdir / ".seccomp-lint.yaml").write_text(f"ignore: {value}\n")
        assert run_cli("pod.yaml").verdict == (0, [])
    (workdir / ".seccomp-lint.yaml").write_text("select: [missing-seccomp-profile]\n")
    assert rules(run_cli("pod.yaml").findings) == ["missing-seccomp-profile"]
    # --ignore on the command line replaces the file's list
    (workdir / ".seccomp-lint.yaml").write_text("ignore: [missing-seccomp-profile]\n")
    found = run_cli("--ignore", "yaml-syntax-error", "pod.yaml").findings
    assert "missing-seccomp-profile" in rules(found)


def test_flags_and_format_from_config(workdir):
    (workdir / ".seccomp-lint.yaml").write_text("format: github\nquiet: true\nstatistics: true\n")
    (workdir / "pod.yaml").write_text(MISSING)
    result = run_cli("pod.yaml", fmt=None)
    assert result.code == 1
    out, err = result.stdout, result.stderr
    assert out.splitlines() == [out.splitlines()[0]]  # quiet: no summary line
    assert out.startswith("::error file=pod.yaml,")
    assert err == "1  missing-seccomp-profile\n"  # statistics beside a machine format: stderr
    result = run_cli("pod.yaml", fmt="text")
    assert result.code == 1
    # The command line's format wins; with the file's statistics, text is only the counts.
    assert result.stdout == "1  missing-seccomp-profile\n"


def test_exclude(workdir, monkeypatch):
    (workdir / ".seccomp-lint.yaml").write_text(
        "exclude:\n  - vendor\n  - deploy/legacy/**\n  - '*.skip.yaml'\n"
    )
    for path in (
        "vendor/x/pod.yaml",
        "deploy/legacy/a/pod.yaml",
        "deploy/a.skip.yaml",
        "deploy/pod.yaml",
        "legacy/pod.yaml",
    ):
        (workdir / path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / path).write_text(MISSING)
    paths = sorted({f["path"] for f in run_cli(".").findings})
    assert paths == ["deploy/pod.yaml", "legacy/pod.yaml"]
    # Explicit files, as pre-commit passes them, are excluded too, also from a subdirectory.
    assert run_cli("vendor/x/pod.yaml", "deploy/a.skip.yaml").verdict == (0, [])
    monkeypatch.chdir(workdir / "deploy")
    assert run_cli("legacy/a/pod.yaml").verdict == (0, [])


def test_per_path_ignores(workdir):
    (workdir / ".seccomp-lint.yaml").write_text(
        "per-path-ignores:\n"
        "  'legacy/**': [missing-seccomp-profile]\n"
        "  old.yaml: deprecated-seccomp-annotation\n"
    )
    (workdir / "legacy").mkdir()
    (workdir / "legacy/pod.yaml").write_text(MISSING)
    (workdir / "pod.yaml").write_text(MISSING)
    (workdir / "old.yaml").write_text(ANNOTATED)
    found = {
        (f["path"], f["rule"]) for f in run_cli("legacy/pod.yaml", "pod.yaml", "old.yaml").findings
    }
    assert ("pod.yaml", "missing-seccomp-profile") in found
    assert not any(p == "legacy/pod.yaml" for p, _ in found)
    assert ("old.yaml", "deprecated-seccomp-annotation") not in found


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("vendor", ["vendor/a.yaml", "x/vendor/b/c.yaml", "vendor"], ["vendors/a.yaml"]),
        ("*.json", ["a.json", "d/e/a.json"], ["a.yaml", "a.json.yaml"]),
        ("deploy/*.yaml", ["deploy/a.yaml"], ["x/deploy/a.yaml", "deploy/a.yml"]),
        ("deploy/**/prod.yaml", ["deploy/prod.yaml", "deploy/a/b/prod.yaml"], ["prod.yaml"]),
        ("/top.yaml", ["top.yaml"], ["d/top.yaml"]),
        ("charts/", ["charts/x/templates/a.yaml"], ["mycharts/a.yaml"]),
        ("a?[0-9].yaml", ["ab1.yaml"], ["ab.yaml", "abc.yaml"]),
        ("a[!0-9].yaml", ["ab.yaml"], ["a1.yaml"]),
    ],
)
def test_globs(pattern, matches, misses):
    """exclude and per-path-ignores patterns have gitignore semantics (pathspec)."""
    spec = config.patterns([pattern])
    assert all(spec.match_file(p) for p in matches), pattern
    assert not any(spec.match_file(p) for p in misses), pattern


# --- validation errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("levle: baseline\n", ["unknown key 'levle'", "did you mean 'level'"]),
        ("level: strict\n", ["key 'level'", "'strict'", "restricted, baseline"]),
        ("jobs: many\n", ["key 'jobs'", "expected integer", "'many'"]),
        ("kube-version: 1.30\n", ["key 'kube-version'", 'quote it: kube-version: "1.30"']),
        ("kube-version: latest\n", ["key 'kube-version'", "'latest'"]),
        ("require-runtime-default: maybe\n", ["key 'require-runtime-default'", "boolean"]),
        ("ignore: [no-such-rule]\n", ["key 'ignore'", "unknown rule id 'no-such-rule'"]),
        ("ignore: 42\n", ["key 'ignore'", "rule ids"]),
        (
            "per-path-ignores: {'a/**': [nope]}\n",
            ["per-path-ignores/a/**", "unknown rule id 'nope'"],
        ),
        ("exclude: vendor\n", ["key 'exclude'", "expected array"]),
        ("- level\n", ["expected a mapping"]),
        ("level: [unclosed\n", ["cannot parse"]),
        ("1: x\n", ["key 1 is not a string"]),
        # A chart key mistyped would render the chart with its defaults only, silently.
        ("charts: {charts/web: {values: [prod.yaml]}}\n", ["charts: 'charts/web' is not a chart"]),
        ("charts: {c/charts/sub: {values: [p.yaml]}}\n", ["charts: 'c/charts/sub' is a subchart"]),
    ],
)
def test_invalid_config_names_key_and_file(workdir, content, expected):
    for chart in ("c", "c/charts/sub"):  # (a chart and its subchart)
        (workdir / chart).mkdir(parents=True)
        (workdir / chart / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    path = workdir / ".seccomp-lint.yaml"
    path.write_text(content)
    (workdir / "pod.yaml").write_text(MISSING)
    for _ in range(2):  # a bad file is never cached as good
        result = run_cli("pod.yaml")
        assert result.code == 2 and result.findings == []
        assert str(path) in result.stderr
        for text in expected:
            assert text in result.stderr, result.stderr


def test_every_problem_is_reported(workdir):
    (workdir / ".seccomp-lint.yaml").write_text("jobs: x\nlevel: 3\nfoo: 1\n")
    result = run_cli(".")
    assert result.code == 2
    err = result.stderr
    assert "'foo'" in err and "key 'jobs'" in err and "key 'level'" in err


def test_empty_config_is_fine(workdir):
    (workdir / ".seccomp-lint.yaml").write_text("# nothing yet\n")
    (workdir / "pod.yaml").write_text(MISSING)
    assert run_cli("pod.yaml").code == 1


def test_relative_profiles_dir_is_resolved_from_the_config_file(workdir):
    (workdir / ".seccomp-lint.yaml").write_text("profiles-dir: profiles\n")
    loaded = config.load(str(workdir / ".seccomp-lint.yaml"))
    assert loaded.options["profiles-dir"] == str(workdir / "profiles")


# --- the schema and the command line agree ------------------------------------------------------


def test_schema_keys_are_long_options():
    parser = build_parser()
    options = {s[2:]: a for a in parser._actions for s in a.option_strings if s.startswith("--")}
    for key, spec in SCHEMA["properties"].items():
        if key in config.FILE_ONLY_KEYS:
            continue
        assert key in options, f"config key {key!r} has no --{key} option"
        action = options[key]
        if action.choices:
            assert spec["enum"] == list(action.choices), key
        if action.nargs == 0:
            assert spec["type"] == "boolean", key
    assert SCHEMA["properties"]["format"]["enum"] == list(FORMAT_NAMES)


def test_documented_keys_match_schema():
    doc = (REPO / "docs/integration.md").read_text()
    for key in SCHEMA["properties"]:
        assert f"`{key}`" in doc, f"docs/integration.md does not document {key!r}"


# --- start-up cost -----------------------------------------------------------------------------


def _imports_jsonschema(cwd: Path, env_cache: Path, *args: str) -> bool:
    env = {**os.environ, "XDG_CACHE_HOME": str(env_cache)}
    return imported_by_a_run("jsonschema", *args, cwd=cwd, env=env)[0]


def test_jsonschema_only_imported_for_a_new_config(workdir, tmp_path):
    (workdir / "pod.yaml").write_text(MISSING)
    cache = tmp_path / "cache"
    assert not _imports_jsonschema(workdir, cache, "pod.yaml"), "no config: no jsonschema"
    (workdir / ".seccomp-lint.yaml").write_text("level: baseline\n")
    assert _imports_jsonschema(workdir, cache, "pod.yaml"), "a new config is validated"
    assert not _imports_jsonschema(workdir, cache, "pod.yaml"), "an unchanged config is not"
    (workdir / ".seccomp-lint.yaml").write_text("level: restricted\n")
    assert _imports_jsonschema(workdir, cache, "pod.yaml"), "an edited config is validated again"


def test_unwritable_cache_still_validates(workdir, tmp_path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    (workdir / ".seccomp-lint.yaml").write_text("level: baseline\n")
    (workdir / "pod.yaml").write_text(MISSING)
    assert run_cli("pod.yaml").verdict == (0, [])
    (workdir / ".seccomp-lint.yaml").write_text("levle: baseline\n")
    assert run_cli("pod.yaml").code == 2
