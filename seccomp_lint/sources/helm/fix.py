"""``--chart DIR --fix``: set ``<key>.seccompProfile.type: RuntimeDefault`` in the values file
a template renders the pod's or a container's ``securityContext`` from, verified by re-rendering.

The values file is the last ``--values FILE``, else the chart's ``values.yaml``. Each values key
is changed on its own (:func:`~seccomp_lint.edit.splices.set_in_text`), then checked
three ways before the next: the file's data differs by exactly that key; the chart re-rendered
with the new text no longer has the findings the change is for and has no finding it did not
have; and the rendered output differs by exactly the changes of those findings' fixes (each
:func:`~seccomp_lint.edit.splices.changed_exactly`). A change that fails a check is dropped and
the findings it was for keep their advice, with why.

Findings whose template hard-codes the spot (no values key) then get the rule's own fix, planned
on the rendered document (the linter plans edits for Helm-rendered documents when asked,
``Options.edit_rendered``), made to the template text (:mod:`.templates`), each checked by
rendering the chart with it: finding gone, none new, output changed by exactly the fix's change.
Each file is written once, atomically, only with ``--fix``.

The chart is rendered once per state: the pipeline's render of the chart as it is is reused
(``rendered``), each change is verified by one render, and the findings left are those of the
last verified render.

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

from ...edit import writer
from ...edit.edits import RUNTIME_DEFAULT
from ...edit.splices import Rejected, apply_edits, set_in_text, verify
from ...fix.fixes import MAX_ROUNDS, FileFix
from ...lint.linter import FileResult
from ...model.data import Applicability, Change, ChangeOp, Edit, Finding, Fix, Options
from ...rules import FIX_ORDER
from ...sources.toolrun import ToolError
from .render import Mapped, lint_mapped, lint_rendered, render
from .templates import NotPlain, carry, check_inserted

_PROFILE_TYPE = RUNTIME_DEFAULT["type"]


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
        return change.op == ChangeOp.SET
    if change.op != ChangeOp.SET or not change.path or change.path[-1] != "securityContext":
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
    rendered: bytes | None = None,
) -> ChartFix:
    """Fix one chart in its values file, then in templates that hard-code the pod spec; each
    change verified by re-rendering; files written with ``--fix``. ``rendered`` is the chart's
    stream as rendered already (by the lint before the fix stage): it is not rendered again."""
    if rendered is None:
        before, mapped = lint_mapped(chart, values, options)
        if before.error:
            return ChartFix([], before, [])
        stream = before.data or b""
    else:
        stream = rendered
        before, mapped = lint_rendered(chart, stream, options)
    done = ChartFix([], before, [])
    if not any(_open(m, keep) for m in mapped):
        return done
    groups: dict[str, list[Mapped]] = {}
    for m in mapped:
        if _wanted(m, keep) and m.ref is not None:
            groups.setdefault(m.ref.key, []).append(m)
    in_values: _EditedFile | None = None
    replaced = None
    if groups:
        edited = _fix_values(chart, values, options, unsafe, write, groups, before, stream, done)
        if edited is not None and edited[0].fixed:
            in_values = edited[0]
            replaced, stream = (in_values.path, in_values.text), edited[1]
    stage = _TemplateStage(chart, values, options, replaced, done, write)
    templates, stream = stage.run(stream, unsafe, keep)
    changed = ([in_values] if in_values else []) + templates
    if not changed:
        return _finish(done)
    written = _write_all(in_values, templates, done) if write else changed
    for t in written:
        done.files.append(FileFix(t.path, t.original, t.encoded, [], fixed_count=t.fixed))
    if len(written) == len(changed):
        after, _ = lint_rendered(chart, stream, options)  # the last verified render: the files
    else:
        after, _ = lint_mapped(chart, values, options)  # some not written: as they are now
    if not after.error:
        done.remaining = after
    return _finish(done)


@dataclass(eq=False)
class _EditedFile:
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


def _read(path: str) -> _EditedFile | str:
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
    return _EditedFile(path, original, seen, text.lstrip("\ufeff"), text.startswith("\ufeff"))


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
) -> tuple[_EditedFile, bytes] | None:
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
            new_text, old = set_in_text(text, path, _PROFILE_TYPE)
        except Rejected as exc:
            _decline(done, group, f"{target}: {'.'.join(path)}: {exc}")
            continue
        if new_text == text:
            _decline(done, group, f"{target} already sets {'.'.join(path)}: {_PROFILE_TYPE}")
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
            failed = _rendered_exactly(old_stream, new_stream, group)
        if failed:
            _decline(done, group, failed)
            continue
        text, old_stream = new_text, new_stream
        read.mapped += group
    read.text = text
    return read, old_stream


def _rendered_exactly(old: bytes, new: bytes, group: list[Mapped]) -> str | None:
    """Why the chart rendered with a values change differs from before by more (or less) than
    the changes of the fixes of the findings it is for, or None."""
    fixes = {(f.document, f.changes): f for m in group if (f := m.rendered.fix) is not None}
    try:
        verify(old.decode("utf-8"), new.decode("utf-8"), list(fixes.values()), False)
    except (Rejected, UnicodeDecodeError) as exc:
        return f"the re-rendered chart differs by more than the fix: {exc}"
    return None


def _open(m: Mapped, keep: Callable[[Finding], bool]) -> bool:
    """Whether a finding's fix is one to make in the chart (values file or template)."""
    fix = m.rendered.fix
    return (
        keep(m.finding) and m.finding.suppressed is None and fix is not None and bool(fix.changes)
    )


class _TemplateStage:
    """The fixes of findings whose template hard-codes the spot: the rule's fix, planned on the
    rendered document, made to the template text (:mod:`.templates`), verified by rendering
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
        self.files: dict[str, _EditedFile] = {}

    def run(
        self, stream: bytes, unsafe: bool, keep: Callable[[Finding], bool]
    ) -> tuple[list[_EditedFile], bytes]:
        """The templates changed, and the chart's stream rendered with them (each change
        verified by one render, with the ones before it)."""
        tried: set[tuple] = set()
        for _ in range(MAX_ROUNDS):
            now, mapped = lint_rendered(self.chart, stream, self.options)
            candidates = self._candidates(mapped, keep, tried)
            if not candidates:
                break
            rendered = stream.decode("utf-8", errors="replace")
            m = candidates[0]
            tried.add(_where(m))
            plan = self._carry(m, rendered)
            if isinstance(plan, str):
                _decline(self.done, [m], plan)
                continue
            file, edits, new_text = plan
            group = [m]
            for other in candidates[1:]:
                same = self._carry(other, rendered)
                if not isinstance(same, str) and same[0] is file and same[1] == edits:
                    group.append(other)
                    tried.add(_where(other))
            fixes = [f for x in group if (f := x.rendered.fix) is not None]
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
        else:
            _, mapped = lint_rendered(self.chart, stream, self.options)
            left = self._candidates(mapped, keep, tried)
            _decline(self.done, left, f"{MAX_ROUNDS} rounds of fixes did not get to it")
        return [t for t in self.files.values() if t.fixed], stream

    @staticmethod
    def _candidates(
        mapped: list[Mapped], keep: Callable[[Finding], bool], tried: set[tuple]
    ) -> list[Mapped]:
        """The findings of hard-coded templates still to try, in fix order."""
        found = [
            m
            for m in mapped
            if m.ref is None
            and m.finding is not m.rendered  # its template file is at hand
            and _open(m, keep)
            and _where(m) not in tried
        ]
        return sorted(found, key=lambda m: (FIX_ORDER.get(m.finding.rule, 99), _where(m)))

    def _carry(self, m: Mapped, rendered: str) -> tuple[_EditedFile, list[Edit], str] | str:
        """The template, the fix's edits carried over to it and its new text, or why not."""
        fix = m.rendered.fix
        if fix is None or not fix.edits:
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
            edits = carry(file.text, rendered, fix.edits, name)
            new_text = apply_edits(file.text, edits)
            check_inserted(file.text, new_text, edits, name)
        except (NotPlain, Rejected) as exc:
            return f"cannot edit the template: {exc}"
        return file, edits, new_text

    def _verify(
        self,
        file: _EditedFile,
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


def _where(m: Mapped) -> tuple:
    """A finding of a template: where it is shown, and which rendered document it is in."""
    obj = m.rendered.object
    return (m.finding.path, m.finding.line, m.rendered.identity, obj.document if obj else None)


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
        a = next(iter(added))
        return f"the re-rendered chart would add {a.rule} for {a.kind}/{a.name}", new_stream
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


def _write_all(
    values: _EditedFile | None, templates: list[_EditedFile], done: ChartFix
) -> list[_EditedFile]:
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
    written: list[_EditedFile] = []
    for t in templates:
        failed = writer.replace_atomically(t.path, t.encoded, t.original, t.seen)
        if failed:
            _not_written(done, t, failed, [x for x in templates if x is not t], written)
            return first
        written.append(t)
    return first + written


def _not_written(
    done: ChartFix,
    t: _EditedFile,
    failed: str,
    others: list[_EditedFile],
    written: list[_EditedFile],
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
