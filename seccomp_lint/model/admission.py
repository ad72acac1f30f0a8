"""Pod Security Admission as the API server runs it: namespace labels to a policy, a pod
template's verdict per mode, and what admission then does.

The facts, from the ``k8s.io/pod-security-admission`` library (docs/admission.md): a level label
is ``privileged``, ``baseline`` or ``restricted``; a version label ``latest`` or ``v1.<minor>``.
An invalid enforce level is read as restricted (fail closed), an invalid warn or audit level as
privileged (fail open), an invalid version as latest; an unset label takes the admission
configuration's default; an unset warn level follows a valid enforce label stricter than it
(with the enforce version, unless a warn version is set). ``enforce`` judges Pods only; ``warn``
and ``audit`` also judge the pod templates of the kinds the API server knows (PodTemplate,
ReplicationController, ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob). A
rejected Pod gets no warning. Nothing makes pods from a PodTemplate by itself: enforce rejects
neither it nor any pods of its own. Exempt namespaces and runtime classes skip every mode.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from yaml.nodes import Node

from ..text.documents import Document, text
from .data import Level, ObjectRef, Options
from .psa import (
    LATEST,
    Admission,
    AdmissionOutcome,
    LevelVersion,
    ModeVerdict,
    PolicyVersion,
    PsaCheck,
    PsaLevel,
    PsaMode,
    PsaPolicy,
)
from .workloads import PodTemplate, typed_objects

PREFIX = "pod-security.kubernetes.io/"
# A Namespace with this label (any value) has the Security Profiles Operator's binding webhook.
BINDING_LABEL = "spo.x-k8s.io/enable-binding"
SPO_GROUP = "security-profiles-operator.x-k8s.io/"
# The kinds whose pod templates Pod Security Admission judges itself (warn and audit).
CONTROLLER_KINDS = frozenset(
    {
        "PodTemplate",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
    }
)
_VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")
LEVEL_NAMES = ", ".join(level.value for level in PsaLevel)
_MODES = frozenset(mode.value for mode in PsaMode)


@dataclass(frozen=True)
class Exemptions:
    """The admission configuration's exemptions (usernames cannot be judged from files)."""

    namespaces: frozenset[str] = frozenset()
    runtime_classes: frozenset[str] = frozenset()
    usernames: tuple[str, ...] = ()


@dataclass(frozen=True)
class PodSecurityConfig:
    """The API server's PodSecurity plugin configuration; Kubernetes' own without one."""

    defaults: PsaPolicy = field(default_factory=PsaPolicy)
    exemptions: Exemptions = field(default_factory=Exemptions)
    path: str | None = None  # the file it was read from


def parse_level(value: object) -> PsaLevel | None:
    """The level a label value names, None when it names none (case-sensitive)."""
    return next((level for level in PsaLevel if level.value == value), None)


def parse_version(value: object) -> PolicyVersion | None:
    """The version a label value names, None when it is neither ``latest`` nor ``v1.<minor>``."""
    if value == "latest":
        return LATEST
    match = _VERSION.fullmatch(value) if isinstance(value, str) else None
    return PolicyVersion(int(match.group(1))) if match else None


def label_problem(key: str, value: object) -> str | None:
    """Why the API server refuses a Pod Security label's value (None: it accepts it, or it is no
    mode label)."""
    mode = key[len(PREFIX) :] if key.startswith(PREFIX) else ""
    if mode in _MODES:
        return None if parse_level(value) else f"must be one of {LEVEL_NAMES}"
    if mode.endswith("-version") and mode.removesuffix("-version") in _MODES:
        return None if parse_version(value) else 'must be "latest" or "v1.x"'
    return None


def policy_to_evaluate(labels: Mapping[str, str], defaults: PsaPolicy) -> PsaPolicy:
    """A namespace's policy from its labels, resolved as the API server resolves them."""
    modes: dict[PsaMode, LevelVersion] = {m: defaults.of(m) for m in PsaMode}
    valid_enforce = False
    for mode in PsaMode:
        key = PREFIX + mode.value
        current = modes[mode]
        if key in labels:
            level = parse_level(labels[key])
            valid_enforce = valid_enforce or (mode is PsaMode.ENFORCE and level is not None)
            if level is None:  # fail closed for enforce, open for warn and audit
                level = PsaLevel.RESTRICTED if mode is PsaMode.ENFORCE else PsaLevel.PRIVILEGED
            current = replace(current, level=level)
        if key + "-version" in labels:
            current = replace(current, version=parse_version(labels[key + "-version"]) or LATEST)
        modes[mode] = current
    enforce, warn = modes[PsaMode.ENFORCE], modes[PsaMode.WARN]
    if PREFIX + "warn" not in labels and valid_enforce and enforce.level.rank > warn.level.rank:
        version = warn.version if PREFIX + "warn-version" in labels else enforce.version
        modes[PsaMode.WARN] = LevelVersion(enforce.level, version)
    return PsaPolicy(modes[PsaMode.ENFORCE], modes[PsaMode.WARN], modes[PsaMode.AUDIT])


@dataclass(frozen=True)
class NamespaceDecl:
    """A ``Namespace`` object in the inputs: its name, Pod Security labels, and whether the
    Security Profiles Operator binds profiles there."""

    name: str
    labels: tuple[tuple[str, str], ...]
    binding: bool = False
    where: str = field(default="", compare=False)  # path:line:column of the object
    # Read from the repository for context, not from an input (sources/context.py).
    context: bool = field(default=False, compare=False)


def redeclared(declared: list[Declared]) -> Iterator[str]:
    """A notice for each namespace that several Namespace objects declare with different Pod
    Security (or binding) labels: where each is, and that the last one is used."""
    seen: dict[str, list[NamespaceDecl]] = {}
    for d in declared:
        if isinstance(d, NamespaceDecl):
            seen.setdefault(d.name, []).append(d)
    for name, decls in seen.items():
        if len({(d.labels, d.binding) for d in decls}) < 2:
            continue
        places = ", ".join(dict.fromkeys(d.where or "?" for d in decls))
        yield (
            f'namespace "{name}" is declared more than once with different Pod Security labels '
            f"({places}): the last, {decls[-1].where or '?'}, is judged, as kubectl apply of the "
            "inputs in this order leaves it (each apply replaces the labels the previous one set)"
        )


@dataclass(frozen=True)
class BindingDecl:
    """A Security Profiles Operator ``ProfileBinding``: in its namespace, a Pod's containers
    whose image is ``image`` (``*``: every container) get the ``SeccompProfile`` named."""

    namespace: str
    name: str
    image: str
    profile: str

    def binds(self, image: str | None) -> bool:
        """Whether the binding gives a container of ``image`` its profile."""
        return self.image == "*" or (image is not None and image == self.image)


@dataclass(frozen=True)
class ProfileDecl:
    """A Security Profiles Operator ``SeccompProfile`` object in the inputs."""

    namespace: str | None
    name: str


Declared = NamespaceDecl | BindingDecl | ProfileDecl
# The paths the operator installs its profiles at, under the kubelet's seccomp root.
_OPERATOR_PATH = re.compile(r"operator/(?:([^/]+)/)?([^/]+)\.json")


def operator_profile(path: str) -> tuple[str | None, str] | None:
    """The ``SeccompProfile`` a Localhost path of the operator's forms names: ``(namespace,
    name)`` for ``operator/<namespace>/<name>.json``, ``(None, name)`` for
    ``operator/<name>.json``; None for any other path."""
    match = _OPERATOR_PATH.fullmatch(path)
    return (match.group(1), match.group(2)) if match else None


def has_profile(declared: list[Declared], ref: tuple[str | None, str]) -> bool:
    """Whether a ``SeccompProfile`` of ``declared`` is the one ``ref`` names (a path without a
    namespace names the profile in any)."""
    namespace, name = ref
    return any(
        isinstance(d, ProfileDecl) and d.name == name and namespace in (None, d.namespace)
        for d in declared
    )


@dataclass(frozen=True)
class NamespaceObject:
    """A ``Namespace`` object of a document, with its Pod Security labels' key and value nodes."""

    ref: ObjectRef
    name: str
    labels: dict[str, tuple[Node, Node]]
    binding: bool = False
    position: tuple[int, int] = (1, 1)  # of the object, in its file

    def decl(self, path: str = "") -> NamespaceDecl:
        """What the judgement needs: the name and the labels' values (non-strings as written),
        and where the object is."""
        values = tuple((k, str(v.value)) for k, (_, v) in sorted(self.labels.items()))
        where = f"{path}:{self.position[0]}:{self.position[1]}" if path else ""
        return NamespaceDecl(self.name, values, self.binding, where)


@dataclass
class NamespaceSummary:
    """One namespace of a run: its policy and how many pod templates met each outcome."""

    name: str
    policy: PsaPolicy
    declared: bool  # a Namespace object in the inputs names it
    exempt: bool = False  # the admission configuration exempts it
    outcomes: Counter = field(default_factory=Counter)  # AdmissionOutcome -> pod templates


def namespaces_in(doc: Document) -> Iterator[NamespaceObject]:
    """Each ``Namespace`` object of a document (``List`` items too)."""
    if b"Namespace" not in doc.text and b"\\" not in doc.text:
        return
    for obj, kind in typed_objects(doc):
        meta = doc.get(obj, "metadata")
        name = text(doc.get(meta, "name"))
        if kind != "Namespace" or name is None:
            continue
        entries = doc.mapping(doc.get(meta, "labels")) or {}
        labels = {k: kv for k, kv in entries.items() if k.startswith(PREFIX)}
        ref = ObjectRef("Namespace", name, None, doc.index)
        yield NamespaceObject(ref, name, labels, BINDING_LABEL in entries, doc.pos(obj))


def bindings_in(doc: Document, options: Options) -> list[BindingDecl | ProfileDecl]:
    """With ``--level namespace``, the seccomp ``ProfileBinding``\\ s and ``SeccompProfile``\\ s
    of a document (their namespace as for workloads: ``metadata.namespace``, else
    ``--namespace``)."""
    if options.level != Level.NAMESPACE or b"SeccompProfile" not in doc.text:
        return []
    found: list[BindingDecl | ProfileDecl] = []
    for obj, kind in typed_objects(doc):
        api = text(doc.get(obj, "apiVersion")) or ""
        if kind not in ("ProfileBinding", "SeccompProfile") or not api.startswith(SPO_GROUP):
            continue
        meta, spec = doc.get(obj, "metadata"), doc.get(obj, "spec")
        if kind == "SeccompProfile":
            own = text(doc.get(meta, "name"))
            if own is not None:
                found.append(
                    ProfileDecl(text(doc.get(meta, "namespace")) or options.namespace, own)
                )
            continue
        image, name = text(doc.get(spec, "image")), text(doc.get(meta, "name"))
        profile = text(doc.get(spec, "profileRef", "name"))
        if text(doc.get(spec, "profileRef", "kind")) != "SeccompProfile" or None in (
            image,
            name,
            profile,
        ):
            continue
        namespace = text(doc.get(meta, "namespace")) or options.namespace
        found.append(BindingDecl(namespace, name or "", image or "", profile or ""))
    return found


def facts(
    check: PsaCheck | None,
    pod: PodTemplate | None,
    options: Options,
    containers: tuple[str, ...] = (),
) -> Admission | None:
    """With ``--level namespace``, the admission facts of a problem of ``check`` in ``pod``, to
    judge once every namespace of the run is known (None: no Pod Security check, or no pod)."""
    if check is None or pod is None or options.level != Level.NAMESPACE:
        return None
    images = {c.name: text(pod.doc.get(c.node, "image")) for c in pod.containers}
    return Admission(
        namespace=pod.obj.namespace or options.namespace,
        kind=pod.obj.kind,
        check=check,
        windows=pod.is_windows,
        runtime_class=text(pod.doc.get(pod.spec, "runtimeClassName")),
        images=tuple(images.get(name) for name in containers),
    )


def violates(check: PsaCheck, at: LevelVersion, windows: bool, kube_minor: int) -> bool:
    """Whether ``check`` fails under a mode's level and version."""
    minor = at.version.at(kube_minor)
    if at.level.rank < check.level.rank or minor < check.since:
        return False
    exempt_from = check.windows_exempt_from
    return not (windows and exempt_from is not None and minor >= exempt_from)


def exemption(adm: Admission, config: PodSecurityConfig) -> str | None:
    """Why the admission configuration exempts ``adm``'s pod template (None: it does not)."""
    if adm.namespace in config.exemptions.namespaces:
        return f'namespace "{adm.namespace}" is exempt'
    if adm.runtime_class is not None and adm.runtime_class in config.exemptions.runtime_classes:
        return f'runtime class "{adm.runtime_class}" is exempt'
    return None


def binding(adm: Admission, bindings: list[BindingDecl], enabled: bool) -> Admission:
    """``adm`` with what binds its containers a profile: in a namespace enabled for binding, the
    first seccomp ProfileBinding of its namespace whose image each container runs (the webhook
    acts on Pods, for the containers that have no profile: missing-seccomp-profile)."""
    if not enabled or adm.check.id != "seccompProfile_restricted" or not adm.images:
        return adm
    chosen = [next((b for b in bindings if b.binds(image)), None) for image in adm.images]
    if any(b is None for b in chosen):
        return adm
    said = sorted(
        {f'SeccompProfile "{b.profile}" (ProfileBinding "{b.name}")' for b in chosen if b}
    )
    return replace(adm, bound=", ".join(said))


def evaluate(adm: Admission, policy: PsaPolicy, kube_minor: int) -> Admission:
    """``adm`` with the modes its pod template violates under ``policy`` and the outcome."""
    failed = {m for m in PsaMode if violates(adm.check, policy.of(m), adm.windows, kube_minor)}
    if adm.bound is not None:
        # The webhook mutates the Pod before admission judges it: a Pod passes; a workload is
        # still judged as written (warn, audit), its pods pass enforce.
        failed = set() if adm.is_pod else failed - {PsaMode.ENFORCE}
    if PsaMode.WARN in failed and (
        not judged_itself(adm) or (adm.is_pod and PsaMode.ENFORCE in failed)
    ):
        # No warning for a rejected Pod, and none the user sees for a kind admission does not
        # judge itself (its controller's requests get them).
        failed.discard(PsaMode.WARN)
    modes = tuple(ModeVerdict(m, policy.of(m)) for m in PsaMode if m in failed)
    judged = replace(adm, modes=modes)
    return replace(judged, outcome=_outcome(judged))


def judged_itself(adm: Admission) -> bool:
    """Whether admission judges the object itself (a Pod, or a kind it knows)."""
    return adm.is_pod or adm.kind in CONTROLLER_KINDS


def _outcome(adm: Admission) -> AdmissionOutcome | None:
    if adm.bound is not None and not adm.modes:
        return AdmissionOutcome.BOUND
    enforced = adm.mode(PsaMode.ENFORCE) is not None
    if enforced and adm.makes_pods:
        return AdmissionOutcome.REJECTED if adm.is_pod else AdmissionOutcome.PODS_REJECTED
    if adm.mode(PsaMode.WARN) is not None and judged_itself(adm):
        return AdmissionOutcome.WARNED
    # Audit judges the object and, for every kind, the pods it makes.
    if adm.mode(PsaMode.AUDIT) is not None:
        return AdmissionOutcome.AUDITED
    return AdmissionOutcome.ADMITTED if enforced else None


def rejects(adm: Admission) -> bool:
    """Whether the API server refuses the object or the pods its controller makes (an error)."""
    return adm.outcome in (AdmissionOutcome.REJECTED, AdmissionOutcome.PODS_REJECTED)


def describe(adm: Admission) -> str:
    """What admission does, as a finding's message says it."""
    ns = f'namespace "{adm.namespace}"'
    enforce, warn, audit = (adm.mode(m) for m in PsaMode)
    audited = f"; recorded in the audit log ({ns} audits {audit.at})" if audit else ""
    if enforce is not None and adm.is_pod:
        return f"rejected at admission: {ns} enforces {enforce.at}{audited}"
    if warn is not None and judged_itself(adm):
        said = f"admitted with a warning ({ns} warns at {warn.at})"
    else:
        said = "admitted"
    if enforce is not None and adm.makes_pods:
        return f"{said}; its pods will be rejected ({ns} enforces {enforce.at}){audited}"
    if enforce is not None:
        return f"{said}{audited}; a Pod made from it would be rejected ({ns} enforces {enforce.at})"
    if adm.bound is not None:
        audited += f"; its pods get {adm.bound} when created ({ns} is enabled for binding)"
    return f"{said}{audited}"
