"""JUnit XML (``--format junit``), as GitLab, Jenkins and Azure Pipelines read test reports.

One ``<testsuite>`` in a ``<testsuites>``; one ``<testcase>`` per file checked (a file without
findings is a passing test case), one ``<failure>`` per finding in it, and an ``<error>`` test
case per input that could not be read or built. The XML is written by hand: escaping five
characters does not need an XML library on every run's import path.
"""

from __future__ import annotations

from typing import TextIO

from ..model.data import Finding
from .report import Run, escape, summary_line, workspace_path

SUITE = "seccomp-lint"
_TEXT = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ATTRIBUTE = _TEXT | {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _xml(value: str, table: dict[str, str]) -> str:
    """XML 1.0 character data: control characters (not allowed even as references) are shown
    escaped as the text report shows them, then markup characters are encoded."""
    lines = [escape(line) for line in value.split("\n")]
    return "".join(table.get(ch, ch) for ch in "\n".join(lines))


def _attrs(**values: object) -> str:
    return "".join(f' {name}="{_xml(str(value), _ATTRIBUTE)}"' for name, value in values.items())


def _cases(run: Run) -> dict[str, list[Finding]]:
    """Findings by file, in the order files were read; files without findings included."""
    cases: dict[str, list[Finding]] = {workspace_path(p): [] for p in run.checked}
    for f in run.findings:
        cases.setdefault(workspace_path(f.path), []).append(f)
    return cases


def _failure(path: str, f: Finding) -> str:
    body = f"{path}:{f.line}:{f.column}: {f.text}" + (f"\nhelp: {f.help}" if f.help else "")
    if f.source is not None:
        body += f"\nsource: {f.source.path}" + (f":{f.source.line}" if f.source.line else "")
    tag = _attrs(message=f.text, type=f.rule)
    return f"      <failure{tag}>{_xml(body, _TEXT)}</failure>\n"


def write_junit(run: Run, out: TextIO) -> None:
    """The report as JUnit XML."""
    cases = _cases(run)
    errors = [(workspace_path(path), why) for path, why in run.errors]
    failed = sum(1 for findings in cases.values() if findings)
    counts = dict(tests=len(cases) + len(errors), failures=failed, errors=len(errors))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f"<testsuites{_attrs(name=SUITE, **counts)}>\n")
    out.write(f"  <testsuite{_attrs(name=SUITE, **counts, skipped=0)}>\n")
    out.write(
        f"    <properties>\n      <property{_attrs(name='summary', value=summary_line(run))}/>"
    )
    out.write("\n    </properties>\n")
    for path, findings in cases.items():
        case = _attrs(classname=SUITE, name=path, file=path)
        if not findings:
            out.write(f"    <testcase{case}/>\n")
            continue
        out.write(f"    <testcase{case}>\n")
        out.writelines(_failure(path, f) for f in findings)
        out.write("    </testcase>\n")
    for path, why in errors:
        case = _attrs(classname=SUITE, name=path, file=path)
        error = _attrs(message="could not be read or built", type="input-error")
        out.write(f"    <testcase{case}>\n      <error{error}>{_xml(why, _TEXT)}</error>\n")
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")
