"""The Helm adapter: ``--chart DIR`` linted through its render, fixed by :func:`.fix.fix_chart`
(values file first, then templates, each change verified by rendering again)."""

from __future__ import annotations

from ...model.data import Options
from ..adapter import Build, BuildFix, FixRun
from .fix import fix_chart
from .render import lint_mapped, rendered_from


class Helm:
    """The adapter of ``--chart DIR`` (with ``--values FILE``)."""

    checks_on_disk = False  # re-rendered from the edited texts in memory

    def lint(self, directory: str, values: list[str], options: Options) -> Build:
        result, mapped = lint_mapped(directory, values, options)
        return Build(
            "helm", directory, result, list(mapped), rendered_from(directory, result.data, values)
        )

    def fix(self, build: Build, run: FixRun) -> BuildFix:
        values = list(run.values)
        done = fix_chart(
            build.directory,
            values,
            run.options,
            run.unsafe,
            run.write,
            run.keep,
            rendered=build.result.data,  # the render the lint made: not rendered again
        )
        return BuildFix(done.files, done.remaining, done.problems, held_back=done.held_back)
