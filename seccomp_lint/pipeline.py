"""The one pipeline: inputs -> per-file results -> optional fix stage -> one report -> exit code.

Plain paths, stdin, Kustomize builds and Helm renders are linted into ``FileResult`` values; with
``--fix``/``--diff`` each goes through the one fix loop (:mod:`.fix.fixes`; a build through its
kind's adapter, found in the registry :mod:`.sources.builds`); then one report is written and
:func:`exit_code` decides. So options, notices, errors and exit codes mean the same in every
mode, and for every kind of build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TextIO

from .edit.diffs import not_applicable, unified_diff
from .fix.fixes import FileFix, as_on_disk, declined_note, fix_bytes, fix_file
from .fix.parts import in_parts
from .lint.linter import FileResult
from .lint.namespaces import judge_run, requirement
from .lint.request import Mode, Request, Streams
from .model.admission import PodSecurityConfig, redeclared
from .model.data import Finding, Level, Options, Severity
from .output.baseline import Baseline, BaselineError, read_baseline, recorded, settle
from .output.formats import TEXT_FORMATS, emit
from .output.github import on_github
from .output.identity import REPORT_ERRORS
from .output.report import Run, counted, escape
from .rules import BY_ID, SYNTAX, UNUSED, enabled
from .sources import files as sources
from .sources.adapter import (
    BuildFix,
    FixRun,
    Shared,
    Spots,
    as_verified_last,
    once_per_spot,
    per_file,
    resolved,
)
from .sources.context import repository_namespaces
from .sources.discover import Discoverer, Planned
from .text.streams import looks_json

if TYPE_CHECKING:
    from .sources.adapter import Build
    from .sources.helm.stream import Templates

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass
class Outcome:
    """What a run found and did; :func:`exit_code` reads it."""

    run: Run = field(default_factory=Run)
    rewritten: int = 0  # files rewritten (with --diff: that would be)
    fixed: int = 0  # findings fixed
    held_back: int = 0  # unsafe fixes not applied
    failed: bool = False  # an input could not be read, built or written
    # files part of which could not be parsed, with the syntax rule not selected: as in ruff, a
    # file that could not be checked fails the run whatever is selected
    unchecked: int = 0


def exit_code(outcome: Outcome, request: Request) -> int:
    """2 when an input could not be read, built or written (or the report not written); else,
    with ``--exit-zero``, 0 (``--diff`` too, as in ruff); 1 when part of a file could not be
    parsed (whatever rules are selected); with ``--diff``, 1 when there is a diff; with ``--fix
    --exit-non-zero-on-fix``, 1 when a file was rewritten; else 1 when a finding at
    ``--fail-level`` or above remains, 0 when none does."""
    if outcome.failed:
        return EXIT_ERROR
    if request.exit_zero:
        return EXIT_CLEAN
    if outcome.unchecked:
        return EXIT_FINDINGS
    if request.mode is Mode.DIFF:
        return EXIT_FINDINGS if outcome.rewritten else EXIT_CLEAN
    if request.mode is Mode.FIX and request.exit_non_zero_on_fix and outcome.rewritten:
        return EXIT_FINDINGS
    failing = (
        outcome.run.findings
        if request.fail_level == Severity.WARNING
        else [f for f in outcome.run.findings if f.severity == Severity.ERROR]
    )
    return EXIT_FINDINGS if failing else EXIT_CLEAN


class _Run:
    """One pipeline run: collects results into the outcome and prints notices."""

    def __init__(self, request: Request, streams: Streams) -> None:
        self.request = request
        self.streams = streams
        self.outcome = Outcome()
        self.templates: Templates | None = None  # the Helm templates on disk, once looked for
        # source spots of build findings already counted by the fix stage (see _once)
        self.fixed_spots: set[tuple] = set()
        self.spots = Spots()  # a finding several builds report at one source spot: once
        self.counted: set[str] = set()  # the files counted in the summary, by real path
        # The repositories' builds and which file feeds which, each indexed once when needed.
        self.discoverer = Discoverer(request.config, request.respect_gitignore, request.paths)
        self.shared = Shared(self.discoverer)
        # --diff: each file's diff, the last build's (against the file on disk), once
        self.pending: dict[str, FileFix] = {}
        self.required: Callable[[Finding], bool] = lambda f: True  # see fixable
        self.baseline: Baseline | None = None  # --baseline's, read
        self.rules = {r.ID for r in enabled(request.options)}  # the rules the run runs
        if request.baseline and not request.write_baseline:  # (--write-baseline records afresh)
            try:
                self.baseline = read_baseline(request.baseline)
            except BaselineError as exc:  # (the run's reports are still written, saying so)
                self.fail(exc.path, exc.why)
                self.baseline = Baseline(request.baseline, fixes_none=True)  # (not knowing it)

    def say(self, path: str | None, message: str) -> None:
        """A notice on stderr; a tool's output keeps its line breaks, indented, its lines escaped
        (on GitHub, its streams keep them from starting a workflow command: Streams.on_github)."""
        where = f"{escape(path)}: " if path else ""
        lines = [escape(line) for line in message.split("\n")]
        self.streams.stderr.write(f"seccomp-lint: {where}" + "\n    ".join(lines) + "\n")

    def note(self, text: str) -> None:
        """What a fix stage did beyond the findings' lines (and patches to paste), where fix
        notes go, its lines escaped as :meth:`say`'s."""
        lines = [escape(line) for line in text.rstrip("\n").split("\n")]
        _notes(self).write("\n".join(lines) + "\n")

    def fail(self, path: str, why: str) -> None:
        """An input that could not be read: said now, in the report, and the run exits 2."""
        self.outcome.run.errors.append((path, why))
        self.say(path, why)
        self.outcome.failed = True

    def located(self, result: FileResult, findings: list[Finding]) -> list[Finding]:
        """Findings of Helm-rendered documents in an input, shown at their templates' lines
        where the templates are on disk (relative to --chart or the working directory)."""
        if not any(f.source is not None and f.source.line is None for f in findings):
            return findings
        # A documented seam: the Helm modules load only for rendered input.
        from .sources.helm.stream import Templates, locate

        if self.templates is None:
            self.templates = Templates(list(self.request.charts))
        return locate(result.path, findings, result.data, self.templates, self.request.options)

    def _ignored(self, path: str) -> frozenset[str]:
        """The rules the config's per-path-ignores switch off for ``path``."""
        config = self.request.config
        return config.ignored_rules(path) if config else frozenset()

    def muted(self, path: str) -> Callable[[Finding], bool]:
        """Whether a finding counts in a file: not switched off for its path by the config."""
        off = self._ignored(path)
        return (lambda f: f.rule not in off) if off else (lambda f: True)

    def judged(self, rule: str, path: str) -> bool:
        """Whether the run looks for ``rule`` in the file at ``path`` (absolute)."""
        off = self._ignored(os.path.relpath(path))
        unjudged = rule == UNUSED.ID and path in self.spots.unjudged  # (a build not run)
        return rule in self.rules and rule not in off and not unjudged

    def fixable(self, path: str) -> Callable[[Finding], bool]:
        """Whether the fix stage fixes a finding in a file: it counts, no baseline records it
        (a plain run does not report it), and with ``--level namespace`` some mode of its
        namespace requires it (every input's Namespaces known)."""
        keep, base = self.muted(path), self.baseline
        return lambda f: keep(f) and self.required(f) and not (base and recorded(base, f))

    def collect(self, result: FileResult, findings: list[Finding] | None = None) -> None:
        """Add one input's result to the report."""
        run = self.outcome.run
        if result.error:
            self.fail(result.path, result.error)
            return
        if result.notice:
            run.skipped.append((result.path, result.notice))
            run.unrendered += result.unrendered
            if not self.request.display.quiet or self.request.mode is not Mode.LINT:
                self.say(result.path, result.notice)
        if result.unparsed:
            # Never hidden, not even by --quiet: part of the file was not checked.
            run.skipped.append((result.path, result.unparsed))
            self.say(result.path, result.unparsed)
            self.outcome.unchecked += 1
        # A base read by two overlays is one file (plain inputs are unique already, see
        # sources.files.Discovery.once: a string key, no file-system call per result).
        key = os.path.abspath(result.path)
        if key not in self.counted:
            self.counted.add(key)
            run.files += 1
            run.checked.append(result.path)
        run.documents += result.documents
        run.pods += result.pods
        run.declared += result.declared
        keep = self.muted(result.path)
        every = result.findings if findings is None else findings
        found = [f for f in every if keep(f)]
        hidden = next((f for f in every if not keep(f) and f.rule == SYNTAX.ID), None)
        if hidden is not None and not result.unparsed:
            # A per-path ignore may silence the rule, never the fact that the file was not read.
            why = f"not checked: {hidden.message} at {hidden.line}:{hidden.column}"
            run.skipped.append((result.path, why))
            self.say(result.path, why)
            self.outcome.unchecked += 1
        run.suppressed += sum(1 for f in found if f.suppressed is not None)
        reported = [f for f in found if f.suppressed is None]
        if self.request.mode is not Mode.LINT:
            reported = [declined_note(f) for f in reported]
        run.findings.extend(sorted(reported, key=lambda f: (f.line, f.column, f.rule)))

    def fixed(self, ff: FileFix) -> None:
        """Count a changed file, print its diff with ``--diff``."""
        if not ff.changed:
            return
        self.outcome.rewritten += 1
        if self.request.mode is Mode.DIFF:
            self.streams.stdout.write(unified_diff(ff.path, ff.original, ff.fixed, ff.regions))
            why = not_applicable(ff.original, ff.path)
            if why:
                self.say(ff.path, f"this diff cannot be applied by git: {why}")


def run(request: Request, streams: Streams | None = None) -> int:
    """Run the pipeline and return the exit code."""
    streams = streams or Streams()
    if request.fmt == "github" or on_github():
        streams = streams.on_github(request.fmt, request.mode is Mode.DIFF)
    try:
        return _run(request, streams)
    finally:
        for stream in (streams.stdout, streams.stderr):
            stream.flush()  # (a line held back to be checked whole)


def _run(request: Request, streams: Streams) -> int:
    sources.forget_folders()  # (a run looks at each folder once: not at the last run's)
    state = _Run(request, streams)
    own = (request.baseline, request.write_baseline)  # (not linted as a manifest)
    found = sources.gather(
        list(request.paths), request.config, request.exclude, request.respect_gitignore, own
    )
    for path, why in found.errors:  # (the other paths are still linted)
        state.fail(path, why)  # (in every format: JSON "failed", SARIF executionSuccessful)
    for path, why in found.notices:
        state.outcome.run.skipped.append((path, why))
        state.say(path, why)
    walked = _discover(state, found) if request.builds else []
    if request.paths and not found.discovered and not found.errors:
        # Nothing to lint is not a silent pass (a typo in a path, a walk that found nothing).
        # Files left out by an exclusion are a choice, not this (pre-commit names them).
        state.fail(", ".join(request.paths), "no manifest files (*.yaml, *.yml, *.json) here")
    fixing = request.mode is not Mode.LINT
    # (a finding of a rule with fixes sends a file to the fix stage, which lints it again)
    options = request.options
    from_stdin = False
    # --level namespace: the repository's Namespaces that no input declares, before the inputs'.
    context = repository_namespaces(state.discoverer, request, found.inputs)
    state.outcome.run.declared += [d for r in context for d in r.declared]
    results = sources.lint_all(found.inputs, options, request.jobs, keep_stdin=fixing)
    named = _builds(request, options)
    if fixing and options.level == Level.NAMESPACE:  # fix only what a namespace requires
        # (known from every input: a Namespace may come from a build, walked ones linted twice)
        results = iter(listed := list(results))
        built = [b.result for b in named]
        if walked:
            from .sources.builds import lint_walked  # (a documented seam, as in _walked_builds)

            built += [b.result for b in lint_walked(walked, named, options)]
        config = request.admission or PodSecurityConfig()
        state.required = requirement(context + listed + built, options, config)
    for result in results:
        if not fixing or result.error:
            result.findings = state.located(result, result.findings)
            result.data = None
            state.collect(result)
        elif result.data is not None:
            from_stdin = True
            _fix_stdin(state, result)
        else:
            _fix_path(state, result)
    seen = state.spots
    for build in named:
        if fixing and not build.result.error:
            _settled(state, build, _fix_build(state, build), seen)
        else:
            for result in per_file(build.result, build.sources):
                state.collect(seen.once(result, build.directory))
    _walked_builds(state, walked, named, seen)
    for result in seen.left(state.discoverer, walked, named):  # (when every build is in)
        state.collect(result)
    for ff in state.pending.values():
        state.fixed(ff)
    return _finish(state, from_stdin)


def _discover(state: _Run, found: sources.Discovery) -> list[Planned]:
    """The builds the inputs reach (charts, kustomizations), taken out of the plain inputs; the
    directories whose builds cannot run here are said once, their files linted as plain ones."""
    if not any(item.path != sources.STDIN for item in found.inputs):
        return []
    plan = state.discoverer.plan(found.inputs)
    found.inputs = plan.plain
    for notice in plan.notices:
        state.say(None, notice)
    by_reason: dict[str, list[str]] = {}
    for directory, why in plan.unbuilt:
        by_reason.setdefault(why, []).append(directory)
    after = "their files were linted as plain manifests, patches and templates left out"
    for why, directories in by_reason.items():
        # Said once per reason (not a failure); each directory is in the report's skipped list.
        state.say(None, f"not built: {', '.join(directories)}: {why}; {after}")
        state.outcome.run.skipped += [(d, f"not built: {why}; {after}") for d in directories]
    return plan.builds


def _walked_builds(state: _Run, walked: list[Planned], named: list[Build], seen: Spots) -> None:
    """The builds a walk found, linted (one also named by --kustomize/--chart is built once, as
    named; a lint starts up to --jobs builds ahead); with --fix each is fixed in turn, linted
    just before its fix stage (an earlier build's fix may have changed a file it shares), a
    chart once per values file the config names for it."""
    request = state.request
    # A documented seam: the build modules (subprocess, tempfile) load only when there are builds.
    from .sources.builds import lint_planned, unnamed_builds

    # A chart's renders with a configured values file first: one whose values file its own
    # fix changes then no longer keeps the defaults' fix from being verified.
    todo = sorted(unnamed_builds(walked, named), key=lambda p: not p.values)
    if not todo:
        return

    ahead = request.jobs if request.mode is Mode.LINT else 0
    fixed: list[tuple[Build, BuildFix, tuple[str, ...]]] = []
    for build, planned in zip(lint_planned(todo, request.options, ahead), todo):
        if request.mode is Mode.LINT or build.result.error or build.result.notice:
            for result in per_file(build.result, build.sources):
                state.collect(seen.once(result, build.directory))
        else:
            fixed.append((build, _fix_build(state, build, planned.values), planned.values))
    for build, done in as_verified_last(fixed):
        _settled(state, build, done, seen)


def _builds(request: Request, options: Options) -> list[Build]:
    """The --kustomize and --chart inputs, built and linted, each by its kind's adapter."""
    inputs = [("kustomize", d) for d in request.kustomize] + [("helm", c) for c in request.charts]
    if not inputs:
        return []
    # A documented seam: the build modules (subprocess, tempfile) load only when asked for.
    from .sources.builds import lint_builds

    return lint_builds(inputs, list(request.values), options)


def _fix_path(state: _Run, result: FileResult) -> None:
    """The fix stage of one file: only files with a fix to apply are read again."""
    keep = state.fixable(result.path)
    wanted = [
        f for f in result.findings if keep(f) and f.suppressed is None and BY_ID[f.rule].FIXES
    ]
    if not wanted:
        result.findings = state.located(result, result.findings)
        state.collect(result)
        return
    request = state.request
    write = request.mode is Mode.FIX
    fixer = in_parts(request.jobs)  # a large stream: part by part in worker processes
    ff = fix_file(result.path, request.options, request.unsafe, write, wanted=keep, fixer=fixer)
    _fixed(state, result, ff)


def _fix_stdin(state: _Run, result: FileResult) -> None:
    """The fix stage of stdin: with ``--fix`` the fixed stream goes to stdout."""
    request, streams = state.request, state.streams
    data = result.data or b""
    keep = state.fixable(result.path)
    ff = fix_bytes(data, result.path, request.options, request.unsafe, looks_json(data), keep)
    if request.mode is Mode.FIX:
        sink = streams.stdout_bytes or streams.stdout.buffer
        sink.write(ff.fixed)
        sink.flush()
    _fixed(state, result, ff)


def _fixed(state: _Run, result: FileResult, ff: FileFix) -> None:
    """Report an input after its fix stage; why it was not fixed (or rewritten) is a notice,
    not a skip: it was checked."""
    if ff.notice and not ff.error and ff.notice != result.notice:
        state.say(result.path, ff.notice)  # (the input's own notice is said once, by collect)
    state.fixed(ff)
    state.outcome.held_back += ff.held_back
    remaining = ff.findings
    if ff.changed and state.request.mode is Mode.DIFF:
        remaining = as_on_disk(result.findings, remaining)
    state.outcome.fixed += resolved(result.findings, remaining, state.muted)
    after = replace(result, findings=[], documents=ff.documents, error=ff.error, data=None)
    state.collect(after, state.located(result, remaining))


def _fix_build(state: _Run, build: Build, values: tuple[str, ...] | None = None) -> BuildFix:
    """The fix stage of a build, by its kind's adapter: a Kustomize build's source files (then
    a patch for the rest), a Helm chart's values file (then templates). A fix to a file other
    builds read too is checked against each of them (the repository's index says which). What
    it left is counted and reported by :func:`_settled`."""
    from .sources.builds import fix_build  # loaded already by _builds

    request = state.request

    def keep(f: Finding) -> bool:
        return state.fixable(f.path)(f)

    write = request.mode is Mode.FIX
    values = request.values if values is None else values
    configured = state.discoverer.chart_values(os.path.abspath(build.directory))
    run = FixRun(request.options, request.unsafe, write, keep, values, state.shared)
    run = replace(run, configured=configured)  # (a chart's configured values files)
    done = fix_build(build, run)
    if not write:  # positions refer to the files as they are on disk
        on_disk = as_on_disk(build.result.findings, done.remaining.findings)
        done.remaining = replace(done.remaining, findings=on_disk)
    for ff in done.files:
        if write:
            state.fixed(ff)
        else:  # two builds may change one file (a shared base): one diff, the last one
            state.pending[os.path.realpath(ff.path)] = ff
    state.outcome.held_back += done.held_back
    for path, why in done.problems:
        state.say(path, why)
    if done.notes:
        state.note(done.notes)
    return done


def _settled(state: _Run, build: Build, done: BuildFix, seen: Spots) -> None:
    """Count what a build's fix stage fixed and report what it left. One fix in a source file
    may fix several objects of the build (a base in three overlays): counted as the report
    counts them, once per source spot across the builds."""
    before = once_per_spot(build.result, state.fixed_spots).findings
    after = once_per_spot(done.remaining, set()).findings
    state.outcome.fixed += resolved(before, after, state.muted)
    for result in per_file(done.remaining, build.sources):
        state.collect(seen.once(result, build.directory))


def _notes(state: _Run) -> TextIO:
    """Where fix notes and patches go: stdout beside a text report, else stderr."""
    request = state.request
    to_stdout = request.mode is Mode.FIX and request.fmt in TEXT_FORMATS and not request.output_file
    return state.streams.stdout if to_stdout else state.streams.stderr


def _finish(state: _Run, from_stdin: bool) -> int:
    request, streams, outcome = state.request, state.streams, state.outcome
    run = outcome.run
    if request.mode is Mode.FIX:
        run.fixed = outcome.fixed
    if request.options.level == Level.NAMESPACE:
        config = request.admission or PodSecurityConfig()
        run.findings, run.namespaces = judge_run(
            run.findings, run.declared, request.options, config
        )
        for said in redeclared(run.declared):
            state.say(None, said)
    try:
        notice = settle(run, state.baseline, request.write_baseline, outcome.failed, state.judged)
    except OSError as exc:
        state.fail(exc.filename or "", f"cannot write the baseline: {exc.strerror or exc}")
    else:
        if notice:
            state.say(None, notice)
    try:
        if request.output_file:
            with open(request.output_file, "w", encoding="utf-8", errors=REPORT_ERRORS) as handle:
                emit(outcome.run, request.fmt, request.display, handle, streams.stderr)
        else:
            # The diff, or the fixed stdin stream, owns stdout: the report goes to stderr.
            taken = request.mode is Mode.DIFF or (from_stdin and request.mode is Mode.FIX)
            out = streams.stderr if taken else streams.stdout
            emit(outcome.run, request.fmt, request.display, out, streams.stderr)
    except BrokenPipeError:
        raise
    except OSError as exc:
        state.say(None, f"error: cannot write {exc.filename}: {exc.strerror}")
        return EXIT_ERROR
    notes = streams.stderr if from_stdin else _notes(state)
    if request.mode is Mode.DIFF:
        notes.write(
            f"Would fix {counted(outcome.fixed, 'finding')} in "
            f"{counted(outcome.rewritten, 'file')}.\n"
        )
    if outcome.held_back:
        n = outcome.held_back
        notes.write(
            f"{counted(n, 'unsafe fix')} {'was' if n == 1 else 'were'} held back: review them, "
            "then rerun with --unsafe-fixes (in pre-commit: `args: [--unsafe-fixes]` on the "
            "seccomp-lint-fix hook).\n"
        )
    return exit_code(outcome, request)
