"""The splice primitives: every YAML or JSON text a fix writes is one of these, computed from
parse positions (:mod:`.geometry`) and written with the one quoting function (:mod:`.quoting`).

A fix never re-dumps a document. Each edit splices new text between two positions of the
original, so every byte outside the edits (comments, quoting, blank lines, ``---``, CRLF, a BOM)
stays as it was, and inserted lines copy the indentation of the mapping they go into. Each
primitive also states its change structurally (:class:`~seccomp_lint.model.data.Change`), so the fix
stage can re-parse the result and prove the data changed by exactly that much
(:func:`.splices.changed_exactly`).
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model.data import Change, ChangeOp, FixSpec
from ..text.documents import MERGE, STR, Loader, is_null
from .geometry import Context, NoFix, Span
from .geometry import context as context  # re-exported: rules plan their fixes with it
from .quoting import block_item, block_lines, flow, scalar, styled

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
_BLANK_REST = re.compile(r"[ \t]*(?:#.*)?\Z")
_KEY_LINE_REST = re.compile(r"[ \t]*:[ \t]*(?:#.*)?\Z")


@dataclass
class Plan:
    """A rule's fix for one problem: which documented fix it is, and its edits and changes."""

    spec: FixSpec
    description: str
    edits: list[Span] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def add(self, edits: list[Span], changes: list[Change]) -> None:
        self.edits += edits
        self.changes += changes


def _js(*keys: Node | None) -> bool:
    """JSON style (double-quoted keys) when the neighbouring keys are written that way."""
    return any(k is not None and getattr(k, "style", None) == '"' for k in keys)


# --------------------------------------------------------------------------- edit primitives


def explicit(mapping: MappingNode, name: str) -> tuple[Node, Node] | None:
    found = None
    for key, value in mapping.value:
        if key.tag == MERGE:
            raise NoFix("the mapping uses a merge key")
        if isinstance(key, ScalarNode) and key.tag == STR and key.value == name:
            if found is not None:
                raise NoFix(f"the key {name!r} is repeated")
            found = (key, value)
    return found


def indent_step(mapping: Node | None, key: Node | None, default: int = 2) -> int:
    """The indentation step of a block mapping under ``key``."""
    if isinstance(mapping, MappingNode) and not mapping.flow_style and mapping.value and key:
        step = mapping.value[0][0].start_mark.column - key.start_mark.column
        if step > 0:
            return step
    return default


def add_entry(
    c: Context,
    mapping: MappingNode,
    parent_key: Node | None,
    name: str,
    value: object,
    step: int,
    last: bool = False,
) -> list[Span]:
    """Insert ``name: value`` into a mapping that lacks ``name``: as its first entry, or with
    ``last`` after its last one (a document's top level: at the document's end)."""
    if mapping.flow_style:
        return _add_flow_entry(c, mapping, parent_key, name, value, last)
    if last:
        return _add_last_entry(c, mapping, parent_key, name, value, step)
    first_key, first_value = mapping.value[0]
    if not c.own_line(first_key):
        # A sequence item (``- name: app``): insert after its first entry.
        if not (
            isinstance(first_value, ScalarNode)
            and first_value.style not in ("|", ">")
            and first_value.end_mark.line == first_key.start_mark.line
            and _BLANK_REST.match(c.rest(c.end(first_value)))
        ):
            raise NoFix("no line to insert after")
        indent = first_key.start_mark.column
        lines = block_lines({name: value}, indent, step, c.nl)
        return [c.after_line(first_key.start_mark.line, lines)]
    if parent_key is None or parent_key.start_mark.line >= first_key.start_mark.line:
        raise NoFix("no line to insert after")
    if not _KEY_LINE_REST.match(c.rest(c.end(parent_key))):
        raise NoFix("the key line holds more than the key")
    indent = first_key.start_mark.column
    lines = block_lines({name: value}, indent, indent_step(mapping, parent_key, step), c.nl)
    return [c.after_line(parent_key.start_mark.line, lines)]


def _add_flow_entry(
    c: Context, mapping: MappingNode, parent_key: Node | None, name: str, value: object, last: bool
) -> list[Span]:
    """``name: value`` in a flow mapping: after ``{``, or after the last entry's value (a
    trailing comma, blanks and comments before ``}`` stay where they are)."""
    brace, close = c.start(mapping), c.end(mapping)
    if c.text[brace : brace + 1] != "{" or c.text[close - 1 : close] != "}":
        raise NoFix("unexpected flow mapping text")
    js = _js(parent_key, *(k for k, _ in mapping.value))
    entry = f"{scalar(name, js)}: {flow(value, js)}"
    if not mapping.value:
        return [(brace + 1, brace + 1, entry)]
    first = mapping.value[0][0]
    one_per_line = c.rest(brace + 1).strip() == ""
    if not last:
        if one_per_line:  # keep it so
            return [(brace + 1, brace + 1, f"{c.nl}{' ' * first.start_mark.column}{entry},")]
        return [(brace + 1, brace + 1, entry + ", ")]
    key, node = mapping.value[-1]
    end = c.end(node) if c.end(node) > c.start(node) else c.end(key)
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        raise NoFix("block scalar")
    if one_per_line and c.line_of(end) > c.line_of(brace):
        return [(end, end, f",{c.nl}{' ' * first.start_mark.column}{entry}")]
    return [(end, end, f", {entry}")]


def _add_last_entry(
    c: Context, mapping: MappingNode, parent_key: Node | None, name: str, value: object, step: int
) -> list[Span]:
    """``name: value`` as block lines after a block mapping's last entry, at its indentation:
    comments after that entry stay after the new lines, except at a document's top level,
    where the lines go at the document's end (a missing final line break added first)."""
    indent = mapping.value[0][0].start_mark.column
    lines = block_lines({name: value}, indent, indent_step(mapping, parent_key, step), c.nl)
    line = _last_line(c, mapping)
    after = c.text[c.starts[line + 1] :] if line + 1 < len(c.starts) else ""
    if mapping is not c.doc.root or not all(_BLANK_REST.match(x) for x in after.splitlines()):
        return [c.after_line(line, lines)]
    end = len(c.text)
    return [(end, end, lines if c.text.endswith(("\n", "\r")) or not c.text else c.nl + lines)]


def _last_line(c: Context, node: Node) -> int:
    """The last line of a node's content (a block scalar's trailing blank lines included)."""
    for _ in range(1000):
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            if node.end_mark.column:
                raise NoFix("a block scalar ends the text without a line break")
            return node.end_mark.line - 1
        if isinstance(node, ScalarNode) or getattr(node, "flow_style", False) or not node.value:
            end = c.end(node)
            if not _BLANK_REST.match(c.rest(end)):
                raise NoFix("unexpected text after the value")
            return c.line_of(end)
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    raise NoFix("too deep")


def fill_null(c: Context, key: Node, value: Node, new: dict, step: int) -> list[Span]:
    """Give a key whose value is null (``key:``, ``key: null``, ``key: ~``) a mapping value."""
    start, end = c.start(value), c.end(value)
    if end > start:
        return [(start, end, flow(new, _js(key)))]
    owner = c.key_owner(key)
    if owner.flow_style or not _BLANK_REST.match(c.rest(start)):
        raise NoFix("empty value in an unexpected place")
    indent = key.start_mark.column + step
    lines = block_lines(new, indent, step, c.nl)
    return [c.after_line(key.start_mark.line, lines)]


def open_block(c: Context, key: Node, value: Node, new: dict, step: int) -> list[Span]:
    """``key: {}`` or a null (``key:``, ``key: ~``), as ``helm create`` writes values, made a
    block mapping holding ``new``: the value's text goes, its lines go right under the key, and
    a comment after it (or commented defaults below) stays. In a flow mapping: ``{...}``."""
    if c.key_owner(key).flow_style:
        return [(c.start(value), c.end(value), flow(new, _js(key)))]
    start, end = c.start(value), c.end(value)
    if end == start:
        return fill_null(c, key, value, new, step)
    cut = start
    while cut > c.end(key) and c.text[cut - 1] in " \t":
        cut -= 1
    if (
        value.start_mark.line != key.start_mark.line
        or value.end_mark.line != key.start_mark.line
        or c.text[cut - 1 : cut] != ":"
        or not _BLANK_REST.match(c.rest(end))
    ):
        raise NoFix("the value is not on its key's line alone")
    indent = key.start_mark.column + step
    lines = block_lines(new, indent, step, c.nl)
    return [(cut, end, ""), c.after_line(key.start_mark.line, lines)]


def replace_scalar(c: Context, node: Node, new: str, js: bool = False) -> list[Span]:
    """Replace a one-line scalar with the string ``new``, in its quoting style where it may be."""
    if not isinstance(node, ScalarNode) or node.start_mark.line != node.end_mark.line:
        raise NoFix("not a one-line scalar")
    start, end = c.start(node), c.end(node)
    raw = c.text[start:end]
    if node.style in ("'", '"'):
        if len(raw) < 2 or raw[0] != node.style or raw[-1] != node.style:
            raise NoFix("unexpected scalar text")
    elif node.style not in (None, "") or raw != node.value:
        raise NoFix("unexpected scalar text")
    return [(start, end, styled(new, node.style, js))]


def replace_with_flow(c: Context, node: Node, new: dict, key: Node | None) -> list[Span]:
    replace_scalar(c, node, "x")  # the same shape checks
    return [(c.start(node), c.end(node), flow(new, _js(key)))]


def set_path(
    c: Context, tree: Node, path: tuple[str, ...], value: str, step: int
) -> tuple[list[Span], list[Change]]:
    """Set the string at ``path`` below the mapping ``tree`` (a document's root, or a node in
    it such as a HelmRelease's ``spec.values``) to ``value``: a scalar there is replaced, a
    missing key added after its mapping's last entry, a ``key: {}`` or null on the way opened
    (:func:`open_block`). Nothing to do when it holds ``value`` already; NoFix where a step is
    not a mapping or the text has a shape these splices do not edit."""
    node, key = tree, None
    where = c.path(tree)
    for depth, name in enumerate(path):
        here, rest = (*where, *path[:depth]), path[depth + 1 :]
        if not isinstance(node, MappingNode):
            raise NoFix(f"{'.'.join(path[:depth]) or 'the tree'} is not a mapping")
        found = explicit(node, name)
        new = _nested(rest, value)
        if found is None:
            edits = add_entry(c, node, key, name, new, step, last=True)
            return edits, [Change(ChangeOp.SET, (*here, name), json.dumps(new))]
        key, node = found
        if not rest:
            edits = _set_leaf(c, key, node, value)
            return edits, [Change(ChangeOp.SET, (*here, name), json.dumps(new))] if edits else []
        if is_null(node) or (isinstance(node, MappingNode) and not node.value):
            edits = open_block(c, key, node, {rest[0]: _nested(rest[1:], value)}, step)
            if is_null(node):
                return edits, [Change(ChangeOp.SET, (*here, name), json.dumps(new))]
            change = Change(
                ChangeOp.SET, (*here, name, rest[0]), json.dumps(_nested(rest[1:], value))
            )
            return edits, [change]
    raise NoFix("empty path")


def _nested(path: tuple[str, ...], value: str) -> object:
    """``value`` under the keys of ``path``: ``{a: {b: value}}``."""
    out: object = value
    for name in reversed(path):
        out = {name: out}
    return out


def _set_leaf(c: Context, key: Node, node: Node, value: str) -> list[Span]:
    if not isinstance(node, ScalarNode):
        raise NoFix("the value there is not a scalar")
    if node.tag == STR and node.value == value:
        return []
    start = c.start(node)
    if is_null(node) and c.end(node) == start:  # ``key:``
        if c.text[start - 1 : start] != ":":
            raise NoFix("empty value in an unexpected place")
        return [(start, start, " " + scalar(value, _js(key)))]
    return replace_scalar(c, node, value, _js(key))


def append_path(text: str, path: tuple[str, ...], value: str) -> tuple[list[Span], list[Change]]:
    """A text without a document (empty, or only comments) given ``path`` set to ``value``: the
    path's keys as block lines at its end (a missing final line break added first)."""
    first = re.search("\r\n|\r|\n", text)
    nl = first.group() if first else "\n"
    lines = block_lines({path[0]: _nested(path[1:], value)}, 0, 2, nl)
    if text and not text.endswith(("\n", "\r")):
        lines = nl + lines
    return [(len(text), len(text), lines)], [
        Change(ChangeOp.SET, path[:1], json.dumps(_nested(path[1:], value)))
    ]


def tree_step(tree: Node, default: int = 2) -> int:
    """The indentation step of a tree's first nested block mapping (``default`` without one)."""
    todo, seen = deque([tree]), set()
    while todo:
        node = todo.popleft()
        if not isinstance(node, MappingNode) or node.flow_style or id(node) in seen:
            continue
        seen.add(id(node))  # an alias can lead back to a node seen before
        for key, value in node.value:
            if isinstance(value, MappingNode) and not value.flow_style and value.value:
                inner = value.value[0][0].start_mark.column - key.start_mark.column
                if inner > 0:
                    return inner
            todo.append(value)
    return default


def _last_end(c: Context, node: Node) -> int:
    """Where the text of a node's last piece of content ends."""
    for _ in range(1000):
        if isinstance(node, ScalarNode):
            if node.style in ("|", ">"):
                raise NoFix("block scalar")
            return c.end(node)
        if getattr(node, "flow_style", False) or not node.value:
            return c.end(node)
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    raise NoFix("too deep")


def _delete_entry(c: Context, mapping: MappingNode, index: int) -> list[Span]:
    key, value = mapping.value[index]
    if mapping.flow_style:
        if len(mapping.value) == 1:
            return [(c.start(key), c.end(value), "")]
        if index > 0:
            return [(c.end(mapping.value[index - 1][1]), c.end(value), "")]
        return [(c.start(key), c.start(mapping.value[1][0]), "")]
    if not c.own_line(key):
        raise NoFix("the key does not start its line")
    end = _last_end(c, value)
    last = c.line_of(end)
    if last < key.start_mark.line or not _BLANK_REST.match(c.rest(end)):
        raise NoFix("unexpected text after the value")
    start = c.starts[key.start_mark.line]
    if last + 1 < len(c.starts):
        return [(start, c.starts[last + 1], "")]
    # The entry ends the text without a line break: take the break before it instead.
    return [(c.ends[key.start_mark.line - 1] if key.start_mark.line else start, len(c.text), "")]


def remove(
    c: Context, mapping: MappingNode, name: str, levels: int = 2
) -> tuple[list, list[Change]]:
    """Remove ``name`` from a mapping; a block mapping left empty goes too (up to ``levels``
    mappings up, e.g. ``annotations`` and then ``metadata``), or else becomes ``{}``."""
    if explicit(mapping, name) is None:
        raise NoFix(f"{name!r} not found")
    index = next(i for i, (k, _) in enumerate(mapping.value) if k.value == name)
    here = c.path(mapping)
    if len(mapping.value) > 1 or mapping.flow_style:
        return _delete_entry(c, mapping, index), [Change(ChangeOp.DELETE, (*here, name))]
    up = c.parent(mapping)
    if up is None:
        raise NoFix("no parent mapping")
    parent, step, key = up
    if key is None:
        raise NoFix("no parent mapping")
    if (
        levels
        and isinstance(parent, MappingNode)
        and not parent.flow_style
        and isinstance(step, str)
    ):
        try:
            return remove(c, parent, step, levels - 1)
        except NoFix:
            pass
    end = _last_end(c, mapping)
    if not _BLANK_REST.match(c.rest(end)):
        raise NoFix("unexpected text after the value")
    line_end = c.ends[c.line_of(end)]
    return [(c.end(key), line_end, ": {}")], [Change(ChangeOp.SET, here, "{}")]


def ensure_field(
    c: Context, owner: Node | None, owner_key: Node | None, value: dict, step: int
) -> tuple[list, list[Change]]:
    """Set ``securityContext.seccompProfile`` in a pod spec or container that has none."""
    if not isinstance(owner, MappingNode):
        raise NoFix("no mapping to add to")
    here = c.path(owner)
    sc = explicit(owner, "securityContext")
    if sc is None:
        new = {"seccompProfile": value}
        edits = add_entry(c, owner, owner_key, "securityContext", new, step)
        return edits, [Change(ChangeOp.SET, (*here, "securityContext"), json.dumps(new))]
    key, node = sc
    if is_null(node):
        new = {"seccompProfile": value}
        return fill_null(c, key, node, new, step), [
            Change(ChangeOp.SET, (*here, "securityContext"), json.dumps(new))
        ]
    if not isinstance(node, MappingNode):
        raise NoFix("securityContext is not a mapping")
    where = (*c.path(node), "seccompProfile")
    sp = explicit(node, "seccompProfile")
    changes = [Change(ChangeOp.SET, where, json.dumps(value))]
    if sp is not None:
        if not is_null(sp[1]):
            raise NoFix("seccompProfile is already set")
        return fill_null(c, sp[0], sp[1], value, step), changes
    return add_entry(c, node, key, "seccompProfile", value, step), changes


# --------------------------------------------------------------------------- sequences, new text
# Appending to a list (a kustomization's ``patches:``) and writing new documents (a patch file,
# the build's wrapper kustomization) with the writers of :mod:`.quoting`.


def new_document(value: dict, nl: str = "\n") -> str:
    """A new YAML document holding ``value`` (block style), checked to read back as exactly
    ``value``; NoFix otherwise."""
    out = block_lines(value, 0, 2, nl)
    try:
        if yaml.load(out, Loader=Loader) == value:
            return out
    except yaml.YAMLError:
        pass
    raise NoFix("the value cannot be written as a block document")


def _content_end_line(c: Context, node: Node) -> int:
    """The 0-based line where a block node's content ends (not the blank lines and comments
    after it, which the parser counts in; a block scalar's own lines count)."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    end = node.end_mark
    last = min(end.line - 1 if end.column == 0 else end.line, len(c.starts) - 1)
    literal = isinstance(node, ScalarNode) and node.style in ("|", ">")
    while last > node.start_mark.line:
        line = c.text[c.starts[last] : c.ends[last]]
        if line.strip() and (literal or not line.lstrip().startswith("#")):
            break
        last -= 1
    return last


def append_item(
    c: Context, mapping: MappingNode, name: str, item: dict
) -> tuple[list[Span], Change, str]:
    """Append ``item`` to the list under ``name`` in a mapping (a flow list: ``{…}`` before its
    ``]``; a block list: ``- …`` after its last item), or add ``name:`` with a one-item list at
    the end of a top-level block mapping: the edits, the change, and the item as written."""
    found = explicit(mapping, name)
    if found is None:
        if mapping.flow_style or c.doc.root is not mapping:
            raise NoFix(f"no {name}: list, and its mapping is not a top-level block mapping")
        added = block_lines({name: [item]}, 0, 2, c.nl)
        head = c.nl if c.text and not c.text.endswith(("\n", "\r")) else ""
        change = Change(ChangeOp.SET, (*c.path(mapping), name), json.dumps([item]))
        end = len(c.text)
        return [(end, end, head + added)], change, added.split(c.nl, 1)[1].rstrip()
    seq = found[1]
    if not isinstance(seq, SequenceNode):
        raise NoFix(f"its {name}: is not a list")
    change = Change(ChangeOp.SET, (*c.path(seq), len(seq.value)), json.dumps(item))
    if seq.flow_style:
        close = c.end(seq) - 1
        if c.text[close : close + 1] != "]":
            raise NoFix(f"unexpected text in its {name}: list")
        written = flow(item, False)
        return [(close, close, (", " if seq.value else "") + written)], change, written
    dash = c.text[c.starts[seq.start_mark.line] : c.start(seq)] if seq.value else "?"
    if not seq.value or dash.strip() or c.text[c.start(seq)] != "-":
        raise NoFix(f"unexpected text in its {name}: list")
    written = block_item(item, 0, 2, c.nl)
    block = "".join(dash + line for line in written.splitlines(keepends=True))
    return [c.after_line(_content_end_line(c, seq), block)], change, written.rstrip()
