"""examples/, README and docs/rules.md stay true to what the linter does."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import REPO, run_cli

from seccomp_lint import rules
from seccomp_lint.cli import build_parser

EXAMPLES = REPO / "examples"
ORIGINALS = sorted(EXAMPLES.glob("*.yaml"))

# (file, line, rule) of every finding in the shipped examples.
EXPECTED = {
    ("backup-cronjob.yaml", 16, "deprecated-seccomp-annotation"),
    ("backup-cronjob.yaml", 19, "missing-seccomp-profile"),
    ("shop.yaml", 44, "invalid-seccomp-profile"),
    ("shop.yaml", 52, "unconfined-seccomp-profile"),
    ("shop.yaml", 59, "misplaced-seccomp-annotation"),
    ("shop.yaml", 67, "missing-seccomp-profile"),
    ("shop.yaml", 71, "privileged-container-seccomp"),
    ("web-deployment.yaml", 21, "missing-seccomp-profile"),
}


def test_examples_report_what_they_show(lint) -> None:
    result = lint(*map(str, ORIGINALS))
    assert result.code == 1
    found = {(Path(f["path"]).name, f["line"], f["rule"]) for f in result.findings}
    assert found == EXPECTED


def test_fix_turns_examples_into_examples_fixed(tmp_path: Path) -> None:
    for path in ORIGINALS:
        shutil.copy(path, tmp_path / path.name)
    assert run_cli("--fix", tmp_path, fmt=None).code == 1
    for path in ORIGINALS:
        assert (tmp_path / path.name).read_bytes() == (EXAMPLES / "fixed" / path.name).read_bytes()
    # What remains needs a person: the unsafe Unconfined fix and the privileged container.
    result = run_cli(tmp_path)
    assert result.code == 1
    out = result.stdout
    assert sorted(re.findall(r'"rule": "([a-z-]+)"', out)) == [
        "privileged-container-seccomp",
        "unconfined-seccomp-profile",
    ]


def test_rules_doc_is_generated_from_the_rule_modules() -> None:
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == rules.markdown()


def test_readme_lists_every_rule_and_option() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in rules.RULES:
        row = (
            f"| [`{rule.ID}`](docs/rules.md#{rule.ID}) | {rules.level_name(rule)} | "
            f"{rule.SEVERITY} | {rules.fix_summary(rule)} |"
        )
        assert row in readme, row
    for action in build_parser()._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag not in ("--help", "--version"):
                assert f"`{flag}" in readme, flag
