"""A ``List`` document read item by item: how a cluster dump is linted and fixed in linear time
and bounded memory.

``kubectl get pods -A -o yaml`` (or ``-o json``) writes one document: a ``List`` whose ``items``
hold every object. Composed whole, its nodes take about 30 times the text's size, and every fix
would re-read all of it. Here the text is cut into its items (found textually, then each one
composed on its own) and a skeleton: the envelope with ``items`` empty, on its own lines.

The cut is only a fast path: each item is composed as a document of its own, at its own line and
column, so anything that makes the cut wrong (an item line inside a quoted scalar or a flow
collection, an alias to an anchor in another item, a tag directive) makes a piece fail to parse,
and the caller then reads the document whole. An item's nodes, positions, node paths (prefixed
with ``("items", i)``) and findings are those the whole document gives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .streams import json_values

_ITEMS_KEY = re.compile(rb"^items:[ \t]*(?:#[^\r\n]*)?(\r\n|\r|\n)", re.M)
_JSON_ITEMS = re.compile(r'"items"[ \t\r\n]*:[ \t\r\n]*\[')


@dataclass(frozen=True)
class Piece:
    """One item of a List: where it is, and how its text is read on its own (padded so that
    lines and columns are the file's, counted from the chunk's first line)."""

    data: bytes = field(repr=False)  # the whole chunk (shared, not copied)
    line: int  # 0-based line of the item's first byte within the chunk
    start: int  # byte span of the item in the chunk
    end: int
    pad: bytes  # what replaced the item's first bytes (``- ``) or was put before them (JSON)
    lead: bytes = b""  # the item's first bytes that ``pad`` replaced

    @property
    def text(self) -> bytes:
        """The item as a document of its own (made when asked for: items are not kept twice)."""
        return self.pad + self.data[self.start + len(self.lead) : self.end]

    def restore(self, text: bytes) -> bytes | None:
        """The item's text in the file for ``text``, this piece changed; None when a change
        reached into the padding."""
        if not text.startswith(self.pad):
            return None
        return self.lead + text[len(self.pad) :]


@dataclass(frozen=True)
class Cut:
    """A List document cut into its envelope and items."""

    skeleton: bytes  # the document with every item removed and its lines kept (blank)
    items: list[Piece]


def _lines(data: bytes, start: int, end: int) -> int:
    return data.count(b"\n", start, end)


def cut_yaml(data: bytes) -> Cut | None:
    """Cut a block-style List (``items:`` at column 0, its entries ``- `` at column 0 or 2)."""
    if b"\r" in data or b"\t" in data:
        return None  # kubectl writes neither; the whole-document path handles them
    found = [m for m in _ITEMS_KEY.finditer(data)]
    if len(found) != 1:
        return None
    begin = found[0].end()
    # The first entry: the next line that is not blank or a comment.
    first = re.compile(rb"[ ]*(?:#[^\n]*)?\n").match
    at = begin
    while True:
        skip = first(data, at)
        if skip is None or skip.end() == at:
            break
        at = skip.end()
    if data.startswith(b"- ", at):
        indent = 0
    elif data.startswith(b"  - ", at):
        indent = 2
    else:
        return None
    dash = b" " * indent + b"- "
    boundary = re.compile(rb"\n {0,%d}(?=[^ \n])" % indent)
    starts = [at]
    tail = len(data)
    for m in boundary.finditer(data, at):
        line = m.end() - m.start() - 1  # the indentation
        pos = m.start() + 1
        if line == indent and data.startswith(dash, pos):
            starts.append(pos)
            continue
        if data.startswith(b"#", m.end()):
            continue  # a comment line, kept with the item before it
        tail = pos
        break
    if re.search(rb"^[\"']?items", data[tail:], re.M):
        return None  # a second "items" key: the last one wins, read the document whole
    ends = [*starts[1:], tail]
    items = []
    line = _lines(data, 0, starts[0])
    pad = b" " * (indent + 2)
    for start, end in zip(starts, ends):
        items.append(Piece(data, line, start, end, pad, data[start : start + indent + 2]))
        line += _lines(data, start, end)
    skeleton = data[:begin] + b"\n" * _lines(data, begin, tail) + data[tail:]
    return Cut(skeleton, items)


def cut_json(data: bytes) -> Cut | None:
    """Cut a JSON List (``{"items": [{...}, ...]}``); each item is checked to be one JSON value."""
    text = data.decode("latin-1")  # one character per byte: offsets are byte offsets
    found = _JSON_ITEMS.search(text)
    if found is None:
        return None
    head = text[: found.end()]
    try:  # the bracket is the top-level "items" value only if this closes the document
        envelope = json.loads(head + "]}")
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("items") != []:
        return None
    found_items = json_values(text, found.end(), array=True)
    if found_items is None:
        return None
    spans, at = found_items
    close = at
    if b'"items"' in data[close:]:
        return None  # a second "items" key: the last one wins, read the document whole
    items = []
    line = 0
    previous = 0
    for start, end in spans:
        line += _lines(data, previous, start)
        previous = start
        line_start = data.rfind(b"\n", 0, start) + 1
        if data[line_start:start].strip(b" "):
            return None  # items sharing a line (compact JSON): read it whole
        items.append(Piece(data, line, start, end, b" " * (start - line_start)))
    opened = found.end()
    skeleton = (
        data[:opened]
        + b"\n" * _lines(data, opened, close)
        + b" " * (close - (data.rfind(b"\n", 0, close) + 1))
        + data[close:]
    )
    return Cut(skeleton, items)


def cut(data: bytes, is_json: bool) -> Cut | None:
    """The envelope and items of a List document's text, or None when it is not one that can be
    cut textually (then it is read whole)."""
    if b"items" not in data:
        return None
    stripped = data.lstrip(b" \r\n")
    if is_json or stripped.startswith(b"{"):
        return cut_json(data)
    return cut_yaml(data)


def assemble(
    data: bytes, pieces: Cut, texts: dict[int, bytes]
) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """``data`` with the items numbered in ``texts`` replaced by those texts (as in the file),
    and each replaced item's byte span before and after (see ``diffs.unified_diff``)."""
    out = []
    regions = []
    done = shift = 0
    for i in sorted(texts):
        piece, new = pieces.items[i], texts[i]
        out += [data[done : piece.start], new]
        at = piece.start + shift
        regions.append((piece.start, piece.end, at, at + len(new)))
        shift += len(new) - (piece.end - piece.start)
        done = piece.end
    out.append(data[done:])
    return b"".join(out), regions
