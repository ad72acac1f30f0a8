"""The Helm adapter: ``--chart DIR`` linted through its render, fixed by :func:`.fix.fix_chart`
(values file first, then templates, each change verified by rendering again with every values
file the chart is deployed with). The fix stage's modules load only when a run fixes (a
documented seam): a lint run does not import them."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from ...model.data import Options
from ..adapter import Build, BuildFix, FixRun
from .render import lint_mapped, rendered_from


@dataclass
class HelmBuild(Build):
    """A linted chart and the values files it was rendered with."""

    values: tuple[str, ...] = ()


class Helm:
    """The adapter of ``--chart DIR`` (with ``--values FILE``)."""

    # Each change is verified by renders of the edited texts in memory; the end-to-end render
    # from disk runs only with --fix, after the writes (--diff needs no scratch copy).
    checks_on_disk = False

    def lint(self, directory: str, values: list[str], options: Options) -> Build:
        result, mapped = lint_mapped(directory, values, options)
        read = rendered_from(directory, result.data, values)
        return HelmBuild("helm", directory, result, list(mapped), read, tuple(values))

    def ahead(self, runs: list[tuple[str, ...]], jobs: int) -> AbstractContextManager[None]:
        return nullcontext()  # (the SDK renders in this process, one chart at a time)

    def fix(self, build: Build, run: FixRun) -> BuildFix:
        from .fix import fix_chart  # a documented seam: the fix stage loads only to fix

        # The values of the render the lint made (a walk's render with one configured values
        # file, or --chart with --values): its stream is the fix stage's start.
        values = list(build.values) if isinstance(build, HelmBuild) else list(run.values)
        done = fix_chart(
            build.directory,
            values,
            run.options,
            run.unsafe,
            run.write,
            run.keep,
            rendered=build.result.data,  # the render the lint made: not rendered again
            configured=run.configured,
            held=run.shared.held,  # (a chart rendered twice holds one fix back once)
        )
        return BuildFix(
            done.files,
            done.remaining,
            done.problems,
            held_back=done.held_back,
            renders=done.renders,
        )
