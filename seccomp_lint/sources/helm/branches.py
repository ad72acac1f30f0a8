"""The conditionals of a chart template that can make a pod Windows, and the values that take them.

A template may write ``os: {name: windows}``, a ``kubernetes.io/os: windows`` node selector or a
Windows-only field (``windowsOptions``, ``hostProcess``) inside ``{{ if ... }}`` (or ``with``, or
an ``else``): the default values leave the pod Linux, and a fix verified with them alone can make
the pod invalid when the branch is taken (a seccomp profile on a Windows pod, which the API server
rejects). Each such branch in the document that holds a finding is a :class:`Branch`: the values
that take it when every condition on the way is a plain ``.Values.x`` path (or ``not`` one), so
the fix is verified by rendering the chart with them too; else why it cannot be taken.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field, replace

from ...edit.geometry import EDITOR_BREAK
from .render import subcharts

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_PATH = r"\.Values((?:\.[A-Za-z_][\w]*)+)"
_PLAIN = re.compile(rf"^(not\s+)?{_PATH}$")
_OPENS = ("if", "with", "range", "define", "block")
# What makes a pod Windows, or only fits one: written literally in the template.
_WINDOWS = re.compile(
    r"""\bos["']?\s*:\s*(?:\{\s*)?(?:\r?\n\s*)?["']?name["']?\s*:\s*["']?windows\b"""
    r"""|\bkubernetes\.io/os["']?\s*:\s*["']?windows\b"""
    r"""|\bnode\.kubernetes\.io/windows-build\b"""
    r"""|\b(?:windowsOptions|hostProcess)["']?\s*:"""
)
_DOCUMENT = re.compile(r"^---(?:\s|$)")
# A helper a template renders: ``include "name"`` or ``template "name"``.
_INCLUDE = re.compile(r"""\b(?:include|template)\s+(?:"([^"]+)"|`([^`]+)`)""")


def _included(text: str) -> list[str]:
    """The helpers a text includes by a plain name (``include "x"``, ``template `x```)."""
    return [a or b for a, b in _INCLUDE.findall(text)]


@dataclass(frozen=True)
class Branch:
    """A branch of a template that makes its pod Windows: the values that take it (dotted path
    -> value), or why it cannot be taken (``why``)."""

    template: str  # as shown
    line: int  # 1-based, of what makes the pod Windows
    condition: str  # the conditions on the way, as written
    settings: tuple[tuple[str, bool], ...] = ()
    why: str | None = None

    @property
    def label(self) -> str:
        taken = ", ".join(f".Values.{p}={'true' if v else 'false'}" for p, v in self.settings)
        return f"{taken} (the branch `{self.condition}` at {self.template}:{self.line} taken)"

    def values_text(self) -> str:
        """The values that take the branch, as a values file's text (JSON is YAML)."""
        tree: dict = {}
        for path, value in self.settings:
            *parents, last = path.split(".")
            node = tree
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
        return json.dumps(tree)


@dataclass
class _Block:
    opens: str  # if | with | range | define | block
    conditions: list[str] = field(default_factory=list)  # each branch's; "" for a bare else


def windows_branches(
    template: str,
    shown: str,
    line: int | None,
    helpers: dict[str, list[Branch]] | None = None,
    always: bool = False,
) -> list[Branch]:
    """The branches of ``template`` that make a pod Windows, in the document (between ``---``
    lines) holding ``line`` (None: every document): the ones whose conditions the default
    values may leave untaken, written in it or in a helper it includes (``helpers``: each
    helper's own branches, taken with the conditions around the ``include`` too). Helper
    bodies are left out (reached where they are included); ``always``: also what makes a pod
    Windows whatever the values (an empty ``settings``), as a helper's own branches are."""
    first, last = _document(template, line) if line is not None else (1, len(template) + 1)
    out: dict[tuple, Branch] = {}
    stack: list[_Block] = []
    events = [(m.start(), "action", m) for m in _ACTION.finditer(template)]
    spans = [(m.start(), m.end()) for _, _, m in events]
    events += [
        (m.start(), "windows", m)
        for m in _WINDOWS.finditer(template)
        if not _within(spans, m.start())  # (in an action, a {{/* comment */}}: not written)
    ]
    for offset, what, match in sorted(events, key=lambda e: (e[0], e[1])):
        inner: list[Branch] = [Branch(shown, 0, "")]  # (written here: no condition of its own)
        if what == "action":
            _step(stack, match.group(1))
            included = _included(match.group(1))
            inner = [b for name in included for b in (helpers or {}).get(name, [])]
            if not inner:
                continue
        at = _line_of(template, offset)
        if not first <= at <= last or any(f.opens == "define" for f in stack):
            continue
        conditional = [f for f in stack if f.opens not in ("block", "define")]
        outer = _taken(conditional, shown, at) if conditional else Branch(shown, at, "")
        for b in inner:
            branch = _joined(outer, b, shown, at)
            if branch.settings or branch.why or always:
                out.setdefault((branch.settings, branch.why, branch.condition), branch)
            # (else written whatever the values: the pod is Windows in every render)
    return list(out.values())


def _within(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether ``at`` lies inside one of ``spans`` (sorted, not overlapping)."""
    i = bisect.bisect_right(spans, (at, len(spans) and spans[-1][1] + 1)) - 1
    return i >= 0 and spans[i][0] <= at < spans[i][1]


def _joined(outer: Branch, inner: Branch, shown: str, at: int) -> Branch:
    """A helper's branch (``inner``) taken where it is included, under ``outer``'s conditions."""
    condition = "; ".join(c for c in (outer.condition, inner.condition) if c)
    why = outer.why or inner.why
    settings = dict(outer.settings)
    for path, value in inner.settings:
        if settings.setdefault(path, value) != value:
            why = why or f"it needs .Values.{path} both true and false"
    if why:
        return Branch(shown, at, condition, why=why)
    return Branch(shown, at, condition, tuple(sorted(settings.items())))


def helper_branches(bodies: dict[str, str], graph: dict[str, set[str]]) -> dict[str, list[Branch]]:
    """The branches that make a pod Windows in each helper (``define`` name -> body) that can,
    through the helpers it includes too (``graph``: name -> the helpers it includes; each
    other's, in a cycle: read again, a bounded number of rounds, while something new is
    found), with the conditions inside it (none: always). A round reads again only the helpers
    that include one the round before changed."""
    found: dict[str, list[Branch]] = {}
    todo = set(bodies)
    for _ in range(len(bodies) + 1):
        changed = set()
        for name in sorted(todo):
            now = windows_branches(bodies[name], f'define "{name}"', None, found, True)
            if now != found.get(name, []):
                found[name] = now
                changed.add(name)
        todo = {n for n, inner in graph.items() if inner & changed}
        if not todo:
            break
    return {n: b for n, b in found.items() if b}


def _document(template: str, line: int) -> tuple[int, int]:
    """The first and last line of the document holding ``line``."""
    lines = EDITOR_BREAK.split(template)
    first, last = 1, len(lines)
    for i, text in enumerate(lines, start=1):
        if _DOCUMENT.match(text):
            if i <= line:
                first = i + 1
            else:
                last = i - 1
                break
    return first, last


def _line_of(text: str, offset: int) -> int:
    return len(EDITOR_BREAK.findall(text, 0, offset)) + 1


def _step(stack: list[_Block], action: str) -> None:
    """Follow one template action's effect on the open blocks."""
    if action.startswith("/*"):
        return
    word, _, rest = action.partition(" ")
    rest = rest.strip()
    if word in _OPENS:
        stack.append(_Block(word, [rest]))
    elif word == "else" and stack:
        for opener in ("if", "with"):
            if rest.startswith(opener + " "):
                rest = rest[len(opener) :].strip()
        stack[-1].conditions.append(rest)
    elif word == "end" and stack:
        stack.pop()


def _taken(stack: list[_Block], shown: str, line: int) -> Branch:
    """The values that take the branch open at a line: every earlier branch of each block not
    taken, its own taken; or why they cannot be found."""
    settings: dict[str, bool] = {}
    written = []
    for frame in stack:
        *before, own = frame.conditions
        said = [f"{frame.opens} {frame.conditions[0]}"]
        said += [f"else {frame.opens} {c}" if c else "else" for c in frame.conditions[1:]]
        written.append(" / ".join(said))
        if frame.opens == "range":
            why = f"it is inside `range {frame.conditions[0]}`"
            return Branch(shown, line, "; ".join(written), why=why)
        wanted = [(c, False) for c in before] + ([(own, True)] if own else [])
        for condition, value in wanted:
            plain = _PLAIN.match(condition)
            if plain is None:
                why = f"its condition `{condition}` is not a plain .Values path"
                return Branch(shown, line, "; ".join(written), why=why)
            path = plain.group(2)[1:]
            value = value != bool(plain.group(1))  # `not .Values.x` is taken with x false
            if settings.setdefault(path, value) != value:
                why = f"it needs .Values.{path} both true and false"
                return Branch(shown, line, "; ".join(written), why=why)
    return Branch(shown, line, "; ".join(written), tuple(sorted(settings.items())))


def values_branches(
    chart: str, key: str | None, own: list[str], seen: dict | None = None
) -> list[Branch]:
    """The branches that can make a pod Windows wherever a change reaches: ``own`` (the
    templates of the findings it is for) and, for a change of the values ``key``, every template
    that reads it, in all their documents, and the helpers (``define``) those templates include,
    in ``chart`` and its subcharts (where the key is the subchart's, under its name, or a
    global: a subchart's branch is taken with its values under its name too). ``seen``: what
    one fix stage has read of the chart so far, as it asks again for each values key."""
    seen = {} if seen is None else seen
    if "charts" not in seen:
        seen["charts"] = [(f, scope, chart_templates(f)) for f, scope in _charts_of(chart)]
        bodies: dict[str, str] = {}  # (helpers are global to a chart and its subcharts)
        for _, _, texts in seen["charts"]:
            for text in texts.values():  # (the chart's own first: Helm renders the parent's)
                for name, body in _defines(text):
                    bodies.setdefault(name, body)
        graph = {n: set(_included(b)) for n, b in bodies.items()}
        seen["defines"], seen["graph"] = bodies, graph
        seen["helpers"] = helper_branches(bodies, graph)
    out: list[Branch] = []
    top = os.path.abspath(chart)
    for _, scope, texts in seen["charts"]:
        here = key
        if key and scope and not key.startswith("global."):
            here = key[len(scope) :] if key.startswith(scope) else None
        for b in _branches(top, texts, seen, here, own):
            if scope:  # (its values are the subchart's: under its name, globals aside)
                moved = [(p if p.startswith("global.") else scope + p, v) for p, v in b.settings]
                b = replace(b, settings=tuple(moved))
            if b not in out:
                out.append(b)
    return out


def _branches(
    top: str, texts: dict[str, str], seen: dict, key: str | None, own: list[str]
) -> list[Branch]:
    """:func:`values_branches` in the templates ``texts`` of one chart."""
    bodies, graph = seen["defines"], seen["graph"]
    uses = re.compile(rf"\.Values\.{re.escape(key)}(?![\w-])") if key else None
    # The helpers that read the key, through the helpers they include too.
    reads = {n for n, body in bodies.items() if uses and uses.search(body)}
    while grown := {n for n, inner in graph.items() if inner & reads} - reads:
        reads |= grown
    mine = {os.path.abspath(p) for p in own}
    out: list[Branch] = []
    for path, text in sorted(texts.items()):
        if path in mine or (uses and uses.search(text)) or set(_included(text)) & reads:
            if path not in seen:
                shown = os.path.relpath(path, top)
                seen[path] = windows_branches(text, shown, None, seen["helpers"])
            out += [b for b in seen[path] if b not in out]
    return out


def _charts_of(chart: str, scope: str = "") -> list[tuple[str, str]]:
    """A chart's folder and each subchart's below it, with the prefix of its values in the top
    chart's (``sub.``; an alias, as Helm names it, once for each)."""
    out = [(chart, scope)]
    for sub, _, named in subcharts(chart):
        for alias in named:
            out += _charts_of(sub, f"{scope}{alias}.")
    return out


def _defines(text: str) -> list[tuple[str, str]]:
    """The helpers a template text defines: each ``define``'s name and body."""
    out = []
    stack: list[tuple[str, int] | None] = []  # an open define's (name, where its body starts)
    for match in _ACTION.finditer(text):
        word, _, rest = match.group(1).partition(" ")
        if word == "define":
            stack.append((rest.strip().strip('"`'), match.end()))  # (as _included reads names)
        elif word in _OPENS:
            stack.append(None)
        elif word == "end" and stack:
            opened = stack.pop()
            if opened is not None:
                out.append((opened[0], text[opened[1] : match.start()]))
    return out


def chart_templates(chart: str) -> dict[str, str]:
    """The texts of a chart's templates (not its subcharts'), by absolute path."""
    texts: dict[str, str] = {}
    for here, _, files in os.walk(os.path.join(chart, "templates")):
        for name in sorted(files):
            path = os.path.abspath(os.path.join(here, name))
            try:
                with open(path, encoding="utf-8") as handle:
                    texts[path] = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
    return texts
