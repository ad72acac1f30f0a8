"""A `Localhost` seccomp profile that is not in the profiles directory.

## What it does
With `--profiles-dir DIR` (or the `profiles-dir` config key), a local copy of the kubelet's
seccomp root (`/var/lib/kubelet/seccomp` on the nodes), resolves every `localhostProfile` (and,
below Kubernetes 1.27, every `localhost/<profile>` annotation) inside `DIR` and reports the ones
whose file is absent, is not a regular file, or resolves outside `DIR` through a symlink. Without
`--profiles-dir` the rule does nothing, except with `--level namespace`: there a path in the
Security Profiles Operator's forms (`operator/<namespace>/<name>.json`, `operator/<name>.json`)
is resolved against the `SeccompProfile` objects of the inputs, and reported when none is the
one it names. Paths that are absolute or contain `..` are reported as `invalid-seccomp-profile`
instead.

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

from ..model.admission import operator_profile
from ..model.data import FixSpec, Level, Options, Severity
from ..model.profiles import references
from ..model.workloads import PodTemplate
from .base import Problem, RuleType

ID = "localhost-profile-not-found"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the container never starts: a broken deployment rather than a weaker one.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "add the profile to the directory (and to every node), or correct the path."


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    yield from _operator_paths(pod, options)
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


def _operator_paths(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    """With ``--level namespace`` and no ``--profiles-dir``: the Security Profiles Operator's
    paths (``operator/<namespace>/<name>.json``, ``operator/<name>.json``), each a problem that
    holds when no input declares that ``SeccompProfile`` (settled once every input is read)."""
    if options.level != Level.NAMESPACE or options.profiles_dir is not None:
        return
    for s in pod.all_field_settings():
        ref = (
            operator_profile(s.profile) if s.valid and s.type == "Localhost" and s.profile else None
        )
        if ref is None:
            continue
        entry = pod.doc.entry(s.value, "localhostProfile")
        namespace, name = ref
        where = f' in namespace "{namespace}"' if namespace else ""
        yield Problem(
            node=entry[0] if entry else s.key,
            message=(
                f'{s.owner}: Localhost profile "{s.profile}" is the Security Profiles Operator\'s '
                f'SeccompProfile "{name}"{where}, which no input declares; the kubelet cannot '
                "start the container until the operator has installed it"
            ),
            help=f'add the SeccompProfile "{name}" to the manifests, or fix the path',
            container=s.container,
            setting=s,
            profile_ref=ref,
        )
