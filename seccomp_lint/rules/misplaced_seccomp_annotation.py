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

## Fix
Safe: sets the mapped `seccompProfile` in the pod template (when it has none) and removes the
annotation.

## References
- https://kubernetes.io/docs/tutorials/security/seccomp/
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Options
from ..workloads import PodTemplate
from . import Problem

ID = "misplaced-seccomp-annotation"
LEVEL = "baseline"
SEVERITY = "warning"


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    for key, _value in pod.misplaced_annotations():
        yield Problem(
            node=key,
            message=(
                f"{pod.label}: seccomp annotation {key.value!r} on the {pod.obj.kind}'s own "
                "metadata has no effect"
            ),
            help=f"set {pod.path}.securityContext.seccompProfile instead and remove the annotation",
        )
