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

## Fix
Unsafe (`--unsafe-fixes`): replaces `Unconfined` with `RuntimeDefault`. Someone chose
`Unconfined`, perhaps for a workload that needs a blocked syscall, so a person should review it.

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- CIS Kubernetes Benchmark 5.7.2
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Options
from ..seccomp import Setting
from ..workloads import PodTemplate
from . import Problem

ID = "unconfined-seccomp-profile"
LEVEL = "baseline"
SEVERITY = "error"


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if pod.is_windows and options.windows_aware:
        return
    settings: list[Setting] = list(pod.all_field_settings())
    if options.annotations_effective:
        settings += pod.all_annotation_settings()
    for s in settings:
        if not s.valid or s.type != "Unconfined":
            continue
        where = "annotation" if s.origin == "annotation" else "seccompProfile"
        if s.container is None:
            message = (
                f"{pod.label}: the pod's {where} is Unconfined; containers without their own "
                "profile run with seccomp off, and the restricted level rejects the pod even "
                "when every container overrides it"
            )
        else:
            message = f'{pod.label}: container "{s.container}" turns seccomp off ({where} Unconfined)'
        node = s.type_key if s.origin == "field" and s.type_key is not None else s.key
        yield Problem(
            node=node,
            message=message,
            help="use type: RuntimeDefault (or a Localhost profile that allows what it needs)",
            container=s.container,
            setting=s,
        )
