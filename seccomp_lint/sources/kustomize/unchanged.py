"""A lint run's shortcut: a built object the build did not change is not linted again.

Linting a build reads every object twice: in the build output (what is applied) and in its
resource file (for the source lines, suppression comments and fixes). When the two texts hold
the same scalars at the same places, less the object's own name and namespace (the build
renamed it, moved it to a namespace, or offered it to a patch that changed nothing in it), the
output's findings are the resource file's, under the built name: those are taken, and the
object is not linted in the output. Everything else is linted there as before: an object a
patch or a label changed, one the build spells otherwise, ``--level namespace`` (the namespace
decides the level there), and every fix run (its stage needs the fixes planned on the output).
Which transformers Kustomize lists on an object does not decide it: it lists a patch on every
object the patch was offered to, changed or not.

"The same scalars" is read from the texts, not assumed. Kustomize reads a resource with YAML 1.2
rules and writes it back through JSON, where the linter reads YAML 1.1 as the API server does:
``privileged: yes`` comes out as ``"yes"``, ``0755`` as ``493``, an integer annotation as a
string, an anchor expanded. So each text's lines, less indentation and sequence dashes, each
after the path of keys and sequence positions that leads to it, flow collections of words
written out as blocks, must be the same (:func:`scalar_lines`, sorted: Kustomize sorts keys):
the same scalars spelt and quoted alike at the same places, which the linter reads alike. A
patch that moves a value from one container to another changes a path. An object only renamed
(:data:`HARMLESS`) keeps its shape: its lines are compared as a multiset, five times faster.
A text this cannot compare (a block scalar, an escape, a nested flow collection, a comment where
a value could be, a scalar continued on another line) is linted in the output.

Findings of the resource file that the output cannot have are left out (an unused suppression
comment: comments do not survive a build); an object whose file has a finding the mapping could
not tell apart (no object, a syntax error, two findings at one spot, one the mapping of an output
finding would not pick) is linted in the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...model.data import Finding, Level, ObjectRef, Options
from ...rules import SYNTAX, UNUSED
from ...text.streams import Chunk
from .origin import Built

# The transformers that change an object's name or namespace and nothing else: an object only
# they touched keeps its shape, and its lines are compared as a multiset (a patch may move a
# line to another place: the lines of any other object are compared at their places).
HARMLESS = frozenset(
    {"PrefixTransformer", "SuffixTransformer", "PrefixSuffixTransformer", "NamespaceTransformer"}
)

# Comments, and the blanks before them.
_COMMENTS = re.compile(rb"(?:^|[ ]+)#[^\n]*", re.M)
# A quote, then on the same line a ``#`` after a blank: a comment, or part of a quoted scalar.
_QUOTED_HASH = re.compile(rb"[\"'][^\n]*? #")
# A line: its indentation, its sequence dashes (each with the blanks after it), the rest (the
# text starts with a line break).
_LINES = re.compile(rb"\n([ ]*)((?:-(?:[ ]+|(?=\n)))*)([^\n]*)")
_DASHES = re.compile(rb"-(?:[ ]+|$)")
# The first bytes of a line that is not a plain key (a quoted key, a flow collection), and of a
# value that is not a plain scalar (a flow collection, a quoted scalar).
_SPECIAL = frozenset(b"\"'{[?:")
_OPENING = frozenset(b"\"'{[")
# A line less its indentation and sequence dashes.
_CONTENT = re.compile(rb"\n[ ]*(?:-[ ]+)*([^\n]*)")
# A flow collection of words on one line (``{app: web}``, ``[a, b]``), after a key or a dash
# (matched from that character: a pattern that starts with a look-behind is tried everywhere).
_FLOW = re.compile(rb"([:-]) ([{\[])([^\n{}\[\]]*)[}\]](?=\n)")
# A block scalar's header: its lines would be compared less their indentation.
_BLOCK_SCALAR = re.compile(rb"[:-][ ]+[|>][-+0-9]*[ ]*(?:\n|$)")
# The end of the root's metadata block: the next line at the left margin.
_MARGIN = re.compile(rb"\n[^ \n]")
# What the wrapper build adds to an object's annotations: its origin and transformations.
_ADDED = (
    b"\n    config.kubernetes.io/origin: |",
    b"\n    alpha.config.kubernetes.io/transformations: |",
)
_ADDED_LINES = re.compile(rb"[^\n]*(?:\n      [^\n]*)*")


def scalar_lines(text: bytes, built: bool, places: bool = True) -> list[bytes] | None:
    """The lines of a document, each less its indentation and sequence dashes after its path
    (:func:`_shape`), sorted: two texts with the same lines hold the same scalars at the same
    places, spelt and quoted alike, which the linter reads alike. Without ``places``, the lines
    alone as a multiset (five times faster: for objects the build only renamed). The root's
    ``metadata.name`` and ``metadata.namespace`` are left out (a build may rename), and so is
    what the wrapper build adds to a built text (``built``); None for a text this comparison
    cannot read (a block scalar, a tab, an escape, trailing blanks, no block ``metadata``)."""
    text = b"\n" + text.rstrip(b"\n") + b"\n"
    if text.startswith(b"\n---"):
        first = text[4 : text.index(b"\n", 1)].strip(b" ")
        if not first or first.startswith(b"#"):  # (a document marker, and nothing on its line)
            text = text[text.index(b"\n", 1) :]
    if b"#" in text:
        if (b"'" in text or b'"' in text) and _QUOTED_HASH.search(text) is not None:
            return None  # (a ``#`` after a quote may be inside a quoted scalar, not a comment)
        text = _COMMENTS.sub(b"", text)
    if built:
        for added in _ADDED:
            at = text.find(added)
            if at >= 0:
                end = _ADDED_LINES.match(text, at + 1)
                assert end is not None  # (it matches an empty text)
                text = text[:at] + text[end.end() :]
    if b"\t" in text or b"\r" in text or b"\\" in text or b"\0" in text or b" \n" in text:
        # A tab, a carriage return, an escape, a NUL, a trailing blank: a text this comparison
        # does not read (five byte searches take a sixth of one pattern's time).
        return None
    if (b"|" in text or b">" in text) and _BLOCK_SCALAR.search(text) is not None:
        return None
    start = text.find(b"\nmetadata:\n")
    if start < 0 or text[start + 11 : start + 12] != b" ":
        return None
    start += 10  # (at the line break before its first key)
    end = _MARGIN.search(text, start)
    stop = end.start() + 1 if end is not None else len(text)
    block = text[start:stop]
    indent = block[1 : len(block) - len(block[1:].lstrip(b" "))]
    if built and block.startswith(b"\n  annotations:\n") and not block.startswith(b"    ", 16):
        block = block[15:]  # (no annotation left but what the build added)
    for key in (b"name:", b"namespace:"):  # (first-level keys: a build may rename)
        at = block.find(b"\n" + indent + key)
        if at >= 0:
            block = block[:at] + block[block.index(b"\n", at + 1) :]
    text = text[:start] + block + text[stop:]
    if not built:  # (a resource file's document is read once: Linted remembers it)
        return _shape(text) if places else _multiset(text)
    # (remembered: overlays of one base that only rename its objects build the same text)
    memo = (text, places)
    if memo in _READ:
        return _READ[memo]
    read = _READ[memo] = _shape(text) if places else _multiset(text)
    while len(_READ) > _READ_MAX:
        del _READ[next(iter(_READ))]
    return read


# Texts compared, less what a build may change, by their text and ``places``, with what they
# read as (never changed once stored).
_READ: dict[tuple[bytes, bool], list[bytes] | None] = {}
_READ_MAX = 2048


def _multiset(text: bytes) -> list[bytes]:
    """Each line's content (less indentation and sequence dashes), sorted; flow collections of
    words written out as blocks."""
    if b"{" in text or b"[" in text:
        text = _FLOW.sub(_flow_block, text)
    out = sorted(_CONTENT.findall(text))
    empty = 0
    while empty < len(out) and not out[empty]:
        empty += 1
    return out[empty:] if empty else out


def _flow_block(match: re.Match[bytes]) -> bytes:
    """A one-line flow collection as the block lines Kustomize writes for it (an item's dash
    left out: the lines drop dashes anyway)."""
    body = match.group(3).strip()
    if not body:
        return match.group(0)  # ``{}``, ``[]``
    if b"," not in body:
        return match.group(1) + b"\n" + body
    return match.group(1) + b"\n" + b"\n".join(item.strip() for item in body.split(b","))


def _shape(text: bytes) -> list[bytes] | None:
    """Each line's content (less indentation and sequence dashes) after the path of keys and
    sequence positions that leads to it, sorted: the same for two block texts that hold the
    same scalars at the same places, whatever their indentation and key order (Kustomize sorts
    keys). A key's ``/`` is escaped in a path (``a/b`` is not ``a`` then ``b``); an item with
    nothing on its line counts as a line of its own. One-line flow collections of words count
    as the block lines Kustomize writes for them. None for a text this does not read: a scalar
    continued on another line, a quoted one left open, a nested flow collection, an explicit
    key (``? ``), a key twice in one mapping."""
    out: list[bytes] = []
    frames: list[tuple[int, bool, bytes]] = []  # (column, a key's?, the path of what it holds)
    items: dict[bytes, int] = {}  # the path of a sequence -> its items so far
    keys: set[bytes] = set()  # every key's path, once
    # A scalar ended the line before: a line indented past this column continues it.
    scalar = -1
    for indent, dashes, rest in _LINES.findall(text):
        if not (dashes or rest):
            continue
        column = len(indent)
        if 0 <= scalar < column or rest[:2] in (b"? ", b": ") or rest in (b"?", b":"):
            return None  # a scalar continued; an explicit key or its value
        # Leave what this line is not inside: deeper frames, an item of its own column, and a
        # key of its own column unless the line starts that key's sequence (``- `` under it).
        while frames and (
            frames[-1][0] > column or (frames[-1][0] == column and not (frames[-1][1] and dashes))
        ):
            frames.pop()
        path = frames[-1][2] if frames else b""
        if dashes:
            for dash in _DASHES.findall(dashes):
                number = items.get(path, 0)
                items[path] = number + 1
                path += b"/#%d" % number
                frames.append((column, False, path))
                scalar = column  # (an item's scalar is continued past its dash)
                column += len(dash)
            if not rest:
                out.append(path + b"\0-")  # (its content on the lines after, or null)
                scalar = -1
                continue
        # (the common line, a plain key, read here; anything else by _key)
        at = rest.find(b": ") if rest[0] not in _SPECIAL else -1
        if at > 0:
            name, value = rest[:at], rest[at + 2 :].strip(b" ")
        elif rest[-1] == 58 and rest[0] not in _SPECIAL:  # ``key:``
            name, value = rest[:-1], b""
        else:
            key = _key(rest)
            if key is None:  # a scalar: an item's, else a plain scalar continued (not read)
                if not dashes or not _value_lines(rest, path, out, items):
                    return None
                continue  # (``scalar`` is the item's column)
            name, value = key
        here = path + b"/" + name.replace(b"/", b"\\/")
        if here in keys:
            return None  # a key twice: which one counts is not this comparison's to say
        keys.add(here)
        scalar = column if value else -1
        if not value:
            out.append(path + b"\0" + rest)
            frames.append((column, True, here))
        elif value[0] in _OPENING:
            if _flow(value):
                out.append(path + b"\0" + name + b":")
                if not _value_lines(value, here, out, items):
                    return None
            elif _open(value):
                return None
            else:
                out.append(path + b"\0" + rest)
        else:
            out.append(path + b"\0" + rest)
    out.sort()
    return out


def _key(rest: bytes) -> tuple[bytes, bytes] | None:
    """A line's key and its value (empty when it has none on the line); None for a scalar
    (a flow collection too)."""
    if rest[:1] in (b"{", b"["):
        return None
    if rest[:1] in (b'"', b"'"):
        end = rest.find(rest[:1], 1)
        if end < 0 or rest[end + 1 : end + 2] != b":" or rest[end + 2 : end + 3] not in b" ":
            return None
        return rest[: end + 1], rest[end + 2 :].strip(b" ")
    at = rest.find(b": ")
    if at >= 0:
        return rest[:at], rest[at + 2 :].strip(b" ")
    return (rest[:-1], b"") if rest.endswith(b":") else None


def _flow(value: bytes) -> bool:
    """Whether a value is a flow collection with something in it (``{}``, ``[]`` are read as
    they are: Kustomize writes them so)."""
    return value[:1] in (b"{", b"[") and bool(value[1:-1].strip(b" "))


def _open(value: bytes) -> bool:
    """Whether a quoted scalar is left open on its line (it goes on the next)."""
    quote = value[:1]
    return quote in (b'"', b"'") and (len(value) < 2 or value[-1:] != quote)


def _value_lines(value: bytes, path: bytes, out: list[bytes], items: dict[bytes, int]) -> bool:
    """A value under ``path``: a scalar as it is, a one-line flow collection of words as the
    block lines Kustomize writes for it; False for one this does not read (a quoted scalar
    left open, a flow collection nested or left open)."""
    if not _flow(value):
        out.append(path + b"\0" + value)
        return not _open(value)
    if value[-1:] != (b"}" if value[:1] == b"{" else b"]"):
        return False
    body = value[1:-1]
    if any(c in body for c in b"{}[]"):
        return False
    keys = set()
    for item in body.split(b","):
        item = item.strip(b" ")
        if value[:1] == b"{":
            key = item.split(b":", 1)[0]
            if key in keys:
                return False  # a key twice
            keys.add(key)
            out.append(path + b"\0" + item)
        else:
            number = items.get(path, 0)
            items[path] = number + 1
            out.append(path + b"/#%d\0" % number + item)
    return True


@dataclass
class Linted:
    """One document of a resource file as linted: its chunk, findings and pod templates."""

    chunk: Chunk
    findings: list[Finding] = field(default_factory=list)
    pods: int = 0
    _lines: dict[bool, list[bytes] | None] = field(default_factory=dict)

    def scalar_lines(self, places: bool) -> list[bytes] | None:
        """Its :func:`scalar_lines` (each kind computed once: a base serves each overlay)."""
        if places not in self._lines:
            self._lines[places] = scalar_lines(self.chunk.data, False, places)
        return self._lines[places]


def shortcut_allowed(options: Options, data: bytes) -> bool:
    """Whether a build's output may take unchanged objects from their resource files: a lint
    run at a Pod Security level, and no template text the linter would skip the output for."""
    return not options.fixing and options.level != Level.NAMESPACE and b"{{" not in data


def taken(
    b: Built, own: tuple, doc: Linted, first: dict[tuple, Finding]
) -> list[tuple[Finding, ObjectRef]] | None:
    """The resource file's findings of ``doc`` (the document of ``own``, the kind, name,
    namespace and document index of the object ``b`` was built from), each with the object
    it names in the build output's place (renamed; the finding's position and fix stay the
    file's); None when ``b`` must be linted. ``first``: the file's first finding of each
    identity and message, the one the mapping of a linted output finding picks."""
    out = []
    spots = set()
    for f in doc.findings:
        if f.object is None:
            if f.rule == UNUSED.ID:
                continue  # an unused suppression comment: the output has no comments
            return None
        if (f.object.kind, f.object.name, f.object.namespace, f.object.document) != own:
            return None
        if f.rule == SYNTAX.ID or first.get((f.identity, f.message)) is not f:
            return None
        spot = (f.line, f.column, f.rule)
        if spot in spots:
            return None  # two findings at one spot: their order would be the output's
        spots.add(spot)
        out.append((f, ObjectRef(f.object.kind, b.name, b.namespace, f.object.document)))
    places = any(step.kind not in HARMLESS for step in b.origin.steps)
    mine = doc.scalar_lines(places)
    if mine is None or scalar_lines(b.chunk.data, True, places) != mine:
        return None
    return out
