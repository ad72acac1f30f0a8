"""The report formats by name, and writing one run's report (plus its extra report files)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .github import write_github
from .gitlab import write_gitlab
from .identity import REPORT_ERRORS
from .junit import write_junit
from .report import (
    Run,
    write_concise,
    write_json,
    write_markdown,
    write_statistics,
    write_text,
)
from .sarif import write_sarif

FORMATS: dict[str, Callable[[Run, TextIO], None]] = {
    "text": write_text,
    "concise": write_concise,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
    "markdown": write_markdown,
    "junit": write_junit,
    "gitlab": write_gitlab,
}
# Formats for people; the others are for programs and keep stdout to themselves.
TEXT_FORMATS = ("text", "concise")
# Other names of formats: ruff's --output-format calls the default text "full".
ALIASES = {"full": "text"}


@dataclass(frozen=True)
class Display:
    """How to present a run, beside the format: options that do not change what is found."""

    quiet: bool = False
    statistics: bool = False
    sarif_file: str | None = None  # also write SARIF here
    summary_file: str | None = None  # also append a Markdown summary here
    color: bool | None = None  # None: colour on a terminal


def use_color(out: TextIO, choice: bool | None = None) -> bool:
    """Colour when asked for; else on a terminal, unless ``NO_COLOR`` is set
    (https://no-color.org)."""
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def emit(run: Run, fmt: str, display: Display, out: TextIO, err: TextIO) -> None:
    """Write the report in ``fmt`` to ``out``, plus statistics and the extra report files.

    Raises OSError (with its ``filename``) when an extra report file cannot be written.
    """
    run.quiet = display.quiet
    run.color = fmt in TEXT_FORMATS and use_color(out, display.color)
    if display.statistics and fmt in TEXT_FORMATS:
        # As in ruff: the counts instead of the listing (a dump's listing is 40,000 lines).
        write_statistics(run, out)
    else:
        FORMATS[fmt](run, out)
    if display.statistics and fmt not in TEXT_FORMATS:
        # Machine-readable formats keep stdout to themselves: the counts go to stderr.
        write_statistics(run, err)
    if display.sarif_file:
        with open(display.sarif_file, "w", encoding="utf-8", errors=REPORT_ERRORS) as handle:
            write_sarif(run, handle)
    if display.summary_file:
        with open(display.summary_file, "a", encoding="utf-8", errors=REPORT_ERRORS) as handle:
            write_markdown(run, handle)
