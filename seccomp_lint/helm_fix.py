"""``--chart DIR --fix``: set ``<key>.seccompProfile.type: RuntimeDefault`` in the values file
a template renders the pod's or a container's ``securityContext`` from, verified by re-rendering.

The values file is the last ``--values FILE``, else the chart's ``values.yaml``. Each values key
is changed on its own (:func:`helm_values.set_value`, a text splice), then checked three ways
before the next: the file's data differs only by that key; the chart re-rendered with the new
text no longer has the findings the change is for and has no finding it did not have; and the
rendered output differs only in ``seccompProfile`` settings, each now ``RuntimeDefault``. A change
that fails a check is dropped and the findings it was for keep their advice, with why. The file
is written once, atomically, only with ``--fix``; templates are never rewritten.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import yaml

from . import writer
from .fixes import FileFix
from .helm import Mapped, lint_mapped, lint_rendered, render
from .helm_values import ValuesEditError, set_value
from .linter import FileResult
from .model import Applicability, Change, Finding, Options
from .toolrun import ToolError

RUNTIME_DEFAULT = "RuntimeDefault"


@dataclass
class ChartFix:
    """What fixing one chart did."""

    files: list[FileFix]  # the values file, when it changed (or would, with --diff)
    remaining: FileResult  # the findings after the fix, per the re-rendered chart
    problems: list[tuple[str, str]]  # (path, why) for what could not be done
    held_back: int = 0  # unsafe fixes not applied
    declined: dict[tuple, str] = field(default_factory=dict)  # finding identity -> why


def values_file(chart: str, values: list[str]) -> str:
    """The values file a fix edits: the last --values file, else the chart's values.yaml."""
    return values[-1] if values else os.path.join(chart, "values.yaml")


def _profile_only(change: Change) -> bool:
    """Whether a change sets a seccompProfile and nothing else."""
    if "seccompProfile" in change.path:
        return change.op == "set"
    if change.op != "set" or not change.path or change.path[-1] != "securityContext":
        return False
    try:
        value = json.loads(change.value)
    except ValueError:
        return False
    return isinstance(value, dict) and set(value) == {"seccompProfile"}


def _wanted(m: Mapped, keep: Callable[[Finding], bool]) -> bool:
    fix = m.rendered.fix
    return (
        m.ref is not None
        and keep(m.finding)
        and m.finding.suppressed is None
        and fix is not None  # declined as a rendered-output edit: the values file is the place
        and bool(fix.changes)
        and all(_profile_only(c) for c in fix.changes)
    )


def fix_chart(
    chart: str,
    values: list[str],
    options: Options,
    unsafe: bool,
    write: bool,
    keep: Callable[[Finding], bool],
) -> ChartFix:
    """Fix one chart in its values file; re-render to verify; write with ``--fix``."""
    before, mapped = lint_mapped(chart, values, options)
    if before.error:
        return ChartFix([], before, [])
    groups: dict[str, list[Mapped]] = {}
    for m in mapped:
        if _wanted(m, keep) and m.ref is not None:
            groups.setdefault(m.ref.key, []).append(m)
    if not groups:
        return ChartFix([], before, [])
    target = values_file(chart, values)
    done = ChartFix([], before, [])
    try:
        with open(target, "rb") as handle:
            original = handle.read()
        seen = writer.stamp(target)
        text = original.decode("utf-8")
    except OSError as exc:
        why = f"cannot read {target}: {exc.strerror or exc}"
        done.problems.append((target, why))
        _decline(done, [m for ms in groups.values() for m in ms], why)
        return _finish(done)
    except UnicodeDecodeError:
        _decline(done, [m for ms in groups.values() for m in ms], f"{target} is not UTF-8")
        return _finish(done)
    bom = text.startswith("\ufeff")
    text = text.lstrip("\ufeff")
    try:
        old_stream = render(chart, values)
    except ToolError as exc:
        done.problems.append((chart, str(exc)))
        return _finish(done)
    fixed = 0
    for key, group in groups.items():
        path = (*key.split("."), "seccompProfile", "type")
        try:
            new_text, old = set_value(text, path, RUNTIME_DEFAULT)
        except ValuesEditError as exc:
            _decline(done, group, f"{target}: {'.'.join(path)}: {exc}")
            continue
        if new_text == text:
            _decline(done, group, f"{target} already sets {'.'.join(path)}: {RUNTIME_DEFAULT}")
            continue
        unsafe_fix = old == "Unconfined" or any(
            m.rendered.fix is not None and m.rendered.fix.applicability != Applicability.SAFE
            for m in group
        )
        if unsafe_fix and not unsafe:
            # Someone chose the value there (Unconfined): as for plain files, only on request.
            done.held_back += len(group)
            continue
        failed, new_stream = _verify(
            chart, values, options, target, new_text, old_stream, before, group
        )
        if failed:
            _decline(done, group, failed)
            continue
        text, old_stream = new_text, new_stream
        fixed += len(group)
    new_bytes = (("\ufeff" if bom else "") + text).encode("utf-8")
    if new_bytes == original:
        return _finish(done)
    ff = FileFix(target, original, new_bytes, [], fixed_count=fixed)
    if write:
        failed = writer.replace_atomically(target, new_bytes, original, seen)
        if failed:
            done.problems.append((target, f"not rewritten: {failed}"))
            return _finish(done)
        after, _ = lint_mapped(chart, values, options)
    else:
        after, _ = lint_mapped(chart, values, options, (target, text))
    done.files.append(ff)
    if not after.error:
        done.remaining = after
    return _finish(done)


def _verify(
    chart: str,
    values: list[str],
    options: Options,
    target: str,
    new_text: str,
    old_stream: bytes,
    before: FileResult,
    group: list[Mapped],
) -> tuple[str | None, bytes]:
    """Why the new values text does not do exactly what it should (or None), and the chart
    rendered with it."""
    try:
        new_stream = render(chart, values, (target, new_text))
    except ToolError as exc:
        return f"the chart does not render with the change: {exc}", b""
    after, _ = lint_rendered(chart, new_stream, options)
    now = Counter(f.identity for f in after.reported)
    left = [m for m in group if now[m.rendered.identity]]
    if left:
        return f"the re-rendered chart still has it (in {left[0].finding.path})", new_stream
    added = now - Counter(f.identity for f in before.reported)
    if added:
        rule, kind, name = next(iter(added))[:3]
        return f"the re-rendered chart would add {rule} for {kind}/{name}", new_stream
    return _same_but_profiles(old_stream, new_stream), new_stream


def _same_but_profiles(old: bytes, new: bytes) -> str | None:
    """Why two renders differ beyond seccompProfile settings now RuntimeDefault, or None."""
    try:
        a = [d for d in yaml.safe_load_all(old) if d is not None]
        b = [d for d in yaml.safe_load_all(new) if d is not None]
    except yaml.YAMLError as exc:
        return f"the rendered output does not parse: {exc}"
    if len(a) != len(b):
        return "the re-rendered chart has a different number of documents"
    for x, y in zip(a, b):
        if _strip(x) != _strip(y):
            return "the re-rendered chart differs beyond seccompProfile"
        for profile in _new_profiles(x, y):
            if profile != {"type": RUNTIME_DEFAULT}:
                return f"the re-rendered chart sets seccompProfile {json.dumps(profile)}"
    return None


def _strip(data: object) -> object:
    """The data without seccompProfile in any securityContext (and securityContexts it empties)."""
    if isinstance(data, list):
        return [_strip(x) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for k, v in data.items():
        if k == "securityContext" and isinstance(v, dict):
            v = {kk: vv for kk, vv in v.items() if kk != "seccompProfile"}
            if not v:
                continue
        if k == "securityContext" and v is None:
            continue
        out[k] = _strip(v)
    return out


def _new_profiles(old: object, new: object) -> list[object]:
    """The seccompProfile values of ``new`` that differ from ``old`` at the same place."""
    found: list[object] = []
    if isinstance(new, list):
        items = old if isinstance(old, list) else []
        for i, item in enumerate(new):
            found += _new_profiles(items[i] if i < len(items) else None, item)
    elif isinstance(new, dict):
        keys = old if isinstance(old, dict) else {}
        for k, v in new.items():
            if k == "seccompProfile" and v != keys.get(k):
                found.append(v)
            else:
                found += _new_profiles(keys.get(k), v)
    return found


def _decline(done: ChartFix, group: list[Mapped], why: str) -> None:
    for m in group:
        done.declined[m.finding.identity] = why


def _finish(done: ChartFix) -> ChartFix:
    """The remaining findings, each whose fix was not applied saying why."""
    if done.declined:
        out = []
        for f in done.remaining.findings:
            why = done.declined.get(f.identity)
            if why and f.suppressed is None:
                note = f"fix not applied: {why}"
                f = replace(f, help=f"{f.help}; {note}" if f.help else note)
            out.append(f)
        done.remaining = replace(done.remaining, findings=out)
    return done
