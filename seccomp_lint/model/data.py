"""Value types shared by every stage: positions, findings, fixes, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from .psa import Admission

# The newest Kubernetes minor this release knows; the default for --kube-version.
NEWEST_KUBE = (1, 37)


class Applicability(StrEnum):
    """Whether ``--fix`` applies a fix by itself (safe) or only with ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Severity(StrEnum):
    """How a finding is shown: SARIF level, ``::error``/``::warning``."""

    ERROR = "error"
    WARNING = "warning"


class Level(StrEnum):
    """The Pod Security Standards level a run enforces."""

    RESTRICTED = "restricted"
    BASELINE = "baseline"
    # Each pod at its namespace's Pod Security labels, modes and versions (model/admission.py).
    NAMESPACE = "namespace"


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text from ``start`` up to (not including) ``end`` with ``content``."""

    start: Pos
    end: Pos
    content: str


class ChangeOp(StrEnum):
    """What a :class:`Change` does at its path."""

    SET = "set"  # set the JSON ``value`` (adding the key if needed)
    DELETE = "delete"  # remove the key


class Suppressed(StrEnum):
    """How a finding was suppressed."""

    ANNOTATION = "annotation"  # an ignore-check.seccomp-lint.io/<rule> annotation
    COMMENT = "comment"  # a # seccomp-lint: ignore[<rule>] comment


@dataclass(frozen=True)
class Change:
    """The intended change to a document's data: set (JSON ``value``) or delete at ``path``."""

    op: ChangeOp
    path: tuple[str | int, ...]
    value: str = "null"


@dataclass(frozen=True)
class FixSpec:
    """One documented fix of a rule: its safety and what it does, as ``--explain`` says it."""

    applicability: Applicability
    summary: str  # one line, for the rule tables
    detail: str  # the documentation's Fix section


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding; unsafe fixes need ``--unsafe-fixes``.

    ``edits`` splice the file's text; ``changes`` state the same change structurally, so it can
    be verified after a re-parse (and rendered as a Kustomize patch). A fix without edits is
    advice only: a rendered document whose change belongs in its template.
    """

    description: str
    applicability: Applicability
    edits: tuple[Edit, ...] = ()
    changes: tuple[Change, ...] = ()
    document: int = 0
    # The pod template it touches (document index and path): one fix per scope per round.
    scope: tuple = ()
    # Why --fix did not apply it, when it tried.
    declined: str | None = None


@dataclass(frozen=True)
class ObjectRef:
    """Which object in which document of the stream a finding belongs to."""

    kind: str | None
    name: str | None
    namespace: str | None
    document: int

    @property
    def label(self) -> str:
        """``Kind/name`` as messages show it."""
        return f"{self.kind}/{self.name or '<unnamed>'}"


@dataclass(frozen=True)
class Source:
    """Where a rendered object came from (Helm template or Kustomize source file)."""

    path: str
    line: int | None = None


class Identity(NamedTuple):
    """What a finding is about, independent of where the file puts it: the same finding in a
    fixed file, a rebuilt output or a re-rendered chart has the same identity. Two objects of
    one kind and name in two namespaces are two objects."""

    rule: str
    kind: str | None  # the object's
    namespace: str | None
    name: str | None
    container: str | None  # None: the pod
    setting: str | None  # which setting, e.g. ``securityContext.seccompProfile``


@dataclass(frozen=True)
class Finding:
    """One problem at one position.

    Identity is structured: rule, object (kind, namespace, name), container (None: the pod) and
    ``setting`` (which setting of the pod template or container, e.g.
    ``securityContext.seccompProfile``). The message does not name the object; reporters add
    its label. A suppressed finding is kept, flagged with how it was suppressed, so summaries
    can count it.
    """

    rule: str
    path: str
    line: int
    column: int
    message: str
    help: str | None = None
    severity: Severity = Severity.ERROR
    object: ObjectRef | None = None
    container: str | None = None
    setting: str | None = None
    source: Source | None = None
    fix: Fix | None = None
    suppressed: Suppressed | None = None
    # every container the finding covers (one finding can name several); () for the pod
    containers: tuple[str, ...] = ()
    # --level namespace: what Pod Security Admission does with the pod template (None: the
    # finding is no Pod Security check, or the run judges one level)
    admission: Admission | None = None
    # --level namespace: the Security Profiles Operator SeccompProfile (namespace, name) whose
    # absence from every input the finding reports (it is dropped when an input declares it)
    profile_ref: tuple[str | None, str] | None = None
    # The object as the file the finding is reported in writes it, where a build renamed it (a
    # Kustomize base that overlays prefix and move): what baselines and fingerprints key on,
    # the same whichever overlay reported it (None: as ``object``)
    written: ObjectRef | None = None

    @property
    def at_source(self) -> ObjectRef | None:
        """The object as the file the finding is reported in writes it (see ``written``)."""
        return self.written or self.object

    @property
    def identity(self) -> Identity:
        """What the finding is about, independent of where the file puts it."""
        obj = self.object
        if obj is None:
            return Identity(self.rule, None, None, None, self.container, self.setting)
        return Identity(self.rule, obj.kind, obj.namespace, obj.name, self.container, self.setting)

    @property
    def text(self) -> str:
        """The message with the object's label, as the reporters show it."""
        obj = self.object
        if obj is None or obj.kind is None:
            return self.message
        return f"{obj.label}: {self.message}"

    def changed(self, **changes: Any) -> Finding:
        """A copy with ``changes``: :func:`dataclasses.replace` without its look at the fields
        on every call (mapping a build's findings back makes thousands, 5x faster)."""
        if not changes.keys() <= self.__dict__.keys():
            raise TypeError(f"Finding has no field {sorted(changes.keys() - self.__dict__.keys())}")
        copy = object.__new__(Finding)
        fields = copy.__dict__  # (as the frozen __init__ sets them, past __setattr__)
        fields.update(self.__dict__)
        fields.update(changes)
        return copy


@dataclass(frozen=True)
class Options:
    """What to check: the knobs of the command line and config file."""

    level: Level = Level.RESTRICTED
    kube_version: tuple[int, int] = NEWEST_KUBE
    require_runtime_default: bool = False
    select: frozenset[str] | None = None
    ignore: frozenset[str] = field(default_factory=frozenset)
    prefilter: bool = True
    profiles_dir: str | None = None  # a copy of the kubelet seccomp root, for Localhost profiles
    # Attach a fix to each finding. Only JSON, SARIF, --fix and --diff show fixes; the text
    # formats skip the work (a tenth of a run with many findings).
    fixes: bool = True
    # Plan text edits for Helm-rendered documents too (a chart's fix carries them to templates);
    # else their fixes say the change belongs in the chart.
    edit_rendered: bool = False
    # The rules whose suppressions unused-suppression judges; None: the rules that run (the fix
    # stage runs every rule, and judges only the suppressions of the run's own).
    judged: frozenset[str] | None = None
    # --level namespace: the namespace of objects that name none (--namespace)
    namespace: str = "default"
    # --kubelet-config: the kubelet runs a container with no profile as RuntimeDefault
    seccomp_default: bool = False
    # The run may go on to a fix stage (--fix, --diff): a build's output is then linted whole,
    # with fixes planned on it for the fix stage to carry into patches. A lint run (False) plans
    # none there, and takes an object the build did not change from its source file's lint.
    fixing: bool = True

    @property
    def annotations_effective(self) -> bool:
        """Legacy seccomp annotations still set the profile (removed in 1.27)."""
        return self.kube_version < (1, 27)

    @property
    def os_validated(self) -> bool:
        """The API server validates ``spec.os`` (on by default from 1.24): a Windows pod may
        not set seccomp."""
        return self.kube_version >= (1, 24)

    @property
    def windows_aware(self) -> bool:
        """``spec.os.name`` exempts Windows pods (Pod Security Admission from 1.25)."""
        return self.kube_version >= (1, 25)
