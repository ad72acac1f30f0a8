"""Built inputs (``--kustomize DIR``, ``--chart DIR``): the registry of build source adapters.

One entry per build kind, name -> the function that makes its adapter
(:class:`~.adapter.BuildSource`): the adapter builds or renders its input, lints the output and
maps each finding back to its source; with ``--fix`` it locates each planned change in its files
and supplies its end-to-end check, and the fix engine (:mod:`seccomp_lint.fix.stage`) does the
rest. The pipeline asks this table for a build's adapter and never branches on the kind. A third
kind of build source (a Flux ``HelmRelease``'s inline values, say) is one adapter module beside
these and one entry in :data:`MAKERS`.

An adapter's modules are imported when a build of its kind first needs it (a documented seam):
a run over kustomizations alone does not load the Helm modules (17 ms), nor a chart alone the
Kustomize ones (22 ms).
"""

from __future__ import annotations

from collections.abc import Callable

from ..model.data import Options
from .adapter import Build, BuildFix, BuildSource, FixRun
from .discover import HELM, KUSTOMIZE, Planned


def _kustomize() -> BuildSource:
    from .kustomize.adapter import Kustomize  # a documented seam: only for a kustomization

    return Kustomize()  # --kustomize DIR


def _helm() -> BuildSource:
    from .helm.adapter import Helm  # a documented seam: only for a chart

    return Helm()  # --chart DIR, with --values FILE


# The option that names a build of each kind on the command line (what --fix needs on a walk).
FLAGS = {KUSTOMIZE: "--kustomize", HELM: "--chart"}
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


def lint_planned(planned: list[Planned], options: Options) -> list[Build]:
    """Build and lint what a walk found (:mod:`.discover`), each with its own values files."""
    return [adapter(p.kind).lint(p.directory, list(p.values), options) for p in planned]


def fix_build(build: Build, run: FixRun) -> BuildFix:
    """Fix one build in its sources, through its kind's adapter."""
    return adapter(build.kind).fix(build, run)
