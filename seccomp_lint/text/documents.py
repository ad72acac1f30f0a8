"""Document texts to positioned YAML nodes: compose, read nodes, and report positions as editors
count lines.

The texts come from :mod:`.streams`, cut one document at a time; a document that contains none of
the words a finding needs (``ontainers``, ``seccomp``, ``defaultAction``, ``SeccompProfile``) and
no escape sequence that could spell them is never composed (:mod:`.prefilter`). Composition uses
libyaml through PyYAML's ``CSafeLoader``, whose nodes carry line and column; values are read with
YAML 1.1 rules, as the Kubernetes decoder reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .depth import MAX_DEPTH, Loader, is_depth_error, libyaml_limits_depth, too_deep
from .errors import ToolContractError
from .streams import Chunk, position, split

_HELM_SOURCE = re.compile(rb"^# Source: ([^\r\n]+)", re.M)
# Line breaks as libyaml counts them (YAML 1.1 also breaks on NEL, LS and PS).
_BREAKS = re.compile(rb"\r\n|\r|\n|\xc2\x85|\xe2\x80[\xa8\xa9]")
# The breaks only libyaml counts (NEL, LS, PS; YAML 1.1), in UTF-8.
_YAML_ONLY_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_TEXT_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")


STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
MERGE = "tag:yaml.org,2002:merge"
# go-yaml v2, which the Kubernetes decoder uses, reads these plain scalars as booleans.
_TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])

_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 20_000


class _Composer(Loader):
    """The safe loader with plain-scalar tag resolution memoised.

    libyaml hands every scalar back to Python's resolver, which tries the YAML 1.1 patterns
    (bool, int, float, null, timestamp, merge) one by one: a fifth of composing manifests. Keys
    and enum values repeat endlessly, so their tags are remembered (a bounded table of short
    values). There are no path resolvers, so the descend/ascend hooks have nothing to do.
    """

    def resolve(self, kind, value, implicit, _resolve=Loader.resolve):
        if kind is ScalarNode:
            if not implicit[0]:
                return STR  # quoted (or tagged, and then the tag is used, not this)
            if len(value) <= 64:
                tag = _RESOLVED.get(value)
                if tag is None:
                    tag = _resolve(self, kind, value, implicit)
                    if len(_RESOLVED) < _RESOLVED_MAX:
                        _RESOLVED[value] = tag
                return tag
        elif kind is MappingNode:
            return MAP
        elif kind is SequenceNode:
            return SEQ
        return _resolve(self, kind, value, implicit)

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


@dataclass
class Document:
    """A parsed document: its root node and where its lines sit in the file."""

    index: int
    root: Node
    line_offset: int
    text: bytes
    helm_source: str | None = None
    # An item of a List read on its own (see lists.py): the steps from the document's root to
    # it, and the kind its List gives items that have none (``PodList`` items are pods).
    prefix: tuple = ()
    implied_kind: str | None = None
    _maps: dict[int, dict[str, tuple[Node, Node]]] = field(default_factory=dict, repr=False)
    # (repeated key, first key) in the mappings read so far: the API's decoders disagree on them.
    duplicates: list[tuple[Node, Node]] = field(default_factory=list, repr=False)
    # libyaml line -> (editor line, characters before it on that line); None: lines agree.
    _lines: list[tuple[int, int]] | None = field(default=None, repr=False)
    _lines_known: bool = field(default=False, repr=False)

    def mapping(self, node: Node | None) -> dict[str, tuple[Node, Node]] | None:
        """The string keys of a mapping node with merge keys (``<<``) applied, else None."""
        if not isinstance(node, MappingNode):
            return None
        found = self._maps.get(id(node))
        if found is None:
            # Most mappings merge nothing and repeat no key: one pass, no flattening.
            found = {}
            for key, value in node.value:
                if key.tag != STR or key.value in found or not isinstance(key, ScalarNode):
                    return self._flatten(node)
                found[key.value] = (key, value)
            self._maps[id(node)] = found
        return found

    def _flatten(self, root: MappingNode) -> dict[str, tuple[Node, Node]]:
        # Merge sources are flattened first, without recursion: a hostile file can chain
        # thousands of merges. A source that merges its own ancestor (a cycle) is left out.
        stack: list[tuple[MappingNode, bool]] = [(root, False)]
        active: set[int] = set()
        while stack:
            node, ready = stack.pop()
            if id(node) in self._maps:
                continue
            if not ready:
                active.add(id(node))
                stack.append((node, True))
                for src in _merge_sources(node):
                    if id(src) not in self._maps and id(src) not in active:
                        stack.append((src, False))
                continue
            active.discard(id(node))
            self._maps[id(node)] = self._entries(node)
        return self._maps[id(root)]

    def _entries(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        # As the Kubernetes decoder (go-yaml v2) does: entries apply in order, so a merge key
        # overrides the explicit keys before it and is overridden by those after it; within a
        # merge list the earlier maps win.
        out: dict[str, tuple[Node, Node]] = {}
        explicit: dict[str, Node] = {}
        for key, value in node.value:
            if key.tag == MERGE:
                for src in reversed(_merge_list(value)):
                    out.update(self._maps.get(id(src), {}))
            elif isinstance(key, ScalarNode) and key.tag == STR:
                if key.value in explicit:
                    self.duplicates.append((key, explicit[key.value]))
                explicit[key.value] = key
                out[key.value] = (key, value)
        return out

    def get(self, node: Node | None, *path: str) -> Node | None:
        """Follow string keys through nested mappings; None where a step is missing."""
        maps = self._maps  # the mappings read before: most steps (inlined, the linter's hot path)
        for key in path:
            entries = maps.get(id(node))
            if entries is None:
                entries = self.mapping(node)
                if entries is None:
                    return None
            pair = entries.get(key)
            if pair is None:
                return None
            node = pair[1]
        return node

    def entry(self, node: Node | None, key: str) -> tuple[Node, Node] | None:
        """The (key node, value node) pair of ``key`` in a mapping node."""
        entries = self._maps.get(id(node))
        if entries is None:
            entries = self.mapping(node)
        return entries.get(key) if entries else None

    def pos(self, node: Node) -> tuple[int, int]:
        """1-based (line, column) of a node in the file, in lines as editors count them."""
        mark = node.start_mark
        if not self._lines_known:
            self._lines = line_map(self.text)
            self._lines_known = True
        if self._lines is None:
            return mark.line + self.line_offset + 1, mark.column + 1
        line, before = self._lines[min(mark.line, len(self._lines) - 1)]
        return line + self.line_offset + 1, before + mark.column + 1


def _merge_list(value: Node) -> list[MappingNode]:
    sources = value.value if isinstance(value, SequenceNode) else [value]
    return [src for src in sources if isinstance(src, MappingNode)]


def _merge_sources(node: MappingNode) -> list[MappingNode]:
    return [src for key, value in node.value if key.tag == MERGE for src in _merge_list(value)]


# Go template actions as Helm writes them; their presence marks an unrendered template.
_TEMPLATE = re.compile(
    rb"\{\{-?\s*(?:[.$]|/\*|(?:if|else|end|range|with|include|template|define|block|toYaml|"
    rb"tpl|printf|quote|default|required|lookup|nindent|indent)\b)"
)


def has_template_action(data: bytes) -> bool:
    """Whether a text holds a Go template action as Helm writes them (``{{ .Values.x }}``)."""
    return b"{{" in data and _TEMPLATE.search(data) is not None


_ACTION = re.compile(rb"\{\{.*?\}\}")


def template_syntax_is_why(chunk: Chunk) -> bool:
    """Whether a chunk that does not parse would parse without its template actions (blanked
    out, same length, so a real syntax error elsewhere still shows): then it is an unrendered
    template, else a broken manifest that merely mentions ``{{ ... }}``."""
    blanked = _ACTION.sub(lambda m: b" " * len(m.group()), chunk.data)
    return not any(isinstance(item, SyntaxProblem) for item in compose(Chunk(blanked, 0), 0))


def has_template_structure(root: Node) -> bool:
    """Whether a document that parsed is really a template: an unquoted ``{{ x }}`` reads as a
    mapping used as a key, which no Kubernetes object (JSON underneath) can have."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    return True
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False


def marker(line: int, column: int) -> Node:
    """A node that only marks a 1-based position (for problems found outside a parsed document)."""
    # No buffer, so no snippet: the pointer into it is never read.
    mark = Mark("<marker>", 0, line - 1, column - 1, None, 0)
    return ScalarNode(STR, "", start_mark=mark, end_mark=mark)


def text(node: Node | None) -> str | None:
    """The value of a string scalar, else None."""
    if isinstance(node, ScalarNode) and node.tag == STR:
        return node.value
    return None


def is_null(node: Node | None) -> bool:
    """True for a missing node or an explicit null (``~``, ``null``, empty)."""
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL)


def is_true(node: Node | None) -> bool:
    """True when a scalar decodes to boolean true in Kubernetes (YAML 1.1)."""
    if not isinstance(node, ScalarNode):
        return False
    if node.tag == BOOL:
        return node.value.lower() in ("yes", "true", "on")
    # A plain scalar: PyYAML's C loader reports its style as "", the Python one as None.
    return not node.style and node.tag == STR and node.value in _TRUE


def line_map(data: bytes) -> list[tuple[int, int]] | None:
    """For each line libyaml counts in ``data``, the editor's line and the characters before it
    on that line; None when both count the same lines (no NEL, LS or PS in the text).

    libyaml (YAML 1.1) also breaks lines at U+0085, U+2028 and U+2029; editors, git and GitHub
    do not, so a position after one of them would otherwise land a line late.
    """
    if not any(b in data for b in _YAML_ONLY_BREAKS):
        return None
    text = data.decode("utf-8", "replace")
    out = [(0, 0)]
    line, start = 0, 0
    for match in _TEXT_BREAKS.finditer(text):
        if match.group() in ("\r\n", "\r", "\n"):
            line, start = line + 1, match.end()
            out.append((line, 0))
        else:
            out.append((line, match.end() - start))
    return out


@dataclass
class SyntaxProblem:
    """A document libyaml could not read, with a 1-based position."""

    line: int
    column: int
    message: str

    @property
    def where(self) -> str:
        """``line:column: message``."""
        return f"{self.line}:{self.column}: {self.message}"


def compose(chunk: Chunk, first_index: int) -> Iterator[Document | SyntaxProblem]:
    """Parse one chunk into documents; a YAML error ends the chunk with a SyntaxProblem."""
    # Where libyaml limits nesting itself, its error comes first and is worded as ours below.
    deep = None if libyaml_limits_depth() else too_deep(chunk.data)
    if deep is not None:
        line, column = _chunk_pos(chunk, deep[0], deep[1])
        yield SyntaxProblem(line, column, f"nested deeper than {MAX_DEPTH} levels")
        return
    loader = _Composer(chunk.data)
    lines: list[bytes] | None = None
    after = 0  # the line where the previous document's content ended
    index = first_index
    try:
        while loader.check_node():
            root = loader.get_node()
            if root is None:
                raise ToolContractError("libyaml announced a document but composed none")
            source = None
            if b"# Source: " in chunk.data:
                lines = lines if lines is not None else _BREAKS.split(chunk.data)
                source = _helm_source(lines[after : root.start_mark.line])
            after = root.end_mark.line
            yield Document(index, root, chunk.line, chunk.data, source)
            index += 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if mark is not None:
            line, column = _chunk_pos(chunk, mark.line, mark.column)
        else:  # a reader error (bad encoding) knows only its byte offset
            line, column = position(chunk, getattr(exc, "position", 0) or 0)
        message = f"nested deeper than {MAX_DEPTH} levels" if is_depth_error(exc) else None
        yield SyntaxProblem(line, column, message or _yaml_message(exc))
    finally:
        loader.dispose()


def _chunk_pos(chunk: Chunk, line: int, column: int) -> tuple[int, int]:
    """A 0-based libyaml mark in a chunk as a 1-based editor position in the file."""
    table = line_map(chunk.data)
    if table is not None:
        line, before = table[min(line, len(table) - 1)]
        column += before
    return chunk.line + line + 1, column + 1


def _helm_source(leading: list[bytes]) -> str | None:
    """The template a document was rendered from: a ``# Source: <chart>/templates/<file>`` line
    among its own leading comments, after its ``---`` (as Helm writes it). A ``# Source: <url>``
    comment at the top of a copied upstream file is not Helm output."""
    started = False
    for line in leading:
        if line.startswith(b"---"):
            started = True
            continue
        match = _HELM_SOURCE.match(line)
        if match and started:
            source = match.group(1).decode("utf-8", "replace").strip()
            if "/templates/" in source and "://" not in source:
                return source
    return None


def _yaml_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        return f"{context}, {problem}" if context else str(problem)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class ParseError(Exception):
    """A stream with a document that does not parse (or nests too deep); the message says where."""


def parse_stream(data: bytes, strict: bool = False) -> list[Document]:
    """Every document of an in-memory stream that parses (for build output and patch files);
    with ``strict``, ParseError at the first that does not (a file about to be edited)."""
    docs: list[Document] = []
    view = memoryview(data)
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        end = len(data) if n < 0 else pos + n
        block = bytes(view[pos:end])
        pos = min(end, len(data))
        return block

    for chunk in split(read):
        for item in compose(chunk, len(docs)):
            if isinstance(item, Document):
                docs.append(item)
            elif strict:
                raise ParseError(f"line {item.line}, column {item.column}: {item.message}")
    return docs


_SAFE = SafeConstructor()
# The safe constructor's own functions for the scalar tags plain manifests hold.
_SCALARS = {
    NULL: _SAFE.construct_yaml_null,
    BOOL: _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _SAFE.construct_yaml_timestamp,
    "tag:yaml.org,2002:binary": _SAFE.construct_yaml_binary,
}


class _Unusual(Exception):
    """A node the direct build leaves to PyYAML's constructor."""


def _data(node: Node, built: dict[int, object]) -> object:
    if type(node) is ScalarNode:
        if node.tag == STR:
            return node.value
        make = _SCALARS.get(node.tag)
        if make is None:
            raise _Unusual
        return make(node)
    done = built.get(id(node))
    if done is not None:  # an alias: the same object, as PyYAML shares it
        return done
    if type(node) is MappingNode and node.tag == MAP:
        out: dict = {}
        built[id(node)] = out
        for key, value in node.value:
            if key.tag == MERGE:
                raise _Unusual
            out[_data(key, built)] = _data(value, built)  # TypeError: an unhashable key
        return out
    if type(node) is SequenceNode and node.tag == SEQ:
        items: list = []
        built[id(node)] = items
        items.extend(_data(item, built) for item in node.value)
        return items
    raise _Unusual


def load_all(text: str) -> list:
    """The data of every document of a text, as ``yaml.load_all`` with the safe loader gives it
    (the same values of the same types, aliases shared). Built straight from the nodes, about
    twice as fast, where they are plain (no merge key, set, ordered map or unknown tag), else by
    PyYAML's constructor; its errors are PyYAML's."""
    loader = _Composer(text)
    out = []
    try:
        while loader.check_node():
            root = loader.get_node()
            out.append(None if root is None else _data(root, {}))
    except (_Unusual, TypeError, RecursionError):
        return list(yaml.load_all(text, Loader=Loader))
    finally:
        loader.dispose()
    return out
