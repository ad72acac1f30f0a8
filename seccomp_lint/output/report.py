"""Reporters: turn a run's findings into text, JSON, GitHub annotations or Markdown.

SARIF is in :mod:`.sarif`; :mod:`.output` maps format names to writers.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TextIO

from ..model.admission import Declared, NamespaceSummary
from ..model.data import Finding
from ..model.psa import Admission, AdmissionOutcome, PsaMode
from .identity import STDIN_NAMES, relative

RULES_DOC = "https://github.com/seccomp-lint/seccomp-lint/blob/main/docs/rules.md"


@dataclass(frozen=True)
class BaselineUse:
    """What a baseline file did in a run: entries that matched a finding (which is then not
    reported) and entries that matched none (gone: the file can be shrunk); ``baselined``: the
    findings not reported (one may take an entry per container it covers)."""

    path: str
    matched: int
    gone: int
    baselined: int = 0


@dataclass
class Run:
    """Everything a reporter needs: findings in order and what was read."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    suppressed: int = 0  # findings suppressed by an annotation or a comment
    pods: int = 0  # pod templates checked
    unrendered: int = 0  # of the skipped inputs, those holding an unrendered template
    fixed: int | None = None  # with --fix: findings fixed (the findings are what remains)
    checked: list[str] = field(default_factory=list)  # the files read, in order
    baseline: BaselineUse | None = None  # with --baseline: entries matched (not reported) and gone
    quiet: bool = False  # text: findings only, no summary line
    color: bool = False  # text: ANSI colours
    # --level namespace: the Namespace objects read, then each namespace judged (lint/namespaces)
    declared: list[Declared] = field(default_factory=list)
    namespaces: list[NamespaceSummary] = field(default_factory=list)

    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)


def escape(value: str) -> str:
    """Show control characters from manifests escaped, so they cannot drive a terminal."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)


_COLORS = {"error": "31", "warning": "33", "path": "1", "help": "36", "dim": "2"}


def _paint(run: Run, what: str, text: str) -> str:
    return f"\033[{_COLORS[what]}m{text}\033[0m" if run.color else text


def write_concise(run: Run, out: TextIO) -> None:
    """One line per finding (``--output-format concise``), then the summary line."""
    write_text(run, out, full=False)


def write_text(run: Run, out: TextIO, full: bool = True) -> None:
    """Each finding with its source and ``help:`` lines (``full``, the default; else only its
    first line), then the summary line."""
    lines = []  # written a few thousand at a time: a cluster dump has 100,000 findings
    paths: dict[str, str] = {}  # each path escaped once
    source, help_ = _paint(run, "dim", "source:"), _paint(run, "help", "help:")
    for f in run.findings:
        path = paths.get(f.path)
        if path is None:
            path = paths[f.path] = escape(f.path)
        where = _paint(run, "path", f"{path}:{f.line}:{f.column}:")
        lines.append(f"{where} {_paint(run, f.severity, f.rule)} {escape(f.text)}\n")
        if not full:
            continue
        if f.source is not None:
            lines.append(f"  {source} {escape(f.source.path)}\n")
        if f.help:
            lines.append(f"  {help_} {escape(f.help)}\n")
        if len(lines) > 4096:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    if not run.quiet:
        out.write(summary_line(run) + "\n" + namespace_lines(run))


def namespace_lines(run: Run) -> str:
    """With ``--level namespace``: each namespace, its policy per mode and what admission does
    to the pod templates checked in it (one line each)."""
    lines = []
    for ns in run.namespaces:
        policy = ns.policy
        modes = f"enforce {policy.enforce}, warn {policy.warn}, audit {policy.audit}"
        how = "exempt" if ns.exempt else modes
        if not ns.declared:
            how += " (no Namespace object in the inputs: the defaults)"
        counts = ", ".join(
            f"{ns.outcomes[o]} {w}" for o, w in OUTCOME_WORDS.items() if ns.outcomes[o]
        )
        lines.append(f"  namespace {escape(ns.name)}: {how}" + (f"; {counts}" if counts else ""))
    return "".join(line + "\n" for line in lines)


# How the namespace lines count pod templates by outcome.
OUTCOME_WORDS = {
    AdmissionOutcome.REJECTED: "rejected",
    AdmissionOutcome.PODS_REJECTED: "admitted with their pods rejected",
    AdmissionOutcome.WARNED: "warned",
    AdmissionOutcome.AUDITED: "audited",
    AdmissionOutcome.ADMITTED: "admitted with a Pod made from them rejected",
    AdmissionOutcome.BOUND: "compliant through a ProfileBinding",
}


def namespace_dict(ns: NamespaceSummary) -> dict:
    """One namespace in the JSON summary (``--level namespace``)."""
    modes = {
        mode.value: {"level": str(at.level), "version": str(at.version)}
        for mode, at in ((m, ns.policy.of(m)) for m in PsaMode)
    }
    counts = {o.value.replace("-", "_"): ns.outcomes.get(o, 0) for o in AdmissionOutcome}
    return {"name": ns.name, "declared": ns.declared, "exempt": ns.exempt, **modes, **counts}


def admission_dict(adm: Admission | None) -> dict | None:
    """What Pod Security Admission does with a finding's pod template (``--level namespace``)."""
    if adm is None:
        return None
    return {
        "namespace": adm.namespace,
        "check": adm.check.id,
        "outcome": None if adm.outcome is None else str(adm.outcome),
        "modes": [
            {"mode": str(m.mode), "level": str(m.at.level), "version": str(m.at.version)}
            for m in adm.modes
        ],
    }


def write_statistics(run: Run, out: TextIO) -> None:
    """Findings per rule, most frequent first (``--statistics``); when objects carry a
    namespace (a cluster dump), also per namespace and rule, for auditors."""
    counts = Counter(f.rule for f in run.findings)
    width = len(str(max(counts.values(), default=0)))
    for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        out.write(f"{n:>{width}}  {rule}\n")
    by_namespace: Counter[tuple[str, str]] = Counter()
    for f in run.findings:
        ns = f.admission.namespace if f.admission else f.object.namespace if f.object else None
        if ns:
            by_namespace[ns, f.rule] += 1
    if run.namespaces:
        out.write("\nPod Security by namespace:\n" + namespace_lines(run))
    if not by_namespace:
        return
    out.write("\nBy namespace:\n")
    names = max(len(escape(ns)) for ns, _ in by_namespace)
    for (ns, rule), n in sorted(by_namespace.items(), key=lambda item: (item[0][0], -item[1])):
        out.write(f"{n:>{width}}  {escape(ns):<{names}}  {rule}\n")


def summary_line(run: Run) -> str:
    """One line: what was found (and fixed) where, what was skipped or could not be read, and
    what a baseline left out."""
    files = counted(run.files, "file")
    unrendered = run.unrendered
    notes = [f"{counted(run.pods, 'pod template')} checked"]
    if unrendered:
        notes.append(f"{unrendered} skipped as unrendered templates")
    if len(run.skipped) > unrendered:
        notes.append(f"{len(run.skipped) - unrendered} not fully checked")
    if run.suppressed:
        notes.append(f"{run.suppressed} suppressed")
    if run.baseline is not None and run.baseline.baselined:
        notes.append(f"{run.baseline.baselined} baselined")
    details = f" ({', '.join(notes)})"
    failed = (
        f" {counted(len(run.errors), 'input')} could not be read or built." if run.errors else ""
    )
    stale = _stale(run)
    n = len(run.findings)
    if run.fixed:
        total = n + run.fixed
        return (
            f"Found {counted(total, 'finding')} ({run.fixed} fixed, {n} remaining) "
            f"in {files}{details}.{failed}{stale}"
        )
    if not n:
        if run.errors:
            return f"{failed.strip()} Nothing to report in the {files} read{details}.{stale}"
        if len(run.skipped) > unrendered:
            # Part of the input was not checked: "No findings" would claim too much.
            return f"Nothing found in {files}{details}.{stale}"
        return f"No findings in {files}{details}.{stale}"
    counts = run.counts()
    parts = [counted(counts[s], str(s)) for s in ("error", "warning") if counts[s]]
    return f"Found {counted(n, 'finding')} ({', '.join(parts)}) in {files}{details}.{failed}{stale}"


def _stale(run: Run) -> str:
    """The baseline entries that matched nothing, so the file can be shrunk."""
    baseline = run.baseline
    if baseline is None or not baseline.gone:
        return ""
    gone = baseline.gone
    entries = "1 baseline entry matches" if gone == 1 else f"{gone} baseline entries match"
    return f" {entries} nothing: rewrite {baseline.path} with --write-baseline to drop them."


def counted(n: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``2 unsafe fixes``, ``2 patches``."""
    return f"{n} {noun}" + ("" if n == 1 else "es" if noun.endswith(("x", "ch", "s")) else "s")


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_string = encode_basestring  # a JSON string, as the encoder writes it with ensure_ascii=False


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
        "containers": list(f.containers),
        "message": f.text,
        "severity": f.severity,
        "source": None if f.source is None else {"path": f.source.path, "line": f.source.line},
        "admission": admission_dict(f.admission),
        "fix": None
        if f.fix is None
        else {
            "description": f.fix.description,
            "applicability": f.fix.applicability,
            "declined": f.fix.declined,
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


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def finding_json(f: Finding) -> str:
    """``finding_dict(f)`` as ``json`` encodes it (``ensure_ascii=False``), written from a
    template: half the time, and a report of 100,000 findings is written by one process."""
    o, src, fix = f.object, f.source, f.fix
    obj = (
        "null"
        if o is None
        else f'{{"kind": {_text(o.kind)}, "name": {_text(o.name)}, "namespace": '
        f'{_text(o.namespace)}, "document": {int(o.document)}}}'
    )
    source = (
        "null"
        if src is None
        else f'{{"path": {_string(src.path)}, "line": '
        f"{'null' if src.line is None else int(src.line)}}}"
    )
    adm = "null" if f.admission is None else _ENCODE(admission_dict(f.admission))
    if fix is None:
        fixed = "null"
    else:
        edits = ", ".join(
            f'{{"start": {{"line": {int(e.start.line)}, "column": {int(e.start.column)}}}, '
            f'"end": {{"line": {int(e.end.line)}, "column": {int(e.end.column)}}}, '
            f'"content": {_string(e.content)}}}'
            for e in fix.edits
        )
        fixed = (
            f'{{"description": {_string(fix.description)}, "applicability": '
            f'{_string(fix.applicability)}, "declined": {_text(fix.declined)}, "edits": [{edits}]}}'
        )
    return (
        f'{{"rule": {_string(f.rule)}, "path": {_string(f.path)}, "line": {int(f.line)}, '
        f'"column": {int(f.column)}, "object": {obj}, "container": {_text(f.container)}, '
        f'"containers": [{", ".join(map(_string, f.containers))}], "message": {_string(f.text)}, '
        f'"severity": {_string(f.severity)}, "source": {source}, "admission": {adm}, '
        f'"fix": {fixed}}}'
    )


def write_json(run: Run, out: TextIO) -> None:
    """The report as JSON: one finding per line (encoded by json's C encoder, which indented
    output cannot use), the summary indented."""
    counts = run.counts()
    summary = {
        "files": run.files,
        "documents": run.documents,
        "findings": len(run.findings),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "by_rule": dict(sorted(Counter(f.rule for f in run.findings).items())),
        "skipped": [{"path": p, "reason": r} for p, r in run.skipped],
        "suppressed": run.suppressed,
        "baselined": run.baseline.baselined if run.baseline else 0,
        "baseline": None
        if run.baseline is None
        else {
            "path": run.baseline.path,
            "matched": run.baseline.matched,
            "gone": run.baseline.gone,
        },
        "pod_templates": run.pods,
        "fixed": run.fixed,
        "failed": [{"path": p, "reason": r} for p, r in run.errors],
        "namespaces": [namespace_dict(ns) for ns in run.namespaces],
    }
    findings = ",\n".join("    " + finding_json(f) for f in run.findings)
    out.write(
        '{\n  "findings": ['
        + (f"\n{findings}\n  " if findings else "")
        + '],\n  "summary": '
        + json.dumps(summary, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        + "\n}\n"
    )


def workspace_root() -> str:
    """The repository's root as CI names it: ``GITHUB_WORKSPACE`` in GitHub Actions,
    ``CI_PROJECT_DIR`` in GitLab CI, else the working directory."""
    return os.environ.get("GITHUB_WORKSPACE") or os.environ.get("CI_PROJECT_DIR") or os.getcwd()


def workspace_path(path: str) -> str:
    """``path`` as code scanning and annotations want it: relative to the repository's root,
    with forward slashes and no ``./``. The root is :func:`workspace_root` (in GitHub Actions, a
    step with ``working-directory:`` still annotates the right file); a path outside it stays
    as it is."""
    if not path or path in STDIN_NAMES:
        return path
    return _workspace_path(path, workspace_root(), os.getcwd())


@functools.lru_cache(maxsize=4096)
def _workspace_path(path: str, root: str, cwd: str) -> str:
    # Remembered by path, root and working directory (``cwd``: a relative path's meaning):
    # reports name few files many times.
    return relative(path, root, outside=False) or path


def location(f: Finding) -> tuple[str, int, int]:
    """Where to pin a finding in a repository: a finding in a rendered stream read from stdin
    goes on the template it came from."""
    if f.path == "<stdin>" and f.source is not None:
        return workspace_path(f.source.path), f.source.line or 1, 1
    return workspace_path(f.path), f.line, f.column


def _cell(value: object) -> str:
    """Markdown table text: no line breaks, pipes, HTML or markup from manifests."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|`*_[]":
        text = text.replace(ch, "\\" + ch)
    return text


def write_markdown(run: Run, out: TextIO) -> None:
    """A Markdown report with every finding in one table (for ``$GITHUB_STEP_SUMMARY``)."""
    out.write(f"## seccomp-lint\n\n{_cell(summary_line(run))}\n\n")
    if run.findings:
        out.write("| severity | rule | file | line | object | container | message |\n")
        out.write("|---|---|---|---|---|---|---|\n")
        for f in run.findings:
            names = (f.object.kind, f.object.name) if f.object else ()
            obj = "/".join(p for p in names if p)
            path, line, column = location(f)
            plain = (path, f"{line}:{column}", obj, f.container or "", f.text)
            cells = [f.severity, f"[{f.rule}]({RULES_DOC}#{f.rule})", *map(_cell, plain)]
            out.write("| " + " | ".join(cells) + " |\n")
        out.write("\n")
    for title, entries in (("Skipped", run.skipped), ("Errors", run.errors)):
        if entries:
            out.write(f"**{title}:**\n\n")
            out.writelines(f"- {_cell(path)}: {_cell(why)}\n" for path, why in entries)
            out.write("\n")
