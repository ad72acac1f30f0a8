"""Value types shared by every stage: positions, findings, fixes, options."""

from __future__ import annotations

from dataclasses import dataclass, field

# The newest Kubernetes minor this release knows; the default for --kube-version.
NEWEST_KUBE = (1, 37)


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


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding; ``unsafe`` fixes need ``--unsafe-fixes``."""

    description: str
    applicability: str  # "safe" | "unsafe"
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class ObjectRef:
    """Which object in which document of the stream a finding belongs to."""

    kind: str | None
    name: str | None
    namespace: str | None
    document: int


@dataclass(frozen=True)
class Source:
    """Where a rendered object came from (Helm template or Kustomize source file)."""

    path: str
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem at one position; rule id and severity are stamped by the linter."""

    rule: str
    path: str
    line: int
    column: int
    message: str
    help: str | None = None
    severity: str = "error"
    object: ObjectRef | None = None
    container: str | None = None
    source: Source | None = None
    fix: Fix | None = None


@dataclass(frozen=True)
class Options:
    """What to check: the knobs of the command line and config file."""

    level: str = "restricted"  # "restricted" | "baseline"
    kube_version: tuple[int, int] = NEWEST_KUBE
    require_runtime_default: bool = False
    select: frozenset[str] | None = None
    ignore: frozenset[str] = field(default_factory=frozenset)
    prefilter: bool = True
    profiles_dir: str | None = None  # a copy of the kubelet seccomp root, for Localhost profiles
    # Attach a fix to each finding. Only JSON, SARIF, --fix and --diff show fixes; the text
    # formats skip the work (a tenth of a run with many findings).
    fixes: bool = True

    @property
    def annotations_effective(self) -> bool:
        """Legacy seccomp annotations still set the profile (removed in 1.27)."""
        return self.kube_version < (1, 27)

    @property
    def windows_aware(self) -> bool:
        """``spec.os.name`` exempts Windows pods (Pod Security Admission from 1.25)."""
        return self.kube_version >= (1, 25)
