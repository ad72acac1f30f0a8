"""A legacy seccomp annotation on a pod template.

## What it does
Reports `seccomp.security.alpha.kubernetes.io/pod` and
`container.seccomp.security.alpha.kubernetes.io/<name>` annotations on a pod template's
metadata (or a Pod's).

## Why is this bad
The annotations were deprecated in Kubernetes 1.19 and are ignored from 1.27: a manifest that
relies on them silently runs its containers without the profile it asks for.

## Example
```yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
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
- https://kubernetes.io/docs/reference/labels-annotations-taints/#seccomp-security-alpha-kubernetes-io-pod
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edit.edits import Context, Plan
from ..model.data import FixSpec, Level, Options, Severity
from ..model.seccomp import SettingOrigin, field_yaml
from ..model.workloads import PodTemplate
from .base import PersonDecides, Problem, RuleType, migrate, safe, unsafe

ID = "deprecated-seccomp-annotation"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.WARNING
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a setting that looks like confinement and is not.
SECURITY_SEVERITY = 4.0
FIXES: tuple[FixSpec, ...] = (
    safe(
        "migrate to the field, remove the annotation",
        "moves the value to `securityContext.seccompProfile` with the upstream mapping "
        "(`runtime/default` and `docker/default` → `RuntimeDefault`, `localhost/<p>` → "
        "`Localhost` with `localhostProfile: <p>`) and removes the annotation; where the field "
        "already says the same (and on Windows pods) it only removes the annotation.",
    ),
    unsafe(
        "`unconfined` → `RuntimeDefault`",
        "an `unconfined` annotation is replaced by `type: RuntimeDefault`: the workload then "
        "runs under seccomp, which a person should review.",
    ),
)
FIX_NOTE = ""
FIX_ORDER = 1


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    status = (
        "deprecated since Kubernetes 1.19 and ignored from 1.27"
        if options.annotations_effective
        else "ignored since Kubernetes 1.27"
    )
    for s in pod.all_annotation_settings():
        target = (
            f"{pod.path}.securityContext"
            if s.container is None
            else f'the securityContext of container "{s.container}"'
        )
        if not s.valid:
            help_text = "remove the annotation and set securityContext.seccompProfile"
        elif s.type == "Unconfined":
            # Never recommend writing Unconfined: the field would turn seccomp off for good.
            help_text = (
                f"remove the annotation and set seccompProfile: {{type: RuntimeDefault}} in "
                f"{target} (the annotation turned seccomp off)"
            )
        else:
            help_text = f"set seccompProfile: {field_yaml(s)} in {target} and remove the annotation"
        yield Problem(
            node=s.key,
            message=f"seccomp annotation {s.key.value!r} is {status}",
            help=help_text,
            container=s.container,
            setting=s,
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """Move the annotation's profile to the field and remove the annotation."""
    s = problem.setting
    if s is None or s.origin is not SettingOrigin.ANNOTATION:
        raise PersonDecides("no setting")
    return migrate(c, pod, s.key, s, None, FIXES[0], FIXES[1])
