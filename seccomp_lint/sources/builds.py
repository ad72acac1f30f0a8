"""Built inputs (``--kustomize DIR``, ``--chart DIR``): the registry of build source adapters.

One entry per build kind, name -> adapter (:class:`~.adapter.BuildSource`): the adapter builds
or renders its input, lints the output and maps each finding back to its source; with ``--fix``
it locates each planned change in its files and supplies its end-to-end check, and the fix
engine (:mod:`seccomp_lint.fix.stage`) does the rest. The pipeline asks this table for a build's
adapter and never branches on the kind. A third kind of build source (a Flux ``HelmRelease``'s
inline values, say) is one adapter module beside these and one line in :data:`ADAPTERS`.
"""

from __future__ import annotations

from ..model.data import Options
from .adapter import Build, BuildFix, BuildSource, FixRun
from .discover import HELM, KUSTOMIZE, Planned
from .helm.adapter import Helm
from .kustomize.adapter import Kustomize

ADAPTERS: dict[str, BuildSource] = {
    KUSTOMIZE: Kustomize(),  # --kustomize DIR
    HELM: Helm(),  # --chart DIR, with --values FILE
}


def lint_builds(inputs: list[tuple[str, str]], values: list[str], options: Options) -> list[Build]:
    """Build and lint every input, each ``(kind, directory)``."""
    return [ADAPTERS[kind].lint(directory, values, options) for kind, directory in inputs]


def lint_planned(planned: list[Planned], options: Options) -> list[Build]:
    """Build and lint what a walk found (:mod:`.discover`), each with its own values files."""
    return [ADAPTERS[p.kind].lint(p.directory, list(p.values), options) for p in planned]


def fix_build(build: Build, run: FixRun) -> BuildFix:
    """Fix one build in its sources, through its kind's adapter."""
    return ADAPTERS[build.kind].fix(build, run)
