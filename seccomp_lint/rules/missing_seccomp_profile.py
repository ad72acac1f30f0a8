"""Containers that run without a seccomp profile.

## What it does
Reports a pod template in which some container has no seccomp profile: neither its own
`securityContext.seccompProfile` nor the pod's `spec.securityContext.seccompProfile` is set
(below Kubernetes 1.27, a legacy seccomp annotation counts too). One finding per pod template
names every such container, init and ephemeral containers included. Windows pods
(`spec.os.name: windows`) are exempt from Kubernetes 1.25. With `--require-runtime-default`
(the CIS 5.7.2 wording) a `Localhost` profile is reported as well, and the rule runs at
`--level baseline` too: CIS 5.7.2 does not depend on the Pod Security level.

## Why is this bad
Without a profile the container runtime runs the container `Unconfined`: every syscall is
allowed, including the ones used in container escapes. The Pod Security Standards' restricted
level rejects such pods.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx
```

## Use instead
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: nginx
```

## References
- https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
- https://kubernetes.io/docs/tutorials/security/seccomp/
- CIS Kubernetes Benchmark 5.7.2; NSA/CISA Kubernetes Hardening Guidance (seccomp)
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edit.edits import Context, Plan
from ..model.data import FixSpec, Level, Options, Severity
from ..model.psa import SECCOMP_RESTRICTED
from ..model.workloads import PodTemplate
from .base import (
    PersonDecides,
    Problem,
    RuleType,
    add_runtime_default,
    away_from_localhost,
    containers_phrase,
    safe,
    unsafe,
)

ID = "missing-seccomp-profile"
TYPE = RuleType.POD
# A pod without any seccomp setting is what it reports: every document is checked.
NEEDLES: tuple[bytes, ...] = ()
LEVEL: Level | None = Level.RESTRICTED
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a container runs with every syscall allowed.
SECURITY_SEVERITY = 8.0
# CIS 5.7.2 (--require-runtime-default) does not depend on the Pod Security level.
CIS_ANY_LEVEL = True
FIXES: tuple[FixSpec, ...] = (
    safe(
        "add pod-level `seccompProfile: {type: RuntimeDefault}`",
        "adds `seccompProfile: {type: RuntimeDefault}` to the pod's `securityContext` (created "
        "if needed).",
    ),
    unsafe(
        "`Localhost` → `RuntimeDefault` (with `--require-runtime-default`)",
        "with `--require-runtime-default`, sets `type: RuntimeDefault` and removes "
        "`localhostProfile`: the workload stops running under its own profile.",
    ),
)
FIX_NOTE = (
    "Never applied to Windows pods, nor where the new field would disagree with a legacy "
    "annotation (that would add a `seccomp-annotation-mismatch`)."
)
FIX_ORDER = 6
# --kubelet-config with seccompDefault: true: the finding stays, and says what runs.
_KUBELET_DEFAULT = (
    "; the kubelet's seccompDefault runs it as RuntimeDefault, but admission and other clusters "
    "read the spec"
)


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    # --level namespace: each mode's policy version decides whether Windows pods are exempt.
    if pod.is_windows and options.windows_aware and options.level != Level.NAMESPACE:
        return
    pod_setting = pod.pod_field
    if pod_setting is None and options.annotations_effective:
        pod_setting = pod.pod_annotation
    bare: list[str] = []
    for c in pod.containers:
        own = c.field_setting
        if own is None and options.annotations_effective:
            own = c.annotation_setting
        if own is None:
            if pod_setting is None:
                bare.append(c.name)
        elif options.require_runtime_default and own.valid and own.type == "Localhost":
            yield Problem(
                node=own.type_key or own.key,
                message=(
                    f'container "{c.name}" uses a Localhost seccomp profile; '
                    "--require-runtime-default (CIS 5.7.2) requires RuntimeDefault"
                ),
                help="set type: RuntimeDefault and remove localhostProfile",
                container=c.name,
                setting=own,
            )
    if (
        options.require_runtime_default
        and pod_setting is not None
        and pod_setting.valid
        and pod_setting.type == "Localhost"
    ):
        yield Problem(
            node=pod_setting.type_key or pod_setting.key,
            message=(
                "the pod uses a Localhost seccomp profile; "
                "--require-runtime-default (CIS 5.7.2) requires RuntimeDefault"
            ),
            help="set type: RuntimeDefault and remove localhostProfile",
            setting=pod_setting,
        )
    if bare:
        verb = "runs" if len(bare) == 1 else "run"
        whose = "its own" if len(bare) == 1 else "their own"
        yield Problem(
            node=pod.anchor,
            message=(
                f"{containers_phrase(bare)} {verb} without a seccomp profile "
                f"(neither {whose} securityContext.seccompProfile nor the pod's is set)"
                + (_KUBELET_DEFAULT if options.seccomp_default else "")
            ),
            help=f"add to {pod.path}.securityContext: seccompProfile: {{type: RuntimeDefault}}",
            container=bare[0] if len(bare) == 1 else None,
            containers=tuple(bare),
            psa=SECCOMP_RESTRICTED,
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """RuntimeDefault for the pod (or instead of a Localhost profile, for CIS 5.7.2)."""
    if problem.setting is not None:  # --require-runtime-default on a Localhost profile
        return away_from_localhost(c, problem.setting, FIXES[1])
    if pod.is_windows:
        raise PersonDecides("Windows pod")
    plan = Plan(
        FIXES[0], f"add seccompProfile: {{type: RuntimeDefault}} to {pod.path}.securityContext"
    )
    add_runtime_default(c, pod, plan)
    return plan
