"""A lint run's shortcut: a built object the build did not change is not linted again.

Linting a build reads every object twice: in the build output (what is applied) and in its
resource file (for the source lines, suppression comments and fixes). When the build only
renamed an object (``namePrefix``/``nameSuffix``, ``namespace:``) and the two texts hold the
same scalars, the output's findings are the resource file's, under the built name: those are
taken, and the object is not linted in the output. Everything else is linted there as before:
a patched, labelled or annotated object, one the build spells otherwise, ``--level namespace``
(the namespace decides the level there), and every fix run (its stage needs the fixes planned
on the output).

"The same scalars" is read from the texts, not assumed. Kustomize reads a resource with YAML 1.2
rules and writes it back through JSON, where the linter reads YAML 1.1 as the API server does:
``privileged: yes`` comes out as ``"yes"``, ``0755`` as ``493``, an integer annotation as a
string, an anchor expanded. So each text's lines, less indentation and sequence dashes, flow
collections of words written out as blocks, must be the same multiset (:func:`scalar_lines`): the
same scalars spelt and quoted alike, which the linter reads alike (Kustomize keeps the shape
of what it does not transform; it sorts keys). A text this cannot compare (a block scalar, an
escape, a nested flow collection, a comment where a value could be) is linted in the output.

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

# The transformers that change an object's name or namespace, and nothing else a rule reads at
# a Pod Security level. (Kustomize lists a patch for every object it was offered to, changed or
# not: a patched build's objects are linted in the output.)
HARMLESS = frozenset(
    {"PrefixTransformer", "SuffixTransformer", "PrefixSuffixTransformer", "NamespaceTransformer"}
)

# Comments, and the blanks before them.
_COMMENTS = re.compile(rb"(?:^|[ ]+)#[^\n]*", re.M)
# A line less its indentation and sequence dashes (the text starts with a line break).
_LINES = re.compile(rb"\n[ ]*(?:-[ ]+)*([^\n]*)")
# A tab, a carriage return, an escape, a trailing blank: a text this comparison does not read.
_UNREAD = re.compile(rb"[\t\r\\]| \n")
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
# A flow collection of words on one line (``{app: web}``, ``[a, b]``), after a key or a dash
# (matched from that character: a pattern that starts with a look-behind is tried everywhere).
_FLOW = re.compile(rb"([:-]) ([{\[])([^\n{}\[\]]*)[}\]](?=\n)")


def scalar_lines(text: bytes, built: bool) -> list[bytes] | None:
    """The lines of a document as a multiset (sorted), each less its indentation and sequence
    dashes, flow collections written out as blocks: two texts with the same lines hold the same
    scalars, spelt and quoted alike, which the linter reads alike. The root's
    ``metadata.name`` and ``metadata.namespace`` are left out (a build may rename), and so is
    what the wrapper build adds to a built text (``built``); None for a text this comparison
    cannot read (a block scalar, a tab, an escape, trailing blanks, no block ``metadata``)."""
    text = b"\n" + text.rstrip(b"\n") + b"\n"
    if text.startswith(b"\n---"):
        first = text[4 : text.index(b"\n", 1)].strip(b" ")
        if not first or first.startswith(b"#"):  # (a document marker, and nothing on its line)
            text = text[text.index(b"\n", 1) :]
    if b"#" in text:
        text = _COMMENTS.sub(b"", text)
    if built:
        for added in _ADDED:
            at = text.find(added)
            if at >= 0:
                end = _ADDED_LINES.match(text, at + 1)
                assert end is not None  # (it matches an empty text)
                text = text[:at] + text[end.end() :]
    if _UNREAD.search(text) is not None:
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
    if b"{" in text or b"[" in text:
        text = _FLOW.sub(_flow, text)
    out = sorted(_LINES.findall(text))
    empty = 0
    while empty < len(out) and not out[empty]:
        empty += 1
    return out[empty:] if empty else out


def _flow(match: re.Match[bytes]) -> bytes:
    """A one-line flow collection as the block lines Kustomize writes for it (an item's dash
    left out: the lines drop dashes anyway)."""
    body = match.group(3).strip()
    if not body:
        return match.group(0)  # ``{}``, ``[]``
    if b"," not in body:
        return match.group(1) + b"\n" + body
    return match.group(1) + b"\n" + b"\n".join(item.strip() for item in body.split(b","))


@dataclass
class Linted:
    """One document of a resource file as linted: its chunk, findings and pod templates."""

    chunk: Chunk
    findings: list[Finding] = field(default_factory=list)
    pods: int = 0
    _lines: list[bytes] | bool | None = False

    @property
    def scalar_lines(self) -> list[bytes] | None:
        """Its :func:`scalar_lines` (computed once: a base serves each overlay)."""
        if self._lines is False:
            self._lines = scalar_lines(self.chunk.data, False)
        assert not isinstance(self._lines, bool)
        return self._lines


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
    if any(step.kind not in HARMLESS for step in b.origin.steps):
        return None
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
    mine = doc.scalar_lines
    if mine is None or scalar_lines(b.chunk.data, True) != mine:
        return None
    return out
