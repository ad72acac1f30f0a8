"""A privileged container, whose seccomp profile is ignored.

## What it does
Reports containers with `securityContext.privileged: true`.

## Why is this bad
A privileged container runs unconfined whatever its seccomp profile says: the runtime does not
apply seccomp (or most other isolation) to it, so a `RuntimeDefault` in the manifest gives false
assurance. The baseline Pod Security Standard rejects privileged containers.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: agent
      image: busybox
      securityContext:
        privileged: true
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: agent
      image: busybox
      securityContext:
        capabilities:
          add: [NET_ADMIN]
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
- https://kubernetes.io/docs/tutorials/security/seccomp/
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.data import FixSpec, Level, Options, Severity
from ..model.workloads import PodTemplate
from .base import Problem, RuleType

ID = "privileged-container-seccomp"
TYPE = RuleType.POD
# check(pod) reports securityContext.privileged only.
NEEDLES = (b"privileged",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.WARNING
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a setting that looks like confinement and is not.
SECURITY_SEVERITY = 4.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "dropping privilege needs to know which capabilities the workload really uses."


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    for c in pod.containers:
        if c.privileged_key is not None:
            yield Problem(
                node=c.privileged_key,
                message=(
                    f'container "{c.name}" is privileged, so it runs without '
                    "seccomp whatever its profile says"
                ),
                help="drop privileged: true and add only the capabilities it needs",
                container=c.name,
            )
