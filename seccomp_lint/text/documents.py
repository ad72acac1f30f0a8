"""Bytes to positioned YAML nodes: decode, split a stream into documents, pre-filter, compose.

Documents are split textually at ``---`` lines (libyaml always ends a document there), so a large
stream is read one document at a time and each document can be judged before it is parsed: a
document that contains none of the words a finding needs (``ontainers``, ``seccomp``,
``defaultAction``, ``SeccompProfile``) and no escape sequence that could spell them is never
composed. Composition uses libyaml through PyYAML's ``CSafeLoader``, whose nodes carry line and
column; values are read with YAML 1.1 rules, as the Kubernetes decoder reads them.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .depth import MAX_DEPTH, Loader, is_depth_error, libyaml_limits_depth, too_deep

BLOCK = 1 << 20

# A document start marker: ``---`` at column 0 followed by a blank or the end of the line.
# Searched with its newline (a literal prefix the regex engine can skip to), not with ``^``/re.M,
# which tries every position: four times faster on large streams.
_DOC_START = re.compile(rb"\n---(?=[ \t\r\n]|\Z)")
# A document end marker: ``...`` at column 0; the rest of its line can only be a comment.
_DOC_END = re.compile(rb"^\.\.\.(?=[ \t\r\n]|\Z)[^\r\n]*", re.M)
_HELM_SOURCE = re.compile(rb"^# Source: ([^\r\n]+)", re.M)
# Line breaks as libyaml counts them (YAML 1.1 also breaks on NEL, LS and PS).
_BREAKS = re.compile(rb"\r\n|\r|\n|\xc2\x85|\xe2\x80[\xa8\xa9]")
# Line breaks as editors, git and GitHub count them: positions are reported in these lines.
_EDITOR_BREAKS = re.compile(rb"\r\n|\r|\n")
# The breaks only libyaml counts (NEL, LS, PS; YAML 1.1), in UTF-8.
_YAML_ONLY_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_TEXT_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

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
class Chunk:
    """The text of one document (sometimes more, see ``split``) and where it starts."""

    data: bytes
    line: int  # 0-based line of the chunk's first byte in the file


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
            found = self._flatten(node)
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
        for key in path:
            entries = self.mapping(node)
            if entries is None or key not in entries:
                return None
            node = entries[key][1]
        return node

    def entry(self, node: Node | None, key: str) -> tuple[Node, Node] | None:
        """The (key node, value node) pair of ``key`` in a mapping node."""
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


class DecodeError(Exception):
    """The bytes are not text in an encoding YAML allows."""


def decode(data: bytes) -> tuple[bytes, str, bytes]:
    """UTF-8 bytes to parse, the original encoding name and the BOM that was removed."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8":
                return data[len(bom) :], encoding, bom
            try:
                return data[len(bom) :].decode(encoding).encode("utf-8"), encoding, bom
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {encoding} at byte {exc.start + len(bom)}") from None
    return data, "utf-8", b""


def looks_json(head: bytes) -> bool:
    """Whether a stream without a name (stdin) is JSON: it opens with ``{`` or ``[``."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def json_file(path: str) -> bool:
    """Whether a file is read as JSON (tabs allowed, concatenated objects split), by its name."""
    return path.lower().endswith(".json")


def count_lines(data: bytes) -> int:
    """How many line breaks an editor sees in ``data`` (LF, CR, CRLF)."""
    if b"\r" in data:
        return len(_EDITOR_BREAKS.findall(data))
    return data.count(b"\n")


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


def _cut(buf: bytes | bytearray, start: int, end: int) -> list[int]:
    """Offsets in buf[start:end] where a new document's text begins (its directives, or ``---``)."""
    cuts = []
    for match in _DOC_START.finditer(buf, start - 1, end):
        at = match.start() + 1
        # Directive lines (``%YAML``, ``%TAG``) right before ``---`` belong to the new document.
        probe = at
        while probe > 0:
            prev = buf.rfind(b"\n", 0, probe - 1) + 1
            line = bytes(buf[prev:probe]).strip()
            if line.startswith(b"%"):
                at = prev
            elif line and not line.startswith(b"#"):
                break
            probe = prev
        cuts.append(at)
    return cuts


def one_document(data: bytes) -> bool:
    """Whether a stream has no ``---`` after its start: one document at most (``...`` aside)."""
    return not _cut(data, 1, len(data))


def split(read: Callable[[int], bytes]) -> Iterator[Chunk]:
    """Cut a stream into document texts, holding one document (plus a block) in memory."""
    buf = bytearray()
    line = 0
    eof = False
    searched = 1  # the buffer up to here was searched for ``---`` already (a long document)
    while not eof:
        block = read(BLOCK)
        eof = not block
        buf += block
        # Only whole lines can be judged; at the end everything is whole.
        limit = len(buf) if eof else buf.rfind(b"\n") + 1
        begin = 0
        for cut in _cut(buf, max(1, searched), limit):
            if cut > begin:
                data = bytes(memoryview(buf)[begin:cut])
                yield Chunk(data, line)
                line += count_lines(data)
                begin = cut
        del buf[:begin]
        searched = limit - begin  # from the line break that ends the last whole line
    if buf:
        last = bytes(buf)
        del buf[:]  # not held twice while the last (often the only) document is read
        yield Chunk(last, line)


def chunks(data: bytes) -> Iterator[Chunk]:
    """``split`` for a stream in memory: the same chunks, without copying a one-document stream."""
    begin, line = 0, 0
    for cut in _cut(data, 1, len(data)):
        if cut > begin:
            part = data[begin:cut]
            yield Chunk(part, line)
            line += count_lines(part)
            begin = cut
    if begin < len(data):
        yield Chunk(data[begin:] if begin else data, line)


_JSON_SKIP = re.compile(r"[ \t\r\n]*")


def json_values(
    text: str, at: int, array: bool = False
) -> tuple[list[tuple[int, int]], int] | None:
    """The spans of the JSON values in ``text`` from ``at`` and where they end: values separated
    by blanks up to the end (a stream of concatenated texts) or, with ``array``, the elements of
    an array up to its closing bracket (the offset returned); None where anything else is."""
    decoder = json.JSONDecoder()
    spans = []
    at = _JSON_SKIP.match(text, at).end()  # type: ignore[union-attr]
    while at < len(text) and not (array and text.startswith("]", at)):
        try:
            _, end = decoder.raw_decode(text, at)
        except ValueError:
            return None
        spans.append((at, end))
        at = _JSON_SKIP.match(text, end).end()  # type: ignore[union-attr]
        if array and text.startswith(",", at):
            at = _JSON_SKIP.match(text, at + 1).end()  # type: ignore[union-attr]
        elif array and not text.startswith("]", at):
            return None
    if array and not text.startswith("]", at):
        return None
    return spans, at


def json_chunks(data: bytes) -> list[Chunk] | None:
    """The values of a stream of concatenated JSON texts (``{...}{...}``, as kubectl reads),
    one chunk each, padded so that positions stay those of the file; None for a single value
    or text that is not such a stream (then it is read as YAML, which reports any error)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = json_values(text, 0)
    if found is None:
        return None
    spans = found[0]
    if len(spans) < 2:
        return None
    chunks = []
    for start, end in spans:
        line = text.count("\n", 0, start)
        column = start - (text.rfind("\n", 0, start) + 1)
        chunks.append(Chunk(b" " * column + text[start:end].encode("utf-8"), line))
    return chunks


def position(chunk: Chunk, offset: int) -> tuple[int, int]:
    """1-based (line, column) in the file of a byte offset in a chunk."""
    line = chunk.line + count_lines(chunk.data[:offset]) + 1
    start = max(chunk.data.rfind(b"\n", 0, offset), chunk.data.rfind(b"\r", 0, offset), -1)
    return line, len(chunk.data[start + 1 : offset].decode("utf-8", "replace")) + 1


def count_documents(data: bytes) -> int:
    """How many documents a chunk the pre-filter skipped holds (for stable indexes): a chunk
    is cut at ``---``, but ``...`` ends a document too, and what follows it is the next one."""
    if data.startswith(b"---") and b"\n..." not in data:
        return 1
    count = 0
    for i, part in enumerate(_DOC_END.split(data) if b"..." in data else [data]):
        if i == 0 and part.startswith(b"---"):
            count += 1
            continue
        for raw in part.splitlines():
            line = raw.strip()
            if line and not line.startswith((b"#", b"%")):
                count += 1
                break
    return count


@dataclass
class SyntaxProblem:
    """A document libyaml could not read, with a 1-based position."""

    line: int
    column: int
    message: str


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
            if root is None:  # check_node() said a document follows
                raise AttributeError("'NoneType' object has no attribute 'end_mark'")
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
