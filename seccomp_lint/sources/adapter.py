"""What a build source adapter is, and the types every adapter shares.

A build source (a kustomization, a Helm chart) is linted through its output: the adapter builds
or renders it, lints the output and maps each finding back to its source (:class:`Mapped`).
With ``--fix`` it locates each planned structural change (target object, node path, new value)
in its own files and supplies its end-to-end check (rebuild, re-render); the edits, their
verification, the writes and the undo are the fix engine's (:mod:`seccomp_lint.fix`). The
registry of adapters, one per build kind, is :mod:`seccomp_lint.sources.builds`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Generic, Protocol, TypeVar

from ..fix.fixes import FileFix
from ..lint.linter import FileResult
from ..model.data import Finding, Options
from ..rules import UNUSED
from ..rules.unused_suppression import about_annotation
from .discover import KUSTOMIZE, Discoverer, Planned
from .files import real_path

R = TypeVar("R")


@dataclass(frozen=True)
class Mapped(Generic[R]):
    """A finding of a build's output mapped to its source: as reported (at its source file and
    line), as linted in the output (with the fix planned there), and the adapter's own record
    of where that fix would go (``ref``: a values key, a source file or patch)."""

    finding: Finding
    rendered: Finding
    ref: R


@dataclass
class Build:
    """One build input, linted: its kind (the registry's key), its result and each finding's
    mapping. An adapter may extend it with what its fix stage needs."""

    kind: str
    directory: str
    result: FileResult
    mapped: list[Mapped] = field(default_factory=list)
    # the source files the build read (templates and values, resources): what the summary
    # counts as the files checked
    sources: tuple[str, ...] = ()


@dataclass
class Shared:
    """What the fix stages of one run's builds share."""

    # The run's repositories (their builds, and which file feeds which): a fix to a file several
    # builds share is checked against each of them; --diff's scratch copy holds what they read.
    discoverer: Discoverer = field(default_factory=lambda: Discoverer(None))
    # The source spots of unsafe fixes already counted as held back (a base's finding seen
    # through two overlays is one fix held back).
    held: set[tuple] = field(default_factory=set)
    # With --diff, what earlier builds' fix stages would have written (real path -> text), so a
    # build that shares a file sees it as --fix would leave it.
    staged: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class FixRun:
    """What a fix stage is asked to do, the same for every build kind."""

    options: Options
    unsafe: bool  # apply unsafe fixes too
    write: bool  # --fix writes; --diff only says what would change
    keep: Callable[[Finding], bool]  # findings the config does not switch off for their path
    values: tuple[str, ...] = ()  # --values files (Helm)
    shared: Shared = field(default_factory=lambda: Shared())
    # --diff run as --fix in a scratch copy: the writes are real there, the notes say "would".
    rehearsal: bool = False
    # The values files the config names for the chart (Helm; ``Discoverer.chart_values``): each
    # one render, besides the defaults, that a chart's fix is verified with.
    configured: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        """Whether what the stage writes is the user's (notes say "edited", not "would edit")."""
        return self.write and not self.rehearsal


@dataclass
class BuildFix:
    """What fixing one build did."""

    files: list[FileFix]  # the source files that changed (or would, with --diff)
    remaining: FileResult  # the findings after the fix, per the rebuilt output
    problems: list[tuple[str, str]]  # (path, why) for what could not be done
    notes: str = ""  # what was edited beyond the findings' own lines, and patches to paste
    held_back: int = 0  # unsafe fixes not applied
    # The build's other renders with its changes, as verified (a chart's: by the absolute paths
    # of their values files): an earlier fix stage of one of them may have kept a finding that
    # this one's change removes (the defaults' values.yaml, under a configured values file).
    renders: dict[tuple[str, ...], FileResult] = field(default_factory=dict)


class BuildSource(Protocol):
    """An adapter: builds and lints one kind of build input, and fixes it in its sources."""

    # Whether its end-to-end check reads the files from disk (a rebuild): then ``--diff`` runs
    # the fix stage in a scratch copy (:mod:`.scratch`) to show what ``--fix`` would keep.
    checks_on_disk: bool

    def lint(self, directory: str, values: list[str], options: Options) -> Build:
        """Build (or render) ``directory``, lint the output, map findings to their sources."""
        ...

    def ahead(self, runs: list[tuple[str, ...]], jobs: int) -> AbstractContextManager[None]:
        """Within: the builds of ``runs`` (directories in the order they are asked for, those
        that may share one tool run together) may start before :meth:`lint` asks for them, up
        to ``jobs`` at once (a lint's, which nothing changes the files under)."""
        ...

    def fix(self, build: Build, run: FixRun) -> BuildFix:
        """Fix the build's findings in its sources, each change located by the adapter and
        confirmed by its end-to-end check."""
        ...


def as_verified_last(
    fixed: list[tuple[Build, BuildFix, tuple[str, ...]]],
) -> list[tuple[Build, BuildFix]]:
    """A walk's fix stages in turn, ``(build, what its fix stage did, its values files)``, each
    left with the findings the renders verified last still have: a later render's change (the
    defaults' values.yaml) may remove a finding an earlier one (a configured values file's,
    whose own change was declined) kept."""
    out = []
    for i, (build, done, values) in enumerate(fixed):
        key = (os.path.abspath(build.directory), tuple(map(os.path.abspath, values)))
        for later, after, _ in fixed[i + 1 :]:
            if key[1] in after.renders and os.path.abspath(later.directory) == key[0]:
                now = Counter(f.identity for f in after.renders[key[1]].findings)
                kept = []
                for f in done.remaining.findings:
                    if now[f.identity]:
                        now[f.identity] -= 1
                        kept.append(f)
                done.remaining = replace(done.remaining, findings=kept)
        out.append((build, done))
    return out


@dataclass
class Spots:
    """What a run's builds reported, each finding once per source spot (:func:`once_per_spot`),
    their unused-suppression annotations held back until every build is in: an annotation in a
    file several builds read (a base, a base's patch, a component) is unused only where each of
    them reports it unused (one overlay patches the value it excuses away, another still needs
    it)."""

    seen: set[tuple] = field(default_factory=set)
    held: dict[tuple, Finding] = field(default_factory=dict)  # spot -> the finding
    reported: dict[tuple, set[str]] = field(default_factory=dict)  # spot -> the builds (real)
    failed: set[str] = field(default_factory=set)  # builds that did not build
    # files whose unused-suppression annotations a build outside the run may use (absolute)
    unjudged: set[str] = field(default_factory=set)

    def once(self, result: FileResult, build: str) -> FileResult:
        """``result`` (of the build in ``build``) less the findings reported already, and its
        unused-suppression annotations."""
        if result.error:
            self.failed.add(real_path(build))
        held = [f for f in result.findings if f.rule == UNUSED.ID and about_annotation(f)]
        for f in held:
            spot = _spot(f)
            self.held.setdefault(spot, f)
            self.reported.setdefault(spot, set()).add(real_path(build))
        kept = once_per_spot(result, self.seen)
        return replace(kept, findings=[f for f in kept.findings if f not in held]) if held else kept

    def left(
        self, discoverer: Discoverer, walked: Iterable[Planned], named: Iterable[Build]
    ) -> list[FileResult]:
        """The unused annotations held back that every build reading their file reports, by
        file. One in a file that builds outside the run read too (a pre-commit run builds only
        the overlays the changed files reach), or that a build which failed reads, is not
        judged: one of those may use it."""
        ran = {real_path(p.directory) for p in walked} | {real_path(b.directory) for b in named}
        ran -= self.failed
        by_path: dict[str, list[Finding]] = {}
        for spot, f in self.held.items():
            readers = {real_path(r) for r in discoverer.readers(KUSTOMIZE, f.path)}
            if readers <= (ran & self.reported[spot]):  # (none known: as its builds say)
                by_path.setdefault(f.path, []).append(f)
            elif not readers <= ran:  # (its baseline entries are not gone)
                self.unjudged.add(os.path.abspath(f.path))
        return [FileResult(path, found) for path, found in by_path.items()]


def _spot(f: Finding) -> tuple:
    return (os.path.abspath(f.path), f.line, f.column, f.rule, f.container, f.suppressed)


def once_per_spot(result: FileResult, seen: set[tuple]) -> FileResult:
    """A build's result less the findings another build reported at the same source spot
    (overlays that share a base, a chart rendered with several values files)."""
    kept = []
    for f in result.findings:
        key = _spot(f)
        if key not in seen:
            seen.add(key)
            kept.append(f)
    return replace(result, findings=kept)


def per_file(result: FileResult, sources: tuple[str, ...] = ()) -> list[FileResult]:
    """Split a build's result by source file: one FileResult per file with findings and one per
    other source file the build read (``sources``), else one for the whole build."""
    if result.error or not (result.findings or sources):
        return [result]
    by_path: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_path.setdefault(f.path, []).append(f)
    have = {real_path(p) for p in by_path}
    for path in sources:
        real = real_path(path)
        if real not in have:
            have.add(real)
            by_path[path] = []
    return [
        FileResult(
            path,
            by_path[path],
            documents=result.documents if i == 0 else 0,
            pods=result.pods if i == 0 else 0,
            declared=result.declared if i == 0 else [],
        )
        for i, path in enumerate(sorted(by_path))
    ]


def resolved(
    before: list[Finding], after: list[Finding], muted: Callable[[str], Callable[[Finding], bool]]
) -> int:
    """How many of the findings a run reports before the fixes are gone after them: counted
    as the report counts (``muted``: per-path ignores; suppressions left out), by identity, so
    that in every mode found = fixed + remaining, found being what a plain run reports."""

    def counted_ones(findings: list[Finding]) -> Counter:
        return Counter(f.identity for f in findings if f.suppressed is None and muted(f.path)(f))

    return sum((counted_ones(before) - counted_ones(after)).values())
