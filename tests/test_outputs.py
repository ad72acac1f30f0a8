"""Report formats: JSON against its published schema, SARIF against the official one, GitHub
workflow commands that manifest content cannot break out of, Markdown, --quiet, --statistics,
colour."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from conftest import BARE_POD as MISSING
from conftest import REPO, SARIF_SCHEMA_PATH, SHARED, run_cli

from seccomp_lint import __version__
from seccomp_lint.model.data import Edit, Finding, Fix, ObjectRef, Pos
from seccomp_lint.output.formats import FORMATS, Display, emit
from seccomp_lint.output.report import Run, finding_dict, finding_json
from seccomp_lint.rules import BY_ID, markdown

EXAMPLES = sorted(str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("*.yaml"))
OUTPUT_SCHEMA = json.loads((REPO / "schemas/output.schema.json").read_text())

# A Deployment whose name and container name try to start workflow commands of their own.
HOSTILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "web\\n::error file=x::pwned\\r\\n::add-mask::%0A"
spec:
  template:
    metadata:
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      securityContext:
        seccompProfile:
          type: Unconfined
      containers:
        - name: "a,b:c\\n::warning::x"
          image: nginx
          securityContext:
            seccompProfile: {type: runtimedefault}
"""


@pytest.fixture(autouse=True)
def _no_config(tmp_path_factory, monkeypatch):
    """No user config or cache leaks in."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


# --- JSON ------------------------------------------------------------------------------------


def _fixed_finding(path: str = "deploy.yaml") -> Finding:
    return Finding(
        rule="missing-seccomp-profile",
        path=path,
        line=5,
        column=3,
        message='Pod/web: container "app" has no seccomp profile',
        help="add seccompProfile: {type: RuntimeDefault}",
        object=ObjectRef("Pod", "web", "prod", 0),
        container="app",
        fix=Fix(
            "add a pod-level RuntimeDefault profile",
            "safe",
            (Edit(Pos(4, 1), Pos(4, 1), "  securityContext:\n    seccompProfile: {}\n"),),
        ),
    )


def test_json_of_examples_matches_schema(in_repo):
    code, out, _ = run_cli(*EXAMPLES, fmt="json").output
    assert code == 1
    report = json.loads(out)
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(report)
    assert report["findings"]


def test_json_edge_cases_match_schema(tmp_path, monkeypatch):
    """Null object (syntax error), Helm source, skipped template, control characters."""
    monkeypatch.chdir(tmp_path)
    Path("hostile.yaml").write_text(HOSTILE)
    Path("broken.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: {containers: [\n")
    Path("rendered.yaml").write_text("---\n# Source: chart/templates/pod.yaml\n" + MISSING)
    Path("templates").mkdir()
    Path("templates/t.yaml").write_text("kind: Pod\nspec:\n  containers: {{ .Values.c }}\n")
    code, out, _ = run_cli(".", fmt="json").output
    report = json.loads(out)
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(report)
    rules = {f["rule"] for f in report["findings"]}
    assert {"yaml-syntax-error", "unconfined-seccomp-profile", "missing-seccomp-profile"} <= rules
    assert any(f["object"] is None for f in report["findings"])
    assert any(f["source"] for f in report["findings"])
    assert report["summary"]["skipped"]
    assert code == 1


def test_json_fix_matches_schema():
    run = Run(findings=[_fixed_finding()], files=1, documents=1)
    out = io.StringIO()
    FORMATS["json"](run, out)
    report = json.loads(out.getvalue())
    jsonschema.Draft202012Validator(OUTPUT_SCHEMA).validate(report)
    assert report["findings"][0]["fix"]["edits"][0]["start"] == {"line": 4, "column": 1}


def test_output_schema_names_every_field():
    """The schema and finding_dict list the same keys, so neither drifts alone."""
    finding = OUTPUT_SCHEMA["$defs"]["finding"]
    assert (
        set(finding["required"])
        == set(finding["properties"])
        == set(finding_dict(_fixed_finding()))
    )


def test_a_finding_line_is_what_json_encodes() -> None:
    """The JSON report's template writes each finding as ``json`` encodes ``finding_dict``:
    every fixture's findings, with fixes, admission facts (``--level namespace``), Helm sources,
    hostile names and text outside ASCII."""
    from seccomp_lint.lint.linter import lint_bytes
    from seccomp_lint.model.data import Level, Options, Source

    encode = json.JSONEncoder(ensure_ascii=False).encode
    texts = [p.read_bytes() for p in sorted((REPO / "tests/fixtures").rglob("*.yaml"))]
    texts.append(HOSTILE.replace("web", "wëb\u2028\x01").encode())
    findings = [
        f
        for options in (Options(), Options(level=Level.NAMESPACE, kube_version=(1, 26)))
        for data in texts
        for f in lint_bytes(data, "dir/ü.yaml", options).findings
    ]
    findings.append(replace(findings[0], source=Source("chart/templates/x.yaml", 3)))
    assert len(findings) > 400 and any(f.admission for f in findings)
    assert any(f.fix and f.fix.edits for f in findings) and any(f.fix is None for f in findings)
    assert [finding_json(f) for f in findings] == [encode(finding_dict(f)) for f in findings]


# --- SARIF -----------------------------------------------------------------------------------


def _sarif(*args: str) -> tuple[int, dict]:
    code, out, _ = run_cli(*args, fmt="sarif").output
    return code, json.loads(out)


def _validate_sarif(log: dict) -> None:
    if not SARIF_SCHEMA_PATH.exists():
        pytest.skip(f"no SARIF schema at {SARIF_SCHEMA_PATH}")
    schema = json.loads(SARIF_SCHEMA_PATH.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)


def test_sarif_of_examples_validates(in_repo):
    code, log = _sarif(*EXAMPLES)
    assert code == 1
    _validate_sarif(log)
    assert log["runs"][0]["results"]


def test_sarif_with_fixes_and_edge_cases_validates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("hostile.yaml").write_text(HOSTILE)
    Path("broken.yaml").write_text("kind: Pod\nspec: {containers: [\n")
    Path("templates").mkdir()
    Path("templates/t.yaml").write_text("kind: Pod\nspec:\n  containers: {{ .Values.c }}\n")
    _, log = _sarif(".")
    _validate_sarif(log)
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("unrendered template" in n["message"]["text"] for n in notes)
    run = Run(findings=[_fixed_finding(), _fixed_finding("/abs/dir/a b.yaml")], files=2)
    out = io.StringIO()
    FORMATS["sarif"](run, out)
    _validate_sarif(json.loads(out.getvalue()))


def test_sarif_text_is_what_json_writes_indented(in_repo, monkeypatch):
    """The SARIF writer's own indenting encoder writes, byte for byte, what
    ``json.dump(sarif_log(run), indent=2, ensure_ascii=False)`` writes: findings with fixes,
    sources, absolute and encoded paths, notices, control characters and non-ASCII text."""
    from seccomp_lint.lint.linter import lint_bytes
    from seccomp_lint.model.data import Level, Options, Source
    from seccomp_lint.output.sarif import sarif_log

    findings = []
    for path in [*EXAMPLES, "tests/fixtures"]:
        for name in sorted(Path(path).rglob("*.yaml")) if Path(path).is_dir() else [Path(path)]:
            findings += lint_bytes(name.read_bytes(), str(name), Options(fixes=True)).findings
    findings += [_fixed_finding("/abs/dir/a b.yaml"), _fixed_finding("é/ü\u2028.yaml")]
    rendered = Finding("missing-seccomp-profile", "<stdin>", 3, 1, "m\x1b[0m", "h\t")
    findings += [rendered.__class__(**{**rendered.__dict__, "source": Source("t/x.yaml", 7)})]
    findings += [replace(findings[0], source=Source("chart/templates/x.yaml", None))]
    findings += [replace(findings[1], object=ObjectRef(None, None, None, 0), rule="no-such-rule")]
    namespaced = Options(fixes=True, level=Level.NAMESPACE, kube_version=(1, 26))
    for name in sorted(Path("tests/fixtures/admission").rglob("*.yaml")):
        findings += lint_bytes(name.read_bytes(), str(name), namespaced).findings
    assert len(findings) > 200 and any(f.fix and f.fix.edits for f in findings)
    assert any(f.admission for f in findings) and any(
        len(f.fix.edits) > 1 for f in findings if f.fix
    )
    run = Run(findings, files=3, skipped=[("a\nb.yaml", "why")], errors=[("-", "bad \x00")])
    for root in (None, str(SHARED.parent)):
        if root:
            monkeypatch.setenv("GITHUB_WORKSPACE", root)
        out = io.StringIO()
        FORMATS["sarif"](run, out)
        expected = json.dumps(sarif_log(run), indent=2, ensure_ascii=False) + "\n"
        assert out.getvalue() == expected


def test_sarif_driver_and_rules(in_repo):
    _, log = _sarif(*EXAMPLES)
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "seccomp-lint"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == list(BY_ID)
    # docs/rules.md is generated by rules.markdown(); its sync is tested with the docs.
    anchors = set(re.findall(r"^## ([a-z0-9-]+)$", markdown(), re.M))
    for rule in driver["rules"]:
        module = BY_ID[rule["id"]]
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"].startswith(rule["shortDescription"]["text"])
        assert rule["helpUri"].endswith(f"/docs/rules.md#{rule['id']}")
        assert rule["id"] in anchors, f"docs/rules.md has no section for {rule['id']}"
        expected = "warning" if module.SEVERITY == "warning" else "error"
        assert rule["defaultConfiguration"]["level"] == expected


def test_sarif_results_locate_findings(in_repo):
    _, json_out, _ = run_cli(*EXAMPLES, fmt="json").output
    findings = json.loads(json_out)["findings"]
    _, log = _sarif(*EXAMPLES)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == len(findings)
    for result, finding in zip(results, findings):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == finding["rule"]
        assert result["level"] == finding["severity"]
        assert result["message"]["text"].startswith(finding["message"])
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == finding["path"]
        assert location["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
        }
        assert ("fixes" in result) == (finding["fix"] is not None)


def test_sarif_fix_replacements():
    out = io.StringIO()
    FORMATS["sarif"](Run(findings=[_fixed_finding()], files=1), out)
    (result,) = json.loads(out.getvalue())["runs"][0]["results"]
    (change,) = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "deploy.yaml"
    (replacement,) = change["replacements"]
    region = {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 1}
    assert replacement["deletedRegion"] == region
    assert replacement["insertedContent"]["text"].startswith("  securityContext:")


def test_sarif_uris_are_encoded():
    out = io.StringIO()
    findings = [_fixed_finding("dir/a b#c.yaml"), _fixed_finding("/x/y z.yaml")]
    FORMATS["sarif"](Run(findings=findings), out)
    results = json.loads(out.getvalue())["runs"][0]["results"]
    first = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {"uri": "dir/a%20b%23c.yaml", "uriBaseId": "%SRCROOT%"}
    second = results[1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert second["uri"].startswith("file:///") and unquote(second["uri"]).endswith("/x/y z.yaml")


def _fingerprints(log: dict) -> list[str]:
    return [r["partialFingerprints"]["seccompLint/v1"] for r in log["runs"][0]["results"]]


def test_sarif_fingerprints_survive_moved_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(HOSTILE + "---\n" + MISSING)
    _, before = _sarif("m.yaml")
    Path("m.yaml").write_text("# a comment\n# and another\n" + HOSTILE + "---\n" + MISSING)
    _, after = _sarif("m.yaml")
    lines = lambda log: [  # noqa: E731
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in log["runs"][0]["results"]
    ]
    assert [n + 2 for n in lines(before)] == lines(after)
    assert _fingerprints(before) == _fingerprints(after)
    assert len(set(_fingerprints(before))) == len(_fingerprints(before)), "fingerprints collide"


def test_sarif_fingerprint_changes_with_object(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(MISSING)
    _, one = _sarif("m.yaml")
    Path("m.yaml").write_text(MISSING.replace("name: bare", "name: other"))
    _, two = _sarif("m.yaml")
    assert _fingerprints(one) != _fingerprints(two)


# --- GitHub workflow commands ------------------------------------------------------------------

_COMMAND = re.compile(r"^::(error|warning) ([^:]*)::(.*)$")


def _unescape(value: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: chr(int(m.group(1), 16)), value)


def _shown(value: str) -> str:
    return value.replace("\r", "\\r").replace("\n", "\\n")


def test_github_annotations_cannot_be_injected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "we,ird:na%me\n::error::x.yaml"
    Path(name).write_text(HOSTILE)
    code, out, _ = run_cli(name, fmt="github").output
    _, json_out, _ = run_cli(name, fmt="json").output
    findings = json.loads(json_out)["findings"]
    assert code == 1 and len(findings) >= 3
    lines = out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    # One command per finding and nothing else: no value started a line of its own.
    assert len(commands) == len(findings)
    assert len(lines) == len(findings) + 1 and lines[-1].startswith(f"Found {len(findings)} ")
    for line, finding in zip(commands, findings):
        match = _COMMAND.match(line)
        assert match, line
        kind, props, message = match.groups()
        assert kind == finding["severity"]
        assert "\r" not in line
        fields = dict(p.split("=", 1) for p in props.split(","))
        assert set(fields) == {"file", "line", "col", "title"}
        # A line break from the manifest or the file name is shown as \n, never passed through.
        assert _unescape(fields["file"]) == _shown(name)
        assert fields["line"] == str(finding["line"]) and fields["col"] == str(finding["column"])
        assert _unescape(fields["title"]) == f"seccomp-lint {finding['rule']}"
        assert _unescape(message).startswith(_shown(finding["message"]))
        assert _unescape(message).count("\n") == (1 if "\nhelp: " in _unescape(message) else 0)


def test_github_warning_severity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(HOSTILE)
    _, out, _ = run_cli("m.yaml", fmt="github").output
    assert any(line.startswith("::warning file=m.yaml,") for line in out.splitlines())
    assert any(line.startswith("::error file=m.yaml,") for line in out.splitlines())


# --- Markdown, --summary-file, --sarif-file ----------------------------------------------------


def test_summary_and_sarif_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(HOSTILE)
    Path("summary.md").write_text("earlier step\n")
    code, out, _ = run_cli(
        "--summary-file", "summary.md", "--sarif-file", "out.sarif", "m.yaml", fmt="github"
    ).output
    assert code == 1
    n = sum(line.startswith("::") for line in out.splitlines())
    summary = Path("summary.md").read_text()
    assert summary.startswith("earlier step\n"), "the summary file is appended to"
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "[" in line]
    assert len(rows) == n
    for row in rows:
        # Each row keeps 7 cells: pipes and line breaks from the manifest are escaped.
        assert len(re.split(r"(?<!\\)\|", row)) == 9
    assert "<" not in summary.replace("&lt;", "")
    assert len(json.loads(Path("out.sarif").read_text())["runs"][0]["results"]) == n


def test_unwritable_report_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(MISSING)
    code, _, err = run_cli("--sarif-file", "no/such/dir/x.sarif", "m.yaml", fmt=None).output
    assert code == 2 and "cannot write" in err


# --- --quiet, --statistics, colour -------------------------------------------------------------


def test_quiet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("clean.yaml").write_text("kind: ConfigMap\nmetadata: {name: x}\n")
    Path("m.yaml").write_text(MISSING)
    Path("templates").mkdir()
    Path("templates/t.yaml").write_text("kind: Pod\nspec:\n  containers: {{ .Values.c }}\n")
    assert run_cli("--quiet", "clean.yaml", "templates", fmt=None).output == (0, "", "")
    code, out, _ = run_cli("--quiet", "m.yaml", fmt=None).output
    assert code == 1
    assert out.startswith("m.yaml:5:3: missing-seccomp-profile")
    assert "Found" not in out


def test_statistics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(HOSTILE + "---\n" + MISSING + "---\n" + MISSING.replace("bare", "b2"))
    code, out, _ = run_cli("--statistics", "--quiet", "m.yaml", fmt=None).output
    assert code == 1
    stats = [line for line in out.splitlines() if not line.startswith(("m.yaml", "  "))]
    assert stats[0].split() == ["2", "missing-seccomp-profile"]
    assert {tuple(s.split()) for s in stats[1:]} >= {("1", "unconfined-seccomp-profile")}
    code, out, err = run_cli("--statistics", "m.yaml", fmt="json").output
    json.loads(out)  # stdout stays parseable
    assert "2  missing-seccomp-profile" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    run = Run(findings=[_fixed_finding()], files=1)
    tty, pipe = _Terminal(), io.StringIO()
    emit(run, "text", Display(), tty, io.StringIO())
    emit(run, "text", Display(), pipe, io.StringIO())
    assert "\033[" in tty.getvalue()
    assert "\033[" not in pipe.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    tty = _Terminal()
    emit(run, "text", Display(), tty, io.StringIO())
    assert "\033[" not in tty.getvalue()
    tty = _Terminal()
    emit(run, "json", Display(), tty, io.StringIO())
    assert "\033[" not in tty.getvalue()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_real_terminal(tmp_path):
    import pty

    (tmp_path / "m.yaml").write_text(MISSING)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")

    def run(extra_env: dict) -> bytes:
        main_fd, child_fd = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "seccomp_lint", "m.yaml"],
            cwd=tmp_path,
            stdout=child_fd,
            stderr=subprocess.DEVNULL,
            env={**env, **extra_env},
        )
        os.close(child_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait()
        os.close(main_fd)
        return b"".join(chunks)

    assert b"\033[" in run({})
    assert b"\033[" not in run({"NO_COLOR": "1"})


def test_rendered_stdin_findings_land_on_their_template(monkeypatch, tmp_path):
    """``helm template . | seccomp-lint -``: code scanning and annotations need a repository file."""
    monkeypatch.chdir(tmp_path)
    stream = "---\n# Source: demo/templates/pod.yaml\n" + MISSING
    for fmt in ("github", "sarif"):
        code, out, _ = run_cli("-", stdin=stream.encode(), fmt=fmt).output
        assert code == 1
        if fmt == "github":
            assert out.startswith("::error file=demo/templates/pod.yaml,line=1,col=1,")
        else:
            log = json.loads(out)
            _validate_sarif(log)
            location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
            assert location["artifactLocation"]["uri"] == "demo/templates/pod.yaml"


def test_statistics_by_namespace_for_a_cluster_dump():
    """A dump's objects carry namespaces: --statistics also counts per namespace and rule."""
    pod = (
        '{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{n}", "namespace": "{ns}"}}, '
        '"spec": {{"containers": [{{"name": "app", "image": "nginx"}}]}}}}'
    )
    items = [pod.format(n=f"p{i}", ns=ns) for i, ns in enumerate(["a", "a", "b"])]
    dump = '{"apiVersion": "v1", "kind": "List", "items": [' + ", ".join(items) + "]}"
    out = run_cli("--statistics", "--quiet", "-", stdin=dump.encode(), fmt=None).stdout
    assert out.endswith(
        "3  missing-seccomp-profile\n\nBy namespace:\n2  a  missing-seccomp-profile\n"
        "1  b  missing-seccomp-profile\n"
    ), out


def test_github_and_markdown_paths_are_relative_to_the_workspace(tmp_path, monkeypatch):
    """A step with `working-directory:` runs elsewhere than the checkout's root: annotations
    and the Markdown table name files from GITHUB_WORKSPACE, the same way."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n"
    )
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    github = run_cli("pod.yaml", fmt="github", cwd=deploy).stdout
    assert "::error file=deploy/pod.yaml,line=5," in github
    markdown = run_cli("pod.yaml", fmt="markdown", cwd=deploy).stdout
    assert "| deploy/pod.yaml | 5:3 |" in markdown


def test_sarif_uris_are_relative_to_the_workspace_from_a_working_directory(tmp_path, monkeypatch):
    """From a step with `working-directory:`, SARIF names each file (its result and its fix)
    once relative to GITHUB_WORKSPACE, which %SRCROOT% is: code scanning finds the file."""
    folder = tmp_path / "deploy" / "a dir"
    folder.mkdir(parents=True)
    (folder / "pod 100%.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n"
    )
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    log = json.loads(run_cli(".", fmt="sarif", cwd=tmp_path / "deploy").stdout)
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    (result,) = run["results"]
    where = {"uri": "deploy/a%20dir/pod%20100%25.yaml", "uriBaseId": "%SRCROOT%"}
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == where
    (change,) = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == where
    # A file outside the workspace, given relative to the working directory: a file URI (a
    # relative one would be read against %SRCROOT%, another folder).
    other = tmp_path.parent / f"{tmp_path.name}-other.yaml"
    other.write_text((folder / "pod 100%.yaml").read_text())
    named = os.path.relpath(other, tmp_path / "deploy")
    log = json.loads(run_cli(named, fmt="sarif", cwd=tmp_path / "deploy").stdout)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": other.as_uri()}
