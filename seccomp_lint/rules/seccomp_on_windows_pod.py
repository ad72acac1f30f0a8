"""A seccomp setting on a Windows pod.

## What it does
Reports `seccompProfile` fields and seccomp annotations on a pod with `spec.os.name: windows`
(Kubernetes 1.24 and later, where the API server validates `spec.os`). A Windows `nodeSelector`
alone does not make a pod a Windows pod.

## Why is this bad
Windows has no seccomp, and the API server rejects a Windows pod that sets it.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: iis}
spec:
  os: {name: windows}
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: iis
      image: mcr.microsoft.com/windows/servercore/iis
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: iis}
spec:
  os: {name: windows}
  containers:
    - name: iis
      image: mcr.microsoft.com/windows/servercore/iis
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
- https://kubernetes.io/docs/concepts/workloads/pods/#pod-os
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edit.edits import Context, Plan, remove
from ..model.data import FixSpec, Level, Options, Severity
from ..model.seccomp import SettingOrigin
from ..model.workloads import PodTemplate
from .base import PersonDecides, Problem, RuleType, unsafe

ID = "seccomp-on-windows-pod"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the API server rejects the object: a broken deployment rather than a weaker one.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = (
    unsafe(
        "remove it",
        "removes the `seccompProfile` (or the legacy annotation): Windows has no seccomp.",
    ),
)
FIX_NOTE = ""
FIX_ORDER = 5


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if not (pod.is_windows and options.os_validated):
        return
    for s in (*pod.all_field_settings(), *pod.all_annotation_settings()):
        owner = s.owner
        what = "seccompProfile" if s.origin is SettingOrigin.FIELD else "a seccomp annotation"
        yield Problem(
            node=s.key,
            message=f"{owner} sets {what} on a Windows pod (spec.os.name: windows)",
            help="remove it: Windows has no seccomp",
            container=s.container,
            setting=s,
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """Remove the seccomp setting: Windows has none."""
    s = problem.setting
    if s is None:
        raise PersonDecides("no setting")
    what = "seccompProfile" if s.origin is SettingOrigin.FIELD else f"the annotation {s.key.value}"
    plan = Plan(FIXES[0], f"remove {what} (Windows has no seccomp)")
    plan.add(*remove(c, c.key_owner(s.key), s.key.value))
    return plan
