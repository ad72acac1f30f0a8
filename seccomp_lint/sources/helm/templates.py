"""Carry a fix planned on a chart's rendered document over to its template, where the template
writes that part of the pod spec as plain YAML.

A template that hard-codes its pod (``helm create``'s test hook, a debug pod) renders those lines
as they are written. The rule's own fix, planned on the rendered document (its ``Fix.edits``),
can then be made to the template's text at the same lines: a rendered line is the template line
with the same text and the same key path, when that line is the only one of the template at that
path, neither it nor any key it hangs under holds a ``{{ }}`` action, and no ``if``/``with``/
``range`` opened below the document's top-level key is still open there. An inserted key must
not be one the template sets elsewhere at the same place (another branch of an ``if``), nor may a
``{{ include }}``/``{{ toYaml }}`` line render into the same mapping. Anything else is ambiguous:
:class:`NotPlain` says why and the template is left alone.

The caller verifies the result by rendering the chart with the new template text
(:mod:`.fix`).

The same outline places a finding of a rendered document in its template
(:func:`line_on_the_way`): the line its own document (of its kind, a ``metadata.name`` that can
render its name) writes on the finding's way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from ...edit.geometry import EDITOR_BREAK
from ...model.data import Edit, Finding, Pos
from ...text.paths import Step
from ...text.suppressions import COMMENT

_ACTION_ONLY = re.compile(r"^\s*(?:\{\{.*?\}\}\s*)+$")
_ACTIONS = re.compile(r"\{\{.*?\}\}")
_CONTROL = re.compile(r"\{\{-?\s*(if|with|range|define|block|else|end)\b")
# An action that writes text (not only control): a line of it may render keys.
_OUTPUT = re.compile(r"\{\{(?!-?\s*(?:(?:if|with|range|define|block|else|end)\b|/\*|-?\}\}))")
_KEY = re.compile(
    r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@`][^#]*?)[ \t]*:(?:[ \t]|$)"""
)


class NotPlain(Exception):
    """The template does not write that spot as plain YAML (the message says why)."""


@dataclass(frozen=True)
class Line:
    """A line of YAML content (not blank, not a comment, not a template action on its own)."""

    number: int  # 1-based
    text: str  # without its line break
    indent: int
    path: tuple  # the key path it writes (an unknown step: ("?", line))
    parents: tuple[
        int, ...
    ]  # the lines of the keys (and list items) it hangs under, outermost first
    control: tuple[int, ...]  # the template control blocks open at it (their opening lines)

    @property
    def action(self) -> bool:
        return "{{" in self.text


@dataclass
class _Frame:
    indent: int
    path: tuple
    line: int
    item: bool = False
    items: int = 0
    after_action: bool = False  # an action line came after it: its list indices are unknown


@dataclass
class Outline:
    """The content lines of a YAML text (or template) by number and by key path, and the lines
    of template actions that write text, by the mapping they write into."""

    lines: dict[int, Line] = field(default_factory=dict)
    by_path: dict[tuple, list[Line]] = field(default_factory=dict)
    outputs: dict[tuple, list[int]] = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # a list item's dash line -> its name


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def outline(text: str) -> Outline:
    """Each content line's key path, found by indentation (block YAML as charts write it)."""
    out = Outline(raw=EDITOR_BREAK.split(text))
    frames: list[_Frame] = []
    control: list[int] = []
    block: int | None = None  # inside a block scalar: the indentation of its key
    for n, line in enumerate(out.raw, 1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block is not None:
            if not stripped or indent > block:
                continue
            block = None
        if not stripped or stripped.startswith("#"):
            continue
        if line.startswith(("---", "...")) and line[3:4] in ("", " ", "\t"):
            frames = []
            continue
        opened = tuple(control)
        _track_control(line, n, control)
        if _ACTION_ONLY.match(line):
            for frame in frames:
                frame.after_action = True
            if _OUTPUT.search(line):
                owner = [f for f in frames if f.indent < indent]
                out.outputs.setdefault(owner[-1].path if owner else (), []).append(n)
            continue
        body, at = line[indent:], indent
        if body == "-" or body.startswith("- "):
            parents = _open_item(frames, at, n)
            item = frames[-1]
            rest = body[1:].lstrip(" ")
            at += len(body) - len(rest)
            body = rest
            if not body or body.startswith("- "):
                path = item.path if not body else (*item.path, ("?", n))
                out_line = Line(n, line, indent, path, parents, opened)
                _add(out, out_line)
                continue
        else:
            while frames and frames[-1].indent >= at:
                frames.pop()
            parents = tuple(f.line for f in frames)
        base = frames[-1].path if frames else ()
        key = _KEY.match(body)
        if key:
            path = (*base, _unquote(key.group(1)))
            frames.append(_Frame(at, path, n))
            if body[key.end() :].lstrip().startswith(("|", ">")):
                block = at
        else:
            path = (*base, ("?", n))
        _add(out, Line(n, line, indent, path, parents, opened))
    _name_items(out)
    return out


def _name_items(out: Outline) -> None:
    """Each list item's name, where the template writes it literally (``- name: web``)."""
    for found in out.lines.values():
        p = found.path
        if (
            len(p) >= 2
            and p[-1] == "name"
            and not isinstance(p[-2], str)
            and "{{" not in found.text
        ):
            dash = found.number if found.text.lstrip().startswith("-") else found.parents[-1]
            out.names[dash] = _scalar(found.text.split(":", 1)[1])


def item_name(shape: Outline, path: tuple, parents: tuple[int, ...]) -> str | None:
    """The name the template writes literally for the list item at the end of ``path`` (a
    line's path prefix; ``parents``: that line's own and the lines it hangs under), or None."""
    for number in parents:
        line = shape.lines.get(number)
        if line is None or line.path[: len(path)] != path or line.text.lstrip()[:1] != "-":
            continue
        if len(line.path) in (len(path), len(path) + 1):  # (the item's dash line)
            return shape.names.get(number)
    return None


def _track_control(line: str, n: int, control: list[int]) -> None:
    """Open, switch (``else``) and close the template control blocks a line holds."""
    for match in _CONTROL.finditer(line):
        word = match.group(1)
        if word == "end":
            if control:
                control.pop()
        elif word == "else":
            if control:
                control[-1] = n
        else:
            control.append(n)


def _open_item(frames: list[_Frame], at: int, n: int) -> tuple[int, ...]:
    """Push the frame of a list item at column ``at`` on line ``n``; the lines it hangs under."""
    while frames and (frames[-1].indent > at or (frames[-1].indent == at and frames[-1].item)):
        frames.pop()
    parent = frames[-1] if frames else None
    index: object = ("?", n)
    if parent is not None:
        index = ("?", n) if parent.after_action else parent.items
        parent.items += 1
    parents = tuple(f.line for f in frames)
    frames.append(_Frame(at, (*(parent.path if parent else ()), index), n, item=True))
    return parents


def _add(out: Outline, line: Line) -> None:
    out.lines[line.number] = line
    out.by_path.setdefault(line.path, []).append(line)


def _shown(path: tuple) -> str:
    return ".".join(str(p) if not isinstance(p, tuple) else "?" for p in path) or "(top)"


def _twin(rendered: Outline, template: Outline, number: int, name: str) -> Line:
    """The template line that writes a rendered line, checked to be plain and unambiguous."""
    line = rendered.lines.get(number)
    if line is None:
        raise NotPlain(f"rendered line {number} is not a line of YAML content")
    found = template.by_path.get(line.path, [])
    if not found or (len(found) == 1 and found[0].text != line.text):
        raise NotPlain(f"{name} does not write {line.text.strip()!r} as plain YAML")
    twin = found[0]
    # Outermost first: the first key the template writes twice (an if/else) is the one named.
    for number_ in (*twin.parents, twin.number):
        t = template.lines[number_]
        if len(template.by_path.get(t.path, [])) > 1:
            where = ", ".join(str(x.number) for x in template.by_path[t.path])
            raise NotPlain(f"{name} writes {_shown(t.path)} more than once (lines {where})")
        if t.action:
            raise NotPlain(f"{name}:{t.number} holds a template action")
    root = template.lines[twin.parents[0]] if twin.parents else twin
    if twin.control != root.control:
        raise NotPlain(f"{name}:{twin.number} is inside a template condition or loop")
    return twin


def _reindent(content: str, step: int, nl: str) -> str:
    """Inserted lines nested by the template's ``step`` (the planned nesting rescaled), with the
    template's line breaks; the first line stays where the fix put it (beside a line the template
    and the rendered document share)."""
    lines = content.split("\n")
    indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
    base = indents[0] if indents else 0
    deeper = sorted({i - indents[0] for i in indents if i > indents[0]}) if indents else []
    planned = deeper[0] if deeper else step
    out = []
    for x in lines:
        if not x.strip():
            out.append(x)
            continue
        depth = len(x) - len(x.lstrip(" ")) - (indents[0] if indents else 0)
        if depth % planned:
            return content.replace("\n", nl)
        out.append(" " * (base + depth // planned * step) + x.lstrip(" "))
    return nl.join(out)


def _step(template: Outline, twin: Line) -> int:
    """The template's indentation step where ``twin`` is: its depth below its key."""
    if twin.parents:
        parent = template.lines[twin.parents[-1]]
        if twin.indent > parent.indent:
            return twin.indent - parent.indent
    return 2


def carry(template_text: str, rendered_text: str, edits: tuple[Edit, ...], name: str) -> list[Edit]:
    """The fix's edits of the rendered stream as edits of the template text; NotPlain when any
    of them is not at a plain, unambiguous spot of the template."""
    if not edits:
        raise NotPlain("the fix has no text edits")
    template = outline(template_text)
    rendered = outline(rendered_text)
    nl = "\r\n" if "\r\n" in template_text else "\n"
    out: list[Edit] = []
    for edit in edits:
        start, end = edit.start, edit.end
        if start == end and start.column == 1:
            # Whole lines inserted: before a content line, else after the one above.
            if start.line in rendered.lines:
                twin = _twin(rendered, template, start.line, name)
                at = twin.number
            else:
                twin = _twin(rendered, template, start.line - 1, name)
                at = twin.number + 1
                if at > len(template.raw):
                    raise NotPlain(f"{name} ends without a line break")
            content = _reindent(edit.content, _step(template, twin), nl)
            out.append(Edit(Pos(at, 1), Pos(at, 1), content))
            continue
        twin = _twin(rendered, template, start.line, name)
        last = end.line if end.column > 1 else max(end.line - 1, start.line)
        for k in range(start.line + 1, last + 1):
            t = twin.number + k - start.line
            if t > len(template.raw) or template.raw[t - 1] != rendered.raw[k - 1]:
                raise NotPlain(f"{name} does not write rendered line {k} as it is")
            if "{{" in template.raw[t - 1]:
                raise NotPlain(f"{name}:{t} holds a template action")
        shift = twin.number - start.line
        content = edit.content.replace("\n", nl) if nl != "\n" else edit.content
        out.append(
            Edit(
                replace(start, line=start.line + shift),
                replace(end, line=end.line + shift),
                content,
            )
        )
    return out


def check_inserted(old_text: str, new_text: str, edits: list[Edit], name: str) -> None:
    """NotPlain when a key the edits insert is one the template sets elsewhere at the same place
    (another branch of a condition), or a template action writes into that mapping too."""
    old, new = outline(old_text), outline(new_text)
    shift = 0
    for edit in sorted(edits, key=lambda e: (e.start.line, e.start.column)):
        first = new.lines.get(edit.start.line + shift)
        shift += len(EDITOR_BREAK.findall(edit.content)) - (edit.end.line - edit.start.line)
        if edit.start != edit.end or edit.start.column != 1 or first is None:
            continue
        if old.by_path.get(first.path):
            lines = ", ".join(str(t.number) for t in old.by_path[first.path])
            raise NotPlain(f"{name} sets {_shown(first.path)} already (line {lines})")
        writers = old.outputs.get(first.path[:-1])
        if writers:
            raise NotPlain(f"{name}:{writers[0]} renders into {_shown(first.path[:-1])} too")
        root = new.lines[first.parents[0]] if first.parents else first
        if first.control != root.control:
            raise NotPlain(f"{name}:{first.number} would be inside a template condition or loop")


# --------------------------------------------------------------------------- positions

# Each template's outline, once (a chart's findings are in few templates).
cached_outline = functools.lru_cache(maxsize=4096)(outline)


def agreeing(
    path: tuple, steps: list[Step], shape: Outline | None = None, parents: tuple[int, ...] = ()
) -> int:
    """How many leading steps of a template line's key path (:func:`.templates.outline`: keys,
    item numbers, ``("?", n)`` for an item it cannot number) agree with ``steps``; an item the
    template names literally (``- name: web``: in ``shape``, found among the line's own and
    ``parents`` lines) agrees only with that name."""
    n = 0
    for element, step in zip(path, steps):
        if isinstance(element, str):
            ok = len(step) == 1 and step[0] == element
        else:  # an item: its number, or any item where the template cannot number it
            ok = len(step) == 2 and (isinstance(element, tuple) or element == step[0])
            written = item_name(shape, path[: n + 1], parents) if shape is not None else None
            ok = ok and (written is None or step[1] is None or written == step[1])
        if not ok:
            break
        n += 1
    return n


def document_lines(template: str, f: Finding) -> frozenset[int]:
    """The lines of the template's documents (``---``-separated) that can render the finding's
    object: its ``kind:``, then a ``metadata.name`` that renders its name (a template action
    matching anything); every line when no document tells."""
    obj = f.object
    return _document_lines(template, obj.kind if obj else None, obj.name if obj else None)


@functools.lru_cache(maxsize=4096)
def _document_lines(template: str, kind: str | None, name: str | None) -> frozenset[int]:
    shape = cached_outline(template)
    starts = [0] + [n for n, raw in enumerate(shape.raw, 1) if raw.startswith("---")]
    mine = [range(a + 1, b) for a, b in zip(starts, [*starts[1:], len(shape.raw) + 1])]
    written = {
        (line.path, n): _scalar(line.text.split(":", 1)[1])
        for n, line in shape.lines.items()
        if line.path in (("kind",), ("metadata", "name"))
    }
    for key, value in ((("kind",), kind), (("metadata", "name"), name)):
        if value is None:
            continue
        fits = {}  # document -> how much of the value its template writes literally
        for r in mine:
            for n in r:
                found = written.get((key, n))
                if found is not None and _renders(found, value):
                    fits[r] = len(_ACTIONS.sub("", found))
        # (of `{{ include "c.fullname" . }}` and the same with `-worker`, the worker's is the one
        # that says most of `release-name-web-worker`)
        most = max(fits.values(), default=0)
        mine = [r for r in mine if fits.get(r) == most] or mine
    return (
        frozenset(n for r in mine for n in r) if len(mine) < len(starts) else frozenset(shape.lines)
    )


def _scalar(text: str) -> str:
    """A one-line scalar as a template writes it: its comment and quotes left out."""
    text = re.sub(r"(?:^|\s)#(?![^{]*\}\}).*", "", text).strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'" else text


def _renders(template: str | None, value: str) -> bool:
    """Whether a template's one-line scalar can render ``value`` (an action: any text)."""
    if template is None:
        return False
    parts = _ACTIONS.split(template)
    return re.fullmatch(".*".join(map(re.escape, parts)), value, re.S) is not None


def line_on_the_way(template: str, steps: list[Step], f: Finding) -> int:
    """The template line that writes the node at ``steps`` in the finding's document (of its
    object), else the one of the deepest key on the way to it (a ``securityContext:`` that
    ``toYaml`` renders), else 1. A list item's line is its dash's."""
    shape = cached_outline(template)
    mine = document_lines(template, f)
    best, line = 0, 1
    for n in sorted(mine):
        found = shape.lines.get(n)
        if found is None:
            continue
        agree = agreeing(found.path, steps, shape, (*found.parents, found.number))
        whole = agree == len(found.path) or (
            agree == len(steps) == len(found.path) - 1 and found.text.lstrip().startswith("-")
        )
        if whole and agree > best:
            best, line = agree, n
    return line


def commented(lines: list[str], line: int) -> set[str]:
    """The rules a ``# seccomp-lint: ignore[...]`` comment with a reason names on a template's
    ``line`` (1-based) or the line above: a ``#`` that starts a comment, outside quotes and
    ``{{ }}`` actions, at the line's start or after a blank."""
    out: set[str] = set()
    for text in lines[max(line - 2, 0) : line]:
        plain = _ACTIONS.sub(lambda m: " " * len(m.group()), text)
        quote = None
        for i, ch in enumerate(plain):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "#" and (i == 0 or plain[i - 1] in " \t"):
                found = COMMENT.match(plain, i)
                if found and found.group(2).strip():
                    out |= {rule.strip() for rule in found.group(1).split(",")}
                break
    return out
