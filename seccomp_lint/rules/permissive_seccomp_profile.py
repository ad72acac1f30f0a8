"""A seccomp profile that allows or only logs by default, or that is invalid.

## What it does
Judges seccomp profiles in the JSON format container runtimes load (the OCI runtime spec's
`linux.seccomp` object, as containerd, CRI-O and Docker read it), wherever the linter meets one:

- a `Localhost` profile named by a manifest, resolved inside `--profiles-dir` (reported at the
  manifest's `localhostProfile` key or `localhost/<profile>` annotation);
- a profile JSON file linted directly (`seccomp-lint profiles/`), recognised by its
  `defaultAction` and reported at the offending key;
- the `spec` of a Security Profiles Operator `SeccompProfile`.

It reports a profile whose `defaultAction` is `SCMP_ACT_ALLOW`, or `SCMP_ACT_LOG` (the audit
profile used to discover which syscalls a workload makes: fine for discovery, not for production),
naming any syscalls container escapes rely on (`ptrace`, `mount`, `unshare`, `setns`, `bpf`,
`keyctl`, `init_module`, `kexec_load`, `open_by_handle_at`, `clone` without a filter on its
namespace flags, ...) that an `SCMP_ACT_ALLOW` rule lists. It also reports a profile that does
not match the format (checked with `schemas/seccomp-profile.schema.json`): broken JSON, an
unknown action or architecture, a rule without `names`, an unknown field.

## Why is this bad
`type: Localhost` passes the Pod Security Standards whatever the file says. A profile that
allows every syscall it does not name confines little more than `Unconfined`, and an audit
profile allows everything. An invalid profile makes the runtime refuse to start the container,
or (for an unknown field) silently drops the setting it was meant to make.

## Example
```yaml
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: web, namespace: shop}
spec:
  defaultAction: SCMP_ACT_LOG
```

## Use instead
```yaml
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata: {name: web, namespace: shop}
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  syscalls:
    - action: SCMP_ACT_ALLOW
      names: [accept4, bind, close, epoll_wait, exit_group, futex, listen, read, write]
```

## References
- https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp
- https://docs.docker.com/engine/security/seccomp/#significant-syscalls-blocked-by-the-default-profile
- https://kubernetes.io/docs/tutorials/security/seccomp/
- https://github.com/kubernetes-sigs/security-profiles-operator
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.data import FixSpec, Level, Options, Severity
from ..model.profiles import Profile, judge, references
from ..model.workloads import PodTemplate
from .base import Problem, RuleType

ID = "permissive-seccomp-profile"
TYPE = RuleType.POD | RuleType.PROFILE
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): a container runs with every syscall allowed.
SECURITY_SEVERITY = 8.0
FIXES: tuple[FixSpec, ...] = ()
FIX_NOTE = "which syscalls a workload needs is for a person (or a recording) to decide."


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    """A manifest's Localhost profiles, judged from their files in ``--profiles-dir``."""
    for s, node, found in references(pod, options):
        if found.missing is not None or not found.verdicts:
            continue
        first, *rest = found.verdicts
        line, column = found.position(first)
        more = f" (and {len(rest)} more problem{'s' if len(rest) > 1 else ''})" if rest else ""
        yield Problem(
            node=node,
            message=f'{s.owner}: Localhost profile "{s.profile}" {first.text}{more}',
            help=f"{first.help} (see {found.shown}:{line}:{column})",
            container=s.container,
            setting=s,
        )


def check_profile(profile: Profile, options: Options) -> Iterator[Problem]:
    """A profile file or SeccompProfile object, reported at the offending keys."""
    for verdict in judge(profile):
        # An object's label is added by the reporters; a profile file has none.
        subject = "the profile" if profile.obj is not None else profile.label
        message = f"{subject} {verdict.text}"
        yield Problem(node=verdict.node, message=message, help=verdict.help)
