"""What a run is asked to do: the request the command line (and config file) make, the mode,
and the streams a run reads and writes (:mod:`seccomp_lint.pipeline` runs it)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import BinaryIO, TextIO, cast

from ..model.admission import PodSecurityConfig
from ..model.data import Options, Severity
from ..output.formats import Display
from ..output.github import WorkflowSafe
from .config import Config


class Mode(StrEnum):
    """What a run does with what it finds."""

    LINT = "lint"
    FIX = "fix"  # rewrite files (stdin: write the fixed stream to stdout)
    DIFF = "diff"  # print the fixes as unified diffs, write nothing


@dataclass(frozen=True)
class Request:
    """Everything the command line (and config file) asked for."""

    paths: tuple[str, ...]
    options: Options
    mode: Mode = Mode.LINT
    unsafe: bool = False
    fmt: str = "text"
    display: Display = field(default_factory=Display)
    jobs: int = 1
    config: Config | None = None
    kustomize: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # --exclude patterns, relative to the working directory
    respect_gitignore: bool = True
    builds: bool = True  # build the charts and kustomizations the paths reach (--no-builds)
    fail_level: Severity = Severity.WARNING  # the least severe finding that fails the run
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    output_file: str | None = None  # the report goes here instead of stdout
    baseline: str | None = None  # report only findings not in this baseline file
    write_baseline: str | None = None  # record the findings here (then none is reported)
    admission: PodSecurityConfig | None = None  # --admission-config (--level namespace)


@dataclass
class Streams:
    """Where a run reads and writes; the process's own by default."""

    stdin: BinaryIO | None = None
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdout_bytes: BinaryIO | None = None

    def on_github(self, fmt: str, diff: bool) -> Streams:
        """The streams on GitHub Actions (the ``github`` format, or ``GITHUB_ACTIONS=true``):
        no line from an input or a tool starts a workflow command (:class:`WorkflowSafe`);
        the ``github`` format's own annotations, and a diff or a fixed stdin stream (which must
        be exact), as they are."""
        as_json = fmt in ("json", "sarif", "gitlab")
        stdout = self.stdout if diff else WorkflowSafe(self.stdout, as_json, fmt == "github")
        # (--diff's report goes there, and a fixed stdin stream's: the github format's own)
        stderr = WorkflowSafe(self.stderr, as_json and diff, fmt == "github")
        return replace(self, stdout=cast(TextIO, stdout), stderr=cast(TextIO, stderr))

    def __post_init__(self) -> None:
        # A file name that is not UTF-8 reaches the report as lone surrogates: the process's
        # stdout writes them as the name's bytes, as Python does under the C and UTF-8
        # locales, where a strict locale's stdout would fail halfway through the report.
        if self.stdout is sys.stdout and getattr(sys.stdout, "errors", None) == "strict":
            reconfigure = getattr(sys.stdout, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="surrogateescape")
