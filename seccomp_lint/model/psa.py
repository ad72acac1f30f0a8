"""Pod Security Admission's values: levels, versions, modes, checks, and a pod template's verdict.

Values only (findings carry :class:`Admission`); how labels resolve to a policy and how a pod
template is judged is in :mod:`.admission`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PsaLevel(StrEnum):
    """A Pod Security Standards level, least strict first."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        """0, 1, 2: privileged < baseline < restricted."""
        return list(PsaLevel).index(self)


class PsaMode(StrEnum):
    """What Pod Security Admission does with a violation."""

    ENFORCE = "enforce"  # the Pod is rejected
    WARN = "warn"  # the client (kubectl) prints a warning
    AUDIT = "audit"  # an annotation on the audit event


class AdmissionOutcome(StrEnum):
    """What happens to the object, most severe first."""

    REJECTED = "rejected"  # a Pod: refused at admission
    PODS_REJECTED = "pods-rejected"  # a workload: admitted; the pods its controller makes refused
    WARNED = "warned"  # admitted with a warning
    AUDITED = "audited"  # admitted, recorded in the audit log
    # A PodTemplate that only enforce's level fails: admitted silently (enforce does not judge
    # it, and nothing makes pods from it by itself); a Pod made from it would be refused.
    ADMITTED = "admitted"
    BOUND = "bound"  # compliant: a ProfileBinding gives its pods their profile (no finding)


@dataclass(frozen=True, order=True)
class PolicyVersion:
    """A policy version: ``v1.<minor>``, or latest (``minor`` None: the cluster's own)."""

    minor: int | None = None

    def __str__(self) -> str:
        return "latest" if self.minor is None else f"v1.{self.minor}"

    def at(self, kube_minor: int) -> int:
        """The minor whose checks this version evaluates on a cluster whose minor is
        ``kube_minor``: a pin no newer than the cluster as pinned; latest, and a pin newer than
        the cluster, as the cluster's own (the check registry clamps a version to the newest one
        its release knows, and ``latest`` is newer than any)."""
        return kube_minor if self.minor is None else min(self.minor, kube_minor)


LATEST = PolicyVersion()


@dataclass(frozen=True)
class LevelVersion:
    """A level at a version, as the API server prints it (``restricted:latest``)."""

    level: PsaLevel = PsaLevel.PRIVILEGED
    version: PolicyVersion = LATEST

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


@dataclass(frozen=True)
class PsaPolicy:
    """The level and version of each mode (Kubernetes' default: privileged, latest)."""

    enforce: LevelVersion = LevelVersion()
    warn: LevelVersion = LevelVersion()
    audit: LevelVersion = LevelVersion()

    def of(self, mode: PsaMode) -> LevelVersion:
        """The level and version of ``mode``."""
        return {PsaMode.ENFORCE: self.enforce, PsaMode.WARN: self.warn}.get(mode, self.audit)


@dataclass(frozen=True)
class PsaCheck:
    """A Pod Security check a problem violates: its id, level, the first policy version that
    has it, and the version from which Windows pods are exempt from it (None: never)."""

    id: str
    level: PsaLevel
    since: int
    windows_exempt_from: int | None = None


# seccompProfile_restricted: from v1.19; Windows pods (spec.os.name) exempt from v1.25.
SECCOMP_RESTRICTED = PsaCheck("seccompProfile_restricted", PsaLevel.RESTRICTED, 19, 25)
# seccompProfile_baseline: the field from v1.19 (v1.0 to v1.18 read the legacy annotations).
SECCOMP_BASELINE = PsaCheck("seccompProfile_baseline", PsaLevel.BASELINE, 19)
SECCOMP_BASELINE_ANNOTATION = PsaCheck("seccompProfile_baseline", PsaLevel.BASELINE, 0)


@dataclass(frozen=True)
class ModeVerdict:
    """One mode a pod template violates, at its level and version."""

    mode: PsaMode
    at: LevelVersion


@dataclass(frozen=True)
class Admission:
    """What Pod Security Admission does with a finding's pod template: the facts the linter
    records (namespace, kind, check, Windows, runtime class) and, once judged with every
    namespace of the run known, the modes violated and the outcome."""

    namespace: str
    kind: str | None
    check: PsaCheck
    windows: bool = False
    runtime_class: str | None = None
    images: tuple[str | None, ...] = ()  # of the containers the finding names
    # A Security Profiles Operator ProfileBinding gives every such container its profile when
    # the Pod is created (what, through which binding); None: none does.
    bound: str | None = None
    modes: tuple[ModeVerdict, ...] = ()
    outcome: AdmissionOutcome | None = None

    @property
    def is_pod(self) -> bool:
        """A bare Pod: enforce judges it; a workload's pods are judged when made."""
        return self.kind == "Pod"

    @property
    def makes_pods(self) -> bool:
        """Whether a controller makes pods from the object: every kind holding a pod template
        but a PodTemplate (a template for others to copy; nothing creates pods from it)."""
        return self.kind != "PodTemplate"

    def mode(self, mode: PsaMode) -> ModeVerdict | None:
        """The verdict of ``mode``, None when it is not violated."""
        return next((m for m in self.modes if m.mode is mode), None)
