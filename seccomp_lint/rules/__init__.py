"""The rules: one module each, with ``ID``, ``LEVEL``, ``SEVERITY``, docs and ``check()``.

``check(pod, options)`` receives a :class:`~seccomp_lint.workloads.PodTemplate` and yields
:class:`Problem` values; the linter stamps rule id, severity, path and position afterwards.
A rule that judges seccomp profiles also has ``check_profile(profile, options)``, which receives a
:class:`~seccomp_lint.profiles.Profile` (a profile JSON file, or an SPO ``SeccompProfile``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from yaml.nodes import Node

from ..seccomp import Setting


@dataclass(frozen=True)
class Problem:
    """What a rule found: the node it is about, the message, and the suggested change."""

    node: Node
    message: str
    help: str | None = None
    container: str | None = None
    setting: Setting | None = None


def containers_phrase(names: list[str]) -> str:
    """``container "a"`` or ``containers "a", "b"``."""
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"container {quoted}" if len(names) == 1 else f"containers {quoted}"


def _load() -> list[ModuleType]:
    from . import (
        deprecated_seccomp_annotation,
        invalid_seccomp_profile,
        localhost_profile_not_found,
        misplaced_seccomp_annotation,
        missing_seccomp_profile,
        permissive_seccomp_profile,
        privileged_container_seccomp,
        seccomp_annotation_mismatch,
        seccomp_on_windows_pod,
        unconfined_seccomp_profile,
        yaml_syntax_error,
    )

    return [
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
        yaml_syntax_error,
    ]


RULES: list[ModuleType] = _load()
BY_ID: dict[str, ModuleType] = {rule.ID: rule for rule in RULES}


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
        fix = re.split(r"[:;.]", section(rule.__doc__, "Fix"))[0].strip()
        lines.append(f"| [`{rule.ID}`](#{rule.ID}) | {rule.LEVEL or 'always'} | {rule.SEVERITY} | {fix} |")
    for rule in RULES:
        title, _, body = rule.__doc__.strip().partition("\n")
        lines += ["", f"## {rule.ID}", "", f"{title.strip()} Level: {rule.LEVEL or 'always'}.", ""]
        lines.append(body.strip().replace("\n## ", "\n### "))
    return "\n".join(lines) + "\n"


def section(doc: str, name: str) -> str:
    """The text under ``## name`` in a rule docstring ("" when there is none)."""
    _, _, rest = doc.partition(f"## {name}\n")
    return rest.split("\n## ")[0].strip()
