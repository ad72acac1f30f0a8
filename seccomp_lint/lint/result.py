"""What linting one input produced (:class:`FileResult`): every stage after the linter reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..model.admission import Declared
from ..model.data import Finding
from ..rules import SYNTAX
from ..text.documents import Document
from ..text.streams import Chunk


@dataclass
class FileResult:
    """What linting one input produced; suppressed findings are in ``findings``, flagged."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    size: int = 0
    notice: str | None = None  # why the input was skipped
    error: str | None = None  # why the input could not be read
    unparsed: str | None = None  # a document could not be read, and no rule reports it
    unrendered: bool = False  # skipped: it holds an unrendered template
    pods: int = 0  # pod templates checked
    data: bytes | None = None  # the bytes, kept when the fix stage cannot read them again
    # --level namespace: the Namespaces and ProfileBindings read (judged once all are read)
    declared: list[Declared] = field(default_factory=list)

    @property
    def reported(self) -> list[Finding]:
        """The findings that are not suppressed."""
        return [f for f in self.findings if f.suppressed is None]

    @property
    def parses(self) -> bool:
        """Whether every document could be read (no syntax finding, suppressed or not)."""
        return self.unparsed is None and not any(f.rule == SYNTAX.ID for f in self.findings)


@dataclass
class Share:
    """One chunk of a stream as the linter read it: the index of its first document, the
    findings and pod templates counted before it, and what :attr:`Shares.keep` took from each
    document composed from it (none for a List read item by item, nor a syntax error)."""

    chunk: Chunk
    index: int
    findings: int
    pods: int
    kept: list = field(default_factory=list)


@dataclass
class Shares:
    """Asked of :func:`~.linter.lint_bytes` by a caller that needs each chunk's share of a
    stream linted whole (a resource file of a build, :mod:`seccomp_lint.sources.kustomize`);
    ``keep`` reads what it needs from each composed document, which is then let go."""

    keep: Callable[[Document], object]
    chunks: list[Share] = field(default_factory=list)
