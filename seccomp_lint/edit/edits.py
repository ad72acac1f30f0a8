"""Edit geometry and primitives: text splices computed from parse positions.

A fix never re-dumps a document. Each edit splices new text between two positions of the
original, so every byte outside the edits (comments, quoting, blank lines, ``---``, CRLF, a BOM)
stays as it was, and inserted lines copy the indentation of the mapping they go into. Each
primitive also states its change structurally (:class:`~seccomp_lint.model.data.Change`), so the fix
stage can re-parse the result and prove the data changed by exactly that much.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model.data import Change, ChangeOp, FixSpec, Pos
from ..text.documents import MERGE, STR, Document, Loader, is_null

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
# Line breaks as libyaml counts them, so (line, column) marks map to offsets.
BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
# Line breaks as editors, git and GitHub count them: edit positions are in these lines.
EDITOR_BREAK = re.compile("\r\n|\r|\n")
_BLANK_REST = re.compile(r"[ \t]*(?:#.*)?\Z")
_KEY_LINE_REST = re.compile(r"[ \t]*:[ \t]*(?:#.*)?\Z")
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*\Z")

Span = tuple[int, int, str]


class NoFix(Exception):
    """This shape is not fixed automatically."""


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


# --------------------------------------------------------------------------- document geometry


class Context:
    """One document's text, line table and node paths, built once per document on demand."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = text = doc.text.decode("utf-8")
        if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
            self.starts = [0]
            self.ends: list[int] = []
            for match in BREAK.finditer(text):
                self.ends.append(match.start())
                self.starts.append(match.end())
            self.ends.append(len(text))
            first = BREAK.search(text)
            self.nl = first.group() if first and first.group() in ("\r\n", "\r") else "\n"
        else:  # only \n breaks (nearly every file): line table from str.split, in C
            widths = map((1).__add__, map(len, text.split("\n")))  # each line and its \n
            self.starts = list(accumulate(widths, initial=0))
            self.starts.pop()
            self.ends = [start - 1 for start in self.starts[1:]]
            self.ends.append(len(text))
            self.nl = "\n"
        # Edit positions are given in lines as editors count them (LF, CR, CRLF), which differ
        # from libyaml's where NEL, LS or PS occur.
        self.editor_starts = self.starts
        if "\x85" in text or "\u2028" in text or "\u2029" in text:
            self.editor_starts = [0, *(m.end() for m in EDITOR_BREAK.finditer(text))]
        self._parents: dict[int, tuple[Node, str | int | None, Node | None]] | None = None
        self._key_owner: dict[int, MappingNode] = {}
        self._start_cache: dict[int, list[int]] = {}
        # With anchors a node can sit in several places: paths then come from a full index.
        self.anchored = b"&" in doc.text
        self._ambiguous: set[int] = set()

    # positions
    def off(self, line: int, column: int) -> int:
        return self.starts[line] + column

    def start(self, node: Node) -> int:
        return self.off(node.start_mark.line, node.start_mark.column)

    def end(self, node: Node) -> int:
        return self.off(node.end_mark.line, node.end_mark.column)

    def line_of(self, offset: int) -> int:
        """The 0-based libyaml line holding a text offset."""
        return bisect_right(self.starts, offset) - 1

    def rest(self, offset: int) -> str:
        return self.text[offset : self.ends[self.line_of(offset)]]

    def own_line(self, node: Node) -> bool:
        """Whether only blanks precede the node on its line."""
        line = node.start_mark.line
        return self.text[self.starts[line] : self.start(node)].strip(" ") == ""

    def pos(self, offset: int) -> Pos:
        """A text offset as a 1-based editor position in the file."""
        line = bisect_right(self.editor_starts, offset) - 1
        return Pos(line + self.doc.line_offset + 1, offset - self.editor_starts[line] + 1)

    def after_line(self, line: int, block: str) -> Span:
        """Insert whole lines (``block`` ends with a break) after ``line``."""
        if line + 1 < len(self.starts):
            at = self.starts[line + 1]
            return at, at, block
        at = len(self.text)  # the last line has no break: keep it that way
        return at, at, self.nl + block[: -len(self.nl)]

    # paths
    def _index(self) -> None:
        # One walk of the document (inlined: it visits every node of every document with a fix).
        root = self.doc.root
        # The root's entry marks it seen (an alias of it is ambiguous); it is dropped at the end.
        parents: dict[int, tuple[Node, str | int | None, Node | None]] = {
            id(root): (root, None, None)
        }
        key_owner = self._key_owner
        ambiguous = self._ambiguous
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, MappingNode):
                names: dict[str, Node] = {}
                for key, value in node.value:
                    key_owner[id(key)] = node
                    step = key.value if key.tag == STR and isinstance(key, ScalarNode) else None
                    if step is not None:
                        if step in names:
                            ambiguous.update((id(value), id(names[step])))
                        names[step] = value
                    if id(value) in parents:
                        ambiguous.add(id(value))  # an alias: one node, several places
                        continue
                    parents[id(value)] = (node, step, key)
                    if not isinstance(value, ScalarNode):
                        stack.append(value)
            elif isinstance(node, SequenceNode):
                for i, item in enumerate(node.value):
                    if id(item) in parents:
                        ambiguous.add(id(item))
                        continue
                    parents[id(item)] = (node, i, None)
                    if not isinstance(item, ScalarNode):
                        stack.append(item)
        del parents[id(root)]
        self._parents = parents

    def _chain(self, target: Node) -> list[tuple[Node, str | int | None, Node | None, bool]] | None:
        """The links (parent, step, key, repeated) from the root down to ``target`` (a node or a
        key), found by position instead of indexing the whole document; None where position is
        not enough: in a document with anchors a node can sit in several places.

        ``repeated``: the step's key occurs twice in that mapping (decoders disagree on it).
        """
        if self.anchored:
            return None
        if target is self.doc.root:
            return []
        lo, hi = target.start_mark.index, target.end_mark.index
        node: Node = self.doc.root
        chain: list[tuple[Node, str | int | None, Node | None, bool]] = []
        # Without anchors every node sits in one place, and siblings are in text order: the
        # child that holds the target is found by bisecting their start positions, so a lookup
        # costs O(depth * log(width)), not a walk of the document (a 100,000-pod List).
        while isinstance(node, (MappingNode, SequenceNode)) and node.value:
            i = bisect_right(self._starts(node), lo) - 1
            if i < 0:
                return None
            child: Node
            if isinstance(node, MappingNode):
                key, child = node.value[i]
                step = key.value if key.tag == STR and isinstance(key, ScalarNode) else None
                link: tuple[Node, str | int | None, Node | None] = (node, step, key)
                if key is target:
                    return [*chain, (*link, _repeated(*link))]
            else:
                child = node.value[i]
                link = (node, i, None)
            chain.append((*link, _repeated(*link)))
            if child is target:
                return chain
            if isinstance(child, ScalarNode) or not (
                child.start_mark.index <= lo and hi <= child.end_mark.index
            ):
                return None
            node = child
        return None

    def _starts(self, node: MappingNode | SequenceNode) -> list[int]:
        """Where each entry (its key) or item of a collection starts, cached per collection."""
        starts = self._start_cache.get(id(node))
        if starts is None:
            if isinstance(node, MappingNode):
                starts = [key.start_mark.index for key, _ in node.value]
            else:
                starts = [item.start_mark.index for item in node.value]
            self._start_cache[id(node)] = starts
        return starts

    def parent(self, node: Node) -> tuple[Node, str | int | None, Node | None] | None:
        if self._parents is None:
            chain = self._chain(node)
            if chain is not None:
                return chain[-1][:3] if chain else None
            self._index()
        return self._parents.get(id(node))  # type: ignore[union-attr]  # _index() set it

    def key_owner(self, key: Node) -> MappingNode:
        if self._parents is None:
            chain = self._chain(key)
            if chain is not None:
                if not chain or chain[-1][2] is not key:
                    raise NoFix("key not found")
                return chain[-1][0]  # type: ignore[return-value]  # a key's parent: a mapping
            self._index()
        owner = self._key_owner.get(id(key))
        if owner is None:
            raise NoFix("key not found")
        return owner

    def path(self, node: Node) -> tuple[str | int, ...]:
        """Keys and indexes from the document root; NoFix behind an alias or merge key."""
        if self._parents is None:
            chain = self._chain(node)
            if chain is not None:
                for _, step, _, repeated in reversed(chain):
                    if repeated:
                        raise NoFix("the value is shared through an anchor or a repeated key")
                    if step is None:
                        raise NoFix("the value comes from a merge key")
                # no None step here
                return (*self.doc.prefix, *(link[1] for link in chain))
            self._index()
        steps: list[str | int] = []
        while node is not self.doc.root:
            if id(node) in self._ambiguous:
                raise NoFix("the value is shared through an anchor or a repeated key")
            up = self.parent(node)
            if up is None or up[1] is None:
                raise NoFix("the value comes from a merge key")
            steps.append(up[1])
            node = up[0]
        return (*self.doc.prefix, *reversed(steps))


def _repeated(parent: Node, step: str | int | None, key: Node | None) -> bool:
    """Whether the string key ``step`` occurs more than once in the mapping ``parent``."""
    if not isinstance(step, str):
        return False
    return sum(1 for k, _ in parent.value if k.tag == STR and k.value == step) > 1


# The linter asks for the fixes of one document's problems in a row: remember that document only
# (a cache that outlived its documents would keep every node tree of a large run alive).
_LAST: list[Context] = []


def context(doc: Document) -> Context:
    """The edit context of a document (the last one asked for is kept)."""
    if _LAST and _LAST[0].doc is doc:
        return _LAST[0]
    _LAST[:] = [Context(doc)]
    return _LAST[0]


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=256)
def plain_ok(value: str) -> bool:
    if not _PLAIN.match(value):
        return False
    try:
        return yaml.load(value, Loader=Loader) == value
    except yaml.YAMLError:
        return False


def scalar(value: str, js: bool) -> str:
    """A string as a plain scalar where it reads back the same, else double-quoted."""
    if not js and plain_ok(value):
        return value
    return json.dumps(value)


def flow(value: object, js: bool) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{scalar(k, js)}: {flow(v, js)}" for k, v in value.items())
        return "{" + inner + "}"
    return scalar(str(value), js)


def _block(key: str, value: object, indent: int, step: int, nl: str) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        inner = "".join(_block(k, v, indent + step, step, nl) for k, v in value.items())
        return f"{pad}{scalar(key, False)}:{nl}{inner}"
    return f"{pad}{scalar(key, False)}: {scalar(str(value), False)}{nl}"


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
    c: Context, mapping: MappingNode, parent_key: Node | None, name: str, value: dict, step: int
) -> list[Span]:
    """Insert ``name: value`` into a mapping that lacks ``name``."""
    if mapping.flow_style:
        brace = c.start(mapping)
        if c.text[brace : brace + 1] != "{" or c.text[c.end(mapping) - 1 : c.end(mapping)] != "}":
            raise NoFix("unexpected flow mapping text")
        js = _js(parent_key, *(k for k, _ in mapping.value))
        entry = f"{scalar(name, js)}: {flow(value, js)}"
        if not mapping.value:
            return [(brace + 1, brace + 1, entry)]
        if c.rest(brace + 1).strip() == "":  # one entry per line: keep it so
            first = mapping.value[0][0]
            return [(brace + 1, brace + 1, f"{c.nl}{' ' * first.start_mark.column}{entry},")]
        return [(brace + 1, brace + 1, entry + ", ")]
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
        block = _block(name, value, indent, step, c.nl)
        return [c.after_line(first_key.start_mark.line, block)]
    if parent_key is None or parent_key.start_mark.line >= first_key.start_mark.line:
        raise NoFix("no line to insert after")
    if not _KEY_LINE_REST.match(c.rest(c.end(parent_key))):
        raise NoFix("the key line holds more than the key")
    indent = first_key.start_mark.column
    block = _block(name, value, indent, indent_step(mapping, parent_key, step), c.nl)
    return [c.after_line(parent_key.start_mark.line, block)]


def fill_null(c: Context, key: Node, value: Node, new: dict, step: int) -> list[Span]:
    """Give a key whose value is null (``key:``, ``key: null``, ``key: ~``) a mapping value."""
    start, end = c.start(value), c.end(value)
    if end > start:
        return [(start, end, flow(new, _js(key)))]
    owner = c.key_owner(key)
    if owner.flow_style or not _BLANK_REST.match(c.rest(start)):
        raise NoFix("empty value in an unexpected place")
    indent = key.start_mark.column + step
    block = "".join(_block(k, v, indent, step, c.nl) for k, v in new.items())
    return [c.after_line(key.start_mark.line, block)]


def replace_scalar(c: Context, node: Node, new: str) -> list[Span]:
    """Replace a one-line scalar's text, keeping its quoting."""
    if not isinstance(node, ScalarNode) or node.start_mark.line != node.end_mark.line:
        raise NoFix("not a one-line scalar")
    start, end = c.start(node), c.end(node)
    raw = c.text[start:end]
    if node.style in ("'", '"'):
        if len(raw) < 2 or raw[0] != node.style or raw[-1] != node.style:
            raise NoFix("unexpected scalar text")
        return [(start + 1, end - 1, new)]
    if node.style not in (None, "") or raw != node.value:
        raise NoFix("unexpected scalar text")
    if not plain_ok(new):
        new = json.dumps(new)
    return [(start, end, new)]


def replace_with_flow(c: Context, node: Node, new: dict, key: Node | None) -> list[Span]:
    replace_scalar(c, node, "x")  # the same shape checks
    return [(c.start(node), c.end(node), flow(new, _js(key)))]


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
# the build's wrapper kustomization) with the writers and quoting above.


def _new_scalar(value: object, indent: int, step: int, nl: str) -> str:
    """A scalar (or empty collection) after ``key: `` or ``- ``: strings as :func:`scalar`
    writes them, a multi-line string as a literal block (``|-``), others as JSON writes them."""
    if isinstance(value, str):
        lines = value.split("\n")
        literal = lines[0][:1] not in ("", " ") and lines[-1]  # no break at its end: |-
        if len(lines) > 1 and literal and all(map(str.isprintable, lines)):
            pad = " " * (indent + step)
            return "|-" + "".join(f"{nl}{pad}{line}" if line else nl for line in lines)
        return scalar(value, False)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"  # only empty ones come here
    return json.dumps(value)  # null, booleans, numbers


def block_lines(value: dict, indent: int = 0, step: int = 2, nl: str = "\n") -> str:
    """A new mapping in block style, every line ending ``nl``: :func:`_block` with lists (items
    at their key's indent) and non-string scalars too."""
    out = []
    for key, item in value.items():
        head = f"{' ' * indent}{scalar(str(key), False)}:"
        if isinstance(item, dict) and item:
            out.append(head + nl + block_lines(item, indent + step, step, nl))
        elif isinstance(item, list) and item:
            out.append(head + nl + "".join(_block_item(x, indent, step, nl) for x in item))
        else:
            out.append(f"{head} {_new_scalar(item, indent, step, nl)}{nl}")
    return "".join(out)


def _block_item(value: object, indent: int, step: int, nl: str) -> str:
    """One item of a block list: ``- `` at ``indent``, a mapping's entries aligned after it."""
    if isinstance(value, dict) and value:
        return " " * indent + "- " + block_lines(value, indent + 2, step, nl)[indent + 2 :]
    return f"{' ' * indent}- {_new_scalar(value, indent, step, nl)}{nl}"


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
    written = _block_item(item, 0, 2, c.nl)
    block = "".join(dash + line for line in written.splitlines(keepends=True))
    return [c.after_line(_content_end_line(c, seq), block)], change, written.rstrip()
