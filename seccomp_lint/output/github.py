"""GitHub Actions: the ``github`` format's workflow commands (one annotation per finding), and
streams whose lines start no workflow command, whatever an input holds (:class:`WorkflowSafe`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TextIO

from .report import Run, escape, location, summary_line


def _escape_data(value: str) -> str:
    """A workflow command's message: ``%``, CR and LF encoded, so no line can start a command."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    """A workflow command's property value: also ``:`` and ``,``, which delimit properties."""
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def on_github() -> bool:
    """Whether the run is a GitHub Actions step (its output parsed for workflow commands)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def neutral(text: str, json_text: bool = False, own: bool = False) -> str:
    """``text`` with no line that starts a workflow command. The runner reads one from every
    line a step writes, on stdout and stderr alike: ``::name …`` at the start of the line once
    trimmed, and the legacy ``##[name …]`` anywhere in it (``stop-commands`` would silence
    every annotation after it). So a line that would start one is quoted with ``| ``, and
    ``##[`` is written with a zero-width space inside, or, in a JSON report (``json_text``), as
    ``##\\u005b``: the same string to a JSON reader. ``own``: the ``github`` format's own
    ``::error``/``::warning`` annotations are left whole (the runner reads them as themselves)."""
    if "::" not in text and "##[" not in text:
        return text
    marker = "##\\u005b" if json_text else "#\u200b#["
    out = []
    for line in text.split("\n"):
        if own and line.startswith(("::error ", "::warning ")):
            out.append(line)
            continue
        line = line.replace("##[", marker)
        rest = line.lstrip()
        out.append(line[: len(line) - len(rest)] + "| " + rest if rest[:2] == "::" else line)
    return "\n".join(out)


class WorkflowSafe:
    """A stream on GitHub Actions whose lines start no workflow command (:func:`neutral`),
    checked whole."""

    def __init__(self, out: TextIO, json_text: bool = False, own: bool = False) -> None:
        self.out, self.json_text, self.own, self.pending = out, json_text, own, ""

    def write(self, text: str) -> int:
        whole = self.pending + text
        end = whole.rfind("\n") + 1
        self.pending = whole[end:]
        if end:
            self.out.write(neutral(whole[:end], self.json_text, self.own))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.pending:
            self.out.write(neutral(self.pending, self.json_text, self.own))
            self.pending = ""
        self.out.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)  # (isatty, encoding, buffer: the stream's own)


def write_github(run: Run, out: TextIO) -> None:
    """GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""
    for f in run.findings:
        command = "warning" if f.severity == "warning" else "error"
        path, line, column = location(f)
        props = ",".join(
            f"{key}={_escape_property(escape(str(value)))}"
            for key, value in (
                ("file", path),
                ("line", line),
                ("col", column),
                ("title", f"seccomp-lint {f.rule}"),
            )
        )
        # Control characters from the manifest are shown escaped (as in text output); only our
        # own line break before the help survives, percent-encoded.
        message = escape(f.text) + (f"\nhelp: {escape(f.help)}" if f.help else "")
        out.write(f"::{command} {props}::{_escape_data(message)}\n")
    for path, error in run.errors:
        # An input that could not be read or built fails the job: say so where people look.
        props = f"file={_escape_property(escape(path))},title=seccomp-lint could not check this"
        why = "\n".join(escape(line) for line in error.split("\n"))
        out.write(f"::error {props}::{_escape_data(why)}\n")
    if not run.quiet:
        # Plain log text; escaped too, since a file name may hold a line break.
        out.write(_escape_data(summary_line(run)) + "\n")
