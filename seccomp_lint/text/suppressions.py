"""Suppressions as written: ``ignore-check.seccomp-lint.io/<rule-id>: "<reason>"`` annotations
on an object (or its pod template) and ``# seccomp-lint: ignore[<rule-id>, ...] <reason>``
comments on a finding's line or the line above it.

Only a suppression that names a known rule and gives a reason applies; the others are reported
(``invalid-suppression``) and the finding they meant stays.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from .depth import Loader
from .documents import Document, text
from .streams import EDITOR_BREAKS, count_lines

ANNOTATION = "ignore-check.seccomp-lint.io/"
# A suppression comment: its rule ids (group 1) and its reason (group 2), to the line's end.
COMMENT = re.compile(r"#\s*seccomp-lint:\s*ignore\[([^\]]*)\]([^\r\n]*)")
_COMMENT = re.compile(COMMENT.pattern.encode())
# A document end marker at a line's start: the text may hold another document after it.
_DOCUMENT_END = re.compile(rb"(?:^|[\r\n])\.\.\.")


@dataclass(frozen=True)
class Suppression:
    """One rule id a suppression names, the reason it gives, and where it is written."""

    rule: str
    reason: str
    line: int  # 1-based, in the file
    column: int
    node: Node | None = None  # the annotation key (None for a comment)

    def applies(self, known: Collection[str]) -> bool:
        """Whether it names a known rule and says why."""
        return self.rule in known and bool(self.reason.strip())


def from_comments(data: bytes, line_offset: int, root: Node | None = None) -> list[Suppression]:
    """The ``# seccomp-lint: ignore[...]`` comments of a document's text: real YAML comments
    only, not text that looks like one inside a scalar (a shell script's own comment line in
    ``args: |``, a quoted string). ``root``: the document composed from ``data``, whose scalars
    say where scalars lie (without it, or where it cannot tell, libyaml's scanner reads them)."""
    if b"seccomp-lint:" not in data:
        return []
    out = []
    spans = None  # the scanner's, read once where the nodes cannot tell
    chars: str | None = None  # the text as characters (marks count them), when needed
    # A text of several documents (a ``...`` line) has nodes beyond ``root``'s.
    nodes = root if root is not None and not _DOCUMENT_END.search(data) else None
    for number, line, start in _lines(data, line_offset):
        match = _COMMENT.search(line)
        if match is None:
            continue
        at = len(data[: start + match.start()].decode("utf-8", "replace"))
        inside = None
        scalar = _scalar_at(nodes, at) if nodes is not None else None
        if nodes is not None and scalar is None:
            inside = False
        elif scalar is not None:
            chars = chars if chars is not None else data.decode("utf-8", "replace")
            # Unless an anchor or a tag comes first: the node starts at it, the scalar's token
            # (what the scanner tells) only after it.
            if not chars.startswith(("&", "!"), scalar.start_mark.index):
                inside = True
        if inside is None:
            spans = _scalar_spans(data) if spans is None else spans
            inside = _within(spans, at)
        if inside:
            continue
        reason = match.group(2).decode("utf-8", "replace").strip()
        column = len(line[: match.start()].decode("utf-8", "replace")) + 1
        for rule in match.group(1).decode("utf-8", "replace").split(","):
            out.append(Suppression(rule.strip(), reason, number, column))
    return out


def _lines(data: bytes, line_offset: int) -> Iterator[tuple[int, bytes, int]]:
    """Editor lines (LF, CR, CRLF) of ``data`` holding a suppression comment: the line's number
    in the file, its text (without its break) and its byte offset."""
    start = 0
    for number, brk in enumerate([*EDITOR_BREAKS.finditer(data), None], start=line_offset + 1):
        end = brk.start() if brk is not None else len(data)
        if b"seccomp-lint:" in data[start:end]:
            yield number, data[start:end], start
        if brk is None:
            break
        start = brk.end()


def _scalar_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the scalars of a text lie (character offsets, end excluded), from libyaml's scanner
    (only run when the text holds a suppression comment). A text the scanner refuses has no
    spans: its comments are read as written, and the syntax error is reported anyway."""
    spans = []
    try:
        for token in yaml.scan(data, Loader=Loader):
            if isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        return []
    return spans


def _scalar_at(root: Node, at: int) -> ScalarNode | None:
    """The scalar node whose span holds character ``at`` of the text ``root`` was composed
    from, found by descending through the nodes that hold it (a node's span holds its
    children's): libyaml's marks, without a second pass over the text."""
    node: Node = root
    seen: set[int] = set()
    if not node.start_mark.index <= at < node.end_mark.index:
        return None
    while not isinstance(node, ScalarNode):
        seen.add(id(node))  # an alias of an ancestor would lead back up
        children = node.value if isinstance(node, SequenceNode) else chain(*node.value)
        held = [
            child
            for child in children
            if id(child) not in seen and child.start_mark.index <= at < child.end_mark.index
        ]
        if not held:
            return None
        node = held[0]
    return node


def in_text(found: list[Suppression], data: bytes, line_offset: int) -> list[Suppression]:
    """Those of ``found`` (read from a larger text, in line order) that lie on the lines of
    ``data``, a part of it that starts after line ``line_offset``: what reading ``data`` on its
    own gives, without reading it again."""
    if not found:
        return []
    last = line_offset + count_lines(data.rstrip(b"\r\n")) + 1
    lo = bisect.bisect_left(found, line_offset + 1, key=lambda s: s.line)
    return found[lo : bisect.bisect_right(found, last, lo, key=lambda s: s.line)]


def _within(spans: list[tuple[int, int]], at: int) -> bool:
    return any(start <= at < end for start, end in spans)


def from_annotations(doc: Document, owners: Iterable[Node | None]) -> Iterator[Suppression]:
    """The suppression annotations of objects (or pod templates)."""
    for owner in owners:
        if owner is None:
            continue
        meta = doc.get(owner, "metadata") if doc.entry(owner, "metadata") else owner
        for key, (key_node, value) in (doc.mapping(doc.get(meta, "annotations")) or {}).items():
            if key.startswith(ANNOTATION):
                line, column = doc.pos(key_node)
                reason = text(value) or ""
                yield Suppression(key[len(ANNOTATION) :], reason, line, column, key_node)


def by_line(found: Iterable[Suppression], known: Collection[str]) -> dict[int, set[str]]:
    """The rule ids that apply, by the line they are written on."""
    out: dict[int, set[str]] = {}
    for s in found:
        if s.applies(known):
            out.setdefault(s.line, set()).add(s.rule)
    return out
