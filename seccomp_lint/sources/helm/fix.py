"""``--chart DIR --fix``: set ``<key>.seccompProfile.type: RuntimeDefault`` in the values file
a template renders the pod's or a container's ``securityContext`` from, verified by re-rendering.

The values file is the last ``--values FILE``, else the chart's ``values.yaml``. Each values key
is changed on its own (:func:`helm_values.set_value`, a text splice), then checked three ways
before the next: the file's data differs only by that key; the chart re-rendered with the new
text no longer has the findings the change is for and has no finding it did not have; and the
rendered output differs only in ``seccompProfile`` settings, each now ``RuntimeDefault``. A change
that fails a check is dropped and the findings it was for keep their advice, with why.

Findings whose template hard-codes the spot (no values key) then get the rule's own fix made to
the template text (:mod:`helm_templates`), each checked by rendering the chart with it: finding
gone, none new, output changed by exactly the fix's change. Each file is written once,
atomically, only with ``--fix``.

A change is verified together with the ones made before it (a template's with the values
file's), so none may land without them: with ``--fix`` a file that cannot be rewritten is not
changed at all (its findings keep their advice, saying so), and when a write fails all the same
(a file changed meanwhile) the changes verified with it are not written, or are put back.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import yaml

from ...edit import writer
from ...edit.splices import Rejected, apply_edits, verify
from ...fix.fixes import FileFix
from ...lint.linter import FileResult
from ...model.data import Applicability, Change, Edit, Finding, Fix, Options
from ...rules import FIX_ORDER
from ...sources.toolrun import ToolError
from .render import Mapped, lint_mapped, lint_rendered, render
from .templates import NotPlain, carry, check_inserted, planned_edits
from .values import ValuesEditError, set_value

RUNTIME_DEFAULT = "RuntimeDefault"
_MAX_ROUNDS = 200  # template fixes tried per chart (each renders the chart once)


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
    """Fix one chart in its values file, then in templates that hard-code the pod spec; each
    change verified by re-rendering; files written with ``--fix``."""
    before, mapped = lint_mapped(chart, values, options)
    if before.error:
        return ChartFix([], before, [])
    done = ChartFix([], before, [])
    if not any(_open(m, keep) for m in mapped):
        return done
    try:
        stream = render(chart, values)
    except ToolError as exc:
        done.problems.append((chart, str(exc)))
        return _finish(done)
    groups: dict[str, list[Mapped]] = {}
    for m in mapped:
        if _wanted(m, keep) and m.ref is not None:
            groups.setdefault(m.ref.key, []).append(m)
    in_values: _Text | None = None
    replaced = None
    if groups:
        edited = _fix_values(chart, values, options, unsafe, write, groups, before, stream, done)
        if edited is not None and edited[0].fixed:
            in_values = edited[0]
            replaced, stream = (in_values.path, in_values.text), edited[1]
    stage = _TemplateStage(chart, values, options, replaced, done, write)
    templates = stage.run(stream, unsafe, keep)
    changed = ([in_values] if in_values else []) + templates
    if not changed:
        return _finish(done)
    for t in _write_all(in_values, templates, done) if write else changed:
        done.files.append(FileFix(t.path, t.original, t.encoded, [], fixed_count=t.fixed))
    if write:
        after, _ = lint_mapped(chart, values, options)
    else:
        texts = {t.path: t.full for t in templates}
        after, _ = lint_mapped(chart, values, options, replaced, texts)
    if not after.error:
        done.remaining = after
    return _finish(done)


@dataclass(eq=False)
class _Text:
    """A file being changed: as read, and as it is now."""

    path: str
    original: bytes
    seen: tuple[int, int]
    text: str  # without a byte order mark
    bom: bool
    mapped: list[Mapped] = field(default_factory=list)  # the findings its changes fix

    @property
    def fixed(self) -> int:
        return len(self.mapped)

    @property
    def full(self) -> str:
        return ("\ufeff" if self.bom else "") + self.text

    @property
    def encoded(self) -> bytes:
        return self.full.encode("utf-8")


def _read(path: str) -> _Text | str:
    """A file to edit, or why it cannot be."""
    try:
        with open(path, "rb") as handle:
            original = handle.read()
        seen = writer.stamp(path)
        text = original.decode("utf-8")
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return f"{path} is not UTF-8"
    return _Text(path, original, seen, text.lstrip("\ufeff"), text.startswith("\ufeff"))


def _fix_values(
    chart: str,
    values: list[str],
    options: Options,
    unsafe: bool,
    write: bool,
    groups: dict[str, list[Mapped]],
    before: FileResult,
    old_stream: bytes,
    done: ChartFix,
) -> tuple[_Text, bytes] | None:
    """Set each values key in the values file, verified one by one: the file as changed and
    the chart rendered with it."""
    target = values_file(chart, values)
    read = _read(target)
    if isinstance(read, str):
        if read.startswith("cannot read"):
            done.problems.append((target, read))
        _decline(done, [m for ms in groups.values() for m in ms], read)
        return None
    text = read.text
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
        if write and _unwritable(done, target, group):
            continue
        failed, new_stream = _rerendered(
            chart, values, options, ((target, new_text), None), before, group
        )
        if not failed:
            failed = _same_but_profiles(old_stream, new_stream)
        if failed:
            _decline(done, group, failed)
            continue
        text, old_stream = new_text, new_stream
        read.mapped += group
    read.text = text
    return read, old_stream


def _open(m: Mapped, keep: Callable[[Finding], bool]) -> bool:
    """Whether a finding's fix is one to make in the chart (values file or template)."""
    fix = m.rendered.fix
    return (
        keep(m.finding) and m.finding.suppressed is None and fix is not None and bool(fix.changes)
    )


class _TemplateStage:
    """The fixes of findings whose template hard-codes the spot: the rule's fix, planned on the
    rendered document, made to the template text (:mod:`helm_templates`), verified by rendering
    the chart with it (finding gone, none new, output changed by exactly the fix's changes)."""

    def __init__(
        self,
        chart: str,
        values: list[str],
        options: Options,
        replaced: tuple[str, str] | None,
        done: ChartFix,
        write: bool,
    ) -> None:
        self.chart, self.values, self.options = chart, values, options
        self.replaced, self.done, self.write = replaced, done, write
        self.files: dict[str, _Text] = {}

    def run(self, stream: bytes, unsafe: bool, keep: Callable[[Finding], bool]) -> list[_Text]:
        tried: set[tuple] = set()
        for _ in range(_MAX_ROUNDS):
            now, mapped = lint_rendered(self.chart, stream, self.options)
            candidates = [
                m
                for m in mapped
                if m.ref is None
                and m.finding is not m.rendered  # its template file is at hand
                and _open(m, keep)
                and _where(m) not in tried
            ]
            if not candidates:
                break
            candidates.sort(key=lambda m: (FIX_ORDER.get(m.finding.rule, 99), _where(m)))
            planned = planned_edits(stream, self.options)
            rendered = stream.decode("utf-8", errors="replace")
            m = candidates[0]
            tried.add(_where(m))
            plan = self._carry(m, planned, rendered)
            if isinstance(plan, str):
                _decline(self.done, [m], plan)
                continue
            file, edits, new_text = plan
            group = [m]
            for other in candidates[1:]:
                same = self._carry(other, planned, rendered)
                if not isinstance(same, str) and same[0] is file and same[1] == edits:
                    group.append(other)
                    tried.add(_where(other))
            fixes = [f for x in group if (f := planned[_key(x)].fix) is not None]
            if not unsafe and any(f.applicability != Applicability.SAFE for f in fixes):
                self.done.held_back += len(group)
                continue
            if self.write and _unwritable(self.done, file.path, group):
                continue
            failed, new_stream = self._verify(file, new_text, stream, now, group, fixes)
            if failed:
                _decline(self.done, group, failed)
                continue
            file.text, stream = new_text, new_stream
            file.mapped += group
        return [t for t in self.files.values() if t.fixed]

    def _carry(
        self, m: Mapped, planned: dict[tuple, Finding], rendered: str
    ) -> tuple[_Text, list[Edit], str] | str:
        """The template, the fix's edits carried over to it and its new text, or why not."""
        f = planned.get(_key(m))
        if f is None or f.fix is None:
            return "the fix has no text edit to carry over to the template"
        path = m.finding.path
        if path not in self.files:
            read = _read(path)
            if isinstance(read, str):
                return read
            self.files[path] = read
        file = self.files[path]
        name = os.path.relpath(path, self.chart)
        try:
            edits = carry(file.text, rendered, f.fix.edits, name)
            new_text = apply_edits(file.text, edits)
            check_inserted(file.text, new_text, edits, name)
        except (NotPlain, Rejected) as exc:
            return f"cannot edit the template: {exc}"
        return file, edits, new_text

    def _verify(
        self,
        file: _Text,
        new_text: str,
        old_stream: bytes,
        before: FileResult,
        group: list[Mapped],
        fixes: list[Fix],
    ) -> tuple[str | None, bytes]:
        texts = {t.path: t.full for t in self.files.values() if t.fixed}
        texts[file.path] = ("\ufeff" if file.bom else "") + new_text
        failed, new_stream = _rerendered(
            self.chart, self.values, self.options, (self.replaced, texts), before, group
        )
        if failed:
            return failed, new_stream
        try:
            verify(
                old_stream.decode("utf-8"),
                new_stream.decode("utf-8"),
                fixes,
                False,
            )
        except (Rejected, UnicodeDecodeError) as exc:
            return f"the re-rendered chart differs by more than the fix: {exc}", new_stream
        return None, new_stream


def _key(m: Mapped) -> tuple:
    """A rendered finding as :func:`helm_templates.planned_edits` keys it."""
    obj = m.rendered.object
    return (m.rendered.identity, obj.document if obj else None)


def _where(m: Mapped) -> tuple:
    return (m.finding.path, m.finding.line, *_key(m))


def _rerendered(
    chart: str,
    values: list[str],
    options: Options,
    changed: tuple[tuple[str, str] | None, dict[str, str] | None],
    before: FileResult,
    group: list[Mapped],
) -> tuple[str | None, bytes]:
    """The chart rendered with changed texts (the values file's, the templates'), and why it
    does not do what the change is for, or None: the group's findings gone, no finding new."""
    try:
        new_stream = render(chart, values, *changed)
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
    return None, new_stream


def _unwritable(done: ChartFix, path: str, group: list[Mapped]) -> bool:
    """With ``--fix``: whether ``path`` cannot be rewritten (said once), its findings then
    declined: a change verified with it must not be made without it."""
    why = writer.unwritable(path)
    if why is None:
        return False
    if (path, f"not rewritten: {why}") not in done.problems:
        done.problems.append((path, f"not rewritten: {why}"))
    _decline(done, group, f"{path} cannot be rewritten: {why}")
    return True


def _write_all(values: _Text | None, templates: list[_Text], done: ChartFix) -> list[_Text]:
    """Write the changed files; the ones written.

    Each change was verified by a render with the ones made before it: the values file's on
    its own, the templates' with it and with each other. So a values file that cannot be
    written leaves the templates unwritten, and a template that cannot be written takes back
    the templates written before it (each only while it still holds what was written)."""
    first = [values] if values is not None else []
    for t in first:
        failed = writer.replace_atomically(t.path, t.encoded, t.original, t.seen)
        if failed:
            _not_written(done, t, failed, templates, [])
            return []
    written: list[_Text] = []
    for t in templates:
        failed = writer.replace_atomically(t.path, t.encoded, t.original, t.seen)
        if failed:
            _not_written(done, t, failed, [x for x in templates if x is not t], written)
            return first
        written.append(t)
    return first + written


def _not_written(
    done: ChartFix, t: _Text, failed: str, others: list[_Text], written: list[_Text]
) -> None:
    """Say why a file and the ones verified with it are not changed, and put back those of
    them already written."""
    done.problems.append((t.path, f"not rewritten: {failed}"))
    _decline(done, t.mapped, f"{t.path} could not be rewritten: {failed}")
    why = f"verified together with the change to {t.path}, which could not be written"
    for x in others:
        said = f"not rewritten: {why}"
        if x in written:
            undo = writer.put_back(x.path, x.original, x.encoded, None)
            said = f"put back: {why}" if undo is None else f"{why}; not put back: {undo}"
        done.problems.append((x.path, said))
        _decline(done, x.mapped, f"{x.path} is not changed: {why}")


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
