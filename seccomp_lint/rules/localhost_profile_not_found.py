"""A `Localhost` seccomp profile that is not in the profiles directory.

## What it does
With `--profiles-dir DIR` (or the `profiles-dir` config key), a local copy of the kubelet's
seccomp root (`/var/lib/kubelet/seccomp` on the nodes), resolves every `localhostProfile` (and,
below Kubernetes 1.27, every `localhost/<profile>` annotation) inside `DIR` and reports the ones
whose file is absent, is not a regular file, or resolves outside `DIR` through a symlink. Without
`--profiles-dir` the rule does nothing. Paths that are absolute or contain `..` are reported as
`invalid-seccomp-profile` instead.

## Why is this bad
The kubelet reads the profile when it starts the container. When the file is missing the container
never starts (`CreateContainerError`), on every node that lacks it; the manifest itself looks fine
and passes admission.

## Example
With `--profiles-dir seccomp/`, where `seccomp/` holds only `profiles/strict.json`:
```yaml
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext:
    seccompProfile:
      type: Localhost
      localhostProfile: profiles/web.json
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
      type: Localhost
      localhostProfile: profiles/strict.json
  containers:
    - name: app
      image: nginx
```

## References
- https://kubernetes.io/docs/tutorials/security/seccomp/
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.data import FixSpec, Level, Options, Severity
from ..model.profiles import references
from ..model.workloads import PodTemplate
from .base import Problem, RuleType

ID = "localhost-profile-not-found"
TYPE = RuleType.POD
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the container never starts: a broken deployment rather than a weaker one.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "add the profile to the directory (and to every node), or correct the path."


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    for s, node, found in references(pod, options):
        if found.missing is None:
            continue
        yield Problem(
            node=node,
            message=(
                f'{s.owner}: Localhost profile "{s.profile}" {found.missing} '
                f"({found.shown}); the kubelet cannot start the container without it"
            ),
            help="add the profile to the profiles directory and to every node, or fix the path",
            container=s.container,
            setting=s,
        )
