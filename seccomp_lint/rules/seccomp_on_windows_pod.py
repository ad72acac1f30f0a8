"""A seccomp setting on a Windows pod.

## What it does
Reports `seccompProfile` fields and seccomp annotations on a pod with `spec.os.name: windows`
(Kubernetes 1.25 and later). A Windows `nodeSelector` alone does not make a pod a Windows pod.

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

## Fix
Unsafe (`--unsafe-fixes`): removes the `seccompProfile`.

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
- https://kubernetes.io/docs/concepts/workloads/pods/#pod-os
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Options
from ..workloads import PodTemplate
from . import Problem

ID = "seccomp-on-windows-pod"
LEVEL = "baseline"
SEVERITY = "error"


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if not (pod.is_windows and options.windows_aware):
        return
    for s in (*pod.all_field_settings(), *pod.all_annotation_settings()):
        owner = s.owner
        what = "seccompProfile" if s.origin == "field" else "a seccomp annotation"
        yield Problem(
            node=s.key,
            message=f"{pod.label}: {owner} sets {what} on a Windows pod (spec.os.name: windows)",
            help="remove it: Windows has no seccomp",
            container=s.container,
            setting=s,
        )
