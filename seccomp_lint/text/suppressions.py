"""Suppressions as written: ``ignore-check.seccomp-lint.io/<rule-id>: "<reason>"`` annotations
on an object (or its pod template) and ``# seccomp-lint: ignore[<rule-id>, ...] <reason>``
comments on a finding's line or the line above it.

Only a suppression that names a known rule and gives a reason applies; the others are reported
(``invalid-suppression``) and the finding they meant stays.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import Node

from .depth import Loader
from .documents import Document, text
from .streams import EDITOR_BREAKS

ANNOTATION = "ignore-check.seccomp-lint.io/"
# A suppression comment: its rule ids (group 1) and its reason (group 2), to the line's end.
COMMENT = re.compile(r"#\s*seccomp-lint:\s*ignore\[([^\]]*)\]([^\r\n]*)")
_COMMENT = re.compile(COMMENT.pattern.encode())


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


def from_comments(data: bytes, line_offset: int) -> list[Suppression]:
    """The ``# seccomp-lint: ignore[...]`` comments of a document's text: real YAML comments
    only, not text that looks like one inside a scalar (a shell script's own comment line in
    ``args: |``, a quoted string)."""
    if b"seccomp-lint:" not in data:
        return []
    out = []
    inside = None
    for number, line, start in _lines(data, line_offset):
        match = _COMMENT.search(line)
        if match is None:
            continue
        if inside is None:
            inside = _scalar_spans(data)
        if _within(inside, len(data[: start + match.start()].decode("utf-8", "replace"))):
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
