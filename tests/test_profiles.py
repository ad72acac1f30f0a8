"""Localhost profiles: resolution inside --profiles-dir, and seccomp profile JSON / SPO judgement.

Fixtures live in fixtures/profiles: ``root/`` is a copy of a kubelet seccomp root, ``manifests/``
references its profiles and ``spo/`` holds SeccompProfile objects; YAML fixtures mark the expected
findings with ``# error: [rule-id]`` on the line they must be reported at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from seccomp_lint.lint.linter import lint_bytes
from seccomp_lint.model import profiles
from seccomp_lint.model.data import Options
from seccomp_lint.rules import BY_ID
from seccomp_lint.rules import doc as rules_doc

HERE = FIXTURES / "profiles"
ROOT = HERE / "root"
MANIFESTS = HERE / "manifests"
SPO = HERE / "spo"
NOT_FOUND = "localhost-profile-not-found"
PERMISSIVE = "permissive-seccomp-profile"
MINE = (NOT_FOUND, PERMISSIVE)
_ERROR = re.compile(r"#\s*error:\s*\[([^\]]*)\]")


@pytest.fixture(autouse=True)
def _fresh_cache():
    profiles.clear_cache()
    yield
    profiles.clear_cache()


def marked(path: Path) -> Counter:
    """(line, rule) -> count, from the ``# error: [...]`` markers of a YAML fixture."""
    out: Counter = Counter()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in _ERROR.finditer(line):
            for rule in filter(None, (r.strip() for r in match.group(1).split(","))):
                out[(number, rule)] += 1
    return out


def found(findings: list[dict], path: Path | None = None) -> Counter:
    return Counter(
        (f["line"], f["rule"]) for f in findings if path is None or f["path"] == str(path)
    )


def pod(profile_setting: str, name: str = "web") -> bytes:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
        f"  securityContext:\n    seccompProfile: {profile_setting}\n"
        "  containers:\n    - {name: app, image: nginx}\n"
    ).encode()


def lint_pod(setting: str, profiles_dir: Path | str | None, **options) -> list:
    opts = Options(profiles_dir=None if profiles_dir is None else str(profiles_dir), **options)
    return lint_bytes(pod(setting), "pod.yaml", opts).findings


# --- the acceptance test -----------------------------------------------------------


def test_manifest_set_gets_one_finding_per_bad_profile(lint):
    manifest = MANIFESTS / "workloads.yaml"
    result = lint("--profiles-dir", str(ROOT), str(MANIFESTS))
    assert result.code == 1
    assert found(result.findings) == marked(manifest)
    assert len(result.findings) == 4
    by_name = {f["object"]["name"]: f for f in result.findings}
    assert "strict" not in by_name
    assert by_name["missing"]["rule"] == NOT_FOUND
    assert "profiles/missing.json" in by_name["missing"]["message"]
    assert "is not in --profiles-dir" in by_name["missing"]["message"]
    audit = by_name["audit"]
    assert audit["rule"] == PERMISSIVE and audit["container"] == "app"
    assert "SCMP_ACT_LOG" in audit["message"]
    assert "fine for discovery, not for production" in audit["message"]
    allow = by_name["allow-all"]
    assert "SCMP_ACT_ALLOW" in allow["message"]
    assert "ptrace, unshare, clone (namespace flags unfiltered)" in allow["message"]
    bad = by_name["malformed"]
    assert '"SCMP_ACT_DENY" is not a seccomp action' in bad["message"]
    # The help line points into the profile file: a tab before a key counts as one column.
    text = lint("--profiles-dir", str(ROOT), str(MANIFESTS), fmt="text").stdout
    for where in ("audit.json:2:2)", "allow-all.json:2:5)", "malformed.json:5:31)"):
        assert re.search(rf"help: .*\(see \S*profiles/{re.escape(where)}", text), where


def test_profiles_linted_directly_are_reported_at_their_keys(lint):
    result = lint(str(ROOT))
    got = sorted((Path(f["path"]).name, f["line"], f["column"], f["rule"]) for f in result.findings)
    assert got == [
        ("allow-all.json", 2, 5, PERMISSIVE),  # "defaultAction"
        ("audit.json", 2, 2, PERMISSIVE),
        ("broken.json", 6, 5, "yaml-syntax-error"),  # not JSON at all: the parser's rule
        ("malformed.json", 5, 31, PERMISSIVE),  # "action": "SCMP_ACT_DENY"
    ]
    audit = next(f for f in result.findings if f["path"].endswith("audit.json"))
    assert audit["message"].startswith("seccomp profile defaults to SCMP_ACT_LOG")
    assert audit["object"] is None


def test_spo_seccompprofiles(lint):
    path = SPO / "seccompprofiles.yaml"
    result = lint(str(path))
    assert found(result.findings) == marked(path)
    allow = next(f for f in result.findings if f["object"]["name"] == "allow-all")
    assert (allow["line"], allow["column"]) == (8, 3)
    assert allow["object"] == {
        "kind": "SeccompProfile",
        "name": "allow-all",
        "namespace": "shop",
        "document": 0,
    }
    assert allow["message"].startswith(
        "SeccompProfile/allow-all: the profile defaults to SCMP_ACT_ALLOW"
    )
    typo = next(f for f in result.findings if f["object"]["name"] == "typo")
    assert 'unknown field "spec.syscall"' in typo["message"]


def test_spo_seccompprofile_as_json_on_stdin():
    doc = {
        "apiVersion": "security-profiles-operator.x-k8s.io/v1alpha1",
        "kind": "SeccompProfile",
        "metadata": {"name": "j"},
        "spec": {"defaultAction": "SCMP_ACT_ALLOW"},
    }
    text = json.dumps(doc, indent=2).encode()
    findings = lint_bytes(text, "<stdin>", Options(), is_json=True).findings
    assert [(f.rule, f.line, f.column) for f in findings] == [(PERMISSIVE, 8, 5)]


# --- resolution ----------------------------------------------------------------------------


def test_without_profiles_dir_nothing_is_resolved(lint):
    result = lint(str(MANIFESTS))
    assert result.code == 0, result.findings


def test_missing_profiles_dir_is_a_usage_error(lint, tmp_path):
    result = lint("--profiles-dir", str(tmp_path / "nope"), str(MANIFESTS))
    assert result.code == 2
    assert "not a directory" in result.stderr


def test_symlink_inside_root_is_followed(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "real.json").write_text('{"defaultAction": "SCMP_ACT_LOG"}')
    (tmp_path / "link.json").symlink_to("p/real.json")
    findings = lint_pod("{type: Localhost, localhostProfile: link.json}", tmp_path)
    assert [f.rule for f in findings] == [PERMISSIVE]
    assert "link.json:1:2" in findings[0].help


def test_symlink_leaving_root_is_not_read(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.json").write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    (root / "escape.json").symlink_to("../outside.json")
    (root / "sub").symlink_to("..")
    for ref in ("escape.json", "sub/outside.json"):
        findings = lint_pod(f"{{type: Localhost, localhostProfile: {ref}}}", root)
        assert [f.rule for f in findings] == [NOT_FOUND], ref
        assert "resolves outside --profiles-dir" in findings[0].message


def test_dotdot_and_absolute_paths_stay_invalid_seccomp_profile(tmp_path):
    (tmp_path / "x.json").write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    for ref in ("../x.json", "/x.json"):
        findings = lint_pod(f"{{type: Localhost, localhostProfile: {ref!r}}}", tmp_path / "sub")
        assert [f.rule for f in findings] == ["invalid-seccomp-profile"], ref


def test_directory_is_not_a_profile(tmp_path):
    (tmp_path / "dir.json").mkdir()
    findings = lint_pod("{type: Localhost, localhostProfile: dir.json}", tmp_path)
    assert [(f.rule, "is not a regular file" in f.message) for f in findings] == [(NOT_FOUND, True)]


def test_unparsable_profile_is_reported_at_the_reference(tmp_path):
    (tmp_path / "broken.json").write_text('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n}\n')
    findings = lint_pod("{type: Localhost, localhostProfile: broken.json}", tmp_path)
    assert [f.rule for f in findings] == [PERMISSIVE]
    assert "not valid JSON" in findings[0].message
    assert "broken.json:3:1" in findings[0].help


def test_legacy_annotation_is_resolved_while_it_still_works():
    text = (
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: old\n  annotations:\n"
        b"    seccomp.security.alpha.kubernetes.io/pod: localhost/profiles/gone.json\n"
        b"    container.seccomp.security.alpha.kubernetes.io/app: localhost/profiles/audit.json\n"
        b"spec:\n  containers:\n    - {name: app, image: nginx}\n"
    )
    old = Options(profiles_dir=str(ROOT), kube_version=(1, 26), select=frozenset(MINE))
    findings = lint_bytes(text, "a.yaml", old).findings
    got = [(f.line, f.column, f.rule, f.container) for f in findings]
    assert sorted(got) == [(6, 5, NOT_FOUND, None), (7, 5, PERMISSIVE, "app")]
    new = Options(profiles_dir=str(ROOT), kube_version=(1, 27), select=frozenset(MINE))
    assert lint_bytes(text, "a.yaml", new).findings == []  # the annotations do nothing any more


def test_windows_pods_are_left_to_seccomp_on_windows_pod():
    text = pod("{type: Localhost, localhostProfile: profiles/gone.json}").replace(
        b"spec:\n", b"spec:\n  os: {name: windows}\n"
    )
    opts = Options(profiles_dir=str(ROOT), select=frozenset(MINE))
    assert lint_bytes(text, "w.yaml", opts).findings == []


def test_each_profile_file_is_read_once_per_run(monkeypatch):
    calls = []
    real = profiles._judge_bytes
    monkeypatch.setattr(profiles, "_judge_bytes", lambda raw: calls.append(1) or real(raw))
    text = (
        b"---\n".join(
            pod("{type: Localhost, localhostProfile: profiles/./audit.json}", name=f"p{i}")
            for i in range(3)
        )
        + b"---\n"
        + pod("{type: Localhost, localhostProfile: profiles/audit.json}")
    )
    findings = lint_bytes(text, "many.yaml", Options(profiles_dir=str(ROOT))).findings
    assert [f.rule for f in findings] == [PERMISSIVE] * 4
    assert len(calls) == 1


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"defaultAction": "SCMP_ACT_LOG"}')
    assert [f.rule for f in lint_pod("{type: Localhost, localhostProfile: p.json}", tmp_path)] == [
        PERMISSIVE
    ]
    path.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}')
    assert lint_pod("{type: Localhost, localhostProfile: p.json}", tmp_path) == []


# --- judgement -----------------------------------------------------------------------------


def judge_text(data: str) -> list:
    """Findings for a profile linted directly as a JSON file."""
    return lint_bytes(data.encode(), "p.json", Options(), is_json=True).findings


def test_strict_and_docker_style_profiles_pass(lint):
    for name in ("strict.json", "docker-style.json"):
        assert lint(str(ROOT / "profiles" / name)).code == 0, name


@pytest.mark.parametrize("action", ["SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRACE"])
def test_denying_defaults_pass(action):
    assert judge_text(f'{{"defaultAction": "{action}"}}') == []


def test_escape_syscalls_are_named_only_when_allowed_without_a_filter():
    data = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["mount", "read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["bpf"], "action": "SCMP_ACT_ERRNO"},
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
            },
            {"name": "keyctl", "action": "SCMP_ACT_ALLOW"},
        ],
    }
    assert profiles.explicit_escapes(data) == ["mount", "keyctl"]
    [finding] = judge_text(json.dumps(data))
    assert "list mount, keyctl," in finding.message


def test_schema_problems_each_reported_at_their_key():
    data = (
        '{"defaultAction": "SCMP_ACT_ERRNO",\n'
        ' "architectures": ["SCMP_ARCH_X86_64", "x86_64"],\n'
        ' "syscalls": [{"action": "SCMP_ACT_ALLOW"},\n'
        '              {"names": [], "action": "SCMP_ACT_ALLOW", "errnoRet": -1},\n'
        '              {"names": ["read"], "action": "SCMP_ACT_ALLOW",\n'
        '               "args": [{"index": 6, "value": 1, "op": "EQ"}]}],\n'
        ' "defaultActoin": "SCMP_ACT_ALLOW"}\n'
    )
    got = [(f.line, f.column, f.message.split("is invalid: ")[1]) for f in judge_text(data)]
    assert got == [
        (
            2,
            40,
            'architectures[1]: "x86_64" is not a seccomp architecture '
            "(did you mean SCMP_ARCH_X86_64?)",
        ),
        (3, 15, 'syscalls[0] needs "names", the syscalls the rule applies to'),
        (4, 16, "syscalls[1].names must not be empty"),
        (4, 57, "syscalls[1].errnoRet: -1 is out of range (0 to 4294967295)"),
        (6, 26, "syscalls[2].args[0].index: 6 is out of range (0 to 5)"),
        (
            6,
            50,
            'syscalls[2].args[0].op: "EQ" is not a comparison operator (SCMP_CMP_NE, '
            "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)",
        ),
        (7, 2, 'unknown field "defaultActoin"'),
    ]


def test_not_an_object_and_no_default_action_are_not_profiles():
    assert judge_text('["defaultAction"]') == []
    assert judge_text('{"name": "package", "version": "1.0.0"}') == []


def test_prefilter_keeps_every_profile(lint):
    for target in (ROOT, SPO, MANIFESTS):
        args = ("--profiles-dir", str(ROOT), str(target))
        fast, slow = lint(*args), lint(*args, "--no-prefilter")
        assert fast.findings == slow.findings, target


def test_escaped_spelling_is_not_skipped_by_the_prefilter():
    text = b'{"default\\u0041ction": "SCMP_ACT_ALLOW"}'
    findings = lint_bytes(text, "p.json", Options(), is_json=True).findings
    assert [f.rule for f in findings] == [PERMISSIVE]


def test_jsonschema_is_imported_only_when_a_profile_is_checked(tmp_path):
    (tmp_path / ".git").mkdir()  # stops the config file search here
    (tmp_path / "pod.yaml").write_bytes(pod("{type: RuntimeDefault}"))
    (tmp_path / "p.json").write_text('{"defaultAction": "SCMP_ACT_ERRNO"}')
    code = (
        "import sys\nfrom seccomp_lint.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print('jsonschema' in sys.modules, rc)\n"
    )

    def run(*args: str) -> list[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *args, "--quiet"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        ).stdout.split()[-2:]

    assert run("pod.yaml") == ["False", "0"]
    assert run("p.json") == ["True", "0"]


def test_schema_is_valid_and_shipped():
    import jsonschema

    from seccomp_lint.model.resources import schema_bytes

    raw = schema_bytes("seccomp-profile.schema.json")
    assert raw == (REPO / "schemas/seccomp-profile.schema.json").read_bytes()
    schema = json.loads(raw)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    # force-included into the wheel as seccomp_lint/schemas/ (checked in tests/test_packaging.py)
    assert '"schemas" = "seccomp_lint/schemas"' in (REPO / "pyproject.toml").read_text()


# --- rule documentation ------------------------------------------------------------------------


def _block(doc: str, section: str) -> str:
    body = doc.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```\w*\n(.*?)```", body, re.S).group(1)


@pytest.mark.parametrize("rule_id", MINE)
def test_rule_docs_examples(rule_id):
    """Example yields the rule (profiles dir: fixtures/profiles/root); Use instead does not."""
    rule = BY_ID[rule_id]
    doc = rules_doc(rule)
    sections = ("What it does", "Why is this bad", "Example", "Use instead", "Fix", "References")
    for section in sections:
        assert f"## {section}\n" in doc
    opts = Options(profiles_dir=str(ROOT))
    bad = lint_bytes(_block(doc, "Example").encode(), "example.yaml", opts).findings
    good = lint_bytes(_block(doc, "Use instead").encode(), "instead.yaml", opts).findings
    assert rule_id in {f.rule for f in bad}
    assert good == []
