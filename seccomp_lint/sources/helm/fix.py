"""``--chart DIR --fix``: set ``<key>.seccompProfile.type: RuntimeDefault`` in the values file
a template renders the pod's or a container's ``securityContext`` from, then make the rule's own
fix in templates that hard-code the spot; each change verified by re-rendering.

The values file is the last ``--values FILE``, else the chart's ``values.yaml``. Each values key
is changed on its own (:func:`~seccomp_lint.edit.splices.set_in_text`), and verified before the
next (:mod:`.verify`) in every render of the chart that reads the file: the run's own, the
defaults, each values file the config names for the chart, and the branch of a conditional
beside the pod that can make it Windows (:mod:`.branches`), taken. In each, the chart still
renders, the findings the change is for are gone where it had them, and none is new; in the run's
own render, the output differs by exactly the changes of those findings' fixes. A change that
fails is dropped and the findings it was for keep their advice, with why (and which render).

Findings whose template hard-codes the spot (no values key) then get the rule's own fix, planned
on the rendered document (``Options.edit_rendered``), carried to the template text
(:mod:`.templates`), and verified the same way, together with the changes before it.

The files are written through the shared fix stage (:class:`~seccomp_lint.fix.stage.Stage`):
the values file first, then the templates, each atomically, only with ``--fix``; its end-to-end
check renders the chart from the files as written, which must give the renders verified. A
change is verified together with the ones made before it (a template's with the values file's),
so none lands without them: a values file that cannot be written leaves the templates unwritten,
a template that cannot be written takes back the templates written before it. Interrupted
(SIGINT, SIGTERM) or failing between the first write and the check, every file written is put
back: each file is as before the run or as verified.

The chart is rendered once per render and state: the pipeline's render of the chart as it is is
reused (``rendered``), each change is verified by one render of each, and the findings left are
those of the end-to-end check's render (``--fix``) or, with ``--diff``, those the last verified
render still has, at their positions in the files on disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...edit import writer
from ...edit.edits import RUNTIME_DEFAULT
from ...edit.splices import Rejected, apply_edits, set_in_text
from ...fix.fixes import MAX_ROUNDS, FileFix, as_on_disk
from ...fix.stage import Stage, Written
from ...lint.linter import FileResult
from ...model.data import Applicability, Change, ChangeOp, Edit, Finding, Options
from ...rules import FIX_ORDER
from .branches import Branch, values_branches, windows_branches
from .render import Mapped, lint_mapped, lint_rendered
from .templates import NotPlain, carry, check_inserted
from .verify import Renders, Texts, Variant

_PROFILE_TYPE = RUNTIME_DEFAULT["type"]


@dataclass
class ChartFix:
    """What fixing one chart did."""

    files: list[FileFix]  # the values file and templates changed (or that would be, with --diff)
    remaining: FileResult  # the findings after the fix, per the re-rendered chart
    problems: list[tuple[str, str]]  # (path, why) for what could not be done
    held_back: int = 0  # unsafe fixes not applied
    declined: dict[tuple, str] = field(default_factory=dict)  # finding identity -> why
    # Each render the changes were verified with (values files by absolute path): its findings
    # with them, when every change verified is made (or, with --diff, would be).
    renders: dict[tuple[str, ...], FileResult] = field(default_factory=dict)


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


def _open(m: Mapped, keep: Callable[[Finding], bool]) -> bool:
    """Whether a finding's fix is one to make in the chart (values file or template)."""
    fix = m.rendered.fix
    return (
        keep(m.finding) and m.finding.suppressed is None and fix is not None and bool(fix.changes)
    )


def fix_chart(
    chart: str,
    values: list[str],
    options: Options,
    unsafe: bool,
    write: bool,
    keep: Callable[[Finding], bool],
    rendered: bytes | None = None,
    configured: tuple[str, ...] = (),
    held: set[tuple] | None = None,
) -> ChartFix:
    """Fix one chart in its values file, then in templates that hard-code the pod spec; each
    change verified by re-rendering with ``values`` (the lint's render), the defaults and each
    of ``configured`` (the values files the config names for the chart); files written with
    ``--fix``. ``rendered`` is the chart's stream as rendered with ``values`` already (by the
    lint before the fix stage): it is not rendered again. ``held``: the spots of the unsafe
    fixes the run has held back so far (one count each, however many renders show it)."""
    if rendered is None:
        before, mapped = lint_mapped(chart, values, options)
        if before.error:
            return ChartFix([], before, [])
        stream = before.data or b""
    else:
        stream = rendered
        before, mapped = lint_rendered(chart, stream, options)
    fixing = _ChartFixing(chart, values, options, unsafe, write, keep)
    fixing.spots = set() if held is None else held  # (the run's: one count per spot)
    if not any(_open(m, keep) for m in mapped):
        return fixing.done(before)
    fixing.renders = Renders(chart, values, configured, options, (stream, before, mapped))
    return fixing.run(before, mapped)


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

    def full(self, text: str | None = None) -> str:
        return ("\ufeff" if self.bom else "") + (self.text if text is None else text)

    def written(self) -> Written:
        fixed = self.full().encode("utf-8")
        return Written(self.path, self.path, self.original, fixed, list(self.mapped))


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


class _ChartFixing:
    """One chart's fix stage: the values keys, then the templates, verified in every render,
    written through the shared stage and checked end to end."""

    renders: Renders

    def __init__(
        self,
        chart: str,
        values: list[str],
        options: Options,
        unsafe: bool,
        write: bool,
        keep: Callable[[Finding], bool],
    ) -> None:
        self.chart, self.values, self.options = chart, values, options
        self.unsafe, self.write, self.keep = unsafe, write, keep
        self.stage = Stage(options, unsafe, write, self._blamed)
        self.declined: dict[tuple, str] = {}
        self.files: dict[str, _EditedFile] = {}  # templates read
        self.expected: dict[Variant, bytes] = {}  # the renders the files written must give
        self.made = False  # every change verified is made (with --diff: would be)
        self.seen: dict = {}  # the chart's templates as values_branches read them, once
        self.spots: set[tuple] = set()  # the unsafe fixes held back (see held)

    def held(self, group: list[Mapped]) -> None:
        """Unsafe fixes held back: counted once per template spot across the chart's renders
        (``spots``: the run's, shared by its builds)."""
        for m in group:
            spot = (os.path.normpath(m.finding.path), m.finding.line, m.finding.column)
            if (*spot, m.finding.identity) not in self.spots:
                self.spots.add((*spot, m.finding.identity))
                self.stage.held_back += 1

    def decline(self, group: list[Mapped], why: str) -> None:
        for m in group:
            self.declined[m.finding.identity] = why

    def unwritable(self, path: str, group: list[Mapped]) -> bool:
        """With ``--fix``: whether ``path`` cannot be rewritten (said once), its findings then
        declined: a change verified with it must not be made without it."""
        why = writer.unwritable(path) if self.write else None
        if why is None:
            return False
        if (path, f"not rewritten: {why}") not in self.stage.problems:
            self.stage.problems.append((path, f"not rewritten: {why}"))
        self.decline(group, f"{path} cannot be rewritten: {why}")
        return True

    def branches(self, group: list[Mapped], key: str | None = None) -> list[Branch]:
        """The conditionals that can make the group's pods Windows: beside them (in their
        templates' documents), in the helpers their templates include and, for a change of the
        values ``key``, in every template that reads it (:func:`.branches.values_branches`)."""
        out: list[Branch] = []
        for m in group:
            if m.finding is m.rendered:
                continue  # no template at hand
            file = self.template(m.finding.path)
            if isinstance(file, str):
                continue
            shown = os.path.relpath(m.finding.path, self.chart)
            on_disk = file.original.decode("utf-8")  # the lines findings are shown at
            for b in windows_branches(on_disk, shown, m.finding.line):
                if b not in out:
                    out.append(b)
        own = [m.finding.path for m in group if m.finding is not m.rendered]
        reach = values_branches(self.chart, key, own, self.seen)
        return out + [b for b in reach if b not in out]

    def template(self, path: str) -> _EditedFile | str:
        if path not in self.files:
            read = _read(path)
            if isinstance(read, str):
                return read
            self.files[path] = read
        return self.files[path]

    # ----------------------------------------------------------------- the run
    def run(self, before: FileResult, mapped: list[Mapped]) -> ChartFix:
        groups: dict[str, list[Mapped]] = {}
        for m in mapped:
            if _wanted(m, self.keep) and m.ref is not None:
                groups.setdefault(m.ref.key, []).append(m)
        in_values = self.fix_values(groups) if groups else None
        after_values = self.renders.snapshot()
        templates = _TemplateStage(self).run()
        if in_values is None and not templates:
            return self.done(before)
        with self.stage.guarded():  # interrupted or failing: what was written is put back
            self.expected = self.put(in_values, templates, after_values)
            made = self.expected == self.renders.snapshot()  # (nothing left unwritten)
            if self.write and self.stage.written:
                for w, why in self.stage.confirm(list(self.stage.written)).items():
                    self.decline(w.targets, f"fix undone: {why}")
                    made = False
            self.made = made
        if not self.write:
            last = self.renders.now.result
            return self.done(replace(last, findings=as_on_disk(before.findings, last.findings)))
        if self.stage.written:  # confirmed: the end-to-end check's render is the state
            return self.done(self.renders.now.result)
        return self.done(lint_mapped(self.chart, self.values, self.options)[0])  # as on disk

    def fix_values(self, groups: dict[str, list[Mapped]]) -> _EditedFile | None:
        """Set each values key in the values file, verified one by one; the file as changed."""
        target = values_file(self.chart, self.values)
        read = _read(target)
        if isinstance(read, str):
            if read.startswith("cannot read"):
                self.stage.problems.append((target, read))
            self.decline([m for ms in groups.values() for m in ms], read)
            return None
        for key, group in groups.items():
            path = (*key.split("."), "seccompProfile", "type")
            try:
                new_text, old = set_in_text(read.text, path, _PROFILE_TYPE)
            except Rejected as exc:
                self.decline(group, f"{target}: {'.'.join(path)}: {exc}")
                continue
            if new_text == read.text:
                self.decline(group, f"{target} already sets {'.'.join(path)}: {_PROFILE_TYPE}")
                continue
            unsafe_fix = old == "Unconfined" or any(
                m.rendered.fix is not None and m.rendered.fix.applicability != Applicability.SAFE
                for m in group
            )
            if unsafe_fix and not self.unsafe:
                # Someone chose the value there (Unconfined): as for plain files, only on request.
                self.held(group)
                continue
            if self.unwritable(target, group):
                continue
            fixes = {(f.document, f.changes): f for m in group if (f := m.rendered.fix)}
            texts: Texts = ((target, new_text), None)  # (rendered without its byte order mark)
            failed = self.renders.check(
                group, list(fixes.values()), texts, self.branches(group, key)
            )
            if failed:
                self.decline(group, failed)
                continue
            self.renders.accept(texts)
            read.text = new_text
            read.mapped += group
        return read if read.fixed else None

    # ----------------------------------------------------------------- writes
    def put(
        self,
        values: _EditedFile | None,
        templates: list[_EditedFile],
        after_values: dict[Variant, bytes],
    ) -> dict[Variant, bytes]:
        """Write the changed files through the stage (with --diff: record them); the renders
        the files written must give.

        Each change was verified by a render with the ones made before it: the values file's on
        its own, the templates' with it and with each other. So a values file that cannot be
        written leaves the templates unwritten, and a template that cannot be written takes back
        the templates written before it (each only while it still holds what was written)."""
        if values is not None:
            failed = self.stage.put(values.written(), values.seen)
            if failed:
                self.not_written(values, failed, templates, [])
                return {}
        written: list[tuple[_EditedFile, Written]] = []
        for t in templates:
            w = t.written()
            failed = self.stage.put(w, t.seen)
            if failed:
                self.not_written(t, failed, [x for x in templates if x is not t], written)
                return after_values if values is not None else {}
            written.append((t, w))
        return self.renders.snapshot()

    def not_written(
        self,
        t: _EditedFile,
        failed: str,
        others: list[_EditedFile],
        written: list[tuple[_EditedFile, Written]],
    ) -> None:
        """Say why a file and the ones verified with it are not changed, and put back those of
        them already written."""
        problems = self.stage.problems
        problems.append((t.path, f"not rewritten: {failed}"))
        self.decline(t.mapped, f"{t.path} could not be rewritten: {failed}")
        why = f"verified together with the change to {t.path}, which could not be written"
        taken = {x: w for x, w in written}
        for x in others:
            said = f"not rewritten: {why}"
            if x in taken:
                count = len(problems)
                self.stage.take_back(taken[x])
                said = f"put back: {why}" if len(problems) == count else why
            problems.append((x.path, said))
            self.decline(x.mapped, f"{x.path} is not changed: {why}")

    def _blamed(self, written: list[Written]) -> dict[Written, str]:
        """The end-to-end check: the chart rendered from the files as written gives the renders
        verified, else every file written is blamed (they were verified together)."""
        why = self.renders.confirm(self.expected)
        return {w: why for w in written} if why else {}

    def done(self, remaining: FileResult) -> ChartFix:
        """The outcome; each finding left whose fix was not applied says why."""
        if self.declined:
            out = []
            for f in remaining.findings:
                why = self.declined.get(f.identity)
                if why and f.suppressed is None:
                    note = f"fix not applied: {why}"
                    f = replace(f, help=f"{f.help}; {note}" if f.help else note)
                out.append(f)
            remaining = replace(remaining, findings=out)
        stage = self.stage
        renders = {}
        if self.made:
            for v, state in self.renders.state.items():
                if v.extra is None:  # (not a branch taken: no build of the run renders it)
                    renders[tuple(os.path.abspath(f) for f in v.values)] = state.result
        return ChartFix(
            stage.files(), remaining, stage.problems, stage.held_back, self.declined, renders
        )


class _TemplateStage:
    """The fixes of findings whose template hard-codes the spot: the rule's fix, planned on the
    rendered document, made to the template text (:mod:`.templates`), verified by rendering
    the chart with it in every render (finding gone, none new, output changed by exactly the
    fix's changes)."""

    def __init__(self, fixing: _ChartFixing) -> None:
        self.fixing = fixing
        self.chart = fixing.chart

    def run(self) -> list[_EditedFile]:
        """The templates changed (each change verified with the ones before it)."""
        fixing, renders = self.fixing, self.fixing.renders
        tried: set[tuple] = set()
        for _ in range(MAX_ROUNDS):
            candidates = self._candidates(renders.now.mapped, tried)
            if not candidates:
                break
            rendered = renders.now.stream.decode("utf-8", errors="replace")
            m = candidates[0]
            tried.add(_where(m))
            plan = self._carry(m, rendered)
            if isinstance(plan, str):
                fixing.decline([m], plan)
                continue
            file, edits, new_text = plan
            group = [m]
            for other in candidates[1:]:
                same = self._carry(other, rendered)
                if not isinstance(same, str) and same[0] is file and same[1] == edits:
                    group.append(other)
                    tried.add(_where(other))
            fixes = [f for x in group if (f := x.rendered.fix) is not None]
            if not fixing.unsafe and any(f.applicability != Applicability.SAFE for f in fixes):
                fixing.held(group)
                continue
            if fixing.unwritable(file.path, group):
                continue
            templates = {t.path: t.full() for t in fixing.files.values() if t.fixed}
            templates[file.path] = file.full(new_text)
            texts: Texts = (renders.texts[0], templates)
            failed = renders.check(group, fixes, texts, fixing.branches(group))
            if failed:
                fixing.decline(group, failed)
                continue
            renders.accept(texts)
            file.text = new_text
            file.mapped += group
        else:
            left = self._candidates(renders.now.mapped, tried)
            fixing.decline(left, f"{MAX_ROUNDS} rounds of fixes did not get to it")
        return [t for t in fixing.files.values() if t.fixed]

    def _candidates(self, mapped: list[Mapped], tried: set[tuple]) -> list[Mapped]:
        """The findings of hard-coded templates still to try, in fix order."""
        found = [
            m
            for m in mapped
            if m.ref is None
            and m.finding is not m.rendered  # its template file is at hand
            and _open(m, self.fixing.keep)
            and _where(m) not in tried
        ]
        return sorted(found, key=lambda m: (FIX_ORDER.get(m.finding.rule, 99), _where(m)))

    def _carry(self, m: Mapped, rendered: str) -> tuple[_EditedFile, list[Edit], str] | str:
        """The template, the fix's edits carried over to it and its new text, or why not."""
        fix = m.rendered.fix
        if fix is None or not fix.edits:
            return "the fix has no text edit to carry over to the template"
        file = self.fixing.template(m.finding.path)
        if isinstance(file, str):
            return file
        name = os.path.relpath(file.path, self.chart)
        try:
            edits = carry(file.text, rendered, fix.edits, name)
            new_text = apply_edits(file.text, edits)
            check_inserted(file.text, new_text, edits, name)
        except (NotPlain, Rejected) as exc:
            return f"cannot edit the template: {exc}"
        return file, edits, new_text


def _where(m: Mapped) -> tuple:
    """A finding of a template: where it is shown, and which rendered document it is in."""
    obj = m.rendered.object
    return (m.finding.path, m.finding.line, m.rendered.identity, obj.document if obj else None)
