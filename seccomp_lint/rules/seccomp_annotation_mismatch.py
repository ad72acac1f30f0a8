"""A legacy annotation and the seccompProfile field that disagree.

## What it does
Reports a pod (or container) whose legacy seccomp annotation names a different profile than
its `securityContext.seccompProfile` field.

## Why is this bad
The API server rejects pods whose annotation and field disagree, and a reader cannot tell which
of the two was meant.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: nginx
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
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

from ..model.data import FixSpec, Level, Options, Severity
from ..model.seccomp import same_profile
from ..model.workloads import PodTemplate
from .base import Problem, RuleType

ID = "seccomp-annotation-mismatch"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the API server rejects the object: a broken deployment rather than a weaker one.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "a person decides which of the two was meant."


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    pairs = [(pod.pod_annotation, pod.pod_field, "the pod")]
    pairs += [
        (c.annotation_setting, c.field_setting, f'container "{c.name}"') for c in pod.containers
    ]
    for ann, fld, owner in pairs:
        if ann is None or fld is None or not ann.valid or not fld.valid:
            continue
        if same_profile(ann, fld):
            continue
        yield Problem(
            node=ann.key,
            message=(
                f"{owner}: annotation says {ann.describe()} "
                f"but seccompProfile says {fld.describe()}"
            ),
            help="remove the annotation and keep the seccompProfile field you mean",
            container=ann.container,
            setting=ann,
        )
