"""Rendered Helm output read as a file or from stdin (``helm template … | seccomp-lint -``):
findings shown at the line of the template that renders them, when that template is on disk.

A document's ``# Source: <chart>/templates/<file>`` names its template by the chart's ``name``
(from ``Chart.yaml``), not its folder. The file is looked for, in this order:

* in each ``--chart DIR`` whose ``Chart.yaml`` has that name;
* as the path itself, relative to the working directory (a chart in a folder of its name);
* in a chart folder under the working directory (at most :data:`DEPTH` folders down, hidden
  folders and ``node_modules`` left out) whose ``Chart.yaml`` has that name, when exactly one
  such folder holds the file.

A finding found there points at the template line :func:`helm.in_template` picks (the line that
renders the offending block, with the values key to set when the template renders it from
values) and names the template's path; ``source`` keeps the ``# Source:`` path.
"""

from __future__ import annotations

import os
from dataclasses import replace

from ...lint.linter import lint_bytes
from ...model.data import Finding, Options
from ...text.documents import Document, parse_stream
from ...text.paths import node_path
from .render import chart_meta, in_template, template_file

DEPTH = 3  # how many folders below the working directory a chart folder may be
_MAX_FOLDERS = 5000  # folders looked at in one walk
_SKIP = {"node_modules", "vendor", "templates"}


def chart_name(folder: str) -> str | None:
    """The ``name`` in a folder's Chart.yaml, if it has one that reads."""
    name = chart_meta(folder).get("name")
    return name if isinstance(name, str) else None


class Templates:
    """Finds the template files of ``# Source:`` paths on disk (cached for one run)."""

    def __init__(self, charts: list[str], root: str = ".") -> None:
        self.charts = charts
        self.root = root
        self._found: dict[str, str | None] = {}
        self._folders: dict[str, list[str]] | None = None

    def find(self, source: str) -> str | None:
        if source not in self._found:
            self._found[source] = self._find(source)
        return self._found[source]

    def _find(self, source: str) -> str | None:
        parts = source.replace("\\", "/").split("/")
        if len(parts) < 3 or ".." in parts or not parts[0]:
            return None
        name = parts[0]
        for chart in self.charts:
            if chart_name(chart) == name:
                found = template_file(chart, source)
                if found:
                    return found
        direct = os.path.normpath(os.path.join(self.root, *parts))
        if os.path.isfile(direct):
            return direct
        held = [f for f in (template_file(d, source) for d in self.folders().get(name, [])) if f]
        return held[0] if len(held) == 1 else None

    def folders(self) -> dict[str, list[str]]:
        """Chart folders under the working directory, by chart name."""
        if self._folders is None:
            self._folders = {}
            for seen, (top, dirs, files) in enumerate(os.walk(self.root), 1):
                depth = 0 if top == self.root else os.path.relpath(top, self.root).count(os.sep) + 1
                if "Chart.yaml" in files:
                    name = chart_name(top)
                    if name:
                        self._folders.setdefault(name, []).append(os.path.normpath(top))
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and d not in _SKIP and depth < DEPTH
                )
                if seen >= _MAX_FOLDERS:
                    break
        return self._folders


def rendered_by_helm(f: Finding, path: str) -> bool:
    """Whether a finding of an input is in a document Helm rendered (it names a template)."""
    return f.path == path and f.source is not None and f.source.line is None


def locate(
    path: str, findings: list[Finding], data: bytes | None, templates: Templates, options: Options
) -> list[Finding]:
    """The findings of a rendered input, each at its template's line where the template is on
    disk. ``data`` is the input's bytes (None: read the file at ``path`` again).

    Where a finding's fix acts says which values key to name (as with ``--chart``): findings
    linted without fixes (the text formats) are matched to those of a lint with fixes.
    """
    wanted = [f for f in findings if rendered_by_helm(f, path)]
    if not wanted or not any(f.source and templates.find(f.source.path) for f in wanted):
        return findings
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return findings
    docs: list[Document] = parse_stream(data)
    planned: dict[tuple, Finding] = {}
    if any(f.fix is None for f in wanted):
        again = lint_bytes(data, path, replace(options, fixes=True))
        planned = {_key(f): f for f in again.findings}
    texts: dict[str, str | None] = {}
    out = []
    for f in findings:
        file = templates.find(f.source.path) if f.source and rendered_by_helm(f, path) else None
        if file is not None and file not in texts:
            try:
                with open(file, encoding="utf-8-sig", errors="replace") as handle:
                    texts[file] = handle.read()
            except OSError:
                texts[file] = None
        text = texts.get(file) if file else None
        if file is None or text is None:
            out.append(f)
            continue
        steps = None
        if f.object is not None and f.object.document < len(docs):
            steps = node_path(docs[f.object.document], f.line, f.column)
        shown = in_template(planned.get(_key(f), f), text, file, steps)
        out.append(replace(shown, fix=f.fix, suppressed=f.suppressed))
    return out


def _key(f: Finding) -> tuple:
    return (f.identity, f.object.document if f.object else None, f.line, f.column)
