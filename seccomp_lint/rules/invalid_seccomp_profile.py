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

## References
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context
- https://kubernetes.io/docs/tutorials/security/seccomp/
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from yaml.nodes import MappingNode, ScalarNode

from ..edit.edits import Context, NoFix, Plan, remove, replace_with_flow
from ..model.data import Change, ChangeOp, FixSpec, Level, Options, Severity
from ..model.seccomp import SettingOrigin
from ..model.workloads import PodTemplate
from ..text.documents import MERGE, text
from .base import PersonDecides, Problem, RuleType, safe, set_type, unsafe

ID = "invalid-seccomp-profile"
TYPE = RuleType.POD
# check(pod) reads only seccomp settings (fields, annotations): none without this word.
NEEDLES = (b"seccomp",)
LEVEL: Level | None = Level.BASELINE
SEVERITY = Severity.ERROR
# GitHub code scanning's security-severity (0-10; 7+ high, 9+ critical): the API server rejects the object or the container never starts: a broken deployment rather than a weaker one.
SECURITY_SEVERITY = 5.0
FIXES: tuple[FixSpec, ...] = (
    safe(
        "bare string → `{type: …}`; mis-cased type corrected",
        "a bare string (`seccompProfile: RuntimeDefault`) becomes `{type: RuntimeDefault}`, and "
        "a mis-cased `RuntimeDefault` or `Localhost` gets its correct spelling.",
    ),
    unsafe(
        "mis-cased `unconfined` → `RuntimeDefault`; stray `localhostProfile` removed",
        "a mis-cased `unconfined` (which the API rejects) becomes `RuntimeDefault`, never "
        "`Unconfined`, which would turn seccomp off; a `localhostProfile` beside type "
        "`RuntimeDefault` or `Unconfined` is removed (a person may have meant `Localhost`).",
    ),
)
FIX_NOTE = "Other shapes need a person."
FIX_ORDER = 3


def check(pod: PodTemplate, options: Options) -> Iterator[Problem]:
    if pod.is_windows and options.windows_aware:
        return
    for s in (*pod.all_field_settings(), *pod.all_annotation_settings()):
        if s.valid:
            continue
        owner = s.owner
        if s.corrected == "Unconfined":
            # The spelling the API accepts would turn seccomp off: never recommend it.
            help_text = "write type: RuntimeDefault (Unconfined would turn seccomp off)"
        elif s.corrected and s.type_key is None:
            help_text = f"write seccompProfile: {{type: {s.corrected}}}"
        elif s.corrected:
            help_text = f"write type: {s.corrected}"
        elif s.origin is SettingOrigin.ANNOTATION:
            help_text = "use securityContext.seccompProfile: {type: RuntimeDefault} instead"
        else:
            help_text = "write seccompProfile: {type: RuntimeDefault}"
        yield Problem(
            node=s.at or s.key,
            message=f"{owner}: {s.problem}",
            help=help_text,
            container=s.container,
            setting=s,
        )


def fix(c: Context, pod: PodTemplate, problem: Problem) -> Plan:
    """The unambiguous correction of a field's shape or spelling."""
    s = problem.setting
    if s is None or s.origin is not SettingOrigin.FIELD:
        raise PersonDecides("not a field")
    corrected: str | None
    if s.corrected == "Unconfined":
        # The spelling the API accepts would turn seccomp off: RuntimeDefault, for a person
        # to review.
        corrected, spec = "RuntimeDefault", FIXES[1]
    else:
        corrected, spec = s.corrected, FIXES[0]
    if corrected and s.type_key is None:
        if corrected == "Localhost" or not isinstance(s.value, ScalarNode):
            raise PersonDecides("ambiguous")
        new = {"type": corrected}
        plan = Plan(spec, f"write seccompProfile: {{type: {corrected}}}")
        plan.add(
            replace_with_flow(c, s.value, new, s.key),
            [Change(ChangeOp.SET, c.path(s.value), json.dumps(new))],
        )
        return plan
    if not isinstance(s.value, MappingNode):
        # A list, or a scalar that names no type: what was meant is for a person to say.
        raise PersonDecides("not a mapping")
    entries = c.doc.mapping(s.value) or {}
    if any(k.tag == MERGE for k, _ in s.value.value):
        raise NoFix("the profile is built with a merge key")
    others = set(entries) - {"type"}
    profile = text(entries["localhostProfile"][1]) if "localhostProfile" in entries else None
    if corrected:
        if corrected == "Localhost":
            ok = others == {"localhostProfile"} and profile and s.problem and "type" in s.problem
        else:
            ok = not others
        if not ok:
            raise PersonDecides("the corrected setting would still be rejected")
        plan = Plan(spec, f"write type: {corrected}")
        set_type(c, plan, s, corrected)
        return plan
    if s.type in ("RuntimeDefault", "Unconfined") and others == {"localhostProfile"}:
        plan = Plan(FIXES[1], f"remove localhostProfile (type is {s.type})")
        plan.add(*remove(c, s.value, "localhostProfile"))
        return plan
    raise PersonDecides("needs a person")
