"""Built inputs (``--kustomize DIR``, ``--chart DIR``): the registry of build source adapters.

One entry per build kind, name -> the function that makes its adapter
(:class:`~.adapter.BuildSource`): the adapter builds or renders its input, lints the output and
maps each finding back to its source; with ``--fix`` it locates each planned change in its files
and supplies its end-to-end check, and the fix engine (:mod:`seccomp_lint.fix.stage`) does the
rest. The pipeline asks this table for a build's adapter and never branches on the kind. A third
kind of build source (a Flux ``HelmRelease``'s inline values, say) is one adapter module beside
these and one entry in :data:`MAKERS`.

An adapter's modules are imported when a build of its kind first needs it (a documented seam):
a run over kustomizations alone does not load the Helm modules, nor a chart alone the Kustomize
ones; the scratch copy of a ``--diff``, only for that.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace

from ..lint.linter import FileResult
from ..model.data import Options
from .adapter import Build, BuildFix, BuildSource, FixRun
from .discover import HELM, KUSTOMIZE, Discoverer, Planned
from .toolrun import ending_on_signals


def _kustomize() -> BuildSource:
    from .kustomize.adapter import Kustomize  # a documented seam: only for a kustomization

    return Kustomize()  # --kustomize DIR


def _helm() -> BuildSource:
    from .helm.adapter import Helm  # a documented seam: only for a chart

    return Helm()  # --chart DIR, with --values FILE


MAKERS: dict[str, Callable[[], BuildSource]] = {KUSTOMIZE: _kustomize, HELM: _helm}
ADAPTERS: dict[str, BuildSource] = {}  # each kind's adapter, once made


def adapter(kind: str) -> BuildSource:
    """The adapter of a build kind, made on first use."""
    if kind not in ADAPTERS:
        ADAPTERS[kind] = MAKERS[kind]()
    return ADAPTERS[kind]


def lint_builds(inputs: list[tuple[str, str]], values: list[str], options: Options) -> list[Build]:
    """Build and lint every input, each ``(kind, directory)``."""
    return [adapter(kind).lint(directory, values, options) for kind, directory in inputs]


def lint_planned(planned: list[Planned], options: Options, ahead: int = 0) -> Iterator[Build]:
    """Build and lint what a walk found (:mod:`.discover`), each with its own values files, one
    at a time as they are asked for (a fix stage changes files the next build may read); with
    ``ahead``, a lint, each kind's adapter may start up to that many builds before they are
    asked for (kubectl runs while the output before is read)."""
    with ExitStack() as started:
        if ahead:
            for kind in dict.fromkeys(p.kind for p in planned):
                started.enter_context(adapter(kind).ahead(_runs(planned, kind), ahead))
        rendered: set[str] = set()  # charts rendered with a values file the config names
        for p in planned:
            build = adapter(p.kind).lint(p.directory, list(p.values), options)
            if p.kind == HELM and p.values and not build.result.error:
                rendered.add(os.path.abspath(p.directory))
            elif build.result.error and not p.values and os.path.abspath(p.directory) in rendered:
                # A chart deployed only with the values files the config names (`required`
                # values): its defaults alone are not a render it is deployed with.
                why = " ".join(build.result.error.split())
                said = "checked with the values files the config names"
                notice = f"not rendered with its default values alone ({why}); {said}"
                build.result, build.sources = FileResult(p.directory, notice=notice), ()
            yield build


def _runs(planned: list[Planned], kind: str) -> list[tuple[str, ...]]:
    """The directories of a kind's builds in order, those of one shared run together."""
    runs: dict[object, list[str]] = {}
    for p in planned:
        if p.kind == kind:
            runs.setdefault(p.directory if p.run is None else p.run, []).append(p.directory)
    return [tuple(run) for run in runs.values()]


def unnamed_builds(walked: list[Planned], named: list[Build]) -> list[Planned]:
    """The builds a walk found that no --kustomize/--chart named (those are built as named)."""
    given = {os.path.abspath(b.directory) for b in named}
    return [p for p in walked if os.path.abspath(p.directory) not in given]


def lint_walked(walked: list[Planned], named: list[Build], options: Options) -> list[Build]:
    """The builds a walk found that no --kustomize/--chart named, linted."""
    return list(lint_planned(unnamed_builds(walked, named), options))


def fix_build(build: Build, run: FixRun) -> BuildFix:
    """Fix one build in its sources, through its kind's adapter; with ``--diff``, for a kind
    whose check rebuilds from disk, in a scratch copy (:mod:`.scratch`), so the diff is what
    ``--fix`` would keep (else the in-place edits it would try first)."""
    source = adapter(build.kind)
    if not run.write and source.checks_on_disk:
        done = _in_scratch(build, run)
        if isinstance(done, BuildFix):
            return done
        fell_back = source.fix(build, run)
        why = (
            f"this diff is not checked by a rebuild ({done}): it shows the edits --fix would "
            "try first, and --fix may put some back"
        )
        fell_back.problems.append((build.directory, why))
        return fell_back
    return source.fix(build, run)


def _in_scratch(build: Build, run: FixRun) -> BuildFix | str:
    """The fix stage run with writes and checks in a scratch copy of what the build and the
    builds sharing its files read (with what earlier builds of the run would have written),
    mapped back, each file's diff against the file on disk; else why not (the copy does not
    build: it reads a file the index does not know)."""
    from .scratch import scratch_copy  # a documented seam: only for --diff of a build

    repository = run.shared.discoverer  # (the run's: each repository indexed once)
    reads = repository.reads(build.directory)
    if not reads:
        return "the repository's index does not know this kustomization"
    try:
        root = repository.index(os.path.abspath(build.directory)).root
        # (SIGTERM/SIGHUP while the copy is made or used: removed, then the run ends)
        with ending_on_signals(), scratch_copy(root, reads, run.shared.staged) as copy:
            (again,) = lint_planned(
                [Planned(build.kind, copy.inside(build.directory))], run.options
            )
            if again.result.error:
                return "it reads a file the repository's index does not know"
            copied = Discoverer(None, repository.respect_gitignore)  # (the copy's own)
            shared = replace(run.shared, discoverer=copied)
            rehearsal = replace(run, write=True, shared=shared, rehearsal=True)
            done = adapter(build.kind).fix(again, rehearsal)
            files = []
            for ff in done.files:
                real = copy.real_path(ff.path)  # (the working directory is the copy's)
                run.shared.staged[real] = ff.fixed
                on_disk = _on_disk(real)
                files.append(replace(ff, path=copy.back(ff.path), original=on_disk, regions=None))
            return BuildFix(
                files,
                copy.result(done.remaining),
                [(copy.back(path), _would(copy.back(why))) for path, why in done.problems],
                copy.back(done.notes),
                done.held_back,
            )
    except (OSError, ValueError) as exc:
        return str(exc)


def _on_disk(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b""  # a file the fix would add


# What the fix stage says of a file it put back, as a --diff says it.
_WOULD = {"fix undone: ": "the fix would be undone: ", "not added: ": "would not be added: "}


def _would(why: str) -> str:
    for done, would in _WOULD.items():
        if why.startswith(done):
            return would + why[len(done) :]
    return why
