"""One document's geometry for its edits: the text, its line table, offsets of parse positions,
and node paths from the root (found by position, or by indexing the document where anchors make
a node sit in several places).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model.data import Pos
from ..text.documents import STR, Document

# Line breaks as libyaml counts them, so (line, column) marks map to offsets.
BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
# Line breaks as editors, git and GitHub count them: edit positions are in these lines.
EDITOR_BREAK = re.compile("\r\n|\r|\n")

Span = tuple[int, int, str]


class NoFix(Exception):
    """This shape is not fixed automatically."""


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
