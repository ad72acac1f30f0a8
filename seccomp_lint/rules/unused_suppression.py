"""A suppression that suppresses nothing.

## What it does
Reports an `ignore-check.seccomp-lint.io/<rule-id>` annotation, or a rule id of a
`# seccomp-lint: ignore[<rule-id>]` comment, that suppressed no finding in this run: the rule
reports nothing in the annotation's object (or pod template), nor on the comment's line or the
line below it. Only suppressions that apply (a known rule id and a reason) are judged, and only
for rules that ran (`--select`, `--ignore` and `--level` decide that); Helm-rendered documents
are not judged (their suppressions live in the chart's templates). Like ruff's RUF100.

## Why is this bad
A stale suppression outlives what it excused: after a fix, or a person, turned `Unconfined` into
`RuntimeDefault`, the `ignore[unconfined-seccomp-profile]` left behind would silently excuse the
next `Unconfined` written there, and the reason it gives no longer describes the workload.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  securityContext:
    # seccomp-lint: ignore[unconfined-seccomp-profile] strace sidecar, SEC-123
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
- https://docs.astral.sh/ruff/rules/unused-noqa/
- https://docs.astral.sh/ruff/linter/#error-suppression
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from ..edit.edits import Context, NoFix, Plan, remove
from ..model.data import Finding, FixSpec, Level, Severity
from ..model.workloads import PodTemplate
from ..text.suppressions import COMMENT, Suppression
from .base import PersonDecides, Problem, RuleType, safe

ID = "unused-suppression"
TYPE = RuleType.SUPPRESSION
LEVEL: Level | None = None
SEVERITY = Severity.WARNING
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): nothing is unprotected
# today; the suppression would hide a finding that comes back.
SECURITY_SEVERITY = 1.0
FIXES: tuple[FixSpec, ...] = (
    safe(
        "remove the unused rule id, comment or annotation",
        "removes the unused rule id from the comment's brackets, the whole comment when no id "
        "is left (its line, when the comment is alone on it), or the annotation (and "
        "`annotations:` when it is left empty). It changes no verdict: the suppression "
        "suppressed nothing.",
    ),
)
FIX_NOTE = ""
# Suppressions are not part of a pod template: these fixes come after the pod templates' fixes.
FIX_ORDER = 10


def unused_rules(f: Finding) -> tuple[str, ...]:
    """The rule ids an unused-suppression finding says its suppression names."""
    named = (f.setting or "").removeprefix(_SETTING)
    return tuple(rule.strip() for rule in named.split(",")) if named else ()


_SETTING = "suppression "  # (a finding's setting: this, then the rule ids it names)
_IN_OBJECT = "nothing in this object"  # (how the message of an annotation's ends)


def about_annotation(f: Finding) -> bool:
    """Whether an unused-suppression finding is about an annotation (else a comment)."""
    return f.message.endswith(_IN_OBJECT)


def check_suppressions(found: Iterable[Suppression], known: Collection[str]) -> Iterator[Problem]:
    """One problem per unused suppression annotation, one per comment naming its unused ids
    (``found``: the suppressions that apply and suppressed nothing)."""
    comments: dict[tuple[int, int], list[Suppression]] = {}
    for s in found:
        if s.node is not None:
            yield Problem(
                node=s.node,
                position=(s.line, s.column),
                message=f"unused suppression: {s.rule} reports {_IN_OBJECT}",
                help="remove the annotation",
                where=f"{_SETTING}{s.rule}",
                suppressions=(s,),
            )
        else:
            comments.setdefault((s.line, s.column), []).append(s)
    for (line, column), group in comments.items():
        names = list(dict.fromkeys(s.rule for s in group))
        ids = ", ".join(names)
        verb = "reports" if len(names) == 1 else "report"
        yield Problem(
            node=None,
            position=(line, column),
            message=f"unused suppression: {ids} {verb} nothing on this line or the next",
            help=f"remove {ids} from the comment",
            where=f"{_SETTING}{ids}",
            suppressions=tuple(group),
        )


def fix(c: Context, pod: PodTemplate | None, problem: Problem) -> Plan:
    """Remove the unused annotation, or the unused ids of the comment (all of it when none is
    left)."""
    if not problem.suppressions or problem.position is None:
        raise PersonDecides("no suppression")
    key = problem.suppressions[0].node
    if key is not None:
        plan = Plan(FIXES[0], f"remove the annotation {key.value}")
        plan.add(*remove(c, c.key_owner(key), key.value, levels=1))
        return plan
    unused = {s.rule for s in problem.suppressions}
    return _fix_comment(c, problem.position, unused)


def _fix_comment(c: Context, position: tuple[int, int], unused: set[str]) -> Plan:
    """Drop ``unused`` from the comment at ``position`` (1-based, in the file)."""
    line = position[0] - c.doc.line_offset - 1
    if not 0 <= line < len(c.editor_starts):
        raise NoFix("the comment is not in this document's text")
    start = c.editor_starts[line]
    end = c.editor_starts[line + 1] if line + 1 < len(c.editor_starts) else len(c.text)
    raw = c.text[start:end]
    text = raw.rstrip("\r\n")
    at = position[1] - 1
    match = COMMENT.match(text, at)
    if match is None:
        raise NoFix("the comment is not where it was read")
    ids = [part.strip() for part in match.group(1).split(",")]
    kept = [rule for rule in ids if rule not in unused]
    names = ", ".join(sorted(unused))
    if kept:
        plan = Plan(FIXES[0], f"remove {names} from the suppression comment")
        plan.edits.append((start + match.start(1), start + match.end(1), ", ".join(kept)))
        return plan
    plan = Plan(FIXES[0], f"remove the suppression comment ({names})")
    before = text[:at]
    if before.strip(" \t"):
        cut = len(before.rstrip(" \t"))
        plan.edits.append((start + cut, start + len(text), ""))
    elif raw != text or line == 0:
        plan.edits.append((start, end, ""))
    else:
        # The comment is the text's last line, with no break after it: take the one before.
        width = 2 if c.text.endswith("\r\n", 0, start) else 1
        plan.edits.append((start - width, len(c.text), ""))
    return plan
