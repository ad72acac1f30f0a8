"""A seccomp annotation on a workload's own metadata, where it does nothing.

## What it does
Reports legacy seccomp annotations on the metadata of a Deployment, StatefulSet, DaemonSet,
Job, CronJob (also its `jobTemplate`), PodTemplate or custom workload, instead of on its pod
template.

## Why is this bad
Only the pod's annotations ever set a profile; on the workload they have no effect, so the
author believes the pods are confined while they are not.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  template:
    spec:
      securityContext:
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: nginx
```

## Use instead
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: nginx
```

## References
- https://kubernetes.io/docs/tutorials/security/seccomp/
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edit.edits import Context, Plan
from ..model.data import FixSpec, Level, Options, Severity
from ..model.seccomp import CONTAINER_ANNOTATION, POD_ANNOTATION, read_annotation
from ..model.workloads import PodTemplate
from .base import PersonDecides, Problem, RuleType, migrate, safe, unsafe

ID = "misplaced-seccomp-annotation"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.WARNING
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a setting that looks like confinement and is not.
SECURITY_SEVERITY = 4.0
FIXES: tuple[FixSpec, ...] = (
    safe(
        "migrate to the pod template's field",
        "sets the mapped `seccompProfile` in the pod template (when it has none) and removes "
        "the annotation; where the pod template already says the same it only removes it.",
    ),
    unsafe(
        "`unconfined` → `RuntimeDefault` in the pod template",
        "an `unconfined` annotation is replaced by `type: RuntimeDefault` in the pod template: "
        "the workload then runs under seccomp, which a person should review.",
    ),
)
FIX_NOTE = ""
FIX_ORDER = 2


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    for key, _value in pod.misplaced_annotations():
        yield Problem(
            node=key,
            message=(
                f"seccomp annotation {key.value!r} on the {pod.obj.kind}'s own "
                "metadata has no effect"
            ),
            help=f"set {pod.path}.securityContext.seccompProfile instead and remove the annotation",
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """Move the annotation's profile to the pod template's field and remove the annotation."""
    key = problem.node
    if key is None:
        raise PersonDecides("no annotation key")
    entry = next(((k, v) for k, v in pod.misplaced_annotations() if k is key), None)
    if entry is None:
        raise PersonDecides("annotation not found")
    name = None if key.value == POD_ANNOTATION else key.value[len(CONTAINER_ANNOTATION) :]
    setting = read_annotation(pod.doc, entry, name)
    template = pod.annotation_settings.get(name)
    return migrate(c, pod, key, setting, template, FIXES[0], FIXES[1])
