"""A suppression that names no known rule, or gives no reason.

## What it does
Reports an `ignore-check.seccomp-lint.io/<rule-id>` annotation or a
`# seccomp-lint: ignore[<rule-id>]` comment whose rule id is not one of seccomp-lint's (with the
closest valid id), or that gives no reason (an empty annotation value, or nothing after the
brackets of the comment). Such a suppression does not apply: the finding it meant stays.

## Why is this bad
A misspelt id silences nothing, so the author believes a finding is handled while it is still
reported, or, worse, stops looking at the file. A suppression without a reason cannot be
reviewed: nobody can tell later why the workload was allowed to run without seccomp.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: debug
  annotations:
    ignore-check.seccomp-lint.io/unconfined-seccomp-profil: "strace sidecar, SEC-123"
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: busybox
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: busybox
```

## References
- https://docs.astral.sh/ruff/linter/#error-suppression
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator

from ..model.data import FixSpec, Level, Severity
from ..text.suppressions import Suppression
from .base import Problem, RuleType

ID = "invalid-suppression"
TYPE = RuleType.SUPPRESSION
LEVEL: Level | None = None
SEVERITY = Severity.WARNING
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the finding the suppression meant is still reported.
SECURITY_SEVERITY = 2.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "the suppression needs a valid rule id and a reason, which a person writes."


def check_suppressions(found: Iterable[Suppression], known: Collection[str]) -> Iterator[Problem]:
    """Suppressions that name an unknown rule or give no reason."""
    for s in found:
        if s.rule not in known:
            close = difflib.get_close_matches(s.rule, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"suppression names no seccomp-lint rule {s.rule!r}{hint}"
            help_text = f"write {close[0]}" if close else f"use one of: {', '.join(sorted(known))}"
        elif not s.reason.strip():
            message = (
                f"suppression of {s.rule} gives no reason, so it does not apply: say why the "
                "finding is acceptable"
            )
            help_text = "write the reason after the brackets, or as the annotation's value"
        else:
            continue
        yield Problem(
            node=s.node,
            position=(s.line, s.column) if s.node is None else None,
            message=message,
            help=help_text,
            where=f"suppression {s.rule}",
        )
