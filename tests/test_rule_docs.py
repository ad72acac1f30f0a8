"""Every rule documents itself in fixed sections, and its examples really behave as documented."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from seccomp_lint.rules import FIX_ORDER, RULES, doc
from seccomp_lint.rules.base import (
    DocumentRule,
    FixingRule,
    NamespaceRule,
    PodRule,
    ProfileRule,
    Rule,
    RuleType,
    SuppressionRule,
)

SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead", "Fix", "References")


def _profiles_dir(tmp: Path) -> list[str]:
    """The setting the Example's prose states: ``seccomp/`` holds only ``profiles/strict.json``."""
    root = tmp / "seccomp"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "strict.json").write_text(
        '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], '
        '"syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}\n'
    )
    return ["--profiles-dir", str(root)]


# What a rule's examples need besides the manifest: options, and files those options name.
SETUP: dict[str, Callable[[Path], list[str]]] = {
    "localhost-profile-not-found": _profiles_dir,
    # A suppression is judged only when its rule runs too.
    "unused-suppression": lambda _: ["--select", "unconfined-seccomp-profile"],
}


def sections(rule: Rule) -> dict[str, str]:
    """The documentation's ``## Heading`` sections, by heading (Fix generated from FIXES)."""
    parts = re.split(r"^## +(.+?)\s*$", doc(rule), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def yaml_block(text: str) -> str:
    """The first fenced ```yaml block of a section."""
    match = re.search(r"^```ya?ml\n(.*?)^```", text, re.M | re.S)
    assert match, "no ```yaml block"
    return match.group(1)


def _setup(rule: Rule, tmp: Path) -> list[str]:
    return SETUP[rule.ID](tmp) if rule.ID in SETUP else []


rule_ids = pytest.mark.parametrize("rule", RULES, ids=lambda r: r.ID)
example_rules = pytest.mark.parametrize(
    "rule",
    [
        pytest.param(
            r,
            id=r.ID,
            marks=[],
        )
        for r in RULES
    ],
)


@rule_ids
def test_docstring_has_the_sections(rule: Rule) -> None:
    assert rule.__doc__ and rule.__doc__.strip().splitlines()[0], "a one-line summary first"
    assert "## Fix" not in rule.__doc__, "the Fix section is generated from FIXES"
    found = sections(rule)
    assert list(found) == list(SECTIONS)
    for name in SECTIONS:
        assert found[name].strip(), f"section {name!r} is empty"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.ID)


@example_rules
def test_example_is_reported(rule: Rule, lint, tmp_path: Path) -> None:
    example = tmp_path / "example.yaml"
    example.write_text(yaml_block(sections(rule)["Example"]))
    args = ["--select", rule.ID, *_setup(rule, tmp_path)]
    if rule.LEVEL in ("restricted", "namespace"):
        args += ["--level", str(rule.LEVEL)]
    result = lint(*args, str(example))
    assert "Traceback" not in result.stderr
    assert result.findings, f"{rule.ID}: its Example produced no finding"
    assert {f["rule"] for f in result.findings} == {rule.ID}
    assert result.code == 1


@rule_ids
def test_use_instead_is_clean(rule: Rule, lint, tmp_path: Path) -> None:
    fixed = tmp_path / "use-instead.yaml"
    fixed.write_text(yaml_block(sections(rule)["Use instead"]))
    result = lint(*_setup(rule, tmp_path), str(fixed))
    assert result.findings == [], [f["rule"] for f in result.findings]
    assert result.code == 0


@rule_ids
def test_explain_prints_the_doc(rule: Rule, lint) -> None:
    result = lint("--explain", rule.ID, fmt="text")
    assert result.code == 0
    assert rule.ID in result.stdout
    for name in SECTIONS:
        assert f"## {name}" in result.stdout
    assert yaml_block(sections(rule)["Example"]) in result.stdout


def test_explain_unknown_rule(lint) -> None:
    result = lint("--explain", "no-such-rule", fmt="text")
    assert result.code == 2
    assert "no-such-rule" in result.stderr


def test_syntax_error_example_without_prefilter(lint, tmp_path: Path) -> None:
    """The yaml-syntax-error Example is reported once every document is parsed."""
    rule = next(r for r in RULES if r.ID == "yaml-syntax-error")
    example = tmp_path / "example.yaml"
    example.write_text(yaml_block(sections(rule)["Example"]))
    result = lint("--no-prefilter", str(example))
    assert [f["rule"] for f in result.findings] == ["yaml-syntax-error"]


fixable_rules = pytest.mark.parametrize("rule", [r for r in RULES if r.FIXES], ids=lambda r: r.ID)


@fixable_rules
def test_example_fix_gives_use_instead(rule: Rule, lint, tmp_path: Path) -> None:
    """The documented fix, applied to the Example, gives the Use instead (as data)."""
    example = tmp_path / "example.yaml"
    example.write_text(yaml_block(sections(rule)["Example"]))
    args = ["--select", rule.ID, *_setup(rule, tmp_path)]
    result = lint("--fix", "--unsafe-fixes", *args, str(example))
    assert result.code in (0, 1), result.stderr
    fixed = yaml.safe_load(example.read_text())
    assert fixed == yaml.safe_load(yaml_block(sections(rule)["Use instead"]))


@fixable_rules
def test_fix_safety_is_data(rule: Rule, lint, tmp_path: Path) -> None:
    """What --explain says of the fix and what the JSON marks are the same FIXES entries."""
    example = tmp_path / "example.yaml"
    example.write_text(yaml_block(sections(rule)["Example"]))
    result = lint("--select", rule.ID, *_setup(rule, tmp_path), str(example))
    offered = {f["fix"]["applicability"] for f in result.findings if f["fix"]}
    documented = {spec.applicability for spec in rule.FIXES}
    assert offered and offered <= documented
    explained = lint("--explain", rule.ID, fmt="text").stdout
    for spec in rule.FIXES:
        label = "Safe:" if spec.applicability == "safe" else "Unsafe (`--unsafe-fixes`):"
        assert f"{label} {spec.detail}" in explained


# The functions each kind of rule has, as its Protocol declares them.
HOOKS = {
    RuleType.POD: PodRule,
    RuleType.PROFILE: ProfileRule,
    RuleType.DOCUMENT: DocumentRule,
    RuleType.SUPPRESSION: SuppressionRule,
    RuleType.NAMESPACE: NamespaceRule,
}


def _hooks(protocol: type) -> dict[str, list[str]]:
    """The functions a Protocol declares beyond :class:`Rule`, with their parameter names."""
    return {
        name: list(inspect.signature(member).parameters)[1:]  # without ``self``
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


@rule_ids
def test_type_names_exactly_the_functions_the_rule_has(rule: Rule) -> None:
    """The linter calls what ``TYPE`` says: each kind's functions exist, with the Protocol's
    parameters, and a rule has no function of a kind it does not declare."""
    assert rule.TYPE, "a rule judges something"
    for kind, protocol in HOOKS.items():
        for name, params in _hooks(protocol).items():
            function = getattr(rule, name, None)
            if kind in rule.TYPE:
                assert callable(function), f"{rule.ID}: TYPE has {kind.name} but no {name}()"
                assert list(inspect.signature(function).parameters) == params, (rule.ID, name)
            else:
                assert function is None, f"{rule.ID}: {name}() but TYPE lacks {kind.name}"


@rule_ids
def test_a_rule_with_fixes_plans_them_in_its_order(rule: Rule) -> None:
    hooks = _hooks(FixingRule)
    if rule.FIXES:
        assert isinstance(getattr(rule, "FIX_ORDER", None), int), rule.ID
        for name, params in hooks.items():
            assert list(inspect.signature(getattr(rule, name)).parameters) == params
    else:
        assert not hasattr(rule, "FIX_ORDER") and not any(hasattr(rule, n) for n in hooks)


def test_fix_order_is_the_rule_modules_and_keeps_migrations_first() -> None:
    assert len(set(FIX_ORDER.values())) == len(FIX_ORDER), "one place per rule"
    assert set(FIX_ORDER) == {r.ID for r in RULES if r.FIXES}
    # Suppression fixes act outside pod templates: the order among a pod template's is checked.
    suppressions = {r.ID for r in RULES if RuleType.SUPPRESSION in r.TYPE}
    ordered = [r for r in sorted(FIX_ORDER, key=FIX_ORDER.__getitem__) if r not in suppressions]
    # An annotation is migrated before the field it becomes is judged or added.
    assert ordered[:2] == ["deprecated-seccomp-annotation", "misplaced-seccomp-annotation"]
    assert ordered[-1] == "missing-seccomp-profile"
