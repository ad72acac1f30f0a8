"""The rules: one module each, with its check, its fixes and its documentation.

A rule says what it judges as data, ``TYPE`` (:class:`~.base.RuleType`), and has the function
that kind names: a pod rule has ``check(pod, options)``, which receives a
:class:`~seccomp_lint.model.workloads.PodTemplate` and yields :class:`~.base.Problem` values; the
linter stamps rule id, severity, path, position and suppressions afterwards. A rule that judges
seccomp profiles has ``check_profile(profile, options)``; one that judges a parsed document as
such has ``check_document(doc)``. Fix safety is data (``FIXES``): ``--explain``, docs/rules.md,
the JSON fix and ``--fix`` all read it; so is the order of a pod template's fixes
(``FIX_ORDER``). A rule is registered once, in ``RULES`` (the order of the documentation).

May import ``text``, ``model`` and ``edit`` (rules plan their fixes with the edit primitives).
"""

from __future__ import annotations

from ..model.data import Level, Options
from . import (
    deprecated_seccomp_annotation,
    invalid_pod_security_label,
    invalid_seccomp_profile,
    invalid_suppression,
    localhost_profile_not_found,
    misplaced_seccomp_annotation,
    missing_seccomp_profile,
    permissive_seccomp_profile,
    privileged_container_seccomp,
    seccomp_annotation_mismatch,
    seccomp_on_windows_pod,
    unconfined_seccomp_profile,
    unused_suppression,
    yaml_syntax_error,
)
from .base import DocumentRule, Rule, SuppressionRule, fixer
from .base import namespace_rules as namespace_rules  # for the linter

# Typed with the Protocol, so mypy checks that each module states what every rule states.
RULES: list[Rule] = [
    missing_seccomp_profile,
    unconfined_seccomp_profile,
    invalid_seccomp_profile,
    deprecated_seccomp_annotation,
    seccomp_annotation_mismatch,
    misplaced_seccomp_annotation,
    seccomp_on_windows_pod,
    privileged_container_seccomp,
    localhost_profile_not_found,
    permissive_seccomp_profile,
    invalid_pod_security_label,
    invalid_suppression,
    unused_suppression,
    yaml_syntax_error,
]
BY_ID: dict[str, Rule] = {rule.ID: rule for rule in RULES}
# The rule that reports documents the parser cannot read (and duplicate keys).
SYNTAX: DocumentRule = yaml_syntax_error
# The rule that reports suppressions that cannot apply.
SUPPRESSIONS: SuppressionRule = invalid_suppression
# The rule that reports suppressions that suppressed nothing.
UNUSED: SuppressionRule = unused_suppression
# When each rule's fix applies among the fixes of one pod template, from the rule modules.
FIX_ORDER: dict[str, int] = {
    rule.ID: fixing.FIX_ORDER for rule in RULES if (fixing := fixer(rule)) is not None
}


def enabled(options: Options) -> list[Rule]:
    """The rule modules that run under these options."""
    out = []
    for rule in RULES:
        # A rule that states a CIS requirement (every container under RuntimeDefault) holds at
        # any Pod Security level when --require-runtime-default asks for it.
        cis = options.require_runtime_default and getattr(rule, "CIS_ANY_LEVEL", False)
        if options.level == Level.BASELINE and rule.LEVEL == Level.RESTRICTED and not cis:
            continue
        if rule.LEVEL == Level.NAMESPACE and options.level != Level.NAMESPACE:
            continue
        if options.select is not None and rule.ID not in options.select:
            continue
        if rule.ID in options.ignore:
            continue
        out.append(rule)
    return out


def fix_section(rule: Rule) -> str:
    """The documentation's Fix section, from the rule's ``FIXES`` and ``FIX_NOTE``."""
    if not rule.FIXES:
        return f"None: {rule.FIX_NOTE}"
    parts = []
    for spec in rule.FIXES:
        label = "Safe" if spec.applicability == "safe" else "Unsafe (`--unsafe-fixes`)"
        parts.append(f"{label}: {spec.detail}")
    if rule.FIX_NOTE:
        parts.append(rule.FIX_NOTE)
    return "\n\n".join(parts)


def fix_summary(rule: Rule) -> str:
    """One line for the rule tables: each fix with its safety."""
    if not rule.FIXES:
        return "none"
    return "; ".join(f"{spec.applicability}: {spec.summary}" for spec in rule.FIXES)


def doc(rule: Rule) -> str:
    """A rule's whole documentation: its docstring with the Fix section before References."""
    text = (rule.__doc__ or "").strip()
    head, marker, tail = text.partition("\n## References\n")
    return f"{head.rstrip()}\n\n## Fix\n{fix_section(rule)}\n{marker}{tail}"


def section(text: str, name: str) -> str:
    """The text under ``## name`` in a rule's documentation ("" when there is none)."""
    _, _, rest = text.partition(f"## {name}\n")
    return rest.split("\n## ")[0].strip()


def level_name(rule: Rule) -> str:
    """``restricted``, ``baseline`` or ``always``."""
    return str(rule.LEVEL) if rule.LEVEL else "always"


def markdown() -> str:
    """docs/rules.md: every rule's documentation, generated from the rule modules."""
    lines = [
        "# Rules",
        "",
        "Generated from the rule modules by `python -m seccomp_lint.rules > docs/rules.md`;",
        "`seccomp-lint --explain ID` prints the same text.",
        "",
        "| id | level | severity | fix |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        lines.append(
            f"| [`{rule.ID}`](#{rule.ID}) | {level_name(rule)} | {rule.SEVERITY} | "
            f"{fix_summary(rule)} |"
        )
    for rule in RULES:
        title, _, body = doc(rule).partition("\n")
        lines += ["", f"## {rule.ID}", "", f"{title.strip()} Level: {level_name(rule)}.", ""]
        lines.append(body.strip().replace("\n## ", "\n### "))
    return "\n".join(lines) + "\n"
