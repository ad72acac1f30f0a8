"""The report formats by name, and writing one run's report (plus its extra report files)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .report import Run, write_github, write_json, write_markdown, write_statistics, write_text
from .sarif import write_sarif

FORMATS: dict[str, Callable[[Run, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "sarif": write_sarif,
    "github": write_github,
    "markdown": write_markdown,
}


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
    run.color = fmt == "text" and use_color(out, display.color)
    FORMATS[fmt](run, out)
    if display.statistics:
        # Machine-readable formats keep stdout to themselves.
        write_statistics(run, out if fmt == "text" else err)
    if display.sarif_file:
        with open(display.sarif_file, "w", encoding="utf-8") as handle:
            write_sarif(run, handle)
    if display.summary_file:
        with open(display.summary_file, "a", encoding="utf-8") as handle:
            write_markdown(run, handle)
