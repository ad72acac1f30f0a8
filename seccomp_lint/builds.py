"""Built inputs on the command line: ``--kustomize DIR`` and ``--chart DIR``, linted and fixed.

Lint results come back as ``FileResult`` values, one per source file, like any other input.
``--fix`` with ``--kustomize`` edits a plain resource file a finding was re-located in, rebuilds,
and keeps the edit only when the rebuilt output no longer has the finding; every other finding
gets a strategic-merge patch to paste into the overlay's kustomization, and nothing is written.
Rendered Helm output is never rewritten: the finding's help names the template or values key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from typing import TextIO

from .model import Finding, Options

# The rules whose fix is "set seccompProfile to RuntimeDefault here"; a patch can say that.
_PATCHABLE = {
    "missing-seccomp-profile": "safe",
    "invalid-seccomp-profile": "safe",
    "unconfined-seccomp-profile": "unsafe",
}


def results(
    kustomizations: list[str], charts: list[str], values: list[str], options: Options
) -> Iterator:
    """FileResults of every build: one per source file with findings, else one per build."""
    for directory in kustomizations:
        from . import kustomize

        yield from _per_file(kustomize.lint(directory, options))
    for chart in charts:
        from . import helm

        yield from _per_file(helm.lint_chart(chart, values, options))


def _per_file(result) -> Iterator:
    from .linter import FileResult

    if result.error or not result.findings:
        yield result
        return
    by_path: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_path.setdefault(f.path, []).append(f)
    for i, path in enumerate(sorted(by_path)):
        yield FileResult(path, by_path[path], documents=result.documents if i == 0 else 0)


# --------------------------------------------------------------------------- --fix --kustomize


def _key(f: Finding) -> tuple:
    obj = f.object
    return (f.rule, obj.kind if obj else None, obj.name if obj else None, f.container, f.message)


def _fix_file(path: str, shown: str, wanted: set[tuple], options: Options, unsafe: bool):
    """The file's bytes with the wanted findings fixed (verified), or the reason it failed."""
    from . import fixes
    from .documents import DecodeError, decode
    from .linter import lint_bytes

    with open(path, "rb") as handle:
        data = handle.read()
    is_json = path.endswith(".json")
    try:
        raw, encoding, bom = decode(data)
        body = raw.decode("utf-8")
    except (DecodeError, UnicodeDecodeError) as exc:
        return data, data, set(), [f"{shown}: not fixed: {exc}"]
    options = replace(options, prefilter=False)
    failed: set[tuple] = set()
    problems = []
    for _ in range(4 * len(wanted) + 4):
        current = lint_bytes(bom + body.encode(encoding), shown, options, is_json).findings
        todo = [
            f
            for f in current
            if _key(f) in wanted and _key(f) not in failed and fixes.applicable(f, unsafe)
        ]
        if not todo:
            break
        f = todo[0]
        try:
            new = fixes.apply_edits(body, list(f.fix.edits))
            fixes.verify(body, new, [f.fix], is_json)
        except fixes.Rejected as exc:
            failed.add(_key(f))
            problems.append(f"{shown}:{f.line}: {f.rule} not fixed: {exc}")
            continue
        body = new
    fixed = bom + body.encode(encoding)
    left = {_key(f) for f in lint_bytes(fixed, shown, options, is_json).findings}
    return data, fixed, wanted - left, problems


def fix_kustomize(
    directories: list[str],
    options: Options,
    report,
    *,
    fmt: str = "text",
    diff: bool = False,
    unsafe: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``--fix``/``--diff`` with ``--kustomize``: fix plain sources, print patches for the rest."""
    from . import fixes, kustomize, writer
    from .report import Run, counted

    out = out or sys.stdout
    err = err or sys.stderr
    notes = err if fmt != "text" or diff else out
    run = Run()
    code_error = False
    rewritten = 0
    fixed_total = 0
    for directory in directories:
        result, mapped = kustomize.lint_mapped(directory, options)
        if result.error:
            print(f"seccomp-lint: {directory}: {result.error}", file=err)
            run.errors.append((directory, result.error))
            code_error = True
            continue
        # What a source file can fix: findings re-located there with an applicable fix.
        wanted: dict[str, set[tuple]] = {}
        shown: dict[str, str] = {}
        for m in mapped:
            if m.plain and m.source_finding and fixes.applicable(m.source_finding, unsafe):
                wanted.setdefault(m.source_file, set()).add(_key(m.source_finding))
                shown[m.source_file] = m.finding.path
        changed: dict[str, tuple[bytes, bytes, tuple]] = {}
        fixed_keys: dict[str, set[tuple]] = {}
        rolled_back: set[str] = set()
        for path, keys in sorted(wanted.items()):
            try:
                stamp = writer.stamp(path)
                before, after, done, problems = _fix_file(path, shown[path], keys, options, unsafe)
            except OSError as exc:
                print(f"seccomp-lint: {shown[path]}: cannot read: {exc.strerror}", file=err)
                code_error = True
                continue
            for problem in problems:
                print(f"seccomp-lint: {problem}", file=err)
            if after != before:
                changed[path] = (before, after, stamp)
                fixed_keys[path] = done
        remaining = result.findings
        if diff:
            for path, (before, after, _) in changed.items():
                out.write(fixes.unified_diff(shown[path], before, after))
        else:
            for path, (before, after, stamp) in list(changed.items()):
                why = writer.replace_atomically(path, after, before, stamp)
                if why:
                    print(f"seccomp-lint: {shown[path]}: not rewritten: {why}", file=err)
                    del changed[path]
                    code_error = True
            if changed:
                rebuilt, remapped = kustomize.lint_mapped(directory, options)
                if rebuilt.error:
                    stale = {path: f"the rebuild failed: {rebuilt.error}" for path in changed}
                else:
                    stale = _still_there(mapped, remapped, fixed_keys)
                if stale:
                    # Undo only the files whose fix the build does not show, then look again.
                    _restore({p: changed.pop(p) for p in stale}, err, shown, stale)
                    rolled_back.update(stale)
                    code_error = True
                    rebuilt, remapped = kustomize.lint_mapped(directory, options)
                if not rebuilt.error:
                    remaining, mapped = rebuilt.findings, remapped
        rewritten += len(changed)
        fixed_total += sum(len(fixed_keys[path]) for path in changed)
        run.files += 1
        run.documents += result.documents
        run.findings.extend(sorted(remaining, key=lambda f: (f.path, f.line, f.column, f.rule)))
        # What a source edit does not resolve gets a patch for the overlay instead.
        patches = [
            m
            for m in mapped
            if m.source_file in rolled_back
            or not (m.plain and m.source_finding and fixes.applicable(m.source_finding, unsafe))
        ]
        text = suggested_patches(directory, patches, unsafe)
        if text:
            notes.write(text)
    if not diff:
        report(run, out)
    verb = "Would fix" if diff else "Fixed"
    print(f"{verb} {counted(fixed_total, 'finding')} in {counted(rewritten, 'file')}.", file=notes)
    if code_error:
        return 2
    return 1 if rewritten or run.findings else 0


def _built_key(m) -> tuple:
    return (m.finding.rule, m.built.kind, m.built.name, m.finding.container) if m.built else ()


def _still_there(before: list, after: list, fixed: dict[str, set[tuple]]) -> dict[str, str]:
    """The edited files whose fix the rebuilt output does not show, and why."""
    now = {_built_key(m) for m in after}
    stale: dict[str, str] = {}
    for m in before:
        if not (m.plain and m.source_finding and m.built) or m.source_file in stale:
            continue
        if _key(m.source_finding) in fixed.get(m.source_file, ()) and _built_key(m) in now:
            stale[m.source_file] = (
                f"the rebuilt output still has {m.finding.rule} for {m.built.kind}/{m.built.name}"
            )
    return stale


def _restore(changed: dict, err: TextIO, shown: dict[str, str], why: dict[str, str]) -> None:
    from . import writer

    for path, (before, after, _) in changed.items():
        writer.replace_atomically(path, before, after, writer.stamp(path))
        print(f"seccomp-lint: {shown[path]}: fix undone: {why[path]}", file=err)


# --------------------------------------------------------------------------- patches to paste


def suggested_patches(directory: str, mapped: list, unsafe: bool) -> str:
    """Strategic-merge patches, ready to paste into the kustomization of ``directory``."""
    from .kustomize import kustomization_file, node_path

    blocks: list[str] = []
    seen: set[tuple] = set()
    held = 0
    for m in mapped:
        f = m.finding
        safety = _PATCHABLE.get(f.rule)
        if safety is None or m.built is None or f.object is None:
            continue
        if safety == "unsafe" and not unsafe:
            held += 1
            continue
        steps = node_path(m.built.doc, *m.built_at) if m.built_at else None
        body = _patch_body(m, steps)
        if body is None or body in seen:
            continue
        seen.add(body)
        blocks.append(body)
    if not blocks:
        if held:
            return (
                f"seccomp-lint: {held} patch(es) for Unconfined profiles held back "
                "(review them, then rerun with --unsafe-fixes)\n"
            )
        return ""
    target = kustomization_file(directory) or f"{directory}/kustomization.yaml"
    if _has_key(target, "patches"):
        lines = [f"# Add to the patches: list of {target} (no file was changed for these):"]
    else:
        lines = [f"# Paste into {target} (no file was changed for these findings):", "patches:"]
    for body in blocks:
        lines.append("- patch: |-")
        lines.extend("    " + line for line in body.splitlines())
    return "\n".join(lines) + "\n"


def _has_key(path: str, key: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.startswith(f"{key}:") for line in handle)
    except OSError:
        return False


def _patch_body(m, steps: list[tuple] | None) -> str | None:
    """The patch for one finding: the pod (or its container) gets RuntimeDefault."""
    from .documents import text

    doc = m.built.doc
    api = text(doc.get(doc.root, "apiVersion"))
    name = m.original_name or m.built.name
    if api is None or name is None or m.built.kind is None:
        return None
    spec = _pod_spec_path(steps, m.built.kind)
    container = m.finding.container if m.finding.rule != "missing-seccomp-profile" else None
    group = None
    if container is not None and steps:
        group = next((s[0] for s in steps if len(s) == 1 and s[0].endswith("ontainers")), None)
    lines = [f"apiVersion: {api}", f"kind: {m.built.kind}", "metadata:", f"  name: {name}"]
    depth = 0
    for key in spec:
        lines.append("  " * depth + f"{key}:")
        depth += 1
    if group is not None:
        lines.append("  " * depth + f"{group}:")
        lines.append("  " * depth + f"- name: {container}")
        depth += 1
    lines.append("  " * depth + "securityContext:")
    lines.append("  " * (depth + 1) + "seccompProfile:")
    lines.append("  " * (depth + 2) + "type: RuntimeDefault")
    return "\n".join(lines)


def _pod_spec_path(steps: list[tuple] | None, kind: str) -> list[str]:
    """The keys from the object to its pod spec, from the finding's path or the kind."""
    from .workloads import CONTAINER_GROUPS, pod_spec_keys

    if steps:
        keys = []
        for s in steps:
            if len(s) != 1 or s[0] in ("securityContext", "metadata", *CONTAINER_GROUPS):
                break
            keys.append(s[0])
        if keys and keys[-1] == "spec":
            return keys
    return list(pod_spec_keys(kind))
