"""GitLab Code Quality (``--format gitlab``): a JSON array of issues, one per finding.

Each has the fields GitLab reads: ``description``, ``check_name`` (the rule id),
``fingerprint``, ``severity`` and ``location`` (``path``, ``lines.begin``). The fingerprint is
a hash of the finding's identity (rule, file, object, container, setting), not of its line, so
an issue moved within its file is the same issue in GitLab's merge request widget.
"""

from __future__ import annotations

import json
from typing import TextIO

from ..model.data import Finding, Severity
from .identity import finding_key, fingerprint
from .report import Run, location, workspace_path, workspace_root

# GitLab's severities are info, minor, major, critical and blocker.
SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor"}
UNREADABLE = "blocker"  # an input that could not be read or built: nothing in it was checked


def _fingerprint(parts: tuple[str | None, ...], seen: dict[str, int]) -> str:
    digest, count = fingerprint(parts, seen)
    return digest if count == 1 else f"{digest}-{count}"


def _issue(f: Finding, root: str, seen: dict[str, int]) -> dict:
    path, line, _ = location(f)
    description = f.text + (f" (help: {f.help})" if f.help else "")
    return {
        "description": description,
        "check_name": f.rule,
        "fingerprint": _fingerprint(tuple(finding_key(f, root)), seen),
        "severity": SEVERITIES[Severity(f.severity)],
        "location": {"path": path, "lines": {"begin": line}},
    }


def write_gitlab(run: Run, out: TextIO) -> None:
    """The report as a GitLab Code Quality report."""
    root = workspace_root()
    seen: dict[str, int] = {}
    issues = [_issue(f, root, seen) for f in run.findings]
    for path, why in run.errors:
        where = workspace_path(path)
        issues.append(
            {
                "description": f"could not be read or built: {why}",
                "check_name": "input-error",
                "fingerprint": _fingerprint(("input-error", where), seen),
                "severity": UNREADABLE,
                "location": {"path": where, "lines": {"begin": 1}},
            }
        )
    json.dump(issues, out, indent=2, ensure_ascii=False)
    out.write("\n")
