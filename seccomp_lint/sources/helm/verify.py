"""The renders a chart's fix is verified with, and the check each change passes in every one.

A chart is deployed with more than the values of one run: a fix (a values key, a template edit)
must hold for every render that reads the file it changes. The renders (:class:`Variant`) are
the run's own (the lint's render: the defaults and ``--values``), the defaults, each values file
the config names for the chart (``charts:``; one render each, as a walk renders them), and,
for a change beside a conditional that can make the pod Windows (:mod:`.branches`), the chart
rendered with that branch taken. A change is applied only if, in every render, the chart still
renders, the findings it is for are gone where that render had them, and no finding is new;
in the run's own render the output also differs by exactly the fixes' changes. Otherwise it is
declined, saying with which render.

The state verified so far (:class:`Renders`) is each render's stream with the changes accepted;
with ``--fix``, :meth:`Renders.confirm` is the fix stage's end-to-end check: the chart rendered
from the files as written must give exactly those streams.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

from ...edit.splices import Rejected, verify
from ...lint.linter import FileResult
from ...model.data import Fix, Options
from ...sources.toolrun import ToolError
from ..adapter import Mapped
from .branches import Branch
from .render import lint_rendered, render

# The texts a change renders the chart with: a values file's (path, text), templates' by path.
Texts = tuple[tuple[str, str] | None, dict[str, str] | None]


@dataclass(frozen=True)
class Variant:
    """One render of the chart: its values files, and values given over them (a branch taken)."""

    label: str  # how a message names it
    values: tuple[str, ...]
    extra: tuple[str, str] | None = None  # (name, text)


def _label(values: tuple[str, ...]) -> str:
    return f"values {', '.join(values)}" if values else "the default values"


@dataclass
class _State:
    stream: bytes
    result: FileResult
    mapped: list[Mapped]


class Renders:
    """The renders of one chart fix, and the state each has with the changes accepted so far."""

    def __init__(
        self,
        chart: str,
        values: list[str],
        configured: tuple[str, ...],
        options: Options,
        state: tuple[bytes, FileResult, list[Mapped]],
    ) -> None:
        self.chart, self.options = chart, options
        self.primary = Variant(_label(tuple(values)), tuple(values))
        seen = {_key(self.primary.values)}
        self.variants = [self.primary]
        for given in [(), *((v,) for v in configured)]:
            if _key(given) not in seen:
                seen.add(_key(given))
                self.variants.append(Variant(_label(given), given))
        self.state: dict[Variant, _State] = {self.primary: _State(*state)}
        self.texts: Texts = (None, None)  # the changes accepted so far
        # The defaults, when the run gives --values: a chart that needs them (`required`) does
        # not render without them, and is not deployed so; then that render is left out.
        self.optional = Variant(_label(()), ()) if values else None
        self.candidate: dict[Variant, _State] = {}

    @property
    def now(self) -> _State:
        """The run's own render, with the changes accepted so far."""
        return self.state[self.primary]

    def snapshot(self) -> dict[Variant, bytes]:
        return {v: s.stream for v, s in self.state.items()}

    def _render(self, v: Variant, texts: Texts) -> bytes:
        replaced, templates = texts
        changed = self._replaced(v, replaced)
        namespace = self.options.namespace
        return render(self.chart, list(v.values), changed, templates, v.extra, namespace)

    def _replaced(self, v: Variant, replaced: tuple[str, str] | None) -> tuple[str, str] | None:
        """A changed values file's text, for a render that reads it: the chart's values.yaml is
        read by every render, another values file only by those given it (under their name)."""
        if replaced is None:
            return None
        path, text = replaced
        given = [f for f in v.values if os.path.abspath(f) == os.path.abspath(path)]
        if given:
            return given[-1], text
        defaults = os.path.abspath(os.path.join(self.chart, "values.yaml"))
        return replaced if os.path.abspath(path) == defaults else None

    def _before(self, v: Variant) -> _State | str:
        """A render's state with the changes accepted so far (rendered the first time it is
        asked for), or why it does not render."""
        if v not in self.state:
            try:
                stream = self._render(v, self.texts)
            except ToolError as exc:
                return f"the chart does not render with {v.label}: {exc}"
            self.state[v] = _State(stream, *lint_rendered(self.chart, stream, self.options))
        return self.state[v]

    def check(
        self, group: list[Mapped], fixes: list[Fix], texts: Texts, branches: list[Branch]
    ) -> str | None:
        """Why the chart rendered with ``texts`` (the accepted changes and this one) fails the
        check in some render, or None (then :meth:`accept` makes it the state)."""
        for b in branches:
            if b.why is not None:
                return (
                    f"{b.template}:{b.line} makes the pod Windows under `{b.condition}`, and "
                    f"{b.why}: the change cannot be verified with that branch taken"
                )
        variants = list(self.variants)
        variants += [v for v in self.state if v not in variants]
        for b in branches:
            v = Variant(b.label, self.primary.values, ("(the branch taken)", b.values_text()))
            if v not in variants:
                variants.append(v)
        self.candidate = {}
        for v in variants:
            if not texts[1] and self._replaced(v, texts[0]) is None:
                continue  # a render that does not read the values file changed
            before = self._before(v)
            if isinstance(before, str) and v == self.optional:
                self.variants.remove(v)
                continue
            if isinstance(before, str):
                return before
            try:
                stream = self._render(v, texts)
            except ToolError as exc:
                return f"the chart does not render with the change and {v.label}: {exc}"
            after = _State(stream, *lint_rendered(self.chart, stream, self.options))
            why = _lost_and_gained(before.result, after.result, group)
            if why is None and v is self.primary:
                why = _exactly(before.stream, stream, fixes)
            if why is not None:
                return why if v is self.primary else f"with {v.label}: {why}"
            self.candidate[v] = after
        return None

    def accept(self, texts: Texts) -> None:
        """The change just checked is made: its renders are the state."""
        self.state.update(self.candidate)
        self.texts, self.candidate = texts, {}

    def confirm(self, expected: dict[Variant, bytes]) -> str | None:
        """The end-to-end check after the files are written: each render of the chart from
        the files on disk gives the data verified (``expected``: a comment someone added to a
        template meanwhile is no difference); why not, or None. The run's own render is the
        state after it."""
        for v, stream in expected.items():
            try:
                now = render(
                    self.chart, list(v.values), None, None, v.extra, self.options.namespace
                )
            except ToolError as exc:
                return f"the chart does not render from the files as written, with {v.label}: {exc}"
            if v is self.primary:
                self.state[v] = _State(now, *lint_rendered(self.chart, now, self.options))
            if now != stream and _exactly(stream, now, []) is not None:
                return (
                    f"the chart rendered from the files as written, with {v.label}, is not the "
                    "render the fix was verified with"
                )
        return None


def _key(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(os.path.abspath(v) for v in values)


def _lost_and_gained(before: FileResult, after: FileResult, group: list[Mapped]) -> str | None:
    """Why a render after a change still has a finding the change is for (where it had it), or
    has one it did not have; or None."""
    was = Counter(f.identity for f in before.reported)
    now = Counter(f.identity for f in after.reported)
    left = [m for m in group if was[m.rendered.identity] and now[m.rendered.identity]]
    if left:
        return f"the re-rendered chart still has it (in {left[0].finding.path})"
    added = now - was
    if added:
        a = next(iter(added))
        rule, kind, name = a.rule, a.kind, a.name
        return f"the re-rendered chart would add {rule} for {kind}/{name}"
    return None


def _exactly(old: bytes, new: bytes, fixes: list[Fix]) -> str | None:
    """Why a render differs from the one before by more (or less) than the fixes' changes."""
    try:
        verify(old.decode("utf-8"), new.decode("utf-8"), fixes, False)
    except (Rejected, UnicodeDecodeError) as exc:
        return f"the re-rendered chart differs by more than the fix: {exc}"
    return None
