"""A seccomp setting the API server rejects.

## What it does
Reports a `seccompProfile` that is not a mapping, lacks `type`, has a mis-cased or unknown
`type` or an unknown field, `Localhost` without `localhostProfile`, a `localhostProfile` with
another type, or a profile path that is absolute or contains `..`; and legacy annotation values
outside `runtime/default`, `docker/default`, `unconfined`, `localhost/<profile>`.

## Why is this bad
The API server refuses the object, so the deployment fails at apply time, often far from the
commit that broke it. A mis-cased pod-level type is reported once here, not again as a missing
profile for every container.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext:
    seccompProfile:
      type: runtimedefault
  containers:
    - name: app
      image: nginx
```

## Use instead
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: nginx
```

## Fix
Safe where unambiguous: a bare string (`seccompProfile: RuntimeDefault`) becomes
`{type: RuntimeDefault}`, and a mis-cased type gets its correct spelling. Other shapes need a
person.

## References
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context
- https://kubernetes.io/docs/tutorials/security/seccomp/
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Options
from ..workloads import PodTemplate
from . import Problem

ID = "invalid-seccomp-profile"
LEVEL = "baseline"
SEVERITY = "error"


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if pod.is_windows and options.windows_aware:
        return
    for s in (*pod.all_field_settings(), *pod.all_annotation_settings()):
        if s.valid:
            continue
        owner = s.owner
        if s.corrected and s.type_key is None:
            help_text = f"write seccompProfile: {{type: {s.corrected}}}"
        elif s.corrected:
            help_text = f"write type: {s.corrected}"
        elif s.origin == "annotation":
            help_text = "use securityContext.seccompProfile: {type: RuntimeDefault} instead"
        else:
            help_text = "write seccompProfile: {type: RuntimeDefault}"
        yield Problem(
            node=s.at or s.key,
            message=f"{pod.label}: {owner}: {s.problem}",
            help=help_text,
            container=s.container,
            setting=s,
        )
