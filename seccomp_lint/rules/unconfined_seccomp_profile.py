"""A seccomp profile of type `Unconfined`.

## What it does
Reports `seccompProfile: {type: Unconfined}` at pod or container level, and (below Kubernetes
1.27, where it still works) the legacy annotation value `unconfined`.

## Why is this bad
`Unconfined` switches seccomp off: the container may call every syscall. Both the baseline and
the restricted Pod Security Standards reject it. At pod level it fails restricted even when
every container sets its own profile.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers:
    - name: app
      image: busybox
      securityContext:
        seccompProfile:
          type: Unconfined
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers:
    - name: app
      image: busybox
      securityContext:
        seccompProfile:
          type: RuntimeDefault
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- CIS Kubernetes Benchmark 5.7.2
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edit.edits import Context, Plan, replace_scalar
from ..model.data import Change, ChangeOp, FixSpec, Level, Options, Severity
from ..model.psa import SECCOMP_BASELINE, SECCOMP_BASELINE_ANNOTATION
from ..model.seccomp import Setting, SettingOrigin
from ..model.workloads import PodTemplate
from .base import PersonDecides, Problem, RuleType, set_type, unsafe

ID = "unconfined-seccomp-profile"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a container runs with every syscall allowed.
SECURITY_SEVERITY = 8.0
FIXES: tuple[FixSpec, ...] = (
    unsafe(
        "`Unconfined` → `RuntimeDefault`",
        "replaces `Unconfined` with `RuntimeDefault` (a legacy annotation's `unconfined` with "
        "`runtime/default`). Someone chose `Unconfined`, perhaps for a workload that needs a "
        "blocked syscall, so a person should review it.",
    ),
)
FIX_NOTE = ""
FIX_ORDER = 4


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if pod.is_windows and options.windows_aware:
        return
    settings: list[Setting] = list(pod.all_field_settings())
    if options.annotations_effective:
        settings += pod.all_annotation_settings()
    for s in settings:
        if not s.valid or s.type != "Unconfined":
            continue
        where = "annotation" if s.origin is SettingOrigin.ANNOTATION else "seccompProfile"
        if s.container is None:
            message = (
                f"the pod's {where} is Unconfined; containers without their own "
                "profile run with seccomp off, and the restricted level rejects the pod even "
                "when every container overrides it"
            )
        else:
            message = f'container "{s.container}" turns seccomp off ({where} Unconfined)'
        node = s.type_key if s.origin is SettingOrigin.FIELD and s.type_key is not None else s.key
        yield Problem(
            node=node,
            message=message,
            help="use type: RuntimeDefault (or a Localhost profile that allows what it needs)",
            container=s.container,
            setting=s,
            psa=SECCOMP_BASELINE
            if s.origin is SettingOrigin.FIELD
            else SECCOMP_BASELINE_ANNOTATION,
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """``RuntimeDefault`` (``runtime/default`` for an annotation) instead of ``Unconfined``."""
    s = problem.setting
    if s is None:
        raise PersonDecides("no setting")
    if s.origin is SettingOrigin.ANNOTATION:
        plan = Plan(FIXES[0], f"replace {s.key.value}: unconfined with runtime/default")
        plan.add(
            replace_scalar(c, s.value, "runtime/default"),
            [Change(ChangeOp.SET, c.path(s.value), '"runtime/default"')],
        )
        return plan
    plan = Plan(FIXES[0], "replace type: Unconfined with RuntimeDefault")
    set_type(c, plan, s, "RuntimeDefault")
    return plan
