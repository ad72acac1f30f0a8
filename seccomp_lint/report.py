"""Reporters: turn a run's findings into text or JSON (``FORMATS`` maps a name to a writer)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from .model import Finding


@dataclass
class Run:
    """Everything a reporter needs: findings in order and what was read."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)


def _escape(value: str) -> str:
    """Show control characters from manifests escaped, so they cannot drive a terminal."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)


def write_text(run: Run, out: TextIO) -> None:
    for f in run.findings:
        out.write(f"{_escape(f.path)}:{f.line}:{f.column}: {f.rule} {_escape(f.message)}\n")
        if f.source is not None:
            out.write(f"  source: {_escape(f.source.path)}\n")
        if f.help:
            out.write(f"  help: {_escape(f.help)}\n")
    out.write(summary_line(run) + "\n")


def summary_line(run: Run) -> str:
    files = f"{run.files} file" + ("" if run.files == 1 else "s")
    if not run.findings:
        return f"No findings in {files}."
    counts = run.counts()
    parts = []
    for severity in ("error", "warning"):
        if counts[severity]:
            parts.append(f"{counts[severity]} {severity}" + ("" if counts[severity] == 1 else "s"))
    n = len(run.findings)
    noun = "finding" if n == 1 else "findings"
    return f"Found {n} {noun} ({', '.join(parts)}) in {files}."


def finding_dict(f: Finding) -> dict:
    """One finding in the published JSON contract (schemas/output.schema.json)."""
    return {
        "rule": f.rule,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "object": None
        if f.object is None
        else {
            "kind": f.object.kind,
            "name": f.object.name,
            "namespace": f.object.namespace,
            "document": f.object.document,
        },
        "container": f.container,
        "message": f.message,
        "severity": f.severity,
        "source": None if f.source is None else {"path": f.source.path, "line": f.source.line},
        "fix": None
        if f.fix is None
        else {
            "description": f.fix.description,
            "applicability": f.fix.applicability,
            "edits": [
                {
                    "start": {"line": e.start.line, "column": e.start.column},
                    "end": {"line": e.end.line, "column": e.end.column},
                    "content": e.content,
                }
                for e in f.fix.edits
            ],
        },
    }


def write_json(run: Run, out: TextIO) -> None:
    counts = run.counts()
    doc = {
        "findings": [finding_dict(f) for f in run.findings],
        "summary": {
            "files": run.files,
            "documents": run.documents,
            "findings": len(run.findings),
            "errors": counts["error"],
            "warnings": counts["warning"],
            "by_rule": dict(sorted(Counter(f.rule for f in run.findings).items())),
            "skipped": [{"path": p, "reason": r} for p, r in run.skipped],
        },
    }
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


FORMATS: dict[str, Callable[[Run, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
}
