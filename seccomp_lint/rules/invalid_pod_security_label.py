"""A Namespace's Pod Security label the API server refuses.

## What it does
With `--level namespace`, reads the `pod-security.kubernetes.io/enforce`, `warn` and `audit`
labels of every `Namespace` object in the inputs, and their `-version`s, and reports a value the
API server refuses: a level that is not `privileged`, `baseline` or `restricted` (the value is
case-sensitive), a version that is not `latest` or `v1.<minor>` (`v1.30.1` and `1.30` are
refused). Its pods are judged as the API server would judge them if the label were in force: an
invalid enforce level fails closed (restricted), an invalid warn or audit level fails open
(privileged), an invalid version means latest.

## Why is this bad
Pod Security Admission refuses to create a Namespace whose labels do not parse, so the
manifest does not apply; a namespace that already has such a label (set before the admission
plugin ran) is judged at levels nobody chose.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: Restricted
    pod-security.kubernetes.io/enforce-version: v1.30.1
```

## Use instead
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.30
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
- https://github.com/kubernetes/pod-security-admission/blob/master/api/helpers.go
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model.admission import LEVEL_NAMES, PREFIX, NamespaceObject, label_problem
from ..model.data import FixSpec, Level, Options, Severity
from .base import Problem, RuleType

ID = "invalid-pod-security-label"
TYPE = RuleType.NAMESPACE
LEVEL: Level | None = Level.NAMESPACE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10): the Namespace is refused; no pod runs unjudged.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "which level a namespace should enforce is for a person to decide."


def check_namespace(ns: NamespaceObject, options: Options) -> Iterator[Problem]:
    """Each Pod Security label value of ``ns`` that does not parse, at the value."""
    for key, (_, value) in sorted(ns.labels.items()):
        why = label_problem(key, value.value)
        if why is not None:
            yield Problem(
                node=value,
                message=(
                    f'label {key}: "{value.value}" {why}; the API server refuses the Namespace'
                ),
                help=_help(key, str(value.value)),
            )


# A version written without its "v" or with a patch number: 1.30, v1.30.1 (the minor it means).
_NEAR_VERSION = re.compile(r"v?1\.(0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _help(key: str, value: str) -> str:
    """What the label is evaluated as now, and what to write: a level is for a person to choose;
    a near-miss version keeps its minor."""
    mode = key.removeprefix(PREFIX)
    if not mode.endswith("-version"):
        now, how = (
            ("restricted", "fails closed") if mode == "enforce" else ("privileged", "fails open")
        )
        return f"evaluated as {now} (an invalid {mode} level {how}); write one of {LEVEL_NAMES}"
    near = _NEAR_VERSION.fullmatch(value)
    if near is not None:
        return f"evaluated as latest; write v1.{near.group(1)}"
    return 'evaluated as latest; write "latest" or "v1.<minor>"'
