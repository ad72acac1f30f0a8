"""A built object's ``metadata:`` block read from its text, as composing it would read it.

Mapping a build reads four scalars of every object of its output: ``metadata.name``,
``metadata.namespace`` and the origin and transformations annotations (:mod:`.origin`).
Kustomize writes metadata the same way every time: a block mapping, two spaces a level, keys
and values plain words or quoted on one line, the two annotations literal block scalars. Such a
block is read here line by line, about five times faster than composing it with libyaml, which
was the most of reading a large build's output. Anything else (a flow collection, a sequence, an
anchor, an escape, a comment, a blank line, a character outside printable ASCII, a key twice, a
scalar over two lines) is not read (None), and the caller composes the block as before.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import yaml
from yaml.nodes import ScalarNode

from ...text.documents import STR

# One line of the block: its indentation, a key of plain-word characters, what follows.
_LINE = re.compile(rb"( +)([A-Za-z0-9][A-Za-z0-9_./-]*):(?: (.*))?")
# Printable ASCII and the line break; what would end a plain scalar or start a comment on its
# line, or a trailing blank (YAML drops it).
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\n"
_NOT_PLAIN = re.compile(rb": | #|:$| $")
_PLAIN_START = re.compile(rb"[A-Za-z0-9_./]")
# A value read as a mapping, and one that is a scalar other than a string (null, a boolean, …).
_MAP = object()
_OTHER = object()
_RESOLVER = yaml.resolver.Resolver()
# Whether a plain word reads as a string, remembered: names, keys, kinds and paths repeat.
_WORDS: dict[str, bool] = {}
_WORDS_MAX = 20_000


def reads_as_string(word: str) -> bool:
    """Whether YAML 1.1 reads a plain scalar as a string (not ``true``, ``1.5``, ``null``, …)."""
    known = _WORDS.get(word)
    if known is None:
        known = _RESOLVER.resolve(ScalarNode, word, (True, False)) == STR
        if len(_WORDS) < _WORDS_MAX:
            _WORDS[word] = known
    return known


class Metadata(NamedTuple):
    """The scalars read: each a string, else None (absent, or not a string)."""

    name: str | None
    namespace: str | None
    origin: str | None
    transformations: str | None


def printable_ascii(data: bytes) -> bool:
    """Whether a text is all printable ASCII and line breaks (then so is every part of it)."""
    return not data.translate(None, _PRINTABLE)  # (what is left when they are taken out)


def read_metadata(
    block: bytes, origin: str, transformations: str, printable: bool = False
) -> Metadata | None:
    """``block`` (``metadata:`` and the indented lines after it) read as libyaml composes it:
    the name and namespace, and the ``origin`` and ``transformations`` annotations; None for a
    block not written as this reader takes it. ``printable``: the text it is part of was found
    :func:`printable_ascii`."""
    if not block.endswith(b"\n") or not (printable or printable_ascii(block)):
        return None  # (a literal block scalar keeps its last line break only if it has one)
    if not block.startswith(b"metadata:\n"):
        return None
    state: _State | None = _START
    rest: bytes | None = block[10:-1] or None
    if block.startswith(_ANNOTATIONS):
        # The annotations (Kustomize writes them first: it sorts keys) repeat from object to
        # object of one resource file: read once, and the lines after them from where it left.
        end = _SHALLOW.search(block, len(_ANNOTATIONS) - 1)
        assert end is not None  # (the block ends with a line break)
        head = block[10 : end.start()]
        if head in _HEADS:
            state = _HEADS[head]
        else:
            state = _lines(head.split(b"\n"), _START)
            if len(head) <= _HEAD_MAX:  # (not a last-applied-configuration of megabytes)
                _HEADS[head] = state
                while len(_HEADS) > _HEADS_MAX:
                    del _HEADS[next(iter(_HEADS))]
        rest = block[end.start() + 1 : -1]
        if end.start() == len(block) - 1:
            rest = None  # (no line after them; an empty one is a line, and is not read)
    if state is not None and rest is not None:
        state = _lines(rest.split(b"\n"), state)
    if state is None:
        return None
    values, indents, path, opening = state
    if opening:
        if len(indents) == 1:
            return None  # (metadata itself null)
        values = {**values, tuple(path): _OTHER}  # the last key is null
    return _read(values, origin, transformations)


# (the values read so far, the open mappings' indentation, their keys (metadata's left out),
# whether the line before was a key with nothing after it)
_State = tuple[dict[tuple[bytes, ...], object], list[int], list[bytes], bool]
_START: _State = ({}, [0], [], True)  # (metadata's own indentation first)
_ANNOTATIONS = b"metadata:\n  annotations:\n"
# The line break before a line indented two blanks or less (or none: the end of the block).
_SHALLOW = re.compile(rb"\n(?!   )")
# Annotation blocks read, by their text (the state after them: never changed once stored).
_HEADS: dict[bytes, _State | None] = {}
_HEADS_MAX = 512
_HEAD_MAX = 4096  # bytes: a longer one is read each time


def _lines(lines: list[bytes], state: _State) -> _State | None:
    """``state`` after reading ``lines`` of a metadata block (a new state: the one given is
    left as it was); None for a line this reader does not take."""
    values, indents, path, opening = state
    values, indents, path = dict(values), list(indents), list(path)
    i = 0
    while i < len(lines):
        read = _LINES.get(lines[i])
        if read is None:
            read = _line(lines[i])
            if read is None:
                return None
        indent, key, rest, scalar = read
        if opening and indent > indents[-1]:
            indents.append(indent)  # a mapping opens under the key before
        else:
            if opening:
                if len(indents) == 1:
                    return None  # (metadata itself null)
                values[tuple(path)] = _OTHER  # the key before is null
            while indent < indents[-1]:
                indents.pop()
            if indent != indents[-1]:
                return None
            path = path[: len(indents) - 2]
        path.append(key)
        where = tuple(path)
        if where in values:
            return None  # a key twice (the mapping's last would count)
        i += 1
        opening = rest is None
        if opening:
            values[where] = _MAP  # (null, if no line under it follows)
            continue
        if rest in (b"|", b"|-"):
            content, i = _literal(lines, i, indent)
            if content is None:
                return None
            value: object = content + ("\n" if rest == b"|" else "")
        else:
            value = scalar
            if value is None:
                return None
        values[where] = value
        path.pop()
    return values, indents, path, opening


# Lines read, by their text: ``(indentation, key, what follows it, that as a scalar)``; a name's
# line, a namespace's, a label's repeat from object to object and from build to build.
_LINES: dict[bytes, tuple[int, bytes, bytes | None, object]] = {}
_LINES_MAX = 8192


def _line(line: bytes) -> tuple[int, bytes, bytes | None, object] | None:
    """A line's indentation, key, the rest (None: nothing after the key) and the rest read as a
    one-line scalar (:func:`_scalar`); None for a line that is not a key."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    rest = match.group(3)
    scalar = None if rest is None or rest in (b"|", b"|-") else _scalar(rest)
    read = (len(match.group(1)), match.group(2), rest, scalar)
    if len(_LINES) < _LINES_MAX:
        _LINES[line] = read
    return read


def _read(values: dict[tuple[bytes, ...], object], origin: str, transformations: str) -> Metadata:
    def text(*path: bytes) -> str | None:
        value = values.get(path)
        return value if isinstance(value, str) else None

    return Metadata(
        text(b"name"),
        text(b"namespace"),
        text(b"annotations", origin.encode()),
        text(b"annotations", transformations.encode()),
    )


def _literal(lines: list[bytes], i: int, parent: int) -> tuple[str | None, int]:
    """The text of a literal block scalar whose lines start at ``lines[i]``, under a key
    indented ``parent``, and the line after it; None for one this reader does not take (none,
    a blank line, a line indented less than the first)."""
    start = i
    indent = 0
    while i < len(lines):
        line = lines[i]
        blanks = len(line) - len(line.lstrip(b" "))
        if blanks <= parent:
            break
        if blanks == len(line):
            return None, i  # a blank line
        if i == start:
            indent = blanks
        elif blanks < indent:
            return None, i
        i += 1
    if i == start:
        return None, i
    return "\n".join(line[indent:].decode("ascii") for line in lines[start:i]), i


def _scalar(rest: bytes) -> object:
    """The value of a scalar written on one line after its key: a string, :data:`_OTHER` for a
    plain scalar that is not one, None for a text this reader does not take."""
    first = rest[:1]
    if first == b'"':
        inner = rest[1:-1]
        if len(rest) < 2 or rest[-1:] != b'"' or b'"' in inner or b"\\" in inner:
            return None
        return inner.decode("ascii")
    if first == b"'":
        inner = rest[1:-1]
        if len(rest) < 2 or rest[-1:] != b"'" or b"'" in inner.replace(b"''", b""):
            return None
        return inner.replace(b"''", b"'").decode("ascii")
    if _PLAIN_START.match(rest) is None or _NOT_PLAIN.search(rest) is not None:
        return None
    word = rest.decode("ascii")
    return word if reads_as_string(word) else _OTHER
