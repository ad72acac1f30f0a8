"""The Kustomize adapter: ``--kustomize DIR`` linted through its build and fixed in its sources.

A lint builds the directory and maps each finding of the output to its source (:mod:`.build`).
The fix stage (:mod:`.fixing`) is loaded only when a run fixes (a documented seam): a lint run
does not import the fix engine's modules, nor the overlay patch writer's.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from ...model.data import Options
from ..adapter import Build, BuildFix, FixRun
from ..files import real_path
from .build import Built, lint_built, shown_in
from .tool import building_ahead


@dataclass
class KustomizeBuild(Build):
    """A linted kustomization and every object of its build output."""

    built: list[Built] = field(default_factory=list)


class Kustomize:
    """The adapter of ``--kustomize DIR``."""

    checks_on_disk = True  # the rebuild reads the edited files

    def lint(self, directory: str, values: list[str], options: Options) -> Build:
        result, mapped, built = lint_built(directory, options)
        # The resource files the build output came from, shown as the findings show paths.
        root = real_path(directory)
        paths = {b.origin.path for b in built if b.origin.path}  # (each file once)
        read = sorted({shown_in(directory, root, p) for p in paths})
        return KustomizeBuild("kustomize", directory, result, list(mapped), tuple(read), built)

    def ahead(self, runs: list[tuple[str, ...]], jobs: int) -> AbstractContextManager[None]:
        return building_ahead(runs, jobs)

    def fix(self, build: Build, run: FixRun) -> BuildFix:
        """Fix the sources in place and rebuild (undoing what the build does not show); then
        add a patch file to the overlay for what no source file it owns can fix."""
        from .fixing import fix  # a documented seam: the fix stage loads only to fix

        assert isinstance(build, KustomizeBuild)
        return fix(build, run)
