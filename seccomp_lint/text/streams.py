"""Bytes to document texts: decode (BOM, UTF-16/32), split a stream at ``---`` lines, and the
positions of byte offsets in them, before anything is parsed.

Documents are split textually at ``---`` lines (libyaml always ends a document there), so a large
stream is read one document at a time and each document can be judged before it is parsed (the
pre-filter). Concatenated JSON texts (``{...}{...}``, as kubectl reads them) are cut apart here
too.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

BLOCK = 1 << 20

# A document start marker: ``---`` at column 0 followed by a blank or the end of the line.
# Searched with its newline (a literal prefix the regex engine can skip to), not with ``^``/re.M,
# which tries every position: four times faster on large streams.
_DOC_START = re.compile(rb"\n---(?=[ \t\r\n]|\Z)")
# A document end marker: ``...`` at column 0; the rest of its line can only be a comment.
_DOC_END = re.compile(rb"^\.\.\.(?=[ \t\r\n]|\Z)[^\r\n]*", re.M)
# Line breaks as editors, git and GitHub count them: positions are reported in these lines.
EDITOR_BREAKS = re.compile(rb"\r\n|\r|\n")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class Chunk:
    """The text of one document (sometimes more, see ``split``) and where it starts."""

    data: bytes
    line: int  # 0-based line of the chunk's first byte in the file


class DecodeError(Exception):
    """The bytes are not text in an encoding YAML allows."""


def has_bom(data: bytes) -> bool:
    """Whether a text starts with a byte-order mark (UTF-8, -16 or -32): it is not read in
    place as UTF-8, nor cut in parts."""
    return any(data.startswith(bom) for bom, _ in _BOMS)


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
        return len(EDITOR_BREAKS.findall(data))
    return data.count(b"\n")


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


def chunks(data: bytes, line: int = 0) -> Iterator[Chunk]:
    """``split`` for a stream in memory: the same chunks, without copying a one-document stream
    (``line``: the file's line where ``data`` starts, for a part of a stream)."""
    begin = 0
    for cut in _cut(data, 1, len(data)):
        if cut > begin:
            part = data[begin:cut]
            yield Chunk(part, line)
            line += count_lines(part)
            begin = cut
    if begin < len(data):
        yield Chunk(data[begin:] if begin else data, line)


@dataclass(frozen=True)
class Part:
    """A run of whole documents of a stream, cut where ``chunks`` cuts it: its byte span, the
    file's line it starts on (0-based) and the index its first document would have when every
    document before it reads as a document (the reader checks that: see lint.linter)."""

    start: int
    end: int
    line: int
    index: int


def parts(data: bytes, size: int) -> list[Part]:
    """Cut a UTF-8 stream (no byte-order mark) into parts of about ``size`` bytes at document
    boundaries, to read them in parallel: documents are independent. Each part's index is
    predicted from the ``---`` lines before it (the reader checks it)."""
    if b"\n..." in data or b"\n%" in data or data.startswith((b"...", b"%")):
        return _parts_by_chunk(data, size)  # document end markers, directives: count exactly
    first = _DOC_START.search(data)
    if first is None:
        return [Part(0, len(data), 0, 0)]
    head = first.start() + 1  # the first cut: one document starts at each ``---`` line on
    before = count_documents(data[:head])
    out = [Part(0, 0, 0, 0)]
    at = max(size, head)
    while at < len(data):
        found = _DOC_START.search(data, at - 1)
        if found is None:
            break
        begin = found.start() + 1
        last = out[-1].start
        crlf = b"\r" in data
        line = out[-1].line + (
            count_lines(data[last:begin]) if crlf else data.count(b"\n", last, begin)
        )
        # (``----`` or ``---x`` lines are counted too: then the reader finds the index wrong)
        index = before + data.count(b"\n---", head - 1, begin + 2)
        out.append(Part(begin, 0, line, index))
        at = begin + size
    ends = [part.start for part in out[1:]] + [len(data)]
    return [replace(part, end=end) for part, end in zip(out, ends)]


def _parts_by_chunk(data: bytes, size: int) -> list[Part]:
    """:func:`parts`, counting the documents of every chunk as the linter would."""
    out: list[Part] = []
    marked = b"\n..." in data or data.startswith(b"...")  # a document end marker: count exactly
    begin = line = index = first = previous = 0
    for at in [*_cut(data, 1, len(data)), len(data)]:
        if at > previous:  # the documents of the chunk [previous, at): one, when cut at ``---``
            whole = data.startswith(b"---", previous) and not marked
            index += 1 if whole else count_documents(data[previous:at])
            previous = at
        if at > begin and (at - begin >= size or at == len(data)):
            out.append(Part(begin, at, line, first))
            line += count_lines(data[begin:at])
            begin, first = at, index
    return out


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


def binary_message(data: bytes) -> str:
    """What a NUL byte means: usually binary data, sometimes UTF-16/32 text saved without the
    byte-order mark that YAML readers (libyaml, go-yaml) need to recognise it."""
    for encoding, width, at in (
        ("UTF-32LE", 4, 0),
        ("UTF-32BE", 4, 3),
        ("UTF-16LE", 2, 0),
        ("UTF-16BE", 2, 1),
    ):
        units = [data[i : i + width] for i in range(0, min(len(data), 8 * width), width)]
        # The first characters of a manifest are ASCII: one non-NUL byte per unit, in place.
        if len(units) >= 4 and all(
            len(u) == width and 0 < u[at] < 0x80 and u.count(0) == width - 1 for u in units
        ):
            return (
                f"looks like {encoding} text without a byte-order mark, which YAML readers "
                "take for binary data: save it as UTF-8"
            )
    return "binary data (a NUL byte): not a YAML or JSON file"
